package securememory

import "github.com/securememory/securememory-go/internal/native"

// SecretFactory makes secrets of one Kind, with the method set of
// Asherah's securememory.SecretFactory (Go matches method results exactly,
// so Asherah needs a three-line adapter: see docs/go.md). The zero value
// makes Protected secrets. Safe for concurrent use.
type SecretFactory struct {
	// Kind of the secrets made; the zero value is Protected.
	Kind Kind
}

// New returns a secret holding a copy of b, then wipes b (zeroes it) on
// every path, failures included. On failure the Secret is nil.
//
// Errors: ErrInvalid (b empty or nil, unknown Kind), ErrNoMem, ErrMlock,
// ErrProtect.
func (f SecretFactory) New(b []byte) (Secret, error) {
	s, err := newSecretFrom(f.Kind, b)
	if err != nil {
		return nil, err // a nil interface, not a typed nil pointer
	}
	return s, nil
}

// CreateRandom returns a secret of size random bytes generated straight
// into guarded memory. On failure the Secret is nil.
//
// Errors: ErrInvalid (size 0 or negative, unknown Kind), ErrNoMem,
// ErrMlock, ErrProtect.
func (f SecretFactory) CreateRandom(size int) (Secret, error) {
	s, err := newRandomSecret(f.Kind, size)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// NewSecret is SecretFactory{Kind: kind}.New(b) with the concrete type:
// a secret holding a copy of b, which is then wiped.
func NewSecret(kind Kind, b []byte) (*GuardedSecret, error) { return newSecretFrom(kind, b) }

// NewSecretRandom is SecretFactory{Kind: kind}.CreateRandom(size) with the
// concrete type.
func NewSecretRandom(kind Kind, size int) (*GuardedSecret, error) {
	return newRandomSecret(kind, size)
}

func newSecretFrom(kind Kind, b []byte) (*GuardedSecret, error) {
	if !kind.valid() {
		Wipe(b) // as the core does: the source is wiped on every path
		return nil, ErrInvalid
	}
	var h uintptr
	if st := native.Sm_secret_new(native.Sm_kind(kind), b, &h); st != native.SM_OK {
		return nil, statusError(st)
	}
	return newSecret(h, kind), nil
}

func newRandomSecret(kind Kind, size int) (*GuardedSecret, error) {
	if size <= 0 || !kind.valid() {
		return nil, ErrInvalid
	}
	var h uintptr
	if st := native.Sm_secret_new_random(native.Sm_kind(kind), int64(size), &h); st != native.SM_OK {
		return nil, statusError(st)
	}
	return newSecret(h, kind), nil
}
