#!/usr/bin/env bash
# The Python binding's test suite, as scripts/test.sh runs it:
#   1. builds the manylinux wheel (bindings/python/build_wheel.sh: meson-python
#      from the working tree, then auditwheel repair, which copies libsodium
#      into the wheel);
#   2. the artifact tests (bindings/python/wheel_tests, in .venv): the wheel's
#      tag, files and `auditwheel show`, the hardening of its shared objects,
#      and the sdist, built with meson-python and its wheel used;
#   3. installs the wheel into a fresh virtual environment (offline: cffi,
#      pytest and what they require come from wheels rebuilt from .venv);
#   4. runs the whole suite (bindings/python/tests) with that environment's
#      Python, from outside the source tree, in a mount namespace where the
#      system libsodium is hidden from the loader (without_system_sodium.sh);
#   5. prints "N passed, N failed[, N skipped]" (both pytest runs summed) as
#      its last line and exits nonzero when anything failed. Skipped tests
#      are never counted as passed.
set -uo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$root"
export PATH="$root/.venv/bin:$PATH"
py="$root/.venv/bin/python"
here="$root/bindings/python"
out="$root/build-python"
start=$(date +%s)

fail() { # fail MESSAGE [LOG]
  echo "python: $1"
  [ -f "${2:-}" ] && tail -40 "$2"
  echo "0 passed, 1 failed"
  exit 1
}

rm -rf "$out/venv" "$out/deps" "$out"/junit-*.xml "$out/run"
mkdir -p "$out/run"

echo "-- building the manylinux wheel (build_wheel.sh)"
wheel=$(bash "$here/build_wheel.sh" "$out/wheelhouse" 2>"$out/build.log" | tail -1)
[ -f "$wheel" ] || fail "the wheel did not build" "$out/build.log"
echo "   $(basename "$wheel")"

echo "-- pytest bindings/python/wheel_tests (the wheel and the sdist)"
SECUREMEMORY_WHEEL="$wheel" timeout 900 \
  "$py" -m pytest "$here/wheel_tests" -q -rfs --junitxml "$out/junit-artifacts.xml"
rc_artifacts=$?

echo "-- installing it into a fresh virtual environment"
{
  "$py" "$here/tests/wheelhouse.py" "$out/deps" cffi pytest hypothesis &&
    "$py" -m venv --without-pip "$out/venv" &&
    "$py" -m pip --python "$out/venv/bin/python" install --quiet --disable-pip-version-check \
      --no-index --find-links "$out/deps" "$wheel" pytest hypothesis
} >"$out/install.log" 2>&1 || fail "the wheel did not install" "$out/install.log"

echo "-- pytest bindings/python/tests (installed package, system libsodium hidden)"
(
  cd "$out/run" &&
    HYPOTHESIS_STORAGE_DIRECTORY="$out/hypothesis" timeout 900 \
      bash "$here/tests/without_system_sodium.sh" \
      "$out/venv/bin/python" -m pytest "$here/tests" -c "$here/tests/pytest.ini" \
      --rootdir "$here/tests" -q -rfs --junitxml "$out/junit-suite.xml"
)
rc_suite=$?

summary=$("$py" - "$out/junit-artifacts.xml" "$out/junit-suite.xml" <<'PY'
import sys
import xml.etree.ElementTree as ET

tests = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        failed += 1  # pytest crashed or timed out before writing its report
        continue
    for s in [root] if root.tag == "testsuite" else root.findall("testsuite"):
        tests += int(s.get("tests", 0))
        failed += int(s.get("failures", 0)) + int(s.get("errors", 0))
        skipped += int(s.get("skipped", 0))
print(max(tests - failed - skipped, 0), failed, skipped)
PY
)
read -r passed failed skipped <<<"$summary"
# pytest failing without a failed test (an error at collection or exit, a
# timeout) still counts as a failure.
for rc in "$rc_artifacts" "$rc_suite"; do
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
done
# shellcheck source=scripts/lib/summary.sh
source "$root/scripts/lib/summary.sh"
suite_summary python "$start" "$passed" "$failed" "$skipped"
