/*
 * node.i: the Node-API typemaps of the shared interface (securememory.i
 * includes this file under SWIGJAVASCRIPT, before the header).
 *
 * Generated with `swig -javascript -napi -c++` (see bindings/node/README
 * section of docs/node.md: `npm run swig` in bindings/node regenerates
 * bindings/node/src/securememory_wrap.cxx). The wrapper is compiled with
 * C++ exceptions on (NAPI_CPP_EXCEPTIONS), as SWIG's Node-API backend is
 * tested that way.
 *
 * What the JS layer (bindings/node/lib) gets from this module:
 *   - every function returning sm_status returns the status number;
 *   - handles (sm_secret *, sm_buffer *, ...) are Externals (see below); a
 *     function with an out-handle (`sm_x **out`) returns the new handle on
 *     SM_OK and the status number otherwise;
 *   - a function with a count out-argument (`size_t *nread`) returns the
 *     count (>= 0) on SM_OK and minus the status otherwise;
 *   - byte arguments are Uint8Arrays (Buffers too), passed zero-copy: the
 *     core reads, writes or wipes the caller's own memory;
 *   - sm_stats_get() returns a plain object with camelCase fields, or the
 *     status number;
 *   - sm_init() takes a plain object of numeric fields (unset fields keep
 *     the defaults of sm_config_default()), or null for the defaults;
 *   - views (zero-copy external ArrayBuffers over guarded pages, which
 *     lib/views.js wraps in Uint8Arrays) come from the glue in
 *     bindings/node/src/sm_node_glue.h, declared at the end.
 */

%{
#include "sm_node_glue.h"
%}

/* Left out for Node (the shared file leaves out what every language does). */
%ignore sm_exit;            /* JS purges, then process.exit(): Node's exit path must run */
%ignore sm_secret_acquire;  /* replaced by sm_node_secret_acquire (a view, not pointers) */
%ignore sm_secret_release;  /* replaced by sm_node_secret_release (detach, then release) */
%ignore sm_buffer_data;     /* replaced by sm_node_buffer_view */
%ignore sm_equal;           /* two raw pointers; no use from JS */
%ignore sm_config;          /* sm_init takes a plain object (typemap below) */
%ignore sm_config_default;
%ignore sm_stats;           /* sm_stats_get returns a plain object (typemap below) */

/* ---- handles: Node-API Externals ---------------------------------------
 * An object handle crosses as an External holding the C pointer: creating
 * and reading one costs a few nanoseconds, where SWIG's pointer objects
 * (an ObjectWrap instance checked with instanceof) cost about 0.4 us per
 * call. The JS layer keeps each handle in a private field of the class of
 * its type and never hands it out; null (a freed handle) becomes NULL,
 * which every core function accepts. Anything else is a TypeError. */
%define SM_NODE_HANDLE(TYPE)
%typemap(in) TYPE * {
  if ($input.IsExternal()) {
    $1 = static_cast<$1_ltype>($input.As<Napi::External<void>>().Data());
  } else if ($input.IsNull()) {
    $1 = nullptr;
  } else {
    SWIG_exception_fail(SWIG_TypeError, "in method '$symname', argument $argnum is not a handle");
  }
}
%typemap(in) const TYPE * = TYPE *;
/* Out-handles: the new handle on SM_OK, else the status number. */
%typemap(in, numinputs=0) TYPE **out (TYPE *temp = nullptr) {
  $1 = &temp;
}
%typemap(argout) TYPE **out {
  if (result == SM_OK) {
    $result = Napi::External<void>::New(env, static_cast<void *>(*$1));
  }
}
%enddef
SM_NODE_HANDLE(sm_secret)
SM_NODE_HANDLE(sm_buffer)
SM_NODE_HANDLE(sm_enclave)
SM_NODE_HANDLE(sm_stream)

/* ---- bytes: a Uint8Array's own memory, zero-copy ----------------------- */
%typemap(in) (void *src, size_t len) {
  if (!$input.IsTypedArray() ||
      $input.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    SWIG_exception_fail(SWIG_TypeError, "in method '$symname', argument $argnum is not a Uint8Array");
  }
  Napi::Uint8Array bytes = $input.As<Napi::Uint8Array>();
  $1 = reinterpret_cast<$1_ltype>(bytes.Data());
  $2 = bytes.ByteLength();
}
%apply (void *src, size_t len) { (void *p, size_t len) };
%typemap(in) (const void *data, size_t len) = (void *src, size_t len);
%typemap(in) (uint8_t *dst, size_t cap) = (void *src, size_t len);

