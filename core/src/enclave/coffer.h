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
 * purge, or a fresh one if the fault path wiped the parts) in guarded
 * memory, calls fn(ctx, key), wipes the key and the dead stack below the
 * caller, and returns what fn returned (or the coffer's own error).
 * SM_ERR_AUTH instead of fn's status: the fault path wiped the process's
 * secrets while fn ran, so the key fn read may have been zeroed; discard
 * what fn produced (a seal may be under a known key).
 */
sm_status sm__coffer_with_key(sm_key_fn fn, void *ctx);

/* Destroys the key (sm_purge). A new one is made lazily on next use. */
void sm__coffer_purge(void);

/*
 * Stops the re-key thread, if running, and joins it. Registered with
 * atexit() on first use; tests call it too. A later coffer use starts the
 * thread again (when the interval is nonzero).
 */
void sm__coffer_shutdown(void);

/* Re-keys done so far, by the thread or sm_coffer_rekey() (for tests). */
uint64_t sm__coffer_rekey_count(void);

/* 1 while the re-key thread exists (for tests). */
int sm__coffer_rekey_thread_running(void);

/* For tests: 1 when the key parts and the scratch buffer exist and are locked. */
int sm__coffer_locked(void);

/*
 * For tests: copies the current key halves (key = left XOR BLAKE2b(right))
 * and returns 1, or returns 0 (nothing copied) when there is no key.
 */
int sm__coffer_parts(uint8_t left[32], uint8_t right[32]);

#endif
