/* The caches of locked memory, drained together (lockcache.h). */
#include "lockcache.h"
#include "pool.h"
#include "views.h"

size_t sm__lock_caches_drain(void) {
    size_t freed = sm__pool_cache_drain();
    return freed + sm__views_cache_drain();
}
