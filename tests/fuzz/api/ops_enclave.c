/* Interpreter operations on enclaves and the coffer (input layouts as in ops_buffer.c). */
#include <string.h>

#include "fuzz_check.h"
#include "sources.h"

#define DOC_NEW  (ST(SM_ERR_INVALID) | ST(SM_ERR_NOMEM) | ST(SM_ERR_MLOCK) | ST(SM_ERR_PROTECT))
#define DOC_OPEN (DOC_NEW | ST(SM_ERR_AUTH))
#define DOC_OPEN_INTO                                                                              \
    (ST(SM_ERR_INVALID) | ST(SM_ERR_CLOSED) | ST(SM_ERR_AUTH) | ST(SM_ERR_PROTECT) |               \
     ST(SM_ERR_NOMEM) | ST(SM_ERR_MLOCK))

/* An enclave opens only under the key it was sealed with: none purged since. */
static int current(const world *w, const m_enclave *e) {
    return e->epoch == w->purges;
}

/* slot, how (%8: 0-3 bytes, 4-5 random, 6 NULL source, 7 NULL out), len (fz_len), source. */
void op_enclave_new(world *w) {
    m_enclave *slot = pick_enclave(w);
    uint8_t how = fz_u8(w->in) % 8;
    int impossible;
    size_t len = fz_len(w->in, model_len_room(w), &impossible);
    mem_choice c;
    mem_choice_read(w->in, &c);
    if (model_len_room(w) == 0)
        return;
    enclave_drop(w, slot);
    int random = how == 4 || how == 5;
    sm_status want = len == 0 || impossible || how >= 6 ? SM_ERR_INVALID : SM_OK, st;
    sm_enclave *h = NOT_SET;
    mem_pick src = {0};
    if (random) {
        st = sm_enclave_new_random(len, how == 7 ? NULL : &h);
    } else {
        pick_wipeable(w, &c, len, impossible, &src);
        st = sm_enclave_new(how == 6 ? NULL : src.p, len, how == 7 ? NULL : &h);
    }
    fuzz_trace("enclave.new how=%u len=%zu -> %s", how, len, sm_status_name(st));
    (void)expect_status(random ? "sm_enclave_new_random" : "sm_enclave_new", DOC_NEW, st, want);
    /* "wipes src on every path"; a length no enclave can have is not src's (as for secrets). */
    if (!random && (how == 6 || len == 0))
        mem_check_untouched(&src, "sm_enclave_new (no source)");
    else if (!random && !impossible)
        mem_check_wiped(&src);
    if (st != SM_OK) {
        FUZZ_CHECK(how == 7 || h == NULL, "sm_enclave_new* failed but left *out set");
        mem_release(&src);
        return;
    }
    slot->h = h;
    slot->len = len;
    slot->bytes = model_alloc(len);
    slot->known = !random;
    slot->epoch = w->purges;
    model_hold(w, len);
    if (!random)
        memcpy(slot->bytes, src.saved, len);
    mem_release(&src);
    FUZZ_CHECK(sm_enclave_size(h) == len, "sm_enclave_size gave %zu, expected %zu",
               sm_enclave_size(h), len);
}

/* What an opened enclave showed: the model, or learnt when random. */
static void enclave_saw(m_enclave *e, const uint8_t *data, const char *call) {
    if (!e->known) {
        memcpy(e->bytes, data, e->len);
        e->known = 1;
        FUZZ_CHECK(e->len < 16 || !fuzz_all_zero(data, e->len), "random bytes are all zero");
        return;
    }
    FUZZ_BYTES(call, data, e->bytes, e->len);
}

/* enclave slot, buffer slot, variant (%16 == 0: out NULL). */
void op_enclave_open(world *w) {
    m_enclave *e = pick_enclave(w);
    m_buffer *slot = pick_buffer(w);
    int no_out = fz_u8(w->in) % 16 == 0;
    if (e->h == NULL)
        return;
    if (no_out) {
        FUZZ_STATUS("sm_enclave_open", DOC_OPEN, sm_enclave_open(e->h, NULL), SM_ERR_INVALID);
        return;
    }
    buffer_drop(w, slot);
    sm_buffer *h = NOT_SET;
    sm_status st = sm_enclave_open(e->h, &h);
    fuzz_trace("enclave.open len=%zu epoch=%u/%u -> %s", e->len, e->epoch, w->purges,
               sm_status_name(st));
    (void)expect_status("sm_enclave_open", DOC_OPEN, st, current(w, e) ? SM_OK : SM_ERR_AUTH);
    if (st != SM_OK) {
        FUZZ_CHECK(h == NULL, "sm_enclave_open failed but left *out set");
        return;
    }
    FUZZ_CHECK(sm_buffer_size(h) == e->len, "opened %zu bytes from a %zu-byte enclave",
               sm_buffer_size(h), e->len);
    FUZZ_CHECK(sm_buffer_protection(h) == SM_PROT_READ, "an opened buffer is not read-only");
    enclave_saw(e, sm_buffer_data(h), "sm_enclave_open");
    buffer_adopt(w, slot, h, e->bytes, e->len);
}

