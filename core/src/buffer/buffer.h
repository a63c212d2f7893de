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
 * Data pointer without the alive check or locking, for owners that manage
 * the buffer's lifetime themselves.
 */
uint8_t *sm__buffer_bytes(const sm_buffer *b);

#endif
