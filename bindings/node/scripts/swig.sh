#!/usr/bin/env bash
# Regenerates the committed SWIG wrapper, src/securememory_wrap.cxx, from the
# shared interface (bindings/swig/securememory.i, which includes node.i)
# with the pinned SWIG of .venv (4.5.1, Node-API backend):
#
#   bash bindings/node/scripts/swig.sh [OUTPUT]     (default: the committed file)
#
# tests/build.test.js regenerates into a temporary file and fails when the
# committed wrapper differs (stale). Run this after changing the header,
# securememory.i or node.i, then rebuild (npm run build) and commit.
set -euo pipefail
pkg=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$pkg/../.." && pwd)
out=${1:-$pkg/src/securememory_wrap.cxx}
"$root/.venv/bin/swig" -javascript -napi -c++ \
  -I"$root/core/include" -I"$root/bindings/swig" \
  -o "$out" "$root/bindings/swig/securememory.i"
