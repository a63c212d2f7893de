/*
 * The registry of live objects holding secret memory (see registry.h).
 *
 * Slots live in chunks mapped on demand and never unmapped, found through a
 * fixed table of atomic chunk pointers. `reg_lock` guards the free list,
 * the owner fields and pins; the region fields are atomics so the fault
 * path can read them without the lock.
 *
 * Lock order: reg_lock is a leaf. It is held only for O(1) bookkeeping and
 * never while calling out or taking another lock. sm__registry_remove() may
 * wait (on reg_unpinned) for another thread's purge function to finish, so
 * it must not be called while holding a lock that a purge function takes.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "registry.h"

#define CHUNK_SLOTS 4096u
#define MAX_CHUNKS  4096u /* 16.7 million entries */

typedef struct slot {
    _Atomic uintptr_t region_base; /* lock-free: 0 = no region */
    _Atomic size_t region_len;
    void *obj;            /* reg_lock */
    sm_purge_fn purge;    /* reg_lock */
    size_t next_free;     /* reg_lock */
    pthread_t pinner;     /* reg_lock, valid while pinned */
    unsigned char live;   /* reg_lock */
    unsigned char pinned; /* reg_lock */
} slot;

static _Atomic(slot *) chunks[MAX_CHUNKS]; /* written once each, under reg_lock */
static atomic_size_t high_water;           /* slots ever handed out */

static atomic_ulong wipe_generation;                /* bumped by every sm__registry_wipe_all */
static _Atomic(sm_remove_observer) remove_observer; /* test hook */

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reg_unpinned = PTHREAD_COND_INITIALIZER; /* with reg_lock */
static size_t free_head = SM_REGISTRY_NONE;                    /* reg_lock */
static size_t live_count;                                      /* reg_lock */

static slot *slot_at(size_t i) {
    slot *chunk = atomic_load_explicit(&chunks[i / CHUNK_SLOTS], memory_order_acquire);
    return chunk ? &chunk[i % CHUNK_SLOTS] : NULL;
}

