#!/usr/bin/env bash
# Go: the binding's tests and benchmarks need Go >= 1.24 (preinstalled),
# a C compiler, pkg-config and libsodium-dev (scripts/setup.sh installs
# those), and a few modules from the Go module proxy, fetched here into the
# module cache so the tests run offline: golang.org/x/mod for the install
# test (bindings/go/tests/installtest) and awnumar/memguard for bench/go.
# `go mod download` changes nothing when the modules are present.
set -euo pipefail
if ! command -v go >/dev/null 2>&1; then
  echo "setup (go): no Go toolchain on PATH; the Go binding cannot be built or tested" >&2
  exit 0
fi
ver=$(go env GOVERSION)
minor=$(echo "$ver" | sed -E 's/^go1\.([0-9]+).*/\1/')
if [ "${minor:-0}" -lt 24 ] 2>/dev/null; then
  echo "setup (go): $ver is too old; the Go binding needs Go 1.24 or later" >&2
fi
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
for dir in bindings/go/tests/installtest bench/go; do
  [ -f "$dir/go.mod" ] || continue
  (cd "$dir" && go mod download) || echo "setup (go): could not download the modules of $dir" >&2
done
