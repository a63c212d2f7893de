#!/usr/bin/env bash
# The core on aarch64 (the project's CI machine is x86-64), as
# scripts/test.sh runs it; needs what scripts/setup.sh installs on x86_64
# (gcc-aarch64-linux-gnu, libc6-dev-arm64-cross, qemu-user):
#   1. every core source compiles for aarch64 with the project's warnings
#      (-Wall -Wextra -Werror), against libsodium's (architecture-neutral)
#      headers: one result per file;
#   2. tests/arch/aarch64_registers.c, the register clear (the only code of
#      the core that differs by architecture), built with the core's
#      registers.c and run under qemu-aarch64: one result per TAP line.
# The core's own C suites are not run under qemu-user: its /proc/self/mem
# is not the guest's view (the whole-process scans), and the fork- and
# signal-heavy tests outlast their timeouts there.
# The last line is "N passed, N failed"; nonzero exit on any failure.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out="$root/build-arch"
mkdir -p "$out"
start=$(date +%s)
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "not ok - $1"; }

cc=aarch64-linux-gnu-gcc
if ! command -v "$cc" >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
  echo "no $cc or qemu-aarch64 (scripts/setup.sh installs them on x86_64)"
  if [ "$(uname -m)" = x86_64 ]; then
    echo "0 passed, 1 failed"
    exit 1
  fi
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
fi

# libsodium's headers alone: the target's libsodium is not installed.
inc="$out/include"
rm -rf "$inc" && mkdir -p "$inc" && cp -r /usr/include/sodium.h /usr/include/sodium "$inc/"
flags=(-std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -pthread -fvisibility=hidden
       -isystem "$inc" -Icore/include)
for d in core/src/*/; do flags+=(-I"$d"); done

echo "-- the core's sources, compiled for aarch64"
for f in core/src/*.c core/src/*/*.c; do
  if "$cc" "${flags[@]}" -c "$f" -o "$out/unit.o" 2>"$out/cc.log"; then
    pass "$f compiles for aarch64"
  else
    fail "$f compiles for aarch64"
    head -20 "$out/cc.log"
  fi
done

echo "-- the register clear, under qemu-aarch64"
if "$cc" "${flags[@]}" tests/arch/aarch64_registers.c core/src/memory/registers.c \
  -o "$out/aarch64_registers" 2>"$out/cc.log"; then
  qemu-aarch64 -L /usr/aarch64-linux-gnu "$out/aarch64_registers" >"$out/registers.tap" 2>&1
  rc=$?
  while read -r line; do
    case $line in
      "ok "*) pass "${line#ok * - }" ;;
      "not ok "*) fail "${line#not ok * - }" ;;
    esac
  done <"$out/registers.tap"
  # Nothing reported, or a crash after the results, is a failure too.
  if [ "$rc" -ne 0 ] && ! grep -q '^not ok' "$out/registers.tap"; then
    fail "aarch64_registers exited with $rc"
    cat "$out/registers.tap"
  fi
  grep -q '^ok' "$out/registers.tap" || fail "aarch64_registers reported nothing"
else
  fail "tests/arch/aarch64_registers.c builds for aarch64"
  head -20 "$out/cc.log"
fi

echo "-- arch: $(($(date +%s) - start)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
