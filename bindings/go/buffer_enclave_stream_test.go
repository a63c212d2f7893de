package securememory_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"sync"
	"testing"

	sm "github.com/securememory/securememory-go"
)

// mustBuffer(t)(sm.NewBuffer(n)) fails the test on an error and destroys
// the buffer when the test ends.
func mustBuffer(t testing.TB) func(*sm.Buffer, error) *sm.Buffer {
	return func(b *sm.Buffer, err error) *sm.Buffer {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Destroy() })
		return b
	}
}

func TestBufferLifecycle(t *testing.T) {
	b := mustBuffer(t)(sm.NewBuffer(40))
	if b.Size() != 40 || !b.IsAlive() || b.Protection() != sm.ProtReadWrite {
		t.Fatalf("new: size %d alive %v prot %v", b.Size(), b.IsAlive(), b.Protection())
	}
	if !bytes.Equal(b.Bytes(), make([]byte, 40)) {
		t.Fatal("not zeroed")
	}
	copy(b.Bytes(), "written in place")
	for _, step := range []struct {
		do   func() error
		prot sm.Prot
	}{{b.Freeze, sm.ProtRead}, {b.NoAccess, sm.ProtNone}, {b.Melt, sm.ProtReadWrite}} {
		if err := step.do(); err != nil {
			t.Fatal(err)
		}
		if b.Protection() != step.prot {
			t.Fatalf("protection %v, want %v", b.Protection(), step.prot)
		}
	}
	if string(b.Bytes()[:16]) != "written in place" {
		t.Fatalf("content %q", b.Bytes()[:16])
	}
	if err := b.Check(); err != nil {
		t.Fatal(err)
	}
	if err := b.Destroy(); err != nil {
		t.Fatal(err)
	}
	if err := b.Destroy(); err != nil {
		t.Fatalf("second Destroy: %v", err)
	}
	if b.IsAlive() || b.Bytes() != nil || b.Size() != 0 || b.Protection() != sm.ProtNone {
		t.Fatal("destroyed buffer still looks alive")
	}
	for name, err := range map[string]error{"Freeze": b.Freeze(), "Melt": b.Melt(), "NoAccess": b.NoAccess(), "Check": b.Check()} {
		if !errors.Is(err, sm.ErrClosed) {
			t.Errorf("%s after Destroy: %v", name, err)
		}
	}
	if e, err := b.Seal(); e != nil || !errors.Is(err, sm.ErrClosed) {
		t.Errorf("Seal after Destroy: %v, %v", e, err)
	}
}

func TestBufferConstructors(t *testing.T) {
	src := []byte("from bytes")
	b := mustBuffer(t)(sm.NewBufferFromBytes(src))
	if string(b.Bytes()) != "from bytes" || !bytes.Equal(src, make([]byte, len(src))) {
		t.Fatalf("content %q, source %q", b.Bytes(), src)
	}
	r := mustBuffer(t)(sm.NewBufferRandom(32))
	if bytes.Equal(r.Bytes(), make([]byte, 32)) {
		t.Fatal("random buffer is all zero")
	}
	for name, f := range map[string]func() (*sm.Buffer, error){
		"NewBuffer(0)":            func() (*sm.Buffer, error) { return sm.NewBuffer(0) },
		"NewBuffer(-1)":           func() (*sm.Buffer, error) { return sm.NewBuffer(-1) },
		"NewBufferRandom(0)":      func() (*sm.Buffer, error) { return sm.NewBufferRandom(0) },
		"NewBufferRandom(-5)":     func() (*sm.Buffer, error) { return sm.NewBufferRandom(-5) },
		"NewBufferFromBytes(nil)": func() (*sm.Buffer, error) { return sm.NewBufferFromBytes(nil) },
		"NewBufferFromBytes({})":  func() (*sm.Buffer, error) { return sm.NewBufferFromBytes([]byte{}) },
	} {
		if b, err := f(); b != nil || !errors.Is(err, sm.ErrInvalid) {
			t.Errorf("%s: %v, %v", name, b, err)
		}
	}
	// More than the address space: the core tries and reports no memory.
	if b, err := sm.NewBuffer(1 << 62); b != nil || !errors.Is(err, sm.ErrNoMem) {
		t.Errorf("NewBuffer(1<<62): %v, %v", b, err)
	}
}

