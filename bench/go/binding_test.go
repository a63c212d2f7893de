// Benchmarks of the Go binding (bindings/go) for the same jobs as the
// memguard benchmarks beside it (memguard_test.go), so both sets of
// figures come from one process on one machine. bench/hooks/20-go.sh runs
// them and writes the Go section of docs/benchmarks.md. They run only
// with SM_BENCH_GO_BINDING=1 (bench/run.sh's own memguard pass skips
// them):
//
//	SM_BENCH_GO_BINDING=1 go test -run '^$' -bench 'SM|Parallel' -benchtime 200ms -count 5
//	SM_SCALE=200000 go test -run TestSMScale -v
package memguard_bench

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/awnumar/memguard"
	sm "github.com/securememory/securememory-go"
)

func bindingOnly(b *testing.B) {
	if os.Getenv("SM_BENCH_GO_BINDING") != "1" {
		b.Skip("set SM_BENCH_GO_BINDING=1 (bench/hooks/20-go.sh does)")
	}
}

var kinds = []sm.Kind{sm.Protected, sm.KindEnclave}

// New + Close of a secret from a Go slice (which New wipes): the
// counterpart of memguard's NewBufferFromBytes + Destroy.
func BenchmarkSMSecretNewClose(b *testing.B) {
	bindingOnly(b)
	for _, k := range kinds {
		for _, sz := range sizes[:2] {
			src := make([]byte, sz.n)
			f := sm.SecretFactory{Kind: k}
			b.Run(k.String()+"/"+sz.name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					for j := range src {
						src[j] = 0x5A
					}
					s, err := f.New(src)
					if err != nil {
						b.Fatal(err)
					}
					_ = s.Close()
				}
			})
		}
	}
}

// NewBufferRandom + Destroy: memguard's NewBufferRandom + Destroy.
func BenchmarkSMBufferNewRandomDestroy(b *testing.B) {
	bindingOnly(b)
	for _, sz := range sizes[:2] {
		b.Run(sz.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				buf, err := sm.NewBufferRandom(sz.n)
				if err != nil {
					b.Fatal(err)
				}
				_ = buf.Destroy()
			}
		})
	}
}

func readOne(v []byte) error {
	sink = v[31]
	return nil
}

// WithBytes of a 32-B secret on one goroutine: read one byte.
func BenchmarkSMWithBytes(b *testing.B) {
	bindingOnly(b)
	for _, k := range kinds {
		s, err := sm.SecretFactory{Kind: k}.CreateRandom(32)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(k.String(), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := s.WithBytes(readOne); err != nil {
					b.Fatal(err)
				}
			}
		})
		_ = s.Close()
	}
}

// WithBytes of one shared 32-B secret from every P (RunParallel): ns/op
// is wall time per access with all goroutines running.
func BenchmarkSMWithBytesParallel(b *testing.B) {
	bindingOnly(b)
	for _, k := range kinds {
		s, err := sm.SecretFactory{Kind: k}.CreateRandom(32)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(k.String(), func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := s.WithBytes(func(v []byte) error { _ = v[31]; return nil }); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
		_ = s.Close()
	}
}

// memguard from every P: a LockedBuffer per goroutine (Melt, read,
// Freeze: two protection changes may not be shared), and one shared
// Enclave opened into a fresh buffer each time (Asherah's memguard secret).
func BenchmarkMemguardAccessParallel(b *testing.B) {
	bindingOnly(b)
	b.Run("LockedBuffer", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			buf := memguard.NewBufferRandom(32)
			buf.Freeze()
			defer buf.Destroy()
			for pb.Next() {
				buf.Melt()
				_ = buf.Bytes()[31]
				buf.Freeze()
			}
		})
	})
	b.Run("EnclaveOpen", func(b *testing.B) {
		e := memguard.NewEnclaveRandom(32)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				lb, err := e.Open()
				if err != nil {
					b.Error(err)
					return
				}
				_ = lb.Bytes()[31]
				lb.Destroy()
			}
		})
	})
}

// NewEnclave (seal; the source is wiped) + Destroy.
func BenchmarkSMEnclaveSeal(b *testing.B) {
	bindingOnly(b)
	for _, sz := range sizes {
		src := make([]byte, sz.n)
		b.Run(sz.name, func(b *testing.B) {
			b.SetBytes(int64(sz.n))
			for i := 0; i < b.N; i++ {
				e, err := sm.NewEnclave(src)
				if err != nil {
					b.Fatal(err)
				}
				e.Destroy()
			}
		})
	}
}

// Enclave.Open + Destroy of the plaintext buffer (memguard's Open +
// Destroy), and OpenInto a buffer kept across opens.
func BenchmarkSMEnclaveOpen(b *testing.B) {
	bindingOnly(b)
	for _, sz := range sizes {
		e, err := sm.NewEnclaveRandom(sz.n)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(sz.name, func(b *testing.B) {
			b.SetBytes(int64(sz.n))
			for i := 0; i < b.N; i++ {
				buf, err := e.Open()
				if err != nil {
					b.Fatal(err)
				}
				sink = buf.Bytes()[0]
				_ = buf.Destroy()
			}
		})
		e.Destroy()
	}
}

