#!/usr/bin/env bash
# The Python binding's test suite, as scripts/test.sh runs it:
#   1. builds the wheel once with meson-python from the repository root
#      (no build isolation: the pinned meson, meson-python and cffi of .venv);
#   2. installs it into a private directory (build-python/site), so the tests
#      import the installed package, never the source tree;
#   3. runs pytest (bindings/python/tests) against it; test_wheel.py also
#      installs the same wheel into a fresh virtual environment, offline;
#   4. prints "N passed, N failed[, N skipped]" as its last line and exits
#      nonzero when anything failed. Skipped tests are never counted as passed.
set -uo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$root"
export PATH="$root/.venv/bin:$PATH"
py="$root/.venv/bin/python"
out="$root/build-python"
start=$(date +%s)

fail() { # fail MESSAGE LOG
  echo "python: $1"
  [ -f "${2:-}" ] && tail -40 "$2"
  echo "0 passed, 1 failed"
  exit 1
}

rm -rf "$out/dist" "$out/site" "$out/junit.xml"
mkdir -p "$out/dist"
echo "-- building the wheel (meson-python)"
# A persistent meson-python build directory: incremental rebuilds, and no
# temporary .mesonpy-* directory in the source tree.
"$py" -m build --wheel --no-isolation --skip-dependency-check --outdir "$out/dist" \
  -Cbuild-dir="$out/wheel-build" . >"$out/build.log" 2>&1 ||
  fail "the wheel did not build" "$out/build.log"
wheel=$(ls "$out"/dist/securememory-*.whl 2>/dev/null | head -1)
[ -n "$wheel" ] || fail "no wheel in $out/dist" "$out/build.log"
echo "   $(basename "$wheel")"
"$py" -m pip install --quiet --disable-pip-version-check --no-deps --no-index \
  --target "$out/site" "$wheel" >"$out/install.log" 2>&1 ||
  fail "the wheel did not install" "$out/install.log"

echo "-- pytest bindings/python/tests"
SECUREMEMORY_WHEEL="$wheel" PYTHONPATH="$out/site" HYPOTHESIS_STORAGE_DIRECTORY="$out/hypothesis" \
  timeout 900 \
  "$py" -m pytest bindings/python/tests -q -rfs --junitxml "$out/junit.xml"
rc=$?

summary=$("$py" - "$out/junit.xml" <<'PY'
import sys
import xml.etree.ElementTree as ET

try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    print("0 1 0")  # pytest crashed or timed out before writing its report
    raise SystemExit
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
tests = failed = skipped = 0
for s in suites:
    tests += int(s.get("tests", 0))
    failed += int(s.get("failures", 0)) + int(s.get("errors", 0))
    skipped += int(s.get("skipped", 0))
print(tests - failed - skipped, failed, skipped)
PY
)
read -r passed failed skipped <<<"$summary"
# pytest failing without a failed test (an error at collection or exit, a
# timeout) still counts as a failure.
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "-- python: $(($(date +%s) - start)) s"
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
