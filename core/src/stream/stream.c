/*
 * Streams: a FIFO of bytes kept as enclave-sealed chunks of the stream's
 * chunk size.
 *
 * The queued bytes are, in order:
 *   front[front_off, front_len)   the head chunk, opened because a read took
 *                                 only part of it (owned guarded buffer);
 *   head .. tail                  sealed chunks of exactly `chunk` bytes;
 *   pending[pend_off, pend_len)   the unsealed tail, filling up (owned
 *                                 guarded buffer of `chunk` bytes).
 * Between calls a stream holds no readable plaintext: front and pending
 * are locked, guarded and no-access at rest. A call that needs them makes
 * them accessible (pending read-write, front read-only) and no-access again
 * before it returns (stream_wake, stream_sleep); calls that move only whole
 * chunks never touch them.
 * A write tops up `pending` and seals it once it holds a whole chunk; whole
 * chunks of the caller's data are sealed straight from it. A write is
 * all-or-nothing: new chunks are built on a private list and spliced in
 * only when nothing more can fail.
 *
 * Plaintext only lives in guarded buffers (front, pending, the buffers
 * handed out) or in the caller's destination of sm_stream_read(), into
 * which whole chunks are decrypted directly.
 *
 * Locks: `mu` guards every field but `chunk`, `slot` (immutable) and `size`
 * (an atomic, written under mu so sm_stream_size() needs no lock).
 * Lock order: stream mu -> buffer mu / registry lock / coffer (co.mu).
 * sm_purge reaches a stream through its registry entry (pinned, no
 * registry lock held) and takes mu; sm_stream_free() therefore removes the
 * entry before it takes mu.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "config.h"
#include "enclave.h"
#include "registers.h"
#include "registry.h"

#define STREAM_CHUNK_MAX ((size_t)64 << 20)

typedef struct chunk {
    struct chunk *next;
    sm_enclave *e;
} chunk;

typedef struct chunk_list {
    chunk *head, *tail;
} chunk_list;

struct sm_stream {
    pthread_mutex_t mu;
    size_t chunk;       /* immutable */
    size_t slot;        /* registry entry, immutable */
    atomic_size_t size; /* bytes queued */
    chunk_list sealed;  /* oldest first */
    sm_buffer *front;   /* NULL when no chunk is half read */
    size_t front_off, front_len;
    sm_buffer *pending; /* allocated on the first partial chunk */
    size_t pend_off, pend_len;
    int front_awake, pend_awake; /* accessible during this call (see stream_wake) */
    int broken;                  /* a purge wiped queued bytes: reads give SM_ERR_AUTH */
};

static size_t min_size(size_t a, size_t b) {
    return a < b ? a : b;
}

/* ------------------------------------------------------------------ */
/* Chunk lists                                                         */
/* ------------------------------------------------------------------ */

static sm_status list_seal(chunk_list *l, const uint8_t *p, size_t n) {
    chunk *c = malloc(sizeof *c);
    if (c == NULL)
        return SM_ERR_NOMEM;
    sm_status st = sm__enclave_seal(p, n, &c->e);
    if (st != SM_OK) {
        free(c);
        return st;
    }
    c->next = NULL;
    if (l->tail != NULL)
        l->tail->next = c;
    else
        l->head = c;
    l->tail = c;
    return SM_OK;
}

static void list_pop(chunk_list *l) {
    chunk *c = l->head;
    l->head = c->next;
    if (l->head == NULL)
        l->tail = NULL;
    sm_enclave_free(c->e);
    free(c);
}

static void list_clear(chunk_list *l) {
    while (l->head != NULL)
        list_pop(l);
}

static void list_splice(chunk_list *dst, chunk_list *src) {
    if (src->head == NULL)
        return;
    if (dst->tail != NULL)
        dst->tail->next = src->head;
    else
        dst->head = src->head;
    dst->tail = src->tail;
}

/* ------------------------------------------------------------------ */
/* Plaintext at rest: no access between calls (mu held)               */
/* ------------------------------------------------------------------ */

