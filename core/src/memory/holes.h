/*
 * Internal: address ranges a forked child does not inherit.
 *
 * Memory the library marks MADV_DONTFORK (enclave views, secretmem
 * mappings) is simply absent in a child: a hole another mmap there could
 * fill, while the library's records (the registry the fault path wipes,
 * stale pointers) still point into it. So every such range is tracked, and
 * in the child each is covered at once by an inaccessible reservation
 * (sm__reserve): the addresses stay the library's and any touch faults.
 */
#ifndef SM_HOLES_H
#define SM_HOLES_H

#include <stddef.h>

#include "securememory.h"

/*
 * Installs the fork handlers of holes_lock, once. The pool and the views
 * take holes_lock under their own locks, so they call this before they
 * register their own handlers: prepare handlers run in the reverse order of
 * registration, and fork() must take holes_lock last.
 */
void sm__holes_init(void);

/* Tracks [base, base+len). Errors: SM_ERR_NOMEM. Thread-safe. */
sm_status sm__holes_track(void *base, size_t len);

/* Stops tracking the range that starts at base (before it is unmapped). */
void sm__holes_untrack(void *base);

#endif
