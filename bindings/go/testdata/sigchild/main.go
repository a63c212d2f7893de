// Command sigchild is the child process of the signal tests
// (signals_test.go): it holds secrets, catches a signal with the binding,
// and reports on file descriptor 3, one line per event:
//
//	control <n>           windows of the secrets found by a whole-process
//	                      scan before any signal (must be > 0: the scan sees
//	                      them at rest, PROT_NONE pages included)
//	ready <pid>           the parent may send the signal now
//	handler <sig> <closed> the handler ran; closed is 1 if the secret was
//	                      already closed (it must not be: the purge comes
//	                      after the handler)
//	access-leaving        (mode during-access) the main goroutine is about
//	                      to end an access the signal arrived during
//	exit-scan <n>         from a C atexit hook that exit(3) runs after the
//	                      purge: windows of the secrets found anywhere in
//	                      the process (must be 0)
//	timeout               no signal came
//
// Usage: sigchild MODE
package main

import (
	"crypto/rand"
	"fmt"
	"os"
	"syscall"
	"time"

	sm "github.com/securememory/securememory-go"
)

var report = os.NewFile(3, "report")

func say(format string, args ...any) { fmt.Fprintf(report, format+"\n", args...) }

func main() {
	scanSetup(3)
	mode := os.Args[1]

	// A PROTECTED secret made from Go memory (New wipes it) and an ENCLAVE
	// one made from random bytes; the scanner learns their windows' hashes.
	src := make([]byte, 64)
	if _, err := rand.Read(src); err != nil {
		panic(err)
	}
	protected, err := sm.SecretFactory{}.New(src)
	if err != nil {
		panic(err)
	}
	enclave, err := sm.SecretFactory{Kind: sm.KindEnclave}.CreateRandom(64)
	if err != nil {
		panic(err)
	}
	for _, s := range []sm.Secret{protected, enclave} {
		if err := s.WithBytes(func(b []byte) error { hashWindows(b); return nil }); err != nil {
			panic(err)
		}
	}
	say("control %d", scanProcess())

	handler := func(sig os.Signal) {
		closed := 0
		if protected.IsClosed() {
			closed = 1
		}
		say("handler %d %d", sig.(syscall.Signal), closed)
	}
	switch mode {
	case "interrupt": // SIGINT, no handler, default exit code 1
		sm.CatchInterrupt()
	case "handler": // SIGTERM with a handler and exit code 7
		sm.CatchSignal(handler, syscall.SIGTERM)
		must(sm.SetExitCode(syscall.SIGTERM, 7))
	case "default-list": // no signals given: the termination signals
		sm.CatchSignal(handler)
	case "panicking-handler": // the wipe still happens
		sm.CatchSignal(func(os.Signal) { panic("the handler failed") }, syscall.SIGINT)
		must(sm.SetExitCode(syscall.SIGINT, 5))
	case "reraise": // end by the signal itself after the purge
		sm.CatchSignal(handler, syscall.SIGTERM)
		must(sm.SetExitCode(syscall.SIGTERM, sm.ExitReraise))
	case "released": // Release gives the default behaviour back
		sm.CatchInterrupt()
		sm.Release()
	case "during-access": // the purge waits for the access in flight
		sm.CatchSignal(handler, syscall.SIGINT)
		must(sm.SetExitCode(syscall.SIGINT, 9))
	default:
		panic("unknown mode " + mode)
	}

	say("ready %d", os.Getpid())
	if mode == "during-access" {
		_ = protected.WithBytes(func(b []byte) error {
			time.Sleep(500 * time.Millisecond) // the signal arrives now
			say("access-leaving")
			return nil
		})
	}
	time.Sleep(30 * time.Second)
	say("timeout")
	os.Exit(99)
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
