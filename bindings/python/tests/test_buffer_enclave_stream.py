"""Buffers, enclaves and streams."""

from __future__ import annotations

import gc
import io
import shutil
import threading

import pytest
from conftest import address_of

import securememory as sm
from securememory import Buffer, Enclave, Prot, Stream
from securememory._native import ffi

# -- buffers -----------------------------------------------------------------


def test_buffer_lifecycle():
    b = Buffer.new(16)
    assert len(b) == 16 and b.alive and b.protection is Prot.READWRITE
    with b.view() as mv:
        assert not mv.readonly and mv.tobytes() == bytes(16)
        mv[0:5] = b"hello"
    assert b.with_bytes(bytes)[:5] == b"hello"
    b.freeze()
    assert b.protection is Prot.READ
    with b.view() as mv:
        assert mv.readonly
        with pytest.raises(TypeError):
            mv[0] = 1
    b.noaccess()
    assert b.protection is Prot.NONE
    with pytest.raises(sm.InvalidArgumentError, match="no-access"):
        b.view().open()
    b.melt()
    with b.view() as mv:
        mv[15] = 0xFF
    b.check()
    b.destroy()
    b.destroy()  # idempotent
    assert not b.alive and b.closed and len(b) == 0 and b.protection is Prot.NONE
    with pytest.raises(sm.SecretClosedError):
        b.with_bytes(bytes)
    with pytest.raises(sm.SecretClosedError):
        b.freeze()


def test_buffer_from_bytes_wipes_and_random():
    src = bytearray(b"buffer data")
    with Buffer.from_bytes(src) as b:
        assert src == bytearray(11) and b.with_bytes(bytes) == b"buffer data"
    with pytest.raises(TypeError):
        Buffer.from_bytes(b"immutable")
    with Buffer.random(32) as r:
        assert any(r.with_bytes(bytes))
    for bad, exc in ((0, sm.InvalidArgumentError), (-5, sm.InvalidArgumentError), ("x", TypeError)):
        with pytest.raises(exc):
            Buffer.new(bad)


def test_buffer_view_is_zero_copy_and_guarded():
    with Buffer.new(10) as b:
        with b.view() as a, b.view() as c:
            assert address_of(a) == address_of(c)
            assert (address_of(a) + 10) % sm.page_size() == 0
            a[3] = 42
            assert c[3] == 42


def test_buffer_state_changes_refuse_open_views():
    with Buffer.new(8) as b:
        with b.view() as mv:
            for change in (b.freeze, b.melt, b.noaccess, b.destroy, b.seal):
                with pytest.raises(BufferError, match="view"):
                    change()
            mv[0] = 1
        b.freeze()
        kept = []
        with pytest.raises(BufferError):
            b.with_bytes(lambda mv: kept.append(mv[1:]))
        with pytest.raises(BufferError):
            b.melt()
        assert bytes(kept[0]) == bytes(7)
        kept.clear()
        b.melt()


def test_buffer_kept_view_raises_value_error():
    kept = []
    with Buffer.new(4) as b:
        b.with_bytes(kept.append)
    with pytest.raises(ValueError):
        kept[0][0] = 1


def test_buffer_canary_error():
    b = Buffer.new(8)
    with b.view() as mv:
        with ffi.from_buffer(mv) as p:
            before = ffi.cast("uint8_t *", p) - 1  # the last canary byte
            before[0] ^= 0xFF
    with pytest.raises(sm.CanaryError) as info:
        b.check()
    assert info.value.code == "SM_ERR_CANARY"
    with pytest.raises(sm.CanaryError):
        b.destroy()  # still wiped and released
    assert not b.alive


def test_buffer_seal_then_open():
    with Buffer.from_bytes(bytearray(b"to be sealed")) as b:
        e = b.seal()
        assert not b.alive
        with e, e.open() as opened:
            assert opened.protection is Prot.READ
            assert opened.with_bytes(bytes) == b"to be sealed"


