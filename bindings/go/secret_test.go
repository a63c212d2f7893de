package securememory_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sm "github.com/securememory/securememory-go"
)

var kinds = []sm.Kind{sm.Protected, sm.KindEnclave}

func forEachKind(t *testing.T, f func(t *testing.T, factory sm.SecretFactory)) {
	for _, k := range kinds {
		t.Run(k.String(), func(t *testing.T) { f(t, sm.SecretFactory{Kind: k}) })
	}
}

func mustNew(t testing.TB, f sm.SecretFactory, data []byte) sm.Secret {
	t.Helper()
	s, err := f.New(data)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func content(t testing.TB, s sm.Secret) []byte {
	t.Helper()
	var got []byte
	if err := s.WithBytes(func(b []byte) error { got = bytes.Clone(b); return nil }); err != nil {
		t.Fatalf("WithBytes: %v", err)
	}
	return got
}

func TestFactoryZeroValueMakesProtected(t *testing.T) {
	s, err := sm.SecretFactory{}.CreateRandom(16)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if k := s.(*sm.GuardedSecret).Kind(); k != sm.Protected {
		t.Fatalf("kind %v, want PROTECTED", k)
	}
}

func TestNewCopiesAndWipesTheInput(t *testing.T) {
	forEachKind(t, func(t *testing.T, f sm.SecretFactory) {
		src := []byte("correct horse battery staple")
		want := bytes.Clone(src)
		s := mustNew(t, f, src)
		if !bytes.Equal(src, make([]byte, len(src))) {
			t.Fatalf("input not wiped: %q", src)
		}
		if got := content(t, s); !bytes.Equal(got, want) {
			t.Fatalf("content %q, want %q", got, want)
		}
		g := s.(*sm.GuardedSecret)
		if g.Size() != len(want) || g.Kind() != f.Kind {
			t.Fatalf("size %d kind %v", g.Size(), g.Kind())
		}
	})
}

func TestNewWipesTheInputOnFailureToo(t *testing.T) {
	src := []byte("secret")
	s, err := sm.SecretFactory{Kind: sm.Kind(7)}.New(src)
	if s != nil || !errors.Is(err, sm.ErrInvalid) {
		t.Fatalf("New with an unknown kind: %v, %v", s, err)
	}
	if !bytes.Equal(src, make([]byte, len(src))) {
		t.Fatalf("input not wiped on failure: %q", src)
	}
	src = []byte("secret")
	if _, err := (sm.SecretFactory{Kind: sm.Kind(1 << 40)}).New(src); !errors.Is(err, sm.ErrInvalid) {
		t.Fatalf("a kind beyond a C int: %v", err)
	}
}

func TestFactoryRejectsEmptyAndNonPositiveSizes(t *testing.T) {
	forEachKind(t, func(t *testing.T, f sm.SecretFactory) {
		for name, call := range map[string]func() (sm.Secret, error){
			"New(nil)":          func() (sm.Secret, error) { return f.New(nil) },
			"New([]byte{})":     func() (sm.Secret, error) { return f.New([]byte{}) },
			"CreateRandom(0)":   func() (sm.Secret, error) { return f.CreateRandom(0) },
			"CreateRandom(-1)":  func() (sm.Secret, error) { return f.CreateRandom(-1) },
			"CreateRandom(max)": func() (sm.Secret, error) { return f.CreateRandom(1 << 62) },
		} {
			s, err := call()
			if s != nil { // a nil interface, not a typed nil pointer
				t.Errorf("%s returned a non-nil Secret %#v", name, s)
			}
			if err == nil {
				t.Errorf("%s returned no error", name)
			}
		}
		if _, err := f.CreateRandom(0); !errors.Is(err, sm.ErrInvalid) {
			t.Errorf("CreateRandom(0): %v, want ErrInvalid", err)
		}
	})
}

func TestCreateRandomIsRandom(t *testing.T) {
	forEachKind(t, func(t *testing.T, f sm.SecretFactory) {
		a, err := f.CreateRandom(32)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		b, err := f.CreateRandom(32)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		ca, cb := content(t, a), content(t, b)
		if len(ca) != 32 || bytes.Equal(ca, cb) || bytes.Equal(ca, make([]byte, 32)) {
			t.Fatalf("random secrets %x and %x", ca, cb)
		}
	})
}

func TestWithBytesReturnsTheActionsError(t *testing.T) {
	forEachKind(t, func(t *testing.T, f sm.SecretFactory) {
		s := mustNew(t, f, []byte("abc"))
		boom := errors.New("boom")
		if err := s.WithBytes(func([]byte) error { return boom }); err != boom {
			t.Fatalf("got %v, want the action's own error", err)
		}
		ret, err := s.WithBytesFunc(func(b []byte) ([]byte, error) { return []byte{b[0]}, boom })
		if err != boom || !bytes.Equal(ret, []byte("a")) {
			t.Fatalf("WithBytesFunc: %q, %v", ret, err)
		}
		if err := s.WithBytes(nil); !errors.Is(err, sm.ErrInvalid) {
			t.Fatalf("nil action: %v", err)
		}
		if _, err := s.WithBytesFunc(nil); !errors.Is(err, sm.ErrInvalid) {
			t.Fatalf("nil action: %v", err)
		}
		// The access ended each time: Close does not wait forever.
		closeWithin(t, s, 5*time.Second)
	})
}

func closeWithin(t *testing.T, s sm.Secret, d time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(d):
		t.Fatal("Close blocked: an access was never released")
	}
}

