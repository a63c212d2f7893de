"""Shared fixtures for the securememory binding tests.

The tests import the *installed* package (run.sh builds the wheel and puts
it on PYTHONPATH), never the source tree, so they test what users get.
"""

from __future__ import annotations

import gc
import os
import pathlib

import pytest

import securememory
from securememory._native import ffi

REPO = pathlib.Path(__file__).resolve().parents[3]
TESTS = pathlib.Path(__file__).resolve().parent

# The suite tests the installed wheel (run.sh), never the source tree.
assert REPO / "bindings" not in pathlib.Path(securememory.__file__).resolve().parents


def address_of(mv: memoryview) -> int:
    """The address of a memoryview's first byte (a test-only peek)."""
    with ffi.from_buffer(mv) as p:
        return int(ffi.cast("uintptr_t", p))


def _live() -> tuple[int, int, int]:
    gc.collect()
    s = securememory.stats()
    return (s.live_secrets_protected, s.live_secrets_enclave, s.live_enclaves)


@pytest.fixture(autouse=True)
def no_leaked_objects():
    """Every test must leave no secret or enclave alive behind it."""
    before = _live()
    yield
    after = _live()
    assert after == before, f"live (protected, enclave secrets, enclaves): {before} -> {after}"


@pytest.fixture
def child_env() -> dict[str, str]:
    """Environment for child Python processes that import the same package."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(pathlib.Path(securememory.__file__).resolve().parents[1])
    env["PYTHONUNBUFFERED"] = "1"
    return env
