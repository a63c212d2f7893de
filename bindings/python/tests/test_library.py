"""Library-level API, the error model, and the cdef/header agreement."""

from __future__ import annotations

import importlib.util
import re
import signal
import subprocess
import sys
import textwrap

import pytest
from conftest import REPO

import securememory as sm
import securememory.signal as sms
from securememory._native import ffi, lib

HEADER = REPO / "core" / "include" / "securememory.h"

ERRORS = {
    "SM_ERR_INVALID": sm.InvalidArgumentError,
    "SM_ERR_NOMEM": sm.OutOfMemoryError,
    "SM_ERR_MLOCK": sm.MemoryLockError,
    "SM_ERR_PROTECT": sm.ProtectionError,
    "SM_ERR_CLOSED": sm.SecretClosedError,
    "SM_ERR_AUTH": sm.AuthenticationError,
    "SM_ERR_CANARY": sm.CanaryError,
    "SM_ERR_EOF": sm.EndOfStreamError,
    "SM_ERR_CALLBACK": sm.CallbackError,
    "SM_ERR_UNSUPPORTED": sm.UnsupportedError,
}


def test_one_exception_class_per_status():
    assert len(ERRORS) == lib.SM_STATUS_COUNT - 1
    for code, cls in ERRORS.items():
        status = getattr(lib, code)
        assert sm.status_name(status) == code
        assert issubclass(cls, sm.SecureMemoryError)
        assert cls.code == code and cls.status == status
        err = cls("context")
        assert err.code == code and str(err).startswith("context: ")
        assert sm.strerror(status) in str(err)
    assert issubclass(sm.SecretClosedError, ValueError)
    assert issubclass(sm.InvalidArgumentError, ValueError)
    assert issubclass(sm.EndOfStreamError, EOFError)
    assert issubclass(sm.OutOfMemoryError, MemoryError)


def test_status_names():
    assert sm.status_name(0) == "SM_OK"
    assert sm.status_name(11) == "SM_ERR_UNKNOWN"
    assert sm.status_name(-1) == "SM_ERR_UNKNOWN"
    assert sm.status_name(2**70) == "SM_ERR_UNKNOWN"
    assert "RLIMIT_MEMLOCK" in sm.strerror(lib.SM_ERR_MLOCK) or "lock" in sm.strerror(3)


def test_version_page_size_stats():
    assert sm.__version__ == sm.version() == "0.1.0"
    ps = sm.page_size()
    assert ps >= 4096 and ps & (ps - 1) == 0
    base = sm.stats()
    with sm.Buffer.new(100):
        now = sm.stats()
        assert now.live_buffers == base.live_buffers + 1
        assert now.bytes_in_use >= base.bytes_in_use + 100
        assert now.mapped_bytes > base.mapped_bytes
    cached = sm.stats().bytes_locked_cached  # freed slots the pool keeps locked (bounded)
    assert isinstance(cached, int) and 0 <= cached <= 4 << 20
    with pytest.raises(Exception):
        base.live_buffers = 3  # frozen


def test_init_and_policies():
    sm.init()
    sm.init(
        lock_policy=sm.LockPolicy.STRICT,
        fork_policy=sm.ForkPolicy.WIPE,
        disable_core_dumps=False,
        rekey_interval_ms=500,
    )
    with pytest.raises(ValueError):
        sm.init(lock_policy=9)
    with pytest.raises(sm.InvalidArgumentError):
        sm.init(rekey_interval_ms=-1)


def test_wipe_and_coffer_rekey():
    data = bytearray(b"copy of a secret")
    sm.wipe(data)
    assert data == bytearray(16)
    with pytest.raises(TypeError):
        sm.wipe(b"immutable")
    with sm.Enclave.from_bytes(bytearray(b"survives rekey")) as e:
        sm.coffer_rekey()
        with e.open() as b:
            assert b.with_bytes(bytes) == b"survives rekey"


