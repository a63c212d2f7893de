/*
 * Timing for the benchmarks: an operation is a function that runs itself
 * `iters` times. Each measurement calibrates the iteration count so that one
 * round takes about SM_BENCH_ROUND_MS, runs one warm-up round, then
 * SM_BENCH_ROUNDS rounds (default 15) and keeps the median ns/op. A pair
 * (subject and anchor) is measured in alternating rounds, so both see the
 * same machine noise, and their ratio is the ratio of the medians.
 */
#ifndef SM_BENCH_TIMING_H
#define SM_BENCH_TIMING_H

#include <stddef.h>

/*
 * Runs the operation iters times. Returns 0 to be timed from outside, or
 * the ns it timed itself (an operation with set-up that must not count,
 * such as starting threads).
 */
typedef double (*bench_fn)(void *ctx, size_t iters);

typedef struct bench_op {
    bench_fn fn;
    void *ctx;
} bench_op;

/* Settings from the environment (SM_BENCH_ROUNDS, SM_BENCH_ROUND_MS, SM_BENCH_QUICK). */
void timing_init(void);

/* 1 when SM_BENCH_QUICK is set: few, short rounds and small scale steps. */
int timing_quick(void);

/* Monotonic clock in nanoseconds. */
double timing_now_ns(void);

/* Median ns/op of one operation. */
double timing_one(bench_op op);

/* Medians ns/op of a subject and its anchor, measured in alternating rounds. */
void timing_pair(bench_op subject, bench_op anchor, double *subject_ns, double *anchor_ns);

#endif
