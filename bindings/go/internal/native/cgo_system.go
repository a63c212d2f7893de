//go:build linux && (amd64 || arm64) && securememory_system

package native

// With the securememory_system tag the core copy is left out and the
// installed libsecurememory is linked instead (its version must match the
// header this package was generated from: Version() and the tests check).

// #cgo pkg-config: securememory
import "C"
