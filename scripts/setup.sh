#!/usr/bin/env bash
# Installs everything securememory needs on a fresh Debian 12 machine:
# Debian packages (compiler, libsodium, debuggers, sanitizer runtimes) and the
# pinned Python tools of requirements-dev.txt in a project-local .venv.
# Re-running it is fast and changes nothing when everything is present.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

debs=(build-essential pkg-config libsodium-dev gdb valgrind clang clang-format
      libclang-rt-14-dev util-linux python3-venv python3-dev patchelf)
# tests/arch: the core compiled for aarch64 and its register clear run there.
[ "$(uname -m)" = x86_64 ] && debs+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)

missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

py=${PYTHON:-python3}
stamp=.venv/.requirements-dev.sha256
want=$(sha256sum requirements-dev.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: creating .venv with the pinned Python tools"
  [ -x .venv/bin/python ] || "$py" -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
  echo "$want" > "$stamp"
fi
# Per-area set-up (Go modules, npm packages, ...): one script per area in
# scripts/setup.d/, run in name order with the project root as the working
# directory and .venv/bin on PATH. Each must be fast and idempotent too.
for hook in scripts/setup.d/*.sh; do
  [ -f "$hook" ] || continue
  PATH="$root/.venv/bin:$PATH" bash "$hook"
done
echo "setup: ready (.venv/bin has meson, ninja, swig, pytest)"
