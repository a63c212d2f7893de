package securememory

import (
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/securememory/securememory-go/internal/native"
)

// ExitReraise as an exit code (SetExitCode) means: end by the same signal
// with its default action, after the purge (SM_EXIT_RERAISE).
const ExitReraise = -1

// TerminationSignals are the signals CatchSignal catches when given none:
// SIGINT, SIGTERM, SIGHUP and SIGQUIT.
var TerminationSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// defaultExitCodes is the core's exit-code table (sm_signal_set_exit_code).
var defaultExitCodes = map[syscall.Signal]int{
	syscall.SIGINT: 1, syscall.SIGTERM: 1, syscall.SIGHUP: 1, syscall.SIGQUIT: 1,
	syscall.SIGSEGV: ExitReraise, syscall.SIGBUS: ExitReraise, syscall.SIGILL: ExitReraise,
	syscall.SIGFPE: ExitReraise, syscall.SIGABRT: ExitReraise,
}

// sigState is the state of the catch: at most one listener at a time.
var sigState struct {
	mu    sync.Mutex
	ch    chan os.Signal
	stop  chan struct{}
	codes map[syscall.Signal]int
}

// CatchInterrupt catches SIGINT (Ctrl+C): purge, then exit with SIGINT's
// exit code (default 1). It replaces the handler and the signal list of an
// earlier catch.
func CatchInterrupt() { catch(nil, []os.Signal{os.Interrupt}) }

// CatchSignal catches signals (TerminationSignals when none are given)
// with os/signal, the Go way. When one arrives, on a goroutine of its own:
// handler runs (nil: none; a panic in it is printed and the wipe goes on),
// then Purge, then the process ends with the signal's exit code (see
// SetExitCode; 1 for a signal outside the core's table) through the C
// exit(3), so deferred functions do not run: do your clean-up in the
// handler, or call Exit yourself from it. A second caught signal while
// the first is handled ends the process at once (purge and exit).
//
// It replaces the handler and the signal list of an earlier catch. The C
// library's own signal handlers are never installed: Go owns signals, and
// a fault in Go code (SIGSEGV, SIGBUS) stays a Go panic. Faults and signals
// not caught here end the process without a purge (docs/go.md, "Signals").
func CatchSignal(handler func(os.Signal), signals ...os.Signal) {
	if len(signals) == 0 {
		signals = TerminationSignals
	}
	catch(handler, signals)
}

// SetExitCode sets the exit code used after sig is handled: 0..255, or
// ExitReraise to end by the signal itself. Defaults (the core's table): 1
// for SIGINT, SIGTERM, SIGHUP and SIGQUIT; ExitReraise for SIGSEGV, SIGBUS,
// SIGILL, SIGFPE and SIGABRT.
//
// Errors: ErrInvalid (a signal outside that table, or a code out of
// range), as sm_signal_set_exit_code.
func SetExitCode(sig os.Signal, code int) error {
	s, ok := sig.(syscall.Signal)
	if !ok || !fitsCInt(code) {
		return ErrInvalid
	}
	if _, known := defaultExitCodes[s]; !known {
		return ErrInvalid
	}
	if err := statusError(native.Sm_signal_set_exit_code(int(s), code)); err != nil {
		return err
	}
	sigState.mu.Lock()
	defer sigState.mu.Unlock()
	if sigState.codes == nil {
		sigState.codes = map[syscall.Signal]int{}
	}
	sigState.codes[s] = code
	return nil
}

// Release stops catching: the signals get their default Go behaviour back
// (os/signal's Stop). A signal already being handled is still handled
// (handler, purge, exit). Idempotent; exit codes are kept.
func Release() {
	sigState.mu.Lock()
	defer sigState.mu.Unlock()
	stopLocked()
}

func stopLocked() {
	if sigState.ch != nil {
		signal.Stop(sigState.ch)
		close(sigState.stop)
		sigState.ch, sigState.stop = nil, nil
	}
}

func catch(handler func(os.Signal), list []os.Signal) {
	sigState.mu.Lock()
	defer sigState.mu.Unlock()
	stopLocked()
	ch := make(chan os.Signal, 2)
	stop := make(chan struct{})
	sigState.ch, sigState.stop = ch, stop
	signal.Notify(ch, list...)
	go listen(ch, stop, handler)
}

func listen(ch chan os.Signal, stop chan struct{}, handler func(os.Signal)) {
	var sig os.Signal
	select {
	case sig = <-ch:
	case <-stop:
		return
	}
	go func() { // a second signal: end at once
		second := <-ch
		endProcess(second)
	}()
	runHandler(handler, sig)
	endProcess(sig)
}

// runHandler runs the user's handler; a panic is reported, not fatal: the
// wipe must still happen.
func runHandler(handler func(os.Signal), sig os.Signal) {
	if handler == nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "securememory: the signal handler for %v panicked: %v\n%s", sig, r, debug.Stack())
		}
	}()
	handler(sig)
}

// endProcess purges and ends the process as sig's exit code says.
func endProcess(sig os.Signal) {
	Purge()
	code := exitCode(sig)
	if s, ok := sig.(syscall.Signal); ok && code == ExitReraise {
		signal.Reset(s)
		_ = syscall.Kill(os.Getpid(), s)
		time.Sleep(time.Second) // the default action ends the process
		code = 128 + int(s)     // the signal was ignored or blocked
	}
	Exit(code)
}

func exitCode(sig os.Signal) int {
	s, ok := sig.(syscall.Signal)
	if !ok {
		return 1
	}
	sigState.mu.Lock()
	code, set := sigState.codes[s]
	sigState.mu.Unlock()
	if set {
		return code
	}
	if code, known := defaultExitCodes[s]; known {
		return code
	}
	return 1
}
