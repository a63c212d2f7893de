/*
 * Random bytes straight into guarded memory, in one system call (random.h).
 */
#include <sodium.h>

#include "random.h"
#include "registers.h"

/* Covers the frames of the expansion: the seed, ChaCha20's state and its
 * partial-block buffer (libsodium keeps both on the stack). */
#define RANDOM_STACK_WIPE_BYTES 4096u

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
    expand(dst, len);
    sodium_stackzero(RANDOM_STACK_WIPE_BYTES);
    sm__registers_clear();
}
