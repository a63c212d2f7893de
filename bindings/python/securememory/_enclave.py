"""Enclaves: data sealed with XChaCha20-Poly1305 under the process key."""

from __future__ import annotations

from typing import Any

from . import _access
from ._buffer import Buffer
from ._errors import check
from ._lib import ffi, lib, size_arg, wipeable

__all__ = ["Enclave"]


class Enclave(_access.HandleOwner):
    """Sealed (encrypted) bytes; open() decrypts into a new read-only Buffer.

    Immutable; any number of threads may open it at once. close() frees the
    ciphertext (after calls in flight on other threads return); an enclave
    garbage collected without close() is freed with a ResourceWarning.
    Enclaves sealed before a purge() cannot be opened (AuthenticationError).
    """

    __slots__ = ("_handle", "_size", "__weakref__")

    def __init__(self) -> None:
        raise TypeError("use Enclave.from_bytes(), Enclave.random() or Buffer.seal()")

    @classmethod
    def _wrap(cls, ptr: Any) -> Enclave:
        self = cls.__new__(cls)
        self._size = int(lib.sm_enclave_size(ptr))
        self._handle = _access.Handle(ptr, lib.sm_enclave_free, "enclave")
        return self

    @classmethod
    def from_bytes(cls, data: Any) -> Enclave:
        """Seal a copy of `data` (writable, e.g. bytearray), then wipe `data`."""
        out = ffi.new("sm_enclave **")
        with wipeable(data) as src:
            st = lib.sm_enclave_new(src, len(src), out)
        check(st, "cannot seal the enclave")
        return cls._wrap(out[0])

    @classmethod
    def random(cls, size: int) -> Enclave:
        """Seal `size` random bytes (generated in guarded memory)."""
        n = size_arg(size, "size")
        out = ffi.new("sm_enclave **")
        check(lib.sm_enclave_new_random(n, out), "cannot seal the enclave")
        return cls._wrap(out[0])

    def open(self) -> Buffer:
        """Decrypt into a new guarded, read-only Buffer (yours to destroy)."""
        out = ffi.new("sm_buffer **")
        with self._handle.use() as h:
            st = lib.sm_enclave_open(h, out)
        check(st, "cannot open the enclave")
        return Buffer._wrap(out[0])

    def open_into(self, buffer: Buffer) -> None:
        """Decrypt into an alive buffer of exactly len(self) bytes.

        A writable buffer stays writable; a read-only or no-access one is
        left read-only.
        """
        if not isinstance(buffer, Buffer):
            raise TypeError(f"buffer must be a securememory.Buffer, not {type(buffer).__name__}")
        with self._handle.use() as h:
            buffer._change("open an enclave into", lambda b: lib.sm_enclave_open_into(h, b))

    def __len__(self) -> int:
        return self._size

    @property
    def size(self) -> int:
        """The plaintext size in bytes."""
        return self._size

    def _unclosed_message(self) -> str:
        return f"unclosed enclave of {self._size} bytes"

    def __repr__(self) -> str:
        state = "closed" if self.closed else "sealed"
        return f"<securememory.Enclave {self._size} bytes {state}>"
