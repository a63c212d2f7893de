/*
 * go.i: the Go typemaps of the shared interface. securememory.i includes
 * this file before the header when SWIG runs with -go:
 *
 *   swig -go -cgo -intgosize 64 -no-unique-id -package native \
 *        -I core/include -outdir DIR -o DIR/securememory_wrap.c \
 *        bindings/swig/securememory.i
 *
 * The output is committed in bindings/go/internal/native; regenerate it
 * with `go generate ./...` in bindings/go (docs/go.md, "Regenerating"),
 * which runs exactly that with the pinned SWIG of .venv. The idiomatic
 * package (bindings/go, package securememory) is its only user.
 *
 * What the typemaps do:
 *   - every object handle (sm_secret *, sm_buffer *, sm_enclave *,
 *     sm_stream *) is a bare uintptr: no SWIG proxy, and no interface
 *     conversion per call (converting a uintptr to an interface allocates);
 *   - out-handles (sm_x **out) and the view of sm_secret_acquire are Go
 *     pointers (*uintptr, *int64) that C fills in and never keeps;
 *   - byte inputs and outputs are []byte passed zero-copy: C reads, writes
 *     or wipes the slice's own array and never keeps it. Never cdata.i
 *     (SWIGCDATA): it copies bytes into Go memory nobody wipes.
 * -no-unique-id keeps the C wrapper names stable (_wrap_<name>_native), so
 * the #cgo noescape/nocallback list at the end can name them.
 */

/* uint32_t, uint64_t, ... as Go's integer types (not opaque pointers). */
%include <stdint.i>

/* Object handles: bare addresses. */
%define SM_GO_HANDLE(TYPE)
%typemap(gotype) TYPE *, const TYPE * "uintptr"
%typemap(imtype) TYPE *, const TYPE * "uintptr"
%typemap(gotype) TYPE **out "*uintptr"
%typemap(imtype) TYPE **out "*uintptr"
%enddef
SM_GO_HANDLE(sm_secret)
SM_GO_HANDLE(sm_buffer)
SM_GO_HANDLE(sm_enclave)
SM_GO_HANDLE(sm_stream)

/*
 * Addresses of data (sm_buffer_data's result, the view sm_secret_acquire
 * writes) as unsafe.Pointer, for unsafe.Slice in the idiomatic layer. They
 * point at C memory, which the Go collector ignores.
 */
%typemap(gotype) uint8_t *sm_buffer_data "unsafe.Pointer"
%typemap(imtype) uint8_t *sm_buffer_data "unsafe.Pointer"
%typemap(gotype) const uint8_t **data "*unsafe.Pointer"
%typemap(imtype) const uint8_t **data "*unsafe.Pointer"

/* Zero-copy byte slices: C gets the slice's own array and length. */
%typemap(gotype) (void *src, size_t len), (const void *data, size_t len),
                 (uint8_t *dst, size_t cap), (void *p, size_t len) "[]byte"
%typemap(in) (void *src, size_t len), (const void *data, size_t len),
             (uint8_t *dst, size_t cap), (void *p, size_t len) %{
  $1 = ($1_ltype)$input.array;
  $2 = ($2_ltype)$input.len;
%}

/*
 * The strings the header returns (sm_version, sm_status_name,
 * sm_strerror) are static: hand Go the C bytes and clone them there,
 * instead of SWIG's malloc'ed copy and its swigCopyString (which go vet
 * flags for its uintptr conversion).
 */
%go_import("strings")
%typemap(out) const char * %{
  $result.p = (char *)$1;
  $result.n = $1 ? (intgo)strlen($1) : 0;
%}
%typemap(goout) const char * %{ $result = strings.Clone($1) %}

/* sm_equal takes two bare pointers; Go has crypto/subtle. */
%ignore sm_equal;

/* sizeof(sm_stats), for the size field sm_stats_get() requires. */
%inline %{
static size_t sm_go_stats_size(void) { return sizeof(sm_stats); }
%}

/*
 * WithBytes's fast path: sm_secret_acquire with the view's address as the
 * result (the length is the secret's size, known in Go) and no pointer
 * arguments, so cgo has no Go pointer to check on each access. NULL on any
 * failure: the caller then calls sm_secret_acquire itself for the status
 * (which may also succeed: then that access is the one it uses).
 */
%typemap(gotype) const uint8_t *sm_go_acquire "unsafe.Pointer"
%typemap(imtype) const uint8_t *sm_go_acquire "unsafe.Pointer"
%inline %{
static const uint8_t *sm_go_acquire(sm_secret *s) {
  const uint8_t *data = NULL;
  size_t len = 0;
  return sm_secret_acquire(s, &data, &len) == SM_OK ? data : NULL;
}
%}

/*
 * cgo call optimisations (Go >= 1.24). None of these C functions calls
 * back into Go, and none keeps a pointer it was given past the call, so
 * Go pointers passed to them (out-handles, views, slices) may stay on the
 * caller's stack.
 */