/* With reg_lock held: a fresh slot index, mapping a new chunk if needed. */
static sm_status take_slot(size_t *out) {
    if (free_head != SM_REGISTRY_NONE) {
        *out = free_head;
        free_head = slot_at(free_head)->next_free;
        return SM_OK;
    }
    size_t i = atomic_load_explicit(&high_water, memory_order_relaxed);
    if (i / CHUNK_SLOTS >= MAX_CHUNKS)
        return SM_ERR_NOMEM;
    if (i % CHUNK_SLOTS == 0) {
        void *p = mmap(NULL, CHUNK_SLOTS * sizeof(slot), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return SM_ERR_NOMEM;
        atomic_store_explicit(&chunks[i / CHUNK_SLOTS], (slot *)p, memory_order_release);
    }
    atomic_store_explicit(&high_water, i + 1, memory_order_release);
    *out = i;
    return SM_OK;
}

static void push_free(size_t i) {
    slot_at(i)->next_free = free_head;
    free_head = i;
}

/*
 * fork(): the child must not inherit reg_lock held by another thread, nor
 * pins whose purging threads do not exist in the child.
 */
static void fork_prepare(void) {
    pthread_mutex_lock(&reg_lock);
}

static void fork_parent(void) {
    pthread_mutex_unlock(&reg_lock);
}

static void fork_child(void) {
    size_t n = atomic_load_explicit(&high_water, memory_order_relaxed);
    for (size_t i = 0; i < n; i++) {
        slot *s = slot_at(i);
        if (s->pinned) {
            s->pinned = 0;
            if (!s->live)
                push_free(i); /* its remove ran while pinned */
        }
    }
    pthread_cond_init(&reg_unpinned, NULL);
    pthread_mutex_unlock(&reg_lock);
}

static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void install_fork_handlers(void) {
    (void)pthread_atfork(fork_prepare, fork_parent, fork_child);
}

sm_status sm__registry_add(void *obj, sm_purge_fn purge, size_t *slot_out) {
    pthread_once(&fork_once, install_fork_handlers);
    pthread_mutex_lock(&reg_lock);
    size_t i = SM_REGISTRY_NONE;
    sm_status st = take_slot(&i);
    if (st == SM_OK) {
        slot *s = slot_at(i);
        s->obj = obj;
        s->purge = purge;
        s->live = 1;
        s->pinned = 0;
        live_count++;
    }
    *slot_out = i; /* under the lock: a purge may read the owner's copy next */
    pthread_mutex_unlock(&reg_lock);
    return st;
}

void sm__registry_set_region(size_t i, void *base, size_t len) {
    slot *s = slot_at(i);
    /* Readers check base before and after reading len; see wipe_all. */
    atomic_store_explicit(&s->region_base, 0, memory_order_release);
    if (base == NULL)
        return;
    atomic_store_explicit(&s->region_len, len, memory_order_release);
    atomic_store_explicit(&s->region_base, (uintptr_t)base, memory_order_release);
}

void sm__registry_set_purge(size_t i, sm_purge_fn purge) {
    pthread_mutex_lock(&reg_lock);
    slot_at(i)->purge = purge;
    pthread_mutex_unlock(&reg_lock);
}

void sm__registry_set_remove_observer(sm_remove_observer fn) {
    atomic_store(&remove_observer, fn);
}

static void observe_removal(const slot *s) {
    sm_remove_observer observe = atomic_load(&remove_observer);
    uintptr_t base = atomic_load(&s->region_base);
    if (observe != NULL && base != 0)
        observe((const void *)base, atomic_load(&s->region_len));
}

/* With reg_lock held: slot i, once no other thread's purge has it pinned. */
static slot *unpinned_locked(size_t i) {
    slot *s = slot_at(i);
    while (s->pinned && !pthread_equal(s->pinner, pthread_self()))
        pthread_cond_wait(&reg_unpinned, &reg_lock);
    return s;
}

void sm__registry_remove(size_t i) {
    if (i == SM_REGISTRY_NONE)
        return;
    pthread_mutex_lock(&reg_lock);
    slot *s = unpinned_locked(i);
    observe_removal(s);
    atomic_store_explicit(&s->region_base, 0, memory_order_release);
    s->live = 0;
    s->obj = NULL;
    s->purge = NULL;
    live_count--;
    if (!s->pinned)
        push_free(i); /* a pinned slot is freed when it is unpinned */
    pthread_mutex_unlock(&reg_lock);
}

void sm__registry_keep_region(size_t i) {
    if (i == SM_REGISTRY_NONE)
        return;
    pthread_mutex_lock(&reg_lock);
    slot *s = unpinned_locked(i);
    s->obj = NULL;
    s->purge = NULL;
    live_count--; /* stays live (never freed), but no object's */
    pthread_mutex_unlock(&reg_lock);
}

/* Pins slot i if it has a purge function; returns it (and obj) or NULL. */
static sm_purge_fn pin(size_t i, void **obj) {
    slot *s = slot_at(i);
    if (s == NULL || !s->live || s->purge == NULL || s->pinned)
        return NULL;
    s->pinned = 1;
    s->pinner = pthread_self();
    *obj = s->obj;
    return s->purge;
}

static void unpin(size_t i) {
    slot *s = slot_at(i);
    s->pinned = 0;
    if (!s->live)
        push_free(i);
    pthread_cond_broadcast(&reg_unpinned);
}

void sm__registry_purge_each(void) {
    size_t n = atomic_load_explicit(&high_water, memory_order_acquire);
    for (size_t i = 0; i < n; i++) {
        void *obj = NULL;
        pthread_mutex_lock(&reg_lock);
        sm_purge_fn fn = pin(i, &obj);
        pthread_mutex_unlock(&reg_lock);
        if (fn == NULL)
            continue;
        fn(obj); /* no registry lock held: fn may remove its own entry */
        pthread_mutex_lock(&reg_lock);
        unpin(i);
        pthread_mutex_unlock(&reg_lock);
    }
}

#define WIPE_ATTEMPTS 8 /* protection flips tolerated per region */

/*
 * Writes zeros into p[0..len) through the kernel (read from /dev/zero): a
 * page that is not writable (re-protected or unmapped by another thread
 * since we looked) gives EFAULT instead of a fault. Returns the bytes done.
 */
static size_t kernel_zero(int zero_fd, uint8_t *p, size_t len) {
    size_t done = 0;
    while (done < len) {
        ssize_t n = read(zero_fd, p + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    return done;
}

/* Wipes one region: make it writable, zero it, again if it was re-protected. */
static void wipe_region(int zero_fd, uint8_t *base, size_t len) {
    size_t done = 0;
    for (int attempt = 0; attempt < WIPE_ATTEMPTS && done < len; attempt++) {
        if (mprotect(base, len, PROT_READ | PROT_WRITE) != 0)
            return; /* unmapped: nothing left to wipe */
        if (zero_fd < 0) {
            sm_wipe(base, len); /* no /dev/zero to read: plain stores, as a last resort */
            return;
        }
        done += kernel_zero(zero_fd, base + done, len - done);
    }
}

static void wipe_slot(int zero_fd, slot *s) {
    uintptr_t base = atomic_load_explicit(&s->region_base, memory_order_acquire);
    if (base == 0)
        return;
    size_t len = atomic_load_explicit(&s->region_len, memory_order_acquire);
    if (atomic_load_explicit(&s->region_base, memory_order_acquire) != base)
        return; /* changed under us: the region was released or replaced */
    wipe_region(zero_fd, (uint8_t *)base, len);
}

unsigned long sm__registry_wipe_generation(void) {
    return atomic_load_explicit(&wipe_generation, memory_order_acquire);
}

void sm__registry_wipe_all(void) {
    int saved_errno = errno;
    atomic_fetch_add_explicit(&wipe_generation, 1, memory_order_acq_rel);
    int zero_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC); /* open is async-signal-safe */
    size_t n = atomic_load_explicit(&high_water, memory_order_acquire);
    for (size_t i = 0; i < n; i++) {
        slot *s = slot_at(i);
        if (s != NULL)
            wipe_slot(zero_fd, s);
    }
    if (zero_fd >= 0)
        close(zero_fd);
    atomic_fetch_add_explicit(&wipe_generation, 1, memory_order_acq_rel);
    errno = saved_errno;
}

size_t sm__registry_count(void) {
    pthread_once(&fork_once, install_fork_handlers);
    pthread_mutex_lock(&reg_lock);
    size_t n = live_count;
    pthread_mutex_unlock(&reg_lock);
    return n;
}
