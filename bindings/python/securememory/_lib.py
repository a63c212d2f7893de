"""Argument conversion shared by the wrappers."""

from __future__ import annotations

import operator
from typing import Any

from ._errors import InvalidArgumentError
from ._native import ffi, lib

SIZE_MAX = (1 << (8 * ffi.sizeof("size_t"))) - 1

__all__ = ["ffi", "lib", "SIZE_MAX", "size_arg", "wipeable", "writable", "readable"]


def size_arg(value: Any, what: str) -> int:
    """An int that fits in size_t; negative or huge sizes are InvalidArgumentError."""
    try:
        n = operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be an int, not {type(value).__name__}") from None
    if n < 0:
        raise InvalidArgumentError(f"{what} must not be negative (got {n})")
    if n > SIZE_MAX:
        raise InvalidArgumentError(f"{what} {n} does not fit in size_t")
    return n


def _contiguous_view(data: Any, what: str) -> memoryview:
    try:
        view = memoryview(data)
    except TypeError:
        raise TypeError(
            f"{what} must be a bytes-like object, not {type(data).__name__}"
        ) from None
    if not view.c_contiguous:
        view.release()
        raise TypeError(f"{what} must be C-contiguous memory")
    return view


def wipeable(data: Any, what: str = "data") -> Any:
    """ffi.from_buffer() of writable memory the library will wipe.

    bytes (and any read-only buffer) is refused with a TypeError: it cannot
    be wiped, so the secret would survive in it. Use the result as a context
    manager so the buffer export ends right after the call.
    """
    if isinstance(data, (bytes, str)):
        raise TypeError(
            f"{what} must be writable memory such as a bytearray: "
            f"{type(data).__name__} is immutable, so the secret could not be wiped "
            "from it"
        )
    view = _contiguous_view(data, what)
    try:
        if view.readonly:
            raise TypeError(
                f"{what} is read-only memory; pass writable memory such as a "
                "bytearray, which the library wipes after copying it"
            )
    finally:
        view.release()
    return ffi.from_buffer("uint8_t[]", data, require_writable=True)


def writable(data: Any, what: str = "buffer") -> Any:
    """ffi.from_buffer() of writable memory the library copies into."""
    view = _contiguous_view(data, what)
    try:
        if view.readonly:
            raise TypeError(f"{what} must be writable memory such as a bytearray")
    finally:
        view.release()
    return ffi.from_buffer("uint8_t[]", data, require_writable=True)


def readable(data: Any, what: str = "data") -> Any:
    """ffi.from_buffer() of any contiguous bytes-like object (not wiped)."""
    if isinstance(data, str):
        raise TypeError(f"{what} must be a bytes-like object, not str")
    _contiguous_view(data, what).release()
    return ffi.from_buffer("uint8_t[]", data)
