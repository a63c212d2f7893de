#!/usr/bin/env bash
# The Go binding beside awnumar/memguard (bench/go: binding_test.go and
# memguard_test.go, one test binary, one process), and 200,000 live
# PROTECTED secrets held from Go. Writes RESULTS_DIR/sections/go.json (see
# bench/hooks/README.md); its targets replace the placeholder "Go binding
# ...". The WithBytes overhead is the Go call minus the C library's own
# sm_secret_with_bytes, measured in the same process in alternating rounds
# (bench/go/cfloor.go, TestSMWithBytesOverhead), so that the load of a
# shared machine falls on both alike.
#
#   bash bench/hooks/20-go.sh RESULTS_DIR      (bench/run.sh calls it)
#   SM_BENCH_QUICK=1 bash bench/hooks/20-go.sh DIR   (short rounds)
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
res=${1:?usage: 20-go.sh RESULTS_DIR}
mkdir -p "$res/sections"
res=$(cd "$res" && pwd)
cd "$root"
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false

note() { # note TEXT: a section that says why nothing was measured
  python3 - "$res/sections/go.json" "$1" <<'PY'
import json, sys
json.dump({"order": 20, "title": "Go binding", "markdown": [sys.argv[2]],
           "targets": [{"text": "Go binding WithBytes overhead over the C call ≤ 0.3 µs",
                        "measured": sys.argv[2], "met": None}],
           "replaces": ["Go binding"]}, open(sys.argv[1], "w"), indent=1)
PY
  exit 0
}

command -v go >/dev/null 2>&1 || note "no Go toolchain on this machine: the Go binding was not measured"
(cd bench/go && go test -c -o "$res/go-binding.test" .) >"$res/go-binding-build.log" 2>&1 ||
  note "bench/go did not build (see go-binding-build.log)"

if [ "${SM_BENCH_QUICK:-0}" = 1 ]; then
  benchtime=20ms count=2 scale=20000 mgscale=20000 rounds=11
else
  benchtime=200ms count=5 scale=200000 mgscale=100000 rounds=41
fi
jobs='^Benchmark(SM|MemguardAccessParallel|NewBufferFromBytesDestroy|NewBufferRandomDestroy|LockedBufferAccess|EnclaveSeal|EnclaveOpen|Stream64MiB)'
# count passes over every job, each job once per pass (not -test.count, which
# repeats a job back to back): ours and memguard's run minutes apart
# otherwise, and on a shared machine that alone moves their ratio.
: >"$res/go-binding.txt"
for _ in $(seq "$count"); do
  SM_BENCH_GO_BINDING=1 nice "$res/go-binding.test" -test.run '^$' -test.bench "$jobs" \
    -test.benchtime "$benchtime" -test.count 1 >>"$res/go-binding.txt" 2>&1 ||
    note "the Go benchmarks failed (see go-binding.txt)"
done
SM_SCALE=$scale "$res/go-binding.test" -test.run '^TestSMScale$' -test.v 2>&1 |
  grep '^SCALE ' >"$res/go-binding-scale.txt"
MEMGUARD_SCALE=$mgscale "$res/go-binding.test" -test.run '^TestMemguardScale$' -test.v 2>/dev/null |
  grep '^SCALE ' >>"$res/go-binding-scale.txt"

SM_OVERHEAD_ROUNDS=$rounds nice "$res/go-binding.test" -test.run '^TestSMWithBytesOverhead$' -test.v 2>&1 |
  grep '^OVERHEAD ' >"$res/go-binding-overhead.txt"

python3 - "$res" <<'PY'
import json, re, statistics, sys
from pathlib import Path

res = Path(sys.argv[1])
runs = {}
for line in (res / "go-binding.txt").read_text().splitlines():
    m = re.match(r"^Benchmark(\S+?)(-\d+)?\s+\d+\s+([\d.]+) ns/op", line)
    if m:
        runs.setdefault(m.group(1), []).append(float(m.group(3)))
