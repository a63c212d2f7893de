"""Secrets: creation, zero-copy access, readers, lifecycle, errors."""

from __future__ import annotations

import gc
import io
import threading
import time

import pytest
from conftest import address_of

import securememory as sm
from securememory import Kind, Secret, SecretFactory

KINDS = [Kind.PROTECTED, Kind.ENCLAVE]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_from_bytes_copies_then_wipes_the_source(kind):
    data = bytearray(b"correct horse battery staple")
    with Secret.from_bytes(data, kind) as s:
        assert data == bytearray(len(data))
        assert len(s) == 28 and s.size == 28 and s.kind is kind
        assert s.with_bytes(bytes) == b"correct horse battery staple"
        assert not s.closed
    assert s.closed


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_from_bytes_accepts_other_writable_buffers(kind):
    import array

    arr = array.array("I", [1, 2, 3])
    with Secret.from_bytes(arr, kind) as s:
        assert len(s) == 12
        assert list(arr) == [0, 0, 0]
    mem = bytearray(b"xyz")
    with Secret.from_bytes(memoryview(mem), kind) as s:
        assert s.with_bytes(bytes) == b"xyz" and mem == bytearray(3)


@pytest.mark.parametrize(
    "bad", [b"immutable", memoryview(b"read-only"), "text"], ids=["bytes", "ro-view", "str"]
)
def test_from_bytes_refuses_memory_it_cannot_wipe(bad):
    with pytest.raises(TypeError, match="wipe|writable|read-only"):
        Secret.from_bytes(bad)


@pytest.mark.parametrize("bad", [42, None, 3.5, object()])
def test_from_bytes_refuses_non_buffers(bad):
    with pytest.raises(TypeError):
        Secret.from_bytes(bad)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_empty_data_is_invalid(kind):
    with pytest.raises(sm.InvalidArgumentError) as info:
        Secret.from_bytes(bytearray(), kind)
    assert info.value.code == "SM_ERR_INVALID"


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_random(kind):
    with Secret.random(32, kind) as a, Secret.random(32, kind) as b:
        ra, rb = a.with_bytes(bytes), b.with_bytes(bytes)
        assert len(ra) == 32 and any(ra)
        assert ra != rb
        assert a.with_bytes(bytes) == ra  # stable


@pytest.mark.parametrize(
    "size,exc",
    [
        (0, sm.InvalidArgumentError),
        (-1, sm.InvalidArgumentError),
        (2**64, sm.InvalidArgumentError),
        (2**200, sm.InvalidArgumentError),
        (1.5, TypeError),
        ("8", TypeError),
        (None, TypeError),
    ],
)
def test_random_bad_sizes(size, exc):
    with pytest.raises(exc):
        Secret.random(size)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_absurd_sizes_are_library_errors_not_crashes(kind):
    for size in (2**62, 2**64 - 1, 2**48):
        with pytest.raises(sm.SecureMemoryError) as info:
            Secret.random(size, kind)
        assert info.value.code in ("SM_ERR_INVALID", "SM_ERR_NOMEM", "SM_ERR_MLOCK")


def test_bad_kinds():
    data = bytearray(b"wiped anyway")
    with pytest.raises(sm.InvalidArgumentError):
        Secret.from_bytes(data, 2)
    assert data == bytearray(12)  # the source is wiped on every path
    with pytest.raises(sm.InvalidArgumentError):
        Secret.random(8, 7)
    with pytest.raises(sm.InvalidArgumentError):
        Secret.random(8, "SHINY")
    with pytest.raises(TypeError):
        Secret.random(8, 1.0)
    with Secret.random(8, "enclave") as s:
        assert s.kind is Kind.ENCLAVE


