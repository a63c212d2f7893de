#!/usr/bin/env bash
# Runs the Python examples the way a user would: builds the wheel, installs
# it into a fresh virtual environment (offline: cffi and pycparser come from
# wheels rebuilt from the project's .venv), and runs each example with that
# environment's Python from an empty directory. Called by scripts/demo.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export PATH="$root/.venv/bin:$PATH"
py="$root/.venv/bin/python"
out="$root/build-python/demo"
rm -rf "$out"
mkdir -p "$out/dist" "$out/wheelhouse" "$out/run"

"$py" -m build --wheel --no-isolation --skip-dependency-check --outdir "$out/dist" \
  -Cbuild-dir="$out/wheel-build" . >"$out/build.log" 2>&1 || { tail -30 "$out/build.log"; exit 1; }
"$py" - "$out/wheelhouse" <<'PY'
import pathlib
import sys

sys.path.insert(0, "bindings/python/tests")
from wheelhouse import repack

for dist in ("cffi", "pycparser"):
    repack(dist, pathlib.Path(sys.argv[1]))
PY
"$py" -m venv "$out/venv"
"$out/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index \
  --find-links "$out/wheelhouse" "$out"/dist/securememory-*.whl

cd "$out/run"
for example in hello buffers_enclaves_streams; do
  echo "-- examples/python/$example.py"
  "$out/venv/bin/python" -W error::ResourceWarning "$root/examples/python/$example.py"
done
echo "-- examples/python/signals.py"
set +e
"$out/venv/bin/python" "$root/examples/python/signals.py"
code=$?
set -e
echo "(exit code $code)"
[ "$code" -eq 3 ] || { echo "signals.py: expected exit code 3"; exit 1; }
