/* Timing for the benchmarks (see timing.h). Single-threaded use only. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timing.h"

#define MAX_ROUNDS 64

static int rounds = 9;
static double round_ns = 30e6;
static int quick;

static int env_int(const char *name, int fallback, int lo, int hi) {
    const char *v = getenv(name);
    if (v == NULL || *v == '\0')
        return fallback;
    int n = atoi(v);
    return n < lo ? lo : n > hi ? hi : n;
}

void timing_init(void) {
    quick = env_int("SM_BENCH_QUICK", 0, 0, 1);
    rounds = env_int("SM_BENCH_ROUNDS", quick ? 3 : 15, 1, MAX_ROUNDS);
    round_ns = 1e6 * env_int("SM_BENCH_ROUND_MS", quick ? 5 : 30, 1, 10000);
}

int timing_quick(void) {
    return quick;
}

double timing_now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static double run_ns(bench_op op, size_t iters) {
    double t0 = timing_now_ns();
    double own = op.fn(op.ctx, iters);
    double outside = timing_now_ns() - t0;
    return own > 0 ? own : outside;
}

/* Iterations that make one round last about round_ns. */
static size_t calibrate(bench_op op) {
    size_t iters = 1;
    double ns = run_ns(op, iters);
    while (ns < round_ns / 8 && iters < ((size_t)1 << 40)) {
        iters *= 2;
        ns = run_ns(op, iters);
    }
    double per = ns / (double)iters;
    double want = per > 0 ? round_ns / per : 1;
    return want < 1 ? 1 : (size_t)want;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double timing_one(bench_op op) {
    size_t iters = calibrate(op);
    double v[MAX_ROUNDS];
    (void)run_ns(op, iters); /* warm-up */
    for (int r = 0; r < rounds; r++)
        v[r] = run_ns(op, iters) / (double)iters;
    return median(v, rounds);
}

void timing_pair(bench_op subject, bench_op anchor, double *subject_ns, double *anchor_ns) {
    size_t si = calibrate(subject), ai = calibrate(anchor);
    double s[MAX_ROUNDS], a[MAX_ROUNDS];
    (void)run_ns(subject, si);
    (void)run_ns(anchor, ai);
    for (int r = 0; r < rounds; r++) {
        s[r] = run_ns(subject, si) / (double)si;
        a[r] = run_ns(anchor, ai) / (double)ai;
    }
    *subject_ns = median(s, rounds);
    *anchor_ns = median(a, rounds);
}
