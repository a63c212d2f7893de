"""Writes docs/benchmarks.md and docs/benchmarks.png from one benchmark run.

Inputs (all written by bench/run.sh into one results directory):
  c.jsonl         bench/smbench: securememory beside libsodium / raw AEAD / mprotect
  c-secretmem.jsonl  the same under SM_BACKEND_SECRETMEM (absent: secretmem-note.txt)
  go.txt          `go test -bench` output of bench/go (awnumar/memguard)
  go-scale.txt    lines "SCALE {json}" from bench/go's TestMemguardScale
  py.jsonl        bench/python/bench_binding.py (absent: py-note.txt says why)
  machine.json    the machine and the run (bench/run.sh)
  sections/*.json one section per bench/hooks script (see bench/hooks/README.md)

    python bench/report.py RESULTS_DIR OUT.md OUT.png
"""

from __future__ import annotations

import json
import re
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Pair:
    group: str
    name: str
    ns: float
    anchor: str
    anchor_ns: float

    @property
    def ratio(self) -> float:
        return self.ns / self.anchor_ns if self.anchor_ns else float("nan")


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def read_go(path: Path) -> dict[str, float]:
    """Median ns/op of each Go benchmark over its -count repetitions."""
    runs: dict[str, list[float]] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            m = re.match(r"^(Benchmark\S+?)(-\d+)?\s+\d+\s+([\d.]+) ns/op", line)
            if m:
                runs.setdefault(m.group(1), []).append(float(m.group(3)))
    return {k: statistics.median(v) for k, v in runs.items()}


def read_go_scale(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(l[len("SCALE "):]) for l in path.read_text().splitlines() if l.startswith("SCALE ")]


# ---------------------------------------------------------------------------
# Formatting


def fmt_ns(ns: float | None) -> str:
    if ns is None:
        return "–"
    if ns >= 1e6:
        return f"{ns / 1e6:,.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:,.2f} µs"
    return f"{ns:,.0f} ns"


def fmt_int(n: float) -> str:
    return f"{int(n):,}"


def fmt_kb(kb: float) -> str:
    kb = int(kb)
    return f"{kb:,} kB" if kb < 10 * 1024 else f"{kb // 1024:,} MiB"


SIZE_TAG = {"32 B": "32B", "1 KiB": "1KiB", "64 KiB": "64KiB", "1 MiB": "1MiB", "1024 B": "1KiB"}


def memguard_for(p: Pair, go: dict[str, float]) -> tuple[str, float | None]:
    """The memguard benchmark that does the same job as a C row, if any."""
    size = next((tag for label, tag in SIZE_TAG.items() if f" {label}" in p.name), None)
    table = [
        ("create_close", "PROTECTED", f"BenchmarkNewBufferFromBytesDestroy/{size}"),
        ("with_bytes", "PROTECTED", "BenchmarkLockedBufferAccess"),
        ("with_bytes", "ENCLAVE", "BenchmarkEnclaveOpen/32B"),
        ("enclave_seal", "", f"BenchmarkEnclaveSeal/{size}"),
        ("enclave_open", "", f"BenchmarkEnclaveOpen/{size}"),
        ("stream", "", "BenchmarkStream64MiB"),
    ]
    for group, word, bench in table:
        if p.group == group and word in p.name and bench in go:
            return bench.removeprefix("Benchmark"), go[bench]
    return "", None


# ---------------------------------------------------------------------------
# Targets (issue 6, section 2)


@dataclass
class Target:
    text: str
    measured: str
    met: bool | None  # None: not measurable in this run


def find(pairs: list[Pair], group: str, needle: str) -> Pair | None:
    return next((p for p in pairs if p.group == group and needle in p.name), None)