func TestWithBytesReleasesOnPanicAndRepanics(t *testing.T) {
	forEachKind(t, func(t *testing.T, f sm.SecretFactory) {
		s := mustNew(t, f, []byte("abc"))
		func() {
			defer func() {
				if r := recover(); r != "in the action" {
					t.Fatalf("recovered %v", r)
				}
			}()
			_ = s.WithBytes(func([]byte) error { panic("in the action") })
			t.Fatal("the panic did not propagate")
		}()
		if got := content(t, s); string(got) != "abc" {
			t.Fatalf("after the panic: %q", got)
		}
		closeWithin(t, s, 5*time.Second)
	})
}

func TestClosedSecretErrors(t *testing.T) {
	forEachKind(t, func(t *testing.T, f sm.SecretFactory) {
		s := mustNew(t, f, []byte("0123456789"))
		r := s.NewReader()
		if s.IsClosed() {
			t.Fatal("closed at birth")
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if !s.IsClosed() {
			t.Fatal("not closed")
		}
		g := s.(*sm.GuardedSecret)
		_, funcErr := s.WithBytesFunc(func(b []byte) ([]byte, error) { t.Error("action ran"); return nil, nil })
		_, copyErr := g.CopyTo(make([]byte, 4), 0)
		_, readErr := r.Read(make([]byte, 4))
		_, emptyReadErr := r.Read(nil)
		for name, err := range map[string]error{
			"WithBytes":     s.WithBytes(func([]byte) error { t.Error("action ran"); return nil }),
			"WithBytesFunc": funcErr,
			"CopyTo":        copyErr,
			"Reader.Read":   readErr,
			"empty Read":    emptyReadErr,
		} {
			if err == nil || err.Error() != "secret has already been destroyed" {
				t.Errorf("%s: %v, want Asherah's text", name, err)
			}
			if !errors.Is(err, sm.ErrClosed) {
				t.Errorf("%s: errors.Is(err, ErrClosed) is false for %v", name, err)
			}
			var e *sm.Error
			if !errors.As(err, &e) || e.Code != "SM_ERR_CLOSED" {
				t.Errorf("%s: code of %v", name, err)
			}
		}
		if g.Size() != 10 || g.Kind() != f.Kind {
			t.Fatalf("after close: size %d kind %v", g.Size(), g.Kind())
		}
	})
}

// Asherah's reader table (internal/secrets/reader_test.go): io.EOF comes
// with the last bytes.
func TestReaderReturnsEOFWithTheLastBytes(t *testing.T) {
	forEachKind(t, func(t *testing.T, f sm.SecretFactory) {
		s := mustNew(t, f, []byte("0123456789"))
		r := s.NewReader()
		for i, tt := range []struct {
			n    int
			want string
			err  error
		}{{4, "0123", nil}, {4, "4567", nil}, {0, "", nil}, {1, "8", nil}, {4, "9", io.EOF}, {4, "", io.EOF}, {0, "", io.EOF}} {
			buf := make([]byte, tt.n)
			n, err := r.Read(buf)
			if err != tt.err || string(buf[:n]) != tt.want {
				t.Fatalf("read %d: %q, %v; want %q, %v", i, buf[:n], err, tt.want, tt.err)
			}
		}
		all, err := io.ReadAll(s.NewReader())
		if err != nil || string(all) != "0123456789" {
			t.Fatalf("ReadAll: %q, %v", all, err)
		}
		exact := make([]byte, 10)
		if n, err := s.NewReader().Read(exact); n != 10 || err != io.EOF {
			t.Fatalf("one exact read: %d, %v (want 10, io.EOF)", n, err)
		}
	})
}

func TestCopyTo(t *testing.T) {
	forEachKind(t, func(t *testing.T, f sm.SecretFactory) {
		s := mustNew(t, f, []byte("0123456789")).(*sm.GuardedSecret)
		buf := make([]byte, 4)
		for _, tt := range []struct {
			dst    []byte
			offset int
			want   string
			err    error
		}{
			{buf, 0, "0123", nil},
			{buf, 8, "89", nil},
			{buf, 10, "", io.EOF},
			{buf, 1 << 40, "", io.EOF},
			{buf, -1, "", sm.ErrInvalid},
			{nil, 0, "", sm.ErrInvalid},
			{[]byte{}, 3, "", sm.ErrInvalid},
		} {
			n, err := s.CopyTo(tt.dst, tt.offset)
			if !errors.Is(err, tt.err) || n != len(tt.want) || string(tt.dst[:n]) != tt.want {
				t.Errorf("CopyTo(len %d, %d): %d, %v; want %q, %v", len(tt.dst), tt.offset, n, err, tt.want, tt.err)
			}
		}
	})
}

func TestNestedAccessesShareTheView(t *testing.T) {
	forEachKind(t, func(t *testing.T, f sm.SecretFactory) {
		s := mustNew(t, f, []byte("nested"))
		err := s.WithBytes(func(outer []byte) error {
			return s.WithBytes(func(inner []byte) error {
				if !bytes.Equal(outer, inner) || string(inner) != "nested" {
					return fmt.Errorf("outer %q inner %q", outer, inner)
				}
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// Close while many goroutines access: every access sees the whole secret
// or ErrClosed, Close waits for those in flight, and nothing crashes.
func TestCloseWhileManyGoroutinesAccess(t *testing.T) {
	forEachKind(t, func(t *testing.T, f sm.SecretFactory) {
		want := bytes.Repeat([]byte{0xA5}, 64)
		s, err := f.New(bytes.Clone(want))
		if err != nil {
			t.Fatal(err)
		}
		var ok, closed atomic.Int64
		var inside atomic.Int64
		start := make(chan struct{})
		var wg sync.WaitGroup
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for {
					err := s.WithBytes(func(b []byte) error {
						inside.Add(1)
						defer inside.Add(-1)
						if !bytes.Equal(b, want) {
							return errors.New("torn view")
						}
						return nil
					})
					switch {
					case err == nil:
						ok.Add(1)
					case errors.Is(err, sm.ErrClosed):
						closed.Add(1)
						return
					default:
						t.Error(err)
						return
					}
				}
			}()
		}
		close(start)
		for ok.Load() < 200 {
			time.Sleep(time.Millisecond)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if n := inside.Load(); n != 0 {
			t.Fatalf("Close returned with %d accesses in flight", n)
		}
		wg.Wait()
		if closed.Load() != 8 {
			t.Fatalf("%d goroutines saw the close", closed.Load())
		}
	})
}

// Purge during an access: it waits for the access, then closes the secret.
func TestPurgeDuringAccessWaitsThenCloses(t *testing.T) {
	forEachKind(t, func(t *testing.T, f sm.SecretFactory) {
		s := mustNew(t, f, []byte("purge me"))
		entered, leave := make(chan struct{}), make(chan struct{})
		var sawInside []byte
		accessDone := make(chan error, 1)
		go func() {
			accessDone <- s.WithBytes(func(b []byte) error {
				close(entered)
				<-leave
				sawInside = bytes.Clone(b) // still readable: the purge waits
				return nil
			})
		}()
		<-entered
		purged := make(chan struct{})
		go func() { sm.Purge(); close(purged) }()
		select {
		case <-purged:
			t.Fatal("Purge returned while an access was in flight")
		case <-time.After(100 * time.Millisecond):
		}
		close(leave)
		if err := <-accessDone; err != nil {
			t.Fatal(err)
		}
		<-purged
		if string(sawInside) != "purge me" {
			t.Fatalf("inside the access: %q", sawInside)
		}
		if !s.IsClosed() {
			t.Fatal("not closed by Purge")
		}
		if err := s.WithBytes(func([]byte) error { return nil }); !errors.Is(err, sm.ErrClosed) {
			t.Fatalf("after Purge: %v", err)
		}
	})
}

func TestConcurrentReadersAndFactories(t *testing.T) {
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			f := sm.SecretFactory{Kind: kinds[g%2]}
			for i := 0; i < 100; i++ {
				s, err := f.New([]byte{byte(g), byte(i), 1, 2})
				if err != nil {
					t.Error(err)
					return
				}
				got, err := io.ReadAll(s.NewReader())
				if err != nil || !bytes.Equal(got, []byte{byte(g), byte(i), 1, 2}) {
					t.Errorf("read %x, %v", got, err)
				}
				if err := s.Close(); err != nil {
					t.Error(err)
				}
			}
		}(g)
	}
	wg.Wait()
}
