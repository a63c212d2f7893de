/*
 * sm_node_glue.h: the hand-written Node-API glue of the securememory addon.
 *
 * SWIG wraps the public header (bindings/swig/securememory.i with the Node
 * typemaps of bindings/swig/node.i); these few functions are what SWIG
 * cannot express: zero-copy views. A view is a Uint8Array over an external
 * ArrayBuffer whose memory is the guarded page itself (no copy, nothing on
 * the V8 heap), and it ends by detaching that ArrayBuffer (byteLength 0),
 * so a reference kept past the access reads nothing instead of touching a
 * page that is no longer accessible.
 *
 * Included by the generated wrapper (src/securememory_wrap.cxx) only. Every
 * function runs on the JS thread that calls it; none keeps a pointer past
 * the call.
 */
#ifndef SM_NODE_GLUE_H
#define SM_NODE_GLUE_H

#include <node_api.h>

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
