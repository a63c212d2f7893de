/*
 * The guarded-page allocator (pages.h). Regions of up to SM_POOL_MAX_PAGES
 * inner pages come from the page pool (pool.c); larger ones get one
 * anonymous mapping each, [guard][inner pages][guard], guards PROT_NONE.
 *
 * Global state: the release observer (a test hook) is an atomic. Nothing
 * here takes a lock; the pool has its own (see pool.c).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
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

static _Atomic(sm_release_observer) release_observer; /* test hook, atomic */

void sm__pages_set_release_observer(sm_release_observer fn) {
    atomic_store(&release_observer, fn);
}

void sm__pages_observe_release(const uint8_t *inner, size_t len) {
    sm_release_observer observe = atomic_load_explicit(&release_observer, memory_order_acquire);
    if (observe != NULL)
        observe(inner, len);
}

/* ------------------------------------------------------------------ */
/* Regions with a mapping of their own (larger than any pool slot)     */
/* ------------------------------------------------------------------ */

static sm_status advise(uint8_t *base, size_t total) {
    /* Dump exclusion is advisory; fork wiping is a promise, so it must hold. */
    (void)madvise(base, total, MADV_DONTDUMP);
    if (sm__fork_policy() == SM_FORK_WIPE && madvise(base, total, MADV_WIPEONFORK) != 0)
        return sm__fail(SM_ERR_UNSUPPORTED, errno);
    return SM_OK;
}

static sm_status lock_inner(sm_region *r) {
    sm_lock_policy policy = sm__lock_policy();
    if (policy == SM_LOCK_OFF)
        return SM_OK;
    int rc = mlock(r->inner, r->inner_len);
    if (rc != 0) {
        (void)sm__lock_caches_drain(); /* a cache may hold the lock it needs */
        rc = mlock(r->inner, r->inner_len);
    }
    if (rc == 0) {
        r->locked = 1;
        r->locked_len = r->inner_len;
        r->lock_gen = sm__pool_fork_gen();
        sm__stat_add(SM_CTR_BYTES_LOCKED, r->inner_len);
        return SM_OK;
    }
    if (policy == SM_LOCK_STRICT)
        return sm__fail(SM_ERR_MLOCK, errno);
    sm__stat_add(SM_CTR_LOCK_FAILURES, 1);
    return SM_OK;
}

