/*
 * Guarded buffers: [guard page][canary ... canary | data][guard page]: the
 * canary repeated over every byte in front of the data (canary.h).
 *
 * Each buffer has a mutex `mu` guarding its state and protection. The state
 * goes ALIVE -> DYING -> DEAD once. The thread that moves it to DYING (a
 * destroy, or sm_purge through the registry) owns the teardown and does it
 * without holding `mu`; other destroyers wait for DEAD, except sm_purge,
 * which must not wait (the owner may be waiting for purge's registry pin).
 *
 * Lock order: buffer mu -> (nothing). Registry calls are made without mu.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "canary.h"
#include "config.h"
#include "pages.h"
#include "random.h"
#include "registers.h"
#include "registry.h"
#include "stats.h"

#define CANARY_LEN SM_CANARY_LEN

enum { ALIVE, DYING, DEAD };

struct sm_buffer {
    pthread_mutex_t mu;
    pthread_cond_t dead; /* signalled with mu when state becomes DEAD */
    atomic_int state;    /* written under mu; read lock-free by accessors */
    sm_prot prot;        /* mu */
    sm_region region;
    uint8_t *data;
    size_t len;
    size_t slot;
    uint8_t canary[CANARY_LEN]; /* the expected canary value */
};

/* Alive: not destroyed, and its pages are in this process (sm__pages_lost). */
static int is_alive(const sm_buffer *b) {
    return atomic_load_explicit(&((sm_buffer *)b)->state, memory_order_acquire) == ALIVE &&
           !sm__pages_lost(&b->region);
}

/* Bytes from the first inner byte to the data: all canary (at least CANARY_LEN). */
static size_t prefix_len(const sm_buffer *b) {
    return (size_t)(b->data - b->region.inner);
}

static sm_status buffer_destroy(sm_buffer *b, int wait_if_dying);

static void purge_public_buffer(void *obj) {
    (void)buffer_destroy(obj, 0);
}

static sm_status place(sm_buffer *b, size_t len) {
    sm_status st = sm__pages_acquire(len + CANARY_LEN, &b->region);
    if (st != SM_OK)
        return st;
    b->len = len;
    b->data = b->region.inner + b->region.inner_len - len;
    sm__canary_make(b->canary);
    sm__canary_fill(b->data, prefix_len(b), b->canary);
    return SM_OK;
}

static sm_status enroll(sm_buffer *b, int owned) {
    /* Purgeable only once fully enrolled: a purge must never tear down a
     * buffer whose region or counters are not in place yet. */
    sm_status st = sm__registry_add(b, NULL, &b->slot);
    if (st != SM_OK)
        return st;
    sm__registry_set_region(b->slot, b->region.inner, b->region.inner_len);
    sm__stat_add(SM_CTR_LIVE_BUFFERS, 1);
    sm__stat_add(SM_CTR_BYTES_IN_USE, b->len);
    if (!owned)
        sm__buffer_publish(b);
    return SM_OK;
}

int sm__buffer_len_ok(size_t len) {
    return len > 0 && len <= SIZE_MAX / 2 && sm__pages_round(len + CANARY_LEN) != 0;
}

sm_status sm__buffer_alloc(size_t len, int owned, sm_buffer **out) {
    if (out == NULL)
        return SM_ERR_INVALID;
    *out = NULL;
    if (!sm__buffer_len_ok(len))
        return SM_ERR_INVALID;
    sm_status st = sm__ensure_init();
    if (st != SM_OK)
        return st;
    sm_buffer *b = calloc(1, sizeof *b);
    if (b == NULL)
        return SM_ERR_NOMEM;
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->dead, NULL);
    b->prot = SM_PROT_READWRITE;
    atomic_store_explicit(&b->state, ALIVE, memory_order_release);
    st = place(b, len);
    if (st == SM_OK) {
        /* Enrolled last: from here on a concurrent purge may destroy it. */
        st = enroll(b, owned);
        if (st != SM_OK)
            sm__pages_release(&b->region);
    }
    if (st != SM_OK) {
        pthread_cond_destroy(&b->dead);
        pthread_mutex_destroy(&b->mu);
        free(b);
        return st;
    }
    *out = b;
    return SM_OK;
}

