//go:build linux && (amd64 || arm64)

package native

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/securememory/securememory-go/internal/gen"
)

// The committed files must be what the generators make from the checkout
// now: the flat copy of core/src and core/include, and the SWIG wrapper of
// bindings/swig (with the pinned SWIG). Either fails after a change there
// until `go generate ./...` is run in bindings/go.

func checkout(t *testing.T) string {
	t.Helper()
	repo, err := gen.RepoRoot(".")
	if err != nil {
		t.Fatalf("the stale checks need the repository checkout: %v", err)
	}
	return repo
}

func report(t *testing.T, problems []string) {
	t.Helper()
	if len(problems) > 0 {
		t.Fatalf("stale generated files in internal/native (run `go generate ./...` in bindings/go):\n  %s",
			strings.Join(problems, "\n  "))
	}
}

func TestCoreCopyIsCurrent(t *testing.T) {
	want, err := gen.CoreFiles(checkout(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(want) < 20 {
		t.Fatalf("only %d core files found", len(want))
	}
	problems, err := gen.Diff(".", want, func(name string) bool { return !gen.IsSwigFile(name) })
	if err != nil {
		t.Fatal(err)
	}
	report(t, problems)
}

func pinnedSwig(t *testing.T, repo string) string {
	t.Helper()
	swig := gen.SwigBinary(repo)
	if _, err := exec.LookPath(swig); err != nil {
		if _, serr := os.Stat(swig); serr != nil {
			t.Fatalf("the pinned SWIG is not installed (%s; run scripts/setup.sh): %v", swig, err)
		}
	}
	return swig
}

func TestSwigWrapperIsCurrent(t *testing.T) {
	repo := checkout(t)
	want, err := gen.SwigFiles(repo, pinnedSwig(t, repo))
	if err != nil {
		t.Fatal(err)
	}
	problems, err := gen.Diff(".", want, gen.IsSwigFile)
	if err != nil {
		t.Fatal(err)
	}
	report(t, problems)
}

// A change to the core makes the check fail (it compares content, and
// notices files that appear or vanish).
func TestStaleCheckNoticesChanges(t *testing.T) {
	dir := t.TempDir()
	want := map[string][]byte{"core_a.c": []byte("// " + gen.Marker + "\nint a;\n"), "x.h": []byte("// " + gen.Marker + "\n")}
	if err := gen.Write(dir, want, func(string) bool { return true }); err != nil {
		t.Fatal(err)
	}
	all := func(string) bool { return true }
	if p, _ := gen.Diff(dir, want, all); len(p) != 0 {
		t.Fatalf("fresh output reported stale: %v", p)
	}
	changed := map[string][]byte{"core_a.c": []byte("// " + gen.Marker + "\nint b;\n"), "y.h": []byte("// " + gen.Marker + "\n")}
	p, err := gen.Diff(dir, changed, all)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(p, "\n")
	for _, want := range []string{"core_a.c: differs", "y.h: missing", "x.h: generated earlier"} {
		if !strings.Contains(text, want) {
			t.Errorf("%q not reported in:\n%s", want, text)
		}
	}
}

// What the generators make must not depend on where the checkout is: the
// committed files are compared with a fresh run in any clone (SWIG once
// wrote the interface's absolute path into both of its files).
func TestGeneratedFilesNameNoCheckoutPath(t *testing.T) {
	repo := checkout(t)
	core, err := gen.CoreFiles(repo)
	if err != nil {
		t.Fatal(err)
	}
	swig, err := gen.SwigFiles(repo, pinnedSwig(t, repo))
	if err != nil {
		t.Fatal(err)
	}
	for _, files := range []map[string][]byte{core, swig} {
		for name, body := range files {
			if strings.Contains(string(body), repo) {
				t.Errorf("%s names the checkout path %s", name, repo)
			}
		}
	}
}
