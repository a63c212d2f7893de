/*
 * sm_node_glue.h: the hand-written Node-API glue of the securememory addon.
 *
 * SWIG wraps the public header (bindings/swig/securememory.i with the Node
 * typemaps of bindings/swig/node.i); these few functions are what SWIG
 * cannot express: zero-copy views. A view is a Uint8Array (made in JS, by
 * lib/views.js) over an external ArrayBuffer made here, whose memory is the
 * guarded page itself (no copy, nothing on the V8 heap), and it ends by
 * detaching that ArrayBuffer (byteLength 0), so a reference kept past the
 * access reads nothing instead of touching a page that is no longer
 * accessible.
 *
 * Included by the generated wrapper (src/securememory_wrap.cxx) only. Every
 * function runs on the JS thread that calls it; none keeps a pointer past
 * the call.
 */
#ifndef SM_NODE_GLUE_H
#define SM_NODE_GLUE_H

#include <dlfcn.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>

#include <memory>
#include <v8.h>

/* NODE_MAJOR_VERSION, without node_version.h's NAPI_VERSION (the build
 * chooses that one). */
#pragma push_macro("NAPI_VERSION")
#undef NAPI_VERSION
#include <node_version.h>
#pragma pop_macro("NAPI_VERSION")

#include "securememory.h"

/* A view to hand to JS: the bytes when status is SM_OK. */
typedef struct sm_node_view {
    sm_status status;
    uint8_t *data;
    size_t len;
} sm_node_view;

/* A JS value passed through untouched (an ArrayBuffer to detach). */
typedef struct sm_node_value {
    napi_env env;
    napi_value value;
} sm_node_value;

/*
 * Making a view: the external ArrayBuffer
 * ---------------------------------------
 * Node-API's napi_create_external_arraybuffer builds a whole Node Buffer
 * (a finalizer object, a weak reference, a cleanup hook) to hand back its
 * ArrayBuffer: about 1.5 us per view, more than the page protection
 * changes of an access. V8 itself makes an external ArrayBuffer from a
 * BackingStore in about 0.1 us. The V8 API has no stable ABI across Node
 * majors, so the fast path is taken only on the Node major this addon was
 * compiled against (same NODE_MODULE_VERSION, same V8 ABI), with every
 * V8 function looked up by dlsym at run time (nothing V8 is linked, so the
 * addon still loads everywhere), never under a V8 sandbox, and not when
 * SECUREMEMORY_NODE_API_VIEWS=1 is set. Elsewhere views come from
 * Node-API. Both give the same object: an external, detachable
 * ArrayBuffer on the guarded memory, with no deleter (the memory belongs
 * to the core).
 */
namespace sm_node_v8 {
/* Same size and return convention (non-trivial: returned through memory)
 * as std::unique_ptr<v8::BackingStore>, without naming its destructor. */
struct backing_store_ptr {
    v8::BackingStore *p = nullptr;
    backing_store_ptr() {}
    ~backing_store_ptr() {}
    backing_store_ptr(const backing_store_ptr &) = delete;
};
typedef backing_store_ptr (*new_backing_store_fn)(void *, size_t, v8::BackingStore::DeleterCallback,
                                                  void *);
typedef v8::Local<v8::ArrayBuffer> (*new_array_buffer_fn)(v8::Isolate *,
                                                          std::shared_ptr<v8::BackingStore>);
typedef v8::Isolate *(*current_isolate_fn)();
typedef void (*backing_store_dtor_fn)(v8::BackingStore *);

struct api {
    bool usable = false;
    new_backing_store_fn new_backing_store = nullptr;
    new_array_buffer_fn new_array_buffer = nullptr;
    current_isolate_fn current_isolate = nullptr;
    backing_store_dtor_fn backing_store_dtor = nullptr;
};

static inline void no_deleter(void *, size_t, void *) {}

static inline api probe(napi_env env) {
    api a;
#if defined(V8_ENABLE_SANDBOX)
    (void)env;
    return a;
#else
    const char *off = getenv("SECUREMEMORY_NODE_API_VIEWS");
    if (off != nullptr && strcmp(off, "1") == 0)
        return a;
    const napi_node_version *version = nullptr;
    if (napi_get_node_version(env, &version) != napi_ok || version == nullptr ||
        version->major != NODE_MAJOR_VERSION)
        return a;
    a.new_backing_store = reinterpret_cast<new_backing_store_fn>(
        dlsym(RTLD_DEFAULT, "_ZN2v811ArrayBuffer15NewBackingStoreEPvmPFvS1_mS1_ES1_"));
    a.new_array_buffer = reinterpret_cast<new_array_buffer_fn>(dlsym(
        RTLD_DEFAULT, "_ZN2v811ArrayBuffer3NewEPNS_7IsolateESt10shared_ptrINS_12BackingStoreEE"));
    a.current_isolate =
        reinterpret_cast<current_isolate_fn>(dlsym(RTLD_DEFAULT, "_ZN2v87Isolate10GetCurrentEv"));
    a.backing_store_dtor =
        reinterpret_cast<backing_store_dtor_fn>(dlsym(RTLD_DEFAULT, "_ZN2v812BackingStoreD1Ev"));
    a.usable =
        a.new_backing_store && a.new_array_buffer && a.current_isolate && a.backing_store_dtor;
    return a;
#endif
}

static inline const api &get(napi_env env) {
    static const api a = probe(env); /* once per process, thread-safe */
    return a;
}

/* An external ArrayBuffer over data through V8, or nullptr. */
static inline napi_value array_buffer(napi_env env, void *data, size_t len) {
    const api &a = get(env);
    if (!a.usable)
        return nullptr;
    backing_store_ptr raw = a.new_backing_store(data, len, no_deleter, nullptr);
    if (raw.p == nullptr)
        return nullptr;
    backing_store_dtor_fn dtor = a.backing_store_dtor;
    std::shared_ptr<v8::BackingStore> store(raw.p, [dtor](v8::BackingStore *p) {
        dtor(p);
        ::operator delete(p);
    });
    v8::Local<v8::ArrayBuffer> ab = a.new_array_buffer(a.current_isolate(), std::move(store));
    if (ab.IsEmpty())
        return nullptr;
    /* Node-API's own representation of a value: the Local's slot. */
    return reinterpret_cast<napi_value>(*ab);
}
} // namespace sm_node_v8

