/*
 * Internal: the guarded-page allocator. Everything that needs guarded
 * memory goes through this interface; the buffer layer never sees whether
 * a region is a slot of a pooled mapping (pool.c) or a mapping of its own.
 *
 * A region is [guard][inner pages][guard]. The inner pages are zeroed,
 * read-write after sm__pages_acquire(), locked per the lock policy,
 * excluded from core dumps, and wiped on fork per the fork policy. A write
 * one byte past the inner pages, or one byte before them, faults.
 *
 * Regions of up to SM_POOL_MAX_PAGES inner pages are slots of the page pool
 * (pool.h): many regions share one mapping and neighbours share guard
 * pages. Larger regions get a mapping of their own.
 */
#ifndef SM_PAGES_H
#define SM_PAGES_H

#include <stddef.h>
#include <stdint.h>

#include "securememory.h"

typedef struct sm_region {
    uint8_t *inner;    /* first inner byte (page-aligned) */
    size_t inner_len;  /* inner bytes (a page multiple) */
    uint8_t *base;     /* the span accounted as mapped: own mapping, or slot + its guard */
    size_t total;      /* bytes of that span */
    int locked;        /* 1 when the pages are mlocked */
    size_t locked_len; /* bytes mlocked from inner on (inner, plus the trailing guard in a pool) */
    unsigned lock_gen; /* the process generation (sm__pool_fork_gen) that locked it */
    void *pool;        /* the pool region holding the slot; NULL for an own mapping */
    uint32_t slot;     /* slot index in that pool region */
    int secret;        /* secretmem pages (SM_BACKEND_SECRETMEM): locked while mapped */
} sm_region;

/* len rounded up to whole pages; 0 for 0 or on overflow (memcall.c). */
size_t sm__pages_round(size_t len);

/*
 * Takes a region with at least inner_len inner bytes (rounded to pages).
 * Errors: SM_ERR_INVALID (0 or overflow), SM_ERR_NOMEM, SM_ERR_MLOCK
 * (strict policy; nothing is left taken), SM_ERR_PROTECT,
 * SM_ERR_UNSUPPORTED (fork wipe advice).
 */
sm_status sm__pages_acquire(size_t inner_len, sm_region *out);

/*
 * Locks the inner pages of a region that is not locked in this process,
 * per the lock policy in force now (nothing under SM_LOCK_OFF, nothing
 * when it is locked already): for long-lived regions made under another
 * policy, left unlocked by a failure under SM_LOCK_BEST_EFFORT, or
 * inherited through fork() (a child does not inherit memory locks; their
 * bytes leave sm_stats.bytes_locked until locked again). Secretmem pages
 * are always locked. Errors: SM_ERR_MLOCK (strict policy), SM_ERR_CLOSED
 * (the pages are lost: sm__pages_lost).
 */
sm_status sm__pages_lock(sm_region *r);

/*
 * 1 when the region's pages are not in this process: secretmem pages made
 * before a fork(), in the child (they are never inherited; their addresses
 * are reserved, inaccessible). Objects on such pages report closed.
 */
int sm__pages_lost(const sm_region *r);

/* Changes the inner pages' protection. Errors: SM_ERR_PROTECT. */
sm_status sm__pages_protect(const sm_region *r, sm_prot prot);

/*
 * Makes the inner pages writable, wipes them, unlocks them and gives them
 * back: a pooled slot returns to the pool (PROT_NONE, unlocked), an own
 * mapping is unmapped. Lost pages (sm__pages_lost) are only forgotten.
 * Returns 1 when the pages were wiped (or unmapped); 0 when they could not
 * be made writable: a pooled slot is then given up unwiped, no-access and
 * never reused. *r is zeroed.
 */
int sm__pages_release(sm_region *r);

/*
 * sm__pages_release() for a caller that already made all inner pages
 * writable and wiped them (the buffer teardown does, before it leaves the
 * registry): no second protection change, no second wipe.
 */
void sm__pages_release_wiped(sm_region *r);

/*
 * Test hook: when set, called with the inner pages after the wipe and right
 * before they are given back (unmapped, or returned to the pool), so tests
 * can check the bytes really are zero. NULL (the default) disables it; it
 * costs one atomic load per release. The enclave views (views.h) report
 * their pages here too.
 */
typedef void (*sm_release_observer)(const uint8_t *inner, size_t len);
void sm__pages_set_release_observer(sm_release_observer fn);

/* Calls the release observer, if one is set (pages.c, pool.c, views.c). */
void sm__pages_observe_release(const uint8_t *inner, size_t len);

#endif
