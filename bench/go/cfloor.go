package memguard_bench

// The C floor of the WithBytes overhead target: the core's own
// sm_secret_with_bytes, called in a C loop in this same process (the Go
// binding's C objects are linked in; this file adds no copy of the core).
// Only the benchmarks use it.

/*
#cgo CFLAGS: -I${SRCDIR}/../../core/include
#include <time.h>
#include "securememory.h"

static int c_read_one(void *ctx, const uint8_t *d, size_t n) {
	*(volatile uint8_t *)ctx = d[n - 1];
	return 0;
}

// ns per sm_secret_with_bytes over n calls that read one byte.
static double c_with_bytes_ns(uintptr_t s, long n) {
	volatile uint8_t sink;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		sm_secret_with_bytes((sm_secret *)s, c_read_one, (void *)&sink);
	clock_gettime(CLOCK_MONOTONIC, &b);
	return ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / (double)n;
}

static uintptr_t c_secret(int kind, size_t len) {
	sm_secret *s = NULL;
	return sm_secret_new_random((sm_kind)kind, len, &s) == SM_OK ? (uintptr_t)s : 0;
}

static void c_secret_free(uintptr_t s) { sm_secret_free((sm_secret *)s); }
*/
import "C"

// cSecret makes a secret of kind (0 PROTECTED, 1 ENCLAVE) through the C
// API; 0 on failure.
func cSecret(kind, size int) uintptr { return uintptr(C.c_secret(C.int(kind), C.size_t(size))) }

func cSecretFree(s uintptr) { C.c_secret_free(C.uintptr_t(s)) }

// cWithBytesNs is the C time per sm_secret_with_bytes over n calls.
func cWithBytesNs(s uintptr, n int) float64 {
	return float64(C.c_with_bytes_ns(C.uintptr_t(s), C.long(n)))
}
