"""Benchmark (not a pytest test): the cost of Secret.with_bytes, step by step.

    PYTHONPATH=build-python/site .venv/bin/python bench/python/bench_breakdown.py

Prints the median ns per call (bench_binding.ns_per_call: rounds of about
SM_BENCH_ROUND_MS ms, SM_BENCH_ROUNDS rounds after a warm-up) of, for a 32-byte secret of each kind:

- `with_bytes`: `secret.with_bytes(lambda mv: mv[31])`, as bench/ measures;
- `view()`: `with secret.view() as mv: mv[31]`;
- `C read`: one cffi call of sm_secret_read (acquire + 32-byte copy +
  release in C): the C with_bytes path plus one cffi call;
- `C floor`: `C read` minus the cost of one bare cffi call
  (sm_page_size), i.e. the C library's own with_bytes cost measured in
  this process;
- `overhead`: `with_bytes` minus `C floor`, the figure issue 6 bounds
  (<= 1.5 us). bench/run.sh gives the official figure against the C
  benchmark's sm_secret_with_bytes.
"""

from __future__ import annotations

import sys

import securememory as sm
from bench_binding import ns_per_call  # same folder: one timing method
from securememory._lib import ffi, lib

def main() -> int:
    bare = ns_per_call(lib.sm_page_size)
    print(f"{'bare cffi call':34s} {bare:8.0f} ns")
    for kind in (sm.Kind.PROTECTED, sm.Kind.ENCLAVE):
        secret = sm.Secret.random(32, kind)
        h = secret._h
        dst = ffi.new("uint8_t[32]")
        nread = ffi.new("size_t *")

        def c_read() -> None:
            lib.sm_secret_read(h, 0, dst, 32, nread)

        def read_last(mv: memoryview) -> int:
            return mv[31]

        def with_bytes() -> int:
            return secret.with_bytes(read_last)

        def with_view() -> int:
            with secret.view() as mv:
                return mv[31]

        c = ns_per_call(c_read)
        wb = ns_per_call(with_bytes)
        vw = ns_per_call(with_view)
        floor = c - bare
        name = kind.name
        print(f"{name + ' C read (1 cffi call)':34s} {c:8.0f} ns")
        print(f"{name + ' C floor':34s} {floor:8.0f} ns")
        print(f"{name + ' with_bytes':34s} {wb:8.0f} ns   overhead {wb - floor:6.0f} ns")
        print(f"{name + ' view()':34s} {vw:8.0f} ns   overhead {vw - floor:6.0f} ns")
        secret.close()
        ffi.release(dst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