/* Makes b accessible (open: melt or freeze) for this call, once; *awake remembers it. */
static sm_status wake(sm_buffer *b, int *awake, sm_status (*open)(sm_buffer *)) {
    if (b == NULL || *awake)
        return SM_OK;
    sm_status st = open(b);
    *awake = st == SM_OK;
    return st;
}

static void lose_contents_locked(sm_stream *s);

/*
 * First thing in every call: a buffer whose pages a forked child lost
 * (SM_BACKEND_SECRETMEM) breaks the stream, as a purge would.
 */
static void settle_lost(sm_stream *s) {
    if ((s->pending != NULL && !sm_buffer_is_alive(s->pending)) ||
        (s->front != NULL && !sm_buffer_is_alive(s->front)))
        lose_contents_locked(s);
}

/* Before a call touches them: pending read-write, and front read-only if asked. */
static sm_status stream_wake(sm_stream *s, int front_too) {
    sm_status st = wake(s->pending, &s->pend_awake, sm_buffer_melt);
    if (st == SM_OK && front_too)
        st = wake(s->front, &s->front_awake, sm_buffer_freeze);
    return st;
}

/* Before a call returns: no access to what it woke (or made). */
static void stream_sleep(sm_stream *s) {
    if (s->pend_awake && sm_buffer_noaccess(s->pending) == SM_OK)
        s->pend_awake = 0;
    if (s->front_awake && sm_buffer_noaccess(s->front) == SM_OK)
        s->front_awake = 0;
}

/* ------------------------------------------------------------------ */
/* Writing (mu held)                                                   */
/* ------------------------------------------------------------------ */

static uint8_t *pend_bytes(sm_stream *s) {
    return sm__buffer_bytes(s->pending);
}

/* Moves the unread pending bytes to offset 0 so the tail has room. */
static void pending_compact(sm_stream *s) {
    if (s->pend_off == 0)
        return;
    size_t n = s->pend_len - s->pend_off;
    memmove(pend_bytes(s), pend_bytes(s) + s->pend_off, n);
    sm_wipe(pend_bytes(s) + n, s->pend_len - n);
    s->pend_off = 0;
    s->pend_len = n;
}

static void pending_reset(sm_stream *s) {
    if (s->pending != NULL)
        sm_wipe(pend_bytes(s), s->chunk);
    s->pend_off = s->pend_len = 0;
}

/*
 * Seals a whole chunk made of the pending bytes topped up from p, onto l.
 * On success *taken bytes of p were used; pending itself is reset only at
 * commit. Returns SM_OK with *taken = 0 when p does not fill the chunk.
 */
static sm_status topup_seal(sm_stream *s, chunk_list *l, const uint8_t *p, size_t len,
                            size_t *taken) {
    *taken = 0;
    if (s->pend_len == 0 || s->pend_len + len < s->chunk)
        return SM_OK;
    size_t n = s->chunk - s->pend_len;
    memcpy(pend_bytes(s) + s->pend_len, p, n);
    sm_status st = list_seal(l, pend_bytes(s), s->chunk);
    if (st == SM_OK)
        *taken = n;
    return st;
}

static sm_status write_locked(sm_stream *s, const uint8_t *p, size_t len) {
    if (s->pending != NULL)
        pending_compact(s);
    chunk_list fresh = {NULL, NULL};
    size_t taken = 0;
    sm_status st = topup_seal(s, &fresh, p, len, &taken);
    int pending_sealed = taken > 0;
    while (st == SM_OK && len - taken >= s->chunk) {
        st = list_seal(&fresh, p + taken, s->chunk);
        taken += st == SM_OK ? s->chunk : 0;
    }
    size_t rest = len - taken;
    if (st == SM_OK && rest > 0 && s->pending == NULL) {
        st = sm__buffer_alloc(s->chunk, 1, &s->pending); /* read-write */
        s->pend_awake = st == SM_OK;
    }
    if (st != SM_OK) {
        list_clear(&fresh);
        if (s->pending != NULL) /* drop what a top-up copied in */
            sm_wipe(pend_bytes(s) + s->pend_len, s->chunk - s->pend_len);
        return st;
    }
    /* Commit: nothing below can fail. */
    if (pending_sealed)
        pending_reset(s);
    if (rest > 0) {
        memcpy(pend_bytes(s) + s->pend_len, p + taken, rest);
        s->pend_len += rest;
    }
    list_splice(&s->sealed, &fresh);
    atomic_fetch_add(&s->size, len);
    return SM_OK;
}

