package securememory

import "io"

// secretReader is GuardedSecret.NewReader's io.Reader.
type secretReader struct {
	s   *GuardedSecret
	off int
}

// Read copies the next bytes into p (sm_secret_read). It returns io.EOF
// with the bytes that reach the end, and (0, io.EOF) from then on; an
// empty p reads nothing (and reports io.EOF at the end, ErrClosed after
// Close, as any read).
func (r *secretReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		switch {
		case r.s.IsClosed():
			return 0, ErrClosed
		case r.off >= r.s.Size():
			return 0, io.EOF
		}
		return 0, nil
	}
	n, err := r.s.CopyTo(p, r.off)
	r.off += n
	if err == nil && r.off >= r.s.Size() {
		err = io.EOF
	}
	return n, err
}
