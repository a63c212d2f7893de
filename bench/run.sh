#!/usr/bin/env bash
# Runs every benchmark of issue 6 and writes docs/benchmarks.md and
# docs/benchmarks.png:
#   - bench/smbench (C): securememory beside libsodium's guarded heap, raw
#     XChaCha20-Poly1305 and bare mprotect, plus the scale steps; then again
#     under the memfd_secret backend (SM_BENCH_BACKEND=secretmem);
#   - bench/go (go test -bench): awnumar/memguard doing the same jobs;
#   - bench/python: the Python binding's with_bytes, built from this tree.
#
#   bash bench/run.sh                  full run (a few minutes)
#   SM_BENCH_QUICK=1 bash bench/run.sh smoke run: short rounds, small scale
# Raw results stay in build-bench/results/. Needs what scripts/setup.sh
# installs, plus Go (for memguard; skipped with a note without it) and
# matplotlib in .venv (for the chart).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh >/dev/null
export PATH="$root/.venv/bin:$PATH"
py="$root/.venv/bin/python"
build="$root/build-bench"
res="$build/results"
quick=${SM_BENCH_QUICK:-0}

log() { printf '== %s\n' "$*" >&2; }

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" -Dbench=true -Dbuildtype=release -Dtests=false -Dexamples=false >/dev/null
fi
meson compile -C "$build" >/dev/null
rm -rf "$res"
mkdir -p "$res"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

log "C benchmark (securememory, libsodium, raw AEAD, scale)"
"$build/bench/smbench" --out "$res/c.jsonl"
log "C benchmark under SM_BACKEND_SECRETMEM (memfd_secret)"
SM_BENCH_BACKEND=secretmem "$build/bench/smbench" --out "$res/c-secretmem.jsonl" \
  create_close with_bytes enclave stream scale ||
  echo "smbench under secretmem failed (no memfd_secret on this kernel?)" >"$res/secretmem-note.txt"

log "Go benchmark (awnumar/memguard)"
if command -v go >/dev/null 2>&1; then
  (cd bench/go && GOTOOLCHAIN=local go test -c -o "$res/memguard.test" .)
  if [ "$quick" = 1 ]; then gotime=20ms count=2 targets="1000 10000"; else gotime=200ms count=5 targets="10000 100000 1000000"; fi
  "$res/memguard.test" -test.run '^$' -test.bench . -test.benchtime "$gotime" -test.count "$count" \
    | tee "$res/go.txt" >&2
  for n in $targets; do
    MEMGUARD_SCALE=$n "$res/memguard.test" -test.run TestMemguardScale -test.v 2>/dev/null \
      | grep '^SCALE ' >>"$res/go-scale.txt" || true
  done
else
  log "no Go toolchain: memguard not measured"
fi

log "Python binding"
wheel="$res/python"
if "$py" -m build --wheel --no-isolation --skip-dependency-check --outdir "$wheel/dist" . \
     >"$res/python-build.log" 2>&1 &&
   "$py" -m pip install --quiet --no-deps --target "$wheel/site" "$wheel"/dist/*.whl \
     >>"$res/python-build.log" 2>&1; then
  PYTHONPATH="$wheel/site" "$py" bench/python/bench_binding.py "$res/py.jsonl"
else
  echo "the wheel did not build (see build-bench/results/python-build.log)" >"$res/py-note.txt"
  log "Python binding not measured: $(cat "$res/py-note.txt")"
fi
# Per-area benchmarks (the Go and Node bindings beside their anchors): each
# hook writes $res/sections/<name>.json (see bench/hooks/README.md).
mkdir -p "$res/sections"
for hook in bench/hooks/*.sh; do
  [ -f "$hook" ] || continue
  log "hook $(basename "$hook")"
  SM_BENCH_QUICK="$quick" bash "$hook" "$res" || log "hook $(basename "$hook") failed"
done

export SM_LOAD_BEFORE="$load_before" SM_LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
"$py" - "$res/machine.json" <<'EOF'
import json, os, platform, resource, subprocess, sys, datetime

def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        return ""

def cpuinfo(key):
    for line in open("/proc/cpuinfo"):
        if line.startswith(key):
            return line.split(":", 1)[1].strip()
    return ""

mem = next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))
soft, _ = resource.getrlimit(resource.RLIMIT_MEMLOCK)
go_mod = open("bench/go/go.mod").read()
memguard = next((l.split()[-1] for l in go_mod.splitlines() if "awnumar/memguard v" in l), "")
json.dump({
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    "cpu": cpuinfo("model name"),
    "cores": str(os.cpu_count()),
    "memory": f"{int(mem) // 1024:,} MiB",
    "kernel": platform.release(),
    "max_map_count": open("/proc/sys/vm/max_map_count").read().strip(),
    "memlock": "unlimited" if soft == resource.RLIM_INFINITY else f"{soft // 1024} KiB",
    "user": "root" if os.geteuid() == 0 else "not root",
    "load_before": os.environ.get("SM_LOAD_BEFORE", ""),
    "load_after": os.environ.get("SM_LOAD_AFTER", ""),
    "go": sh("go", "version"),
    "memguard": memguard,
    "python": platform.python_version(),
    "compiler": sh("cc", "--version").splitlines()[0] if sh("cc", "--version") else "",
}, open(sys.argv[1], "w"), indent=1)
EOF

log "report"
"$py" bench/report.py "$res" docs/benchmarks.md docs/benchmarks.png
