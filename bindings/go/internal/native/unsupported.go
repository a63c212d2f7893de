//go:build !(linux && (amd64 || arm64))

package native

// The C core supports 64-bit Linux on x86-64 and AArch64 only, and the
// wrapper is generated for a 64-bit Go int. Elsewhere the build stops here
// with an error naming this identifier.
var _ = securememory_builds_only_on_linux_amd64_and_linux_arm64
