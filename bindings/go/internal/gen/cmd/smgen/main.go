// Command smgen regenerates the generated files of internal/native from
// the repository checkout: the flat copy of the C core and the SWIG
// wrapper. `go generate ./...` in bindings/go runs it; it needs the
// checkout (core/, bindings/swig/) and the pinned SWIG (.venv/bin/swig, or
// $SWIG).
//
//	smgen            regenerate both
//	smgen -only core regenerate the core copy only (no SWIG needed)
//	smgen -only swig regenerate the SWIG wrapper only
//	smgen -check     change nothing; exit 1 and list what is stale
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/securememory/securememory-go/internal/gen"
)

func main() {
	only := flag.String("only", "", `"core" or "swig": regenerate one part`)
	check := flag.Bool("check", false, "report stale files instead of writing")
	dir := flag.String("dir", ".", "the internal/native directory")
	flag.Parse()
	if err := run(*dir, *only, *check); err != nil {
		fmt.Fprintln(os.Stderr, "smgen:", err)
		os.Exit(1)
	}
}

func isCoreFile(name string) bool { return !gen.IsSwigFile(name) }

func run(dir, only string, check bool) error {
	repo, err := gen.RepoRoot(dir)
	if err != nil {
		return err
	}
	type part struct {
		name   string
		make   func() (map[string][]byte, error)
		family func(string) bool
	}
	parts := []part{
		{"core", func() (map[string][]byte, error) { return gen.CoreFiles(repo) }, isCoreFile},
		{"swig", func() (map[string][]byte, error) { return gen.SwigFiles(repo, gen.SwigBinary(repo)) }, gen.IsSwigFile},
	}
	stale := false
	for _, p := range parts {
		if only != "" && only != p.name {
			continue
		}
		files, err := p.make()
		if err != nil {
			return err
		}
		if check {
			problems, err := gen.Diff(dir, files, p.family)
			if err != nil {
				return err
			}
			for _, msg := range problems {
				fmt.Println(filepath.Join(dir, msg))
				stale = true
			}
			continue
		}
		if err := gen.Write(dir, files, p.family); err != nil {
			return err
		}
		fmt.Printf("smgen: %s: %d files in %s\n", p.name, len(files), dir)
	}
	if stale {
		return fmt.Errorf("stale generated files: run go generate ./... in bindings/go")
	}
	return nil
}
