"""Zero-copy views of guarded memory, and their coordination with purge.

A view is a memoryview straight over the library's guarded pages (no copy).
Those pages become inaccessible (PROT_NONE) or are unmapped when the access
ends, so a memoryview that outlives its access would crash the process on
its next touch. The extension's C glue (bindings/python/views_glue.c,
published as the module securememory._views) prevents that:

1. When the access ends the memoryview is release()d: any later use of it
   raises ValueError ("operation forbidden on released memoryview object").

2. A *derived* view (a slice `mv[2:]`, `mv.cast(...)`, `memoryview(mv)`,
   `mv.obj`, a NumPy array over it) shares the underlying export and is not
   invalidated by mv.release(). Each memoryview is therefore exported by a
   small object of its own that only the memoryview machinery references;
   if that exporter still exists once the memoryview is released, something
   derived from it escaped. The access is then NOT ended (the bytes stay
   mapped and readable, so the escaped view cannot fault); it ends when the
   exporter is garbage collected, and the misuse is reported with a
   BufferError.

Each open access (a "grant") also records the thread that opened it, so
that close(), purge() and exit() can refuse to wait for a view of their own
thread (they would wait forever). Secret.with_bytes() is a single call into
the glue: acquire, fn(view), release, the escape check and that record.

This module keeps the rest of the process-wide bookkeeping that purge() and
exit() need: how many buffer views are open (the core's purge does not wait
for buffer users, so purge() waits for them here) and which accesses leaked
(see 2).
"""

from __future__ import annotations

import gc
import sys
import threading
import time
import warnings
from typing import Any, Callable

from ._errors import InvalidArgumentError, SecretClosedError, raise_for
from ._lib import lib

if lib.smpy_views_init() != 0:  # pragma: no cover - only when out of memory
    raise ImportError("securememory: cannot initialise securememory._views")
_views: Any = sys.modules["securememory._views"]

#: secret_with_bytes(secret, handle_address, fn): Secret.with_bytes() in C.
secret_with_bytes: Callable[[Any, int, Callable[[memoryview], Any]], Any]
secret_with_bytes = _views.secret_with_bytes
#: secret_grant(secret, handle_address) -> (grant, memoryview)
secret_grant = _views.secret_grant
#: buffer_grant(buffer, data_address, size, readonly, on_end) -> (grant, memoryview)
buffer_grant = _views.buffer_grant
_finish = _views.finish
#: True when the calling thread is inside a view (with_bytes, view()).
thread_holds_views: Callable[[], bool] = _views.thread_in_view

# Reentrant: the end of a leaked access (the collection of an escaped view)
# may run on any thread at any allocation, also while this thread holds it.
_cond = threading.Condition(threading.RLock())
_buffer_views = 0  # buffer views whose access has not ended (all threads)
_leaked: set[Any] = set()  # accesses kept open for an escaped object
_purging = False


def enter_buffer_view() -> None:
    """Count a buffer view about to open; waits while a purge runs."""
    global _buffer_views
    with _cond:
        while _purging:
            if thread_holds_views():
                # Waiting here while holding another view could deadlock
                # with the purge, which waits for that view.
                raise SecretClosedError("a purge is in progress")
            _cond.wait()
        _buffer_views += 1


def buffer_view_ended() -> None:
    """A buffer view's access ended (the on_end of its grant)."""
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
    _views.end_orphans()
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


class _Leak:
    """An access kept open for an escaped view, until that view is collected."""

    __slots__ = ("host", "done")

    def __init__(self, host: Host) -> None:
        self.host = host
        self.done = False
        with _cond:
            _leaked.add(self)
            host._leaks += 1

    def ended(self) -> None:
        with _cond:
            if self.done:
                return
            self.done = True
            _leaked.discard(self)
            self.host._leaks -= 1


def _on_leak(host: Host) -> Callable[[], None]:
    return _Leak(host).ended


def _acquire_failed(status: int) -> None:
    raise_for(status, "cannot access the secret")


_views.configure(_acquire_failed, _on_leak)


class View:
    """A zero-copy memoryview over guarded memory, as a context manager.

    Subclasses implement _grant(): start the access and return the grant
    and its memoryview (secret_grant() or buffer_grant()). A View dropped
    without release ends its access as soon as it is freed.

    No lock: open() claims the view by popping a one-item list and
    release() finishes the grant in C, both atomic under the GIL; a grant
    finished twice (two threads releasing at once) is refused by the glue.
    """

    __slots__ = ("_unopened", "_open")

    def __init__(self) -> None:
        self._unopened = [True]  # popped by the one open()
        self._open: tuple[Any, memoryview] | None = None  # (grant, memoryview)

    #: Set by each subclass (SecretView, BufferView): starts the access.
    _grant: Callable[[], tuple[Any, memoryview]]

    def open(self) -> memoryview:
        """Start the access and return the memoryview (once per view)."""
        try:
            self._unopened.pop()
        except IndexError:
            raise InvalidArgumentError("a view can be opened only once") from None
        self._open = pair = self._grant()
        return pair[1]

    @property
    def is_open(self) -> bool:
        return self._open is not None

    def release(self, *, propagating: bool = False) -> None:
        """End the access; the memoryview is released (see the module doc).

        Raises InvalidArgumentError when the view is not open, and
        BufferError when a derived view outlived it (unless `propagating`,
        used while another exception is on its way out).
        """
        pair = self._open
        self._open = None
        try:
            if pair is None:
                raise ValueError
            # False: an escaped object keeps the access open until collected.
            ended = _finish(*pair)
        except ValueError:  # not open, or finished by another thread meanwhile
            raise InvalidArgumentError(
                "this view is not open: there is no access to release"
            ) from None
        del pair
        if not ended and not propagating:
            raise BufferError(
                "a view derived from the memoryview (a slice, cast, .obj or an "
                "export) outlived the access; the memory stays readable until "
                "that object is garbage collected"
            )

    __enter__ = open

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.release(propagating=exc_type is not None)


class Host:
    """Per-object view bookkeeping (secrets and buffers)."""

    __slots__ = ("_leaks",)

    def __init__(self) -> None:
        self._leaks = 0  # accesses kept open for escaped views of this object

    def _views_open(self) -> bool:
        """A view of this object is open on some thread."""
        return bool(_views.views_open(self))

    def _held_by_me(self) -> bool:
        """The calling thread is inside a view of this object."""
        return bool(_views.thread_holds(self))

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