func TestNilReceiversAndArgumentsAreErrorsNotPanics(t *testing.T) {
	var b *sm.Buffer
	var e *sm.Enclave
	var s *sm.Stream
	if b.Bytes() != nil || b.Size() != 0 || b.IsAlive() || b.Protection() != sm.ProtNone {
		t.Fatal("nil buffer state")
	}
	for name, err := range map[string]error{
		"Buffer.Freeze": b.Freeze(), "Buffer.Destroy": b.Destroy(), "Buffer.Check": b.Check(),
		"Enclave.OpenInto(nil receiver)": e.OpenInto(nil), "Stream.Close": s.Close(),
	} {
		if !errors.Is(err, sm.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := b.Seal(); !errors.Is(err, sm.ErrInvalid) {
		t.Error(err)
	}
	if _, err := e.Open(); !errors.Is(err, sm.ErrInvalid) {
		t.Error(err)
	}
	if _, err := s.Write([]byte("x")); !errors.Is(err, sm.ErrInvalid) {
		t.Error(err)
	}
	e.Destroy()
	real, err := sm.NewEnclaveRandom(8)
	if err != nil {
		t.Fatal(err)
	}
	defer real.Destroy()
	if err := real.OpenInto(nil); !errors.Is(err, sm.ErrInvalid) {
		t.Errorf("OpenInto(nil): %v", err)
	}
}

func TestSealThenOpen(t *testing.T) {
	b := mustBuffer(t)(sm.NewBufferFromBytes([]byte("seal me")))
	e, err := b.Seal()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Destroy()
	if b.IsAlive() {
		t.Fatal("Seal left the buffer alive")
	}
	if e.Size() != 7 {
		t.Fatalf("size %d", e.Size())
	}
	o := mustBuffer(t)(e.Open())
	if string(o.Bytes()) != "seal me" || o.Protection() != sm.ProtRead {
		t.Fatalf("opened %q prot %v", o.Bytes(), o.Protection())
	}
}

func TestEnclaveRoundTripsAndOpenInto(t *testing.T) {
	for _, n := range []int{1, 32, 4095, 4096, 4097, 64 << 10} {
		data := make([]byte, n)
		if _, err := rand.Read(data); err != nil {
			t.Fatal(err)
		}
		want := bytes.Clone(data)
		e, err := sm.NewEnclave(data)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, make([]byte, n)) {
			t.Fatal("NewEnclave did not wipe its input")
		}
		o := mustBuffer(t)(e.Open())
		if !bytes.Equal(o.Bytes(), want) {
			t.Fatalf("%d bytes: round trip differs", n)
		}
		into := mustBuffer(t)(sm.NewBuffer(n))
		if err := e.OpenInto(into); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(into.Bytes(), want) || into.Protection() != sm.ProtReadWrite {
			t.Fatalf("%d bytes: OpenInto differs or changed protection", n)
		}
		wrong := mustBuffer(t)(sm.NewBuffer(n + 1))
		if err := e.OpenInto(wrong); !errors.Is(err, sm.ErrInvalid) {
			t.Fatalf("wrong size: %v", err)
		}
		e.Destroy()
		e.Destroy()
		if _, err := e.Open(); !errors.Is(err, sm.ErrClosed) {
			t.Fatalf("Open after Destroy: %v", err)
		}
		if err := e.OpenInto(into); !errors.Is(err, sm.ErrClosed) {
			t.Fatalf("OpenInto after Destroy: %v", err)
		}
		if e.Size() != n {
			t.Fatal("size changed by Destroy")
		}
	}
	if e, err := sm.NewEnclave(nil); e != nil || !errors.Is(err, sm.ErrInvalid) {
		t.Fatal(e, err)
	}
	if e, err := sm.NewEnclaveRandom(-1); e != nil || !errors.Is(err, sm.ErrInvalid) {
		t.Fatal(e, err)
	}
}

func TestEnclavesSealedBeforePurgeFailAuth(t *testing.T) {
	e, err := sm.NewEnclave([]byte("before"))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Destroy()
	into := mustBuffer(t)(sm.NewBuffer(6))
	sm.Purge()
	if into.IsAlive() {
		t.Fatal("Purge left a buffer alive")
	}
	if _, err := e.Open(); !errors.Is(err, sm.ErrAuth) {
		t.Fatalf("Open after Purge: %v", err)
	}
	fresh := mustBuffer(t)(sm.NewBuffer(6))
	if err := e.OpenInto(fresh); !errors.Is(err, sm.ErrAuth) {
		t.Fatalf("OpenInto after Purge: %v", err)
	}
	after, err := sm.NewEnclave([]byte("after!"))
	if err != nil {
		t.Fatal(err)
	}
	defer after.Destroy()
	if o := mustBuffer(t)(after.Open()); string(o.Bytes()) != "after!" {
		t.Fatal("an enclave sealed after the purge does not open")
	}
}

func TestEnclaveOpenRacesDestroy(t *testing.T) {
	e, err := sm.NewEnclaveRandom(64)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				b, err := e.Open()
				if errors.Is(err, sm.ErrClosed) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				_ = b.Destroy()
			}
		}()
	}
	e.Destroy()
	wg.Wait()
}