def test_constructor_is_not_public():
    with pytest.raises(TypeError):
        Secret()


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_with_bytes_view_is_read_only_and_zero_copy(kind):
    ps = sm.page_size()
    with Secret.from_bytes(bytearray(b"k" * 100), kind) as s:

        def look(mv):
            assert isinstance(mv, memoryview) and mv.readonly and mv.nbytes == 100
            with pytest.raises(TypeError):
                mv[0] = 0
            with s.view() as inner:  # a nested access shares the same memory
                assert address_of(inner) == address_of(mv)
            return address_of(mv)

        addr = s.with_bytes(look)
        # Zero-copy: the view is the guarded buffer itself, whose data ends
        # exactly at the trailing guard page.
        assert (addr + 100) % ps == 0


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_a_kept_view_raises_value_error(kind):
    kept = []
    with Secret.from_bytes(bytearray(b"secret"), kind) as s:
        assert s.with_bytes(lambda mv: kept.append(mv) or 7) == 7
        with pytest.raises(ValueError):
            kept[0][0]
        with pytest.raises(ValueError):
            bytes(kept[0])
        with s.view() as mv:
            kept.append(mv)
            assert mv.tobytes() == b"secret"
        with pytest.raises(ValueError):
            kept[1].tobytes()
        # Returning the view itself: released too.
        returned = s.with_bytes(lambda mv: mv)
        with pytest.raises(ValueError):
            returned[0]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_an_escaped_slice_is_reported_and_never_faults(kind):
    leak = []
    with Secret.from_bytes(bytearray(b"0123456789"), kind) as s:
        with pytest.raises(BufferError):
            s.with_bytes(lambda mv: leak.append(mv[2:5]))
        # The access stays open while the slice lives, so reading it is safe.
        assert bytes(leak[0]) == b"234"
        with pytest.raises(BufferError):
            s.close()
        with pytest.raises(BufferError):
            sm.purge()
        leak.clear()  # the slice dies: the access ends
        with pytest.raises(BufferError):
            s.with_bytes(lambda mv: mv[1:])  # a returned slice is dropped at once
        assert s.with_bytes(bytes) == b"0123456789"
    assert s.closed


def test_an_export_of_the_view_is_caught_too():
    with Secret.from_bytes(bytearray(b"abc")) as s:
        kept = []
        with pytest.raises(BufferError):
            s.with_bytes(lambda mv: kept.append(mv.obj))
        kept.clear()
        with pytest.raises(BufferError):
            with s.view() as mv:
                kept.append(memoryview(mv))
        kept.clear()


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_exception_in_fn_releases_and_propagates(kind):
    class Boom(Exception):
        pass

    with Secret.from_bytes(bytearray(b"abc"), kind) as s:
        kept = []

        def fail(mv):
            kept.append(mv)
            raise Boom("from fn")

        with pytest.raises(Boom, match="from fn"):
            s.with_bytes(fail)
        with pytest.raises(ValueError):
            kept[0][0]
        with pytest.raises(Boom):
            with s.view():
                raise Boom
        # The accesses ended: a close from another thread returns at once.
        t = threading.Thread(target=s.close)
        t.start()
        t.join(5)
        assert not t.is_alive() and s.closed


def test_view_protocol_errors():
    with Secret.random(4) as s:
        v = s.view()
        with pytest.raises(sm.InvalidArgumentError):
            v.release()  # not open
        mv = v.open()
        assert v.is_open and len(mv) == 4
        with pytest.raises(sm.InvalidArgumentError):
            v.open()  # once per view
        v.release()
        with pytest.raises(sm.InvalidArgumentError):
            v.release()


def test_a_dropped_open_view_ends_its_access():
    with Secret.random(4) as s:
        s.view().open()  # never released, dropped at once
        gc.collect()
        t = threading.Thread(target=s.close)
        t.start()
        t.join(5)
        assert not t.is_alive()


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_reader_is_a_raw_io(kind):
    data = bytes(range(256)) * 5
    with Secret.from_bytes(bytearray(data), kind) as s:
        r = s.reader()
        assert isinstance(r, io.RawIOBase) and r.readable() and r.seekable()
        assert r.read() == data
        assert r.read() == b"" and r.readinto(bytearray(4)) == 0
        r.seek(1000)
        buf = bytearray(500)
        assert r.readinto(buf) == 280 and buf[:280] == data[1000:]
        assert r.tell() == 1280
        r.seek(-10, io.SEEK_END)
        assert r.read(100) == data[-10:]
        assert io.BufferedReader(s.reader(), 64).read() == data
        r2 = s.reader()
        s.close()
        with pytest.raises(sm.SecretClosedError):
            r2.read(4)
        r.close()
        with pytest.raises(ValueError):
            r.read()


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_read_into(kind):
    with Secret.from_bytes(bytearray(b"0123456789"), kind) as s:
        buf = bytearray(4)
        assert s.read_into(buf) == 4 and buf == b"0123"
        assert s.read_into(buf, 8) == 2 and buf[:2] == b"89"
        with pytest.raises(sm.EndOfStreamError) as info:
            s.read_into(buf, 10)
        assert isinstance(info.value, EOFError) and info.value.code == "SM_ERR_EOF"
        with pytest.raises(sm.InvalidArgumentError):
            s.read_into(bytearray(), 0)
        with pytest.raises(TypeError):
            s.read_into(b"read-only")
        with pytest.raises(sm.InvalidArgumentError):
            s.read_into(buf, -1)
        with pytest.raises(sm.EndOfStreamError):
            s.read_into(buf, 2**64 - 1)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_use_after_close(kind):
    s = Secret.random(16, kind)
    s.close()
    s.close()  # idempotent
    assert s.closed and len(s) == 16
    for op in (
        lambda: s.with_bytes(bytes),
        lambda: s.view().open(),
        lambda: s.read_into(bytearray(4)),
        lambda: s.reader().read(),
    ):
        with pytest.raises(sm.SecretClosedError) as info:
            op()
        assert info.value.code == "SM_ERR_CLOSED" and isinstance(info.value, ValueError)
        assert "closed" in str(info.value)