void sm__buffer_publish(sm_buffer *b) {
    sm__registry_set_purge(b->slot, purge_public_buffer);
}

uint8_t *sm__buffer_bytes(const sm_buffer *b) {
    return b->data;
}

sm_status sm__buffer_lock(sm_buffer *b) {
    return sm__pages_lock(&b->region);
}

int sm__buffer_is_locked(const sm_buffer *b) {
    return b->region.locked;
}

sm_status sm_buffer_new(size_t len, sm_buffer **out) {
    return sm__buffer_alloc(len, 0, out);
}

sm_status sm_buffer_new_random(size_t len, sm_buffer **out) {
    sm_status st = sm__buffer_alloc(len, 1, out);
    if (st == SM_OK) {
        sm__random_fill((*out)->data, len);
        sm__buffer_publish(*out);
    }
    sm__registers_clear();
    return st;
}

sm_status sm_buffer_new_from_bytes(void *src, size_t len, sm_buffer **out) {
    if (out != NULL)
        *out = NULL;
    sm_status st = src == NULL ? SM_ERR_INVALID : sm__buffer_alloc(len, 1, out);
    if (st == SM_OK) {
        memcpy((*out)->data, src, len);
        sm__buffer_publish(*out);
    }
    if (sm__buffer_len_ok(len)) /* a length no allocation could have is not src's length */
        sm_wipe(src, len);
    sm__registers_clear();
    return st;
}

uint8_t *sm_buffer_data(sm_buffer *b) {
    return b != NULL && is_alive(b) ? b->data : NULL;
}

size_t sm_buffer_size(const sm_buffer *b) {
    return b != NULL && is_alive(b) ? b->len : 0;
}

int sm_buffer_is_alive(const sm_buffer *b) {
    return b != NULL && is_alive(b);
}

static sm_status set_prot(sm_buffer *b, sm_prot prot) {
    if (b == NULL)
        return SM_ERR_INVALID;
    pthread_mutex_lock(&b->mu);
    sm_status st = SM_ERR_CLOSED;
    if (is_alive(b)) {
        st = b->prot == prot ? SM_OK : sm__pages_protect(&b->region, prot);
        if (st == SM_OK)
            b->prot = prot;
    }
    pthread_mutex_unlock(&b->mu);
    return st;
}

static sm_prot after_prot(int after, sm_prot before) {
    if (after == SM__PROT_RESTORE)
        return before;
    if (after == SM__PROT_READABLE)
        return before == SM_PROT_READWRITE ? SM_PROT_READWRITE : SM_PROT_READ;
    return (sm_prot)after;
}

sm_status sm__buffer_with_data(sm_buffer *b, sm_prot during, int after, sm_data_fn fn, void *ctx) {
    pthread_mutex_lock(&b->mu);
    sm_status st = SM_ERR_CLOSED;
    if (is_alive(b)) {
        sm_prot before = b->prot;
        st = before == during ? SM_OK : sm__pages_protect(&b->region, during);
        if (st == SM_OK) {
            b->prot = during;
            st = fn(ctx, b->data, b->len);
            sm_prot target = after_prot(after, before);
            sm_status back = target == during ? SM_OK : sm__pages_protect(&b->region, target);
            if (back == SM_OK)
                b->prot = target; /* else it stays `during`, as the pages do */
            else if (st == SM_OK)
                st = back;
        }
    }
    pthread_mutex_unlock(&b->mu);
    return st;
}

sm_status sm_buffer_freeze(sm_buffer *b) {
    return set_prot(b, SM_PROT_READ);
}

sm_status sm_buffer_melt(sm_buffer *b) {
    return set_prot(b, SM_PROT_READWRITE);
}

sm_status sm_buffer_noaccess(sm_buffer *b) {
    return set_prot(b, SM_PROT_NONE);
}

sm_prot sm_buffer_protection(const sm_buffer *b) {
    if (b == NULL)
        return SM_PROT_NONE;
    sm_buffer *m = (sm_buffer *)b;
    pthread_mutex_lock(&m->mu);
    sm_prot p = is_alive(m) ? m->prot : SM_PROT_NONE;
    pthread_mutex_unlock(&m->mu);
    return p;
}

