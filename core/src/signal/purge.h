/* Internal: the emergency wipe used by the fault path. */
#ifndef SM_PURGE_INTERNAL_H
#define SM_PURGE_INTERNAL_H

/* Async-signal-safe wipe of every registered region; see sm__registry_wipe_all(). */
void sm__purge_emergency(void);

#endif