def test_close_inside_own_view_is_refused_not_a_deadlock():
    with Secret.random(8) as s:
        with s.view():
            with pytest.raises(sm.InvalidArgumentError, match="forever"):
                s.close()
        assert not s.closed


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_purge_closes_every_secret(kind):
    a, b = Secret.random(8, kind), Secret.from_bytes(bytearray(b"x"), kind)
    sm.purge()
    assert a.closed and b.closed
    with pytest.raises(sm.SecretClosedError):
        a.with_bytes(bytes)
    sm.purge()  # any number of times
    with Secret.random(8, kind) as c:  # new ones work
        assert len(c.with_bytes(bytes)) == 8


def test_purge_inside_a_view_is_refused():
    with Secret.random(8) as s:
        with s.view():
            with pytest.raises(sm.InvalidArgumentError):
                sm.purge()
        assert not s.closed


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_unclosed_secret_warns_and_is_freed(kind):
    before = sm.stats()
    with pytest.warns(ResourceWarning, match="unclosed secret"):
        s = Secret.random(8, kind)
        del s
        gc.collect()
    after = sm.stats()
    assert after.live_secrets_protected == before.live_secrets_protected
    assert after.live_secrets_enclave == before.live_secrets_enclave


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_factory(kind):
    f = SecretFactory(kind)
    src = bytearray(b"via factory")
    with f.new(src) as a, f.create_random(12) as b:
        assert src == bytearray(11)
        assert a.kind is kind and b.kind is kind and len(b) == 12
        assert a.with_bytes(bytes) == b"via factory"
    assert "ENCLAVE" in repr(SecretFactory(Kind.ENCLAVE))


def test_stats_count_secrets():
    base = sm.stats()
    with Secret.random(8, Kind.PROTECTED), Secret.random(8, Kind.ENCLAVE):
        now = sm.stats()
        assert now.live_secrets_protected == base.live_secrets_protected + 1
        assert now.live_secrets_enclave == base.live_secrets_enclave + 1
    assert sm.stats().live_secrets_protected == base.live_secrets_protected


def test_repr_never_shows_the_bytes():
    with Secret.from_bytes(bytearray(b"hunter2")) as s:
        assert "hunter2" not in repr(s) and "7 bytes" in repr(s)


# -- threads ---------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_close_waits_for_a_reader_with_the_gil_released(kind):
    """close() blocks in C while another thread, still running Python,
    holds a view; the GIL must be released around that call."""
    s = Secret.random(8, kind)
    entered, ticks = threading.Event(), []

    def reader():
        with s.view() as mv:
            entered.set()
            for _ in range(30):  # Python work while close() waits in C
                ticks.append(mv.tobytes())
                time.sleep(0.01)

    t = threading.Thread(target=reader)
    t.start()
    assert entered.wait(5)
    start = time.monotonic()
    s.close()
    waited = time.monotonic() - start
    t.join(5)
    assert len(ticks) == 30 and waited > 0.1
    assert s.closed


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_many_threads_access_while_one_closes(kind):
    s = Secret.from_bytes(bytearray(b"shared-secret-bytes"), kind)
    errors, results = [], {"ok": 0, "closed": 0}
    lock = threading.Lock()
    start = threading.Barrier(9)

    def worker():
        start.wait()
        for i in range(300):
            try:
                if i % 3 == 0:
                    got = s.reader().read()
                elif i % 3 == 1:
                    buf = bytearray(19)
                    s.read_into(buf)
                    got = bytes(buf)
                else:
                    got = s.with_bytes(bytes)
                key = "ok" if got == b"shared-secret-bytes" else "bad"
            except sm.SecretClosedError:
                key = "closed"
            except BaseException as e:  # anything else is a failure
                errors.append(repr(e))
                return
            with lock:
                results[key] = results.get(key, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    start.wait()
    time.sleep(0.02)
    s.close()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    assert errors == [] and "bad" not in results
    assert results["ok"] + results["closed"] == 8 * 300


def test_purge_and_create_from_many_threads():
    errors = []

    def creator():
        for _ in range(100):
            try:
                with Secret.random(16) as s:
                    s.with_bytes(len)
            except sm.SecretClosedError:
                pass  # purged between create and access
            except BaseException as e:
                errors.append(repr(e))

    def purger():
        for _ in range(30):
            sm.purge()

    threads = [threading.Thread(target=creator) for _ in range(4)]
    threads += [threading.Thread(target=purger) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads) and errors == []
