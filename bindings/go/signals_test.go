package securememory_test

// Signals, in child processes that receive real signals (testdata/sigchild,
// built once per run without the race detector). What is observed, and
// why each check can fail:
//   - the exit status is the configured code, or death by the signal;
//   - the handler ran, before the purge (the secret was still open);
//   - "control": before any signal, a whole-process scan of the child (every
//     mapping through /proc/self/mem) finds the PROTECTED secret's bytes
//     exactly once (its 49 16-byte windows: its own guarded page; New wiped
//     the Go slice it came from, and the ENCLAVE secret is sealed at rest),
//     so the same scan later would find any copy left anywhere;
//   - "exit-scan 0": a C atexit hook, run by exit(3) after the binding's
//     purge, scans the whole process again and finds no 16-byte window of
//     either secret. Without the purge it would find them; without exit(3)
//     (os.Exit, death by a signal) there is no such line.

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	sm "github.com/securememory/securememory-go"
)

var sigchild struct {
	once sync.Once
	path string
	err  error
}

// buildSigchild builds testdata/sigchild with the go command running the
// tests (never with -race: a plain program, as users ship).
func buildSigchild(t *testing.T) string {
	sigchild.once.Do(func() {
		dir, err := os.MkdirTemp("", "sigchild-")
		if err != nil {
			sigchild.err = err
			return
		}
		sigchild.path = filepath.Join(dir, "sigchild")
		cmd := exec.Command(goTool(), "build", "-o", sigchild.path, "./testdata/sigchild")
		if out, err := cmd.CombinedOutput(); err != nil {
			sigchild.err = errors.New(err.Error() + "\n" + string(out))
		}
	})
	if sigchild.err != nil {
		t.Fatalf("building the child: %v", sigchild.err)
	}
	return sigchild.path
}

// goTool is the go command of the toolchain running the tests.
func goTool() string {
	if p := filepath.Join(os.Getenv("GOROOT"), "bin", "go"); os.Getenv("GOROOT") != "" {
		return p
	}
	return "go"
}

type childResult struct {
	status syscall.WaitStatus
	lines  []string
	stderr string
}

func (r childResult) field(t *testing.T, key string) []string {
	t.Helper()
	var found [][]string
	for _, l := range r.lines {
		if f := strings.Fields(l); len(f) > 0 && f[0] == key {
			found = append(found, f[1:])
		}
	}
	if len(found) != 1 {
		t.Fatalf("expected one %q line, got %d in %q\nstderr:\n%s", key, len(found), r.lines, r.stderr)
	}
	return found[0]
}

func (r childResult) has(key string) bool {
	for _, l := range r.lines {
		if strings.HasPrefix(l, key) {
			return true
		}
	}
	return false
}

