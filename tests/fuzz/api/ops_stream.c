/* Interpreter operations on streams (input layouts as in ops_buffer.c). */
#include <string.h>

#include "fuzz_check.h"
#include "sources.h"

#define DOC_WRITE                                                                                  \
    (ST(SM_ERR_INVALID) | ST(SM_ERR_CLOSED) | ST(SM_ERR_NOMEM) | ST(SM_ERR_MLOCK) |                \
     ST(SM_ERR_PROTECT))
#define DOC_READ                                                                                   \
    (ST(SM_ERR_INVALID) | ST(SM_ERR_EOF) | ST(SM_ERR_AUTH) | ST(SM_ERR_NOMEM) | ST(SM_ERR_MLOCK) | \
     ST(SM_ERR_PROTECT))

/* A chunk size (how u8, value u32, absurd u8): the default (0), small, around pages, absurd. */
static size_t pick_chunk(world *w, int *impossible) {
    uint8_t how = fz_u8(w->in) % 8;
    uint32_t v = fz_u32(w->in);
    size_t absurd = fz_impossible_len(w->in);
    *impossible = how == 6;
    switch (how) {
    case 0:
        return 0;
    case 1:
    case 2:
    case 3:
        return 1 + v % 64;
    case 4:
        return 1 + v % (4 * sm_page_size());
    case 5:
        return sm_page_size() * (1 + v % 4);
    case 6:
        return absurd;
    default:
        return 1 + v % 1024;
    }
}

/* slot, variant (%16 == 0: out NULL), chunk size (pick_chunk). */
void op_stream_new(world *w) {
    m_stream *slot = pick_stream(w);
    int impossible, no_out = fz_u8(w->in) % 16 == 0;
    size_t chunk = pick_chunk(w, &impossible);
    stream_drop(w, slot);
    if (!model_room(w, STREAM_MAX_BYTES))
        return;
    sm_stream *h = NOT_SET;
    sm_status st = sm_stream_new(chunk, no_out ? NULL : &h);
    fuzz_trace("stream.new chunk=%zu -> %s", chunk, sm_status_name(st));
    FUZZ_STATUS("sm_stream_new", ST(SM_ERR_INVALID) | ST(SM_ERR_NOMEM), st,
                impossible || no_out ? SM_ERR_INVALID : SM_OK);
    if (st != SM_OK) {
        FUZZ_CHECK(no_out || h == NULL, "sm_stream_new failed but left *out set");
        return;
    }
    slot->h = h;
    slot->chunk = chunk != 0 ? chunk : 4 * sm_page_size();
    slot->q = model_alloc(STREAM_MAX_BYTES);
    model_hold(w, STREAM_MAX_BYTES);
    FUZZ_CHECK(sm_stream_chunk_size(h) == slot->chunk, "sm_stream_chunk_size gave %zu, asked %zu",
               sm_stream_chunk_size(h), chunk);
    FUZZ_CHECK(sm_stream_size(h) == 0, "a new stream holds %zu bytes", sm_stream_size(h));
}

static void check_size(const m_stream *t) {
    FUZZ_CHECK(sm_stream_size(t->h) == t->qlen, "sm_stream_size gave %zu, expected %zu",
               sm_stream_size(t->h), t->qlen);
}

/* slot, len (u32 % room), variant (%16 == 0: data NULL), source. */
void op_stream_write(world *w) {
    m_stream *t = pick_stream(w);
    uint32_t len_in = fz_u32(w->in);
    int no_data = fz_u8(w->in) % 16 == 0;
    mem_choice c;
    mem_choice_read(w->in, &c);
    if (t->h == NULL)
        return;
    size_t room = STREAM_MAX_BYTES - t->qlen, most = t->chunk * STREAM_MAX_CHUNKS;
    size_t len = len_in % ((room < most ? room : most) + 1);
    if (no_data) {
        sm_status st = sm_stream_write(t->h, NULL, len);
        FUZZ_STATUS("sm_stream_write", DOC_WRITE, st, len > 0 ? SM_ERR_INVALID : SM_OK);
        check_size(t);
        return;
    }
    mem_pick src;
    pick_readable(w, &c, len, &src);
    sm_status want = len > 0 && t->broken ? SM_ERR_CLOSED : SM_OK;
    sm_status st = sm_stream_write(t->h, src.p, len);
    fuzz_trace("stream.write len=%zu chunk=%zu queued=%zu -> %s", len, t->chunk, t->qlen,
               sm_status_name(st));
    (void)expect_status("sm_stream_write", DOC_WRITE, st, want); /* all or nothing */
    mem_check_untouched(&src, "sm_stream_write");
    if (st == SM_OK && len > 0) {
        memcpy(t->q + t->qlen, src.saved, len);
        t->qlen += len;
    }
    mem_release(&src);
    check_size(t);
}

