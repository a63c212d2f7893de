"""Wipe every secret before the process ends on a signal.

    import securememory.signal as sms
    sms.catch_interrupt()                    # Ctrl+C: purge, then exit(1)
    sms.catch_signal(lambda signo: log(...)) # every supported signal
    sms.set_exit_code(signal.SIGTERM, 0)

How this differs from Python's own KeyboardInterrupt
----------------------------------------------------
The library installs OS-level handlers (sigaction) in place of Python's.
When a caught signal arrives, nothing is raised in the main thread: the
library's dedicated handler thread calls your handler (a cffi
``extern "Python"`` callback, the one place where C calls into Python; it
takes the GIL like any thread), then the binding flushes sys.stdout and
sys.stderr and waits for open buffer views, then the core purges every
secret, buffer and the coffer key, and ends the process with exit(3) and the
configured code (default 1). The main thread keeps running meanwhile and is
never interrupted, so ``try/finally`` blocks, ``with`` exits and Python
``atexit`` callbacks do NOT run; do your clean-up in the handler. Only
release() brings KeyboardInterrupt back. Do not call signal.signal() for a
caught signal afterwards: it would replace the library's handler.

For SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT the faulting thread wipes
everything itself first; the handler then gets a bounded time (about 2 s)
before the process ends by that signal.

When the interpreter shuts down normally, an atexit hook switches the
library to catching the same signals without the Python handler, so a
signal arriving during finalization still purges and exits without calling
into a finalizing interpreter.
"""

from __future__ import annotations

import atexit
import signal as _signal
import sys
import threading
import traceback
from typing import Any, Callable, Iterable, Optional

from . import _access
from ._errors import InvalidArgumentError, check
from ._lib import ffi, lib

__all__ = [
    "RERAISE",
    "SUPPORTED",
    "Handler",
    "catch_interrupt",
    "catch_signal",
    "catch_signals",
    "set_exit_code",
    "release",
]

#: Exit code meaning "end by the same signal with its default action".
RERAISE: int = lib.SM_EXIT_RERAISE

#: The signals the library can catch.
SUPPORTED: tuple[_signal.Signals, ...] = (
    _signal.SIGINT,
    _signal.SIGTERM,
    _signal.SIGHUP,
    _signal.SIGQUIT,
    _signal.SIGSEGV,
    _signal.SIGBUS,
    _signal.SIGILL,
    _signal.SIGFPE,
    _signal.SIGABRT,
)
_ASYNC = frozenset({_signal.SIGINT, _signal.SIGTERM, _signal.SIGHUP, _signal.SIGQUIT})

#: How long the handler thread waits for open buffer views before the purge
#: (the core bounds its own purge the same way).
_VIEW_WAIT_S = 3.0

Handler = Callable[[_signal.Signals], Any]

_lock = threading.Lock()
_handler: Optional[Handler] = None
_caught: tuple[int, ...] = ()


def _flush_stdio() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except Exception:  # a closed or broken stream must not stop the wipe
            pass


@ffi.def_extern()
def _sm_py_on_signal(_ctx: Any, signo: int) -> None:
    """Runs on the library's handler thread (C calls it; it holds the GIL)."""
    fn = _handler
    try:
        if fn is not None:
            fn(_signal.Signals(signo))
    except BaseException:  # report and go on: the wipe must happen
        traceback.print_exc()
    finally:
        _flush_stdio()
        if signo in _ASYNC:
            _access.prepare_exit(timeout=_VIEW_WAIT_S)


def _install(fn: Optional[Handler], signals: Iterable[int]) -> None:
    global _handler, _caught
    if fn is not None and not callable(fn):
        raise TypeError(f"the handler must be callable or None, not {type(fn).__name__}")
    nums: list[int] = []
    for s in signals:
        if isinstance(s, bool) or not isinstance(s, int):
            raise TypeError(f"signals must be ints (signal.Signals), not {type(s).__name__}")
        nums.append(int(s))
    if not nums:
        raise InvalidArgumentError("no signals given")
    if any(not -(2**31) <= n < 2**31 for n in nums):
        raise InvalidArgumentError("not a signal number")
    arr = ffi.new("int[]", nums)
    with _lock:
        previous = _handler
        _handler = fn  # before installing: a signal arriving now sees the new fn
        st = lib.sm_signal_catch_signals(lib._sm_py_on_signal, ffi.NULL, arr, len(nums))
        if st != lib.SM_OK:
            _handler = previous
            check(st, "cannot catch the signals")
        _caught = tuple(nums)


def catch_interrupt() -> None:
    """Catch SIGINT (Ctrl+C): purge, then exit with SIGINT's code (default 1)."""
    _install(None, (_signal.SIGINT,))


def catch_signal(fn: Optional[Handler] = None) -> None:
    """Catch every supported signal; fn(signo) runs first (on the handler thread)."""
    _install(fn, SUPPORTED)


def catch_signals(fn: Optional[Handler], signals: Iterable[int]) -> None:
    """Catch exactly `signals`; the others keep their behaviour.

    InvalidArgumentError for SIGKILL, SIGSTOP, or a signal not in SUPPORTED.
    Replaces the handler and list of an earlier catch call.
    """
    _install(fn, signals)


def set_exit_code(signo: int, code: int) -> None:
    """Exit code after signo is handled: 0..255, or RERAISE to die by the signal.

    Defaults: 1 for SIGINT, SIGTERM, SIGHUP and SIGQUIT; RERAISE for SIGSEGV,
    SIGBUS, SIGILL, SIGFPE and SIGABRT.
    """
    if isinstance(signo, bool) or not isinstance(signo, int):
        raise TypeError("signo must be an int (signal.Signals)")
    if isinstance(code, bool) or not isinstance(code, int):
        raise TypeError("code must be an int")
    if not (-(2**31) <= signo < 2**31 and -(2**31) <= code < 2**31):
        raise InvalidArgumentError("signal number or exit code out of range")
    check(lib.sm_signal_set_exit_code(int(signo), int(code)), "cannot set the exit code")


def release() -> None:
    """Restore the handlers installed before the first catch; stop the thread.

    Idempotent. Raises InvalidArgumentError when called from the handler.
    """
    global _handler, _caught
    with _lock:
        st = lib.sm_signal_release()
        if st == lib.SM_ERR_INVALID:
            raise InvalidArgumentError("release() cannot be called from the signal handler")
        check(st, "cannot restore the signal handlers")
        _handler = None
        _caught = ()


@atexit.register
def _detach_python_handler() -> None:
    # The interpreter is shutting down: keep the signals caught (purge and
    # exit) but stop calling into Python.
    global _handler
    with _lock:
        if not _caught:
            return
        _handler = None
        arr = ffi.new("int[]", list(_caught))
        lib.sm_signal_catch_signals(ffi.NULL, ffi.NULL, arr, len(_caught))
