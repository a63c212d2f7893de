package native

import (
	"testing"
	"time"
	"unsafe"
)

func TestZZLoops(t *testing.T) {
	for _, k := range []Sm_kind{SM_KIND_PROTECTED, SM_KIND_ENCLAVE} {
		var h uintptr
		Sm_secret_new_random(k, 32, &h)
		n := 200000
		for rep := 0; rep < 3; rep++ {
			var p unsafe.Pointer
			var l int64
			st := time.Now()
			for i := 0; i < n; i++ {
				Sm_secret_acquire(h, &p, &l)
				Sm_secret_release(h)
			}
			goNs := float64(time.Since(st).Nanoseconds()) / float64(n)
			st = time.Now()
			for i := 0; i < n; i++ {
				Sm_secret_size(h)
			}
			sizeNs := float64(time.Since(st).Nanoseconds()) / float64(n)
			t.Logf("kind %d: C acq/rel %.0f ns, C with_bytes %.0f ns, Go native acq/rel %.0f ns, empty-ish cgo call %.0f ns", k, LoopAcq(h, n), LoopWB(h, n), goNs, sizeNs)
		}
		Sm_secret_free(h)
	}
}
