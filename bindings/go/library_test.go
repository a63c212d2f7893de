package securememory_test

import (
	"bytes"
	"errors"
	"os"
	"runtime"
	"testing"
	"time"

	sm "github.com/securememory/securememory-go"
)

func TestVersionAndPageSize(t *testing.T) {
	if v := sm.Version(); v == "" || v[0] < '0' || v[0] > '9' {
		t.Fatalf("version %q", v)
	}
	if sm.PageSize() != os.Getpagesize() {
		t.Fatalf("page size %d, OS says %d", sm.PageSize(), os.Getpagesize())
	}
}

func TestWipe(t *testing.T) {
	b := []byte("wipe me")
	sm.Wipe(b)
	if !bytes.Equal(b, make([]byte, 7)) {
		t.Fatalf("%q", b)
	}
	sm.Wipe(nil) // no-op
}

// The backend setting maps through: once memory was taken the active
// backend (never Auto) stays, asking for it again is fine, asking for the
// other one is refused without changing anything.
func TestInitBackend(t *testing.T) {
	defer func() {
		if err := sm.Init(sm.Config{}); err != nil {
			t.Fatalf("restoring the defaults: %v", err)
		}
	}()
	s, err := sm.NewSecretRandom(sm.Protected, 8) // memory taken: the backend is settled
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	active := sm.ActiveBackend()
	if active != sm.Pages && active != sm.Secretmem {
		t.Fatalf("active backend %v", active)
	}
	if err := sm.Init(sm.Config{Backend: active}); err != nil {
		t.Fatalf("the backend in force: %v", err)
	}
	other := sm.Secretmem
	if active == sm.Secretmem {
		other = sm.Pages
	}
	err = sm.Init(sm.Config{Backend: other})
	if !errors.Is(err, sm.ErrInvalid) && !errors.Is(err, sm.ErrUnsupported) {
		t.Fatalf("switching to %v after allocating: %v", other, err)
	}
	if sm.ActiveBackend() != active {
		t.Fatal("a refused Init changed the backend")
	}
	for _, b := range []sm.Backend{-1, 3, 1 << 40} {
		if err := sm.Init(sm.Config{Backend: b}); !errors.Is(err, sm.ErrInvalid) {
			t.Errorf("backend %v: %v", b, err)
		}
	}
	if s.IsClosed() {
		t.Fatal("Init closed a secret")
	}
}

// Auto, asked for first thing in a fresh process, succeeds and resolves
// to a real backend (a child process: this one has taken memory).
func TestInitBackendAuto(t *testing.T) {
	out, err := childOutput(t, "backend-auto")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if out != "PAGES\n" && out != "SECRETMEM\n" {
		t.Fatalf("active backend after Auto: %q", out)
	}
}

func TestInitRejectsBadSettings(t *testing.T) {
	defer func() { _ = sm.Init(sm.Config{}) }()
	for name, cfg := range map[string]sm.Config{
		"lock policy":      {LockPolicy: 3},
		"negative lock":    {LockPolicy: -1},
		"lock beyond int":  {LockPolicy: 1 << 40},
		"fork policy":      {ForkPolicy: 2},
		"rekey over 2^32":  {RekeyInterval: (1 << 32) * time.Millisecond},
		"backend too high": {Backend: 9},
	} {
		if err := sm.Init(cfg); !errors.Is(err, sm.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, cfg := range map[string]sm.Config{
		"defaults":    {},
		"best effort": {LockPolicy: sm.LockBestEffort, RekeyInterval: -1},
		"keep, 1s":    {ForkPolicy: sm.ForkKeep, RekeyInterval: time.Second},
	} {
		if err := sm.Init(cfg); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestStatsFollowObjects(t *testing.T) {
	runtime.GC()
	before := sm.GetStats()
	s, err := sm.NewSecretRandom(sm.Protected, 32)
	if err != nil {
		t.Fatal(err)
	}
	e, err := sm.NewSecretRandom(sm.KindEnclave, 32)
	if err != nil {
		t.Fatal(err)
	}
	b, err := sm.NewBuffer(100)
	if err != nil {
		t.Fatal(err)
	}
	during := sm.GetStats()
	if during.LiveSecretsProtected != before.LiveSecretsProtected+1 ||
		during.LiveSecretsEnclave != before.LiveSecretsEnclave+1 ||
		during.LiveBuffers <= before.LiveBuffers || during.BytesInUse < before.BytesInUse+100 {
		t.Fatalf("before %+v during %+v", before, during)
	}
	_ = s.Close()
	_ = e.Close()
	_ = b.Destroy()
	after := sm.GetStats()
	if after.LiveSecretsProtected != before.LiveSecretsProtected || after.LiveSecretsEnclave != before.LiveSecretsEnclave {
		t.Fatalf("before %+v after %+v", before, after)
	}
}
