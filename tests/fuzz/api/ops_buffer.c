/*
 * Interpreter operations on guarded buffers. Each operation reads all of
 * its input bytes first (the layout is in its comment), whatever the
 * state, then acts; tests/fuzz/seeds/make_seeds.py writes the same layout.
 */
#include <string.h>

#include "fuzz_check.h"
#include "sources.h"

#define DOC_NEW                                                                                    \
    (ST(SM_ERR_INVALID) | ST(SM_ERR_NOMEM) | ST(SM_ERR_MLOCK) | ST(SM_ERR_PROTECT) |               \
     ST(SM_ERR_UNSUPPORTED))
#define DOC_PROT    (ST(SM_ERR_INVALID) | ST(SM_ERR_CLOSED) | ST(SM_ERR_PROTECT))
#define DOC_CHECK   (ST(SM_ERR_INVALID) | ST(SM_ERR_CLOSED) | ST(SM_ERR_CANARY) | ST(SM_ERR_PROTECT))
#define DOC_DESTROY (ST(SM_ERR_INVALID) | ST(SM_ERR_CANARY) | ST(SM_ERR_PROTECT))
#define DOC_SEAL                                                                                   \
    (ST(SM_ERR_INVALID) | ST(SM_ERR_CLOSED) | ST(SM_ERR_NOMEM) | ST(SM_ERR_MLOCK) |                \
     ST(SM_ERR_PROTECT) | ST(SM_ERR_CANARY))

static void new_ok(world *w, m_buffer *slot, sm_buffer *h, size_t len) {
    slot->h = h;
    slot->alive = 1;
    slot->len = len;
    slot->prot = SM_PROT_READWRITE;
    slot->bytes = model_alloc(len);
    model_hold(w, len);
}

/* The bytes of a new buffer: zero, random (learnt), or the source's. */
static void new_contents(m_buffer *slot, uint8_t how, const mem_pick *src) {
    if (how == 1) {
        memcpy(slot->bytes, sm_buffer_data(slot->h), slot->len);
        FUZZ_CHECK(slot->len < 16 || !fuzz_all_zero(slot->bytes, slot->len),
                   "%zu random bytes are all zero", slot->len);
    } else if (how == 2) {
        memcpy(slot->bytes, src->saved, slot->len);
    }
}

/* slot, how (%3: new, new_random, new_from_bytes), len (fz_len), source (mem_choice). */
void op_buffer_new(world *w) {
    m_buffer *slot = pick_buffer(w);
    uint8_t how = fz_u8(w->in) % 3;
    int impossible;
    size_t len = fz_len(w->in, model_len_room(w), &impossible);
    mem_choice c;
    mem_choice_read(w->in, &c);
    if (model_len_room(w) == 0)
        return;
    buffer_drop(w, slot);
    sm_status want = len == 0 || impossible ? SM_ERR_INVALID : SM_OK, st;
    sm_buffer *h = NOT_SET;
    mem_pick src = {0};
    if (how == 0) {
        st = sm_buffer_new(len, &h);
    } else if (how == 1) {
        st = sm_buffer_new_random(len, &h);
    } else {
        pick_wipeable(w, &c, len, impossible, &src);
        st = sm_buffer_new_from_bytes(src.p, len, &h);
    }
    fuzz_trace("buffer.new how=%u len=%zu -> %s", how, len, sm_status_name(st));
    (void)expect_status("sm_buffer_new*", DOC_NEW, st, want); /* a failure: nothing made */
    if (how == 2 && (impossible || len == 0))
        mem_check_untouched(&src, "sm_buffer_new_from_bytes (impossible length)");
    else if (how == 2)
        mem_check_wiped(&src);
    if (st == SM_OK) {
        new_ok(w, slot, h, len);
        new_contents(slot, how, &src);
        buffer_check_state(slot);
        buffer_check_bytes(slot);
    } else {
        FUZZ_CHECK(h == NULL, "sm_buffer_new* failed but left *out set");
    }
    mem_release(&src);
}

/* slot. */
void op_buffer_read(world *w) {
    m_buffer *b = pick_buffer(w);
    if (b->h == NULL)
        return;
    fuzz_trace("buffer.read alive=%d prot=%d", b->alive, (int)b->prot);
    buffer_check_state(b);
    buffer_check_bytes(b);
}

/* slot, offset (u32), count (u32), pattern seed (u16). */
void op_buffer_write(world *w) {
    m_buffer *b = pick_buffer(w);
    uint32_t off_in = fz_u32(w->in), n_in = fz_u32(w->in);
    uint16_t seed = fz_u16(w->in);
    if (b->h == NULL || !b->alive || b->prot != SM_PROT_READWRITE)
        return;
    size_t off = off_in % b->len;
    size_t n = 1 + n_in % (b->len - off);
    fz_pattern(seed, b->bytes + off, n);
    memcpy(sm_buffer_data(b->h) + off, b->bytes + off, n);
    fuzz_trace("buffer.write off=%zu n=%zu", off, n);
    buffer_check_bytes(b);
}

