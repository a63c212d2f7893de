/*
 * Internal: random bytes generated straight into guarded memory.
 *
 * libsodium's randombytes_buf (the getrandom implementation on Linux) asks
 * the kernel for at most 256 bytes per system call, so a 1-KiB random
 * secret cost four system calls, and a 64-KiB one 256. sm__random_fill
 * makes one whatever the length.
 */
#ifndef SM_RANDOM_H
#define SM_RANDOM_H

#include <stddef.h>
#include <stdint.h>

/* Lengths up to this go to randombytes_buf in one getrandom call. */
#define SM_RANDOM_DIRECT_MAX 256u

/*
 * Fills dst[0..len) with random bytes. Up to SM_RANDOM_DIRECT_MAX bytes:
 * randombytes_buf into dst itself. Longer: a fresh 32-byte seed from
 * randombytes_buf, expanded into dst with ChaCha20
 * (randombytes_buf_deterministic: the output of a secret, never reused
 * seed is indistinguishable from random), a fresh seed per GiB; the seed,
 * the cipher state and keystream left in this thread's dead stack frames,
 * and the registers are wiped before it returns. Thread-safe (no shared
 * state); cannot fail.
 */
void sm__random_fill(uint8_t *dst, size_t len);

#endif /* SM_RANDOM_H */
