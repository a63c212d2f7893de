"""Secrets: immutable bytes behind a counted access protocol."""

from __future__ import annotations

import enum
import io
import warnings
from typing import Any, Callable, TypeVar

from . import _access
from ._errors import EndOfStreamError, InvalidArgumentError, check
from ._lib import ffi, lib, size_arg, wipeable, writable

__all__ = ["Kind", "Secret", "SecretFactory", "SecretView", "SecretReader"]

T = TypeVar("T")

_secret_with_bytes = _access.secret_with_bytes


class Kind(enum.IntEnum):
    """How a secret is kept at rest (sm_kind)."""

    #: Guarded, locked pages with no access at rest, read-only while accessed.
    PROTECTED = lib.SM_KIND_PROTECTED
    #: Encrypted at rest; decrypted into a guarded buffer only while accessed.
    ENCLAVE = lib.SM_KIND_ENCLAVE


def _kind_arg(kind: Any) -> Kind:
    if isinstance(kind, Kind):
        return kind
    if isinstance(kind, str):
        try:
            return Kind[kind.upper()]
        except KeyError:
            raise InvalidArgumentError(f"unknown secret kind {kind!r}") from None
    if isinstance(kind, int) and not isinstance(kind, bool):
        try:
            return Kind(kind)
        except ValueError:
            raise InvalidArgumentError(f"unknown secret kind {kind!r}") from None
    raise TypeError(f"kind must be a securememory.Kind, not {type(kind).__name__}")


class Secret(_access.Host):
    """Immutable secret bytes in guarded memory (sm_secret).

    Create with Secret.from_bytes() or Secret.random(); read with
    with_bytes(), view(), read_into() or reader(); close() wipes it. Every
    method may be called from any thread. A secret that is garbage collected
    without close() is closed then, with a ResourceWarning, as files are.
    """

    __slots__ = ("_h", "_addr", "__weakref__")

    def __init__(self) -> None:
        raise TypeError("use Secret.from_bytes() or Secret.random()")

    @classmethod
    def _wrap(cls, handle: Any) -> Secret:
        self = cls.__new__(cls)
        _access.Host.__init__(self)
        self._h = handle
        # The handle's address, for the C glue of with_bytes() and view().
        self._addr = int(ffi.cast("uintptr_t", handle))
        return self

    @classmethod
    def from_bytes(cls, data: Any, kind: Kind = Kind.PROTECTED) -> Secret:
        """A secret holding a copy of `data`, which is then wiped (zeroed).

        `data` must be writable memory (a bytearray, a writable memoryview):
        bytes is refused with a TypeError, since it cannot be wiped. The
        wipe happens on every path, failures included.
        """
        out = ffi.new("sm_secret **")
        with wipeable(data) as src:
            try:
                k = _kind_arg(kind)
            except BaseException:
                lib.sm_wipe(src, len(src))  # as the core does: wiped on every path
                raise
            st = lib.sm_secret_new(k, src, len(src), out)
        check(st, "cannot create the secret")
        return cls._wrap(out[0])

    @classmethod
    def random(cls, size: int, kind: Kind = Kind.PROTECTED) -> Secret:
        """A secret of `size` random bytes generated straight into guarded memory."""
        k = _kind_arg(kind)
        n = size_arg(size, "size")
        out = ffi.new("sm_secret **")
        check(lib.sm_secret_new_random(k, n, out), "cannot create the secret")
        return cls._wrap(out[0])

    # -- access ------------------------------------------------------------
    def view(self) -> SecretView:
        """A context manager giving a read-only, zero-copy memoryview.

        `with secret.view() as mv:` — mv is over the protected memory itself
        and is released when the block ends; keeping it and touching it
        later raises ValueError.
        """
        return SecretView(self)

    def with_bytes(self, fn: Callable[[memoryview], T]) -> T:
        """Call fn(view) with a read-only, zero-copy memoryview; return its result.

        The view is released when fn returns, so a reference kept past that
        raises ValueError on use. An exception raised by fn ends the access
        and propagates unchanged. A view derived from it (a slice, cast,
        .obj or export) that outlives fn raises BufferError, and keeps the
        access open until that object is garbage collected.
        """
        # One call into the C glue: acquire, fn(view), release, escape check
        # (securememory/_access.py).
        return _secret_with_bytes(self, self._addr, fn)

    def read_into(self, buffer: Any, offset: int = 0) -> int:
        """Copy bytes from `offset` into `buffer` (writable); return the count.

        The copy is yours to wipe. Raises EndOfStreamError when `offset` is at
        or past the end, InvalidArgumentError for an empty buffer (sm_secret_read).
        """
        off = size_arg(offset, "offset")
        nread = ffi.new("size_t *")
        with writable(buffer, "buffer") as dst:
            st = lib.sm_secret_read(self._h, off, dst, len(dst), nread)
        check(st, "cannot read the secret")
        return int(nread[0])

    def reader(self) -> SecretReader:
        """A read-only binary stream (io.RawIOBase) over the secret's bytes.

        Prefer readinto() with a bytearray you wipe afterwards: read()
        returns bytes, an immutable copy that cannot be wiped.
        """
        return SecretReader(self)

    # -- state ---------------------------------------------------------------
    def __len__(self) -> int:
        return int(lib.sm_secret_size(self._h))

    @property
    def size(self) -> int:
        """The length in bytes (also after close)."""
        return int(lib.sm_secret_size(self._h))

    @property
    def kind(self) -> Kind:
        return Kind(lib.sm_secret_kind(self._h))

    @property
    def closed(self) -> bool:
        """True once closed or purged."""
        return bool(lib.sm_secret_is_closed(self._h))

    def close(self) -> None:
        """Wipe and release the secret; later access raises SecretClosedError.

        Waits for views open in other threads (the GIL is released while it
        waits). Idempotent. Calling it inside a view of the same secret on
        the same thread raises InvalidArgumentError instead of deadlocking.
        """
        if self._held_by_me():
            raise InvalidArgumentError(
                "close() called inside a view of this secret on the same thread; "
                "it would wait for that view forever"
            )
        self._check_no_leaks("close the secret")
        check(lib.sm_secret_close(self._h))

    def __enter__(self) -> Secret:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        h = getattr(self, "_h", None)
        if h is None:
            return
        self._h = None
        self._addr = 0
        if not lib.sm_secret_is_closed(h):
            warnings.warn(
                f"unclosed secret of {lib.sm_secret_size(h)} bytes",
                ResourceWarning,
                stacklevel=2,
                source=self,
            )
        lib.sm_secret_free(h)

    def __repr__(self) -> str:
        if self._h is None:
            return "<securememory.Secret freed>"
        state = "closed" if self.closed else "open"
        return f"<securememory.Secret {self.kind.name} {len(self)} bytes {state}>"


