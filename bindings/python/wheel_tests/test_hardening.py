"""The shared objects inside the repaired wheel are hardened (issue 11): the
extension module (the whole C core is linked into it) and the libsodium that
auditwheel copied in, read from the wheel users install, after patchelf:

- immediate binding (DT_FLAGS BIND_NOW or DT_FLAGS_1 NOW) with a GNU_RELRO
  segment that covers the GOT, the dynamic section and the other relocated
  read-only data: full RELRO;
- a non-executable stack (GNU_STACK without PF_X) and no segment both
  writable and executable;
- -fstack-protector-strong: __stack_chk_fail is imported;
- _FORTIFY_SOURCE=2 (the wheel is an optimised build): libsodium imports
  checked variants such as __memcpy_chk; for the extension, whose code has
  no call the checks apply to, the compile commands of the build the wheel
  came from define it.
"""

from __future__ import annotations

import json
import re
import shlex

import elf
import pytest
from conftest import REPO

BUILD_DIR = REPO / "build-wheel" / "meson"  # build_wheel.sh's meson-python build

# Sections that must be read-only after relocation under full RELRO.
RELRO_SECTIONS = (".got", ".got.plt", ".dynamic", ".init_array", ".fini_array", ".data.rel.ro")


@pytest.fixture(scope="module", params=["extension", "grafted_sodium"])
def shared_object(request) -> elf.SharedObject:
    return elf.read(request.getfixturevalue(request.param))


def test_immediate_binding(shared_object):
    now = shared_object.flag("DT_FLAGS") & elf.DF_BIND_NOW
    now_1 = shared_object.flag("DT_FLAGS_1") & elf.DF_1_NOW
    assert now or now_1, (
        f"{shared_object.path.name}: no BIND_NOW (DT_FLAGS={shared_object.flag('DT_FLAGS'):#x}, "
        f"DT_FLAGS_1={shared_object.flag('DT_FLAGS_1'):#x}): link with -Wl,-z,now"
    )


def test_full_relro(shared_object):
    relro = shared_object.segments_of("PT_GNU_RELRO")
    assert len(relro) == 1, f"{shared_object.path.name}: no GNU_RELRO segment (-Wl,-z,relro)"
    present = [s for s in RELRO_SECTIONS if shared_object.sections.get(s, (0, 0))[1] > 0]
    assert ".dynamic" in present and ".got" in present, present
    outside = [s for s in present if not relro[0].covers(*shared_object.sections[s])]
    assert not outside, f"{shared_object.path.name}: {outside} writable after relocation"


def test_non_executable_stack(shared_object):
    stack = shared_object.segments_of("PT_GNU_STACK")
    assert len(stack) == 1, f"{shared_object.path.name}: no GNU_STACK header (executable stack)"
    assert not stack[0].executable, f"{shared_object.path.name}: GNU_STACK is RWE"
    wx = [s for s in shared_object.segments_of("PT_LOAD") if s.writable and s.executable]
    assert not wx, f"{shared_object.path.name}: writable and executable segments {wx}"


def test_stack_protector(shared_object):
    assert "__stack_chk_fail" in shared_object.undefined, (
        f"{shared_object.path.name} does not import __stack_chk_fail: "
        "compile with -fstack-protector-strong"
    )


def test_fortify_source_in_libsodium(grafted_sodium):
    so = elf.read(grafted_sodium)
    checked = sorted(s for s in so.undefined if s.endswith("_chk") and s != "__stack_chk_fail")
    assert checked, f"{grafted_sodium.name} imports no __*_chk function (_FORTIFY_SOURCE)"


def test_extension_comes_from_the_build_directory(extension):
    """Ties the wheel's extension to build-wheel/meson (whose compile
    commands the next test reads): patchelf rewrote its dynamic part, not
    its code."""
    built = list((BUILD_DIR / "bindings" / "python").glob(extension.name))
    assert len(built) == 1, f"no {extension.name} in {BUILD_DIR}: build with build_wheel.sh"
    assert elf.section_bytes(extension, ".text") == elf.section_bytes(built[0], ".text")


def test_extension_compiled_with_fortify_source_and_optimisation():
    """_FORTIFY_SOURCE=2 only shows in a binary as imports of __*_chk where
    the compiler knows a destination's size; the core has no such call site
    today (its copies go to memory it allocated), so its effect cannot be
    read from the extension. The compile commands of the build that made it
    (checked above) must define it, with optimisation, for every C file."""
    commands = json.loads((BUILD_DIR / "compile_commands.json").read_text())
    assert any("_native" in c["output"] for c in commands), "the extension's own C file"
    for c in commands:
        args = shlex.split(c["command"])
        fortify = [a for a in args if a.startswith(("-D_FORTIFY_SOURCE", "-U_FORTIFY_SOURCE"))]
        levels = [a for a in args if re.fullmatch(r"-O[0-9sgz]?", a)]
        assert fortify and fortify[-1] in ("-D_FORTIFY_SOURCE=2", "-D_FORTIFY_SOURCE=3"), (
            c["file"],
            fortify,
        )
        assert levels and levels[-1] not in ("-O0", "-Og"), (c["file"], levels)
        assert "-fstack-protector-strong" in args or "-fstack-protector-all" in args, c["file"]
