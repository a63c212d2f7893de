"""The sdist builds from source with meson-python where libsodium-dev is
installed, and the wheel built from it works.

The sdist is what `meson dist` (through meson-python) makes of the committed
tree (HEAD); the wheel is built from the unpacked sdist alone, without
build isolation (the pinned meson, meson-python and cffi of .venv; no
network), so a file the build needs but the sdist lacks fails here. That
wheel links the system's libsodium (it is not repaired), so it is used
outside the mount namespace that run.sh hides the system libsodium with.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import tarfile

import elf
import pytest
from conftest import HERE, REPO

NEEDED_FROM_THE_SDIST = [
    "PKG-INFO",
    "pyproject.toml",
    "meson.build",
    "meson_options.txt",
    "core/include/securememory.h",
    "bindings/python/meson.build",
    "bindings/python/build_ffi.py",
    "bindings/python/views_glue.c",
    "bindings/python/securememory/__init__.py",
    "docs/python.md",
]


def _build(kind: str, source: pathlib.Path, out: pathlib.Path) -> pathlib.Path:
    env = dict(os.environ, PATH=f"{pathlib.Path(sys.executable).parent}:{os.environ['PATH']}")
    proc = subprocess.run(
        [
            sys.executable, "-m", "build", f"--{kind}", "--no-isolation",
            "--skip-dependency-check", "--outdir", str(out), str(source),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=out.parent,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (built,) = out.iterdir()
    return built


@pytest.fixture(scope="module")
def sdist(tmp_path_factory) -> pathlib.Path:
    return _build("sdist", REPO, tmp_path_factory.mktemp("sdist"))


def test_libsodium_dev_is_installed():
    proc = subprocess.run(
        ["pkg-config", "--exists", "--print-errors", "libsodium >= 1.0.18"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, "libsodium-dev missing (scripts/setup.sh installs it): " + proc.stderr


def test_sdist_holds_what_the_build_needs(sdist):
    assert sdist.name == "securememory-0.1.0.tar.gz"
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    missing = [n for n in NEEDED_FROM_THE_SDIST if n not in names]
    assert not missing, missing
    assert not [n for n in names if n.startswith(("build", ".venv", ".mesonpy"))], names


def test_wheel_built_from_the_sdist_works(sdist, tmp_path):
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp_path / "src", filter="data")
    (source,) = (tmp_path / "src").iterdir()
    (tmp_path / "dist").mkdir()
    wheel = _build("wheel", source, tmp_path / "dist")
    assert wheel.name.endswith("-linux_x86_64.whl"), wheel.name

    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
            "--disable-pip-version-check", "--target", str(site), str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    (native,) = (site / "securememory").glob("_native.*.so")
    assert "libsodium.so.23" in elf.read(native).dynamic["DT_NEEDED"]  # the system's
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_"))}
    env["PYTHONPATH"] = str(site)
    proc = subprocess.run(
        [sys.executable, str(HERE / "wheel_smoke.py"), str(site)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("smoke ok"), proc.stdout
