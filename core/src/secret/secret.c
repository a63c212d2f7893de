/*
 * Secrets: immutable bytes behind a counted access protocol.
 *
 * PROTECTED keeps the bytes in an owned guarded buffer, no access at rest;
 * the first reader makes it read-only, the last one makes it no-access
 * again. ENCLAVE keeps an enclave at rest (ciphertext and handle only: no
 * locked memory); the first reader decrypts it into an enclave view
 * (views.h: a pooled locked page, read-only for readers, written only by
 * the library), and the last one wipes the view and gives it back. A
 * secret too large for a view, or a process under SM_FORK_KEEP, opens
 * into an owned guarded buffer instead. While a view holds plaintext the
 * secret's own registry entry carries it as its region, so the fault path
 * wipes it: the view is registered before the decryption writes into it,
 * and wiped before it leaves the registry.
 *
 * Each secret has a mutex `mu` guarding state, readers, `exposed` and the
 * open bytes, and a condvar `changed` signalled when readers drop to zero
 * or the state becomes CLOSED. State goes OPEN -> CLOSING -> CLOSED once;
 * the thread that moves it to CLOSING waits for readers and owns the
 * teardown, which it does without holding `mu` (the registry call may wait
 * for a purge pin).
 *
 * Readers share one unprotect (one decryption): `waiting` (atomic) counts
 * threads between entering sm_secret_acquire() and taking mu. When the
 * last reader leaves while another thread is already waiting for mu, it
 * hands the open bytes over instead of hiding them (`exposed`); the waiter
 * takes them without a protection change. Whoever takes mu and finds the
 * bytes exposed with no reader and nobody waiting hides them, and close
 * hides them before teardown, so exposed bytes never outlive the demand.
 *
 * Lock order: secret mu -> buffer mu (protection changes), the coffer
 * (opening an ENCLAVE) and views_lock (taking or giving a view). The
 * registry is never called with mu held, except the owned buffers'
 * add/set_region and the secret's own set_region, which take only the leaf
 * reg_lock or no lock.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "config.h"
#include "enclave.h"
#include "pool.h"
#include "random.h"
#include "registers.h"
#include "registry.h"
#include "secret.h"
#include "stats.h"
#include "views.h"

enum { OPEN, CLOSING, CLOSED };

struct sm_secret {
    pthread_mutex_t mu;
    pthread_cond_t changed;
    atomic_int state; /* written under mu */
    sm_kind kind;
    size_t len;
    unsigned long readers; /* mu */
    atomic_uint waiting;   /* threads in acquire that have not taken mu yet */
    int exposed;           /* mu: the bytes are open with no reader (handed over) */
    sm_buffer *buf;        /* PROTECTED: always; ENCLAVE: while open without a view (mu) */
    sm_view view;          /* ENCLAVE: while open in a view (view.read != NULL) (mu) */
    const uint8_t *plain;  /* the open bytes (mu) */
    sm_enclave *enc;       /* ENCLAVE only */
    size_t slot;
    int secretmem; /* made under SM_BACKEND_SECRETMEM, in fork generation gen */
    unsigned gen;
};

static _Thread_local int last_callback_result;  /* thread-local: no lock */
static _Atomic(sm_view_observer) view_observer; /* test hook, atomic */

void sm__secret_set_view_observer(sm_view_observer fn) {
    atomic_store(&view_observer, fn);
}

static void observe_view(sm_view_event event, const sm_view *v) {
    sm_view_observer observe = atomic_load_explicit(&view_observer, memory_order_acquire);
    if (observe != NULL)
        observe(event, v->read, sm__view_capacity());
}

static sm_counter kind_counter(sm_kind kind) {
    return kind == SM_KIND_PROTECTED ? SM_CTR_SECRETS_PROTECTED : SM_CTR_SECRETS_ENCLAVE;
}

static sm_status secret_close(sm_secret *s, int wait_if_closing);

static void purge_secret(void *obj) {
    (void)secret_close(obj, 0);
}

/*
 * mu is held only for short steps (one protection change or decryption),
 * so a thread that finds it taken spins briefly before sleeping: a reader
 * arriving while another leaves then joins it without a futex round trip.
 */
