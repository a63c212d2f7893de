// Benchmarks of awnumar/memguard for the same operations the C benchmark
// (bench/smbench) measures for securememory, so both sets of figures come
// from one run on one machine. memguard is imported here only.
//
//	go test -run '^$' -bench . -benchtime 200ms -count 5
//	MEMGUARD_SCALE=100000 go test -run TestMemguardScale -v
package memguard_bench

import (
	"bufio"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/awnumar/memguard"
)

var sink byte

var sizes = []struct {
	name string
	n    int
}{{"32B", 32}, {"1KiB", 1024}, {"64KiB", 64 << 10}, {"1MiB", 1 << 20}}

// NewBufferRandom + Destroy: a guarded, locked buffer made and wiped.
func BenchmarkNewBufferRandomDestroy(b *testing.B) {
	for _, sz := range sizes[:2] {
		b.Run(sz.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				memguard.NewBufferRandom(sz.n).Destroy()
			}
		})
	}
}

// NewBufferFromBytes + Destroy: the counterpart of sm_secret_new + sm_secret_free
// (memguard has no no-access state at rest; its buffers are read-only).
func BenchmarkNewBufferFromBytesDestroy(b *testing.B) {
	for _, sz := range sizes[:2] {
		src := make([]byte, sz.n)
		b.Run(sz.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				for j := range src {
					src[j] = 0x5A // NewBufferFromBytes wipes its source
				}
				memguard.NewBufferFromBytes(src).Destroy()
			}
		})
	}
}

// LockedBuffer access: Melt, one read, Freeze (two protection changes, as
// a PROTECTED secret's with_bytes makes).
func BenchmarkLockedBufferAccess(b *testing.B) {
	buf := memguard.NewBufferRandom(32)
	buf.Freeze()
	defer buf.Destroy()
	for i := 0; i < b.N; i++ {
		buf.Melt()
		sink = buf.Bytes()[31]
		buf.Freeze()
	}
}

// NewEnclave: seal (memguard wipes the source).
func BenchmarkEnclaveSeal(b *testing.B) {
	for _, sz := range sizes {
		src := make([]byte, sz.n)
		b.Run(sz.name, func(b *testing.B) {
			b.SetBytes(int64(sz.n))
			for i := 0; i < b.N; i++ {
				e := memguard.NewEnclave(src)
				sink ^= byte(e.Size())
			}
		})
	}
}

// Enclave.Open + Destroy of the plaintext buffer: the counterpart of
// sm_enclave_open + sm_buffer_free, and of an ENCLAVE secret's with_bytes.
func BenchmarkEnclaveOpen(b *testing.B) {
	for _, sz := range sizes {
		e := memguard.NewEnclaveRandom(sz.n)
		b.Run(sz.name, func(b *testing.B) {
			b.SetBytes(int64(sz.n))
			for i := 0; i < b.N; i++ {
				lb, err := e.Open()
				if err != nil {
					b.Fatal(err)
				}
				sink = lb.Bytes()[0]
				lb.Destroy()
			}
		})
	}
}

// Stream: write 64 MiB in 1 MiB pieces, read it all back (16 KiB chunks,
// memguard's default, as the C benchmark's stream).
func BenchmarkStream64MiB(b *testing.B) {
	const total, piece = 64 << 20, 1 << 20
	src := make([]byte, total)
	dst := make([]byte, piece)
	if _, err := rand.Read(src); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(total)
	for i := 0; i < b.N; i++ {
		s := memguard.NewStream()
		for off := 0; off < total; off += piece {
			if _, err := s.Write(src[off : off+piece]); err != nil {
				b.Fatal(err)
			}
		}
		got := 0
		for {
			n, err := s.Read(dst)
			got += n
			if err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
		if got != total {
			b.Fatalf("read %d of %d bytes", got, total)
		}
	}
}

func statusKB(key string) int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), key) {
			var v int
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(sc.Text(), key)), "%d", &v)
			return v
		}
	}
	return 0
}

func mapsLines() int {
	data, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0
	}
	return strings.Count(string(data), "\n")
}

type snapshot struct{ rssKB, lockedKB, maps int }

func snap() snapshot {
	return snapshot{statusKB("VmRSS:"), statusKB("VmLck:"), mapsLines()}
}

// newBuffer32 makes one buffer; memguard panics (after purging) when the
// kernel refuses a mapping, and returns a null buffer on other failures.
func newBuffer32() (b *memguard.LockedBuffer, stop string) {
	defer func() {
		if r := recover(); r != nil {
			msg := fmt.Sprint(r)
			if i := strings.Index(msg, ";"); i > 0 {
				msg = msg[:i] + " (and more)"
			}
			b, stop = nil, "panic: "+msg
		}
	}()
	b = memguard.NewBuffer(32)
	if !b.IsAlive() {
		return nil, "NewBuffer returned a null buffer"
	}
	return b, ""
}

// TestMemguardScale holds live 32-B LockedBuffers until the target
// (MEMGUARD_SCALE=N) is reached or memguard cannot make more, and prints one
// JSON line. RSS and maps are sampled every 1000 buffers and at the end, so
// a run that ends in memguard's panic (which purges everything) still
// reports what the process held last. bench/run.sh runs one process per N.
func TestMemguardScale(t *testing.T) {
	target, _ := strconv.Atoi(os.Getenv("MEMGUARD_SCALE"))
	if target <= 0 {
		t.Skip("set MEMGUARD_SCALE=N")
	}
	held := make([]*memguard.LockedBuffer, 0, target)
	start := time.Now()
	stop, last := "ok", snap()
	for len(held) < target {
		b, why := newBuffer32()
		if b == nil {
			stop = why
			break
		}
		held = append(held, b)
		if len(held)%1000 == 0 {
			last = snap()
		}
	}
	ns := float64(time.Since(start).Nanoseconds()) / float64(max(len(held), 1))
	if stop == "ok" {
		last = snap()
	}
	fmt.Printf("SCALE {\"kind\": \"scale\", \"who\": \"memguard NewBuffer\", \"limits\": \"unlimited\", "+
		"\"target\": %d, \"reached\": %d, \"rss_kb\": %d, \"locked_kb\": %d, \"maps\": %d, "+
		"\"create_ns\": %.1f, \"stop\": %q}\n", target, len(held), last.rssKB, last.lockedKB,
		last.maps, ns, stop)
}
