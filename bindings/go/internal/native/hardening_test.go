//go:build linux && (amd64 || arm64)

package native

import (
	"debug/elf"
	"os"
	"testing"
)

// The hardening of issue 11 reaches the C code compiled here and the
// linked binary (this test binary links it as any program does): what
// `readelf -d` shows as FLAGS BIND_NOW / FLAGS_1 NOW, and `readelf -l` as
// GNU_RELRO and a GNU_STACK without execute permission.
func TestCompilerHardening(t *testing.T) {
	if lvl := FortifyLevel(); lvl < 2 {
		t.Errorf("_FORTIFY_SOURCE level %d in the C code, want 2 or more", lvl)
	}
	if sp := StackProtector(); sp < 2 {
		t.Errorf("stack protector %d, want -fstack-protector-strong (2) or stronger", sp)
	}
}

func TestLinkedBinaryHardening(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var relro, stack, dynamic bool
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_GNU_RELRO:
			relro = true
		case elf.PT_GNU_STACK:
			stack = true
			if p.Flags&elf.PF_X != 0 {
				t.Errorf("GNU_STACK is executable (%v)", p.Flags)
			}
		case elf.PT_DYNAMIC:
			dynamic = true
		}
	}
	if !dynamic {
		t.Fatal("no dynamic section: the binary was not linked with the C toolchain")
	}
	if !relro {
		t.Error("no GNU_RELRO segment")
	}
	if !stack {
		t.Error("no GNU_STACK segment: the stack would default to executable")
	}
	flags, _ := f.DynValue(elf.DT_FLAGS)
	flags1, _ := f.DynValue(elf.DT_FLAGS_1)
	bindNow := false
	for _, v := range flags {
		bindNow = bindNow || v&uint64(elf.DF_BIND_NOW) != 0
	}
	for _, v := range flags1 {
		bindNow = bindNow || v&uint64(elf.DF_1_NOW) != 0
	}
	if !bindNow {
		t.Errorf("no immediate binding (DT_FLAGS %v, DT_FLAGS_1 %v): lazy PLT binding saves the register file on the stack", flags, flags1)
	}
	imports, err := f.ImportedSymbols()
	if err != nil {
		t.Fatal(err)
	}
	seen := false
	for _, s := range imports {
		seen = seen || s.Name == "__stack_chk_fail"
	}
	if !seen {
		t.Error("the C code calls no __stack_chk_fail: no stack protector")
	}
}
