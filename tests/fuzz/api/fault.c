/* The wrappers behind fault.h (single-threaded use: the fuzz target). */
#include <string.h>

#include "fault.h"
#include "pages.h"

sm_status __real_sm__pages_acquire(size_t inner_len, sm_region *out);
sm_status __wrap_sm__pages_acquire(size_t inner_len, sm_region *out);
sm_status __real_sm__pages_lock(sm_region *r);
sm_status __wrap_sm__pages_lock(sm_region *r);
sm_status __real_sm__pages_protect(const sm_region *r, sm_prot prot);
sm_status __wrap_sm__pages_protect(const sm_region *r, sm_prot prot);

static struct {
    fault_site site;
    unsigned skip;
    sm_status status;
    int fired;
    int held;
} fault;

void fault_arm(fault_site site, unsigned skip, sm_status status) {
    fault.site = site;
    fault.skip = skip;
    fault.status = status;
    fault.fired = 0;
}

int fault_disarm(void) {
    int fired = fault.fired;
    memset(&fault, 0, sizeof fault);
    return fired;
}

void fault_hold(int held) {
    fault.held = held;
}

int fault_fired(void) {
    return fault.fired;
}

sm_status fault_status(void) {
    return fault.status;
}

/* 1 when this call at site is the one to fail. */
static int hit(fault_site site) {
    if (fault.site != site || fault.fired || fault.held)
        return 0;
    if (fault.skip > 0) {
        fault.skip--;
        return 0;
    }
    fault.fired = 1;
    return 1;
}

sm_status __wrap_sm__pages_acquire(size_t inner_len, sm_region *out) {
    if (hit(FAULT_ACQUIRE)) {
        memset(out, 0, sizeof *out); /* as a failed acquire leaves it: nothing taken */
        return fault.status;
    }
    return __real_sm__pages_acquire(inner_len, out);
}

sm_status __wrap_sm__pages_lock(sm_region *r) {
    return hit(FAULT_LOCK) ? fault.status : __real_sm__pages_lock(r);
}

sm_status __wrap_sm__pages_protect(const sm_region *r, sm_prot prot) {
    return hit(FAULT_PROTECT) ? fault.status : __real_sm__pages_protect(r, prot);
}
