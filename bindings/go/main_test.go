package securememory_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	sm "github.com/securememory/securememory-go"
)

// childEnv selects a child mode: the test binary runs itself as a child
// process for the tests that end or kill a process.
const childEnv = "SECUREMEMORY_GO_TEST_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		runChild(mode)
		fmt.Fprintln(os.Stderr, "child mode", mode, "returned")
		os.Exit(97)
	}
	code := m.Run()
	if sigchild.path != "" {
		os.RemoveAll(filepath.Dir(sigchild.path))
	}
	os.Exit(code)
}

var sink byte

func runChild(mode string) {
	switch mode {
	case "kept-view":
		// Read a view kept after WithBytes returned.
		s, err := sm.NewSecret(sm.Protected, []byte("kept view"))
		if err != nil {
			panic(err)
		}
		var kept []byte
		_ = s.WithBytes(func(b []byte) error { kept = b; return nil })
		fmt.Println("reading the kept view")
		sink = kept[0]
		fmt.Println("the read returned", sink)
	}
}