/* ------------------------------------------------------------------ */
/* Reading (mu held)                                                   */
/* ------------------------------------------------------------------ */

static void front_drop(sm_stream *s) {
    sm_buffer_free(s->front);
    s->front = NULL;
    s->front_off = s->front_len = 0;
    s->front_awake = 0;
}

static size_t take_front(sm_stream *s, uint8_t *dst, size_t cap) {
    size_t n = min_size(s->front_len - s->front_off, cap);
    memcpy(dst, sm__buffer_bytes(s->front) + s->front_off, n);
    s->front_off += n;
    if (s->front_off == s->front_len)
        front_drop(s);
    return n;
}

/* A whole chunk that fits is decrypted into dst; a larger one is opened into front. */
static sm_status take_sealed(sm_stream *s, uint8_t *dst, size_t cap, size_t *moved) {
    const sm_enclave *e = s->sealed.head->e;
    size_t n = sm_enclave_size(e);
    sm_status st;
    if (n <= cap) {
        st = sm__enclave_decrypt(e, dst);
        *moved = st == SM_OK ? n : 0;
    } else {
        st = sm__enclave_open_buffer(e, 1, &s->front); /* read-only */
        s->front_len = st == SM_OK ? n : 0;
        s->front_awake = st == SM_OK;
        *moved = 0;
    }
    if (st == SM_OK)
        list_pop(&s->sealed);
    return st;
}

static size_t take_pending(sm_stream *s, uint8_t *dst, size_t cap) {
    size_t n = min_size(s->pend_len - s->pend_off, cap);
    uint8_t *from = pend_bytes(s) + s->pend_off;
    memcpy(dst, from, n);
    sm_wipe(from, n);
    s->pend_off += n;
    if (s->pend_off == s->pend_len)
        s->pend_off = s->pend_len = 0;
    return n;
}

/* Moves up to cap bytes into dst, stopping at the first error. */
static sm_status drain(sm_stream *s, uint8_t *dst, size_t cap, size_t *moved) {
    size_t done = 0;
    sm_status st = SM_OK;
    while (done < cap && st == SM_OK) {
        size_t n = 0;
        if (s->front != NULL)
            n = take_front(s, dst + done, cap - done);
        else if (s->sealed.head != NULL)
            st = take_sealed(s, dst + done, cap - done, &n);
        else if (s->pend_len > s->pend_off)
            n = take_pending(s, dst + done, cap - done);
        else
            break;
        done += n;
    }
    atomic_fetch_sub(&s->size, done);
    *moved = done;
    return st;
}

/* A new public read-only buffer holding a copy of p[0..n). */
static sm_status copy_out(const uint8_t *p, size_t n, sm_buffer **out) {
    sm_status st = sm__buffer_alloc(n, 1, out); /* owned while filled */
    if (st != SM_OK)
        return st;
    memcpy(sm__buffer_bytes(*out), p, n);
    st = sm_buffer_freeze(*out);
    if (st != SM_OK) {
        sm_buffer_free(*out);
        *out = NULL;
        return st;
    }
    sm__buffer_publish(*out);
    return SM_OK;
}

