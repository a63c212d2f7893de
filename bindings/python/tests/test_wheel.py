"""The wheel: built once (run.sh passes it in SECUREMEMORY_WHEEL, or it is
built here), installed into a fresh virtual environment with no network
(pip --no-index; cffi and pycparser come from wheels rebuilt from this
environment's installations), then used by a smoke script run from an empty
directory, so nothing of the source tree can be imported."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import venv
import zipfile

import pytest
from conftest import REPO, TESTS
from wheelhouse import repack


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> pathlib.Path:
    given = os.environ.get("SECUREMEMORY_WHEEL")
    if given:
        return pathlib.Path(given)
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable, "-m", "build", "--wheel", "--no-isolation",
            "--skip-dependency-check", "--outdir", str(out), str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    return next(out.glob("securememory-*.whl"))


def test_wheel_contents(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "securememory/py.typed" in names
    assert "securememory/__init__.py" in names and "securememory/signal.py" in names
    natives = [n for n in names if n.startswith("securememory/_native.") and n.endswith(".so")]
    assert len(natives) == 1, names
    # Only the package: no C library, header or pkg-config file of the core.
    assert all(n.startswith(("securememory/", "securememory-")) for n in names), names


def test_wheel_installs_and_works_in_a_fresh_venv(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    house = tmp_path / "wheelhouse"
    house.mkdir()
    for dist in ("cffi", "pycparser"):
        repack(dist, house)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_"))}
    subprocess.run(
        [
            str(python), "-m", "pip", "install", "--quiet", "--no-index",
            "--disable-pip-version-check", "--find-links", str(house), str(wheel),
        ],
        check=True,
        env=clean,
        capture_output=True,
    )
    work = tmp_path / "empty"
    work.mkdir()
    proc = subprocess.run(
        [str(python), str(TESTS / "wheel_smoke.py")],
        cwd=work,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("smoke ok"), proc.stdout
    # The core is linked in statically: the extension needs only libsodium and libc.
    native = next((env_dir / "lib").glob("python3*/site-packages/securememory/_native.*.so"))
    ldd = subprocess.run(["ldd", str(native)], capture_output=True, text=True).stdout
    assert "libsecurememory" not in ldd and "libsodium.so.23" in ldd, ldd
    symbols = subprocess.run(
        ["nm", "-D", "--defined-only", str(native)], capture_output=True, text=True
    ).stdout.split()
    assert "PyInit__native" in symbols and not [s for s in symbols if s.startswith("sm_")]
