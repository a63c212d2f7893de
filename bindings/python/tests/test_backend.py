"""The backend setting (issue 12 §1): init(backend=...) and backend_active().

The core fixes the backend the first time it takes memory for plaintext, and
this test process has long done so, so every scenario runs in a fresh child
interpreter. The expectations are the documented behaviour, not today's
state of the core: SECRETMEM must work wherever the kernel has
memfd_secret(2) (this test asks the kernel directly), and be refused with
UnsupportedError elsewhere.
"""

from __future__ import annotations

import ctypes
import errno
import os
import subprocess
import sys
import textwrap

import pytest

import securememory as sm

# memfd_secret(2) has the same number on x86-64 and in the generic table
# (arm64, riscv64).
SYS_MEMFD_SECRET = 447


def kernel_has_memfd_secret() -> bool:
    """Whether memfd_secret(2) gives a descriptor here (Linux >= 5.14, and
    not disabled with secretmem.enable=0)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    fd = libc.syscall(ctypes.c_long(SYS_MEMFD_SECRET), ctypes.c_uint(0))
    if fd >= 0:
        os.close(fd)
        return True
    err = ctypes.get_errno()
    assert err in (errno.ENOSYS, errno.EPERM, errno.EINVAL), os.strerror(err)
    return False


SECRETMEM = kernel_has_memfd_secret()


def run_child(code: str, env: dict[str, str]) -> str:
    """Run `code` in a fresh interpreter; return its stdout (it must exit 0)."""
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_backend_enum_mirrors_the_c_values():
    assert [(b.name, int(b)) for b in sm.Backend] == [("PAGES", 0), ("SECRETMEM", 1), ("AUTO", 2)]
    assert "Backend" in sm.__all__ and "backend_active" in sm.__all__
    assert sm.backend_active() in (sm.Backend.PAGES, sm.Backend.SECRETMEM)


def test_an_unknown_backend_is_refused_before_the_core_sees_it():
    with pytest.raises(ValueError):
        sm.init(backend=3)
    with pytest.raises(ValueError):
        sm.init(backend=-1)
    with pytest.raises(ValueError):
        sm.init(backend="PAGES")
    assert sm.backend_active() in (sm.Backend.PAGES, sm.Backend.SECRETMEM)


def test_default_backend_is_resolved_never_auto(child_env):
    out = run_child(
        """
        import securememory as sm
        before = sm.backend_active()
        with sm.Secret.from_bytes(bytearray(b"default backend")) as s:
            assert s.with_bytes(bytes) == b"default backend"
        assert sm.backend_active() is before
        print(before.name)
        """,
        child_env,
    )
    assert out.strip() in ("PAGES", "SECRETMEM")


def test_pages_backend(child_env):
    out = run_child(
        """
        import securememory as sm
        sm.init(backend=sm.Backend.PAGES)
        assert sm.backend_active() is sm.Backend.PAGES
        for kind in sm.Kind:
            with sm.Secret.from_bytes(bytearray(b"on plain pages"), kind) as s:
                assert s.with_bytes(bytes) == b"on plain pages"
        sm.init(backend=sm.Backend.PAGES)  # the backend in force: accepted
        sm.init(lock_policy=sm.LockPolicy.BEST_EFFORT)  # keeps the backend
        assert sm.backend_active() is sm.Backend.PAGES
        print("ok")
        """,
        child_env,
    )
    assert out == "ok\n"


def test_secretmem_backend_where_the_kernel_has_memfd_secret(child_env):
    out = run_child(
        f"""
        import securememory as sm
        if {SECRETMEM}:
            sm.init(backend=sm.Backend.SECRETMEM)
            assert sm.backend_active() is sm.Backend.SECRETMEM, sm.backend_active()
            for kind in sm.Kind:
                with sm.Secret.from_bytes(bytearray(b"off the direct map"), kind) as s:
                    assert s.with_bytes(bytes) == b"off the direct map"
            with sm.Enclave.random(32) as e, e.open() as b:
                assert len(b.with_bytes(bytes)) == 32
            with sm.Stream(16) as st:
                st.write(b"y" * 40)
                assert st.read() == b"y" * 40
            sm.init(lock_policy=sm.LockPolicy.STRICT)  # keeps the backend
            assert sm.backend_active() is sm.Backend.SECRETMEM
            print("secretmem")
        else:
            try:
                sm.init(backend=sm.Backend.SECRETMEM)
            except sm.UnsupportedError as e:
                assert e.code == "SM_ERR_UNSUPPORTED"
                assert sm.backend_active() is sm.Backend.PAGES
                print("unsupported")
        """,
        child_env,
    )
    assert out == ("secretmem\n" if SECRETMEM else "unsupported\n")


def test_auto_takes_secretmem_where_available_else_pages(child_env):
    out = run_child(
        """
        import securememory as sm
        sm.init(backend=sm.Backend.AUTO)
        with sm.Secret.random(16) as s:
            assert len(s.with_bytes(bytes)) == 16
        print(sm.backend_active().name)
        """,
        child_env,
    )
    assert out.strip() == ("SECRETMEM" if SECRETMEM else "PAGES")


def test_switching_after_memory_was_taken_is_refused_and_changes_nothing(child_env):
    """sm_init refuses another backend once memory was taken (SM_ERR_INVALID);
    on a kernel without memfd_secret, SECRETMEM is refused as unsupported."""
    out = run_child(
        """
        import securememory as sm
        sm.init(backend=sm.Backend.PAGES)
        s = sm.Secret.from_bytes(bytearray(b"taken under pages"))
        try:
            sm.init(backend=sm.Backend.SECRETMEM)
        except sm.SecureMemoryError as e:
            print(e.code)
        else:
            print("switched")
        assert sm.backend_active() is sm.Backend.PAGES
        assert s.with_bytes(bytes) == b"taken under pages"
        s.close()
        """,
        child_env,
    )
    assert out.strip() == ("SM_ERR_INVALID" if SECRETMEM else "SM_ERR_UNSUPPORTED")


def test_auto_after_memory_was_taken_asks_for_what_it_resolves_to(child_env):
    """AUTO resolves first: accepted when it resolves to the backend in
    force (PAGES on a kernel without memfd_secret), refused otherwise."""
    out = run_child(
        """
        import securememory as sm
        sm.init(backend=sm.Backend.PAGES)
        with sm.Secret.random(16):
            try:
                sm.init(backend=sm.Backend.AUTO)
            except sm.InvalidArgumentError:
                print("refused")
            else:
                print("accepted")
        assert sm.backend_active() is sm.Backend.PAGES
        """,
        child_env,
    )
    assert out.strip() == ("refused" if SECRETMEM else "accepted")
