/*
 * The protection the kernel really applies to an address, read from
 * /proc/self/maps: an independent witness for what the library reports
 * (sm_buffer_protection) and promises (a PROTECTED secret is no-access at
 * rest). The interpreter reads the maps once per check (after an operation
 * that ran into an injected fault, and in its explicit state checks) and
 * looks every address up in that snapshot.
 */
#ifndef SM_FUZZ_MAPS_H
#define SM_FUZZ_MAPS_H

#include "securememory.h"

/* Reads /proc/self/maps now; 0, or -1 when it cannot. */
int maps_snapshot(void);

/* SM_PROT_NONE, SM_PROT_READ or SM_PROT_READWRITE for the page holding p in the
 * last snapshot; -1 if unmapped then. */
int maps_prot(const void *p);

#endif
