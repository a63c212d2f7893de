#!/usr/bin/env bash
# The Node binding beside sodium-native (bench/node/bench.js), and 200,000
# live PROTECTED secrets held from Node. Writes RESULTS_DIR/sections/node.json
# (see bench/hooks/README.md); its targets replace the placeholder "Node
# binding ...". The with_bytes overhead is the Node call minus the C
# library's sm_secret_with_bytes from the same run (c.jsonl).
#
#   bash bench/hooks/30-node.sh RESULTS_DIR      (bench/run.sh calls it)
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
res=${1:?usage: 30-node.sh RESULTS_DIR}
mkdir -p "$res/sections"
cd "$root"
pkg=bindings/node

note() { # note TEXT: a section that says why nothing was measured
  python3 - "$res/sections/node.json" "$1" <<'PY'
import json, sys
json.dump({"order": 30, "title": "Node binding", "markdown": [sys.argv[2]],
           "targets": [{"text": "Node binding with_bytes overhead ≤ 1 µs", "measured": sys.argv[2], "met": None}],
           "replaces": ["Node binding"]}, open(sys.argv[1], "w"), indent=1)
PY
  exit 0
}

command -v node >/dev/null 2>&1 || note "no Node.js on this machine: the Node binding was not measured"
[ -d "$pkg/node_modules/sodium-native" ] || bash scripts/setup.d/30-node.sh >"$res/node-setup.log" 2>&1 ||
  note "the npm packages could not be installed (see node-setup.log)"
node_gyp="$(npm prefix -g)/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
(cd "$pkg" && nice node "$node_gyp" rebuild --nodedir=/usr -j 2) >"$res/node-build.log" 2>&1 ||
  note "the addon did not build (see node-build.log)"

node --expose-gc bench/node/bench.js "$res/node.jsonl" || note "bench/node/bench.js failed"
scale=200000
[ "${SM_BENCH_QUICK:-0}" = 1 ] && scale=20000
node --max-old-space-size=4096 bench/node/bench.js --scale "$scale" "$res/node-scale.json" ||
  echo '{"asked": '"$scale"', "held": 0, "stopped": "the process failed"}' >"$res/node-scale.json"

python3 - "$res" <<'PY'
import json, sys
from pathlib import Path

res = Path(sys.argv[1])
rows = [json.loads(l) for l in (res / "node.jsonl").read_text().splitlines() if l.strip()]
c = [json.loads(l) for l in (res / "c.jsonl").read_text().splitlines() if l.strip()] if (res / "c.jsonl").exists() else []
scale = json.loads((res / "node-scale.json").read_text())

sys.path.insert(0, "bench")  # the report's own formatting (the hook runs from the root)
from report import fmt_ns as fmt  # noqa: E402


md = ["The Node binding (`bench/node/bench.js`) beside sodium-native 5 in the same process, doing "
      "the same jobs; each row alternates rounds of both. Creating a secret includes its JS object "
      "and the FinalizationRegistry entry that frees the handle later; withBytes includes the "
      "zero-copy view (an external ArrayBuffer, marked untransferable, detached afterwards). "
      "sodium-native's sodium_free only detaches its buffer (libsodium frees it when the ArrayBuffer "
      "is collected): in the create/free rows a collection runs between rounds, untimed, for both sides; "
      "every row starts from a collected heap, and the other rows collect nothing between rounds "
      "(a forced full collection shrinks V8's young generation, whose regrowth would charge "
      "withBytes, whose views are young garbage, 2-3 µs that no steady-state program pays). "
      "The \"V8 floor\" row is what V8 alone charges for the objects every withBytes view needs, "
      "with no native call and no protection change.", "",
      "| operation | securememory (Node) | sodium-native (same job) | anchor time | ratio |",
      "|---|---:|---|---:|---:|"]
for r in rows:
    ratio = f"{r['ns'] / r['anchor_ns']:.2f}×" if r.get("anchor_ns") else "–"
    md.append(f"| {r['name']} | {fmt(r['ns'])} | {r.get('anchor') or '–'} | {fmt(r.get('anchor_ns'))} | {ratio} |")
md += ["", f"Scale: {scale.get('held', 0):,} of {scale.get('asked', 0):,} live PROTECTED 32-B secrets held from Node "
       f"(RSS {scale.get('rss_kb', 0) // 1024:,} MiB, VmLck {scale.get('vmlck_kb', 0) // 1024:,} MiB, "
       f"{scale.get('maps', 0):,} maps lines, {fmt(scale.get('per_create_ns'))} per create; {scale.get('stopped')})."]

targets = []
for kind in ("PROTECTED", "ENCLAVE"):
    node = next((r for r in rows if r["name"] == f"withBytes {kind} 32 B"), None)
    cw = next((r for r in c if r.get("kind") == "pair" and r.get("group") == "with_bytes"
               and r.get("name") == f"with_bytes {kind} 32 B, 1 thread"), None)
    text = f"Node binding with_bytes overhead ≤ 1 µs ({kind})"
    if node and cw:
        over = node["ns"] - cw["ns"]
        targets.append({"text": text, "measured": f"{fmt(over)} ({fmt(node['ns'])} vs C {fmt(cw['ns'])})",
                        "met": over <= 1000})
    else:
        targets.append({"text": text, "measured": "no C with_bytes figure in this run", "met": None})
shared = [r for r in rows if r.get("anchor_ns")]
slower = [r["name"] for r in shared if r["ns"] >= r["anchor_ns"]]
targets.append({"text": "Node: every operation shared with sodium-native faster than sodium-native",
                "measured": f"{len(shared) - len(slower)} of {len(shared)} faster"
                            + (f"; slower: {', '.join(slower)}" if slower else ""),
                "met": not slower})
want = 200000
targets.append({"text": "200,000 live PROTECTED secrets from Node",
                "measured": f"{scale.get('held', 0):,} live ({scale.get('stopped')})",
                "met": (scale.get("held", 0) >= want and scale.get("stopped") == "ok") if scale.get("asked", 0) >= want else None})
json.dump({"order": 30, "title": "Node binding", "markdown": md, "targets": targets,
           "replaces": ["Node binding"]}, open(res / "sections" / "node.json", "w"), indent=1, ensure_ascii=False)
PY
