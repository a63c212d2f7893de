/*
 * Enclave views (views.h): pages mapped twice, read-only for readers and
 * writable for the library, taken and given back without a system call in
 * the steady state.
 *
 * A view region holds VIEW_SLOTS pages of shared anonymous memory. Each
 * page is placed (mremap with old size 0, which maps the same pages again)
 * into two skeletons of PROT_NONE guard pages:
 *
 *   rd: [G][page 0, read-only][G][page 1, read-only][G] ... [G]
 *   wr: [G][page 0, writable ][G][page 1, writable ][G] ... [G]
 *
 * so both views of every page are guarded on both sides. Both skeletons are
 * excluded from core dumps and from fork (MADV_DONTFORK). A region is made
 * on demand, when every view is taken, up to VIEW_REGIONS_MAX regions; it
 * is never unmapped, so the fault path may wipe a view that was just given
 * back without touching anyone else's memory.
 *
 * Locking follows the views in use. A view's page is locked (mlock of its
 * read-only mapping: one page of RLIMIT_MEMLOCK, and the shared page stays
 * resident whichever mapping touches it) when it is taken, per the lock
 * policy in force then; a failure affects that take only. When a locked
 * view is given back it stays locked, wiped, in the view cache if fewer
 * than VIEW_CACHE_MAX free views are cached, so a secret read again and
 * again costs no system call; otherwise it is unlocked. Takes prefer
 * cached views. The cache is drained (sm__views_cache_drain, through
 * sm__lock_caches_drain) whenever a lock fails anywhere, and when the
 * policy is SM_LOCK_OFF. So a million ENCLAVE secrets need locked memory
 * only for those open at the moment, one page each.
 *
 * Under SM_BACKEND_SECRETMEM a region has a secretmem file of VIEW_SLOTS
 * pages instead of shared anonymous memory, and nothing is placed in the
 * skeletons when the region is made: "locking" a view maps its page from
 * the file into both skeletons (read-only and writable, never inherited by
 * fork), and "unlocking" it puts the skeletons' PROT_NONE reservation
 * back. Secretmem is always locked, so a view is mapped whatever the lock
 * policy, and the kernel counts both mappings.
 *
 * A forked child has none of the regions' pages (MADV_DONTFORK) nor their
 * locks: it drops every region; holes.c keeps the skeletons' addresses
 * reserved there.
 *
 * Counters: a taken view that is locked counts its page (both pages under
 * secretmem) in sm_stats.bytes_locked, a cached one in
 * bytes_locked_cached; views are not buffers, so live_buffers and
 * mapped_bytes do not count them.
 *
 * Lock: `views_lock` guards the region list, every region's `used` and
 * `locked` bits, `view_regions` and `cached`. It is held for O(1)
 * bookkeeping, while a region is made (mmap, mremap, madvise) and while
 * cached views are unlocked (munlock); nothing else is taken under it and
 * nothing is called back. The lock of a taken view runs without it (the
 * view is owned by one caller then), and so does the wipe. The fork
 * handlers hold it across fork(); the child drops every region (they are
 * not mapped there) and bumps `views_gen`. Atomics without a lock:
 * `views_gen` (forks seen), `views_unsupported` (set once mremap would not
 * alias pages, e.g. under valgrind: every take then reports
 * SM_ERR_UNSUPPORTED) and `views_taken` (a count for tests).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "holes.h"
#include "lockcache.h"
#include "pages.h"
#include "pool.h"
#include "secretmem.h"
#include "stats.h"
#include "status.h"
#include "views.h"

#define VIEW_SLOTS       32u
#define VIEW_REGIONS_MAX 32u /* 1024 views open at once; more open secrets use buffers */
#define VIEW_CACHE_MAX   32u /* free views kept locked */
#define ALL_USED         UINT32_MAX

typedef struct view_region {
    struct view_region *next;
    uint8_t *rd, *wr; /* the two skeletons, skeleton_len() bytes each */
    uint32_t used;    /* bit i: view i taken; views_lock */
    uint32_t locked;  /* bit i: view i's page is locked (secretmem: mapped); views_lock */
    int fd;           /* SM_BACKEND_SECRETMEM: the pages' file; else -1 */
} view_region;

static pthread_mutex_t views_lock = PTHREAD_MUTEX_INITIALIZER;
static view_region *regions;         /* views_lock */
static view_region *dropped;         /* views_lock: regions a fork left behind (kept reachable) */
static unsigned view_regions;        /* views_lock */
static size_t cached;                /* views_lock: free views whose page is locked */
static atomic_uint views_gen;        /* bumped in each forked child */
static atomic_int views_unsupported; /* set once mremap would not alias pages */
static atomic_size_t views_taken;    /* views taken now (tests) */
static pthread_once_t views_once = PTHREAD_ONCE_INIT;

