/* Sources and destinations of the interpreter's calls. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "sources.h"

void mem_choice_read(fz *in, mem_choice *c) {
    c->how = fz_u8(in) % 4;
    c->slot = fz_u8(in);
    c->seed = fz_u16(in);
    c->off = fz_u32(in);
}

/* The chosen buffer if it is live, holds at least len bytes and allows need; else NULL. */
static m_buffer *buffer_for(world *w, const mem_choice *c, size_t len, sm_prot need) {
    m_buffer *b = &w->b[c->slot % MAX_BUFFERS];
    if (c->how != 1 || b->h == NULL || !b->alive || b->len < len || b->prot < need)
        return NULL;
    return b;
}

static void from_buffer(m_buffer *b, const mem_choice *c, size_t len, mem_pick *out) {
    out->from = b;
    out->off = c->off % (b->len - len + 1);
    out->p = sm_buffer_data(b->h) + out->off;
    out->len = len;
    out->saved = model_dup(out->p, len);
}

static void from_heap(const mem_choice *c, size_t len, mem_pick *out) {
    out->heap = model_alloc(len);
    fz_pattern(c->seed, out->heap, len);
    out->p = out->heap;
    out->len = len;
    out->saved = model_dup(out->p, len);
}

void pick_wipeable(world *w, const mem_choice *c, size_t len, int impossible, mem_pick *out) {
    memset(out, 0, sizeof *out);
    m_buffer *b;
    if (impossible || len == 0)
        from_heap(c, 16, out);
    else if ((b = buffer_for(w, c, len, SM_PROT_READWRITE)) != NULL)
        from_buffer(b, c, len, out);
    else
        from_heap(c, len, out);
}

void pick_readable(world *w, const mem_choice *c, size_t len, mem_pick *out) {
    memset(out, 0, sizeof *out);
    m_buffer *b = buffer_for(w, c, len, SM_PROT_READ);
    m_secret *s = &w->s[c->slot % MAX_SECRETS];
    if (b != NULL) {
        from_buffer(b, c, len, out);
    } else if (c->how == 2 && s->h != NULL && s->acquires > 0 && s->len >= len) {
        out->off = c->off % (s->len - len + 1);
        out->p = (uint8_t *)s->view + out->off; /* read-only: never written */
        out->len = len;
        out->saved = model_dup(out->p, len);
    } else {
        from_heap(c, len, out);
    }
}

void pick_destination(world *w, const mem_choice *c, size_t len, mem_pick *out) {
    memset(out, 0, sizeof *out);
    m_buffer *b = buffer_for(w, c, len, SM_PROT_READWRITE);
    if (b != NULL)
        from_buffer(b, c, len, out);
    else
        from_heap(c, len, out);
}

void mem_check_wiped(mem_pick *m) {
    FUZZ_CHECK(fuzz_all_zero(m->p, m->len), "the %zu source bytes were not wiped", m->len);
    if (m->from != NULL)
        memset(m->from->bytes + m->off, 0, m->len);
}

void mem_check_untouched(const mem_pick *m, const char *call) {
    FUZZ_CHECK(memcmp(m->p, m->saved, m->len) == 0, "%s changed memory it must not touch", call);
}

void mem_after_copy(mem_pick *m, size_t n, const char *call) {
    FUZZ_CHECK(n <= m->len, "%s reported %zu bytes for room of %zu", call, n, m->len);
    FUZZ_CHECK(memcmp(m->p + n, m->saved + n, m->len - n) == 0,
               "%s wrote past the %zu bytes it reported", call, n);
    if (m->from != NULL)
        memcpy(m->from->bytes + m->off, m->p, n);
}

void mem_release(mem_pick *m) {
    free(m->heap);
    free(m->saved);
    memset(m, 0, sizeof *m);
}
