"""securememory: keep secrets (keys, passwords, tokens) safe in process memory.

The Python binding of libsecurememory (cffi, API mode; the C core is linked
into the extension). See docs/python.md for the lifecycle, threads, signals
and what zero-copy means for the caller.

    from securememory import Secret

    key = bytearray(b"correct horse battery staple")
    with Secret.from_bytes(key) as secret:   # key is wiped (zeroed) here
        secret.with_bytes(lambda mv: use(mv))  # mv: read-only, zero-copy
"""

from __future__ import annotations

import dataclasses
import enum
import operator
import sys
from typing import Any, NoReturn, Optional

from . import _access, _errors
from . import signal
from ._buffer import Buffer, BufferView, Prot
from ._enclave import Enclave
from ._errors import (
    AuthenticationError,
    CallbackError,
    CanaryError,
    EndOfStreamError,
    InvalidArgumentError,
    MemoryLockError,
    OutOfMemoryError,
    ProtectionError,
    SecretClosedError,
    SecureMemoryError,
    UnsupportedError,
    check,
    status_name,
    strerror,
)
from ._lib import ffi, lib, writable
from ._secret import Kind, Secret, SecretFactory, SecretReader, SecretView
from ._stream import Stream

# exit() is left out of __all__ so that a star import never shadows the
# builtin exit; call it as securememory.exit().
__all__ = [
    "__version__",
    "version",
    "Kind",
    "Prot",
    "LockPolicy",
    "ForkPolicy",
    "Backend",
    "Secret",
    "SecretFactory",
    "SecretView",
    "SecretReader",
    "Buffer",
    "BufferView",
    "Enclave",
    "Stream",
    "Stats",
    "init",
    "backend_active",
    "purge",
    "stats",
    "page_size",
    "wipe",
    "coffer_rekey",
    "signal",
    *_errors.__all__,  # the exceptions, status_name and strerror
]


def version() -> str:
    """The C library's version string (sm_version)."""
    return ffi.string(lib.sm_version()).decode("ascii")


__version__ = version()


class LockPolicy(enum.IntEnum):
    """What to do when memory cannot be locked against swapping."""

    STRICT = lib.SM_LOCK_STRICT
    BEST_EFFORT = lib.SM_LOCK_BEST_EFFORT
    OFF = lib.SM_LOCK_OFF


class ForkPolicy(enum.IntEnum):
    """What a child created by fork() sees of secret memory."""

    WIPE = lib.SM_FORK_WIPE
    KEEP = lib.SM_FORK_KEEP


class Backend(enum.IntEnum):
    """Where the library takes the pages that hold plaintext (sm_backend).

    PAGES: anonymous private pages, guarded, locked and excluded from core
    dumps. SECRETMEM: memfd_secret(2) pages (Linux >= 5.14), also removed
    from the kernel's direct map, so not even root can read them through
    /proc/<pid>/mem, process_vm_readv or ptrace. AUTO: SECRETMEM where the
    kernel has it, else PAGES. backend_active() never returns AUTO.
    """

    PAGES = lib.SM_BACKEND_PAGES
    SECRETMEM = lib.SM_BACKEND_SECRETMEM
    AUTO = lib.SM_BACKEND_AUTO


