"""Generate the C source of securememory._native with cffi (out-of-line API mode).

The cdef is derived from the public header, core/include/securememory.h, at
build time, so the binding cannot drift from the C contract: the header is
the single source of truth. `header_to_cdef()` keeps every declaration and
drops what pycparser (cffi's parser) does not understand:

- preprocessor lines (include guards, SM_API / SM_NORETURN definitions) and
  the `extern "C" {` / `}` lines inside `#ifdef __cplusplus` blocks;
- the attribute macros SM_API and SM_NORETURN in front of declarations;
- `#define NAME <integer>` constants are kept as `#define NAME ...`, so cffi
  takes their values from the C compiler rather than from a copy.

Meson runs this script from a custom_target:

    python build_ffi.py core/include/securememory.h _native.c

and compiles the emitted C file with py.extension_module(). The same module
level `ffibuilder` also works with `python -m cffi.gen_src exec-python`.
"""

from __future__ import annotations

import os
import re
import sys

import cffi

MODULE_NAME = "securememory._native"

# The one function C calls back into Python: the signal handler trampoline
# (see securememory/signal.py). Everything else goes Python -> C only.
EXTERN_PYTHON = 'extern "Python" void _sm_py_on_signal(void *ctx, int signo);\n'

# The binding's own C glue (views_glue.c, next to this script): zero-copy
# views of guarded memory written against the CPython C API, published as
# the module securememory._views by this one cffi-visible function. It needs
# the full C API, so the extension is compiled with -D_CFFI_NO_LIMITED_API
# (meson.build).
GLUE_CDEF = "int smpy_views_init(void);\n"

C_SOURCE = '#include "securememory.h"\n#include "views_glue.c"\n'

_DEFINE_INT = re.compile(r"^#\s*define\s+(SM_[A-Z0-9_]+)\s+\(?-?\d+\)?\s*$")
_ATTRIBUTE_MACROS = re.compile(r"\b(SM_API|SM_NORETURN)\b\s*")


def header_to_cdef(text: str) -> str:
    """Return the cdef text for the public header's source `text`."""
    out: list[str] = []
    # A stack of booleans: True while inside a block whose lines are dropped
    # (only `#ifdef __cplusplus` blocks hold non-directive lines to drop).
    skipping: list[bool] = []
    continued = False
    for line in text.splitlines():
        if continued:  # continuation of a multi-line directive
            continued = line.rstrip().endswith("\\")
            continue
        stripped = line.strip()
        if stripped.startswith("#"):
            continued = stripped.endswith("\\")
            directive = stripped[1:].strip()
            if directive.startswith(("if", "ifdef", "ifndef")):
                skipping.append("__cplusplus" in directive)
            elif directive.startswith("endif"):
                skipping.pop()
            elif directive.startswith("else") or directive.startswith("elif"):
                skipping[-1] = False
            else:
                m = _DEFINE_INT.match(stripped)
                if m and not any(skipping):
                    out.append(f"#define {m.group(1)} ...")
            continue
        if any(skipping):
            continue
        out.append(_ATTRIBUTE_MACROS.sub("", line))
    if skipping:
        raise ValueError("unbalanced preprocessor conditionals in the header")
    return "\n".join(out) + "\n"


def default_header() -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "..", "..", "core", "include", "securememory.h")


def make_ffibuilder(header: str) -> cffi.FFI:
    with open(header, encoding="utf-8") as f:
        cdef = header_to_cdef(f.read())
    builder = cffi.FFI()
    builder.cdef(cdef + EXTERN_PYTHON + GLUE_CDEF)
    builder.set_source(MODULE_NAME, C_SOURCE)
    return builder


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: build_ffi.py HEADER OUTPUT.c", file=sys.stderr)
        return 2
    builder = make_ffibuilder(argv[1])
    builder.emit_c_code(argv[2])
    # emit_c_code() leaves the file alone when its content is unchanged;
    # touch it so the build tool sees the target as up to date.
    os.utime(argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
else:
    ffibuilder = make_ffibuilder(default_header())
