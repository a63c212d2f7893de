"""The error model: one exception class per sm_status."""

from __future__ import annotations

from typing import NoReturn

from ._native import ffi, lib

__all__ = [
    "SecureMemoryError",
    "InvalidArgumentError",
    "OutOfMemoryError",
    "MemoryLockError",
    "ProtectionError",
    "SecretClosedError",
    "AuthenticationError",
    "CanaryError",
    "EndOfStreamError",
    "CallbackError",
    "UnsupportedError",
    "status_name",
    "strerror",
]


def status_name(status: int) -> str:
    """The identifier of a status code, e.g. "SM_ERR_CLOSED" (sm_status_name)."""
    if not 0 <= status < lib.SM_STATUS_COUNT:
        return "SM_ERR_UNKNOWN"
    return ffi.string(lib.sm_status_name(status)).decode("ascii")


def strerror(status: int) -> str:
    """What a status means and what to do about it (sm_strerror)."""
    if not 0 <= status < lib.SM_STATUS_COUNT:
        status = lib.SM_STATUS_COUNT  # the core's text for an unknown status
    return ffi.string(lib.sm_strerror(status)).decode("utf-8")


class SecureMemoryError(Exception):
    """Base class of every error the library reports.

    `code` is the stable status name ("SM_ERR_CLOSED"), `status` its number,
    and `errno` the errno of the kernel call behind it (0 when none).
    """

    status: int = -1
    code: str = "SM_ERR_UNKNOWN"

    def __init__(
        self, detail: str | None = None, *, errno: int = 0, status: int | None = None
    ) -> None:
        if status is not None:  # only for a status this binding does not know
            self.status = status
            self.code = status_name(status)
        self.errno = errno
        message = strerror(self.status)
        if detail:
            message = f"{detail}: {message}"
        if errno:
            message = f"{message} (errno {errno})"
        super().__init__(message)


class InvalidArgumentError(SecureMemoryError, ValueError):
    """SM_ERR_INVALID: bad argument (zero or too large size) or wrong state."""

    status = lib.SM_ERR_INVALID
    code = "SM_ERR_INVALID"


class OutOfMemoryError(SecureMemoryError, MemoryError):
    """SM_ERR_NOMEM: out of memory or address space."""

    status = lib.SM_ERR_NOMEM
    code = "SM_ERR_NOMEM"


class MemoryLockError(SecureMemoryError):
    """SM_ERR_MLOCK: memory could not be locked (RLIMIT_MEMLOCK)."""

    status = lib.SM_ERR_MLOCK
    code = "SM_ERR_MLOCK"


class ProtectionError(SecureMemoryError):
    """SM_ERR_PROTECT: a page protection change failed."""

    status = lib.SM_ERR_PROTECT
    code = "SM_ERR_PROTECT"


class SecretClosedError(SecureMemoryError, ValueError):
    """SM_ERR_CLOSED: the object was closed, destroyed or purged."""

    status = lib.SM_ERR_CLOSED
    code = "SM_ERR_CLOSED"


class AuthenticationError(SecureMemoryError):
    """SM_ERR_AUTH: sealed data failed authentication (tampered, or purged key)."""

    status = lib.SM_ERR_AUTH
    code = "SM_ERR_AUTH"


class CanaryError(SecureMemoryError):
    """SM_ERR_CANARY: an out-of-bounds write corrupted a buffer's canary."""

    status = lib.SM_ERR_CANARY
    code = "SM_ERR_CANARY"


class EndOfStreamError(SecureMemoryError, EOFError):
    """SM_ERR_EOF: a stream is empty, or a read starts at or past the end."""

    status = lib.SM_ERR_EOF
    code = "SM_ERR_EOF"


class CallbackError(SecureMemoryError):
    """SM_ERR_CALLBACK: a user callback reported failure.

    The Python API never produces it: with_bytes() re-raises the callback's
    own exception. It exists so every status has its class.
    """

    status = lib.SM_ERR_CALLBACK
    code = "SM_ERR_CALLBACK"


class UnsupportedError(SecureMemoryError):
    """SM_ERR_UNSUPPORTED: not available on this platform or kernel."""

    status = lib.SM_ERR_UNSUPPORTED
    code = "SM_ERR_UNSUPPORTED"


_BY_STATUS: dict[int, type[SecureMemoryError]] = {
    cls.status: cls
    for cls in (
        InvalidArgumentError,
        OutOfMemoryError,
        MemoryLockError,
        ProtectionError,
        SecretClosedError,
        AuthenticationError,
        CanaryError,
        EndOfStreamError,
        CallbackError,
        UnsupportedError,
    )
}


def raise_for(status: int, detail: str | None = None) -> NoReturn:
    """Raise the exception for a failed status (never SM_OK)."""
    cls = _BY_STATUS.get(status)
    if cls is None:  # a status this binding does not know yet
        raise SecureMemoryError(detail, errno=lib.sm_last_errno(), status=status)
    raise cls(detail, errno=lib.sm_last_errno())


def check(status: int, detail: str | None = None) -> None:
    """Raise unless status is SM_OK."""
    if status != lib.SM_OK:
        raise_for(status, detail)
