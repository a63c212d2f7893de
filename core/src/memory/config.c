/*
 * Settings and initialisation. The settings are atomics, so any thread may
 * read them without a lock; init_lock serialises sm_init() calls.
 */
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <string.h>

#include "config.h"
#include "securememory.h"
#include "status.h"

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER; /* serialises sm_init */
static atomic_int initialised;
static atomic_int lock_policy = SM_LOCK_STRICT;
static atomic_int fork_policy = SM_FORK_WIPE;
static _Atomic uint32_t rekey_interval_ms = 500;

void sm_config_default(sm_config *cfg) {
    if (cfg == NULL)
        return;
    memset(cfg, 0, sizeof *cfg);
    cfg->size = sizeof *cfg;
    cfg->lock_policy = SM_LOCK_STRICT;
    cfg->fork_policy = SM_FORK_WIPE;
    cfg->disable_core_dumps = 0;
    cfg->rekey_interval_ms = 500;
}

static int config_valid(const sm_config *cfg) {
    return cfg->size >= sizeof(sm_config) && (unsigned)cfg->lock_policy <= SM_LOCK_OFF &&
           (unsigned)cfg->fork_policy <= SM_FORK_KEEP;
}

static sm_status apply(const sm_config *cfg) {
    if (cfg->disable_core_dumps) {
        sm_status st = sm_disable_core_dumps();
        if (st != SM_OK)
            return st;
    }
    atomic_store(&lock_policy, cfg->lock_policy);
    atomic_store(&fork_policy, cfg->fork_policy);
    atomic_store(&rekey_interval_ms, cfg->rekey_interval_ms);
    return SM_OK;
}

sm_status sm_init(const sm_config *cfg) {
    sm_config defaults;
    if (cfg == NULL) {
        sm_config_default(&defaults);
        cfg = &defaults;
    }
    if (!config_valid(cfg))
        return SM_ERR_INVALID;
    pthread_mutex_lock(&init_lock);
    sm_status st = SM_OK;
    if (sodium_init() < 0)
        st = sm__fail(SM_ERR_UNSUPPORTED, errno);
    if (st == SM_OK)
        st = apply(cfg);
    if (st == SM_OK)
        atomic_store_explicit(&initialised, 1, memory_order_release);
    pthread_mutex_unlock(&init_lock);
    return st;
}

sm_status sm__ensure_init(void) {
    if (atomic_load_explicit(&initialised, memory_order_acquire))
        return SM_OK;
    pthread_mutex_lock(&init_lock);
    sm_status st = SM_OK;
    if (!atomic_load_explicit(&initialised, memory_order_relaxed)) {
        if (sodium_init() < 0)
            st = sm__fail(SM_ERR_UNSUPPORTED, errno);
        else
            atomic_store_explicit(&initialised, 1, memory_order_release);
    }
    pthread_mutex_unlock(&init_lock);
    return st;
}

sm_lock_policy sm__lock_policy(void) {
    return (sm_lock_policy)atomic_load_explicit(&lock_policy, memory_order_relaxed);
}

sm_fork_policy sm__fork_policy(void) {
    return (sm_fork_policy)atomic_load_explicit(&fork_policy, memory_order_relaxed);
}

uint32_t sm__rekey_interval_ms(void) {
    return atomic_load_explicit(&rekey_interval_ms, memory_order_relaxed);
}
