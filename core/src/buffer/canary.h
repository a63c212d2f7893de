/* Internal: canary values for guarded buffers (see canary.c). */
#ifndef SM_CANARY_H
#define SM_CANARY_H

#include <stdint.h>

#define SM_CANARY_LEN 16u

/* Fills out with a fresh canary, unpredictable without the process's canary key. */
void sm__canary_make(uint8_t out[SM_CANARY_LEN]);

#endif