static sm_status next_locked(sm_stream *s, sm_buffer **out) {
    size_t n = 0;
    sm_status st;
    if (s->front != NULL) {
        n = s->front_len - s->front_off;
        st = copy_out(sm__buffer_bytes(s->front) + s->front_off, n, out);
        if (st == SM_OK)
            front_drop(s);
    } else if (s->sealed.head != NULL) {
        n = sm_enclave_size(s->sealed.head->e);
        st = sm__enclave_open_buffer(s->sealed.head->e, 0, out);
        if (st == SM_OK)
            list_pop(&s->sealed);
    } else {
        n = s->pend_len - s->pend_off;
        st = copy_out(pend_bytes(s) + s->pend_off, n, out);
        if (st == SM_OK)
            pending_reset(s);
    }
    if (st == SM_OK)
        atomic_fetch_sub(&s->size, n);
    return st;
}

/* Decrypts or copies every queued byte into dst, consuming nothing. */
static sm_status gather(sm_stream *s, uint8_t *dst) {
    size_t off = 0;
    if (s->front != NULL) {
        off = s->front_len - s->front_off;
        memcpy(dst, sm__buffer_bytes(s->front) + s->front_off, off);
    }
    for (chunk *c = s->sealed.head; c != NULL; c = c->next) {
        sm_status st = sm__enclave_decrypt(c->e, dst + off);
        if (st != SM_OK)
            return st;
        off += sm_enclave_size(c->e);
    }
    if (s->pend_len > s->pend_off)
        memcpy(dst + off, pend_bytes(s) + s->pend_off, s->pend_len - s->pend_off);
    return SM_OK;
}

/* Frees everything queued (freeing a buffer wipes it, whatever its protection). */
static void release_all(sm_stream *s) {
    front_drop(s);
    list_clear(&s->sealed);
    sm_buffer_free(s->pending);
    s->pending = NULL;
    s->pend_off = s->pend_len = 0;
    s->pend_awake = 0;
}

static sm_status flush_locked(sm_stream *s, sm_buffer **out) {
    sm_buffer *b = NULL;
    sm_status st = sm__buffer_alloc(atomic_load(&s->size), 1, &b); /* owned while filled */
    if (st == SM_OK)
        st = gather(s, sm__buffer_bytes(b));
    if (st == SM_OK)
        st = sm_buffer_freeze(b);
    if (st != SM_OK) {
        sm_buffer_free(b);
        return st;
    }
    sm__buffer_publish(b);
    front_drop(s);
    list_clear(&s->sealed);
    pending_reset(s);
    atomic_store(&s->size, 0);
    *out = b;
    return SM_OK;
}

/* Status for a read-type call before it touches data: broken or empty. */
static sm_status readable_locked(sm_stream *s) {
    if (s->broken)
        return SM_ERR_AUTH;
    return atomic_load(&s->size) == 0 ? SM_ERR_EOF : SM_OK;
}

/* ------------------------------------------------------------------ */
/* Purge                                                               */
/* ------------------------------------------------------------------ */

/*
 * sm_purge: wipes and frees everything queued. A stream that held bytes
 * is broken for good (a FIFO that lost bytes in the middle must not hand
 * out later ones as if contiguous): its size is 0, reads give SM_ERR_AUTH
 * and writes SM_ERR_CLOSED. An empty one stays usable.
 */
/* With mu held: drops everything queued; a stream that lost bytes is broken. */
static void lose_contents_locked(sm_stream *s) {
    if (atomic_load(&s->size) > 0)
        s->broken = 1;
    release_all(s);
    atomic_store(&s->size, 0);
}

static void stream_purge(void *obj) {
    sm_stream *s = obj;
    pthread_mutex_lock(&s->mu);
    lose_contents_locked(s);
    pthread_mutex_unlock(&s->mu);
}

/*
 * With mu held, after a read-type call: a chunk that fails authentication
 * (sealed under a key a purge destroyed while a write was sealing it) means
 * bytes are lost, exactly as in a purge: the stream breaks rather than stick.
 */
static sm_status after_take_locked(sm_stream *s, sm_status st) {
    if (st == SM_ERR_AUTH)
        lose_contents_locked(s);
    return st;
}

