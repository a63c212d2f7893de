"""Guarded buffers: mutable bytes between guard pages (sm_buffer)."""

from __future__ import annotations

import enum
import threading
import warnings
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from . import _access
from ._errors import InvalidArgumentError, SecretClosedError, check
from ._lib import ffi, lib, size_arg, wipeable

if TYPE_CHECKING:
    from ._enclave import Enclave

__all__ = ["Prot", "Buffer", "BufferView"]

T = TypeVar("T")


class Prot(enum.IntEnum):
    """Page protection of a buffer's data (sm_prot)."""

    NONE = lib.SM_PROT_NONE
    READ = lib.SM_PROT_READ
    READWRITE = lib.SM_PROT_READWRITE


class Buffer(_access.Host):
    """A guarded buffer: [guard page][canary | data][guard page].

    Its data is reached through view() / with_bytes(): a zero-copy
    memoryview, writable while the buffer is READWRITE and read-only while
    it is READ. Protection changes, destroy() and seal() refuse (BufferError)
    while a view is open, as a bytearray refuses to resize while exported.
    A buffer garbage collected while alive is destroyed with a
    ResourceWarning.
    """

    __slots__ = ("_h", "_state_lock", "__weakref__")

    def __init__(self) -> None:
        raise TypeError("use Buffer.new(), Buffer.random() or Buffer.from_bytes()")

    @classmethod
    def _wrap(cls, handle: Any) -> Buffer:
        self = cls.__new__(cls)
        _access.Host.__init__(self)
        self._h = handle
        self._state_lock = threading.Lock()
        return self

    @classmethod
    def new(cls, size: int) -> Buffer:
        """A zeroed, read-write buffer of `size` bytes."""
        n = size_arg(size, "size")
        out = ffi.new("sm_buffer **")
        check(lib.sm_buffer_new(n, out), "cannot create the buffer")
        return cls._wrap(out[0])

    @classmethod
    def random(cls, size: int) -> Buffer:
        """A read-write buffer of `size` random bytes."""
        n = size_arg(size, "size")
        out = ffi.new("sm_buffer **")
        check(lib.sm_buffer_new_random(n, out), "cannot create the buffer")
        return cls._wrap(out[0])

    @classmethod
    def from_bytes(cls, data: Any) -> Buffer:
        """A read-write buffer holding a copy of `data`, which is then wiped.

        `data` must be writable memory (bytearray); bytes is refused with a
        TypeError since it cannot be wiped.
        """
        out = ffi.new("sm_buffer **")
        with wipeable(data) as src:
            st = lib.sm_buffer_new_from_bytes(src, len(src), out)
        check(st, "cannot create the buffer")
        return cls._wrap(out[0])

    # -- access ------------------------------------------------------------
    def view(self) -> BufferView:
        """A context manager giving a zero-copy memoryview of the data.

        Writable while the buffer is READWRITE, read-only while READ;
        InvalidArgumentError while NONE (no access), SecretClosedError once
        destroyed. The memoryview is released when the block ends.
        """
        return BufferView(self)

    def with_bytes(self, fn: Callable[[memoryview], T]) -> T:
        """Call fn(view) with the zero-copy memoryview; return its result."""
        with BufferView(self) as mv:
            return fn(mv)

    # -- state ---------------------------------------------------------------
    def __len__(self) -> int:
        return int(lib.sm_buffer_size(self._h))

    @property
    def size(self) -> int:
        """The data length in bytes; 0 once destroyed."""
        return int(lib.sm_buffer_size(self._h))

    @property
    def alive(self) -> bool:
        """True while the buffer holds memory (not destroyed or purged)."""
        return bool(lib.sm_buffer_is_alive(self._h))

    @property
    def closed(self) -> bool:
        return not self.alive

    @property
    def protection(self) -> Prot:
        return Prot(lib.sm_buffer_protection(self._h))

    def _change(self, action: str, fn: Callable[[Any], int]) -> None:
        with self._state_lock:
            if self._views_open():
                raise BufferError(f"cannot {action} the buffer while a view of it is open")
            self._check_no_leaks(f"{action} the buffer")
            check(fn(self._h), f"cannot {action} the buffer")

    def freeze(self) -> None:
        """Make the data read-only."""
        self._change("freeze", lib.sm_buffer_freeze)

    def melt(self) -> None:
        """Make the data read-write."""
        self._change("melt", lib.sm_buffer_melt)

    def noaccess(self) -> None:
        """Make the data inaccessible (views are refused until melt/freeze)."""
        self._change("protect", lib.sm_buffer_noaccess)

    def check(self) -> None:
        """Verify the canary now; CanaryError if something wrote before the data."""
        check(lib.sm_buffer_check(self._h))

    def destroy(self) -> None:
        """Wipe the data, verify the canary, release the memory. Idempotent."""
        self._change("destroy", lib.sm_buffer_destroy)

    close = destroy

    def seal(self) -> Enclave:
        """Seal the data into a new Enclave, then destroy this buffer."""
        from ._enclave import Enclave

        out = ffi.new("sm_enclave **")
        self._change("seal", lambda h: lib.sm_buffer_seal(h, out))
        return Enclave._wrap(out[0])

    def __enter__(self) -> Buffer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.destroy()

    def __del__(self) -> None:
        h = getattr(self, "_h", None)
        if h is None:
            return
        self._h = None
        if lib.sm_buffer_is_alive(h):
            warnings.warn(
                f"unclosed buffer of {lib.sm_buffer_size(h)} bytes",
                ResourceWarning,
                stacklevel=2,
                source=self,
            )
        lib.sm_buffer_free(h)

    def __repr__(self) -> str:
        if self._h is None:
            return "<securememory.Buffer freed>"
        if not self.alive:
            return "<securememory.Buffer destroyed>"
        return f"<securememory.Buffer {len(self)} bytes {self.protection.name}>"


class BufferView(_access.View):
    """`with buffer.view() as mv:` — see Buffer.view()."""

    __slots__ = ("_buffer",)

    def __init__(self, buffer: Buffer) -> None:
        if not isinstance(buffer, Buffer):
            raise TypeError("BufferView needs a Buffer")
        self._unopened = [True]  # as View.__init__ (inlined: a hot path)
        self._open = None
        self._buffer = buffer

    def _grant(self) -> tuple[Any, memoryview]:
        b = self._buffer
        _access.enter_buffer_view()  # counted for purge(); waits while one runs
        granting = False
        try:
            with b._state_lock:  # the grant is visible to _change() at once
                ptr = lib.sm_buffer_data(b._h)
                if ptr == ffi.NULL:
                    raise SecretClosedError("the buffer is destroyed")
                prot = lib.sm_buffer_protection(b._h)
                if prot == lib.SM_PROT_NONE:
                    raise InvalidArgumentError(
                        "the buffer is no-access; melt() or freeze() it before viewing"
                    )
                size = int(lib.sm_buffer_size(b._h))
                address = int(ffi.cast("uintptr_t", ptr))
                # Nothing to undo in the core when the access ends; the grant
                # keeps the Buffer alive until then and calls on_end, also
                # when it fails.
                granting = True
                return _access.buffer_grant(
                    b, address, size, prot == lib.SM_PROT_READ, _access.buffer_view_ended
                )
        finally:
            if not granting:
                _access.buffer_view_ended()