def throughput_target(pairs, group, size, label) -> Target:
    p = find(pairs, group, f" {size} ")
    if p is None:
        return Target(label, "not measured", None)
    tput = p.anchor_ns / p.ns
    return Target(label, f"{tput:.2f}× raw throughput ({fmt_ns(p.ns)} vs {fmt_ns(p.anchor_ns)})", tput >= 0.9)


def open_free_row(pairs, size) -> Target | None:
    """Open into a new guarded buffer, then free it: not the issue's target
    (the raw open writes into memory it already has), shown beside it with
    the floor that a frozen, guarded, wiped buffer's life costs."""
    p = find(pairs, "enclave_open", f" {size} ")
    floor = find(pairs, "enclave_open_floor", f" {size} ")
    if p is None or floor is None:
        return None
    return Target(f"(enclave open {size} into a new guarded buffer, then free it: the raw open plus 4 mprotects "
                  "and a wipe; against raw, and against that floor done with bare system calls)",
                  f"{p.anchor_ns / p.ns:.2f}× raw throughput ({fmt_ns(p.ns)} vs {fmt_ns(p.anchor_ns)}); "
                  f"{floor.ratio:.2f}× the floor ({fmt_ns(floor.ns)} vs {fmt_ns(floor.anchor_ns)})", None)


def scale_target(scale, who, target, limit_word, label) -> Target:
    row = next((r for r in scale if r["who"] == who and int(r["target"]) == target), None)
    if row is None:
        return Target(label, "not measured", None)
    ok = int(row["reached"]) >= target and limit_word in row["limits"]
    return Target(
        label,
        f"{fmt_int(row['reached'])} live, {fmt_int(row['maps'])} maps lines, "
        f"VmLck {fmt_int(row['locked_kb'])} kB ({row['limits']}; {row['stop']})",
        ok,
    )


def python_targets(pairs, values) -> list[Target]:
    out = []
    for kind in ("PROTECTED", "ENCLAVE"):
        py = next((v for v in values if v["name"] == f"python with_bytes {kind} 32 B"), None)
        c = find(pairs, "with_bytes", f"with_bytes {kind} 32 B, 1 thread")
        label = f"Python with_bytes overhead over C ≤ 1.5 µs ({kind})"
        if py is None or c is None:
            out.append(Target(label, "binding not measured in this run", None))
            continue
        over = py["ns"] - c.ns
        out.append(Target(label, f"{fmt_ns(over)} ({fmt_ns(py['ns'])} vs C {fmt_ns(c.ns)})", over <= 1500))
    return out