static void init_mutex(pthread_mutex_t *mu) {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
#ifdef PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
#endif
    pthread_mutex_init(mu, &attr);
    pthread_mutexattr_destroy(&attr);
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
    s->secretmem = sm_backend_active() == SM_BACKEND_SECRETMEM;
    s->gen = sm__pool_fork_gen();
    init_mutex(&s->mu);
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
    sm__random_fill(data, len);
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

/*
 * 1 in a forked child of the process that made a secretmem secret: its
 * pages (or, for the ENCLAVE kind, the enclave key's) are not inherited,
 * so the secret reports closed.
 */
static int lost(const sm_secret *s) {
    return s->secretmem && s->gen != sm__pool_fork_gen();
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
    if (sm__buffer_len_ok(len)) /* a longer len cannot be src's: do not run off its end */
        sm_wipe(src, len);
    sm__registers_clear();
    return st;
}

sm_status sm_secret_new_random(sm_kind kind, size_t len, sm_secret **out) {
    if (out != NULL)
        *out = NULL;
    if (!kind_ok(kind) || out == NULL || len == 0)
        return SM_ERR_INVALID;
    sm_status st = secret_create(kind, len, fill_random, NULL, out);
    sm__registers_clear();
    return st;
}

/* With mu held: wipes the view, takes it out of the registry, gives it back. */
static void view_close(sm_secret *s) {
    sm__view_wipe(&s->view, s->len); /* while registered: the fault path never misses it */
    sm__registry_set_region(s->slot, NULL, 0);
    observe_view(SM_VIEW_UNREGISTERED, &s->view);
    sm__view_give(&s->view, 0);
    memset(&s->view, 0, sizeof s->view);
}

/*
 * With mu held: opens an ENCLAVE secret in a view. Returns 0 when no view
 * can be used (too large, fork keep policy, none free); else 1, with *st
 * the outcome of the decryption.
 */
static int open_in_view(sm_secret *s, sm_status *st) {
    size_t cap = sm__view_capacity();
    if (s->len > cap || sm__view_take(&s->view) != SM_OK)
        return 0;
    /* Registered first: a fault while the plaintext is written finds it. */
    sm__registry_set_region(s->slot, s->view.write, cap);
    *st = sm__enclave_decrypt(s->enc, s->view.write + cap - s->len);
    observe_view(SM_VIEW_DECRYPTED, &s->view);
    if (*st != SM_OK) {
        view_close(s);
        return 1;
    }
    s->plain = s->view.read + cap - s->len;
    return 1;
}

/* With mu held: makes the bytes readable for the first reader. */
static sm_status first_reader(sm_secret *s) {
    sm_status st;
    if (s->kind == SM_KIND_PROTECTED) {
        /* Locked per the policy in force now (see sm__buffer_lock). */
        st = sm__buffer_lock(s->buf);
        if (st == SM_OK)
            st = sm_buffer_freeze(s->buf);
    } else {
        if (open_in_view(s, &st))
            return st;
        st = sm__enclave_open_buffer(s->enc, 1, &s->buf);
    }
    s->plain = st == SM_OK ? sm__buffer_bytes(s->buf) : NULL;
    return st;
}

/* With mu held: hides the bytes again (no reader left, none waiting). */
static sm_status hide(sm_secret *s) {
    if (s->kind == SM_KIND_PROTECTED) {
        /* No access again; if that fails the bytes stay exposed (and say so:
         * sm_buffer_protection), and the next settle or the close tries again. */
        sm_status st = sm_buffer_noaccess(s->buf);
        if (st == SM_ERR_CLOSED) /* purged, or lost in a child: nothing to hide */
            st = SM_OK;
        s->exposed = st != SM_OK;
        return st;
    }
    s->exposed = 0;
    if (s->view.read != NULL && lost(s)) {
        memset(&s->view, 0, sizeof s->view); /* not in this process: nothing to wipe or give */
    } else if (s->view.read != NULL) {
        view_close(s);
    } else {
        sm_buffer_free(s->buf);
        s->buf = NULL;
    }
    s->plain = NULL;
    return SM_OK;
}

/* With mu held: hides exposed bytes nobody is coming for any more. */
static sm_status settle(sm_secret *s) {
    if (s->exposed && s->readers == 0 &&
        atomic_load_explicit(&s->waiting, memory_order_acquire) == 0)
        return hide(s);
    return SM_OK;
}

sm_status sm_secret_acquire(sm_secret *s, const uint8_t **data, size_t *len) {
    if (s == NULL || data == NULL || len == NULL)
        return SM_ERR_INVALID;
    atomic_fetch_add_explicit(&s->waiting, 1, memory_order_acq_rel);
    pthread_mutex_lock(&s->mu);
    atomic_fetch_sub_explicit(&s->waiting, 1, memory_order_acq_rel);
    sm_status st = SM_ERR_CLOSED;
    if (atomic_load_explicit(&s->state, memory_order_relaxed) == OPEN && !lost(s)) {
        st = s->readers == 0 && !s->exposed ? first_reader(s) : SM_OK;
        if (st == SM_OK) {
            s->exposed = 0;
            s->readers++;
            *data = s->plain;
            *len = s->len;
        }
    }
    (void)settle(s); /* an earlier failed hide: tried again, the access stands */
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
            s->exposed = 1; /* handed over if a reader is waiting for mu, */
            st = settle(s); /* else hidden now */
            pthread_cond_broadcast(&s->changed);
        }
    }
    pthread_mutex_unlock(&s->mu);
    /* The caller's reads of the bytes passed through these registers. */
    sm__registers_clear();
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
    sm_status released = sm_secret_release(s);
    last_callback_result = rc;
    /* A failed re-protection outranks the callback's result (still kept above). */
    return released != SM_OK ? released : rc != 0 ? SM_ERR_CALLBACK : SM_OK;
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
    sm_status released = sm_secret_release(s); /* clears the registers the copy used */
    return st == SM_OK ? released : st;
}

size_t sm_secret_size(const sm_secret *s) {
    return s != NULL ? s->len : 0;
}

sm_kind sm_secret_kind(const sm_secret *s) {
    return s != NULL ? s->kind : SM_KIND_PROTECTED;
}

int sm_secret_is_closed(const sm_secret *s) {
    return s == NULL ||
           atomic_load_explicit(&((sm_secret *)s)->state, memory_order_acquire) != OPEN || lost(s);
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
    /* Readers of a lost secret are threads of the parent process: not here. */
    while (s->readers > 0 && !lost(s))
        pthread_cond_wait(&s->changed, &s->mu);
    if (s->exposed)
        (void)hide(s); /* a failure here is met by the teardown's wipe */
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
