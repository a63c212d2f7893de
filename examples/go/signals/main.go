// signals shows the Go way to wipe every secret before the process ends
// on a signal: CatchSignal runs your handler, purges, then exits with the
// signal's exit code. It sends itself SIGINT (unless -wait is given, then
// press Ctrl+C) and exits with code 3.
//
//	cd examples/go && go run ./signals; echo "exit code $?"
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"syscall"
	"time"

	"github.com/securememory/securememory-go"
)

func main() {
	wait := flag.Bool("wait", false, "wait for Ctrl+C instead of sending SIGINT")
	flag.Parse()

	secret, err := securememory.SecretFactory{}.CreateRandom(32)
	if err != nil {
		log.Fatal(err)
	}
	securememory.CatchSignal(func(sig os.Signal) {
		// Runs first, on its own goroutine; the purge comes after it.
		fmt.Printf("caught %v; secret closed yet: %v\n", sig, secret.IsClosed())
	}, syscall.SIGINT, syscall.SIGTERM)
	if err := securememory.SetExitCode(syscall.SIGINT, 3); err != nil {
		log.Fatal(err)
	}

	fmt.Println("holding a secret; pid", os.Getpid())
	if !*wait {
		_ = syscall.Kill(os.Getpid(), syscall.SIGINT)
	}
	time.Sleep(time.Minute)
	fmt.Println("no signal came")
}
