/* Interpreter operations on secrets of both kinds (input layouts as in ops_buffer.c). */
#include <string.h>

#include "fuzz_check.h"
#include "sources.h"

#define DOC_NEW (ST(SM_ERR_INVALID) | ST(SM_ERR_NOMEM) | ST(SM_ERR_MLOCK) | ST(SM_ERR_PROTECT))
#define DOC_ACQUIRE                                                                                \
    (ST(SM_ERR_INVALID) | ST(SM_ERR_CLOSED) | ST(SM_ERR_PROTECT) | ST(SM_ERR_AUTH) |               \
     ST(SM_ERR_NOMEM) | ST(SM_ERR_MLOCK))
#define DOC_WITH_BYTES (DOC_ACQUIRE | ST(SM_ERR_CALLBACK))
#define DOC_READ       (DOC_ACQUIRE | ST(SM_ERR_EOF))

/* The bytes an access shows: equal to the model, or learnt when random. */
static void secret_saw(m_secret *s, const uint8_t *data, size_t len, const char *call) {
    FUZZ_CHECK(len == s->len, "%s gave %zu bytes of a %zu-byte secret", call, len, s->len);
    if (!s->known) {
        memcpy(s->bytes, data, len);
        s->known = 1;
        FUZZ_CHECK(len < 16 || !fuzz_all_zero(data, len), "%zu random bytes are all zero", len);
        return;
    }
    FUZZ_BYTES(call, data, s->bytes, len);
}

static void secret_made(world *w, m_secret *slot, sm_secret *h, sm_kind kind, size_t len,
                        const uint8_t *bytes) {
    slot->h = h;
    slot->kind = kind;
    slot->len = len;
    slot->bytes = model_alloc(len);
    model_hold(w, len);
    if (bytes != NULL) {
        memcpy(slot->bytes, bytes, len);
        slot->known = 1;
    }
    FUZZ_CHECK(sm_secret_size(h) == len && sm_secret_kind(h) == kind && !sm_secret_is_closed(h),
               "a new secret reports size %zu kind %d closed %d", sm_secret_size(h),
               (int)sm_secret_kind(h), sm_secret_is_closed(h));
}

/* An sm_kind value (one byte: %8 == 7 gives a value that is no kind, else &1). */
static sm_kind pick_kind(world *w, int *valid) {
    static const int bad[] = {2, 3, 255, -1};
    uint8_t k = fz_u8(w->in);
    *valid = k % 8 != 7;
    return *valid ? (sm_kind)(k & 1) : (sm_kind)bad[(k >> 3) % 4];
}

/* slot, random (&1), kind (pick_kind), len (fz_len), NULL source (%16 == 0), source. */
void op_secret_new(world *w) {
    m_secret *slot = pick_secret(w);
    int random = fz_u8(w->in) & 1, valid, impossible;
    sm_kind kind = pick_kind(w, &valid);
    size_t len = fz_len(w->in, model_len_room(w), &impossible);
    int null_src = fz_u8(w->in) % 16 == 0 && !random;
    mem_choice c;
    mem_choice_read(w->in, &c);
    if (model_len_room(w) == 0)
        return;
    secret_drop(w, slot);
    sm_status want = !valid || len == 0 || impossible || null_src ? SM_ERR_INVALID : SM_OK, st;
    sm_secret *h = NOT_SET;
    mem_pick src = {0};
    if (random) {
        st = sm_secret_new_random(kind, len, &h);
    } else {
        pick_wipeable(w, &c, len, impossible, &src);
        st = sm_secret_new(kind, null_src ? NULL : src.p, len, &h);
    }
    fuzz_trace("secret.new random=%d kind=%d len=%zu null_src=%d -> %s", random, (int)kind, len,
               null_src, sm_status_name(st));
    (void)expect_status(random ? "sm_secret_new_random" : "sm_secret_new", DOC_NEW, st, want);
    if (!random && (impossible || len == 0 || null_src))
        mem_check_untouched(&src, "sm_secret_new (no source or impossible length)");
    else if (!random)
        mem_check_wiped(&src);
    if (st != SM_OK)
        FUZZ_CHECK(h == NULL, "sm_secret_new* failed but left *out set");
    else
        secret_made(w, slot, h, kind, len, random ? NULL : src.saved);
    mem_release(&src);
}

