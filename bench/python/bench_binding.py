"""Binding overhead: the Python binding's with_bytes beside the C call.

Prints one JSON object per line (read by bench/report.py): the median ns
per call of Secret.with_bytes and of `with secret.view()` on a 32-byte
secret of each kind. report.py subtracts the C library's own
sm_secret_with_bytes figure from the same run to get the overhead.

    python bench/python/bench_binding.py [OUT]   (securememory importable)
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

import securememory as sm

ROUNDS = int(os.environ.get("SM_BENCH_ROUNDS", "15"))
ROUND_S = int(os.environ.get("SM_BENCH_ROUND_MS", "30")) / 1000.0


def ns_per_call(fn) -> float:
    """Median ns per call over ROUNDS rounds of about ROUND_S each."""
    n = 1
    while True:
        t0 = time.perf_counter_ns()
        for _ in range(n):
            fn()
        took = time.perf_counter_ns() - t0
        if took >= ROUND_S * 1e9 / 8:
            break
        n *= 2
    n = max(1, int(n * ROUND_S * 1e9 / max(took, 1)))
    for _ in range(n):  # warm-up
        fn()
    per = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter_ns()
        for _ in range(n):
            fn()
        per.append((time.perf_counter_ns() - t0) / n)
    return statistics.median(per)


def emit(out, name: str, ns: float) -> None:
    out.write(json.dumps({"kind": "value", "group": "python", "name": name, "ns": ns}) + "\n")
    out.flush()
    print(f"python         {name:44s} {ns:12.0f} ns", file=sys.stderr)


def main() -> int:
    out = open(sys.argv[1], "w", encoding="utf-8") if len(sys.argv) > 1 else sys.stdout
    for kind in (sm.Kind.PROTECTED, sm.Kind.ENCLAVE):
        secret = sm.Secret.random(32, kind)

        def read_last(mv):
            return mv[31]

        def with_view():
            with secret.view() as mv:
                return mv[31]

        emit(out, f"python with_bytes {kind.name} 32 B", ns_per_call(lambda: secret.with_bytes(read_last)))
        emit(out, f"python view() {kind.name} 32 B", ns_per_call(with_view))
        secret.close()
    if out is not sys.stdout:
        out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
