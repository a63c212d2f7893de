#!/usr/bin/env bash
# Runs the Node examples from this checkout (the addon built in
# bindings/node if it is not there yet). Called by scripts/demo.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root/bindings/node"
if ! node -e "require('.')" >/dev/null 2>&1; then
  echo "-- building the Node addon (npm run build)"
  npm run --silent build >/dev/null
fi
cd "$root/examples/node"
echo "-- examples/node/basic.js"
node basic.js
echo "-- examples/node/signals.js"
set +e
node signals.js
code=$?
set -e
echo "(exit code $code)"
# SIGINT ends it through the library's handler: purge, then exit code 1.
[ "$code" -eq 1 ] || { echo "signals.js: expected exit code 1"; exit 1; }
