/*
 * Internal: the registry of every live object that holds secret memory.
 *
 * Each entry has an owner object, an optional purge function (called by
 * sm_purge), and an optional memory region (wiped by the fault path).
 * add/remove are O(1) (a free list of slots) under one mutex. Slots live in
 * chunks that are never freed, so sm__registry_wipe_all() can walk them
 * from a signal handler without taking any lock.
 *
 * Object lifetime: an owner must remove its entry before freeing itself.
 * sm__registry_purge_each() calls purge functions without holding the
 * registry mutex; while it runs a purge function it "pins" that entry, and
 * a remove of a pinned entry from another thread waits until the purge
 * function returns. The purge function itself may remove its own entry.
 */
#ifndef SM_REGISTRY_H
#define SM_REGISTRY_H

#include <stddef.h>

#include "securememory.h"

typedef void (*sm_purge_fn)(void *obj);

#define SM_REGISTRY_NONE ((size_t)-1)

/* Registers obj. purge may be NULL (the entry is then only a region). */
sm_status sm__registry_add(void *obj, sm_purge_fn purge, size_t *slot_out);

/* Sets (or clears with base NULL) the region wiped by sm__registry_wipe_all(). */
void sm__registry_set_region(size_t slot, void *base, size_t len);

/* Sets the entry's purge function (an owner handing the object out). */
void sm__registry_set_purge(size_t slot, sm_purge_fn purge);

/* Removes the entry; waits while another thread's purge has it pinned. */
void sm__registry_remove(size_t slot);

/*
 * Keeps the entry's region for the fault path's wipe for good, and nothing
 * else (no owner, no purge function): for memory given up unwiped because
 * it could not be made writable. Waits while another thread's purge has it
 * pinned. The entry is never reused.
 */
void sm__registry_keep_region(size_t slot);

/* Calls every entry's purge function once (entries added meanwhile may be missed). */
void sm__registry_purge_each(void);

/*
 * Async-signal-safe, lock-free: makes every registered region writable with
 * raw mprotect and wipes it. For the fault path only: afterwards the
 * regions' contents (and protections) are gone.
 */
void sm__registry_wipe_all(void);

/*
 * The wipe generation: sm__registry_wipe_all() bumps it when it starts and
 * again when it ends, so it is odd while a wipe runs (atomic; async-signal-
 * safe to bump). Owners of long-lived secret state (the coffer) compare it
 * with the value they saw when they built that state: a change (or an odd
 * value) means their memory was or is being wiped under them, e.g. by a
 * fault the process recovered from.
 */
unsigned long sm__registry_wipe_generation(void);

/*
 * Test hook: when set, called by sm__registry_remove with the entry's region
 * (if it has one) just before the entry leaves the registry, so tests can
 * check it was wiped first. NULL (the default) disables it.
 */
typedef void (*sm_remove_observer)(const void *base, size_t len);
void sm__registry_set_remove_observer(sm_remove_observer fn);

/* Number of live entries (for tests). */
size_t sm__registry_count(void);

#endif