/* slot, protection (%3: noaccess, freeze, melt). */
void op_buffer_protect(world *w) {
    static const char *const names[] = {"sm_buffer_noaccess", "sm_buffer_freeze", "sm_buffer_melt"};
    m_buffer *b = pick_buffer(w);
    sm_prot prot = (sm_prot)(fz_u8(w->in) % 3);
    if (b->h == NULL)
        return;
    sm_status st = prot == SM_PROT_NONE   ? sm_buffer_noaccess(b->h)
                   : prot == SM_PROT_READ ? sm_buffer_freeze(b->h)
                                          : sm_buffer_melt(b->h);
    fuzz_trace("%s -> %s", names[prot], sm_status_name(st));
    (void)expect_status(names[prot], DOC_PROT, st, b->alive ? SM_OK : SM_ERR_CLOSED);
    if (st == SM_OK) /* a failure leaves the protection as it was */
        b->prot = prot;
    buffer_check_state(b);
    buffer_check_bytes(b);
}

/* slot. */
void op_buffer_check(world *w) {
    m_buffer *b = pick_buffer(w);
    if (b->h == NULL)
        return;
    sm_status want = !b->alive ? SM_ERR_CLOSED : b->canary_broken ? SM_ERR_CANARY : SM_OK;
    sm_status st = sm_buffer_check(b->h);
    fuzz_trace("buffer.check -> %s", sm_status_name(st));
    if (expect_status("sm_buffer_check", DOC_CHECK, st, want))
        b->prot = sm_buffer_protection(b->h); /* "it then stays read-only, and says so" */
    buffer_check_state(b);
}

/* slot. */
void op_buffer_destroy(world *w) {
    m_buffer *b = pick_buffer(w);
    if (b->h == NULL)
        return;
    sm_status want = b->alive && b->canary_broken ? SM_ERR_CANARY : SM_OK;
    sm_status st = sm_buffer_destroy(b->h);
    fuzz_trace("buffer.destroy -> %s", sm_status_name(st));
    (void)expect_status("sm_buffer_destroy", DOC_DESTROY, st, want);
    buffer_dead(b);
    buffer_check_state(b);
}

/* slot. */
void op_buffer_free(world *w) {
    m_buffer *b = pick_buffer(w);
    fuzz_trace("buffer.free");
    buffer_drop(w, b);
}

/* buffer slot, enclave slot, variant (%8 == 0: out NULL). */
void op_buffer_seal(world *w) {
    m_buffer *b = pick_buffer(w);
    m_enclave *e = pick_enclave(w);
    int no_out = fz_u8(w->in) % 8 == 0;
    if (b->h == NULL)
        return;
    if (no_out) { /* refused, the buffer left as it was */
        FUZZ_STATUS("sm_buffer_seal", DOC_SEAL, sm_buffer_seal(b->h, NULL), SM_ERR_INVALID);
        buffer_check_state(b);
        buffer_check_bytes(b);
        return;
    }
    enclave_drop(w, e);
    sm_status want = !b->alive ? SM_ERR_CLOSED : b->canary_broken ? SM_ERR_CANARY : SM_OK;
    sm_enclave *h = NOT_SET;
    sm_status st = sm_buffer_seal(b->h, &h);
    fuzz_trace("buffer.seal len=%zu -> %s", b->len, sm_status_name(st));
    int failed = expect_status("sm_buffer_seal", DOC_SEAL, st, want);
    if (failed) { /* "left alive with its data unchanged (and read-only ... SM_ERR_PROTECT)" */
        FUZZ_CHECK(h == NULL, "sm_buffer_seal failed but left *out set");
        if (st == SM_ERR_PROTECT && sm_buffer_protection(b->h) == SM_PROT_READ)
            b->prot = SM_PROT_READ;
        buffer_check_state(b);
        buffer_check_bytes(b);
        return;
    }
    if (st == SM_OK) {
        e->h = h;
        e->len = b->len;
        e->bytes = model_dup(b->bytes, b->len);
        e->known = 1;
        e->epoch = w->purges;
        model_hold(w, b->len);
        FUZZ_CHECK(sm_enclave_size(h) == b->len, "sealed %zu bytes, enclave size %zu", b->len,
                   sm_enclave_size(h));
    } else {
        FUZZ_CHECK(h == NULL, "sm_buffer_seal failed but left *out set");
    }
    if (st == SM_OK || st == SM_ERR_CANARY) /* sealed, or refused: destroyed either way */
        buffer_dead(b);
    buffer_check_state(b);
}

/*
 * slot, distance before the data (1 + %16), xor mask (1 + %255).
 * A deliberate underflow: flips bits in the bytes right before the data,
 * where the canary sits, as a caller's out-of-bounds write would. The
 * buffer must report SM_ERR_CANARY on check, destroy and seal; flipping
 * the same bits back restores it.
 */
void op_buffer_break_canary(world *w) {
    m_buffer *b = pick_buffer(w);
    size_t back = 1 + fz_below(w->in, 16);
    uint8_t mask = (uint8_t)(1 + fz_below(w->in, 255));
    if (b->h == NULL || !b->alive || b->prot != SM_PROT_READWRITE)
        return;
    sm_buffer_data(b->h)[-(ptrdiff_t)back] ^= mask;
    b->canary_flips[16 - back] ^= mask;
    b->canary_broken = 0;
    for (size_t i = 0; i < 16; i++)
        b->canary_broken |= b->canary_flips[i] != 0;
    fuzz_trace("buffer.break_canary back=%zu mask=%02x broken=%d", back, mask, b->canary_broken);
}
