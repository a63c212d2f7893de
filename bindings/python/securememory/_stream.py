"""Streams: a FIFO of enclave-sealed chunks for data too large to hold decrypted."""

from __future__ import annotations

from typing import Any

from . import _access
from ._buffer import Buffer
from ._errors import EndOfStreamError, SecretClosedError, check
from ._lib import ffi, lib, readable, size_arg, writable

__all__ = ["Stream"]


class Stream(_access.HandleOwner):
    """A thread-safe FIFO of sealed chunks (sm_stream), usable as a binary file.

    write() appends (the data is copied, not wiped); read() / readinto()
    move bytes out of the front across chunks, returning b"" / 0 once the
    stream is empty, as files do at EOF; next() and flush() move the next
    chunk / everything into a new read-only Buffer and raise
    EndOfStreamError when the stream is empty. Note that flush() is not a
    file flush: it drains the stream.
    """

    __slots__ = ("_handle", "_chunk", "__weakref__")

    def __init__(self, chunk_size: int = 0) -> None:
        """An empty stream with chunks of chunk_size bytes (0 = 4 pages)."""
        n = size_arg(chunk_size, "chunk_size")
        out = ffi.new("sm_stream **")
        check(lib.sm_stream_new(n, out), "cannot create the stream")
        self._chunk = int(lib.sm_stream_chunk_size(out[0]))
        self._handle = _access.Handle(out[0], lib.sm_stream_free, "stream")

    @property
    def chunk_size(self) -> int:
        return self._chunk

    def __len__(self) -> int:
        """Bytes currently queued."""
        with self._handle.use() as h:
            return int(lib.sm_stream_size(h))

    @property
    def size(self) -> int:
        return len(self)

    # -- writing -------------------------------------------------------------
    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        """Append a copy of `data` (any bytes-like object; not wiped). Returns len."""
        with readable(data) as src, self._handle.use() as h:
            n = len(src)
            check(lib.sm_stream_write(h, src, n), "cannot write to the stream")
        return n

    # -- reading -------------------------------------------------------------
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read_into(self, buffer: Any) -> int:
        """Move up to len(buffer) bytes into `buffer`; return the count.

        The core call's semantics (sm_stream_read): EndOfStreamError when the
        stream is empty, InvalidArgumentError for an empty buffer. readinto()
        is the same with the file idiom (0 for both).
        """
        nread = ffi.new("size_t *")
        with writable(buffer, "buffer") as dst, self._handle.use() as h:
            st = lib.sm_stream_read(h, dst, len(dst), nread)
        check(st, "cannot read the stream")
        return int(nread[0])

    def readinto(self, buffer: Any) -> int:
        """Move up to len(buffer) bytes into `buffer`; 0 when the stream is empty."""
        if self.closed:
            raise SecretClosedError("the stream is closed")
        with memoryview(buffer) as mv:
            if mv.nbytes == 0:
                return 0
        try:
            return self.read_into(buffer)
        except EndOfStreamError:
            return 0

    def read(self, size: int = -1) -> bytes:
        """Move up to `size` bytes out (all when negative); b"" when empty.

        The result is an ordinary bytes copy that cannot be wiped; prefer
        readinto() with a bytearray, or next() / flush() for guarded buffers.
        """
        if size is None or size < 0:
            size = len(self)
        n = size_arg(size, "size")
        if n == 0:
            return b""
        buf = bytearray(n)
        got = self.readinto(buf)
        with memoryview(buf) as mv:
            data = bytes(mv[:got])
        lib.sm_wipe(ffi.from_buffer(buf), n)  # do not leave a second copy behind
        return data

    def next(self) -> Buffer:
        """Move the next chunk (at most chunk_size bytes) into a read-only Buffer."""
        return self._take(lib.sm_stream_next, "next chunk")

    def flush(self) -> Buffer:
        """Move everything queued into one read-only Buffer (drains the stream)."""
        return self._take(lib.sm_stream_flush, "stream contents")

    def _take(self, fn: Any, what: str) -> Buffer:
        out = ffi.new("sm_buffer **")
        with self._handle.use() as h:
            st = fn(h, out)
        if st == lib.SM_ERR_EOF:
            raise EndOfStreamError("the stream is empty")
        check(st, f"cannot take the {what}")
        return Buffer._wrap(out[0])

    # -- lifetime ------------------------------------------------------------
    def __repr__(self) -> str:
        if self.closed:
            return "<securememory.Stream closed>"
        return f"<securememory.Stream {len(self)} bytes queued, chunk {self._chunk}>"
