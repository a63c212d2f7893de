/*
 * Secrets: immutable bytes behind a counted access protocol.
 *
 * PROTECTED keeps the bytes in an owned guarded buffer, no access at rest;
 * the first reader makes it read-only, the last one makes it no-access
 * again. ENCLAVE keeps an enclave at rest; the first reader opens it into an
 * owned guarded buffer, the last one destroys that buffer.
 *
 * Each secret has a mutex `mu` guarding state, readers and the open buffer,
 * and a condvar `changed` signalled when readers drop to zero or the state
 * becomes CLOSED. State goes OPEN -> CLOSING -> CLOSED once; the thread that
 * moves it to CLOSING waits for readers and owns the teardown, which it does
 * without holding `mu` (the registry call may wait for a purge pin).
 *
 * Lock order: secret mu -> buffer mu (protection changes) and the coffer
 * (opening an ENCLAVE). The registry is never called with mu held, except
 * the owned buffers' add/set_region, which take only the leaf reg_lock.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "config.h"
#include "enclave.h"
#include "registry.h"
#include "stats.h"

enum { OPEN, CLOSING, CLOSED };

struct sm_secret {
    pthread_mutex_t mu;
    pthread_cond_t changed;
    atomic_int state; /* written under mu */
    sm_kind kind;
    size_t len;
    unsigned long readers; /* mu */
    sm_buffer *buf;        /* PROTECTED: always; ENCLAVE: while readers > 0 (mu) */
    sm_enclave *enc;       /* ENCLAVE only */
    size_t slot;
};

static _Thread_local int last_callback_result; /* thread-local: no lock */

static sm_counter kind_counter(sm_kind kind) {
    return kind == SM_KIND_PROTECTED ? SM_CTR_SECRETS_PROTECTED : SM_CTR_SECRETS_ENCLAVE;
}

static sm_status secret_close(sm_secret *s, int wait_if_closing);

static void purge_secret(void *obj) {
    (void)secret_close(obj, 0);
}

static sm_status secret_wrap(sm_kind kind, size_t len, sm_buffer *buf, sm_enclave *enc,
                             sm_secret **out) {
    sm_secret *s = calloc(1, sizeof *s);
    if (s == NULL)
        return SM_ERR_NOMEM;
    s->kind = kind;
    s->len = len;
    s->buf = buf;
    s->enc = enc;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->changed, NULL);
    atomic_store_explicit(&s->state, OPEN, memory_order_release);
    sm__stat_add(kind_counter(kind), 1);
    /* Registered last: from here on a concurrent purge may close it. */
    sm_status st = sm__registry_add(s, purge_secret, &s->slot);
    if (st != SM_OK) {
        sm__stat_sub(kind_counter(kind), 1);
        pthread_cond_destroy(&s->changed);
        pthread_mutex_destroy(&s->mu);
        free(s);
        return st;
    }
    *out = s;
    return SM_OK;
}

/* Fills an owned buffer via fill(ctx, data) and seals it at rest per kind. */
typedef void (*fill_fn)(void *ctx, uint8_t *data, size_t len);

static sm_status protected_storage(size_t len, fill_fn fill, void *ctx, sm_buffer **out) {
    sm_status st = sm__buffer_alloc(len, 1, out);
    if (st != SM_OK)
        return st;
    fill(ctx, sm__buffer_bytes(*out), len);
    st = sm_buffer_noaccess(*out);
    if (st != SM_OK) {
        sm_buffer_free(*out);
        *out = NULL;
    }
    return st;
}

static void fill_copy(void *ctx, uint8_t *data, size_t len) {
    memcpy(data, ctx, len);
}

static void fill_random(void *ctx, uint8_t *data, size_t len) {
    (void)ctx;
    randombytes_buf(data, len);
}

/* Copies are sealed straight from the caller's memory; random bytes are
 * generated in guarded memory first, so they never exist unguarded. */
static sm_status enclave_storage(size_t len, fill_fn fill, void *ctx, sm_enclave **out) {
    if (fill == fill_copy)
        return sm__enclave_seal(ctx, len, out);
    return sm_enclave_new_random(len, out);
}

static sm_status secret_create(sm_kind kind, size_t len, fill_fn fill, void *ctx, sm_secret **out) {
    sm_buffer *buf = NULL;
    sm_enclave *enc = NULL;
    sm_status st = kind == SM_KIND_PROTECTED ? protected_storage(len, fill, ctx, &buf)
                                             : enclave_storage(len, fill, ctx, &enc);
    if (st == SM_OK)
        st = secret_wrap(kind, len, buf, enc, out);
    if (st != SM_OK) {
        sm_buffer_free(buf);
        sm_enclave_free(enc);
    }
    return st;
}

static int kind_ok(sm_kind kind) {
    return kind == SM_KIND_PROTECTED || kind == SM_KIND_ENCLAVE;
}

sm_status sm_secret_new(sm_kind kind, void *src, size_t len, sm_secret **out) {
    sm_status st = SM_ERR_INVALID;
    if (out != NULL)
        *out = NULL;
    if (kind_ok(kind) && src != NULL && out != NULL && len > 0)
        st = secret_create(kind, len, fill_copy, src, out);
    sm_wipe(src, len);
    return st;
}