/* 1 when views are made through V8 directly (see above), else 0. */
static inline int sm_node_fast_views(napi_env env) {
    return sm_node_v8::get(env).usable ? 1 : 0;
}

/*
 * An external ArrayBuffer over len bytes at data (no deleter: the memory
 * belongs to the core), or nullptr with a JS exception pending.
 */
static inline napi_value sm_node_make_array_buffer(napi_env env, void *data, size_t len) {
    napi_value ab = sm_node_v8::array_buffer(env, data, len);
    if (ab == nullptr &&
        napi_create_external_arraybuffer(env, data, len, nullptr, nullptr, &ab) != napi_ok)
        return nullptr;
    return ab;
}

/*
 * Detaches value when it is a detachable ArrayBuffer (no-op otherwise, and
 * when it is already detached). Afterwards every view over it has length 0.
 */
static inline void sm_node_detach(sm_node_value v) {
    bool is_ab = false;
    if (v.value == nullptr || napi_is_arraybuffer(v.env, v.value, &is_ab) != napi_ok || !is_ab)
        return;
    bool detached = false;
    if (napi_is_detached_arraybuffer(v.env, v.value, &detached) == napi_ok && !detached)
        napi_detach_arraybuffer(v.env, v.value);
}

/*
 * Starts an access to the secret (sm_secret_acquire): the view is read-only
 * memory, a write through it faults. End it with sm_node_secret_release.
 */
static inline sm_node_view sm_node_secret_acquire(sm_secret *s) {
    sm_node_view v = {SM_OK, nullptr, 0};
    const uint8_t *data = nullptr;
    v.status = sm_secret_acquire(s, &data, &v.len);
    v.data = const_cast<uint8_t *>(data);
    return v;
}

/*
 * Ends an access: detaches the view's ArrayBuffer first, then releases
 * (sm_secret_release), so JS never sees the page re-protected.
 */
static inline sm_status sm_node_secret_release(sm_secret *s, sm_node_value view_buffer) {
    sm_node_detach(view_buffer);
    return sm_secret_release(s);
}

/*
 * A view of a guarded buffer's data: SM_ERR_CLOSED once destroyed,
 * SM_ERR_INVALID while it is no-access (touching it would fault). Writable
 * memory while the buffer is READWRITE; a write while it is READ faults.
 */
static inline sm_node_view sm_node_buffer_view(sm_buffer *b) {
    sm_node_view v = {SM_OK, nullptr, 0};
    if (b == nullptr) {
        v.status = SM_ERR_INVALID;
        return v;
    }
    v.data = sm_buffer_data(b);
    if (v.data == nullptr) {
        v.status = SM_ERR_CLOSED;
        return v;
    }
    if (sm_buffer_protection(b) == SM_PROT_NONE) {
        v.status = SM_ERR_INVALID;
        v.data = nullptr;
        return v;
    }
    v.len = sm_buffer_size(b);
    return v;
}

#endif /* SM_NODE_GLUE_H */
