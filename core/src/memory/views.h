/*
 * Internal: enclave views, the fast path for opening a small ENCLAVE
 * secret. A view is one page mapped twice: a read-only view, handed to the
 * secret's readers, and a writable alias that only the library touches (to
 * decrypt into it and to wipe it). Both sit between PROT_NONE guard pages.
 * Opening and closing a view takes no system call in the steady state,
 * where a guarded buffer needs at least four protection or lock changes.
 *
 * A view's page is locked (per the lock policy in force when it is taken)
 * only while it is taken, or while it waits, wiped, in a small cache of
 * locked free views; so locked memory follows the secrets that are open.
 *
 * Views are shared memory, so they use MADV_DONTFORK instead of
 * MADV_WIPEONFORK: a forked child does not have them at all (any access
 * faults). They are used only under SM_FORK_WIPE; under SM_FORK_KEEP (a
 * child must inherit a copy) sm__view_take() reports SM_ERR_UNSUPPORTED
 * and the caller uses a guarded buffer instead.
 */
#ifndef SM_VIEWS_H
#define SM_VIEWS_H

#include <stddef.h>
#include <stdint.h>

#include "securememory.h"

typedef struct sm_view {
    uint8_t *read;  /* the page as readers see it: read-only */
    uint8_t *write; /* the same page, writable; never handed out */
    void *owner;    /* the view region */
    uint32_t index; /* the view's index in it */
    unsigned gen;   /* fork generation it was taken in */
    int locked;     /* its page is mlocked */
} sm_view;

/* Bytes one view holds (one page). */
size_t sm__view_capacity(void);

/*
 * Takes a free view; its page is zero and locked per the lock policy.
 * Errors: SM_ERR_UNSUPPORTED (fork keep policy, or the kernel cannot alias
 * pages), SM_ERR_NOMEM (too many views open at once), SM_ERR_MLOCK (strict
 * lock policy). On any error the caller can fall back to a guarded buffer.
 */
sm_status sm__view_take(sm_view *out);

/* Wipes the last `used` bytes of the view (the caller wrote nothing else). */
void sm__view_wipe(const sm_view *v, size_t used);

/*
 * Wipes the last `used` bytes (0: the caller already did, with
 * sm__view_wipe), reports the page to the release observer and gives the
 * view back: its page stays locked in the view cache if there is room,
 * else it is unlocked. A view taken before a fork() is dropped in the
 * child (its pages are not there).
 */
void sm__view_give(sm_view *v, size_t used);

/*
 * Unlocks every free view the cache keeps locked; returns the bytes of lock
 * given back. Called (through sm__lock_caches_drain) when a lock fails.
 */
size_t sm__views_cache_drain(void);

/* Views taken right now, in this process (for tests). */
size_t sm__views_taken(void);

#endif
