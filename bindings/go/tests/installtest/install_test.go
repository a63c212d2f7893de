// Package installtest installs the Go binding as a user would: the module
// (bindings/go, as it is in the checkout) is laid out as a file-based
// module proxy with golang.org/x/mod/zip, then a fresh module in a
// temporary directory outside the checkout `go get`s it through that proxy
// alone (GOPROXY=file://..., an empty module cache, no network) and builds
// and runs examples/go/hello, with a PATH that holds neither SWIG nor
// meson. Its own module, so that golang.org/x/mod is no dependency of the
// binding.
package installtest

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

const modulePath = "github.com/securememory/securememory-go"

// version is what the proxy serves: the C library's version.
func version(t *testing.T, moduleDir string) string {
	hdr, err := os.ReadFile(filepath.Join(moduleDir, "internal", "native", "securememory.h"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(hdr), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "#define" && f[1] == "SM_VERSION_STRING" {
			return "v" + strings.Trim(f[2], `"`)
		}
	}
	t.Fatal("no SM_VERSION_STRING in the header")
	return ""
}

// layoutProxy writes the module as a GOPROXY directory and returns its
// file:// URL.
func layoutProxy(t *testing.T, moduleDir, dir, ver string) string {
	at := filepath.Join(dir, modulePath, "@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(at, ver+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	if err := zip.CreateFromDir(f, module.Version{Path: modulePath, Version: ver}, moduleDir); err != nil {
		t.Fatalf("zip.CreateFromDir: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(moduleDir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	info, _ := json.Marshal(map[string]string{"Version": ver, "Time": time.Now().UTC().Format(time.RFC3339)})
	for name, body := range map[string][]byte{ver + ".mod": gomod, ver + ".info": info, "list": []byte(ver + "\n")} {
		if err := os.WriteFile(filepath.Join(at, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return "file://" + dir
}

// userPath is a PATH with the go command, the C compiler and pkg-config,
// and neither SWIG nor meson.
func userPath(t *testing.T) string {
	gobin := filepath.Join(runtime.GOROOT(), "bin")
	path := strings.Join([]string{gobin, "/usr/bin", "/bin"}, string(os.PathListSeparator))
	for _, tool := range []string{"swig", "meson"} {
		for _, dir := range filepath.SplitList(path) {
			if _, err := os.Stat(filepath.Join(dir, tool)); err == nil {
				t.Fatalf("%s is on the user's PATH (%s): the test would not show it is unneeded", tool, dir)
			}
		}
	}
	return path
}

func TestInstallFromAModuleProxy(t *testing.T) {
	moduleDir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	repo := filepath.Dir(filepath.Dir(moduleDir))
	example, err := os.ReadFile(filepath.Join(repo, "examples", "go", "hello", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	ver := version(t, moduleDir)
	tmp := t.TempDir() // outside the checkout
	proxy := layoutProxy(t, moduleDir, filepath.Join(tmp, "proxy"), ver)
	user := filepath.Join(tmp, "user")
	if err := os.MkdirAll(user, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"go.mod":  "module example.com/user\n\ngo 1.24\n",
		"main.go": string(example),
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(user, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := append(os.Environ(),
		"PATH="+userPath(t),
		"GOPROXY="+proxy,
		"GONOSUMDB="+modulePath, // not in the public checksum database
		"GOFLAGS=-modcacherw",
		"GOMODCACHE="+filepath.Join(tmp, "modcache"),
		"GOTOOLCHAIN=local",
		"GOWORK=off",
		"CGO_ENABLED=1",
	)
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = user, env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
		}
		return out.String()
	}
	gocmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	run(gocmd, "get", modulePath+"@"+ver)
	run(gocmd, "build", "-o", "hello", ".")
	out := run(filepath.Join(user, "hello"))
	for _, want := range []string{"source wiped: true", `after close: "secret has already been destroyed"`} {
		if !strings.Contains(out, want) {
			t.Fatalf("the example's output lacks %q:\n%s", want, out)
		}
	}
	checkHardened(t, filepath.Join(user, "hello"))
}

// checkHardened: a user's binary gets the binding's link flags too.
func checkHardened(t *testing.T, path string) {
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	flags, _ := f.DynValue(elf.DT_FLAGS)
	flags1, _ := f.DynValue(elf.DT_FLAGS_1)
	now := false
	for _, v := range flags {
		now = now || v&uint64(elf.DF_BIND_NOW) != 0
	}
	for _, v := range flags1 {
		now = now || v&uint64(elf.DF_1_NOW) != 0
	}
	relro := false
	for _, p := range f.Progs {
		relro = relro || p.Type == elf.PT_GNU_RELRO
		if p.Type == elf.PT_GNU_STACK && p.Flags&elf.PF_X != 0 {
			t.Error("the user's binary has an executable stack")
		}
	}
	if !now || !relro {
		t.Errorf("the user's binary: BIND_NOW %v, GNU_RELRO %v", now, relro)
	}
}
