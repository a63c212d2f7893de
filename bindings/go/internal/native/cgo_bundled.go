//go:build linux && (amd64 || arm64) && !securememory_system

package native

// The bundled core (core_*.c) links libsodium.

// #cgo pkg-config: libsodium
import "C"
