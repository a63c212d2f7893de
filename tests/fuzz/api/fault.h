/*
 * Fault injection for the interpreter: the environment failures the header
 * documents (SM_ERR_NOMEM, SM_ERR_MLOCK, SM_ERR_PROTECT) cannot happen on
 * their own here (mlock is a no-op under ASan, memory is plentiful), so an
 * operation can make one of the next calls of the buffer layer into the
 * page allocator fail. fuzz_api links with -Wl,--wrap for
 * sm__pages_acquire, sm__pages_lock and sm__pages_protect: the calls
 * buffer.c makes go through the wrappers in fault.c, which fail the chosen
 * one with the status a real failure gives, and leave everything else
 * alone. Every buffer (public, or inside a secret, stream or the coffer)
 * takes its pages, locks and protection changes through them.
 *
 * The operation that runs with a fault armed must then either succeed as
 * usual or fail with exactly the injected status, that status must be one
 * the header documents for it, and what the header promises on failure
 * must hold (nothing allocated, *out NULL, sources wiped, the object left
 * as it was); the counters must come back to the baseline as always.
 */
#ifndef SM_FUZZ_FAULT_H
#define SM_FUZZ_FAULT_H

#include "securememory.h"

typedef enum fault_site {
    FAULT_NONE = 0,
    FAULT_ACQUIRE, /* taking pages: SM_ERR_NOMEM or SM_ERR_MLOCK */
    FAULT_LOCK,    /* locking pages at an access: SM_ERR_MLOCK */
    FAULT_PROTECT, /* a protection change: SM_ERR_PROTECT */
} fault_site;

/* Arms: the call to site after `skip` others fails with status. */
void fault_arm(fault_site site, unsigned skip, sm_status status);

/* Disarms; 1 when the fault fired since it was armed. */
int fault_disarm(void);

/* While held (nonzero), calls neither fail nor count: the harness's own set-up calls. */
void fault_hold(int held);

/* 1 when the armed fault has fired. */
int fault_fired(void);

/* The status the fault gives. */
sm_status fault_status(void);

#endif
