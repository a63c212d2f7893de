"""What the suite runs against: the manylinux wheel installed into a fresh
virtual environment, in a process that cannot load the system's libsodium
(run.sh: build_wheel.sh, then without_system_sodium.sh), so that a wheel
which still needed the system library would fail here."""

from __future__ import annotations

import ctypes
import os
import pathlib
import subprocess
import sys
import sysconfig

import pytest

import securememory

PACKAGE = pathlib.Path(securememory.__file__).resolve().parent
NATIVE = next(PACKAGE.glob("_native.*.so"))


def test_imported_from_a_virtual_environment():
    assert sys.prefix != sys.base_prefix, "not a virtual environment"
    site = pathlib.Path(sysconfig.get_paths()["platlib"]).resolve()
    assert PACKAGE.parent == site, f"{PACKAGE} is not installed in {site}"
    assert (PACKAGE / "py.typed").exists()


def _mapped_libraries() -> set[pathlib.Path]:
    with open("/proc/self/maps", encoding="utf-8") as f:
        paths = {line.split(None, 5)[5].strip() for line in f if len(line.split(None, 5)) == 6}
    return {pathlib.Path(p) for p in paths if p.startswith("/")}


def test_libsodium_is_the_copy_inside_the_wheel():
    sodium = [p for p in _mapped_libraries() if p.name.startswith("libsodium")]
    assert sodium, "no libsodium mapped"
    libs = PACKAGE.parent / "securememory.libs"
    assert all(p.parent == libs for p in sodium), sodium


def test_the_system_libsodium_is_hidden():
    if os.environ.get("SECUREMEMORY_SYSTEM_SODIUM") != "hidden":
        pytest.skip("runs under without_system_sodium.sh (run.sh does that)")
    with pytest.raises(OSError):
        ctypes.CDLL("libsodium.so.23")


def test_extension_exports_only_its_init():
    proc = subprocess.run(
        ["nm", "-D", "--defined-only", str(NATIVE)], capture_output=True, text=True, check=True
    )
    symbols = [line.split()[-1] for line in proc.stdout.splitlines() if line.strip()]
    assert "PyInit__native" in symbols
    leaked = [s for s in symbols if s.startswith(("sm_", "sodium_", "crypto_", "smpy_"))]
    assert not leaked, leaked
