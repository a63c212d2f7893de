package securememory

import (
	"io"
	"runtime"
	"unsafe"

	"github.com/securememory/securememory-go/internal/native"
)

// Secret is immutable secret bytes in guarded memory, with the method set
// of Asherah's securememory.Secret (github.com/godaddy/asherah/go/
// securememory) and its semantics. This package's implementation is
// *GuardedSecret; SecretFactory makes them.
//
// All methods are safe for concurrent use.
type Secret interface {
	// WithBytes calls action with a read-only view of the secret's bytes
	// and returns action's error (joined with any error ending the
	// access). The slice is valid only while action runs: keeping it and
	// reading it later kills the process (see the package doc).
	WithBytes(action func([]byte) error) error
	// WithBytesFunc is WithBytes for an action that returns bytes. Return
	// a copy, never the view itself or a sub-slice of it.
	WithBytesFunc(action func([]byte) ([]byte, error)) ([]byte, error)
	// IsClosed reports whether the secret was closed (or purged).
	IsClosed() bool
	// Close wipes and releases the secret, waiting for accesses in flight
	// on other goroutines. Idempotent.
	Close() error
	// NewReader returns an io.Reader over a copy of the bytes, read in
	// order; the bytes it writes into your buffers are yours to wipe.
	NewReader() io.Reader
}

// GuardedSecret is the Secret this package makes: a handle on a C
// sm_secret. Its memory is released by Close; a cleanup closes it when it
// becomes unreachable unclosed, as a backstop only (the garbage collector
// runs when it likes, and until then the secret holds locked memory).
//
// Every operation on a closed secret returns an error whose message is
// "secret has already been destroyed" and for which errors.Is(err,
// ErrClosed) holds. Safe for concurrent use; Close waits for accesses in
// flight. Calling Close or Purge from inside its own WithBytes action
// deadlocks: return first.
type GuardedSecret struct {
	h    uintptr // sm_secret *, valid until the cleanup frees it
	size int
	kind Kind
}

var _ Secret = (*GuardedSecret)(nil)

// newSecret wraps a fresh handle and arranges its release.
func newSecret(h uintptr, kind Kind) *GuardedSecret {
	s := &GuardedSecret{h: h, size: int(native.Sm_secret_size(h)), kind: kind}
	runtime.AddCleanup(s, freeSecret, h)
	return s
}

func freeSecret(h uintptr) { native.Sm_secret_free(h) }

// Size is the secret's length in bytes (also after Close).
func (s *GuardedSecret) Size() int { return s.size }

// Kind is how the secret is kept at rest.
func (s *GuardedSecret) Kind() Kind { return s.kind }

// IsClosed reports whether the secret was closed or purged.
func (s *GuardedSecret) IsClosed() bool {
	closed := native.Sm_secret_is_closed(s.h) != 0
	runtime.KeepAlive(s)
	return closed
}

// Close wipes and releases the secret's memory, after waiting for
// accesses in flight on other goroutines. Idempotent: closing again
// returns nil.
func (s *GuardedSecret) Close() error {
	err := statusError(native.Sm_secret_close(s.h))
	runtime.KeepAlive(s)
	return err
}

// WithBytes calls action with a read-only, zero-copy view of the secret's
// bytes (the guarded memory itself) and returns action's error unchanged;
// when ending the access also fails, the error joins both (errors.Is
// matches either). The access ends when action returns or panics (the
// panic continues). The view must not outlive action: after it returns
// the memory is no-access (Protected) or wiped and unmapped (KindEnclave),
// and touching a kept slice kills the process. Writing to it kills the
// process too.
//
// Errors: ErrClosed, ErrInvalid (nil action), ErrProtect, and for
// KindEnclave ErrAuth (after Purge), ErrNoMem, ErrMlock.
func (s *GuardedSecret) WithBytes(action func([]byte) error) (err error) {
	if action == nil {
		return ErrInvalid
	}
	view, err := s.acquire()
	if err != nil {
		return err
	}
	defer s.release(&err)
	return action(view)
}

// WithBytesFunc is WithBytes for an action that returns bytes; it returns
// what action returns. The returned slice must not alias the view: return
// a copy (yours to wipe), never view or view[i:j].
func (s *GuardedSecret) WithBytesFunc(action func([]byte) ([]byte, error)) (ret []byte, err error) {
	if action == nil {
		return nil, ErrInvalid
	}
	view, err := s.acquire()
	if err != nil {
		return nil, err
	}
	defer s.release(&err)
	return action(view)
}

// acquire starts an access (sm_secret_acquire): the view is the guarded
// memory, read-only until the matching release. The fast path passes no
// Go pointer to C (nothing for cgo to check); on a failure the full call
// gives the status, or the access when the failure has passed.
func (s *GuardedSecret) acquire() ([]byte, error) {
	p := native.Sm_go_acquire(s.h)
	if p == nil {
		var n int64
		st := native.Sm_secret_acquire(s.h, &p, &n)
		if st != native.SM_OK {
			runtime.KeepAlive(s)
			return nil, statusError(st)
		}
	}
	runtime.KeepAlive(s)
	return unsafe.Slice((*byte)(p), s.size), nil
}

// release ends the innermost access (sm_secret_release) and joins its
// failure into *err.
func (s *GuardedSecret) release(err *error) {
	st := native.Sm_secret_release(s.h)
	runtime.KeepAlive(s)
	if st != native.SM_OK {
		*err = joinRelease(*err, statusError(st))
	}
}

// CopyTo copies up to len(dst) bytes of the secret, starting at offset,
// into dst and returns the count (sm_secret_read). A short copy at the end
// is not an error. The copy is yours to wipe (Wipe).
//
// Errors: io.EOF (offset at or past the end; nothing copied), ErrInvalid
// (empty dst or negative offset), ErrClosed, and for KindEnclave ErrAuth,
// ErrNoMem, ErrMlock.
func (s *GuardedSecret) CopyTo(dst []byte, offset int) (int, error) {
	if offset < 0 {
		return 0, ErrInvalid
	}
	var n int64
	st := native.Sm_secret_read(s.h, int64(offset), dst, &n)
	runtime.KeepAlive(s)
	return int(n), statusError(st)
}

// NewReader returns an io.Reader over the secret's bytes from the start,
// with Asherah's semantics: the read that reaches the end returns io.EOF
// together with the last bytes, later reads (0, io.EOF); on a closed
// secret it returns ErrClosed. The bytes it copies into your buffers are
// yours to wipe. A reader is for one goroutine at a time; the secret
// stays shared.
func (s *GuardedSecret) NewReader() io.Reader { return &secretReader{s: s} }

// joinRelease combines an action's error with the error that ended the
// access, as Asherah does: the message is "<release>: <action>", and
// errors.Is matches either.
func joinRelease(actionErr, releaseErr error) error {
	if actionErr == nil {
		return releaseErr
	}
	return &releaseError{action: actionErr, release: releaseErr}
}

type releaseError struct{ action, release error }

// Error is "<release error>: <action error>".
func (e *releaseError) Error() string { return e.release.Error() + ": " + e.action.Error() }

// Unwrap gives both errors to errors.Is and errors.As.
func (e *releaseError) Unwrap() []error { return []error{e.action, e.release} }
