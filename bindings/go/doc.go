// Package securememory keeps secrets (keys, passwords, tokens) safe in a
// Go process's memory: never on the Go heap, in guarded pages that are
// locked in RAM, excluded from core dumps, wiped on fork and inaccessible
// at rest, or encrypted at rest. It is the Go binding of the C library
// libsecurememory (github.com/securememory/securememory), compiled by cgo
// from a copy of its sources: Go, a C compiler and libsodium
// (libsodium-dev) are all a build needs.
//
// # Secrets (Asherah's interface)
//
// Secret has the method set of Asherah's securememory.Secret, and
// SecretFactory makes them, so the package is a drop-in for
// appencryption.WithSecretFactory through a three-line adapter
// (docs/go.md):
//
//	factory := securememory.SecretFactory{} // Protected; or {Kind: securememory.KindEnclave}
//	key := make([]byte, 32)
//	// ... fill key ...
//	secret, err := factory.New(key) // key is zeroed now
//	if err != nil { ... }
//	defer secret.Close()
//	err = secret.WithBytes(func(b []byte) error {
//		return useKey(b) // b is the guarded memory itself, read-only
//	})
//
// # The one rule: views do not outlive the call
//
// The slice WithBytes (or WithBytesFunc) hands to its action is the
// guarded memory itself, not a copy. When the action returns, that memory
// becomes inaccessible again (Protected) or is wiped and released
// (KindEnclave). A slice kept past the call points at no-access memory:
// reading it kills the process with a fatal "unexpected fault address"
// error that recover cannot catch. Writing to it, even inside the action,
// kills the process too (it is read-only). So:
//
//	// Wrong: the slice escapes the call.
//	var k []byte
//	secret.WithBytes(func(b []byte) error { k = b; return nil })
//	use(k) // fatal error: unexpected fault address
//
//	// Right: do the work inside, return only results that are not secret.
//	var mac []byte
//	err := secret.WithBytes(func(b []byte) error {
//		h := hmac.New(sha256.New, b)
//		h.Write(msg)
//		mac = h.Sum(nil)
//		return nil
//	})
//
// Libraries you call inside the action may copy the key into their own
// memory (crypto/hmac does); such copies are theirs, on the Go heap, and
// not wiped by this package. The same holds for Buffer.Bytes after the
// buffer is destroyed (by Destroy, Seal, Purge, or its cleanup once the
// *Buffer is unreachable: keep it reachable while you use its bytes).
//
// # Buffers, enclaves, streams (memguard's shapes)
//
// Buffer is memguard's LockedBuffer (NewBuffer, Bytes, Freeze, Melt,
// Seal, Destroy...), Enclave its Enclave (sealed with XChaCha20-Poly1305
// under a process key; Open decrypts into a guarded Buffer), Stream its
// Stream (io.Reader and io.Writer over sealed chunks). Unlike memguard,
// every failure is an error, never a panic.
//
// # Errors
//
// Failures are *Error values with Code, the C status name
// ("SM_ERR_MLOCK"), and the core's advice as the message; match them with
// errors.Is against ErrInvalid, ErrNoMem, ErrMlock, ErrProtect, ErrClosed,
// ErrAuth, ErrCanary, ErrCallback and ErrUnsupported. An operation on a
// closed or purged object returns an error whose message is exactly
// "secret has already been destroyed" (Asherah's text). End of data is
// io.EOF.
//
// # Lifetime, threads, signals
//
// Close (Destroy for buffers and enclaves) wipes and releases memory at
// once; a runtime.AddCleanup closes anything left unclosed when it
// becomes unreachable, as a backstop only. Every type is safe for
// concurrent use, except that the bytes behind Buffer.Bytes are yours to
// synchronise and a secret's reader is for one goroutine at a time.
// Purge wipes everything; CatchInterrupt and CatchSignal purge before the
// process ends on a signal, built on os/signal (the C library's own
// signal handlers are never installed in a Go program). Exit purges, then
// exits.
//
// The package builds on linux/amd64 and linux/arm64 with cgo. The build
// tag securememory_system links an installed libsecurememory (pkg-config
// securememory) instead of compiling the bundled copy.
package securememory
