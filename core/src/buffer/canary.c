/*
 * Canaries: 16 bytes repeated over everything in front of every buffer's
 * data, from the leading guard page on, checked when the buffer is
 * destroyed, sealed or checked, so an underflow anywhere there is caught
 * (a write that skips the last 16 bytes included).
 *
 * A canary only has to be unpredictable to whoever could write in front
 * of the data, and different from buffer to buffer. Drawing 16 bytes from
 * the kernel for each buffer costs a system call (about 0.5 us on a VM,
 * a tenth of a buffer's whole life). Instead each canary is
 * SipHash-2-4-128(counter) under a random key drawn once: a PRF of distinct
 * inputs, so canaries are distinct and unpredictable without the key.
 * The key is no more precious than the expected canary values themselves,
 * which live in each sm_buffer on the heap. A forked child repeats the
 * parent's sequence, which is harmless: a canary guards against writes,
 * it is not a nonce.
 *
 * Global state: `key` is written once under `key_once` and only read
 * after; `counter` is an atomic.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "canary.h"

_Static_assert(crypto_shorthash_siphashx24_BYTES == SM_CANARY_LEN, "canary size");

static uint8_t key[crypto_shorthash_siphashx24_KEYBYTES]; /* written once (key_once) */
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t counter;

static void key_init(void) {
    randombytes_buf(key, sizeof key);
}

void sm__canary_make(uint8_t out[SM_CANARY_LEN]) {
    (void)pthread_once(&key_once, key_init);
    uint64_t n = atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed);
    uint8_t in[8];
    for (unsigned i = 0; i < sizeof in; i++)
        in[i] = (uint8_t)(n >> (8 * i));
    crypto_shorthash_siphashx24(out, in, sizeof in, key);
}

/*
 * The pattern is periodic and ends right at `end`: the 16 bytes before it
 * are the canary, the 16 before those again, and so on; a prefix shorter
 * than a period at the start holds the canary's last bytes.
 */
void sm__canary_fill(uint8_t *end, size_t len, const uint8_t canary[SM_CANARY_LEN]) {
    size_t k = SM_CANARY_LEN;
    for (; k <= len; k += SM_CANARY_LEN)
        memcpy(end - k, canary, SM_CANARY_LEN);
    size_t head = len % SM_CANARY_LEN;
    memcpy(end - len, canary + SM_CANARY_LEN - head, head);
}

/* Differences between n bytes at a and b, eight at a time where it can. */
static uint64_t diff_bytes(const uint8_t *a, const uint8_t *b, size_t n) {
    uint64_t diff = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        diff |= x ^ y;
    }
    for (; i < n; i++)
        diff |= (uint64_t)(a[i] ^ b[i]);
    return diff;
}

int sm__canary_intact(const uint8_t *end, size_t len, const uint8_t canary[SM_CANARY_LEN]) {
    uint64_t diff = 0;
    size_t k = SM_CANARY_LEN;
    for (; k <= len; k += SM_CANARY_LEN)
        diff |= diff_bytes(end - k, canary, SM_CANARY_LEN);
    size_t head = len % SM_CANARY_LEN;
    diff |= diff_bytes(end - len, canary + SM_CANARY_LEN - head, head);
    return diff == 0;
}
