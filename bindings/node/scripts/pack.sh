#!/usr/bin/env bash
# Builds the npm tarball securememory-<version>.tgz, self-contained:
#   - the prebuilt addon for linux-x64 (prebuildify --napi --strip, offline:
#     npm's own node-gyp against the installed headers, --nodedir=/usr),
#     with libsodium.so.23 beside it (the addon's RUNPATH is $ORIGIN), so
#     the installed package needs neither a compiler nor libsodium;
#   - the C core's sources (core/), binding.gyp and the SWIG wrapper, so
#     node-gyp-build can still compile where no prebuild matches;
#   - node-gyp-build and node-addon-api, bundled.
#
#   bash bindings/node/scripts/pack.sh [DEST_DIR]    (default: build-node/)
# prebuildify rebuilds build/ on the way: rebuild afterwards for a debug
# build of your own.
# Prints the tarball's path as its last line.
set -euo pipefail
pkg=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$pkg/../.." && pwd)
dest=$(mkdir -p "${1:-$root/build-node}" && cd "${1:-$root/build-node}" && pwd)
cd "$pkg"
[ -d node_modules/prebuildify ] || { echo "pack: run scripts/setup.sh first (npm packages)" >&2; exit 1; }

node_gyp="$(npm prefix -g)/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
export PREBUILD_NODE_GYP="$node_gyp" npm_config_nodedir=/usr

# The core goes into the package (binding.gyp prefers ./core when present)
# and the prebuild into prebuilds/; neither stays behind in a checkout, where
# they would go stale (node-gyp-build would load the prebuild). A copy of
# the prebuild is kept in DEST_DIR/prebuilds for the tests.
cleanup() { rm -rf "$pkg/core" "$pkg/prebuilds"; }
trap cleanup EXIT
rm -rf core prebuilds
mkdir -p core
cp -r "$root/core/include" "$root/core/src" core/
find core -name meson.build -delete

nice node_modules/.bin/prebuildify --napi --strip >"$dest/prebuildify.log" 2>&1 ||
  { tail -30 "$dest/prebuildify.log" >&2; exit 1; }
addon=$(ls prebuilds/linux-x64/*.node)
sodium=$(ldconfig -p | awk '/libsodium\.so\.23 .*x86-64/ { print $NF; exit }')
[ -n "$sodium" ] || sodium=/usr/lib/x86_64-linux-gnu/libsodium.so.23
cp -L "$sodium" prebuilds/linux-x64/libsodium.so.23
chmod 0644 prebuilds/linux-x64/libsodium.so.23
patchelf --set-rpath '$ORIGIN' "$addon"

tarball=$(npm pack --loglevel=error --pack-destination "$dest" | tail -1) # errors reach stderr (--silent hid them)
rm -rf "$dest/prebuilds"
cp -r prebuilds "$dest/prebuilds"
echo "$dest/$tarball"
