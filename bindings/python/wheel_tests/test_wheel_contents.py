"""The manylinux wheel (build_wheel.sh): its tag, its files, what its
extension needs at run time, and auditwheel's verdict."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile

import elf

# cp311-abi3-manylinux_2_34_x86_64 on Debian 12 (glibc 2.36): the extension
# uses the limited API of Python 3.11 (one wheel for every CPython from 3.11
# on), and the highest glibc symbol version it uses decides the manylinux
# number.
TAG = re.compile(r"^cp311-abi3-manylinux_2_(\d+)_x86_64$")


def _wheel_tags(wheel) -> list[str]:
    meta = zipfile.ZipFile(wheel).read("securememory-0.1.0.dist-info/WHEEL").decode()
    return [line.split(":", 1)[1].strip() for line in meta.splitlines() if line.startswith("Tag:")]


def test_manylinux_abi3_tag(wheel):
    (tag,) = _wheel_tags(wheel)
    assert TAG.match(tag), tag
    assert wheel.name == f"securememory-0.1.0-{tag}.whl"


def test_extension_targets_the_stable_abi(extension):
    # Built with Py_LIMITED_API=0x030B0000 (meson's limited_api): a call
    # outside the limited API would not have compiled.
    assert extension.name == "_native.abi3.so"


def test_wheel_carries_the_package_and_libsodium_only(wheel):
    names = [n for n in zipfile.ZipFile(wheel).namelist() if not n.endswith("/")]
    package = {n for n in names if n.startswith("securememory/")}
    assert {"securememory/__init__.py", "securememory/signal.py", "securememory/py.typed"} <= package
    natives = [n for n in package if re.fullmatch(r"securememory/_native\..*\.so", n)]
    assert len(natives) == 1, names
    libs = [n for n in names if n.startswith("securememory.libs/")]
    assert len(libs) == 1 and re.fullmatch(
        r"securememory\.libs/libsodium-[0-9a-f]{8}\.so\.23(\.\d+)*", libs[0]
    ), libs
    others = [n for n in names if not n.startswith(("securememory/", "securememory.libs/"))]
    assert all(n.startswith("securememory-0.1.0.dist-info/") for n in others), others
    # Not the C library, its header or its pkg-config file.
    assert not [n for n in names if n.endswith((".h", ".pc", ".a")) or "libsecurememory" in n]


def test_extension_loads_the_grafted_libsodium(extension, grafted_sodium):
    so = elf.read(extension)
    assert set(so.dynamic["DT_NEEDED"]) == {grafted_sodium.name, "libc.so.6", "ld-linux-x86-64.so.2"}
    rpaths = so.dynamic.get("DT_RPATH", []) + so.dynamic.get("DT_RUNPATH", [])
    assert rpaths == ["$ORIGIN/../securememory.libs"], rpaths
    assert elf.read(grafted_sodium).dynamic["DT_SONAME"] == [grafted_sodium.name]


def test_extension_exports_only_its_init(extension):
    exported = elf.read(extension).defined
    assert "PyInit__native" in exported
    assert not [s for s in exported if s.startswith(("sm_", "sodium_", "crypto_", "smpy_"))]


def test_auditwheel_show_is_clean(wheel):
    proc = subprocess.run(
        [sys.executable, "-m", "auditwheel", "show", "--json", str(wheel)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    (tag,) = _wheel_tags(wheel)
    platform = tag.split("-")[2]
    assert report["overall_tag"] == report["sym_tag"] == platform, report
    # Nothing outside the wheel but what the manylinux policy allows (libc),
    # no black-listed symbol, nothing a manylinux tag refuses.
    assert report["external_libs"] == {}, report["external_libs"]
    assert report["policy_upgrades"] == {}, report["policy_upgrades"]
    assert not (report["pyfpe"] or report["ucs2"] or report["unsupported_isa"]), report
    assert set(report["versioned_symbols"]) <= {"libc.so.6", "ld-linux-x86-64.so.2"}, report
