// Package native is the SWIG-generated layer of the Go binding: one Go
// function per function of core/include/securememory.h (the wrapper,
// securememory.go and securememory_wrap.c, generated from
// bindings/swig/securememory.i with bindings/swig/go.i), plus the C core
// itself, copied flat from core/src (core_*.c and the headers) so that cgo
// compiles it with the package and no installed library is needed.
//
// Handles are bare uintptr addresses, statuses are Sm_status values, and
// byte slices pass zero-copy. Only the idiomatic package
// (github.com/securememory/securememory-go) uses this one; it checks
// every status and keeps every handle alive across its calls.
//
// Build tags: securememory_system links an installed libsecurememory
// (pkg-config securememory) instead of compiling the copy. The package
// builds on linux/amd64 and linux/arm64 only, with cgo.
package native
