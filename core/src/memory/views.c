/*
 * Enclave views (views.h): pages mapped twice, read-only for readers and
 * writable for the library, taken and given back without a system call.
 *
 * A view region holds VIEW_SLOTS pages of shared anonymous memory. Each
 * page is placed (mremap with old size 0, which maps the same pages again)
 * into two skeletons of PROT_NONE guard pages:
 *
 *   rd: [G][page 0, read-only][G][page 1, read-only][G] ... [G]
 *   wr: [G][page 0, writable ][G][page 1, writable ][G] ... [G]
 *
 * so both views of every page are guarded on both sides. Both skeletons are
 * locked (mlock2 MLOCK_ONFAULT: a page is locked when first touched, through
 * either view), excluded from core dumps and from fork (MADV_DONTFORK). A
 * region is made on demand, when every view is taken, up to
 * VIEW_REGIONS_MAX regions; it is never unmapped, so the fault path may
 * wipe a view that was just given back without touching anyone else's
 * memory. Locks are taken per region, at creation: a view region holds
 * 2 * (2 * VIEW_SLOTS + 1) pages of RLIMIT_MEMLOCK (about 520 KiB) whether
 * or not its views are in use, which is what lets a million ENCLAVE
 * secrets live under an 8 MiB limit: they need locked memory only while
 * open, and only one page each.
 *
 * Counters: a taken view adds its page to sm_stats.bytes_locked (when its
 * region is locked) until it is given back; views are not buffers, so
 * live_buffers and mapped_bytes do not count them.
 *
 * Lock: `views_lock` guards the region list, every region's `used` bits and
 * `view_regions`. It is held for O(1) bookkeeping and while a region is
 * made (mmap, mremap, madvise, mlock2); the only lock taken under it is
 * pool_lock, when a failed lock drains the pool's slot cache
 * (views_lock -> pool_lock). The wipe runs without it
 * (the view is owned by one caller then). The fork handlers hold it across
 * fork(); the child drops every region (they are not mapped there) and
 * bumps `views_gen`. Atomics without a lock: `views_gen` (forks seen),
 * `views_unsupported` (set once mremap would not alias pages, e.g. under
 * valgrind: every take then reports SM_ERR_UNSUPPORTED) and `views_taken`
 * (a count for tests).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "config.h"
#include "pages.h"
#include "pool.h"
#include "stats.h"
#include "status.h"
#include "views.h"

#define VIEW_SLOTS       32u
#define VIEW_REGIONS_MAX 32u /* 1024 views open at once; more open secrets use buffers */
#define ALL_USED         UINT32_MAX

typedef struct view_region {
    struct view_region *next;
    uint8_t *rd, *wr; /* the two skeletons, skeleton_len() bytes each */
    uint32_t used;    /* bit i: view i taken; views_lock */
    int locked;
} view_region;

static pthread_mutex_t views_lock = PTHREAD_MUTEX_INITIALIZER;
static view_region *regions;         /* views_lock */
static view_region *dropped;         /* views_lock: regions a fork left behind (kept reachable) */
static unsigned view_regions;        /* views_lock */
static atomic_uint views_gen;        /* bumped in each forked child */
static atomic_int views_unsupported; /* set once mremap would not alias pages */
static atomic_size_t views_taken;    /* views taken now (tests) */
static pthread_once_t views_once = PTHREAD_ONCE_INIT;

static void fork_prepare(void) {
    pthread_mutex_lock(&views_lock);
}

static void fork_parent(void) {
    pthread_mutex_unlock(&views_lock);
}

