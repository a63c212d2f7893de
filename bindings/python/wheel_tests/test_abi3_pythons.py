"""The abi3 wheel on later CPython versions than the one that built it: the
same wheel, installed offline into a fresh virtual environment of CPython
3.12 and 3.13 (cffi for them comes from .venv/abi3-wheelhouse, which
scripts/setup.d/10-python.sh fills), imports and works with the system
libsodium hidden. A version this machine does not have is skipped, never
counted as passed."""

from __future__ import annotations

import glob
import os
import pathlib
import shutil
import subprocess
import sys

import pytest
from conftest import HERE, REPO

VERSIONS = ["3.12", "3.13"]
HIDE = REPO / "bindings" / "python" / "tests" / "without_system_sodium.sh"


def find_interpreter(version: str) -> pathlib.Path | None:
    """A CPython `version` here: one of pyenv's builds, or on PATH (not a
    pyenv shim, which fails for a version that is not selected)."""
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    builds = sorted(glob.glob(f"{root}/versions/{version}.*/bin/python{version}"))
    if builds:
        return pathlib.Path(builds[-1])
    found = shutil.which(f"python{version}")
    if found and "/shims/" not in found:
        return pathlib.Path(found)
    return None


@pytest.mark.parametrize("version", VERSIONS)
def test_abi3_wheel_on_a_later_cpython(version, wheel, tmp_path):
    python = find_interpreter(version)
    if python is None:
        pytest.skip(f"no CPython {version} on this machine")
    house = REPO / ".venv" / "abi3-wheelhouse" / version
    assert list(house.glob("cffi-*.whl")), f"{house}: run scripts/setup.sh"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_"))}
    env_dir = tmp_path / "venv"
    # No pip inside (ensurepip is slow): .venv's pip installs into it.
    subprocess.run([str(python), "-m", "venv", "--without-pip", str(env_dir)], check=True, env=clean)
    subprocess.run(
        [
            sys.executable, "-m", "pip", "--python", str(env_dir / "bin" / "python"), "install",
            "--quiet", "--no-index", "--disable-pip-version-check", "--find-links", str(house),
            str(wheel),
        ],
        check=True,
        env=clean,
        capture_output=True,
    )
    proc = subprocess.run(
        ["bash", str(HIDE), str(env_dir / "bin" / "python"), str(HERE / "wheel_smoke.py")],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("smoke ok") and f"on Python {version}." in proc.stdout, proc.stdout
