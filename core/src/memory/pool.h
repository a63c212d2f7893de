/*
 * Internal: the page pool, the part of the guarded-page allocator (pages.h)
 * that serves regions of up to SM_POOL_MAX_PAGES inner pages from large
 * pooled mappings. Only pages.c calls it; see pool.c for the layout.
 */
#ifndef SM_POOL_H
#define SM_POOL_H

#include <stddef.h>

#include "pages.h"

/*
 * Sets the pool up once (its fork handlers, the cache bound); every entry
 * point calls it. Callers whose own fork handlers must run before the
 * pool's (views.c) call it before registering theirs. Thread-safe.
 */
void sm__pool_init(void);

/* Largest pooled region, in inner pages; larger ones get their own mapping. */
#define SM_POOL_MAX_PAGES 512u

/*
 * Takes a slot with exactly `pages` inner pages (1..SM_POOL_MAX_PAGES):
 * zeroed, read-write, locked per the lock policy. Errors: SM_ERR_NOMEM,
 * SM_ERR_MLOCK (strict policy), SM_ERR_PROTECT, SM_ERR_UNSUPPORTED.
 * On error nothing is left taken or locked.
 */
sm_status sm__pool_acquire(size_t pages, sm_region *out);

/*
 * Gives a slot back, after pages.c made its inner pages writable and wiped
 * them (wiped = 1). A locked slot may stay locked in the slot cache (see
 * pool.c). A slot that could not be wiped is never reused: it stays locked
 * and PROT_NONE.
 */
void sm__pool_release(sm_region *r, int wiped);

/*
 * Locks a live slot that is not locked (taken under SM_LOCK_OFF, or after
 * a failure under SM_LOCK_BEST_EFFORT) per the lock policy in force now.
 * Errors: SM_ERR_MLOCK (strict policy).
 */
sm_status sm__pool_lock(sm_region *r);

/*
 * Unlocks every cached slot and returns it to the free slots. Returns the
 * bytes of lock it gave back (0: nothing was cached). Called when a lock
 * fails; the lock is then tried once more whatever it returns (a
 * concurrent drain may have made the room). Takes the pool lock.
 */
size_t sm__pool_cache_drain(void);

/*
 * The forks this process descends from (bumped in each forked child, once
 * the pool is set up): a region locked under another generation was locked
 * in a parent, and a child does not inherit memory locks.
 */
unsigned sm__pool_fork_gen(void);

/* Counters for tests and benchmarks (pool lock held briefly). */
typedef struct sm_pool_info {
    size_t regions;      /* pool mappings made so far (never unmapped) */
    size_t fast_regions; /* of which fast (one mapping per slot) */
    size_t slots_free;   /* free slots across all regions */
    size_t slots_used;   /* slots held by live regions */
    size_t slots_cached; /* released slots kept locked in the slot cache */
    size_t cache_bytes;  /* bytes of lock the slot cache holds */
    size_t cache_cap;    /* the most it may hold (set at first use) */
    size_t trims;        /* times an empty dense region gave its pages back */
} sm_pool_info;

void sm__pool_info(sm_pool_info *out);

/*
 * 1 while slots lock their trailing guard with mlock2(MLOCK_ONFAULT), so
 * that live slots at rest merge into one mapping; 0 once mlock2 was
 * refused (old kernel, valgrind). For tests.
 */
int sm__pool_merges_guards(void);

#endif
