package securememory_test

import (
	"os"
	"path/filepath"
	"testing"
	"unsafe"
)

// repoRoot is the checkout root (bindings/go is two levels below it).
func repoRoot(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Clean(filepath.Join(wd, "..", ".."))
	if _, err := os.Stat(filepath.Join(root, "tests", "vectors")); err != nil {
		t.Fatalf("no checkout around %s: %v", wd, err)
	}
	return root
}

// unsafeAddr is the address of b's first byte.
func unsafeAddr(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }
