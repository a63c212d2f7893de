package securememory

import (
	"io"
	"runtime"
	"sync"

	"github.com/securememory/securememory-go/internal/native"
)

// Stream is a FIFO of enclave-sealed chunks for data too large to hold
// decrypted at once (sm_stream), as memguard's Stream: writes are cut into
// chunks of the stream's chunk size, each sealed as it fills; reads
// decrypt one chunk at a time into guarded memory. It is an io.Reader and
// an io.Writer, and safe for concurrent use.
//
// Close frees what it holds; a cleanup does the same for a stream that
// becomes unreachable, as a backstop only. A Purge while the stream holds
// data loses that data for good: Size becomes 0, Read, Next and Flush
// return ErrAuth and Write ErrClosed (a stream that lost bytes must not
// hand out later ones as if contiguous); an empty stream stays usable.
type Stream struct {
	mu      sync.RWMutex // Close waits for calls in flight
	h       uintptr      // sm_stream *; 0 once closed
	cleanup runtime.Cleanup
}

// NewStream returns an empty stream with chunks of chunkSize bytes (0: the
// default, 4 pages).
//
// Errors: ErrInvalid (chunkSize negative or too large), ErrNoMem.
func NewStream(chunkSize int) (*Stream, error) {
	if chunkSize < 0 {
		return nil, ErrInvalid
	}
	var h uintptr
	if st := native.Sm_stream_new(int64(chunkSize), &h); st != native.SM_OK {
		return nil, statusError(st)
	}
	s := &Stream{h: h}
	s.cleanup = runtime.AddCleanup(s, freeStream, h)
	return s, nil
}

func freeStream(h uintptr) { native.Sm_stream_free(h) }

// with runs op on the live handle, or returns ErrClosed after Close.
func (s *Stream) with(op func(h uintptr) error) error {
	if s == nil {
		return ErrInvalid
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.h == 0 {
		return ErrClosed
	}
	return op(s.h)
}

// Write appends a copy of p (p is not wiped: it may be read-only, such as
// a secret's view). All or nothing: on failure the stream is unchanged and
// Write returns 0.
//
// Errors: ErrClosed (closed, or a Purge wiped data it held), ErrNoMem,
// ErrMlock, ErrProtect.
func (s *Stream) Write(p []byte) (int, error) {
	err := s.with(func(h uintptr) error { return statusError(native.Sm_stream_write(h, p)) })
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// Read moves up to len(p) bytes from the front of the stream into p,
// across chunk boundaries; the copy is yours to wipe. An empty stream
// gives (0, io.EOF). As in the core, a zero-length p is ErrInvalid, not a
// no-op (io.Reader allows an error there; io helpers never pass one).
//
// Errors: io.EOF, ErrInvalid, ErrClosed, ErrAuth (data lost to a Purge),
// ErrNoMem, ErrMlock.
func (s *Stream) Read(p []byte) (int, error) {
	var n int64
	err := s.with(func(h uintptr) error { return statusError(native.Sm_stream_read(h, p, &n)) })
	return int(n), err
}

// Next moves the next chunk (at most the chunk size) out of the stream
// into a new guarded read-only Buffer, which you own.
//
// Errors: io.EOF (empty), ErrClosed, ErrAuth, ErrNoMem, ErrMlock.
func (s *Stream) Next() (*Buffer, error) { return s.take(native.Sm_stream_next) }

// Flush moves everything left in the stream into one new guarded read-only
// Buffer, which you own. Errors: as Next.
func (s *Stream) Flush() (*Buffer, error) { return s.take(native.Sm_stream_flush) }

func (s *Stream) take(op func(uintptr, *uintptr) native.Sm_status) (*Buffer, error) {
	var out uintptr
	err := s.with(func(h uintptr) error { return statusError(op(h, &out)) })
	if err != nil {
		return nil, err
	}
	return newBuffer(out), nil
}

// Size is the number of bytes queued; 0 once closed.
func (s *Stream) Size() int {
	var n int
	_ = s.with(func(h uintptr) error { n = int(native.Sm_stream_size(h)); return nil })
	return n
}

// ChunkSize is the stream's chunk size in bytes; 0 once closed.
func (s *Stream) ChunkSize() int {
	var n int
	_ = s.with(func(h uintptr) error { n = int(native.Sm_stream_chunk_size(h)); return nil })
	return n
}

// Close wipes and frees everything the stream holds, after calls in flight
// end; later calls return ErrClosed. Idempotent (a second Close returns
// nil).
func (s *Stream) Close() error {
	if s == nil {
		return ErrInvalid
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.h != 0 {
		s.cleanup.Stop()
		native.Sm_stream_free(s.h)
		s.h = 0
	}
	return nil
}

var (
	_ io.ReadWriteCloser = (*Stream)(nil)
)