/* slot, variant (%16 == 0: NULL out-parameters). */
void op_secret_acquire(world *w) {
    m_secret *s = pick_secret(w);
    int bad_args = fz_u8(w->in) % 16 == 0;
    if (s->h == NULL || s->acquires == MAX_ACQUIRES)
        return;
    const uint8_t *data = NULL;
    size_t len = 0;
    if (bad_args) {
        FUZZ_STATUS("sm_secret_acquire", DOC_ACQUIRE, sm_secret_acquire(s->h, NULL, &len),
                    SM_ERR_INVALID);
        FUZZ_STATUS("sm_secret_acquire", DOC_ACQUIRE, sm_secret_acquire(s->h, &data, NULL),
                    SM_ERR_INVALID);
        return;
    }
    sm_status st = sm_secret_acquire(s->h, &data, &len);
    fuzz_trace("secret.acquire kind=%d len=%zu held=%u -> %s", (int)s->kind, s->len, s->acquires,
               sm_status_name(st));
    (void)expect_status("sm_secret_acquire", DOC_ACQUIRE, st, s->closed ? SM_ERR_CLOSED : SM_OK);
    if (st != SM_OK) /* the secret left as it was, no access open */
        return;
    secret_saw(s, data, len, "sm_secret_acquire");
    s->acquires++;
    s->view = data;
    if (s->kind == SM_KIND_PROTECTED)
        s->home = data;
}

/* slot. */
void op_secret_release(world *w) {
    m_secret *s = pick_secret(w);
    if (s->h == NULL)
        return;
    sm_status st = sm_secret_release(s->h);
    fuzz_trace("secret.release held=%u -> %s", s->acquires, sm_status_name(st));
    int injected = expect_status("sm_secret_release", ST(SM_ERR_INVALID) | ST(SM_ERR_PROTECT), st,
                                 s->acquires > 0 ? SM_OK : SM_ERR_INVALID);
    if ((st == SM_OK || injected) && s->acquires > 0 && --s->acquires == 0) {
        s->view = NULL;
        /* "the pages stay read-only until the next access or the close tries again" */
        s->exposed = injected;
    }
}

/*
 * An access of s ended (with_bytes, read): a failed re-protection leaves a
 * PROTECTED secret readable with no access, a successful one hides it.
 */
static void released(m_secret *s, int failed) {
    if (s->acquires == 0 && s->kind == SM_KIND_PROTECTED)
        s->exposed = failed;
}

typedef struct seen {
    m_secret *s;
    int rc;
    int calls;
} seen;

static int with_bytes_cb(void *ctx, const uint8_t *data, size_t len) {
    seen *v = ctx;
    v->calls++;
    secret_saw(v->s, data, len, "sm_secret_with_bytes callback");
    return v->rc;
}

/* slot, callback result (codes[%6]), variant (%16 == 0: NULL callback). */
void op_secret_with_bytes(world *w) {
    static const int codes[] = {0, 0, 1, -1, 7, 255};
    m_secret *s = pick_secret(w);
    seen v = {s, codes[fz_below(w->in, sizeof codes / sizeof codes[0])], 0};
    int null_fn = fz_u8(w->in) % 16 == 0;
    if (s->h == NULL)
        return;
    if (null_fn) {
        FUZZ_STATUS("sm_secret_with_bytes", DOC_WITH_BYTES, sm_secret_with_bytes(s->h, NULL, &v),
                    SM_ERR_INVALID);
        return;
    }
    sm_status want = s->closed ? SM_ERR_CLOSED : v.rc != 0 ? SM_ERR_CALLBACK : SM_OK;
    sm_status st = sm_secret_with_bytes(s->h, with_bytes_cb, &v);
    fuzz_trace("secret.with_bytes rc=%d -> %s", v.rc, sm_status_name(st));
    int failed = expect_status("sm_secret_with_bytes", DOC_WITH_BYTES, st, want);
    /* An injected failure stops the access at its start (no call), or at its release: */
    FUZZ_CHECK(s->closed ? v.calls == 0
               : failed  ? v.calls <= 1
                         : v.calls == 1,
               "the callback ran %d times", v.calls);
    if (!s->closed && v.calls == 1)
        released(s, failed);
    if (v.calls == 1)
        FUZZ_CHECK(sm_secret_last_callback_result() == v.rc,
                   "sm_secret_last_callback_result gave %d after the callback returned %d",
                   sm_secret_last_callback_result(), v.rc);
}

