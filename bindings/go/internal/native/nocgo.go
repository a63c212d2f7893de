//go:build linux && (amd64 || arm64) && !cgo

package native

// The binding is C code called through cgo; with CGO_ENABLED=0 the build
// stops here with an error naming this identifier.
var _ = securememory_needs_cgo_set_CGO_ENABLED_1_and_install_a_C_compiler
