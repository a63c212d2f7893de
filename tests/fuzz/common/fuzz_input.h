/*
 * Reading a fuzzer input as a stream of small decisions. Every read past
 * the end gives 0, so any input, even an empty one, decodes to a valid
 * sequence: libFuzzer's mutations never produce an undecodable input.
 */
#ifndef SM_FUZZ_INPUT_H
#define SM_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

typedef struct fz {
    const uint8_t *p;
    size_t n;
    size_t pos;
} fz;

void fz_init(fz *in, const uint8_t *p, size_t n);

/* 1 while unread bytes remain. */
int fz_more(const fz *in);

uint8_t fz_u8(fz *in);
uint16_t fz_u16(fz *in);
uint32_t fz_u32(fz *in);

/*
 * A value in [0, n) for n > 0 (0 for n == 0), from as few bytes as n needs.
 * For bounds that are constants of the format only: the bytes read must
 * not depend on the library's state, so that an input means the same
 * operations whatever happened before (and seeds can be written by hand).
 */
size_t fz_below(fz *in, size_t n);

/* A value in [0, n) for any n (0 for n == 0): always four bytes, u32 % n. */
size_t fz_pick(fz *in, size_t n);

/*
 * A length chosen to reach the library's edges: small lengths, lengths
 * around page and canary boundaries (k pages plus or minus 0, 1, 15, 16,
 * 17), the largest pooled slot and one past it, and 0. Never more than
 * max (a smaller edge is used instead), never 0 unless that class is
 * picked. *impossible is set when the class picked was one of the lengths
 * no object can have (above SIZE_MAX / 2): those are returned as they are.
 */
size_t fz_len(fz *in, size_t max, int *impossible);

/* A length no object can have (above SIZE_MAX / 2), one of a few edges. */
size_t fz_impossible_len(fz *in);

/* Fills out[0..len) with the bytes of a pattern named by seed. */
void fz_pattern(uint16_t seed, uint8_t *out, size_t len);

#endif