def targets(pairs: list[Pair], scale: list[dict], values: list[dict]) -> list[Target]:
    t: list[Target] = []
    p = find(pairs, "with_bytes", "PROTECTED 32 B, 1 thread")
    if p:
        t.append(Target("with_bytes PROTECTED, 1 thread ≤ 1.15× the mprotect floor",
                        f"{p.ratio:.2f}× ({fmt_ns(p.ns)} vs {fmt_ns(p.anchor_ns)})", p.ratio <= 1.15))
    for kind in ("PROTECTED", "ENCLAVE"):
        p = find(pairs, "with_bytes_2t", kind)
        if p:
            gain = p.anchor_ns / p.ns
            t.append(Target(f"with_bytes from 2 threads on one {kind} secret ≥ 1.5× the 1-thread rate",
                            f"{gain:.2f}× ({fmt_ns(p.ns)} aggregate vs {fmt_ns(p.anchor_ns)})", gain >= 1.5))
    for kind in ("PROTECTED", "ENCLAVE"):
        p = find(pairs, "create_close", f"{kind} 32 B")
        if p:
            t.append(Target(f"create+close of a 32-B {kind} secret ≤ 0.5× sodium_malloc/noaccess/free",
                            f"{p.ratio:.2f}× ({fmt_ns(p.ns)} vs {fmt_ns(p.anchor_ns)})", p.ratio <= 0.5))
    p = find(pairs, "with_bytes", "ENCLAVE 32 B, 1 thread")
    if p:
        t.append(Target("ENCLAVE with_bytes of 32 B ≤ 3× a raw XChaCha20-Poly1305 open of 32 B",
                        f"{p.ratio:.2f}× ({fmt_ns(p.ns)} vs {fmt_ns(p.anchor_ns)})", p.ratio <= 3))
    for size in ("64 KiB", "1 MiB"):
        t.append(throughput_target(pairs, "enclave_seal", size, f"enclave seal {size} ≥ 0.9× raw throughput"))
        t.append(throughput_target(pairs, "enclave_open_into", size,
                                   f"enclave open {size} ≥ 0.9× raw throughput (sm_enclave_open_into a guarded "
                                   "buffer the caller holds, as the raw open writes into memory it holds)"))
        row = open_free_row(pairs, size)
        if row:
            t.append(row)
    p = find(pairs, "stream", "stream")
    if p:
        tput = p.anchor_ns / p.ns
        t.append(Target("stream write+read ≥ 0.8× raw AEAD over the same chunks",
                        f"{tput:.2f}× ({fmt_ns(p.ns)} vs {fmt_ns(p.anchor_ns)})", tput >= 0.8))
    t.append(scale_target(scale, "securememory PROTECTED", 200000, "unlimited",
                          "200,000 live PROTECTED 32-B secrets (memory lock unlimited)"))
    t.append(scale_target(scale, "securememory ENCLAVE", 1000000, "8 MiB",
                          "1,000,000 live ENCLAVE 32-B secrets under an 8 MiB RLIMIT_MEMLOCK, no CAP_IPC_LOCK"))
    p = find(pairs, "register_clear", "sm_equal")
    if p:
        clear = p.ns - p.anchor_ns
        t.append(Target("the register clear after each plaintext-moving call costs nanoseconds (≤ 50 ns)",
                        f"{fmt_ns(clear)} (sm_equal of 1 B {fmt_ns(p.ns)} minus sodium_memcmp {fmt_ns(p.anchor_ns)})",
                        clear <= 50))
    t.extend(python_targets(pairs, values))
    t.append(Target("Go binding with_bytes overhead ≤ 0.3 µs", "not measured in this run", None))
    t.append(Target("Node binding with_bytes overhead ≤ 1 µs", "not measured in this run", None))
    return t


def read_sections(res: Path) -> list[dict]:
    """The sections the bench/hooks scripts wrote, in their order."""
    d = res / "sections"
    found = [json.loads(p.read_text()) for p in sorted(d.glob("*.json"))] if d.is_dir() else []
    return sorted(found, key=lambda s: (s.get("order", 100), s.get("title", "")))


def merge_section_targets(ts: list[Target], sections: list[dict]) -> list[Target]:
    """Each section's targets replace the placeholders it names."""
    gone = [w for s in sections for w in s.get("replaces", [])]
    kept = [t for t in ts if not any(t.text.startswith(w) for w in gone)]
    for s in sections:
        kept += [Target(x["text"], x["measured"], x.get("met")) for x in s.get("targets", [])]
    return kept


# ---------------------------------------------------------------------------
# Markdown


def verdict(met: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "n/a"}[met]


def md_targets(ts: list[Target]) -> list[str]:
    lines = ["| target | measured | |", "|---|---|---|"]
    lines += [f"| {t.text} | {t.measured} | {verdict(t.met)} |" for t in ts]
    return lines


def md_ops(pairs: list[Pair], go: dict[str, float]) -> list[str]:
    lines = ["| operation | securememory | anchor | anchor time | ratio | memguard (same job) |",
             "|---|---:|---|---:|---:|---|"]
    for p in pairs:
        bench, ns = memguard_for(p, go)
        mg = f"{fmt_ns(ns)} ({bench})" if ns is not None else "–"
        lines.append(f"| {p.name} | {fmt_ns(p.ns)} | {p.anchor} | {fmt_ns(p.anchor_ns)} | "
                     f"{p.ratio:.2f}× | {mg} |")
    return lines


