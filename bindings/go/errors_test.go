package securememory_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	sm "github.com/securememory/securememory-go"
)

// Each sentinel carries its C status name and number, and the core's
// advice as its message; errors.Is matches by code, also through wrapping.
func TestSentinelsMirrorTheCoreStatuses(t *testing.T) {
	for _, tt := range []struct {
		err    *sm.Error
		code   string
		status int
	}{
		{sm.ErrInvalid, "SM_ERR_INVALID", 1}, {sm.ErrNoMem, "SM_ERR_NOMEM", 2},
		{sm.ErrMlock, "SM_ERR_MLOCK", 3}, {sm.ErrProtect, "SM_ERR_PROTECT", 4},
		{sm.ErrClosed, "SM_ERR_CLOSED", 5}, {sm.ErrAuth, "SM_ERR_AUTH", 6},
		{sm.ErrCanary, "SM_ERR_CANARY", 7}, {sm.ErrCallback, "SM_ERR_CALLBACK", 9},
		{sm.ErrUnsupported, "SM_ERR_UNSUPPORTED", 10},
	} {
		t.Run(tt.code, func(t *testing.T) {
			if tt.err.Code != tt.code || tt.err.Status != tt.status || sm.StatusName(tt.status) != tt.code {
				t.Fatalf("code %s status %d", tt.err.Code, tt.err.Status)
			}
			if tt.err.Error() == "" || tt.err.Error() == tt.code {
				t.Fatalf("no advice: %q", tt.err.Error())
			}
			wrapped := fmt.Errorf("context: %w", tt.err)
			if !errors.Is(wrapped, tt.err) {
				t.Fatal("errors.Is fails through wrapping")
			}
			copyOf := &sm.Error{Code: tt.code}
			if !errors.Is(copyOf, tt.err) || !errors.Is(tt.err, copyOf) {
				t.Fatal("errors.Is does not match by code")
			}
			for _, other := range []*sm.Error{sm.ErrInvalid, sm.ErrClosed, sm.ErrUnsupported} {
				if other.Code != tt.code && errors.Is(tt.err, other) {
					t.Fatalf("%s matches %s", tt.code, other.Code)
				}
			}
			if errors.Is(tt.err, io.EOF) {
				t.Fatal("matches io.EOF")
			}
		})
	}
	if sm.ErrClosed.Error() != "secret has already been destroyed" {
		t.Fatalf("ErrClosed: %q", sm.ErrClosed.Error())
	}
	if sm.ErrMlock.Error() == sm.ErrNoMem.Error() {
		t.Fatal("two statuses share one message")
	}
}

func TestStatusNames(t *testing.T) {
	for code, want := range map[int]string{0: "SM_OK", 8: "SM_ERR_EOF", 11: "SM_ERR_UNKNOWN",
		-1: "SM_ERR_UNKNOWN", 1 << 40: "SM_ERR_UNKNOWN"} {
		if got := sm.StatusName(code); got != want {
			t.Errorf("StatusName(%d) = %q, want %q", code, got, want)
		}
	}
}

// Errors come back from real failures with the right sentinel.
func TestErrorsFromRealFailures(t *testing.T) {
	s, err := sm.NewSecret(sm.Protected, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	for name, tt := range map[string]struct {
		err, want error
	}{
		"closed":  {s.WithBytes(func([]byte) error { return nil }), sm.ErrClosed},
		"invalid": {func() error { _, err := sm.NewEnclave(nil); return err }(), sm.ErrInvalid},
		"reader":  {func() error { _, err := s.NewReader().Read(make([]byte, 1)); return err }(), sm.ErrClosed},
	} {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: %v, want %v", name, tt.err, tt.want)
		}
	}
	e, err := sm.NewEnclaveRandom(8)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Destroy()
	sm.Purge()
	_, err = e.Open()
	var se *sm.Error
	if !errors.As(err, &se) || se.Code != "SM_ERR_AUTH" || !errors.Is(err, sm.ErrAuth) {
		t.Fatalf("after Purge: %#v", err)
	}
}

// When both the action and the end of the access fail, both are in the
// error, Asherah's way ("<release>: <action>").
func TestReleaseFailureJoinsTheActionError(t *testing.T) {
	s, err := sm.NewSecret(sm.Protected, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	boom := errors.New("boom")
	// The action ends the access itself (an extra release), so the
	// binding's own release finds none open: SM_ERR_INVALID.
	err = s.WithBytes(func([]byte) error {
		if err := s.Release(); err != nil {
			t.Fatal(err)
		}
		return boom
	})
	if !errors.Is(err, boom) || !errors.Is(err, sm.ErrInvalid) {
		t.Fatalf("joined error %v", err)
	}
	if want := sm.ErrInvalid.Error() + ": boom"; err.Error() != want {
		t.Fatalf("message %q, want %q", err.Error(), want)
	}
	err = s.WithBytes(func([]byte) error { return s.Release() })
	if !errors.Is(err, sm.ErrInvalid) {
		t.Fatalf("release failure alone: %v", err)
	}
}