static size_t page(void) {
    return sm_page_size();
}

/* Bytes the kernel counts as locked for one locked view of v. */
static size_t view_lock_bytes(const view_region *v) {
    return v->fd >= 0 ? 2 * page() : page();
}

static void fork_prepare(void) {
    pthread_mutex_lock(&views_lock);
}

static void fork_parent(void) {
    pthread_mutex_unlock(&views_lock);
}

/* The child has none of the regions' pages (nor their locks): forget them. */
static void fork_child(void) {
    size_t cached_bytes = 0;
    for (view_region *v = regions; v != NULL; v = v->next) {
        cached_bytes += (size_t)__builtin_popcount(v->locked & ~v->used) * view_lock_bytes(v);
        if (v->fd >= 0)
            close(v->fd);
    }
    sm__stat_sub(SM_CTR_BYTES_LOCKED_CACHED, cached_bytes);
    cached = 0;
    view_region **tail = &dropped;
    while (*tail != NULL)
        tail = &(*tail)->next;
    *tail = regions;
    regions = NULL;
    view_regions = 0;
    atomic_fetch_add_explicit(&views_gen, 1, memory_order_relaxed);
    pthread_mutex_unlock(&views_lock);
}

/*
 * Prepare handlers run in the reverse order of registration, so the pool's
 * are registered first: fork() then takes views_lock before pool_lock.
 */
