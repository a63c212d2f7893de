#!/usr/bin/env bash
# npm packages of the Node binding (bindings/node/package-lock.json), from
# the npm registry: node-addon-api and node-gyp-build (bundled into the
# tarball), prebuildify, typescript and @types/node (tests), sodium-native
# (bench/node). Installed with `npm ci` (install scripts off: nothing is
# compiled or downloaded beyond the packages); re-running is a no-op while
# the lock file is unchanged. Needs node and npm (Node >= 18).
set -euo pipefail
root=$(pwd)
pkg="$root/bindings/node"
if ! command -v npm >/dev/null 2>&1; then
  echo "setup (node): no npm on PATH; the Node binding cannot be built" >&2
  exit 1
fi
stamp="$pkg/node_modules/.package-lock.sha256"
want=$(sha256sum "$pkg/package-lock.json" | cut -d' ' -f1)
if [ ! -d "$pkg/node_modules" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing the Node binding's npm packages"
  (cd "$pkg" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
fi