func TestStreamRoundTrip(t *testing.T) {
	s, err := sm.NewStream(0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.ChunkSize() != 4*sm.PageSize() {
		t.Fatalf("default chunk size %d", s.ChunkSize())
	}
	data := make([]byte, 3*s.ChunkSize()+123)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Write(data); n != len(data) || err != nil {
		t.Fatalf("Write: %d, %v", n, err)
	}
	if s.Size() != len(data) {
		t.Fatalf("size %d", s.Size())
	}
	var out bytes.Buffer
	if _, err := io.Copy(&out, s); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), data) || s.Size() != 0 {
		t.Fatal("io.Copy round trip differs")
	}
	if n, err := s.Read(make([]byte, 8)); n != 0 || err != io.EOF {
		t.Fatalf("empty stream: %d, %v", n, err)
	}
	if _, err := s.Read(nil); !errors.Is(err, sm.ErrInvalid) {
		t.Fatalf("zero-length read: %v", err)
	}
	if n, err := s.Write(nil); n != 0 || err != nil {
		t.Fatalf("empty write: %d, %v", n, err)
	}
}

func TestStreamNextFlushAndClose(t *testing.T) {
	s, err := sm.NewStream(8)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write([]byte("0123456789abcdefXYZ")); err != nil {
		t.Fatal(err)
	}
	first := mustBuffer(t)(s.Next())
	if string(first.Bytes()) != "01234567" || first.Protection() != sm.ProtRead {
		t.Fatalf("Next: %q %v", first.Bytes(), first.Protection())
	}
	rest := mustBuffer(t)(s.Flush())
	if string(rest.Bytes()) != "89abcdefXYZ" {
		t.Fatalf("Flush: %q", rest.Bytes())
	}
	for name, f := range map[string]func() (*sm.Buffer, error){"Next": s.Next, "Flush": s.Flush} {
		if b, err := f(); b != nil || err != io.EOF {
			t.Errorf("%s on an empty stream: %v, %v", name, b, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.Write([]byte("x")); !errors.Is(err, sm.ErrClosed) {
		t.Fatalf("Write after Close: %v", err)
	}
	if _, err := s.Read(make([]byte, 1)); !errors.Is(err, sm.ErrClosed) {
		t.Fatalf("Read after Close: %v", err)
	}
	if _, err := s.Next(); !errors.Is(err, sm.ErrClosed) {
		t.Fatalf("Next after Close: %v", err)
	}
	if s.Size() != 0 || s.ChunkSize() != 0 {
		t.Fatal("closed stream reports a size")
	}
	for _, n := range []int{-1, 1 << 40} {
		if st, err := sm.NewStream(n); st != nil || !errors.Is(err, sm.ErrInvalid) {
			t.Errorf("NewStream(%d): %v, %v", n, st, err)
		}
	}
}

func TestStreamLosesItsDataToAPurge(t *testing.T) {
	s, err := sm.NewStream(16)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Write(bytes.Repeat([]byte{1}, 40)); err != nil {
		t.Fatal(err)
	}
	sm.Purge()
	if s.Size() != 0 {
		t.Fatalf("size %d after the purge", s.Size())
	}
	if _, err := s.Read(make([]byte, 4)); !errors.Is(err, sm.ErrAuth) {
		t.Fatalf("Read: %v", err)
	}
	if _, err := s.Write([]byte{2}); !errors.Is(err, sm.ErrClosed) {
		t.Fatalf("Write: %v", err)
	}
	empty, err := sm.NewStream(16)
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	sm.Purge()
	if _, err := empty.Write([]byte("still usable")); err != nil {
		t.Fatalf("an empty stream is unusable after a purge: %v", err)
	}
}

func TestStreamConcurrentWritersAndClose(t *testing.T) {
	s, err := sm.NewStream(64)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				if _, err := s.Write(bytes.Repeat([]byte{7}, 50)); err != nil {
					if !errors.Is(err, sm.ErrClosed) {
						t.Error(err)
					}
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 100)
		for {
			if _, err := s.Read(buf); err != nil && err != io.EOF {
				if !errors.Is(err, sm.ErrClosed) {
					t.Error(err)
				}
				return
			}
		}
	}()
	for s.Size() == 0 {
		_, _ = s.Write([]byte{7})
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
}