/* ---- counts: the count on SM_OK, else minus the status ------------------ */
%typemap(in, numinputs=0) size_t *nread (size_t temp = 0) {
  $1 = &temp;
}
%typemap(argout) size_t *nread {
  $result = Napi::Number::New(env, result == SM_OK ? static_cast<double>(*$1)
                                                   : -static_cast<double>(result));
}

/* ---- sm_stats_get(): a plain object ------------------------------------ */
%typemap(in, numinputs=0) sm_stats *out (sm_stats temp) {
  memset(&temp, 0, sizeof temp);
  temp.size = sizeof temp;
  $1 = &temp;
}
%typemap(argout) sm_stats *out {
  if (result == SM_OK) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("liveBuffers", Napi::Number::New(env, static_cast<double>($1->live_buffers)));
    o.Set("bytesInUse", Napi::Number::New(env, static_cast<double>($1->bytes_in_use)));
    o.Set("bytesLocked", Napi::Number::New(env, static_cast<double>($1->bytes_locked)));
    o.Set("peakBytesLocked", Napi::Number::New(env, static_cast<double>($1->peak_bytes_locked)));
    o.Set("lockFailures", Napi::Number::New(env, static_cast<double>($1->lock_failures)));
    o.Set("liveSecretsProtected",
          Napi::Number::New(env, static_cast<double>($1->live_secrets_protected)));
    o.Set("liveSecretsEnclave",
          Napi::Number::New(env, static_cast<double>($1->live_secrets_enclave)));
    o.Set("liveEnclaves", Napi::Number::New(env, static_cast<double>($1->live_enclaves)));
    o.Set("mappedBytes", Napi::Number::New(env, static_cast<double>($1->mapped_bytes)));
    o.Set("bytesLockedCached",
          Napi::Number::New(env, static_cast<double>($1->bytes_locked_cached)));
    $result = o;
  }
}

/* ---- sm_init(): a plain object of numbers, or null --------------------- */
%typemap(in) const sm_config *cfg (sm_config temp) {
  if ($input.IsNull() || $input.IsUndefined()) {
    $1 = nullptr;
  } else if (!$input.IsObject()) {
    SWIG_exception_fail(SWIG_TypeError, "in method '$symname', the config is not an object");
  } else {
    Napi::Object o = $input.As<Napi::Object>();
    sm_config_default(&temp);
    Napi::Value v;
    if (!(v = o.Get("lockPolicy")).IsUndefined())
      temp.lock_policy = static_cast<sm_lock_policy>(v.ToNumber().Int32Value());
    if (!(v = o.Get("forkPolicy")).IsUndefined())
      temp.fork_policy = static_cast<sm_fork_policy>(v.ToNumber().Int32Value());
    if (!(v = o.Get("disableCoreDumps")).IsUndefined())
      temp.disable_core_dumps = v.ToBoolean().Value() ? 1 : 0;
    if (!(v = o.Get("rekeyIntervalMs")).IsUndefined())
      temp.rekey_interval_ms = v.ToNumber().Uint32Value();
    if (!(v = o.Get("backend")).IsUndefined())
      temp.backend = static_cast<sm_backend>(v.ToNumber().Int32Value());
    $1 = &temp;
  }
}

/* ---- views (sm_node_glue.h) -------------------------------------------- */
/* An external ArrayBuffer on the guarded memory itself (lib/views.js puts
 * the Uint8Array over it: cheaper in JS than through Node-API), or the
 * status number. */
%typemap(out) sm_node_view {
  if ($1.status != SM_OK) {
    $result = Napi::Number::New(env, static_cast<double>($1.status));
  } else {
    napi_value ab = sm_node_make_array_buffer(env, $1.data, $1.len);
    if (ab == nullptr) {
      SWIG_exception_fail(SWIG_MemoryError, "in method '$symname', the view could not be made");
    }
    $result = Napi::Value(env, ab);
  }
}
/* The Napi::Env of the call, for the glue. */
%typemap(in, numinputs=0) napi_env env {
  $1 = env;
}
%typemap(in) sm_node_value {
  $1.env = env;
  $1.value = $input;
}

/* The header first (the shared file's later %include of it is then a
 * no-op: SWIG includes a file once), so the glue below sees its types. */
%include "securememory.h"

sm_node_view sm_node_secret_acquire(sm_secret *s);
sm_status sm_node_secret_release(sm_secret *s, sm_node_value view_buffer);
sm_node_view sm_node_buffer_view(sm_buffer *b);
void sm_node_detach(sm_node_value view_buffer);
int sm_node_fast_views(napi_env env);