def test_signal_api_validation():
    for bad in ([signal.SIGKILL], [signal.SIGSTOP], [signal.SIGUSR1], [], [99999]):
        with pytest.raises(sm.InvalidArgumentError):
            sms.catch_signals(None, bad)
    with pytest.raises(TypeError):
        sms.catch_signals("not callable", [signal.SIGINT])
    with pytest.raises(TypeError):
        sms.catch_signals(None, ["SIGINT"])
    with pytest.raises(sm.InvalidArgumentError):
        sms.set_exit_code(signal.SIGINT, 256)
    with pytest.raises(sm.InvalidArgumentError):
        sms.set_exit_code(signal.SIGKILL, 1)
    with pytest.raises(sm.InvalidArgumentError):
        sms.set_exit_code(signal.SIGINT, -2)
    assert sms.RERAISE == -1 and signal.SIGINT in sms.SUPPORTED
    sms.release()  # idempotent, also when nothing was caught


def test_exit_validates_before_ending():
    with pytest.raises(sm.InvalidArgumentError):
        sm.exit(256)
    with pytest.raises(sm.InvalidArgumentError):
        sm.exit(-1)
    with pytest.raises(TypeError):
        sm.exit("1")


def _run_child(code: str, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_exit_purges_and_ends_with_the_code(child_env):
    proc = _run_child(
        """
        import atexit, securememory as sm
        s = sm.Secret.random(16)
        b = sm.Buffer.new(8)
        atexit.register(lambda: print("python atexit ran"))
        print("before exit")  # buffered: exit() must flush it
        sm.exit(42)
        print("after exit")
        """,
        child_env,
    )
    assert proc.returncode == 42, proc.stderr
    assert proc.stdout == "before exit\n"  # flushed; no atexit, nothing after


def test_exit_inside_a_view_is_refused(child_env):
    proc = _run_child(
        """
        import securememory as sm
        s = sm.Secret.random(16)
        with s.view():
            try:
                sm.exit(3)
            except sm.InvalidArgumentError:
                print("refused")
        s.close()
        """,
        child_env,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "refused\n"


def _load_build_ffi():
    spec = importlib.util.spec_from_file_location(
        "build_ffi", REPO / "bindings" / "python" / "build_ffi.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cdef_matches_the_public_header():
    """Every declaration of securememory.h is reachable from Python, and
    the generated cdef contains exactly the header's functions."""
    text = HEADER.read_text()
    functions = set(re.findall(r"\bSM_API\b[^;(]*?\b(sm_\w+)\s*\(", text))
    enumerators = set(re.findall(r"^\s*(SM_[A-Z0-9_]+)\s*=", text, re.M))
    defines = set(re.findall(r"^#define\s+(SM_[A-Z0-9_]+)\s+\(?-?\d+\)?\s*$", text, re.M))
    typedefs = set(re.findall(r"^typedef\s+(?:struct|enum)\s+(sm_\w+)", text, re.M))
    typedefs |= set(re.findall(r"^typedef\s+\w+\s*\(\*(sm_\w+)\)", text, re.M))
    assert {"sm_config", "sm_stats", "sm_bytes_fn", "sm_signal_fn", "sm_secret"} <= typedefs
    assert len(functions) > 50 and "sm_secret_acquire" in functions
    for name in functions | enumerators | defines:
        assert hasattr(lib, name), f"{name} is in the header but not in the binding"
    for name in typedefs:
        ffi.typeof(name)  # raises if the cdef lacks the type
    for name in dir(lib):
        if name.startswith("sm_"):
            assert name in functions, f"{name} is in the binding but not in the header"
    # The cdef the build generates, checked against the header directly.
    cdef = _load_build_ffi().header_to_cdef(text)
    assert set(re.findall(r"\b(sm_\w+)\s*\(", cdef)) >= functions
    assert "#include" not in cdef and "SM_API" not in cdef and 'extern "C"' not in cdef
    assert lib.SM_STATUS_COUNT == 11 and lib.SM_EXIT_RERAISE == -1
    assert ffi.sizeof("sm_stats") == ffi.sizeof("size_t") + 10 * 8


def test_header_to_cdef_drops_cplusplus_blocks():
    mod = _load_build_ffi()
    cdef = mod.header_to_cdef(
        '#ifndef G\n#define G\n#ifdef __cplusplus\nextern "C" {\n#endif\n'
        "#define SM_X 3\n#define SM_S \"s\"\nSM_API int sm_f(void);\n"
        "#ifdef __cplusplus\n}\n#endif\n#endif\n"
    )
    assert cdef.split() == ["#define", "SM_X", "...", "int", "sm_f(void);"]
    with pytest.raises(ValueError):
        mod.header_to_cdef("#ifdef X\nint a;\n")