def test_purge_destroys_buffers_and_waits_for_views():
    b = Buffer.new(8)
    entered, done = threading.Event(), threading.Event()

    def holder():
        with b.view() as mv:
            entered.set()
            for i in range(20):
                mv[i % 8] = i  # safe: purge waits for this view
                threading.Event().wait(0.005)
        done.set()

    t = threading.Thread(target=holder)
    t.start()
    assert entered.wait(5)
    sm.purge()
    assert done.is_set()  # purge returned only after the view ended
    t.join(5)
    assert not b.alive
    with pytest.raises(sm.SecretClosedError):
        b.view().open()


def test_purge_inside_a_buffer_view_is_refused():
    with Buffer.new(8) as b:
        with b.view():
            with pytest.raises(sm.InvalidArgumentError):
                sm.purge()


def test_unclosed_buffer_warns():
    before = sm.stats().live_buffers
    with pytest.warns(ResourceWarning, match="unclosed buffer"):
        b = Buffer.new(8)
        del b
        gc.collect()
    assert sm.stats().live_buffers == before


# -- enclaves ----------------------------------------------------------------


def test_enclave_round_trip():
    src = bytearray(b"sealed at rest")
    with Enclave.from_bytes(src) as e:
        assert src == bytearray(14) and len(e) == 14 and e.size == 14
        with e.open() as b1, e.open() as b2:
            assert b1.with_bytes(bytes) == b2.with_bytes(bytes) == b"sealed at rest"
            assert b1.protection is Prot.READ
        with Buffer.new(14) as dst:
            e.open_into(dst)
            assert dst.protection is Prot.READWRITE and dst.with_bytes(bytes) == b"sealed at rest"
            dst.freeze()
            e.open_into(dst)
            assert dst.protection is Prot.READ and dst.with_bytes(bytes) == b"sealed at rest"
            with pytest.raises(BufferError):
                with dst.view():
                    e.open_into(dst)
        with Buffer.new(13) as wrong:
            with pytest.raises(sm.InvalidArgumentError):
                e.open_into(wrong)
        with pytest.raises(TypeError):
            e.open_into(bytearray(14))
    assert e.closed
    with pytest.raises(sm.SecretClosedError):
        e.open()
    e.close()  # idempotent


def test_enclave_random_and_bad_input():
    with Enclave.random(64) as e, e.open() as b:
        assert any(b.with_bytes(bytes))
    with pytest.raises(TypeError):
        Enclave.from_bytes(b"immutable")
    with pytest.raises(sm.InvalidArgumentError):
        Enclave.from_bytes(bytearray())
    with pytest.raises(sm.InvalidArgumentError):
        Enclave.random(-1)
    with pytest.raises(TypeError):
        Enclave()


def test_enclave_sealed_before_purge_fails_authentication():
    e = Enclave.from_bytes(bytearray(b"old key"))
    sm.purge()
    with pytest.raises(sm.AuthenticationError) as info:
        e.open()
    assert info.value.code == "SM_ERR_AUTH"
    e.close()
    with Enclave.from_bytes(bytearray(b"new key")) as fresh, fresh.open() as b:
        assert b.with_bytes(bytes) == b"new key"


def test_enclave_concurrent_open_and_close():
    e = Enclave.random(32)
    errors = []

    def opener():
        for _ in range(200):
            try:
                with e.open() as b:
                    b.with_bytes(len)
            except sm.SecretClosedError:
                return
            except BaseException as exc:
                errors.append(repr(exc))
                return

    threads = [threading.Thread(target=opener) for _ in range(4)]
    for t in threads:
        t.start()
    e.close()
    for t in threads:
        t.join(30)
    assert errors == [] and not any(t.is_alive() for t in threads)


def test_unclosed_enclave_warns():
    with pytest.warns(ResourceWarning, match="unclosed enclave"):
        e = Enclave.random(8)
        del e
        gc.collect()


# -- streams -----------------------------------------------------------------