def md_scale(scale: list[dict]) -> list[str]:
    lines = ["| who | memory lock limit | asked | held | RSS | VmLck | maps lines | per create | stopped by |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in scale:
        lines.append(f"| {r['who']} | {r['limits']} | {fmt_int(r['target'])} | {fmt_int(r['reached'])} | "
                     f"{fmt_kb(r['rss_kb'])} | {fmt_kb(r['locked_kb'])} | "
                     f"{fmt_int(r['maps'])} | {fmt_ns(float(r['create_ns']))} | {r['stop']} |")
    return lines


def md_backends(pairs: list[Pair], secret_pairs: list[Pair], note: str) -> list[str]:
    """The same operations under the two memory backends, from the two smbench runs."""
    if not secret_pairs:
        return [f"Not measured in this run: {note or 'no secretmem run'}."]
    by_name = {p.name: p for p in pairs}
    lines = ["| operation | pages | secretmem | secretmem ÷ pages |", "|---|---:|---:|---:|"]
    for q in secret_pairs:
        p = by_name.get(q.name)
        if p is not None and q.group not in ("register_clear",):
            lines.append(f"| {q.name} | {fmt_ns(p.ns)} | {fmt_ns(q.ns)} | {q.ns / p.ns:.2f}× |")
    return lines


def md_python(values: list[dict], note: str) -> list[str]:
    py = [v for v in values if v.get("group") == "python"]
    if not py:
        return [f"Not measured in this run: {note or 'the binding was not available'}."]
    lines = ["| call | time per call |", "|---|---:|"]
    lines += [f"| `{v['name'].removeprefix('python ')}` | {fmt_ns(v['ns'])} |" for v in py]
    return lines


def machine_lines(m: dict) -> list[str]:
    keys = [("date", "Date"), ("cpu", "CPU"), ("cores", "Cores"), ("memory", "Memory"),
            ("kernel", "Kernel"), ("max_map_count", "vm.max_map_count"), ("memlock", "RLIMIT_MEMLOCK (soft)"),
            ("user", "User"), ("load_before", "Load average before"), ("load_after", "Load average after"),
            ("libsodium", "libsodium"), ("go", "Go"), ("memguard", "memguard"), ("python", "Python"),
            ("compiler", "C compiler"), ("settings", "Settings")]
    return [f"- {label}: {m[k]}" for k, label in keys if m.get(k)]


HOW = """\
How it is measured (`bench/smbench`, C): every operation runs the whole
public-API cycle a caller needs to repeat it (create and free, open and
free the buffer, seal and free the enclave), and its anchor does the same
job with libsodium (`sodium_malloc` + `sodium_mprotect_noaccess` +
`sodium_free`), raw XChaCha20-Poly1305 (`crypto_aead_xchacha20poly1305_ietf_*`
with a fresh random nonce per seal, into preallocated memory), or bare
`mprotect` on a guarded page. Each figure is the median ns per operation of
several rounds after a warm-up round; an operation and its anchor run in
alternating rounds, so both see the same machine noise. Ratios are
securememory time ÷ anchor time (below 1 is faster); throughput targets use
the inverse. memguard figures come from `go test -bench` (median of the
`-count` repetitions) in the same run; memguard has no no-access state at
rest, so its "same job" rows are the closest operation it offers. Scale
steps each run in a fresh process; RSS, VmLck and the maps line count are
read from /proc/self at the end of the step.

The enclave open target compares like with like: the raw open decrypts
into memory the caller already has, and so does `sm_enclave_open_into`
into a guarded buffer the caller holds. `sm_enclave_open` also makes a new
guarded buffer and the benchmark frees it each time; that life costs four
`mprotect` calls (take the no-access cached slot, freeze it read-only,
make it writable for the wipe, hide it again) and the wipe, which scale
with the pages (on a small VM about 1.5 µs plus 70 ns a page each), so its
row is shown beside the target with its floor: the same open plus those
calls done bare.
"""


BACKENDS = """\
`SM_BACKEND_SECRETMEM` takes the pages that hold plaintext from memfd_secret(2)
files: they leave the kernel's direct map, so not even root reads them through
`/proc/PID/mem`, `process_vm_readv` or ptrace. Each slot is a mapping of the
file, made when the slot is taken (where the pages backend locks it), and an
access changes the protection of a shared mapping; so creating and accessing
a PROTECTED secret costs more, while ENCLAVE secrets, which touch their view
pages without a system call, cost the same. The default stays
`SM_BACKEND_PAGES` (docs/design.md gives the reasons); `SM_BACKEND_AUTO` picks
secretmem where the kernel has it. The second run below is the same smbench
with `SM_BENCH_BACKEND=secretmem`."""


def write_md(path: Path, m: dict, pairs, go, scale, values, ts, py_note: str, png_name: str,
             sections: list[dict], secret_pairs: list[Pair], secret_scale: list[dict],
             secret_note: str) -> None:
    out = ["# Benchmarks", "",
           "Written by `bash bench/run.sh` (issue 6). Numbers from one run on one machine; "
           "a shared or small machine makes them noisy, so compare ratios, not absolute times.", ""]
    out += machine_lines(m) + ["", HOW, f"![securememory against its anchors]({png_name})", ""]
    out += ["## Targets", ""] + md_targets(ts) + [""]
    out += ["## Operations", ""] + md_ops(pairs, go) + [""]
    extra = {k: v for k, v in go.items() if k.startswith("BenchmarkNewBufferRandomDestroy")}
    if extra:
        out += ["memguard `NewBufferRandom` + `Destroy`: " +
                ", ".join(f"{k.split('/')[-1]} {fmt_ns(v)}" for k, v in sorted(extra.items())), ""]
    out += ["## Scale: live 32-byte objects in one process", ""] + md_scale(scale) + [""]
    out += ["VmLck counts address space the kernel has marked locked: a PROTECTED secret "
            "locks its page and the guard page after it (which never takes RAM), so VmLck is "
            "about twice its RSS. ENCLAVE secrets lock nothing at rest: their VmLck is the coffer's "
            "key pages plus one region of enclave views (32 locked pages, each mapped twice, that "
            "open secrets decrypt into), counted after three of the secrets were read back.", ""]
    out += ["## Backends: pages and secretmem", "", BACKENDS, ""]
    out += md_backends(pairs, secret_pairs, secret_note) + [""]
    if secret_scale:
        out += ["Scale under secretmem:", ""] + md_scale(secret_scale) + [""]
    out += ["## Bindings", "", "Python (`bench/python/bench_binding.py`, the cffi binding built "
            "from this tree); the overhead in the targets is the Python call minus the C "
            "library's `sm_secret_with_bytes` from the same run.", ""] + md_python(values, py_note) + [""]
    for sec in sections:
        out += [f"### {sec['title']}", ""] + list(sec.get("markdown", [])) + [""]
    path.write_text("\n".join(out))


# ---------------------------------------------------------------------------
# Chart


def write_png(path: Path, pairs: list[Pair], go: dict[str, float], scale: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(15, 8), gridspec_kw={"width_ratios": [3, 2]})
    rows = [p for p in pairs if p.group in ("create_close", "with_bytes", "enclave_seal", "enclave_open",
                                            "enclave_open_into", "enclave_open_into_ro", "stream")]
    rows = rows[::-1]
    y = range(len(rows))
    h = 0.27
    ax1.barh([i + h for i in y], [p.ns for p in rows], h, label="securememory", color="#2b7bba")
    ax1.barh(list(y), [p.anchor_ns for p in rows], h, label="anchor (libsodium / raw AEAD / mprotect)",
             color="#b0b0b0")
    mg = [memguard_for(p, go)[1] for p in rows]
    ax1.barh([i - h for i in y], [v if v else 0 for v in mg], h, label="memguard (same job)", color="#e08a2c")
    ax1.set_yticks(list(y))
    ax1.set_yticklabels([p.name for p in rows], fontsize=7)
    ax1.set_xscale("log")
    ax1.set_xlabel("time per operation (ns, log scale; shorter is faster)")
    ax1.set_title("Operations")
    ax1.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=3)
    ax1.grid(axis="x", which="both", alpha=0.3)

    whos = []
    for r in scale:
        if r["who"] not in whos:
            whos.append(r["who"])
    colors = {"securememory PROTECTED": "#2b7bba", "securememory ENCLAVE": "#6bb36b",
              "libsodium sodium_malloc": "#888888", "memguard NewBuffer": "#e08a2c"}
    for who in whos:
        pts = sorted({(int(r["reached"]), max(int(r["maps"]), 1)) for r in scale
                      if r["who"] == who and int(r["reached"]) > 0})
        if not pts:
            continue
        ax2.plot([p[0] for p in pts], [p[1] for p in pts], "o-", color=colors.get(who, "#000000"),
                 label=f"{who} (most held: {max(p[0] for p in pts):,})")
    ax2.axhline(65530, color="#aa3333", ls=":", lw=1)
    ax2.text(0.02, 72000, "vm.max_map_count (65,530)", fontsize=7, color="#aa3333",
             transform=ax2.get_yaxis_transform())
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlabel("live 32-B objects held (log)")
    ax2.set_ylabel("lines in /proc/self/maps (log)")
    ax2.set_title("Scale: mappings per live secret")
    ax2.legend(fontsize=7, loc="center right")
    ax2.grid(which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    res, md, png = Path(argv[1]), Path(argv[2]), Path(argv[3])
    c = read_jsonl(res / "c.jsonl")
    pairs = [Pair(r["group"], r["name"], r["ns"], r["anchor"], r["anchor_ns"]) for r in c if r["kind"] == "pair"]
    scale = [r for r in c if r["kind"] == "scale"] + read_go_scale(res / "go-scale.txt")
    values = read_jsonl(res / "py.jsonl")
    go = read_go(res / "go.txt")
    machine = json.loads((res / "machine.json").read_text()) if (res / "machine.json").exists() else {}
    notes = {r["key"]: r["text"] for r in c if r["kind"] == "note"}
    machine.setdefault("libsodium", notes.get("versions", ""))
    machine.setdefault("settings", notes.get("settings", ""))
    py_note = (res / "py-note.txt").read_text().strip() if (res / "py-note.txt").exists() else ""
    sections = read_sections(res)
    sc = read_jsonl(res / "c-secretmem.jsonl")
    secret_pairs = [Pair(r["group"], r["name"], r["ns"], r["anchor"], r["anchor_ns"])
                    for r in sc if r["kind"] == "pair"]
    secret_scale = [r for r in sc if r["kind"] == "scale"]
    secret_note = (res / "secretmem-note.txt").read_text().strip() if (res / "secretmem-note.txt").exists() else ""
    ts = targets(pairs, scale, values)
    ts.append(scale_target(secret_scale, "securememory PROTECTED", 200000, "unlimited",
                           "200,000 live PROTECTED 32-B secrets under SM_BACKEND_SECRETMEM"))
    ts = merge_section_targets(ts, sections)
    write_md(md, machine, pairs, go, scale, values, ts, py_note, png.name, sections,
             secret_pairs, secret_scale, secret_note)
    write_png(png, pairs, go, scale)
    missed = [t.text for t in ts if t.met is False]
    print(f"wrote {md} and {png}; {sum(t.met is True for t in ts)} targets met, {len(missed)} missed")
    for t in missed:
        print(f"  missed: {t}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