// runSigchild starts the child in mode, sends sig once it is ready, and
// waits for it to end.
func runSigchild(t *testing.T, mode string, sig syscall.Signal) childResult {
	t.Helper()
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(buildSigchild(t), mode)
	cmd.ExtraFiles = []*os.File{wr}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	wr.Close()
	timer := time.AfterFunc(60*time.Second, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	var res childResult
	sc := bufio.NewScanner(rd)
	for sc.Scan() { // ends when every writer is gone: the child ended
		line := sc.Text()
		res.lines = append(res.lines, line)
		if strings.HasPrefix(line, "ready") {
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
		}
	}
	rd.Close()
	_ = cmd.Wait()
	res.status = cmd.ProcessState.Sys().(syscall.WaitStatus)
	res.stderr = stderr.String()
	return res
}

// oneCopy is what the control scan finds: every 16-byte window of one
// 64-byte secret, once.
const oneCopy = 64 - 16 + 1

// checkScans: the control scan saw one copy of the secrets, the scan at
// exit none.
func checkScans(t *testing.T, r childResult) {
	t.Helper()
	if n, _ := strconv.Atoi(r.field(t, "control")[0]); n != oneCopy {
		t.Fatalf("the control scan found %d windows, want %d (one copy, in guarded memory)", n, oneCopy)
	}
	if n := r.field(t, "exit-scan")[0]; n != "0" {
		t.Fatalf("%s windows of the secrets are still in the process at exit", n)
	}
}

func checkExit(t *testing.T, r childResult, code int) {
	t.Helper()
	if !r.status.Exited() || r.status.ExitStatus() != code {
		t.Fatalf("status %v (exited %v), want exit code %d\nlines %q\nstderr:\n%s",
			r.status, r.status.Exited(), code, r.lines, r.stderr)
	}
}

func TestSignalInterruptPurgesAndExits1(t *testing.T) {
	r := runSigchild(t, "interrupt", syscall.SIGINT)
	checkExit(t, r, 1)
	checkScans(t, r)
	if r.has("timeout") {
		t.Fatal("the signal was not caught")
	}
}

func TestSignalTermRunsTheHandlerThenPurgesAndExits(t *testing.T) {
	r := runSigchild(t, "handler", syscall.SIGTERM)
	checkExit(t, r, 7)
	if h := r.field(t, "handler"); h[0] != strconv.Itoa(int(syscall.SIGTERM)) || h[1] != "0" {
		t.Fatalf("handler line %q: it must run before the purge", h)
	}
	checkScans(t, r)
}

func TestSignalDefaultListCatchesHangup(t *testing.T) {
	r := runSigchild(t, "default-list", syscall.SIGHUP)
	checkExit(t, r, 1)
	if h := r.field(t, "handler"); h[0] != strconv.Itoa(int(syscall.SIGHUP)) {
		t.Fatalf("handler line %q", h)
	}
	checkScans(t, r)
}

func TestSignalAPanickingHandlerStillPurges(t *testing.T) {
	r := runSigchild(t, "panicking-handler", syscall.SIGINT)
	checkExit(t, r, 5)
	if !strings.Contains(r.stderr, "the handler failed") {
		t.Fatalf("the panic was not reported:\n%s", r.stderr)
	}
	checkScans(t, r)
}

func TestSignalDuringAnAccessWaitsForIt(t *testing.T) {
	r := runSigchild(t, "during-access", syscall.SIGINT)
	checkExit(t, r, 9)
	r.field(t, "handler")
	leaving, scan := -1, -1
	for i, l := range r.lines {
		switch {
		case l == "access-leaving":
			leaving = i
		case strings.HasPrefix(l, "exit-scan"):
			scan = i
		}
	}
	if leaving < 0 || scan < leaving {
		t.Fatalf("the purge did not wait for the access: %q", r.lines)
	}
	checkScans(t, r)
}

func TestSignalReraiseEndsByTheSignal(t *testing.T) {
	r := runSigchild(t, "reraise", syscall.SIGTERM)
	if !r.status.Signaled() || r.status.Signal() != syscall.SIGTERM {
		t.Fatalf("status %v, want death by SIGTERM\n%q\n%s", r.status, r.lines, r.stderr)
	}
	r.field(t, "handler")
	if r.has("exit-scan") {
		t.Fatal("exit(3) ran: the process did not end by the signal")
	}
}

func TestSignalReleaseRestoresTheDefault(t *testing.T) {
	r := runSigchild(t, "released", syscall.SIGINT)
	if !r.status.Signaled() || r.status.Signal() != syscall.SIGINT {
		t.Fatalf("status %v, want death by SIGINT (Go's default)\n%q", r.status, r.lines)
	}
	if r.has("handler") || r.has("exit-scan") {
		t.Fatalf("caught after Release: %q", r.lines)
	}
}

func TestSetExitCodeValidates(t *testing.T) {
	for _, tt := range []struct {
		sig  os.Signal
		code int
		ok   bool
	}{
		{syscall.SIGINT, 0, true}, {syscall.SIGTERM, 255, true}, {syscall.SIGHUP, sm.ExitReraise, true},
		{syscall.SIGSEGV, 3, true}, {syscall.SIGINT, 256, false}, {syscall.SIGINT, -2, false},
		{syscall.SIGINT, 1 << 40, false}, {syscall.SIGUSR1, 1, false}, {syscall.SIGKILL, 1, false},
		{os.Interrupt, 1, true}, {fakeSignal{}, 1, false},
	} {
		err := sm.SetExitCode(tt.sig, tt.code)
		if tt.ok != (err == nil) || (err != nil && !errors.Is(err, sm.ErrInvalid)) {
			t.Errorf("SetExitCode(%v, %d): %v", tt.sig, tt.code, err)
		}
	}
	for _, sig := range []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGSEGV} {
		if err := sm.SetExitCode(sig, map[bool]int{true: 1, false: sm.ExitReraise}[sig != syscall.SIGSEGV]); err != nil {
			t.Fatal(err) // back to the defaults
		}
	}
	sm.Release() // nothing caught: a no-op
	sm.Release()
}

type fakeSignal struct{}

func (fakeSignal) String() string { return "fake" }
func (fakeSignal) Signal()        {}
