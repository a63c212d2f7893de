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

// The Go-side floor: the two cgo calls of any Go binding that keeps the
// action in Go (acquire, read in Go, release), with no binding code.
static const uint8_t *raw_acquire(uintptr_t s) {
	const uint8_t *p = NULL;
	size_t n = 0;
	return sm_secret_acquire((sm_secret *)s, &p, &n) == SM_OK ? p : NULL;
}

static int raw_release(uintptr_t s) { return (int)sm_secret_release((sm_secret *)s); }
#cgo noescape raw_acquire
#cgo nocallback raw_acquire
#cgo noescape raw_release
#cgo nocallback raw_release
*/
import "C"

import (
	"time"
	"unsafe"
)

// cSecret makes a secret of kind (0 PROTECTED, 1 ENCLAVE) through the C
// API; 0 on failure.
func cSecret(kind, size int) uintptr { return uintptr(C.c_secret(C.int(kind), C.size_t(size))) }

func cSecretFree(s uintptr) { C.c_secret_free(C.uintptr_t(s)) }

// cWithBytesNs is the C time per sm_secret_with_bytes over n calls.
func cWithBytesNs(s uintptr, n int) float64 {
	return float64(C.c_with_bytes_ns(C.uintptr_t(s), C.long(n)))
}

// rawCgoNs is the time per access of a Go loop that calls
// sm_secret_acquire and sm_secret_release straight through cgo and reads
// the last byte in Go: the floor under the binding's WithBytes.
func rawCgoNs(s uintptr, size, n int) float64 {
	var sink byte
	start := time.Now()
	for i := 0; i < n; i++ {
		p := C.raw_acquire(C.uintptr_t(s))
		if p == nil {
			return -1
		}
		sink ^= unsafe.Slice((*byte)(unsafe.Pointer(p)), size)[size-1]
		C.raw_release(C.uintptr_t(s))
	}
	rawSink = sink
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

var rawSink byte