class SecretView(_access.View):
    """`with secret.view() as mv:` — see Secret.view()."""

    __slots__ = ("_secret",)

    def __init__(self, secret: Secret) -> None:
        if not isinstance(secret, Secret):
            raise TypeError("SecretView needs a Secret")
        self._unopened = [True]  # as View.__init__ (inlined: a hot path)
        self._open = None
        self._secret = secret

    def _grant(self) -> tuple[Any, memoryview]:
        secret = self._secret
        return _access.secret_grant(secret, secret._addr)


class SecretReader(io.RawIOBase):
    """A seekable, read-only binary stream over a secret (Secret.reader())."""

    def __init__(self, secret: Secret) -> None:
        super().__init__()
        self._secret = secret
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._checkClosed()
        with memoryview(buffer) as mv:
            if mv.nbytes == 0:
                return 0
        try:
            n = self._secret.read_into(buffer, self._pos)
        except EndOfStreamError:
            return 0
        self._pos += n
        return n

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._checkClosed()
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = len(self._secret) + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if pos < 0:
            raise ValueError(f"negative seek position {pos}")
        self._pos = pos
        return pos

    def tell(self) -> int:
        self._checkClosed()
        return self._pos


class SecretFactory:
    """Creates secrets of one kind: SecretFactory(Kind.ENCLAVE).new(data)."""

    def __init__(self, kind: Kind = Kind.PROTECTED) -> None:
        self.kind = _kind_arg(kind)

    def new(self, data: Any) -> Secret:
        """Secret.from_bytes(data, kind) — wipes data."""
        return Secret.from_bytes(data, self.kind)

    def create_random(self, size: int) -> Secret:
        """Secret.random(size, kind)."""
        return Secret.random(size, self.kind)

    def __repr__(self) -> str:
        return f"SecretFactory(Kind.{self.kind.name})"
