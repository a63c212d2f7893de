"""Zero-copy views of guarded memory, and their coordination with purge.

A view is a memoryview straight over the library's guarded pages (no copy).
Those pages become inaccessible (PROT_NONE) or are unmapped when the access
ends, so a memoryview that outlives its access would crash the process on
its next touch. Two mechanisms prevent that:

1. When the access ends the memoryview is release()d: any later use of it
   raises ValueError ("operation forbidden on released memoryview object").

2. A *derived* view (a slice `mv[2:]`, `mv.cast(...)`, `memoryview(mv)`,
   `mv.obj`, a NumPy array over it) shares the underlying export and is not
   invalidated by mv.release(). Each view is therefore built on a cffi
   buffer whose only owner should be the view itself; when the access ends
   and something else still references that buffer, a derived view escaped.
   The access is then NOT ended (the bytes stay mapped and readable, so the
   escaped view cannot fault); it ends when the escaped object is garbage
   collected (an ffi.gc() destructor), and the misuse is reported with a
   BufferError. CPython's reference counting makes that check exact.

The module also keeps the process-wide bookkeeping that purge() and exit()
need: which threads hold views (a thread that purges while holding a view
would wait for itself forever, so that is refused), how many buffer views
are open (the core's purge does not wait for buffer users, so purge() waits
for them here), and which accesses leaked (see 2).
"""

from __future__ import annotations

import gc
import sys
import threading
import time
import warnings
from typing import Any, Callable

from ._errors import InvalidArgumentError, SecretClosedError
from ._lib import ffi

# Reentrant: an ffi.gc() destructor (the end of a leaked access) may run on
# any thread at any allocation, also while this thread holds the lock.
_cond = threading.Condition(threading.RLock())
_held: dict[int, int] = {}  # thread ident -> views it opened and has not left
_buffer_views = 0  # buffer views whose access has not ended (all threads)
_leaked: set[Access] = set()  # views whose access waits for an escaped object
_purging = False


def thread_holds_views() -> bool:
    """True when the calling thread is inside a view (with_bytes, view())."""
    with _cond:
        return _held.get(threading.get_ident(), 0) > 0


def _enter(is_buffer: bool) -> int:
    global _buffer_views
    me = threading.get_ident()
    with _cond:
        if is_buffer:
            while _purging:
                if _held.get(me, 0) > 0:
                    # Waiting here while holding another view could deadlock
                    # with the purge, which waits for that view.
                    raise SecretClosedError("a purge is in progress")
                _cond.wait()
            _buffer_views += 1
        _held[me] = _held.get(me, 0) + 1
    return me


def _leave(owner: int) -> None:
    with _cond:
        left = _held[owner] - 1
        if left:
            _held[owner] = left
        else:
            del _held[owner]


def _buffer_view_ended() -> None:
    global _buffer_views
    with _cond:
        _buffer_views -= 1
        _cond.notify_all()


def _collect_leaks() -> None:
    if _leaked:
        gc.collect()


def begin_purge() -> None:
    """Wait until no buffer view is open and block new ones (for purge())."""
    global _purging
    if thread_holds_views():
        raise InvalidArgumentError(
            "purge() called inside a view on the same thread; it would wait for "
            "that view forever"
        )
    _collect_leaks()
    with _cond:
        if _leaked:
            raise BufferError(
                f"{len(_leaked)} view(s) derived from secret memory are still "
                "referenced; purge() would wait for them forever. Drop those "
                "references first."
            )
        while _purging:
            _cond.wait()
        _purging = True
        try:
            while _buffer_views:
                _cond.wait()
        except BaseException:  # e.g. KeyboardInterrupt while waiting
            _purging = False
            _cond.notify_all()
            raise


def end_purge() -> None:
    global _purging
    with _cond:
        _purging = False
        _cond.notify_all()


