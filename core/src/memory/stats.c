/* The counters behind sm_stats_get(): relaxed atomics, no lock. */
#include <stdatomic.h>
#include <string.h>

#include "securememory.h"
#include "stats.h"

static _Atomic uint64_t counters[SM_CTR_COUNT];
static _Atomic uint64_t peak_locked;

static void raise_peak(uint64_t now) {
    uint64_t seen = atomic_load_explicit(&peak_locked, memory_order_relaxed);
    while (now > seen &&
           !atomic_compare_exchange_weak_explicit(&peak_locked, &seen, now, memory_order_relaxed,
                                                  memory_order_relaxed)) {
    }
}

void sm__stat_add(sm_counter c, uint64_t delta) {
    uint64_t now = atomic_fetch_add_explicit(&counters[c], delta, memory_order_relaxed) + delta;
    if (c == SM_CTR_BYTES_LOCKED)
        raise_peak(now);
}

void sm__stat_sub(sm_counter c, uint64_t delta) {
    atomic_fetch_sub_explicit(&counters[c], delta, memory_order_relaxed);
}

static uint64_t get(sm_counter c) {
    return atomic_load_explicit(&counters[c], memory_order_relaxed);
}

sm_status sm_stats_get(sm_stats *out) {
    if (out == NULL || out->size < offsetof(sm_stats, live_secrets_protected))
        return SM_ERR_INVALID;
    sm_stats s;
    memset(&s, 0, sizeof s);
    s.size = out->size < sizeof s ? out->size : sizeof s;
    s.live_buffers = get(SM_CTR_LIVE_BUFFERS);
    s.bytes_in_use = get(SM_CTR_BYTES_IN_USE);
    s.bytes_locked = get(SM_CTR_BYTES_LOCKED);
    s.peak_bytes_locked = atomic_load_explicit(&peak_locked, memory_order_relaxed);
    s.lock_failures = get(SM_CTR_LOCK_FAILURES);
    s.live_secrets_protected = get(SM_CTR_SECRETS_PROTECTED);
    s.live_secrets_enclave = get(SM_CTR_SECRETS_ENCLAVE);
    s.live_enclaves = get(SM_CTR_ENCLAVES);
    s.mapped_bytes = get(SM_CTR_MAPPED_BYTES);
    s.bytes_locked_cached = get(SM_CTR_BYTES_LOCKED_CACHED);
    memcpy(out, &s, s.size);
    return SM_OK;
}
