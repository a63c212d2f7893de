/*
 * Internal: the guarded-page allocator. Everything that needs guarded
 * memory goes through this interface, so the one-mapping-per-region
 * implementation can be replaced by a pooled allocator without touching
 * the buffer layer.
 *
 * A region is [guard page][inner pages][guard page]. The inner pages are
 * zeroed, read-write after sm__pages_acquire(), locked per the lock policy,
 * excluded from core dumps, and wiped on fork per the fork policy.
 */
#ifndef SM_PAGES_H
#define SM_PAGES_H

#include <stddef.h>
#include <stdint.h>

#include "securememory.h"

typedef struct sm_region {
    uint8_t *inner;   /* first inner byte (page-aligned) */
    size_t inner_len; /* inner bytes (a page multiple) */
    uint8_t *base;    /* the whole mapping, guards included */
    size_t total;
    int locked; /* 1 when the inner pages are mlocked */
} sm_region;

/* Bytes of inner pages needed for len bytes; 0 on overflow. */
size_t sm__pages_round(size_t len);

/*
 * Maps a region with at least inner_len inner bytes (rounded to pages).
 * Errors: SM_ERR_INVALID (0 or overflow), SM_ERR_NOMEM, SM_ERR_MLOCK
 * (strict policy), SM_ERR_PROTECT, SM_ERR_UNSUPPORTED (fork wipe advice).
 */
sm_status sm__pages_acquire(size_t inner_len, sm_region *out);

/* Changes the inner pages' protection. Errors: SM_ERR_PROTECT. */
sm_status sm__pages_protect(const sm_region *r, sm_prot prot);

/* Makes the inner pages writable, wipes them, unlocks and unmaps. */
void sm__pages_release(sm_region *r);

/*
 * Test hook: when set, called with the inner pages after the wipe and right
 * before they are unmapped, so tests can check the bytes really are zero.
 * NULL (the default) disables it; it costs one atomic load per release.
 */
typedef void (*sm_release_observer)(const uint8_t *inner, size_t len);
void sm__pages_set_release_observer(sm_release_observer fn);

#endif