static sm_status map_region(size_t inner_len, sm_region *r) {
    size_t ps = sm_page_size();
    if (inner_len > SIZE_MAX - 2 * ps)
        return SM_ERR_INVALID;
    r->total = inner_len + 2 * ps;
    r->inner_len = inner_len;
    void *p = mmap(NULL, r->total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return sm__fail(SM_ERR_NOMEM, errno);
    r->base = p;
    r->inner = r->base + ps;
    if (mprotect(r->inner, inner_len, PROT_READ | PROT_WRITE) != 0) {
        int err = errno;
        munmap(p, r->total);
        return sm__fail(err == ENOMEM ? SM_ERR_NOMEM : SM_ERR_PROTECT, err);
    }
    return SM_OK;
}

/*
 * SM_BACKEND_SECRETMEM: puts the pages of a secretmem file of their own in
 * place of the inner pages (always locked: the lock policy does not apply)
 * and keeps the mapping's addresses reserved in a forked child.
 */
static sm_status own_secret(sm_region *r) {
    int fd = sm__secretmem_file(r->inner_len);
    if (fd < 0)
        return sm__fail(SM_ERR_UNSUPPORTED, errno);
    int rc = sm__secretmem_map(r->inner, r->inner_len, PROT_READ | PROT_WRITE, fd, 0);
    int err = errno;
    close(fd); /* the mapping keeps the file */
    if (rc != 0)
        return sm__fail(sm__secretmem_fail(err), err);
    sm_status st = sm__holes_track(r->base, r->total);
    if (st != SM_OK)
        return st;
    r->secret = 1;
    r->locked = 1;
    r->locked_len = r->inner_len;
    r->lock_gen = sm__pool_fork_gen();
    sm__stat_add(SM_CTR_BYTES_LOCKED, r->inner_len);
    return SM_OK;
}

static sm_status own_acquire(size_t len, sm_region *out) {
    sm_region r = {0};
    sm_status st = map_region(len, &r);
    if (st != SM_OK)
        return st;
    st = advise(r.base, r.total);
    if (st == SM_OK)
        st = sm__backend_take() == SM_BACKEND_SECRETMEM ? own_secret(&r) : lock_inner(&r);
    if (st != SM_OK) {
        munmap(r.base, r.total);
        return st;
    }
    sm__stat_add(SM_CTR_MAPPED_BYTES, r.total);
    *out = r;
    return SM_OK;
}

static void own_release(sm_region *r) {
    if (r->locked && !r->secret)
        (void)munlock(r->inner, r->locked_len);
    if (r->locked)
        sm__stat_sub(SM_CTR_BYTES_LOCKED, r->locked_len);
    if (r->secret)
        sm__holes_untrack(r->base);
    (void)munmap(r->base, r->total);
    sm__stat_sub(SM_CTR_MAPPED_BYTES, r->total);
}

/* Lost pages (sm__pages_lost): nothing to touch, only the counters and, for
 * an own mapping, the reservation holding its addresses. */
static void forget(sm_region *r) {
    if (r->pool == NULL) {
        own_release(r);
        return;
    }
    if (r->locked)
        sm__stat_sub(SM_CTR_BYTES_LOCKED, r->locked_len);
    sm__stat_sub(SM_CTR_MAPPED_BYTES, r->total);
}

/* ------------------------------------------------------------------ */
/* The interface                                                       */
/* ------------------------------------------------------------------ */

sm_status sm__pages_acquire(size_t inner_len, sm_region *out) {
    memset(out, 0, sizeof *out);
    size_t len = sm__pages_round(inner_len);
    if (len == 0)
        return SM_ERR_INVALID;
    sm__pool_init(); /* its fork generation dates every lock, pooled or not */
    size_t pages = len / sm_page_size();
    if (pages <= SM_POOL_MAX_PAGES)
        return sm__pool_acquire(pages, out);
    return own_acquire(len, out);
}

int sm__pages_lost(const sm_region *r) {
    return r->secret && r->lock_gen != sm__pool_fork_gen();
}

sm_status sm__pages_lock(sm_region *r) {
    if (r->secret)
        return sm__pages_lost(r) ? SM_ERR_CLOSED : SM_OK;
    if (r->base == NULL || sm__lock_policy() == SM_LOCK_OFF)
        return SM_OK;
    unsigned gen = sm__pool_fork_gen();
    if (r->locked && r->lock_gen == gen)
        return SM_OK;
    if (r->locked) { /* locked in a parent process: the lock did not survive fork() */
        r->locked = 0;
        sm__stat_sub(SM_CTR_BYTES_LOCKED, r->locked_len);
    }
    return r->pool != NULL ? sm__pool_lock(r) : lock_inner(r);
}

sm_status sm__pages_protect(const sm_region *r, sm_prot prot) {
    if (sm__pages_lost(r))
        return SM_ERR_CLOSED;
    return sm_mem_protect(r->inner, r->inner_len, prot);
}

void sm__pages_release_wiped(sm_region *r) {
    if (r->base == NULL)
        return;
    if (sm__pages_lost(r)) {
        forget(r);
        memset(r, 0, sizeof *r);
        return;
    }
    sm__pages_observe_release(r->inner, r->inner_len);
    if (r->pool != NULL)
        sm__pool_release(r, 1);
    else
        own_release(r);
    memset(r, 0, sizeof *r);
}

int sm__pages_release(sm_region *r) {
    if (r->base == NULL)
        return 1;
    if (!sm__pages_lost(r) && mprotect(r->inner, r->inner_len, PROT_READ | PROT_WRITE) == 0) {
        sm_wipe(r->inner, r->inner_len);
        sm__pages_release_wiped(r);
        return 1;
    }
    int gone = sm__pages_lost(r) || r->pool == NULL; /* unmapped, or not in this process */
    if (sm__pages_lost(r))
        forget(r);
    else if (r->pool != NULL)
        sm__pool_release(r, 0);
    else
        own_release(r);
    memset(r, 0, sizeof *r);
    return gone;
}
