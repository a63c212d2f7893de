/*
 * Internal: enclave views, the fast path for opening a small ENCLAVE
 * secret. A view is one locked page mapped twice: a read-only view, handed
 * to the secret's readers, and a writable alias that only the library
 * touches (to decrypt into it and to wipe it). Both sit between PROT_NONE
 * guard pages. Opening and closing a view takes no system call, where a
 * guarded buffer needs at least four protection or lock changes.
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
 * Takes a free view; its page is zero. Errors: SM_ERR_UNSUPPORTED (fork
 * keep policy, or the kernel cannot alias pages), SM_ERR_NOMEM (too many
 * views open at once), SM_ERR_MLOCK (strict lock policy). On any error the
 * caller can fall back to a guarded buffer.
 */
sm_status sm__view_take(sm_view *out);

/*
 * Wipes the last `used` bytes of the view (the caller wrote nothing else),
 * reports the page to the release observer and gives the view back. A view
 * taken before a fork() is dropped in the child (its pages are not there).
 */
void sm__view_give(sm_view *v, size_t used);

/* Views taken right now, in this process (for tests). */
size_t sm__views_taken(void);

#endif