func BenchmarkSMEnclaveOpenInto(b *testing.B) {
	bindingOnly(b)
	for _, sz := range sizes {
		e, err := sm.NewEnclaveRandom(sz.n)
		if err != nil {
			b.Fatal(err)
		}
		into, err := sm.NewBuffer(sz.n)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(sz.name, func(b *testing.B) {
			b.SetBytes(int64(sz.n))
			for i := 0; i < b.N; i++ {
				if err := e.OpenInto(into); err != nil {
					b.Fatal(err)
				}
				sink = into.Bytes()[0]
			}
		})
		_ = into.Destroy()
		e.Destroy()
	}
}

// Stream: write 64 MiB in 1 MiB pieces, read it all back, in 16 KiB
// chunks (memguard's default), as BenchmarkStream64MiB.
func BenchmarkSMStream64MiB(b *testing.B) {
	bindingOnly(b)
	const total, piece = 64 << 20, 1 << 20
	src := make([]byte, total)
	dst := make([]byte, piece)
	for i := range src {
		src[i] = byte(i * 7)
	}
	b.SetBytes(total)
	for i := 0; i < b.N; i++ {
		s, err := sm.NewStream(16 << 10)
		if err != nil {
			b.Fatal(err)
		}
		for off := 0; off < total; off += piece {
			if _, err := s.Write(src[off : off+piece]); err != nil {
				b.Fatal(err)
			}
		}
		got := 0
		for {
			n, err := s.Read(dst)
			got += n
			if err != nil {
				if err == io.EOF {
					break
				}
				b.Fatal(err)
			}
		}
		if got != total {
			b.Fatalf("read %d of %d bytes", got, total)
		}
		_ = s.Close()
	}
}

// TestSMScale holds live 32-B PROTECTED secrets until the target
// (SM_SCALE=N) is reached or the library refuses one (an error, never a
// panic), and prints one JSON line as TestMemguardScale does.
func TestSMScale(t *testing.T) {
	target, _ := strconv.Atoi(os.Getenv("SM_SCALE"))
	if target <= 0 {
		t.Skip("set SM_SCALE=N")
	}
	f := sm.SecretFactory{}
	held := make([]sm.Secret, 0, target)
	start := time.Now()
	stop, last := "ok", snap()
	for len(held) < target {
		s, err := f.CreateRandom(32)
		if err != nil {
			stop = "error: " + strings.SplitN(err.Error(), ";", 2)[0]
			break
		}
		held = append(held, s)
		if len(held)%10000 == 0 {
			last = snap()
		}
	}
	ns := float64(time.Since(start).Nanoseconds()) / float64(max(len(held), 1))
	last = snap()
	// Every secret must still be readable.
	for _, s := range held[:min(len(held), 1000)] {
		if err := s.WithBytes(func(b []byte) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	fmt.Printf("SCALE {\"kind\": \"scale\", \"who\": \"securememory Go PROTECTED\", \"limits\": \"unlimited\", "+
		"\"target\": %d, \"reached\": %d, \"rss_kb\": %d, \"locked_kb\": %d, \"maps\": %d, "+
		"\"create_ns\": %.1f, \"stop\": %q}\n", target, len(held), last.rssKB, last.lockedKB,
		last.maps, ns, stop)
	for _, s := range held {
		_ = s.Close()
	}
}

// TestSMWithBytesOverhead measures the target "WithBytes overhead over
// the C call": rounds that alternate a C loop of sm_secret_with_bytes
// (cfloor.go) with a Go loop of WithBytes on a secret of the same kind and
// size, in this one process, so load on the machine hits both alike, and
// with the floor under WithBytes: a Go loop of the two raw cgo calls
// (acquire, read in Go, release; rawCgoNs in cfloor.go). It prints one
// line per kind: OVERHEAD {"kind", "c_ns", "go_ns", "over_ns",
// "raw_cgo_ns", "raw_cgo_over_ns"} (medians over the rounds). SM_OVERHEAD_ROUNDS=N (default 15) runs it.
func TestSMWithBytesOverhead(t *testing.T) {
	rounds, _ := strconv.Atoi(os.Getenv("SM_OVERHEAD_ROUNDS"))
	if rounds <= 0 {
		t.Skip("set SM_OVERHEAD_ROUNDS=N")
	}
	const perRound = 20000
	for _, k := range kinds {
		cs := cSecret(int(k), 32)
		if cs == 0 {
			t.Fatal("the C secret")
		}
		s, err := sm.SecretFactory{Kind: k}.CreateRandom(32)
		if err != nil {
			t.Fatal(err)
		}
		var cNs, goNs, rawNs, diff, rawDiff []float64
		for r := 0; r < rounds; r++ {
			cNs = append(cNs, cWithBytesNs(cs, perRound))
			start := time.Now()
			for i := 0; i < perRound; i++ {
				if err := s.WithBytes(readOne); err != nil {
					t.Fatal(err)
				}
			}
			goNs = append(goNs, float64(time.Since(start).Nanoseconds())/perRound)
			diff = append(diff, goNs[r]-cNs[r])
			raw := rawCgoNs(cs, 32, perRound)
			if raw < 0 {
				t.Fatal("raw acquire failed")
			}
			rawNs = append(rawNs, raw)
			rawDiff = append(rawDiff, raw-cNs[r])
		}
		fmt.Printf("OVERHEAD {\"kind\": %q, \"c_ns\": %.1f, \"go_ns\": %.1f, \"over_ns\": %.1f, "+
			"\"raw_cgo_ns\": %.1f, \"raw_cgo_over_ns\": %.1f, \"rounds\": %d}\n",
			k.String(), median(cNs), median(goNs), median(diff), median(rawNs), median(rawDiff), rounds)
		_ = s.Close()
		cSecretFree(cs)
	}
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
