/*
 * Internal: the caches of locked memory, drained together when a lock
 * fails. The page pool keeps released slots locked (pool.c) and the enclave
 * views keep free views locked (views.c), so that memory used again soon
 * costs no system call; neither may ever cost an allocation its lock.
 */
#ifndef SM_LOCKCACHE_H
#define SM_LOCKCACHE_H

#include <stddef.h>

/*
 * Unlocks everything the caches hold (the pool's slot cache, then the view
 * cache) and returns the bytes of lock given back (0: nothing was cached).
 * The caller then tries its lock once more whatever it returns: another
 * thread's drain, which this one may have waited for, may have made the
 * room. Takes pool_lock and views_lock one after the other, never both.
 */
size_t sm__lock_caches_drain(void);

#endif
