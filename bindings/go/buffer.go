package securememory

import (
	"runtime"
	"unsafe"

	"github.com/securememory/securememory-go/internal/native"
)

// Buffer is a guarded buffer in the shape of memguard's LockedBuffer:
// [guard page][canary | data][guard page], locked in RAM, excluded from
// core dumps and wiped on fork (sm_buffer). Bytes() is the guarded memory
// itself, accessed according to the buffer's protection (read-write when
// made; Freeze, Melt and NoAccess change it).
//
// Destroy wipes and releases the memory; a cleanup destroys a buffer that
// becomes unreachable undestroyed, as a backstop only. Keep the *Buffer
// reachable while you use Bytes(): once it is destroyed (by Destroy,
// Purge, Seal or that cleanup), touching a slice from Bytes() kills the
// process.
//
// The state methods are safe for concurrent use; the bytes behind Bytes()
// are yours to synchronise.
type Buffer struct {
	h uintptr // sm_buffer *, valid until the cleanup frees it
}

func newBuffer(h uintptr) *Buffer {
	b := &Buffer{h: h}
	runtime.AddCleanup(b, freeBuffer, h)
	return b
}

func freeBuffer(h uintptr) { native.Sm_buffer_free(h) }

// NewBuffer returns a zeroed, read-write buffer of n bytes.
//
// Errors: ErrInvalid (n zero, negative or too large), ErrNoMem, ErrMlock,
// ErrProtect, ErrUnsupported (the kernel refused MADV_WIPEONFORK).
func NewBuffer(n int) (*Buffer, error) {
	if n <= 0 {
		return nil, ErrInvalid
	}
	var h uintptr
	if st := native.Sm_buffer_new(int64(n), &h); st != native.SM_OK {
		return nil, statusError(st)
	}
	return newBuffer(h), nil
}

// NewBufferRandom returns a read-write buffer of n random bytes. Errors:
// as NewBuffer.
func NewBufferRandom(n int) (*Buffer, error) {
	if n <= 0 {
		return nil, ErrInvalid
	}
	var h uintptr
	if st := native.Sm_buffer_new_random(int64(n), &h); st != native.SM_OK {
		return nil, statusError(st)
	}
	return newBuffer(h), nil
}

// NewBufferFromBytes returns a read-write buffer holding a copy of b, then
// wipes b on every path, failures included. Errors: as NewBuffer (an empty
// b is ErrInvalid).
func NewBufferFromBytes(b []byte) (*Buffer, error) {
	var h uintptr
	if st := native.Sm_buffer_new_from_bytes(b, &h); st != native.SM_OK {
		return nil, statusError(st)
	}
	return newBuffer(h), nil
}

// Bytes is the buffer's data: the guarded memory itself, no copy; nil once
// the buffer is destroyed. Valid until the buffer is destroyed; access
// follows its protection (reading a NoAccess buffer, or writing a frozen
// one, kills the process).
func (b *Buffer) Bytes() []byte {
	if b == nil {
		return nil
	}
	p := native.Sm_buffer_data(b.h)
	n := native.Sm_buffer_size(b.h)
	runtime.KeepAlive(b)
	if p == nil || n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(p), int(n))
}

// Size is the data length in bytes; 0 once destroyed.
func (b *Buffer) Size() int {
	if b == nil {
		return 0
	}
	n := native.Sm_buffer_size(b.h)
	runtime.KeepAlive(b)
	return int(n)
}

// IsAlive reports whether the buffer still holds memory (false after
// Destroy, Seal or Purge).
func (b *Buffer) IsAlive() bool {
	if b == nil {
		return false
	}
	alive := native.Sm_buffer_is_alive(b.h) != 0
	runtime.KeepAlive(b)
	return alive
}

// Protection is the data's current protection; ProtNone once destroyed.
func (b *Buffer) Protection() Prot {
	if b == nil {
		return ProtNone
	}
	p := native.Sm_buffer_protection(b.h)
	runtime.KeepAlive(b)
	return Prot(p)
}

// Freeze makes the data read-only. Errors: ErrClosed, ErrProtect.
func (b *Buffer) Freeze() error { return b.call(native.Sm_buffer_freeze) }

// Melt makes the data read-write. Errors: ErrClosed, ErrProtect.
func (b *Buffer) Melt() error { return b.call(native.Sm_buffer_melt) }

// NoAccess makes the data inaccessible. Errors: ErrClosed, ErrProtect.
func (b *Buffer) NoAccess() error { return b.call(native.Sm_buffer_noaccess) }

// Check verifies the canary before the data now. Errors: ErrClosed,
// ErrCanary (something wrote before the start of the data).
func (b *Buffer) Check() error { return b.call(native.Sm_buffer_check) }

// Destroy wipes the data, verifies the canary, unlocks and releases the
// memory; the Buffer then reports not alive. Idempotent. Errors: ErrCanary
// (the canary was corrupted; the memory is still wiped and released).
func (b *Buffer) Destroy() error { return b.call(native.Sm_buffer_destroy) }

func (b *Buffer) call(op func(uintptr) native.Sm_status) error {
	if b == nil {
		return ErrInvalid
	}
	err := statusError(op(b.h))
	runtime.KeepAlive(b)
	return err
}

// Seal encrypts the data into a new Enclave, then destroys the buffer. On
// failure the buffer is left alive and unchanged, except for ErrCanary
// (nothing is sealed and the buffer is destroyed).
//
// Errors: ErrClosed, ErrNoMem, ErrMlock, ErrProtect, ErrCanary.
func (b *Buffer) Seal() (*Enclave, error) {
	if b == nil {
		return nil, ErrInvalid
	}
	var h uintptr
	st := native.Sm_buffer_seal(b.h, &h)
	runtime.KeepAlive(b)
	if st != native.SM_OK {
		return nil, statusError(st)
	}
	return newEnclave(h), nil
}