sm_status sm_secret_new_random(sm_kind kind, size_t len, sm_secret **out) {
    if (out != NULL)
        *out = NULL;
    if (!kind_ok(kind) || out == NULL || len == 0)
        return SM_ERR_INVALID;
    return secret_create(kind, len, fill_random, NULL, out);
}

/* With mu held: makes the bytes readable for the first reader. */
static sm_status first_reader(sm_secret *s) {
    if (s->kind == SM_KIND_PROTECTED)
        return sm_buffer_freeze(s->buf);
    return sm__enclave_open_buffer(s->enc, 1, &s->buf);
}

/* With mu held: hides the bytes again after the last reader. */
static void last_reader(sm_secret *s) {
    if (s->kind == SM_KIND_PROTECTED) {
        (void)sm_buffer_noaccess(s->buf);
        return;
    }
    sm_buffer_free(s->buf);
    s->buf = NULL;
}

sm_status sm_secret_acquire(sm_secret *s, const uint8_t **data, size_t *len) {
    if (s == NULL || data == NULL || len == NULL)
        return SM_ERR_INVALID;
    pthread_mutex_lock(&s->mu);
    sm_status st = SM_ERR_CLOSED;
    if (atomic_load_explicit(&s->state, memory_order_relaxed) == OPEN) {
        st = s->readers == 0 ? first_reader(s) : SM_OK;
        if (st == SM_OK) {
            s->readers++;
            *data = sm__buffer_bytes(s->buf);
            *len = s->len;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return st;
}

sm_status sm_secret_release(sm_secret *s) {
    if (s == NULL)
        return SM_ERR_INVALID;
    pthread_mutex_lock(&s->mu);
    sm_status st = SM_ERR_INVALID;
    if (s->readers > 0) {
        st = SM_OK;
        if (--s->readers == 0) {
            last_reader(s);
            pthread_cond_broadcast(&s->changed);
        }
    }
    pthread_mutex_unlock(&s->mu);
    return st;
}

sm_status sm_secret_with_bytes(sm_secret *s, sm_bytes_fn fn, void *ctx) {
    if (fn == NULL)
        return SM_ERR_INVALID;
    const uint8_t *data = NULL;
    size_t len = 0;
    sm_status st = sm_secret_acquire(s, &data, &len);
    if (st != SM_OK)
        return st;
    int rc = fn(ctx, data, len);
    (void)sm_secret_release(s);
    last_callback_result = rc;
    return rc == 0 ? SM_OK : SM_ERR_CALLBACK;
}

int sm_secret_last_callback_result(void) {
    return last_callback_result;
}

sm_status sm_secret_read(sm_secret *s, size_t offset, uint8_t *dst, size_t cap, size_t *nread) {
    if (nread != NULL)
        *nread = 0;
    if (s == NULL || dst == NULL || nread == NULL || cap == 0)
        return SM_ERR_INVALID;
    const uint8_t *data = NULL;
    size_t len = 0;
    sm_status st = sm_secret_acquire(s, &data, &len);
    if (st != SM_OK)
        return st;
    if (offset >= len) {
        st = SM_ERR_EOF;
    } else {
        size_t n = len - offset < cap ? len - offset : cap;
        memcpy(dst, data + offset, n);
        *nread = n;
    }
    (void)sm_secret_release(s);
    return st;
}

size_t sm_secret_size(const sm_secret *s) {
    return s != NULL ? s->len : 0;
}

sm_kind sm_secret_kind(const sm_secret *s) {
    return s != NULL ? s->kind : SM_KIND_PROTECTED;
}

int sm_secret_is_closed(const sm_secret *s) {
    return s == NULL ||
           atomic_load_explicit(&((sm_secret *)s)->state, memory_order_acquire) != OPEN;
}

/* Teardown by the thread that moved the secret to CLOSING; mu not held. */
static void teardown(sm_secret *s) {
    sm_buffer_free(s->buf);
    sm_enclave_free(s->enc);
    s->buf = NULL;
    s->enc = NULL;
    sm__registry_remove(s->slot);
    s->slot = SM_REGISTRY_NONE;
    sm__stat_sub(kind_counter(s->kind), 1);
}

static sm_status secret_close(sm_secret *s, int wait_if_closing) {
    pthread_mutex_lock(&s->mu);
    if (atomic_load_explicit(&s->state, memory_order_relaxed) != OPEN) {
        while (wait_if_closing && atomic_load_explicit(&s->state, memory_order_relaxed) != CLOSED)
            pthread_cond_wait(&s->changed, &s->mu);
        pthread_mutex_unlock(&s->mu);
        return SM_OK;
    }
    atomic_store_explicit(&s->state, CLOSING, memory_order_release);
    while (s->readers > 0)
        pthread_cond_wait(&s->changed, &s->mu);
    pthread_mutex_unlock(&s->mu);

    teardown(s);

    pthread_mutex_lock(&s->mu);
    atomic_store_explicit(&s->state, CLOSED, memory_order_release);
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->mu);
    return SM_OK;
}

sm_status sm_secret_close(sm_secret *s) {
    if (s == NULL)
        return SM_ERR_INVALID;
    return secret_close(s, 1);
}

void sm_secret_free(sm_secret *s) {
    if (s == NULL)
        return;
    (void)secret_close(s, 1);
    pthread_cond_destroy(&s->changed);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