def init(
    *,
    lock_policy: Optional[LockPolicy] = None,
    fork_policy: Optional[ForkPolicy] = None,
    disable_core_dumps: Optional[bool] = None,
    rekey_interval_ms: Optional[int] = None,
    backend: Optional[Backend] = None,
) -> None:
    """Initialise the library with the defaults, changed by the given settings.

    Optional: every call initialises lazily with the defaults. Calling it
    again applies the new settings to allocations made afterwards. A policy
    or number left out (None) takes its default, not the value of an
    earlier call; a backend left out keeps the backend in force
    (backend_active()), so a later init() that changes only the lock policy
    never trips over the backend rule below.

    `backend` may change only until the library first takes memory for
    plaintext (the first secret, buffer, enclave or stream, or the process
    key): afterwards asking for the other backend raises
    InvalidArgumentError and changes nothing (AUTO asks for the backend it
    resolves to, so it is accepted when that is the one in force). Choose
    it before creating anything, e.g. at start-up.

    Raises ValueError for a value outside the enums, InvalidArgumentError
    (a setting out of range, or a backend other than the one in force) and
    UnsupportedError (SECRETMEM on a kernel without memfd_secret, or core
    dumps could not be disabled). A failed call changes no setting.
    Thread-safe.
    """
    cfg = ffi.new("sm_config *")
    lib.sm_config_default(cfg)
    if lock_policy is not None:
        cfg.lock_policy = LockPolicy(lock_policy)
    if fork_policy is not None:
        cfg.fork_policy = ForkPolicy(fork_policy)
    cfg.backend = Backend(backend) if backend is not None else lib.sm_backend_active()
    if disable_core_dumps is not None:
        cfg.disable_core_dumps = 1 if disable_core_dumps else 0
    if rekey_interval_ms is not None:
        ms = operator.index(rekey_interval_ms)
        if not 0 <= ms <= 0xFFFFFFFF:
            raise InvalidArgumentError(f"rekey_interval_ms out of range: {ms}")
        cfg.rekey_interval_ms = ms
    check(lib.sm_init(cfg), "cannot initialise the library")


def backend_active() -> Backend:
    """The backend in force (sm_backend_active): Backend.PAGES or
    Backend.SECRETMEM, never AUTO. Before any init() it is the default
    backend resolved on this kernel. Thread-safe."""
    return Backend(lib.sm_backend_active())


def purge() -> None:
    """Wipe and release every secret and buffer, and destroy the coffer key.

    Secrets report closed and buffers destroyed; enclaves sealed before the
    purge fail to open (AuthenticationError); a stream that held data loses
    it (size 0, reads AuthenticationError, writes SecretClosedError). Waits
    for views open in other threads. Raises InvalidArgumentError when called inside a
    view on the same thread (it would wait for itself).
    """
    _access.begin_purge()
    try:
        lib.sm_purge()
    finally:
        _access.end_purge()


def exit(code: int = 0) -> NoReturn:  # mirrors sm_exit()
    """Purge, then end the process with `code` (0..255) at once.

    Like os._exit() after a purge: sys.stdout and sys.stderr are flushed,
    but Python atexit callbacks and finally blocks do not run.
    """
    n = operator.index(code)
    if not 0 <= n <= 255:
        raise InvalidArgumentError(f"exit code must be 0..255 (got {n})")
    if _access.thread_holds_views():
        raise InvalidArgumentError(
            "exit() called inside a view on the same thread; the purge would wait "
            "for that view forever"
        )
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except Exception:
            pass
    _access.prepare_exit()
    lib.sm_exit(n)
    raise AssertionError("sm_exit returned")  # pragma: no cover


@dataclasses.dataclass(frozen=True)
class Stats:
    """Counters about the library's memory (sm_stats)."""

    live_buffers: int
    bytes_in_use: int
    bytes_locked: int
    peak_bytes_locked: int
    lock_failures: int
    live_secrets_protected: int
    live_secrets_enclave: int
    live_enclaves: int
    mapped_bytes: int
    bytes_locked_cached: int


def stats() -> Stats:
    """The current counters."""
    out = ffi.new("sm_stats *")
    out.size = ffi.sizeof("sm_stats")
    check(lib.sm_stats_get(out))
    return Stats(**{f.name: int(getattr(out, f.name)) for f in dataclasses.fields(Stats)})


def page_size() -> int:
    """The system page size in bytes."""
    return int(lib.sm_page_size())


def wipe(buffer: Any) -> None:
    """Overwrite writable memory (a bytearray you copied a secret into) with zeros."""
    with writable(buffer, "buffer") as p:
        lib.sm_wipe(p, len(p))


def coffer_rekey() -> None:
    """Re-key the coffer now (existing enclaves still open)."""
    check(lib.sm_coffer_rekey(), "cannot re-key the coffer")