/* An offset (how u8, then u32 or an impossible length): inside, at the end, past it, absurd. */
typedef struct offset_choice {
    uint8_t how;
    uint32_t value;
    size_t absurd;
} offset_choice;

static void offset_read(fz *in, offset_choice *o) {
    o->how = fz_u8(in) % 8;
    o->value = fz_u32(in);
    o->absurd = fz_impossible_len(in);
}

static size_t offset_in(const offset_choice *o, size_t len) {
    return o->how == 6 ? len : o->how == 7 ? o->absurd : o->value % (len + 2);
}

/* slot, offset (offset_choice), cap (u32 % (len + 9), 0 is refused), destination. */
void op_secret_read(world *w) {
    m_secret *s = pick_secret(w);
    offset_choice oc;
    offset_read(w->in, &oc);
    uint32_t cap_in = fz_u32(w->in);
    mem_choice c;
    mem_choice_read(w->in, &c);
    if (s->h == NULL)
        return;
    size_t off = offset_in(&oc, s->len), cap = cap_in % (s->len + 9);
    mem_pick dst;
    pick_destination(w, &c, cap > 0 ? cap : 1, &dst);
    size_t n = 12345;
    sm_status want = cap == 0        ? SM_ERR_INVALID
                     : s->closed     ? SM_ERR_CLOSED
                     : off >= s->len ? SM_ERR_EOF
                                     : SM_OK;
    sm_status st = sm_secret_read(s->h, off, dst.p, cap, &n);
    fuzz_trace("secret.read off=%zu cap=%zu len=%zu -> %s n=%zu", off, cap, s->len,
               sm_status_name(st), n);
    int failed = expect_status("sm_secret_read", DOC_READ, st, want);
    size_t full = want == SM_OK ? (s->len - off < cap ? s->len - off : cap) : 0;
    /* A failed release reports the bytes copied (*nread); a failed acquire none. */
    size_t expect_n = st == SM_OK || (failed && n > 0) ? full : 0;
    FUZZ_CHECK(n == expect_n, "sm_secret_read reported %zu bytes, expected %zu", n, expect_n);
    if (want == SM_OK && (st == SM_OK || n > 0))
        released(s, failed);
    mem_after_copy(&dst, n, "sm_secret_read");
    if (n > 0 && s->known)
        FUZZ_BYTES("sm_secret_read", dst.p, s->bytes + off, n);
    mem_release(&dst);
}

/* slot. */
void op_secret_close(world *w) {
    m_secret *s = pick_secret(w);
    if (s->h == NULL)
        return;
    secret_release_all(s); /* closing inside one's own access deadlocks (header) */
    sm_status st = sm_secret_close(s->h);
    fuzz_trace("secret.close -> %s", sm_status_name(st));
    FUZZ_STATUS("sm_secret_close", ST(SM_ERR_INVALID), st, SM_OK);
    s->closed = 1;
}

/* slot. */
void op_secret_free(world *w) {
    m_secret *s = pick_secret(w);
    fuzz_trace("secret.free");
    secret_drop(w, s);
}

/* slot. */
void op_secret_state(world *w) {
    m_secret *s = pick_secret(w);
    if (s->h == NULL)
        return;
    FUZZ_CHECK(sm_secret_size(s->h) == s->len, "sm_secret_size gave %zu, expected %zu",
               sm_secret_size(s->h), s->len);
    FUZZ_CHECK(sm_secret_kind(s->h) == s->kind, "sm_secret_kind gave %d, expected %d",
               (int)sm_secret_kind(s->h), (int)s->kind);
    FUZZ_CHECK(sm_secret_is_closed(s->h) == s->closed, "sm_secret_is_closed gave %d, expected %d",
               sm_secret_is_closed(s->h), s->closed);
    check_real_protections(w);
}
