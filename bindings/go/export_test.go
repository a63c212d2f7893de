package securememory

// Test-only access to the acquire/release pair that WithBytes is built on
// (the vectors' secret.acquire and secret.release).

// Acquire starts an access and returns the view (sm_secret_acquire).
func (s *GuardedSecret) Acquire() ([]byte, error) { return s.acquire() }

// Release ends the innermost access (sm_secret_release).
func (s *GuardedSecret) Release() (err error) {
	s.release(&err)
	return err
}
