package securememory_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// childOutput runs the test binary as a child in mode and returns its
// standard output.
func childOutput(t *testing.T, mode string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out) + stderr.String(), err
	}
	return string(out), nil
}

func runChild(mode string) {
	switch mode {
	case "backend-auto":
		// Auto first thing, then again: both succeed; print what it chose.
		for i := 0; i < 2; i++ {
			if err := sm.Init(sm.Config{Backend: sm.Auto}); err != nil {
				fmt.Println("Init(Auto):", err)
				os.Exit(1)
			}
		}
		fmt.Println(sm.ActiveBackend())
		os.Exit(0)
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