/* With mu held and the pages readable: 1 when the canary is intact. */
static int canary_intact(const sm_buffer *b) {
    return sm__canary_intact(b->data, prefix_len(b), b->canary);
}

sm_status sm_buffer_check(const sm_buffer *b) {
    if (b == NULL)
        return SM_ERR_INVALID;
    sm_buffer *m = (sm_buffer *)b;
    pthread_mutex_lock(&m->mu);
    sm_status st = SM_ERR_CLOSED;
    if (is_alive(m)) {
        st = m->prot == SM_PROT_NONE ? sm__pages_protect(&m->region, SM_PROT_READ) : SM_OK;
        if (st == SM_OK) {
            st = canary_intact(m) ? SM_OK : SM_ERR_CANARY;
            sm_status back =
                m->prot == SM_PROT_NONE ? sm__pages_protect(&m->region, SM_PROT_NONE) : SM_OK;
            if (back != SM_OK) {
                m->prot = SM_PROT_READ; /* what the pages are now */
                st = st == SM_OK ? back : st;
            }
        }
    }
    pthread_mutex_unlock(&m->mu);
    return st;
}

/*
 * Teardown by the thread that moved the buffer to DYING; mu not held (prot
 * no longer changes once DYING). The whole region is wiped before it leaves
 * the registry, so the fault path never misses live bytes, and released
 * as wiped: one protection change at most (none for a writable buffer) and
 * one wipe.
 */
static sm_status teardown(sm_buffer *b) {
    sm_status st = SM_OK;
    /* Lost pages (a forked child under SM_BACKEND_SECRETMEM) are not here to wipe. */
    int lost = sm__pages_lost(&b->region);
    int writable = !lost && (b->prot == SM_PROT_READWRITE ||
                             sm__pages_protect(&b->region, SM_PROT_READWRITE) == SM_OK);
    if ((writable || (!lost && b->prot == SM_PROT_READ)) && !canary_intact(b))
        st = SM_ERR_CANARY;
    if (writable) {
        sm_wipe(b->region.inner, b->region.inner_len);
        sm__registry_remove(b->slot);
        sm__pages_release_wiped(&b->region);
    } else if (lost || sm__pages_release(&b->region)) {
        sm__registry_remove(b->slot); /* nothing here, or wiped on a second try */
    } else {
        /* Released unwiped (never reused): the fault path still wipes it. */
        sm__registry_keep_region(b->slot);
        st = st == SM_OK ? SM_ERR_PROTECT : st;
    }
    sm__stat_sub(SM_CTR_LIVE_BUFFERS, 1);
    sm__stat_sub(SM_CTR_BYTES_IN_USE, b->len);
    b->slot = SM_REGISTRY_NONE;
    return st;
}

static sm_status buffer_destroy(sm_buffer *b, int wait_if_dying) {
    pthread_mutex_lock(&b->mu);
    int state = atomic_load_explicit(&b->state, memory_order_relaxed);
    if (state != ALIVE) {
        while (wait_if_dying && atomic_load_explicit(&b->state, memory_order_relaxed) == DYING)
            pthread_cond_wait(&b->dead, &b->mu);
        pthread_mutex_unlock(&b->mu);
        return SM_OK;
    }
    atomic_store_explicit(&b->state, DYING, memory_order_release);
    pthread_mutex_unlock(&b->mu);

    sm_status st = teardown(b);

    pthread_mutex_lock(&b->mu);
    b->prot = SM_PROT_NONE;
    atomic_store_explicit(&b->state, DEAD, memory_order_release);
    pthread_cond_broadcast(&b->dead);
    pthread_mutex_unlock(&b->mu);
    return st;
}

sm_status sm_buffer_destroy(sm_buffer *b) {
    if (b == NULL)
        return SM_ERR_INVALID;
    return buffer_destroy(b, 1);
}

void sm_buffer_free(sm_buffer *b) {
    if (b == NULL)
        return;
    (void)buffer_destroy(b, 1);
    pthread_cond_destroy(&b->dead);
    pthread_mutex_destroy(&b->mu);
    free(b);
}
