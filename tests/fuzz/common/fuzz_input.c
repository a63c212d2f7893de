/* Decoding fuzzer inputs: bytes, bounded values, lengths, patterns. */
#include <stdint.h>

#include "fuzz_input.h"
#include "securememory.h"

void fz_init(fz *in, const uint8_t *p, size_t n) {
    in->p = p;
    in->n = n;
    in->pos = 0;
}

int fz_more(const fz *in) {
    return in->pos < in->n;
}

uint8_t fz_u8(fz *in) {
    return in->pos < in->n ? in->p[in->pos++] : 0;
}

uint16_t fz_u16(fz *in) {
    uint16_t lo = fz_u8(in);
    return (uint16_t)(lo | (uint16_t)fz_u8(in) << 8);
}

uint32_t fz_u32(fz *in) {
    uint32_t lo = fz_u16(in);
    return lo | (uint32_t)fz_u16(in) << 16;
}

size_t fz_below(fz *in, size_t n) {
    if (n == 0)
        return 0;
    if (n <= 0x100)
        return fz_u8(in) % n;
    if (n <= 0x10000)
        return fz_u16(in) % n;
    return fz_u32(in) % n;
}

size_t fz_pick(fz *in, size_t n) {
    uint32_t v = fz_u32(in);
    return n == 0 ? 0 : v % n;
}

size_t fz_impossible_len(fz *in) {
    static const size_t edges[] = {
        SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 15, SIZE_MAX - 16, SIZE_MAX / 2 + 1, (size_t)1 << 63,
    };
    return edges[fz_below(in, sizeof edges / sizeof edges[0])];
}

/* k pages plus or minus a delta that matters for the canary (16 bytes). */
static size_t page_edge(fz *in) {
    static const int deltas[] = {0, 1, -1, 15, -15, 16, -16, 17, -17};
    size_t k = fz_below(in, 4);
    int delta = deltas[fz_below(in, sizeof deltas / sizeof deltas[0])];
    long long len = (long long)(k * sm_page_size()) + delta;
    return len > 0 ? (size_t)len : 1;
}

/* The largest pooled slot (512 pages, canary included) and just past it. */
static size_t pool_edge(fz *in) {
    static const int deltas[] = {-17, -16, -15, 0, 1};
    size_t top = 512 * sm_page_size();
    return top + (size_t)(long long)deltas[fz_below(in, sizeof deltas / sizeof deltas[0])];
}

size_t fz_len(fz *in, size_t max, int *impossible) {
    uint8_t cls = fz_u8(in) % 16;
    size_t len;
    *impossible = 0;
    if (cls <= 5)
        len = 1 + fz_below(in, 64);
    else if (cls <= 8)
        len = page_edge(in);
    else if (cls == 9)
        len = 1 + fz_pick(in, 4 * sm_page_size());
    else if (cls == 10)
        len = pool_edge(in);
    else if (cls == 11)
        return 0;
    else if (cls == 12) {
        *impossible = 1;
        return fz_impossible_len(in);
    } else
        len = 1 + fz_below(in, 256);
    if (len > max) /* too much for the caller's budget: a small length instead */
        len = max < 1 ? 1 : 1 + len % max;
    return len;
}

void fz_pattern(uint16_t seed, uint8_t *out, size_t len) {
    uint32_t x = 0x9E3779B9u ^ ((uint32_t)seed * 0x85EBCA6Bu);
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13; /* xorshift32: cheap, never all zero */
        x ^= x >> 17;
        x ^= x << 5;
        out[i] = (uint8_t)(x >> 24);
    }
}
