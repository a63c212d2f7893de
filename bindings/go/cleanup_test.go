package securememory_test

import (
	"runtime"
	"testing"
	"time"

	sm "github.com/securememory/securememory-go"
)

// waitFor runs the collector until cond holds (cleanups run on their own
// goroutine after a collection).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("the cleanup never ran: %s", what)
		}
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
}

// The cleanup backstop closes objects nobody closed once they are
// unreachable.
func TestCleanupBackstop(t *testing.T) {
	t.Run("Secret", func(t *testing.T) {
		for _, k := range kinds {
			base := sm.GetStats()
			live := func(s sm.Stats) uint64 { return s.LiveSecretsProtected + s.LiveSecretsEnclave }
			func() {
				for i := 0; i < 10; i++ {
					if _, err := (sm.SecretFactory{Kind: k}).CreateRandom(32); err != nil {
						t.Fatal(err)
					}
				}
			}()
			if live(sm.GetStats()) < live(base)+10 {
				t.Fatal("the secrets were not counted")
			}
			waitFor(t, k.String()+" secrets", func() bool { return live(sm.GetStats()) <= live(base) })
		}
	})
	t.Run("Buffer", func(t *testing.T) {
		base := sm.GetStats().LiveBuffers
		func() {
			for i := 0; i < 10; i++ {
				if _, err := sm.NewBufferRandom(64); err != nil {
					t.Fatal(err)
				}
			}
		}()
		waitFor(t, "buffers", func() bool { return sm.GetStats().LiveBuffers <= base })
	})
	t.Run("Enclave", func(t *testing.T) {
		base := sm.GetStats().LiveEnclaves
		func() {
			for i := 0; i < 10; i++ {
				if _, err := sm.NewEnclaveRandom(64); err != nil {
					t.Fatal(err)
				}
			}
		}()
		if sm.GetStats().LiveEnclaves < base+10 {
			t.Fatal("the enclaves were not counted")
		}
		waitFor(t, "enclaves", func() bool { return sm.GetStats().LiveEnclaves <= base })
	})
	t.Run("Stream", func(t *testing.T) {
		base := sm.GetStats().LiveEnclaves
		func() {
			s, err := sm.NewStream(16)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Write(make([]byte, 64)); err != nil {
				t.Fatal(err)
			}
		}()
		if sm.GetStats().LiveEnclaves < base+4 {
			t.Fatal("the stream's chunks were not counted")
		}
		waitFor(t, "the stream's chunks", func() bool { return sm.GetStats().LiveEnclaves <= base })
	})
}

// An object closed by hand is freed by its cleanup later without a second
// close going wrong, and a reachable object is never cleaned up.
func TestCleanupLeavesReachableObjectsAlone(t *testing.T) {
	s, err := sm.NewSecret(sm.Protected, []byte("kept"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	if got := content(t, s); string(got) != "kept" {
		t.Fatalf("%q", got)
	}
	_ = s.Close()
	runtime.KeepAlive(s)
}
