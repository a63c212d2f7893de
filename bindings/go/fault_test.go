package securememory_test

import (
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"

	sm "github.com/securememory/securememory-go"
)

// keepView returns the view of a secret's bytes kept past WithBytes.
func keepView(t *testing.T, kind sm.Kind) []byte {
	s, err := sm.NewSecret(kind, []byte("do not keep me"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	var kept []byte
	if err := s.WithBytes(func(b []byte) error { kept = b; return nil }); err != nil {
		t.Fatal(err)
	}
	return kept
}

// readFault reads b[0] with faults turned into panics on this goroutine;
// it returns the fault's address, or ok=false when the read succeeded.
func readFault(b []byte) (addr uintptr, ok bool) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if fault, is := r.(interface{ Addr() uintptr }); is {
				addr, ok = fault.Addr(), true
				return
			}
			panic(r)
		}
	}()
	sink = b[0]
	return 0, false
}

// A slice kept after WithBytes points at no-access memory: reading it
// faults (shown here with debug.SetPanicOnFault, which turns the fault
// into a panic; without it the process dies: see the next test).
func TestAViewKeptAfterWithBytesFaults(t *testing.T) {
	kept := keepView(t, sm.Protected)
	addr, faulted := readFault(kept)
	if !faulted {
		t.Fatalf("reading a kept view succeeded (saw %#x)", sink)
	}
	if start := uintptr(unsafeAddr(kept)); addr < start&^uintptr(sm.PageSize()-1) || addr > start+uintptr(len(kept)) {
		t.Fatalf("fault at %#x, the view is at %#x", addr, start)
	}
}

// An ENCLAVE secret's view is wiped when the access ends: a kept slice
// faults or reads zeros, never the plaintext.
func TestAKeptEnclaveViewNeverShowsThePlaintext(t *testing.T) {
	kept := keepView(t, sm.KindEnclave)
	if _, faulted := readFault(kept); faulted {
		return
	}
	for i := range kept {
		if kept[i] != 0 {
			t.Fatalf("the kept view still holds data: %q", kept)
		}
	}
}

// Without SetPanicOnFault the read kills the process (a fatal error that
// recover cannot catch).
func TestAKeptViewKillsTheProcess(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=kept-view")
	out, err := cmd.CombinedOutput()
	exit, ok := err.(*exec.ExitError)
	if !ok {
		t.Fatalf("the child did not fail: %v\n%s", err, out)
	}
	text := string(out)
	if !strings.Contains(text, "reading the kept view") || strings.Contains(text, "the read returned") {
		t.Fatalf("the child got past the read:\n%s", text)
	}
	if !strings.Contains(text, "unexpected fault address") || exit.ExitCode() != 2 {
		t.Fatalf("exit %d, want Go's fatal fault (2):\n%s", exit.ExitCode(), text)
	}
}
