/* Internal: canary values for guarded buffers (see canary.c). */
#ifndef SM_CANARY_H
#define SM_CANARY_H

#include <stddef.h>
#include <stdint.h>

#define SM_CANARY_LEN 16u

/* Fills out with a fresh canary, unpredictable without the process's canary key. */
void sm__canary_make(uint8_t out[SM_CANARY_LEN]);

/*
 * Fills the len bytes that end at `end` with the canary repeated, so that
 * the SM_CANARY_LEN bytes right before `end` are the canary itself: every
 * byte between a buffer's leading guard page and its data is covered.
 */
void sm__canary_fill(uint8_t *end, size_t len, const uint8_t canary[SM_CANARY_LEN]);

/* 1 when the len bytes that end at `end` still hold what sm__canary_fill wrote. */
int sm__canary_intact(const uint8_t *end, size_t len, const uint8_t canary[SM_CANARY_LEN]);

#endif