/* ------------------------------------------------------------------ */
/* Public API                                                          */
/* ------------------------------------------------------------------ */

sm_status sm_stream_new(size_t chunk_size, sm_stream **out) {
    if (out != NULL)
        *out = NULL;
    if (out == NULL || chunk_size > STREAM_CHUNK_MAX)
        return SM_ERR_INVALID;
    sm_status st = sm__ensure_init();
    if (st != SM_OK)
        return st;
    sm_stream *s = calloc(1, sizeof *s);
    if (s == NULL)
        return SM_ERR_NOMEM;
    pthread_mutex_init(&s->mu, NULL);
    s->chunk = chunk_size != 0 ? chunk_size : 4 * sm_page_size();
    atomic_init(&s->size, 0);
    st = sm__registry_add(s, stream_purge, &s->slot);
    if (st != SM_OK) {
        pthread_mutex_destroy(&s->mu);
        free(s);
        return st;
    }
    *out = s;
    return SM_OK;
}

size_t sm_stream_chunk_size(const sm_stream *s) {
    return s != NULL ? s->chunk : 0;
}

sm_status sm_stream_write(sm_stream *s, const void *data, size_t len) {
    if (s == NULL || (data == NULL && len > 0))
        return SM_ERR_INVALID;
    if (len == 0)
        return SM_OK;
    pthread_mutex_lock(&s->mu);
    settle_lost(s);
    /* A stream that lost bytes to a purge takes no more: they could never be read. */
    sm_status st = s->broken ? SM_ERR_CLOSED : stream_wake(s, 0);
    if (st == SM_OK)
        st = write_locked(s, data, len);
    stream_sleep(s);
    pthread_mutex_unlock(&s->mu);
    sm__registers_clear();
    return st;
}

sm_status sm_stream_read(sm_stream *s, uint8_t *dst, size_t cap, size_t *nread) {
    if (nread != NULL)
        *nread = 0;
    if (s == NULL || dst == NULL || nread == NULL || cap == 0)
        return SM_ERR_INVALID;
    pthread_mutex_lock(&s->mu);
    settle_lost(s);
    sm_status st = readable_locked(s);
    size_t moved = 0;
    if (st == SM_OK)
        st = stream_wake(s, 1);
    if (st == SM_OK)
        st = after_take_locked(s, drain(s, dst, cap, &moved));
    stream_sleep(s);
    pthread_mutex_unlock(&s->mu);
    sm__registers_clear();
    *nread = moved;
    /* Bytes moved before an error are a success; the error shows next time. */
    return moved > 0 ? SM_OK : st;
}

/* Runs take (next_locked or flush_locked) under mu on a readable stream. */
static sm_status take_buffer(sm_stream *s, sm_buffer **out,
                             sm_status (*take)(sm_stream *, sm_buffer **)) {
    if (out != NULL)
        *out = NULL;
    if (s == NULL || out == NULL)
        return SM_ERR_INVALID;
    pthread_mutex_lock(&s->mu);
    settle_lost(s);
    sm_status st = readable_locked(s);
    if (st == SM_OK)
        st = stream_wake(s, 1);
    if (st == SM_OK)
        st = after_take_locked(s, take(s, out));
    stream_sleep(s);
    pthread_mutex_unlock(&s->mu);
    sm__registers_clear();
    return st;
}

sm_status sm_stream_next(sm_stream *s, sm_buffer **out) {
    return take_buffer(s, out, next_locked);
}

sm_status sm_stream_flush(sm_stream *s, sm_buffer **out) {
    return take_buffer(s, out, flush_locked);
}

size_t sm_stream_size(const sm_stream *s) {
    return s != NULL ? atomic_load(&((sm_stream *)s)->size) : 0;
}

void sm_stream_free(sm_stream *s) {
    if (s == NULL)
        return;
    sm__registry_remove(s->slot); /* waits for a purge running on it; no lock held */
    pthread_mutex_lock(&s->mu);
    release_all(s);
    pthread_mutex_unlock(&s->mu);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
