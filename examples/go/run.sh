#!/usr/bin/env bash
# Runs the Go examples the way a user would (go run, against this checkout
# through the replace directive of examples/go/go.mod). Called by
# scripts/demo.sh.
set -euo pipefail
cd "$(dirname "$0")"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
for example in hello buffers asherah; do
  echo "-- examples/go/$example"
  go run "./$example"
done
echo "-- examples/go/signals"
# go run exits 1 whenever the program exits nonzero: build it to see the
# program's own exit code.
go build -o "${TMPDIR:-/tmp}/securememory-signals-example" ./signals
set +e
"${TMPDIR:-/tmp}/securememory-signals-example"
code=$?
set -e
rm -f "${TMPDIR:-/tmp}/securememory-signals-example"
echo "(exit code $code)"
[ "$code" -eq 3 ] || { echo "signals: expected exit code 3"; exit 1; }
