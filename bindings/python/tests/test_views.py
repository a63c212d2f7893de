"""The view machinery (securememory._views, the C glue) under misuse.

Secret.with_bytes() is one call into the C glue, and view() blocks use the
same grants; these tests pin every guarantee of docs/python.md ("what
zero-copy means for you", "threads") on both paths: released views, escaped
derived views kept open until collected, exceptions, refusing to wait for
oneself, several threads.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import securememory as sm
from securememory import Buffer, Kind, Secret
from securememory._native import ffi

KINDS = [Kind.PROTECTED, Kind.ENCLAVE]
kinds = pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)


def closes_promptly(s) -> bool:
    """close() from another thread returns at once: no access is open."""
    t = threading.Thread(target=s.close)
    t.start()
    t.join(5)
    return not t.is_alive() and s.closed


# -- refusing to wait for oneself --------------------------------------------


@kinds
def test_close_inside_with_bytes_is_refused_for_that_secret_only(kind):
    with Secret.random(8, kind) as s, Secret.random(8, kind) as other:

        def fn(mv):
            with pytest.raises(sm.InvalidArgumentError, match="forever"):
                s.close()
            other.close()  # another secret: fine
            return mv[0]

        s.with_bytes(fn)
        assert not s.closed and other.closed


def test_close_refused_at_any_nesting_depth():
    with Secret.random(8) as s:

        def nest(depth):
            if depth:
                return s.with_bytes(lambda mv: nest(depth - 1))
            with pytest.raises(sm.InvalidArgumentError):
                s.close()
            with pytest.raises(sm.InvalidArgumentError):
                sm.purge()
            return "deep"

        assert nest(200) == "deep"
        assert not sm._access.thread_holds_views()
    assert s.closed


def test_purge_inside_with_bytes_is_refused():
    with Secret.random(8) as s:

        def fn(mv):
            with pytest.raises(sm.InvalidArgumentError):
                sm.purge()

        s.with_bytes(fn)
        assert not s.closed


def test_another_threads_view_does_not_count_as_mine():
    s = Secret.random(8)
    inside, leave = threading.Event(), threading.Event()

    def holder():
        def fn(mv):
            inside.set()
            leave.wait(5)

        s.with_bytes(fn)

    t = threading.Thread(target=holder)
    t.start()
    assert inside.wait(5)
    assert not s._held_by_me() and not sm._access.thread_holds_views()
    leave.set()
    t.join(5)
    s.close()


def test_a_view_released_on_another_thread_stops_holding():
    with Secret.random(8) as s:
        v = s.view()
        v.open()
        assert s._held_by_me()
        t = threading.Thread(target=v.release)
        t.start()
        t.join(5)
        assert not v.is_open and not s._held_by_me()
    assert s.closed  # close() neither refused nor waited


def test_exit_inside_with_bytes_is_refused(child_env):
    code = """
        import securememory as sm
        s = sm.Secret.random(16)
        def fn(mv):
            try:
                sm.exit(3)
            except sm.InvalidArgumentError:
                print("refused")
        s.with_bytes(fn)
        s.close()
        """
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=child_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "refused\n"


def test_exit_ends_accesses_kept_open_for_escaped_views(child_env):
    code = """
        import securememory as sm
        s = sm.Secret.from_bytes(bytearray(b"0123456789"))
        leak = []
        try:
            s.with_bytes(lambda mv: leak.append(mv[2:]))
        except BufferError:
            print("escaped", bytes(leak[0]).decode(), flush=True)
        sm.exit(7)  # would wait forever for the open access otherwise
        """
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=child_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 7, proc.stderr
    assert proc.stdout == "escaped 23456789\n"


# -- escapes -----------------------------------------------------------------


@kinds
def test_escape_with_an_exception_keeps_the_exception_and_the_access(kind):
    class Boom(Exception):
        pass

    leak = []
    with Secret.from_bytes(bytearray(b"abcdef"), kind) as s:

        def fn(mv):
            leak.append(mv[1:3])
            raise Boom("mine")

        with pytest.raises(Boom, match="mine"):  # not BufferError
            s.with_bytes(fn)
        assert bytes(leak[0]) == b"bc"  # still readable
        with pytest.raises(BufferError):
            s.close()
        leak.clear()
    assert s.closed


@pytest.mark.parametrize(
    "escape",
    [
        lambda mv, keep: keep.append(mv[1:]),
        lambda mv, keep: keep.append(mv.cast("B", (2, 2))),
        lambda mv, keep: keep.append(memoryview(mv)),
        lambda mv, keep: keep.append(mv.obj),
        lambda mv, keep: keep.append(ffi.from_buffer(mv)),  # an export of mv itself
    ],
    ids=["slice", "cast", "memoryview", "obj", "export"],
)
def test_every_kind_of_escape_is_caught_on_both_paths(escape):
    with Secret.from_bytes(bytearray(b"wxyz")) as s:
        keep = []
        with pytest.raises(BufferError):
            s.with_bytes(lambda mv: escape(mv, keep))
        with pytest.raises(BufferError):
            with s.view() as mv:
                escape(mv, keep)
        del mv  # (unreleasable while exported: it holds the access too)
        again = None
        for kept in keep:  # still readable: the accesses stay open
            if isinstance(kept, ffi.CData):
                assert ffi.buffer(kept)[:] == b"wxyz"
            else:
                with memoryview(kept) as again:
                    assert again.tobytes() in (b"wxyz", b"xyz")
        assert s._leaks == 2
        del kept, again
        keep.clear()
        gc.collect()
        assert s._leaks == 0
        assert s.with_bytes(bytes) == b"wxyz"


def test_an_escaped_obj_after_an_early_release_is_caught():
    with Secret.random(8) as s:
        keep = []
        with pytest.raises(BufferError):
            with s.view() as mv:
                keep.append(mv.obj)
                mv.release()  # early, by the user
        with memoryview(keep[0]) as again:
            assert len(again) == 8
        keep.clear()


def test_an_escaped_view_dropped_on_another_thread_ends_the_access():
    s = Secret.from_bytes(bytearray(b"xyz"))
    box = []
    with pytest.raises(BufferError):
        s.with_bytes(lambda mv: box.append(mv[1:]))
    t = threading.Thread(target=box.clear)
    t.start()
    t.join(5)
    assert closes_promptly(s)


@kinds
def test_fn_that_is_not_callable_ends_the_access(kind):
    s = Secret.random(8, kind)
    with pytest.raises(TypeError):
        s.with_bytes(None)
    assert closes_promptly(s)


def test_with_bytes_passes_the_result_through_unchanged():
    with Secret.from_bytes(bytearray(b"k")) as s:
        sentinel = object()
        assert s.with_bytes(lambda mv: sentinel) is sentinel
        assert s.with_bytes(lambda mv: None) is None


def test_the_view_exporter_refuses_writes():
    with Secret.from_bytes(bytearray(b"abc")) as s:

        def fn(mv):
            with pytest.raises((TypeError, BufferError)):
                ffi.from_buffer(mv, require_writable=True)
            with pytest.raises((TypeError, BufferError)):
                ffi.from_buffer(mv.obj, require_writable=True)
            return mv.obj is not None

        assert s.with_bytes(fn)


def test_many_escapes_and_accesses_leave_nothing_behind():
    before = sm.stats()
    with Secret.random(16) as s:
        for i in range(2000):
            keep = []
            try:
                s.with_bytes(lambda mv: keep.append(mv[i % 16 :]) if i % 3 == 0 else mv[0])
            except BufferError:
                assert i % 3 == 0
            with s.view() as mv:
                assert len(mv) == 16
        assert s._leaks == 0 and not sm._access._leaked
    gc.collect()
    assert sm.stats().live_secrets_protected == before.live_secrets_protected


# -- threads -----------------------------------------------------------------


@kinds
def test_close_waits_for_a_with_bytes_on_another_thread(kind):
    s = Secret.random(8, kind)
    inside, ticks = threading.Event(), []

    def fn(mv):
        inside.set()
        for _ in range(20):  # Python work while close() waits in C
            ticks.append(mv.tobytes())
            time.sleep(0.01)

    t = threading.Thread(target=s.with_bytes, args=(fn,))
    t.start()
    assert inside.wait(5)
    start = time.monotonic()
    s.close()
    assert time.monotonic() - start > 0.05 and len(ticks) == 20
    t.join(5)


def test_a_buffer_view_on_another_thread_blocks_state_changes():
    b = Buffer.new(8)
    inside, leave = threading.Event(), threading.Event()

    def holder():
        with b.view():
            inside.set()
            leave.wait(5)

    t = threading.Thread(target=holder)
    t.start()
    assert inside.wait(5)
    try:
        with pytest.raises(BufferError, match="view"):
            b.freeze()
    finally:
        leave.set()
        t.join(5)
    b.freeze()
    b.destroy()


@kinds
def test_with_bytes_from_threads_with_escapes_and_closes(kind):
    secrets = [Secret.random(32, kind) for _ in range(4)]
    errors = []
    start = threading.Barrier(4)

    def worker(n):
        start.wait()
        for i in range(300):
            s = secrets[(n + i) % 4]
            keep = []
            try:
                if i % 7 == 0:
                    s.with_bytes(lambda mv: keep.append(mv[1:]))
                else:
                    assert len(s.with_bytes(bytes)) == 32
            except (sm.SecretClosedError, BufferError):
                pass
            except BaseException as e:  # anything else is a failure
                errors.append(repr(e))
                return
            if n == 0 and i == 150:
                try:
                    secrets[1].close()
                except BufferError:
                    pass  # an escaped slice of another thread is alive

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and not any(t.is_alive() for t in threads)
    gc.collect()
    for s in secrets:
        s.close()
