/*
 * Internal: the coffer, the process key for enclaves. The key is never
 * stored whole: it is split across guarded buffers and rebuilt inside
 * locked guarded memory only for the duration of one use.
 */
#ifndef SM_COFFER_H
#define SM_COFFER_H

#include <stddef.h>
#include <stdint.h>

#include "securememory.h"

typedef sm_status (*sm_key_fn)(void *ctx, const uint8_t key[32]);

/*
 * Rebuilds the key (creating one lazily if there is none, e.g. after a
 * purge) in guarded memory, calls fn(ctx, key), wipes the key, and returns
 * what fn returned (or the coffer's own error).
 */
sm_status sm__coffer_with_key(sm_key_fn fn, void *ctx);

/* Destroys the key (sm_purge). A new one is made lazily on next use. */
void sm__coffer_purge(void);

/* Stops the re-key thread, if running (library shutdown, tests). */
void sm__coffer_shutdown(void);

#endif
