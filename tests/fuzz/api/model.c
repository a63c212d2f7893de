/* The model's objects: allocation, slots, freeing, state checks. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "maps.h"
#include "model.h"

const char model_not_set;

uint8_t *model_alloc(size_t len) {
    uint8_t *p = calloc(len ? len : 1, 1);
    FUZZ_CHECK(p != NULL, "the fuzzer ran out of memory for %zu bytes", len);
    return p;
}

uint8_t *model_dup(const void *p, size_t len) {
    uint8_t *q = model_alloc(len);
    if (len > 0)
        memcpy(q, p, len);
    return q;
}

void model_free_bytes(world *w, uint8_t **p, size_t len) {
    if (*p == NULL)
        return;
    free(*p);
    *p = NULL;
    w->held -= len;
}

int model_room(const world *w, size_t len) {
    return w->held <= BUDGET_BYTES && len <= BUDGET_BYTES - w->held;
}

size_t model_len_room(const world *w) {
    size_t room = w->held < BUDGET_BYTES ? BUDGET_BYTES - w->held : 0;
    size_t cap = 512 * sm_page_size() + 1;
    return room < cap ? room : cap;
}

void model_hold(world *w, size_t len) {
    w->held += len;
}

m_buffer *pick_buffer(world *w) {
    return &w->b[fz_below(w->in, MAX_BUFFERS)];
}

m_secret *pick_secret(world *w) {
    return &w->s[fz_below(w->in, MAX_SECRETS)];
}

m_enclave *pick_enclave(world *w) {
    return &w->e[fz_below(w->in, MAX_ENCLAVES)];
}

m_stream *pick_stream(world *w) {
    return &w->t[fz_below(w->in, MAX_STREAMS)];
}

int expect_status(const char *call, unsigned doc, sm_status got, sm_status want) {
    if (fault_fired() && got == fault_status() && got != want) {
        FUZZ_STATUS(call, doc, got, got); /* documented? */
        return 1;
    }
    FUZZ_CHECK(!fault_fired() || got == want || got == fault_status(),
               "%s returned %s with an injected %s, expected %s or %s", call, sm_status_name(got),
               sm_status_name(fault_status()), sm_status_name(want),
               sm_status_name(fault_status()));
    FUZZ_STATUS(call, doc, got, want);
    return 0;
}

void buffer_drop(world *w, m_buffer *b) {
    if (b->h == NULL)
        return;
    sm_buffer_free(b->h);
    model_free_bytes(w, &b->bytes, b->len);
    memset(b, 0, sizeof *b);
}

void secret_release_all(m_secret *s) {
    for (; s->acquires > 0; s->acquires--) {
        /* An injected protection failure still ends the access (header);
         * the last one leaves the pages read-only, as op_secret_release. */
        s->exposed = expect_status("sm_secret_release", ST(SM_ERR_INVALID) | ST(SM_ERR_PROTECT),
                                   sm_secret_release(s->h), SM_OK);
    }
    s->view = NULL;
}

void secret_drop(world *w, m_secret *s) {
    if (s->h == NULL)
        return;
    secret_release_all(s);
    sm_secret_free(s->h);
    model_free_bytes(w, &s->bytes, s->len);
    memset(s, 0, sizeof *s);
}

void enclave_drop(world *w, m_enclave *e) {
    if (e->h == NULL)
        return;
    sm_enclave_free(e->h);
    model_free_bytes(w, &e->bytes, e->len);
    memset(e, 0, sizeof *e);
}

void stream_drop(world *w, m_stream *t) {
    if (t->h == NULL)
        return;
    sm_stream_free(t->h);
    model_free_bytes(w, &t->q, STREAM_MAX_BYTES);
    memset(t, 0, sizeof *t);
}

void buffer_adopt(world *w, m_buffer *slot, sm_buffer *h, const uint8_t *bytes, size_t len) {
    buffer_drop(w, slot);
    slot->h = h;
    slot->alive = 1;
    slot->len = len;
    slot->prot = SM_PROT_READ;
    slot->bytes = model_dup(bytes, len);
    model_hold(w, len);
    buffer_check_state(slot);
    buffer_check_bytes(slot);
}

void buffer_dead(m_buffer *b) {
    b->alive = 0;
    b->canary_broken = 0;
    memset(b->canary_flips, 0, sizeof b->canary_flips);
}

void buffer_check_state(const m_buffer *b) {
    FUZZ_CHECK(sm_buffer_is_alive(b->h) == b->alive, "sm_buffer_is_alive gave %d, expected %d",
               sm_buffer_is_alive(b->h), b->alive);
    size_t size = sm_buffer_size(b->h);
    FUZZ_CHECK(size == (b->alive ? b->len : 0), "sm_buffer_size gave %zu, expected %zu", size,
               b->alive ? b->len : 0);
    sm_prot prot = sm_buffer_protection(b->h);
    FUZZ_CHECK(prot == (b->alive ? b->prot : SM_PROT_NONE),
               "sm_buffer_protection gave %d, expected %d", (int)prot,
               (int)(b->alive ? b->prot : SM_PROT_NONE));
    FUZZ_CHECK((sm_buffer_data(b->h) != NULL) == b->alive,
               "sm_buffer_data gave %s for a buffer that is %s",
               sm_buffer_data(b->h) ? "a pointer" : "NULL", b->alive ? "alive" : "not alive");
}

void buffer_check_bytes(const m_buffer *b) {
    if (b->alive && b->prot != SM_PROT_NONE)
        FUZZ_BYTES("buffer data", sm_buffer_data(b->h), b->bytes, b->len);
}

static void real_buffer(const m_buffer *b) {
    const uint8_t *data = sm_buffer_data(b->h);
    int first = maps_prot(data), last = maps_prot(data + b->len - 1);
    FUZZ_CHECK(first == (int)b->prot && last == (int)b->prot,
               "a buffer reported (and modelled) with protection %d is %d/%d in /proc/self/maps",
               (int)b->prot, first, last);
}

void check_real_protections(const world *w) {
    FUZZ_CHECK(maps_snapshot() == 0, "cannot read /proc/self/maps");
    for (size_t i = 0; i < MAX_BUFFERS; i++)
        if (w->b[i].h != NULL && w->b[i].alive)
            real_buffer(&w->b[i]);
    for (size_t i = 0; i < MAX_SECRETS; i++) {
        const m_secret *s = &w->s[i];
        if (s->h == NULL || s->closed || s->kind != SM_KIND_PROTECTED || s->home == NULL)
            continue;
        int want = s->acquires > 0 || s->exposed ? SM_PROT_READ : SM_PROT_NONE;
        int got = maps_prot(s->home);
        FUZZ_CHECK(got == want, "a PROTECTED secret with %u accesses open is %d in /proc/self/maps",
                   s->acquires, got);
    }
}

void world_clear(world *w) {
    for (size_t i = 0; i < MAX_SECRETS; i++)
        secret_drop(w, &w->s[i]);
    for (size_t i = 0; i < MAX_BUFFERS; i++)
        buffer_drop(w, &w->b[i]);
    for (size_t i = 0; i < MAX_ENCLAVES; i++)
        enclave_drop(w, &w->e[i]);
    for (size_t i = 0; i < MAX_STREAMS; i++)
        stream_drop(w, &w->t[i]);
    FUZZ_CHECK(w->held == 0, "the model still counts %zu bytes after clearing", w->held);
}