/* A fresh buffer of len bytes in protection prot, as open_into's destination. */
static int fresh_destination(world *w, m_buffer *slot, size_t len, sm_prot prot) {
    if (!model_room(w, len))
        return 0;
    fault_hold(1); /* set-up: an armed fault is for open_into */
    buffer_drop(w, slot);
    sm_buffer *h = NULL;
    FUZZ_STATUS("sm_buffer_new", ST(SM_ERR_INVALID), sm_buffer_new(len, &h), SM_OK);
    slot->h = h;
    slot->alive = 1;
    slot->len = len;
    slot->bytes = model_alloc(len);
    model_hold(w, len);
    slot->prot = prot;
    sm_status st = prot == SM_PROT_NONE   ? sm_buffer_noaccess(h)
                   : prot == SM_PROT_READ ? sm_buffer_freeze(h)
                                          : SM_OK;
    FUZZ_STATUS("sm_buffer_noaccess/freeze", ST(SM_ERR_PROTECT), st, SM_OK);
    fault_hold(0);
    return 1;
}

/*
 * open_into failed with an injected fault: the header promises nothing for
 * the destination then but that it stays a live buffer of its size, holding
 * either what it held or zeros (a failed decryption wipes it), readable or
 * not as it reports.
 */
static void open_into_failed(m_buffer *b) {
    b->prot = sm_buffer_protection(b->h);
    buffer_check_state(b);
    if (b->prot == SM_PROT_NONE)
        return;
    const uint8_t *data = sm_buffer_data(b->h);
    if (!fuzz_all_zero(data, b->len))
        FUZZ_BYTES("sm_enclave_open_into after a failure", data, b->bytes, b->len);
    memcpy(b->bytes, data, b->len);
}

/* enclave slot, buffer slot, fresh (&1: a new buffer of the right size), its protection (%3). */
void op_enclave_open_into(world *w) {
    m_enclave *e = pick_enclave(w);
    m_buffer *b = pick_buffer(w);
    int fresh = fz_u8(w->in) & 1;
    sm_prot prot = (sm_prot)(fz_u8(w->in) % 3);
    if (e->h == NULL || (fresh && !fresh_destination(w, b, e->len, prot)) || b->h == NULL)
        return;
    sm_status want = !b->alive          ? SM_ERR_CLOSED
                     : b->len != e->len ? SM_ERR_INVALID
                     : !current(w, e)   ? SM_ERR_AUTH
                                        : SM_OK;
    sm_status st = sm_enclave_open_into(e->h, b->h);
    fuzz_trace("enclave.open_into len=%zu dst len=%zu alive=%d prot=%d -> %s", e->len, b->len,
               b->alive, (int)b->prot, sm_status_name(st));
    if (expect_status("sm_enclave_open_into", DOC_OPEN_INTO, st, want)) {
        open_into_failed(b);
        return;
    }
    if (st == SM_OK || st == SM_ERR_AUTH) {
        /* A writable buffer stays writable; another is left read-only. */
        b->prot = b->prot == SM_PROT_READWRITE ? SM_PROT_READWRITE : SM_PROT_READ;
        if (st == SM_OK) {
            enclave_saw(e, sm_buffer_data(b->h), "sm_enclave_open_into");
            memcpy(b->bytes, e->bytes, e->len);
        } else { /* "On a decryption failure the buffer's data is wiped" */
            memset(b->bytes, 0, b->len);
        }
    }
    buffer_check_state(b);
    buffer_check_bytes(b);
}

/* slot. */
void op_enclave_free(world *w) {
    m_enclave *e = pick_enclave(w);
    fuzz_trace("enclave.free");
    if (e->h != NULL)
        FUZZ_CHECK(sm_enclave_size(e->h) == e->len, "sm_enclave_size gave %zu, expected %zu",
                   sm_enclave_size(e->h), e->len);
    enclave_drop(w, e);
}

/* nothing. */
void op_rekey(world *w) {
    (void)w;
    sm_status st = sm_coffer_rekey();
    fuzz_trace("coffer.rekey -> %s", sm_status_name(st));
    (void)expect_status("sm_coffer_rekey", ST(SM_ERR_NOMEM) | ST(SM_ERR_MLOCK) | ST(SM_ERR_PROTECT),
                        st, SM_OK);
}
