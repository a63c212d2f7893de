/* Internal: the settings in force and lazy initialisation. */
#ifndef SM_CONFIG_INTERNAL_H
#define SM_CONFIG_INTERNAL_H

#include "securememory.h"

/*
 * Initialises the library with the defaults if sm_init() never ran.
 * Cheap after the first call (one atomic load). Every public entry point
 * that allocates calls it. Returns SM_OK or sm_init()'s error.
 */
sm_status sm__ensure_init(void);

/* The settings in force (atomics: safe from any thread). */
sm_lock_policy sm__lock_policy(void);
sm_fork_policy sm__fork_policy(void);
uint32_t sm__rekey_interval_ms(void);

/*
 * The backend in force, for a caller about to take plaintext memory: from
 * the first call on, sm_init() can no longer switch to the other backend.
 */
sm_backend sm__backend_take(void);

#endif