@pytest.mark.parametrize("chunk", [0, 1, 100, 4096])
def test_stream_round_trip(chunk):
    data = bytes(range(256)) * 70  # 17920 bytes
    with Stream(chunk) as s:
        assert s.chunk_size == (chunk or 4 * sm.page_size())
        assert s.readable() and s.writable() and not s.seekable()
        assert s.write(data) == len(data) and len(s) == len(data)
        out = bytearray()
        sizes = [1, 7, 4096, 3, 10000]
        for n in sizes:
            out += s.read(n)
        out += s.read()
        assert bytes(out) == data and len(s) == 0
        assert s.read(10) == b"" and s.readinto(bytearray(3)) == 0


def test_stream_next_and_flush():
    with Stream(100) as s:
        s.write(b"a" * 250)
        with s.next() as c1:
            assert len(c1) == 100 and c1.protection is Prot.READ
        with s.flush() as rest:
            assert rest.with_bytes(bytes) == b"a" * 150
        for take in (s.next, s.flush):
            with pytest.raises(sm.EndOfStreamError) as info:
                take()
            assert isinstance(info.value, EOFError)


def test_stream_is_file_like():
    data = b"x" * 5000 + b"y" * 5000
    with Stream() as s:
        shutil.copyfileobj(io.BytesIO(data), s)
        sink = io.BytesIO()
        shutil.copyfileobj(s, sink)
        assert sink.getvalue() == data
        with sm.Secret.from_bytes(bytearray(b"from a secret")) as secret:
            with secret.view() as mv:
                s.write(mv)  # zero-copy source: a secret's own view
        assert s.read() == b"from a secret"
        with pytest.raises(TypeError):
            s.write("text")
        with pytest.raises(TypeError):
            s.readinto(b"read-only")


def test_stream_after_purge_and_close():
    s, empty = Stream(64), Stream(64)
    s.write(b"z" * 200)
    sm.purge()
    # A stream that held data lost it for good; an empty one stays usable.
    assert len(s) == 0
    for take in (lambda: s.read(10), s.next, s.flush):
        with pytest.raises(sm.AuthenticationError):
            take()
    with pytest.raises(sm.SecretClosedError):
        s.write(b"more")
    empty.write(b"after")
    assert empty.read() == b"after"
    empty.close()
    s.close()
    assert s.closed
    for op in (lambda: s.write(b"a"), lambda: s.read(1), s.next, lambda: len(s)):
        with pytest.raises(sm.SecretClosedError):
            op()
    with pytest.raises(sm.InvalidArgumentError):
        Stream(-1)
    with pytest.raises(sm.InvalidArgumentError):
        Stream(2**40)


def test_stream_threads():
    s = Stream(128)
    chunk = bytes(range(200))

    def writer():
        for _ in range(50):
            s.write(chunk)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(s) == 4 * 50 * 200
    got = bytearray()
    while True:
        part = s.read(333)
        if not part:
            break
        got += part
    assert len(got) == 40000 and bytes(got[:200]) == chunk
    s.close()


def test_unclosed_stream_warns():
    with pytest.warns(ResourceWarning, match="unclosed stream"):
        s = Stream()
        s.write(b"abc")
        del s
        gc.collect()


def test_buffer_views_in_threads_race_with_purge_without_faulting():
    buffers = [Buffer.new(64) for _ in range(4)]
    errors, stop = [], threading.Event()

    def writer(b):
        while not stop.is_set():
            try:
                with b.view() as mv:
                    for i in range(64):
                        mv[i] = i  # a fault here would kill the test process
            except sm.SecretClosedError:
                return  # purged
            except BaseException as e:
                errors.append(repr(e))
                return

    threads = [threading.Thread(target=writer, args=(b,)) for b in buffers]
    for t in threads:
        t.start()
    threading.Event().wait(0.05)
    sm.purge()
    stop.set()
    for t in threads:
        t.join(30)
    assert errors == [] and not any(t.is_alive() for t in threads)
    assert not any(b.alive for b in buffers)