go = {k: statistics.median(v) for k, v in runs.items()}
ovh = res / "go-binding-overhead.txt"
overhead = {r["kind"]: r for r in (json.loads(l[9:]) for l in ovh.read_text().splitlines()
                                   if l.startswith("OVERHEAD "))} if ovh.exists() else {}
scale = [json.loads(l[6:]) for l in (res / "go-binding-scale.txt").read_text().splitlines()
         if l.startswith("SCALE ")] if (res / "go-binding-scale.txt").exists() else []

sys.path.insert(0, "bench")  # the report's own formatting (the hook runs from the root)
from report import fmt_ns as fmt  # noqa: E402


# (job, ours, memguard's counterpart, what memguard does, shared): shared
# jobs count for "at least as fast"; create jobs for "≤ 0.2×".
rows = []
for kind in ("PROTECTED", "ENCLAVE"):
    for size, label in (("32B", "32 B"), ("1KiB", "1 KiB")):
        anchor = (f"NewBufferFromBytesDestroy/{size}", "NewBufferFromBytes + Destroy") if kind == "PROTECTED" \
            else (f"EnclaveSeal/{size}", "NewEnclave (seal; collected later)")
        rows.append((f"secret New + Close, {kind} {label}", f"SMSecretNewClose/{kind}/{size}", *anchor, "create"))
for size, label in (("32B", "32 B"), ("1KiB", "1 KiB")):
    rows.append((f"buffer NewBufferRandom + Destroy {label}", f"SMBufferNewRandomDestroy/{size}",
                 f"NewBufferRandomDestroy/{size}", "NewBufferRandom + Destroy", "create"))
rows += [
    ("WithBytes PROTECTED 32 B, 1 goroutine", "SMWithBytes/PROTECTED", "LockedBufferAccess",
     "Melt + read + Freeze", "shared"),
    ("WithBytes ENCLAVE 32 B, 1 goroutine", "SMWithBytes/ENCLAVE", "EnclaveOpen/32B",
     "Enclave.Open + Destroy (Asherah's memguard secret)", "shared"),
    ("WithBytes PROTECTED 32 B, RunParallel (one shared secret)", "SMWithBytesParallel/PROTECTED",
     "MemguardAccessParallel/LockedBuffer", "Melt + read + Freeze, a buffer per goroutine", "shared"),
    ("WithBytes ENCLAVE 32 B, RunParallel (one shared secret)", "SMWithBytesParallel/ENCLAVE",
     "MemguardAccessParallel/EnclaveOpen", "Enclave.Open + Destroy, one shared enclave", "shared"),
]
for size, label in (("32B", "32 B"), ("64KiB", "64 KiB"), ("1MiB", "1 MiB")):
    rows.append((f"enclave seal {label} (+ Destroy)", f"SMEnclaveSeal/{size}", f"EnclaveSeal/{size}",
                 "NewEnclave", "shared"))
for size, label in (("32B", "32 B"), ("64KiB", "64 KiB"), ("1MiB", "1 MiB")):
    rows.append((f"enclave Open {label} (+ Destroy of the buffer)", f"SMEnclaveOpen/{size}",
                 f"EnclaveOpen/{size}", "Open + Destroy", "shared"))
for size, label in (("32B", "32 B"), ("64KiB", "64 KiB"), ("1MiB", "1 MiB")):
    rows.append((f"enclave OpenInto {label} (a buffer kept across opens)", f"SMEnclaveOpenInto/{size}",
                 f"EnclaveOpen/{size}", "Open + Destroy (no OpenInto)", "extra"))
rows.append(("stream: write 64 MiB, read it back (16 KiB chunks)", "SMStream64MiB", "Stream64MiB",
             "Stream Write + Read", "shared"))

