#!/usr/bin/env bash
# Set up everything, install the library into a local prefix, and run the
# examples the way a user would: C programs built through pkg-config, and the
# binding examples that exist.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh
export PATH="$root/.venv/bin:$PATH"
prefix="$root/build/demo-prefix"
[ -f build/build.ninja ] || meson setup build >/dev/null
meson configure build --prefix "$prefix" --libdir lib >/dev/null
meson compile -C build >/dev/null
meson install -C build --quiet
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig" LD_LIBRARY_PATH="$prefix/lib"
mkdir -p build/demo
for src in examples/c/*.c; do
  name=$(basename "$src" .c)
  cc -std=c11 "$src" $(pkg-config --cflags --libs securememory) -o "build/demo/$name"
  echo "== examples/c/$name.c"
  status=0
  "build/demo/$name" || status=$?
  # signals.c ends itself by SIGINT through the library: exit status 130.
  expected=0; [ "$name" = signals ] && expected=130
  [ "$status" -eq "$expected" ] || { echo "examples/c/$name.c exited $status"; exit 1; }
done
for run in examples/*/run.sh; do
  [ -f "$run" ] || continue
  echo "== $run"
  bash "$run"
done
