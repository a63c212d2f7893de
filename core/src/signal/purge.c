/* sm_purge and the fault path's emergency wipe. */
#include "coffer.h"
#include "purge.h"
#include "registry.h"
#include "securememory.h"

void sm_purge(void) {
    /* Secrets and public buffers first (their owners' purge functions), then
     * the coffer key, so enclaves sealed before this point cannot be opened. */
    sm__registry_purge_each();
    sm__coffer_purge();
}

void sm__purge_emergency(void) {
    sm__registry_wipe_all();
}
