#!/usr/bin/env bash
# Runs the Python examples the way a user would: builds the manylinux wheel
# (bindings/python/build_wheel.sh), installs it into a fresh virtual
# environment (offline: cffi and pycparser come from wheels rebuilt from the
# project's .venv), and runs each example with that environment's Python
# from an empty directory. Called by scripts/demo.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export PATH="$root/.venv/bin:$PATH"
py="$root/.venv/bin/python"
out="$root/build-python/demo"
rm -rf "$out"
mkdir -p "$out/run"

wheel=$(bash bindings/python/build_wheel.sh "$out/wheelhouse" | tail -1)
"$py" bindings/python/tests/wheelhouse.py "$out/deps" cffi >/dev/null
"$py" -m venv "$out/venv"
"$out/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index \
  --find-links "$out/deps" "$wheel"

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
