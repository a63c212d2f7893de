"""Fixtures for the tests of the built artifacts: the manylinux wheel and the
sdist. They run in the project's .venv (pyelftools and auditwheel are
there), outside the mount namespace that hides the system libsodium, since
building from the sdist links against it.

run.sh passes the repaired wheel in SECUREMEMORY_WHEEL; without it the
wheel is built here with build_wheel.sh.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import zipfile

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
HERE = pathlib.Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> pathlib.Path:
    given = os.environ.get("SECUREMEMORY_WHEEL")
    if given:
        return pathlib.Path(given)
    out = tmp_path_factory.mktemp("wheelhouse")
    proc = subprocess.run(
        ["bash", str(REPO / "bindings" / "python" / "build_wheel.sh"), str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    return pathlib.Path(proc.stdout.split()[-1])


@pytest.fixture(scope="session")
def unpacked(wheel, tmp_path_factory) -> pathlib.Path:
    """The wheel's files, extracted."""
    out = tmp_path_factory.mktemp("unpacked")
    zipfile.ZipFile(wheel).extractall(out)
    return out


@pytest.fixture(scope="session")
def extension(unpacked) -> pathlib.Path:
    (native,) = (unpacked / "securememory").glob("_native.*.so")
    return native


@pytest.fixture(scope="session")
def grafted_sodium(unpacked) -> pathlib.Path:
    (lib,) = (unpacked / "securememory.libs").glob("libsodium-*.so*")
    return lib
