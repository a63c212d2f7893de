package securememory

import (
	"io"

	"github.com/securememory/securememory-go/internal/native"
)

// Error is a failure the C core reported: one of its sm_status codes.
//
// Code is the stable C status name ("SM_ERR_MLOCK") that every binding of
// the library reports, and Error() is the core's advice for it
// (sm_strerror: what went wrong and what to do), except for SM_ERR_CLOSED,
// whose message is exactly "secret has already been destroyed" (the text
// Asherah's callers compare). Match errors with errors.Is against the
// sentinels (ErrInvalid, ErrNoMem, ...): two *Error values match when
// their codes are equal. End of data is io.EOF, never an *Error.
//
// The sentinels are shared, immutable values; functions return them (or,
// for a status this binding does not know, a new *Error).
type Error struct {
	// Code is the C status name, e.g. "SM_ERR_CLOSED".
	Code string
	// Status is the numeric sm_status value.
	Status int
	msg    string
}

// Error returns the core's advice for the status (see the type's doc).
func (e *Error) Error() string { return e.msg }

// Is reports whether target is an *Error with the same Code, so that
// errors.Is(err, ErrMlock) holds for every SM_ERR_MLOCK failure.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// closedMessage is Asherah's text for an operation on a closed secret.
const closedMessage = "secret has already been destroyed"

// The sentinel errors, one per failure status of the core.
var (
	// ErrInvalid (SM_ERR_INVALID): a bad argument (nil, zero, negative or
	// too large size, unknown kind) or an operation in the wrong state.
	ErrInvalid = newStatusError(native.SM_ERR_INVALID)
	// ErrNoMem (SM_ERR_NOMEM): out of memory or address space (or
	// vm.max_map_count).
	ErrNoMem = newStatusError(native.SM_ERR_NOMEM)
	// ErrMlock (SM_ERR_MLOCK): memory could not be locked (RLIMIT_MEMLOCK);
	// the message says which limit and how to raise it, or use
	// Config.LockPolicy.
	ErrMlock = newStatusError(native.SM_ERR_MLOCK)
	// ErrProtect (SM_ERR_PROTECT): a page protection change failed.
	ErrProtect = newStatusError(native.SM_ERR_PROTECT)
	// ErrClosed (SM_ERR_CLOSED): the object was closed, destroyed or
	// purged. Its message is "secret has already been destroyed".
	ErrClosed = &Error{Code: "SM_ERR_CLOSED", Status: int(native.SM_ERR_CLOSED), msg: closedMessage}
	// ErrAuth (SM_ERR_AUTH): sealed data failed authentication (tampered,
	// or sealed before a Purge, which destroys the key).
	ErrAuth = newStatusError(native.SM_ERR_AUTH)
	// ErrCanary (SM_ERR_CANARY): a buffer's canary was corrupted by a write
	// before the start of its data.
	ErrCanary = newStatusError(native.SM_ERR_CANARY)
	// ErrCallback (SM_ERR_CALLBACK): a callback reported failure. The Go
	// API never returns it (WithBytes returns the action's own error); it
	// exists so that every status has its sentinel.
	ErrCallback = newStatusError(native.SM_ERR_CALLBACK)
	// ErrUnsupported (SM_ERR_UNSUPPORTED): not available on this platform
	// or kernel (for example the Secretmem backend without memfd_secret).
	ErrUnsupported = newStatusError(native.SM_ERR_UNSUPPORTED)
)

// byStatus maps every status to its error value (nil for SM_OK, io.EOF for
// SM_ERR_EOF).
var byStatus = func() []error {
	m := make([]error, native.SM_STATUS_COUNT)
	for _, e := range []*Error{ErrInvalid, ErrNoMem, ErrMlock, ErrProtect, ErrClosed,
		ErrAuth, ErrCanary, ErrCallback, ErrUnsupported} {
		m[e.Status] = e
	}
	m[native.SM_ERR_EOF] = io.EOF
	return m
}()

func newStatusError(st native.Sm_status) *Error {
	return &Error{Code: native.Sm_status_name(st), Status: int(st), msg: native.Sm_strerror(st)}
}

// statusError is nil for SM_OK and the status's error otherwise.
func statusError(st native.Sm_status) error {
	if st == native.SM_OK {
		return nil
	}
	if st > 0 && int(st) < len(byStatus) {
		return byStatus[st]
	}
	return newStatusError(st) // a status newer than this binding
}

// StatusName is the C name of a status code, e.g. StatusName(5) is
// "SM_ERR_CLOSED"; unknown codes give "SM_ERR_UNKNOWN" (sm_status_name).
func StatusName(code int) string {
	if code < -1<<31 || code > 1<<31-1 {
		return "SM_ERR_UNKNOWN"
	}
	return native.Sm_status_name(native.Sm_status(code))
}
