/*
 * Random bytes straight into guarded memory, in one system call (random.h).
 */
#include <sodium.h>

#include "random.h"
#include "residue.h"

/* Bytes expanded from one seed: far below the 2^38 past which libsodium's
 * randombytes_buf_deterministic aborts the process. */
#define RANDOM_PER_SEED ((size_t)1 << 30)

/* Kept out of line so its frame (the seed) lies below the wipe's start. */
static __attribute__((noinline)) void expand(uint8_t *dst, size_t len) {
    unsigned char seed[randombytes_SEEDBYTES];
    randombytes_buf(seed, sizeof seed);
    randombytes_buf_deterministic(dst, len, seed);
    sodium_memzero(seed, sizeof seed);
}

void sm__random_fill(uint8_t *dst, size_t len) {
    if (len <= SM_RANDOM_DIRECT_MAX) {
        randombytes_buf(dst, len);
        return;
    }
    for (size_t n; len > 0; dst += n, len -= n) {
        n = len < RANDOM_PER_SEED ? len : RANDOM_PER_SEED;
        expand(dst, n);
    }
    sm__residue_wipe(); /* ChaCha20's state and partial block are on the stack */
}
