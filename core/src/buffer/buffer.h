/* Internal: guarded buffers owned by other objects (secrets, enclaves, streams). */
#ifndef SM_BUFFER_INTERNAL_H
#define SM_BUFFER_INTERNAL_H

#include "securememory.h"

/*
 * Allocates a zeroed read-write guarded buffer. When owned is nonzero the
 * buffer is an internal part of another object: sm_purge does not destroy
 * it directly (its owner's purge does), but the fault path still wipes it.
 * A public buffer (owned == 0) is destroyed by sm_purge.
 */
sm_status sm__buffer_alloc(size_t len, int owned, sm_buffer **out);

/*
 * 1 when a buffer of len bytes could exist (nonzero, no overflow). A longer
 * len cannot be the length of the caller's memory either, so constructors
 * do not wipe a src of such a length (that would run off its end).
 */
int sm__buffer_len_ok(size_t len);

/*
 * Hands an owned buffer out as a public one: from now on sm_purge destroys
 * it. Fill a new public buffer while it is still owned, then publish it, so
 * a concurrent purge never unmaps it under the fill.
 */
void sm__buffer_publish(sm_buffer *b);

/* Work on a buffer's bytes: return SM_OK or an error status. */
typedef sm_status (*sm_data_fn)(void *ctx, uint8_t *data, size_t len);

/* For sm__buffer_with_data's `after`: put back the protection it had. */
#define SM__PROT_RESTORE (-1)
/* For `after`: keep READWRITE if it had it, else READ (readable either way). */
#define SM__PROT_READABLE (-2)

/*
 * Runs fn(ctx, data, len) under the buffer's lock, with the data in
 * protection `during`, then sets `after` (a sm_prot, SM__PROT_RESTORE or
 * SM__PROT_READABLE).
 * Holding the lock keeps a concurrent sm_purge from releasing the memory
 * under fn. Errors: SM_ERR_CLOSED (not alive), SM_ERR_PROTECT, fn's status.
 */
sm_status sm__buffer_with_data(sm_buffer *b, sm_prot during, int after, sm_data_fn fn, void *ctx);

/*
 * Data pointer without the alive check or locking, for owners that manage
 * the buffer's lifetime themselves.
 */
uint8_t *sm__buffer_bytes(const sm_buffer *b);

/*
 * Locks an owned buffer's pages per the lock policy in force now, if they
 * are not locked (the policy changed since it was made, or a best-effort
 * lock failed). For owners that use one buffer for a long time (the
 * coffer) and hold it exclusively: no buffer lock is taken.
 * Errors: SM_ERR_MLOCK (strict policy).
 */
sm_status sm__buffer_lock(sm_buffer *b);

/* 1 when the buffer's pages are locked (tests). */
int sm__buffer_is_locked(const sm_buffer *b);

#endif