%insert(cgo_comment) %{
#cgo noescape _wrap_sm_secret_new_native
#cgo nocallback _wrap_sm_secret_new_native
#cgo noescape _wrap_sm_secret_new_random_native
#cgo nocallback _wrap_sm_secret_new_random_native
#cgo noescape _wrap_sm_secret_acquire_native
#cgo nocallback _wrap_sm_secret_acquire_native
#cgo noescape _wrap_sm_go_acquire_native
#cgo nocallback _wrap_sm_go_acquire_native
#cgo noescape _wrap_sm_secret_release_native
#cgo nocallback _wrap_sm_secret_release_native
#cgo noescape _wrap_sm_secret_read_native
#cgo nocallback _wrap_sm_secret_read_native
#cgo noescape _wrap_sm_secret_size_native
#cgo nocallback _wrap_sm_secret_size_native
#cgo noescape _wrap_sm_secret_kind_native
#cgo nocallback _wrap_sm_secret_kind_native
#cgo noescape _wrap_sm_secret_is_closed_native
#cgo nocallback _wrap_sm_secret_is_closed_native
#cgo noescape _wrap_sm_secret_close_native
#cgo nocallback _wrap_sm_secret_close_native
#cgo noescape _wrap_sm_secret_free_native
#cgo nocallback _wrap_sm_secret_free_native
#cgo noescape _wrap_sm_buffer_new_native
#cgo nocallback _wrap_sm_buffer_new_native
#cgo noescape _wrap_sm_buffer_new_random_native
#cgo nocallback _wrap_sm_buffer_new_random_native
#cgo noescape _wrap_sm_buffer_new_from_bytes_native
#cgo nocallback _wrap_sm_buffer_new_from_bytes_native
#cgo noescape _wrap_sm_buffer_data_native
#cgo nocallback _wrap_sm_buffer_data_native
#cgo noescape _wrap_sm_buffer_size_native
#cgo nocallback _wrap_sm_buffer_size_native
#cgo noescape _wrap_sm_buffer_is_alive_native
#cgo nocallback _wrap_sm_buffer_is_alive_native
#cgo noescape _wrap_sm_buffer_freeze_native
#cgo nocallback _wrap_sm_buffer_freeze_native
#cgo noescape _wrap_sm_buffer_melt_native
#cgo nocallback _wrap_sm_buffer_melt_native
#cgo noescape _wrap_sm_buffer_noaccess_native
#cgo nocallback _wrap_sm_buffer_noaccess_native
#cgo noescape _wrap_sm_buffer_protection_native
#cgo nocallback _wrap_sm_buffer_protection_native
#cgo noescape _wrap_sm_buffer_check_native
#cgo nocallback _wrap_sm_buffer_check_native
#cgo noescape _wrap_sm_buffer_destroy_native
#cgo nocallback _wrap_sm_buffer_destroy_native
#cgo noescape _wrap_sm_buffer_free_native
#cgo nocallback _wrap_sm_buffer_free_native
#cgo noescape _wrap_sm_buffer_seal_native
#cgo nocallback _wrap_sm_buffer_seal_native
#cgo noescape _wrap_sm_enclave_new_native
#cgo nocallback _wrap_sm_enclave_new_native
#cgo noescape _wrap_sm_enclave_new_random_native
#cgo nocallback _wrap_sm_enclave_new_random_native
#cgo noescape _wrap_sm_enclave_open_native
#cgo nocallback _wrap_sm_enclave_open_native
#cgo noescape _wrap_sm_enclave_open_into_native
#cgo nocallback _wrap_sm_enclave_open_into_native
#cgo noescape _wrap_sm_enclave_size_native
#cgo nocallback _wrap_sm_enclave_size_native
#cgo noescape _wrap_sm_enclave_free_native
#cgo nocallback _wrap_sm_enclave_free_native
#cgo noescape _wrap_sm_stream_new_native
#cgo nocallback _wrap_sm_stream_new_native
#cgo noescape _wrap_sm_stream_chunk_size_native
#cgo nocallback _wrap_sm_stream_chunk_size_native
#cgo noescape _wrap_sm_stream_write_native
#cgo nocallback _wrap_sm_stream_write_native
#cgo noescape _wrap_sm_stream_read_native
#cgo nocallback _wrap_sm_stream_read_native
#cgo noescape _wrap_sm_stream_next_native
#cgo nocallback _wrap_sm_stream_next_native
#cgo noescape _wrap_sm_stream_flush_native
#cgo nocallback _wrap_sm_stream_flush_native
#cgo noescape _wrap_sm_stream_size_native
#cgo nocallback _wrap_sm_stream_size_native
#cgo noescape _wrap_sm_stream_free_native
#cgo nocallback _wrap_sm_stream_free_native
#cgo noescape _wrap_sm_wipe_native
#cgo nocallback _wrap_sm_wipe_native
%}
