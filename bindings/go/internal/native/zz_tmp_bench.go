package native

/*
#include <time.h>
#include "securememory.h"
static int cb(void *ctx, const uint8_t *d, size_t n) { (void)ctx; (void)n; return d[31] == 7 && d[0] == 9; }
static double loop_acq(uintptr_t s, int n) {
	struct timespec a, b; clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++) { const uint8_t *d; size_t l; sm_secret_acquire((sm_secret*)s, &d, &l); sm_secret_release((sm_secret*)s); }
	clock_gettime(CLOCK_MONOTONIC, &b); return ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n;
}
static double loop_wb(uintptr_t s, int n) {
	struct timespec a, b; clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++) sm_secret_with_bytes((sm_secret*)s, cb, 0);
	clock_gettime(CLOCK_MONOTONIC, &b); return ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n;
}
*/
import "C"

func LoopAcq(h uintptr, n int) float64 { return float64(C.loop_acq(C.uintptr_t(h), C.int(n))) }
func LoopWB(h uintptr, n int) float64  { return float64(C.loop_wb(C.uintptr_t(h), C.int(n))) }