md = ["The Go binding (`bench/go/binding_test.go`) beside awnumar/memguard in the same test binary "
      "and process, doing the same jobs (`go test -bench`: five passes over every job (two in a quick run), each job once "
      "per pass, so ours and memguard's alternate; the median of the passes). ns/op of a "
      "RunParallel row is wall time per access with every P running. memguard panics or returns "
      "null buffers where this binding returns errors.", "",
      "| job | securememory (Go) | memguard (same job) | memguard time | ratio |",
      "|---|---:|---|---:|---:|"]
shared_bad, create_worst = [], 0.0
for job, ours, anchor, what, cls in rows:
    o, a = go.get(ours), go.get(anchor)
    ratio = o / a if o and a else None
    md.append(f"| {job} | {fmt(o)} | {what} | {fmt(a)} | {f'{ratio:.2f}×' if ratio else '–'} |")
    if cls == "shared" and (ratio is None or ratio > 1):
        shared_bad.append(f"{job} {f'{ratio:.2f}×' if ratio else 'not measured'}")
    if cls == "create":
        create_worst = max(create_worst, ratio if ratio else float("inf"))

ours_scale = next((r for r in scale if r["who"].startswith("securememory")), None)
mg_scale = next((r for r in scale if r["who"].startswith("memguard")), None)
md.append("")
for r in (ours_scale, mg_scale):
    if r:
        md.append(f"- Scale, {r['who']}: {r['reached']:,} of {r['target']:,} live 32-B objects "
                  f"(RSS {r['rss_kb'] // 1024:,} MiB, VmLck {r['locked_kb'] // 1024:,} MiB, "
                  f"{r['maps']:,} maps lines, {fmt(r['create_ns'])} per create; {r['stop']}).")

targets = []
for kind in ("PROTECTED", "ENCLAVE"):
    o = overhead.get(kind)
    text = f"Go binding WithBytes overhead over the C call ≤ 0.3 µs ({kind} 32 B)"
    if o is None:
        targets.append({"text": text, "measured": "not measured in this run", "met": None})
        continue
    floor = (f"; floor: a Go loop of the two raw cgo calls alone, no binding code, {fmt(o['raw_cgo_ns'])}, "
             f"{fmt(o['raw_cgo_over_ns'])} over C") if "raw_cgo_ns" in o else ""
    targets.append({"text": text, "met": o["over_ns"] <= 300,
                    "measured": f"{fmt(o['over_ns'])} (Go WithBytes {fmt(o['go_ns'])}, C sm_secret_with_bytes "
                                f"{fmt(o['c_ns'])}, same process, {o['rounds']} alternating rounds{floor})"})
shared = [r for r in rows if r[4] == "shared"]
targets.append({"text": "Go binding: every shared operation at least as fast as memguard's",
                "measured": ("all " + str(len(shared)) + " jobs" if not shared_bad else "slower: " + "; ".join(shared_bad)),
                "met": not shared_bad})
targets.append({"text": "Go binding: create and destroy ≤ 0.2× memguard's",
                "measured": f"worst {create_worst:.2f}× (secret New + Close, buffer new + Destroy)"
                if create_worst != float("inf") else "not measured",
                "met": create_worst <= 0.2 if create_worst != float("inf") else None})
if ours_scale:
    targets.append({"text": "Go binding: 200,000 live PROTECTED secrets from Go",
                    "measured": f"{ours_scale['reached']:,} of {ours_scale['target']:,} ({ours_scale['stop']})",
                    "met": ours_scale["reached"] >= 200000})
else:
    targets.append({"text": "Go binding: 200,000 live PROTECTED secrets from Go",
                    "measured": "not measured", "met": None})
json.dump({"order": 20, "title": "Go binding", "markdown": md, "targets": targets,
           "replaces": ["Go binding"]}, open(res / "sections" / "go.json", "w"), indent=1)
print("\n".join(md))
for t in targets:
    print(f"target: {t['text']}: {t['measured']} -> {t['met']}")
PY