def prepare_exit(timeout: float | None = None) -> None:
    """Before the core purges and ends the process (exit(), signals).

    Leaked accesses are ended now (the process is ending; otherwise the
    purge would wait for them forever); open buffer views of other threads
    are waited for (up to `timeout` seconds when given), and no new ones are
    granted from here on.
    """
    global _purging
    _collect_leaks()
    with _cond:
        leaked = list(_leaked)
    for access in leaked:
        access.end()
    deadline = None if timeout is None else time.monotonic() + timeout
    with _cond:
        _purging = True
        while _buffer_views:
            if deadline is None:
                _cond.wait()
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                break
            _cond.wait(left)


class Access:
    """One granted access: ends exactly once, by release or by collection.

    Kept apart from View so that the ffi.gc() destructor references only
    this record, never the View or its memoryview: no reference cycle, and a
    View dropped without release ends its access as soon as it is freed.
    """

    __slots__ = ("revoke", "is_buffer", "owner", "host", "left", "ended", "leaked")

    def __init__(self, revoke: Callable[[], None], is_buffer: bool, host: Host) -> None:
        self.revoke = revoke
        self.is_buffer = is_buffer
        self.host = host
        self.owner = _enter(is_buffer)
        self.left = False
        self.ended = False
        self.leaked = False
        host._add_holder(self.owner)

    def leave(self) -> None:
        """The holder left the view (its with-block ended)."""
        with _cond:
            if self.left:
                return
            self.left = True
            _leave(self.owner)
            self.host._remove_holder(self.owner)

    def mark_leaked(self) -> None:
        with _cond:
            if not self.ended:
                self.leaked = True
                _leaked.add(self)
                self.host._leaks += 1

    def end(self, _cdata: Any = None) -> None:
        """End the access (idempotent); also the ffi.gc() destructor."""
        with _cond:
            if self.ended:
                return
            self.ended = True
            if self.leaked:
                _leaked.discard(self)
                self.host._leaks -= 1
        self.leave()
        try:
            self.revoke()
        finally:
            if self.is_buffer:
                _buffer_view_ended()


class View:
    """A zero-copy memoryview over guarded memory, as a context manager.

    Subclasses implement _grant() (start the access, return the pointer,
    length, read-only flag and the function that ends the access) and
    _host().
    """

    _is_buffer = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._opened = False
        self._mv: memoryview | None = None
        self._raw: Any = None
        self._token: Any = None
        self._access: Access | None = None

    def _grant(self) -> tuple[Any, int, bool, Callable[[], None]]:
        raise NotImplementedError

    def _host(self) -> Host:
        raise NotImplementedError

    def open(self) -> memoryview:
        """Start the access and return the memoryview (once per view)."""
        with self._lock:
            if self._opened:
                raise InvalidArgumentError("a view can be opened only once")
            self._opened = True
            host = self._host()
            holder = Access(no_revoke, self._is_buffer, host)
            try:
                ptr, length, readonly, revoke = self._grant()
            except BaseException:
                holder.end()
                raise
            holder.revoke = revoke
            token = ffi.gc(ffi.cast("uint8_t *", ptr), holder.end, size=0)
            raw = ffi.buffer(token, length)
            mv = memoryview(raw)
            if readonly:
                ro = mv.toreadonly()
                mv.release()
                mv = ro
            self._access, self._token, self._raw, self._mv = holder, token, raw, mv
            return mv

    @property
    def is_open(self) -> bool:
        return self._mv is not None

    def release(self, *, propagating: bool = False) -> None:
        """End the access; the memoryview is released (see the module doc).

        Raises InvalidArgumentError when the view is not open, and
        BufferError when a derived view outlived it (unless `propagating`,
        used while another exception is on its way out).
        """
        with self._lock:
            if self._mv is None:
                raise InvalidArgumentError(
                    "this view is not open: there is no access to release"
                )
            mv, raw, token, holder = self._mv, self._raw, self._token, self._access
            self._mv = self._raw = self._token = self._access = None
            assert holder is not None
            try:
                mv.release()
                exported = False
            except BufferError:  # something holds a buffer export of mv itself
                exported = True
            del mv
            # References to raw now: the local name and getrefcount's argument.
            escaped = exported or sys.getrefcount(raw) > 2
            del raw
            if escaped:  # recorded before leaving, so no state change slips in
                holder.mark_leaked()
            holder.leave()
            if not escaped:
                ffi.release(token)  # runs holder.end() now: ends the access
                return
            del token
        if not propagating:
            raise BufferError(
                "a view derived from the memoryview (a slice, cast, .obj or an "
                "export) outlived the access; the memory stays readable until "
                "that object is garbage collected"
            )

    def __enter__(self) -> memoryview:
        return self.open()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.release(propagating=exc_type is not None)