/* The child has none of the regions' pages: forget them, keep taking fresh ones. */
static void fork_child(void) {
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
 * are registered first: fork() then takes views_lock before pool_lock, the
 * order a view region's lock retry takes them in.
 */
static void install_fork_handlers(void) {
    sm__pool_init();
    (void)pthread_atfork(fork_prepare, fork_parent, fork_child);
}

size_t sm__view_capacity(void) {
    return sm_page_size();
}

static size_t skeleton_len(void) {
    return (2 * (size_t)VIEW_SLOTS + 1) * sm_page_size();
}

static uint8_t *page_in(uint8_t *skeleton, uint32_t i) {
    return skeleton + (2 * (size_t)i + 1) * sm_page_size();
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
    size_t ps = sm_page_size();
    void *p = mremap(shared + (size_t)i * ps, 0, ps, MREMAP_MAYMOVE | MREMAP_FIXED, at);
    return p == at && mprotect(at, ps, prot) == 0 ? 0 : -1;
}

/* Fills both skeletons with the views of VIEW_SLOTS fresh shared pages. */
static sm_status alias(view_region *v) {
    size_t len = (size_t)VIEW_SLOTS * sm_page_size();
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

/* Locks both skeletons, or neither; errno is kept on failure. */
static int lock_skeletons(view_region *v) {
    if (mlock2(v->rd, skeleton_len(), MLOCK_ONFAULT) == 0 &&
        mlock2(v->wr, skeleton_len(), MLOCK_ONFAULT) == 0)
        return 0;
    int err = errno;
    (void)munlock(v->rd, skeleton_len());
    errno = err;
    return -1;
}

static sm_status lock_region(view_region *v) {
    sm_lock_policy policy = sm__lock_policy();
    if (policy == SM_LOCK_OFF)
        return SM_OK;
    int rc = lock_skeletons(v);
    if (rc != 0) {
        (void)sm__pool_cache_drain(); /* the pool's cache may hold the lock it needs */
        rc = lock_skeletons(v);
    }
    if (rc == 0) {
        v->locked = 1;
        return SM_OK;
    }
    int err = errno;
    if (policy == SM_LOCK_STRICT)
        return sm__fail(SM_ERR_MLOCK, err);
    sm__stat_add(SM_CTR_LOCK_FAILURES, 1);
    return SM_OK;
}

static void region_unmap(view_region *v) {
    if (v->rd != NULL)
        munmap(v->rd, skeleton_len());
    if (v->wr != NULL)
        munmap(v->wr, skeleton_len());
    free(v);
}

static sm_status region_new(view_region **out) {
    view_region *v = calloc(1, sizeof *v);
    if (v == NULL)
        return SM_ERR_NOMEM;
    v->rd = skeleton();
    v->wr = skeleton();
    sm_status st = v->rd != NULL && v->wr != NULL ? SM_OK : sm__fail(SM_ERR_NOMEM, errno);
    if (st == SM_OK)
        st = alias(v);
    if (st == SM_OK)
        st = advise(v);
    if (st == SM_OK)
        st = lock_region(v);
    if (st != SM_OK) {
        region_unmap(v);
        return st;
    }
    *out = v;
    return SM_OK;
}

/* ------------------------------------------------------------------ */
/* Taking and giving views                                             */
/* ------------------------------------------------------------------ */

/* With views_lock held: a region with a free view, made if needed. */
static sm_status region_with_room(view_region **out) {
    for (view_region *v = regions; v != NULL; v = v->next)
        if (v->used != ALL_USED) {
            *out = v;
            return SM_OK;
        }
    if (view_regions >= VIEW_REGIONS_MAX)
        return SM_ERR_NOMEM;
    sm_status st = region_new(out);
    if (st == SM_OK) {
        (*out)->next = regions;
        regions = *out;
        view_regions++;
    }
    return st;
}

sm_status sm__view_take(sm_view *out) {
    if (sm__fork_policy() != SM_FORK_WIPE ||
        atomic_load_explicit(&views_unsupported, memory_order_relaxed))
        return SM_ERR_UNSUPPORTED;
    (void)pthread_once(&views_once, install_fork_handlers);
    view_region *v = NULL;
    pthread_mutex_lock(&views_lock);
    sm_status st = region_with_room(&v);
    uint32_t i = 0;
    if (st == SM_OK) {
        i = (uint32_t)__builtin_ctz(~v->used);
        v->used |= UINT32_C(1) << i;
        out->gen = atomic_load_explicit(&views_gen, memory_order_relaxed);
    }
    pthread_mutex_unlock(&views_lock);
    if (st != SM_OK)
        return st;
    out->read = page_in(v->rd, i);
    out->write = page_in(v->wr, i);
    out->owner = v;
    out->index = i;
    out->locked = v->locked;
    if (out->locked)
        sm__stat_add(SM_CTR_BYTES_LOCKED, sm_page_size());
    atomic_fetch_add_explicit(&views_taken, 1, memory_order_relaxed);
    return SM_OK;
}

size_t sm__views_taken(void) {
    return atomic_load_explicit(&views_taken, memory_order_relaxed);
}

void sm__view_give(sm_view *v, size_t used) {
    if (v->read == NULL)
        return;
    if (v->gen != atomic_load_explicit(&views_gen, memory_order_relaxed))
        return; /* taken before a fork, in the parent: the page is not mapped here */
    size_t cap = sm__view_capacity();
    used = used < cap ? used : cap;
    sm_wipe(v->write + cap - used, used);
    sm__pages_observe_release(v->read, cap);
    if (v->locked)
        sm__stat_sub(SM_CTR_BYTES_LOCKED, cap);
    atomic_fetch_sub_explicit(&views_taken, 1, memory_order_relaxed);
    view_region *r = v->owner;
    pthread_mutex_lock(&views_lock);
    r->used &= ~(UINT32_C(1) << v->index);
    pthread_mutex_unlock(&views_lock);
    v->read = v->write = NULL;
}
