//go:build linux && (amd64 || arm64)

package native

// Compiler and linker flags for every C file of the package (the core copy
// and the SWIG wrapper), with the project's hardening (meson.build):
// a stack protector, _FORTIFY_SOURCE=2 (which needs the -O2 given here,
// after any CGO_CFLAGS), immediate binding with full RELRO (no lazy PLT
// binding, which would save the register file on the calling thread's
// stack) and a non-executable stack. hardening_test.go checks the flags
// reached the compiler and the linked binary.

/*
#cgo CFLAGS: -D_GNU_SOURCE -O2 -fstack-protector-strong -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2
#cgo LDFLAGS: -Wl,-z,now -Wl,-z,relro -Wl,-z,noexecstack -pthread
*/
import "C"
