#!/usr/bin/env bash
# The Go binding's test suite, as scripts/test.sh runs it:
#   1. gofmt and go vet over the module, its install test and examples/go;
#   2. go test ./... (the vectors, one result per scenario, the unit,
#      signal and stale-file tests), then again under the race detector;
#   3. the install test (tests/installtest): the module from a file-based
#      module proxy into a fresh module, built and run with no SWIG or
#      meson on PATH;
#   4. prints "N passed, N failed[, N skipped]" as its last line (per test
#      and subtest; see summarize.py) and exits nonzero when anything
#      failed. Skipped results (vectors that need the C runner's internal
#      functions) are never counted as passed.
set -uo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
mod="$root/bindings/go"
out="$root/build-go/tests"
start=$(date +%s)
rm -rf "$out"
mkdir -p "$out"
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=1
# The pinned SWIG for the stale-wrapper check.
export SWIG="${SWIG:-$root/.venv/bin/swig}"

if ! command -v go >/dev/null 2>&1; then
  echo "go: no Go toolchain on PATH"
  echo "0 passed, 1 failed"
  exit 1
fi

checks_passed=0 checks_failed=0
check() { # check NAME COMMAND...: one result
  if "${@:2}" >"$out/$1.log" 2>&1; then
    checks_passed=$((checks_passed + 1))
  else
    checks_failed=$((checks_failed + 1))
    echo "go: FAIL $1"
    tail -30 "$out/$1.log"
  fi
}
unformatted() { # gofmt -l prints the files it would change
  local files
  files=$(gofmt -l "$mod" "$root/examples/go")
  [ -z "$files" ] || { echo "not gofmt'ed: $files"; return 1; }
}

echo "-- gofmt, go vet"
check gofmt unformatted
check vet bash -c "cd '$mod' && go vet ./... && cd tests/installtest && go vet ./... && cd '$root/examples/go' && go vet ./..."

echo "-- go test ./... (bindings/go)"
(cd "$mod" && nice go test -json -count=1 -timeout 300s ./... >"$out/test.json" 2>"$out/test.err")
echo "-- go test -race ./... (bindings/go)"
(cd "$mod" && nice go test -json -count=1 -race -timeout 300s ./... >"$out/race.json" 2>"$out/race.err")
echo "-- install test (tests/installtest)"
(cd "$mod/tests/installtest" && nice go test -json -count=1 -timeout 300s ./... >"$out/install.json" 2>"$out/install.err")
for f in test race install; do
  [ -s "$out/$f.err" ] && { echo "   ($f: stderr)"; tail -20 "$out/$f.err"; }
done

sum=(0 0 0)
for f in test race install; do
  read -r p fl s < <(python3 "$mod/tests/summarize.py" "$f" "$out/$f.json")
  echo "   $f: $p passed, $fl failed, $s skipped"
  sum=($((sum[0] + p)) $((sum[1] + fl)) $((sum[2] + s)))
done
passed=$((sum[0] + checks_passed))
failed=$((sum[1] + checks_failed))
skipped=${sum[2]}
# shellcheck source=scripts/lib/summary.sh
source "$root/scripts/lib/summary.sh"
suite_summary go "$start" "$passed" "$failed" "$skipped"
