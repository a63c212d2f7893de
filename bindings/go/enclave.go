package securememory

import (
	"runtime"
	"sync"

	"github.com/securememory/securememory-go/internal/native"
)

// Enclave is data sealed with XChaCha20-Poly1305 under the process key
// (the coffer), as memguard's Enclave (sm_enclave). The ciphertext lives in
// ordinary memory; the plaintext only ever exists in guarded buffers made
// by Open or written by OpenInto. An enclave is immutable; any number of
// goroutines may open it at once.
//
// Destroy releases it; a cleanup does the same for an enclave that becomes
// unreachable, as a backstop only. Purge destroys the key, after which
// enclaves sealed before it fail to open with ErrAuth.
type Enclave struct {
	mu      sync.RWMutex // Destroy waits for Open/OpenInto in flight
	h       uintptr      // sm_enclave *; 0 once destroyed
	size    int
	cleanup runtime.Cleanup
}

func newEnclave(h uintptr) *Enclave {
	e := &Enclave{h: h, size: int(native.Sm_enclave_size(h))}
	e.cleanup = runtime.AddCleanup(e, freeEnclave, h)
	return e
}

func freeEnclave(h uintptr) { native.Sm_enclave_free(h) }

// NewEnclave seals a copy of b into a new enclave, then wipes b on every
// path, failures included.
//
// Errors: ErrInvalid (b empty or nil), ErrNoMem, ErrMlock, ErrProtect.
func NewEnclave(b []byte) (*Enclave, error) {
	var h uintptr
	if st := native.Sm_enclave_new(b, &h); st != native.SM_OK {
		return nil, statusError(st)
	}
	return newEnclave(h), nil
}

// NewEnclaveRandom seals n random bytes, generated in guarded memory.
//
// Errors: ErrInvalid (n zero, negative or too large), ErrNoMem, ErrMlock,
// ErrProtect.
func NewEnclaveRandom(n int) (*Enclave, error) {
	if n <= 0 {
		return nil, ErrInvalid
	}
	var h uintptr
	if st := native.Sm_enclave_new_random(int64(n), &h); st != native.SM_OK {
		return nil, statusError(st)
	}
	return newEnclave(h), nil
}

// Size is the plaintext size in bytes (also after Destroy).
func (e *Enclave) Size() int {
	if e == nil {
		return 0
	}
	return e.size
}

// Open decrypts the enclave straight into a new guarded, locked, read-only
// Buffer, which you own (Destroy it when done). The plaintext never
// touches unguarded memory.
//
// Errors: ErrClosed (the enclave was destroyed), ErrAuth (sealed before a
// Purge), ErrNoMem, ErrMlock, ErrProtect.
func (e *Enclave) Open() (*Buffer, error) {
	if e == nil {
		return nil, ErrInvalid
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.h == 0 {
		return nil, ErrClosed
	}
	var h uintptr
	if st := native.Sm_enclave_open(e.h, &h); st != native.SM_OK {
		return nil, statusError(st)
	}
	return newBuffer(h), nil
}

// OpenInto decrypts into b, a live buffer of exactly Size() bytes. A
// read-write buffer stays read-write (the fast way to open the same
// enclave again and again); a read-only or no-access one is left
// read-only. On ErrAuth b's data is wiped; a wrong-size b is untouched.
//
// Errors: ErrInvalid (nil or wrong-size buffer), ErrClosed (b destroyed,
// or the enclave destroyed), ErrAuth, ErrProtect, ErrNoMem, ErrMlock.
func (e *Enclave) OpenInto(b *Buffer) error {
	if e == nil || b == nil {
		return ErrInvalid
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.h == 0 {
		return ErrClosed
	}
	err := statusError(native.Sm_enclave_open_into(e.h, b.h))
	runtime.KeepAlive(b)
	return err
}

// Destroy wipes and frees the ciphertext, after Open and OpenInto calls in
// flight end; later opens return ErrClosed. Idempotent.
func (e *Enclave) Destroy() {
	if e == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.h != 0 {
		e.cleanup.Stop()
		native.Sm_enclave_free(e.h)
		e.h = 0
	}
}