/* Takes n bytes off the front of the model's queue. */
static void pop(m_stream *t, size_t n) {
    memmove(t->q, t->q + n, t->qlen - n);
    t->qlen -= n;
}

/* The status a read-type call must give before it moves anything. */
static sm_status readable(const m_stream *t) {
    return t->broken ? SM_ERR_AUTH : t->qlen == 0 ? SM_ERR_EOF : SM_OK;
}

/* slot, cap (u32 % (queued + 2 chunks), at most 64 KiB; 0 is refused), destination. */
void op_stream_read(world *w) {
    m_stream *t = pick_stream(w);
    uint32_t cap_in = fz_u32(w->in);
    mem_choice c;
    mem_choice_read(w->in, &c);
    if (t->h == NULL)
        return;
    size_t bound = t->qlen + 2 * t->chunk < 65536 ? t->qlen + 2 * t->chunk : 65536;
    size_t cap = cap_in % bound;
    mem_pick dst;
    pick_destination(w, &c, cap > 0 ? cap : 1, &dst);
    size_t n = 12345;
    sm_status want = cap == 0 ? SM_ERR_INVALID : readable(t);
    sm_status st = sm_stream_read(t->h, dst.p, cap, &n);
    fuzz_trace("stream.read cap=%zu queued=%zu -> %s n=%zu", cap, t->qlen, sm_status_name(st), n);
    (void)expect_status("sm_stream_read", DOC_READ, st, want);
    size_t expect_n = st == SM_OK ? (t->qlen < cap ? t->qlen : cap) : 0;
    /* A fault on a later chunk stops the read there: fewer bytes ("up to cap"), none lost. */
    int short_ok = fault_fired() && st == SM_OK && n > 0 && n < expect_n;
    FUZZ_CHECK(n == expect_n || short_ok, "sm_stream_read moved %zu bytes, expected %zu", n,
               expect_n);
    mem_after_copy(&dst, n, "sm_stream_read");
    FUZZ_BYTES("sm_stream_read", dst.p, t->q, n);
    pop(t, n);
    mem_release(&dst);
    check_size(t);
}

/* stream slot, buffer slot, flush (&1: flush, else next), variant (%16 == 0: out NULL). */
void op_stream_take(world *w) {
    m_stream *t = pick_stream(w);
    m_buffer *slot = pick_buffer(w);
    int flush = fz_u8(w->in) & 1, no_out = fz_u8(w->in) % 16 == 0;
    const char *call = flush ? "sm_stream_flush" : "sm_stream_next";
    if (t->h == NULL)
        return;
    if (!no_out)
        buffer_drop(w, slot);
    sm_buffer *h = NOT_SET;
    sm_buffer **out = no_out ? NULL : &h;
    sm_status st = flush ? sm_stream_flush(t->h, out) : sm_stream_next(t->h, out);
    fuzz_trace("%s queued=%zu chunk=%zu -> %s", call, t->qlen, t->chunk, sm_status_name(st));
    (void)expect_status(call, DOC_READ, st, no_out ? SM_ERR_INVALID : readable(t));
    if (st != SM_OK) {
        FUZZ_CHECK(no_out || h == NULL, "%s failed but left *out set", call);
        check_size(t);
        return;
    }
    size_t n = sm_buffer_size(h);
    size_t most = flush ? t->qlen : t->chunk < t->qlen ? t->chunk : t->qlen;
    FUZZ_CHECK(n >= 1 && n <= most && (!flush || n == most),
               "%s gave %zu bytes (queued %zu, chunk %zu)", call, n, t->qlen, t->chunk);
    FUZZ_CHECK(sm_buffer_protection(h) == SM_PROT_READ, "%s gave a buffer that is not read-only",
               call);
    FUZZ_BYTES(call, sm_buffer_data(h), t->q, n);
    buffer_adopt(w, slot, h, t->q, n);
    pop(t, n);
    check_size(t);
}

/* slot. */
void op_stream_free(world *w) {
    m_stream *t = pick_stream(w);
    fuzz_trace("stream.free");
    if (t->h != NULL)
        check_size(t);
    stream_drop(w, t);
}