static void install_fork_handlers(void) {
    sm__pool_init();
    (void)pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* views_lock, its fork handlers installed first. */
static void lock_views(void) {
    (void)pthread_once(&views_once, install_fork_handlers);
    pthread_mutex_lock(&views_lock);
}

size_t sm__view_capacity(void) {
    return page();
}

static size_t skeleton_len(void) {
    return (2 * (size_t)VIEW_SLOTS + 1) * page();
}

static uint8_t *page_in(uint8_t *skeleton, uint32_t i) {
    return skeleton + (2 * (size_t)i + 1) * page();
}

/* ------------------------------------------------------------------ */
/* Making a region (views_lock held)                                   */
/* ------------------------------------------------------------------ */

static uint8_t *skeleton(void) {
    void *p =
        mmap(NULL, skeleton_len(), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* Maps page i of the shared memory at `at`, with protection prot. */
static int place(uint8_t *shared, uint32_t i, uint8_t *at, int prot) {
    void *p = mremap(shared + (size_t)i * page(), 0, page(), MREMAP_MAYMOVE | MREMAP_FIXED, at);
    return p == at && mprotect(at, page(), prot) == 0 ? 0 : -1;
}

/* Fills both skeletons with the views of VIEW_SLOTS fresh shared pages. */
static sm_status alias(view_region *v) {
    size_t len = (size_t)VIEW_SLOTS * page();
    uint8_t *shared = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED)
        return sm__fail(SM_ERR_NOMEM, errno);
    int rc = 0;
    for (uint32_t i = 0; i < VIEW_SLOTS && rc == 0; i++)
        rc = place(shared, i, page_in(v->wr, i), PROT_READ | PROT_WRITE) |
             place(shared, i, page_in(v->rd, i), PROT_READ);
    int err = errno;
    munmap(shared, len); /* the views keep the pages */
    if (rc == 0)
        return SM_OK;
    if (err != EINVAL && err != ENOSYS)
        return sm__fail(SM_ERR_NOMEM, err); /* out of mappings, say: try again later */
    atomic_store_explicit(&views_unsupported, 1, memory_order_relaxed);
    return sm__fail(SM_ERR_UNSUPPORTED, err);
}

static sm_status advise(view_region *v) {
    (void)madvise(v->rd, skeleton_len(), MADV_DONTDUMP);
    (void)madvise(v->wr, skeleton_len(), MADV_DONTDUMP);
    if (madvise(v->rd, skeleton_len(), MADV_DONTFORK) != 0 ||
        madvise(v->wr, skeleton_len(), MADV_DONTFORK) != 0)
        return sm__fail(SM_ERR_UNSUPPORTED, errno);
    return SM_OK;
}

static void region_unmap(view_region *v) {
    if (v->rd != NULL)
        munmap(v->rd, skeleton_len());
    if (v->wr != NULL)
        munmap(v->wr, skeleton_len());
    if (v->fd >= 0)
        close(v->fd);
    free(v);
}

/* The pages behind the views: shared anonymous memory placed now, or a secretmem file. */
static sm_status back(view_region *v, int secretmem) {
    if (!secretmem)
        return alias(v);
    v->fd = sm__secretmem_file((size_t)VIEW_SLOTS * page());
    return v->fd >= 0 ? SM_OK : sm__fail(SM_ERR_UNSUPPORTED, errno);
}

/* Keeps both skeletons' addresses reserved in a forked child (holes.h). */
static sm_status track(view_region *v) {
    sm_status st = sm__holes_track(v->rd, skeleton_len());
    if (st == SM_OK && (st = sm__holes_track(v->wr, skeleton_len())) != SM_OK)
        sm__holes_untrack(v->rd);
    return st;
}

static sm_status region_new(int secretmem, view_region **out) {
    view_region *v = calloc(1, sizeof *v);
    if (v == NULL)
        return SM_ERR_NOMEM;
    v->fd = -1;
    v->rd = skeleton();
    v->wr = skeleton();
    sm_status st = v->rd != NULL && v->wr != NULL ? SM_OK : sm__fail(SM_ERR_NOMEM, errno);
    if (st == SM_OK)
        st = back(v, secretmem);
    if (st == SM_OK)
        st = advise(v);
    if (st == SM_OK)
        st = track(v);
    if (st != SM_OK) {
        region_unmap(v);
        return st;
    }
    *out = v;
    return SM_OK;
}

/* ------------------------------------------------------------------ */
/* Choosing a view (views_lock held)                                   */
/* ------------------------------------------------------------------ */

/* A free view, a cached (locked) one first when wanted; a new region if need be. */
static sm_status pick(int want_locked, int secretmem, view_region **out, uint32_t *idx) {
    for (view_region *v = regions; want_locked && v != NULL; v = v->next)
        if ((~v->used & v->locked) != 0) {
            *out = v;
            *idx = (uint32_t)__builtin_ctz(~v->used & v->locked);
            return SM_OK;
        }
    for (view_region *v = regions; v != NULL; v = v->next)
        if (v->used != ALL_USED) {
            *out = v;
            *idx = (uint32_t)__builtin_ctz(~v->used);
            return SM_OK;
        }
    if (view_regions >= VIEW_REGIONS_MAX)
        return SM_ERR_NOMEM;
    sm_status st = region_new(secretmem, out);
    if (st != SM_OK)
        return st;
    (*out)->next = regions;
    regions = *out;
    view_regions++;
    *idx = 0;
    return SM_OK;
}

/* Unlocks view i's page: munlock, or for secretmem the reservation put back. */
static void unlock_page(const view_region *v, uint32_t i) {
    if (v->fd < 0) {
        (void)munlock(page_in(v->rd, i), page());
        return;
    }
    (void)sm__reserve(page_in(v->rd, i), page());
    (void)sm__reserve(page_in(v->wr, i), page());
}

/* Unlocks every cached view; returns the bytes of lock given back. */
static size_t drain_locked(void) {
    size_t freed = 0;
    for (view_region *v = regions; v != NULL; v = v->next) {
        uint32_t idle = v->locked & ~v->used;
        while (idle != 0) {
            uint32_t i = (uint32_t)__builtin_ctz(idle);
            idle &= idle - 1;
            unlock_page(v, i);
            v->locked &= ~(UINT32_C(1) << i);
            freed += view_lock_bytes(v);
        }
    }
    cached = 0;
    sm__stat_sub(SM_CTR_BYTES_LOCKED_CACHED, freed);
    return freed;
}

size_t sm__views_cache_drain(void) {
    lock_views();
    size_t freed = drain_locked();
    pthread_mutex_unlock(&views_lock);
    return freed;
}

/* ------------------------------------------------------------------ */
/* Taking and giving views                                             */
/* ------------------------------------------------------------------ */

static void set_bit(uint32_t *bits, uint32_t i, int on) {
    pthread_mutex_lock(&views_lock);
    *bits = on ? *bits | (UINT32_C(1) << i) : *bits & ~(UINT32_C(1) << i);
    pthread_mutex_unlock(&views_lock);
}

/* Maps a secretmem view's page into both skeletons; -1 with errno. */
static int map_secret_view(const view_region *v, uint32_t i) {
    off_t off = (off_t)i * (off_t)page();
    if (sm__secretmem_map(page_in(v->rd, i), page(), PROT_READ, v->fd, off) != 0)
        return -1;
    if (sm__secretmem_map(page_in(v->wr, i), page(), PROT_READ | PROT_WRITE, v->fd, off) != 0) {
        int err = errno;
        (void)sm__reserve(page_in(v->rd, i), page());
        errno = err;
        return -1;
    }
    return 0;
}

/* Locks a view's page (mlock, drained and tried again once); -1 with errno. */
static int mlock_view(const sm_view *out) {
    int rc = mlock(out->read, page());
    if (rc != 0) {
        (void)sm__lock_caches_drain(); /* a cache may hold the lock it needs */
        rc = mlock(out->read, page());
    }
    return rc;
}

/*
 * Locks a taken view per policy (not SM_LOCK_OFF), or maps a secretmem one
 * (whatever the policy: it has no page until then); no lock held.
 */
static sm_status lock_view(sm_view *out, sm_lock_policy policy) {
    view_region *v = out->owner;
    int rc = v->fd >= 0 ? map_secret_view(v, out->index) : mlock_view(out);
    if (rc == 0) {
        out->locked = 1;
        set_bit(&v->locked, out->index, 1);
        sm__stat_add(SM_CTR_BYTES_LOCKED, view_lock_bytes(v));
        return SM_OK;
    }
    int err = errno;
    if (v->fd >= 0)
        return sm__fail(sm__secretmem_fail(err), err);
    if (policy == SM_LOCK_STRICT)
        return sm__fail(SM_ERR_MLOCK, err);
    sm__stat_add(SM_CTR_LOCK_FAILURES, 1);
    return SM_OK;
}

sm_status sm__view_take(sm_view *out) {
    int secretmem = sm__backend_take() == SM_BACKEND_SECRETMEM;
    if ((!secretmem && sm__fork_policy() != SM_FORK_WIPE) ||
        atomic_load_explicit(&views_unsupported, memory_order_relaxed))
        return SM_ERR_UNSUPPORTED;
    sm_lock_policy policy = sm__lock_policy();
    view_region *v = NULL;
    uint32_t i = 0;
    lock_views();
    if (policy == SM_LOCK_OFF && cached > 0)
        (void)drain_locked(); /* locking was turned off: keep no locks */
    sm_status st = pick(policy != SM_LOCK_OFF || secretmem, secretmem, &v, &i);
    int was_locked = 0;
    if (st == SM_OK) {
        v->used |= UINT32_C(1) << i;
        was_locked = (v->locked >> i) & 1;
        cached -= (size_t)was_locked;
        out->gen = atomic_load_explicit(&views_gen, memory_order_relaxed);
    }
    pthread_mutex_unlock(&views_lock);
    if (st != SM_OK)
        return st;
    *out = (sm_view){page_in(v->rd, i), page_in(v->wr, i), v, i, out->gen, was_locked};
    if (was_locked) {
        sm__stat_sub(SM_CTR_BYTES_LOCKED_CACHED, view_lock_bytes(v));
        sm__stat_add(SM_CTR_BYTES_LOCKED, view_lock_bytes(v));
    } else if ((policy != SM_LOCK_OFF || secretmem) && (st = lock_view(out, policy)) != SM_OK) {
        set_bit(&v->used, i, 0);
        return st;
    }
    atomic_fetch_add_explicit(&views_taken, 1, memory_order_relaxed);
    return SM_OK;
}

size_t sm__views_taken(void) {
    return atomic_load_explicit(&views_taken, memory_order_relaxed);
}

void sm__view_wipe(const sm_view *v, size_t used) {
    size_t cap = sm__view_capacity();
    used = used < cap ? used : cap;
    sm_wipe(v->write + cap - used, used);
}

/* With views_lock held: gives a wiped view back; 1 when its page must be unlocked. */
static int give_locked(view_region *r, const sm_view *v) {
    uint32_t bit = UINT32_C(1) << v->index;
    int keep = v->locked && cached < VIEW_CACHE_MAX && sm__lock_policy() != SM_LOCK_OFF;
    if (v->locked && !keep)
        return 1; /* stays taken until unlocked: a cached view is always locked */
    r->used &= ~bit;
    if (keep)
        cached++;
    return 0;
}

void sm__view_give(sm_view *v, size_t used) {
    if (v->read == NULL)
        return;
    view_region *r = v->owner;
    atomic_fetch_sub_explicit(&views_taken, 1, memory_order_relaxed);
    if (v->locked)
        sm__stat_sub(SM_CTR_BYTES_LOCKED, view_lock_bytes(r));
    if (v->gen != atomic_load_explicit(&views_gen, memory_order_relaxed)) {
        v->read = v->write = NULL;
        return; /* taken before a fork, in the parent: the page is not mapped here */
    }
    sm__view_wipe(v, used);
    sm__pages_observe_release(v->read, sm__view_capacity());
    lock_views();
    int unlock = give_locked(r, v);
    pthread_mutex_unlock(&views_lock);
    if (unlock) {
        unlock_page(r, v->index);
        lock_views();
        r->locked &= ~(UINT32_C(1) << v->index);
        r->used &= ~(UINT32_C(1) << v->index);
        pthread_mutex_unlock(&views_lock);
    } else if (v->locked) {
        sm__stat_add(SM_CTR_BYTES_LOCKED_CACHED, view_lock_bytes(r));
    }
    v->read = v->write = NULL;
}
