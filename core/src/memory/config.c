/*
 * Settings and initialisation.
 *
 * Global state and locks
 * - The settings are atomics, so any thread may read them without a lock.
 * - init_lock serialises sm_init() and the lazy first initialisation; it
 *   guards `sodium_ready` (sodium_init() runs once, always under it). Its
 *   fork handlers are installed (pthread_once) before its first use: a
 *   fork while another thread is inside sm_init() must not hand the child
 *   init_lock held, nor libsodium's own lock, which sodium_init() takes.
 * - `backend_taken` (atomic) is set by the memory layer the first time it
 *   takes plaintext memory; from then on the backend is fixed.
 */
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "config.h"
#include "secretmem.h"
#include "securememory.h"
#include "status.h"

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER; /* serialises initialisation */
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int sodium_ready; /* init_lock */
static atomic_int initialised;
static atomic_int lock_policy = SM_LOCK_STRICT;
static atomic_int fork_policy = SM_FORK_WIPE;
static _Atomic uint32_t rekey_interval_ms = 500;
static atomic_int backend = SM_BACKEND_PAGES; /* resolved: never SM_BACKEND_AUTO */
static atomic_int backend_taken;              /* memory was taken under `backend` */

void sm_config_default(sm_config *cfg) {
    if (cfg == NULL)
        return;
    memset(cfg, 0, sizeof *cfg);
    cfg->size = sizeof *cfg;
    cfg->lock_policy = SM_LOCK_STRICT;
    cfg->fork_policy = SM_FORK_WIPE;
    cfg->disable_core_dumps = 0;
    cfg->rekey_interval_ms = 500;
    cfg->backend = sm_backend_active(); /* so a later sm_init keeps it */
}

/* The smallest size accepted: a caller built before `backend` existed. */
#define CONFIG_MIN_SIZE offsetof(sm_config, backend)

/* cfg as the library reads it: fields beyond cfg->size keep their defaults. */
static sm_config config_read(const sm_config *cfg) {
    sm_config c;
    sm_config_default(&c);
    memcpy(&c, cfg, cfg->size < sizeof c ? cfg->size : sizeof c);
    c.size = sizeof c;
    return c;
}

static int config_valid(const sm_config *cfg) {
    return (unsigned)cfg->lock_policy <= SM_LOCK_OFF &&
           (unsigned)cfg->fork_policy <= SM_FORK_KEEP && (unsigned)cfg->backend <= SM_BACKEND_AUTO;
}

/* The backend `want` resolves to on this kernel; SM_ERR_UNSUPPORTED if none. */
static sm_status resolve_backend(sm_backend want, sm_backend *out) {
    if (want == SM_BACKEND_AUTO)
        want = sm__secretmem_supported() ? SM_BACKEND_SECRETMEM : SM_BACKEND_PAGES;
    if (want == SM_BACKEND_SECRETMEM && !sm__secretmem_supported())
        return SM_ERR_UNSUPPORTED;
    *out = want;
    return SM_OK;
}

/* With init_lock held. */
static sm_status apply(const sm_config *cfg) {
    sm_backend b = SM_BACKEND_PAGES;
    sm_status st = resolve_backend(cfg->backend, &b);
    if (st != SM_OK)
        return st;
    if (atomic_load(&backend_taken) && (int)b != atomic_load(&backend))
        return SM_ERR_INVALID; /* memory was taken under the other backend */
    if (cfg->disable_core_dumps && (st = sm_disable_core_dumps()) != SM_OK)
        return st;
    atomic_store(&backend, b);
    atomic_store(&lock_policy, cfg->lock_policy);
    atomic_store(&fork_policy, cfg->fork_policy);
    atomic_store(&rekey_interval_ms, cfg->rekey_interval_ms);
    return SM_OK;
}

static void fork_prepare(void) {
    pthread_mutex_lock(&init_lock);
}

static void fork_release(void) {
    pthread_mutex_unlock(&init_lock);
}

static void install_fork_handlers(void) {
    (void)pthread_atfork(fork_prepare, fork_release, fork_release);
}

/* Takes init_lock, its fork handlers installed first. */
static void lock_init(void) {
    (void)pthread_once(&init_once, install_fork_handlers);
    pthread_mutex_lock(&init_lock);
}

/* With init_lock held: libsodium, once. */
static sm_status sodium_ready_locked(void) {
    if (!sodium_ready) {
        if (sodium_init() < 0)
            return SM_ERR_UNSUPPORTED;
        sodium_ready = 1;
    }
    return SM_OK;
}

sm_status sm_init(const sm_config *cfg) {
    sm_config c;
    sm_config_default(&c);
    if (cfg != NULL) {
        if (cfg->size < CONFIG_MIN_SIZE)
            return SM_ERR_INVALID;
        c = config_read(cfg);
    }
    if (!config_valid(&c))
        return SM_ERR_INVALID;
    lock_init();
    sm_status st = sodium_ready_locked();
    if (st == SM_OK)
        st = apply(&c);
    if (st == SM_OK)
        atomic_store_explicit(&initialised, 1, memory_order_release);
    pthread_mutex_unlock(&init_lock);
    return st;
}

sm_status sm__ensure_init(void) {
    if (atomic_load_explicit(&initialised, memory_order_acquire))
        return SM_OK;
    lock_init();
    sm_status st = sodium_ready_locked();
    if (st == SM_OK)
        atomic_store_explicit(&initialised, 1, memory_order_release);
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

sm_backend sm__backend_take(void) {
    atomic_store_explicit(&backend_taken, 1, memory_order_relaxed);
    return (sm_backend)atomic_load_explicit(&backend, memory_order_relaxed);
}

sm_backend sm_backend_active(void) {
    return (sm_backend)atomic_load_explicit(&backend, memory_order_relaxed);
}
