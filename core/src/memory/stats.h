/* Internal: the counters behind sm_stats_get(), all atomics. */
#ifndef SM_STATS_INTERNAL_H
#define SM_STATS_INTERNAL_H

#include <stdint.h>

#include "securememory.h"

typedef enum sm_counter {
    SM_CTR_LIVE_BUFFERS,
    SM_CTR_BYTES_IN_USE,
    SM_CTR_BYTES_LOCKED,
    SM_CTR_LOCK_FAILURES,
    SM_CTR_SECRETS_PROTECTED,
    SM_CTR_SECRETS_ENCLAVE,
    SM_CTR_ENCLAVES,
    SM_CTR_MAPPED_BYTES,
    SM_CTR_BYTES_LOCKED_CACHED,
    SM_CTR_COUNT
} sm_counter;

/* Adds delta (may be negative via sm__stat_sub) to a counter. */
void sm__stat_add(sm_counter c, uint64_t delta);
void sm__stat_sub(sm_counter c, uint64_t delta);

#endif
