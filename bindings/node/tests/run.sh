#!/usr/bin/env bash
# The Node binding's test suite, as scripts/test.sh runs it:
#   1. packs the npm tarball (scripts/pack.sh: the prebuilt, hardened addon
#      with libsodium beside it) into build-node/;
#   2. builds the addon from source in bindings/node/build (node-gyp as npm
#      bundles it, offline, --nodedir=/usr) for the tests to load;
#   3. runs node --test on bindings/node/tests: the API tests, the vector
#      runner (one test per scenario), signals in child processes with a
#      whole-process scan, workers and the GC backstop, the wrapper
#      staleness check, hardening (readelf), tsc on the declarations, and
#      the install test (the tarball in a fresh project, no compiler, no
#      libsodium);
#   4. prints "N passed, N failed[, N skipped]" as its last line and exits
#      nonzero when anything failed. Skipped tests (vectors that require the
#      core capability) are never counted as passed.
set -uo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
pkg="$root/bindings/node"
out="$root/build-node"
start=$(date +%s)
mkdir -p "$out"

fail() { # fail MESSAGE LOG
  echo "node: $1"
  [ -f "${2:-}" ] && tail -40 "$2"
  echo "0 passed, 1 failed"
  exit 1
}

command -v node >/dev/null || fail "no node on PATH"
[ -d "$pkg/node_modules/prebuildify" ] || bash "$root/scripts/setup.d/30-node.sh" >"$out/setup.log" 2>&1 ||
  fail "the npm packages could not be installed" "$out/setup.log"

echo "-- packing the tarball (scripts/pack.sh)"
tarball=$(bash "$pkg/scripts/pack.sh" "$out" 2>"$out/pack.log" | tail -1)
[ -f "$tarball" ] || fail "the tarball was not built" "$out/pack.log"
echo "   $tarball"

echo "-- building the addon (node-gyp, offline)"
node_gyp="$(npm prefix -g)/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
(cd "$pkg" && nice node "$node_gyp" rebuild --nodedir=/usr -j 2) >"$out/build.log" 2>&1 ||
  fail "the addon did not build" "$out/build.log"

echo "-- node --test bindings/node/tests"
cd "$pkg"
prebuild=$(ls "$out"/prebuilds/linux-x64/*.node 2>/dev/null | head -1)
SECUREMEMORY_TARBALL="$tarball" SM_TEST_PREBUILT_ADDON="$prebuild" \
  timeout 600 node --test --test-reporter=tap tests/ >"$out/tap.txt" 2>&1
rc=$?
grep -E '^not ok|^# Subtest' "$out/tap.txt" | grep -B1 '^not ok' | grep -v '^--' || true
count() { awk -v k="$1" '$1 == "#" && $2 == k { n = $3 } END { print n + 0 }' "$out/tap.txt"; }
passed=$(count pass)
failed=$(( $(count fail) + $(count cancelled) ))
skipped=$(count skipped)
# node --test failing without a failed test (a crash, a timeout) still fails.
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; tail -20 "$out/tap.txt"; fi
# shellcheck source=scripts/lib/summary.sh
source "$root/scripts/lib/summary.sh"
suite_summary node "$start" "$passed" "$failed" "$skipped"