def no_revoke() -> None:
    pass


class Host:
    """Per-object view bookkeeping (secrets and buffers)."""

    __slots__ = ("_holders", "_leaks")

    def __init__(self) -> None:
        self._holders: dict[int, int] = {}
        self._leaks = 0

    def _add_holder(self, owner: int) -> None:
        with _cond:
            self._holders[owner] = self._holders.get(owner, 0) + 1

    def _remove_holder(self, owner: int) -> None:
        with _cond:
            left = self._holders[owner] - 1
            if left:
                self._holders[owner] = left
            else:
                del self._holders[owner]

    def _views_open(self) -> bool:
        with _cond:
            return bool(self._holders)

    def _held_by_me(self) -> bool:
        with _cond:
            return threading.get_ident() in self._holders

    def _check_no_leaks(self, action: str) -> None:
        if self._leaks:
            gc.collect()
        if self._leaks:
            raise BufferError(
                f"cannot {action}: a view derived from this object's memory is "
                "still referenced"
            )


class Handle:
    """A C handle whose only "close" is free (enclaves, streams).

    Calls run inside `with handle.use() as h:`; close() stops new calls,
    waits for the ones in flight on other threads, then frees the handle,
    so a close racing with a call never frees memory under it.
    """

    __slots__ = ("_ptr", "_free", "_users", "_closing", "_cond", "_what")

    def __init__(self, ptr: Any, free: Callable[[Any], None], what: str) -> None:
        self._ptr = ptr
        self._free = free
        self._users = 0
        self._closing = False
        self._cond = threading.Condition(threading.Lock())
        self._what = what

    @property
    def closed(self) -> bool:
        return self._closing

    def use(self) -> _HandleUse:
        return _HandleUse(self)

    def close(self) -> bool:
        """Free the handle; False when it was already closed."""
        with self._cond:
            if self._closing:
                return False
            self._closing = True
            while self._users:
                self._cond.wait()
            ptr, self._ptr = self._ptr, None
        self._free(ptr)
        return True


class HandleOwner:
    """The lifetime of an object that owns a Handle in `self._handle`:
    close(), a context manager that closes, and a ResourceWarning (then a
    close) when it is garbage collected unclosed, as files do.
    """

    __slots__ = ()
    _handle: Handle

    def _unclosed_message(self) -> str:
        return f"unclosed {type(self).__name__.lower()}"

    @property
    def closed(self) -> bool:
        return self._handle.closed

    def close(self) -> None:
        """Wipe and free what the object holds. Idempotent."""
        self._handle.close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle is None or handle.closed:
            return
        warnings.warn(self._unclosed_message(), ResourceWarning, stacklevel=2, source=self)
        handle.close()


class _HandleUse:
    __slots__ = ("_handle",)

    def __init__(self, handle: Handle) -> None:
        self._handle = handle

    def __enter__(self) -> Any:
        h = self._handle
        with h._cond:
            if h._closing:
                raise SecretClosedError(f"the {h._what} is closed")
            h._users += 1
            return h._ptr

    def __exit__(self, *exc: object) -> None:
        h = self._handle
        with h._cond:
            h._users -= 1
            if not h._users:
                h._cond.notify_all()
