/*
 * securememory.i: the one SWIG interface for every SWIG binding (Go and
 * Node). It wraps the public header, core/include/securememory.h, and
 * nothing else.
 *
 * Layout
 *   this file       what every language shares: the module, the header,
 *                   what is left out and why;
 *   go.i            the Go typemaps (swig -go -cgo -intgosize 64);
 *   node.i          the Node-API typemaps (swig -javascript -napi -c++).
 * A language's file is included before the header, so its typemaps apply
 * to the declarations. Each binding commits its generated wrapper and
 * checks that it is not stale; regenerate both after changing this file.
 *
 * Rules for every typemap file (they keep the core's promise of no
 * plaintext outside guarded memory):
 *   - byte inputs are zero-copy: the wrapper passes the host buffer's own
 *     memory to C, never a copy;
 *   - never SWIG's copying buffer typemaps or cdata helpers for secret
 *     bytes (Go cdata.i, napi nodejs_buffer.i argout, SWIG_FromUint8Array):
 *     they leave unwiped copies on the host heap;
 *   - out-handles (`sm_x **out`) become results; statuses stay sm_status
 *     values for the hand-written layer to turn into errors.
 */
%module securememory

%{
#include "securememory.h"
%}

/* Attributes the header uses for the C compiler only. */
#define SM_API
#define SM_NORETURN

/*
 * Nothing calls back from C into a host language: the bindings build
 * with_bytes on sm_secret_acquire/sm_secret_release in the host language,
 * and catch signals the host runtime's way (os/signal, process.on), then
 * call sm_purge. So the callback forms and the C signal handlers are left
 * out.
 */
%ignore sm_secret_with_bytes;
%ignore sm_secret_last_callback_result;
%ignore sm_bytes_fn;
%ignore sm_signal_fn;
%ignore sm_signal_catch;
%ignore sm_signal_catch_signals;
%ignore sm_signal_catch_interrupt;
%ignore sm_signal_release;

/*
 * The raw memory calls hand out and take bare page pointers: a host
 * language has no safe use for them (guarded buffers cover the need).
 */
%ignore sm_mem_alloc;
%ignore sm_mem_free;
%ignore sm_mem_lock;
%ignore sm_mem_unlock;
%ignore sm_mem_protect;

#if defined(SWIGGO)
%include "go.i"
#elif defined(SWIGJAVASCRIPT)
%include "node.i"
#endif

%include "securememory.h"
