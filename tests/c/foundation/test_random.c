/*
 * Random bytes straight into guarded memory (core/src/memory/random.h):
 * every length works, and a fill costs one getrandom call whatever its
 * length (libsodium's randombytes_buf makes one per 256 bytes).
 *
 * getrandom is interposed here: libsodium calls glibc's getrandom, which
 * this executable's definition replaces; it counts, then makes the system
 * call itself.
 */
#include <stdatomic.h>
#include <sys/random.h>
#include <sys/syscall.h>

#include "harness.h"
#include "random.h"

static atomic_long getrandom_calls;

ssize_t getrandom(void *buf, size_t len, unsigned int flags) {
    atomic_fetch_add(&getrandom_calls, 1);
    return (ssize_t)syscall(SYS_getrandom, buf, len, flags);
}

static const size_t lengths[] = {1, 16, 255, 256, 257, 1024, 4136, 65536, (size_t)1 << 20};
#define N_LENGTHS (sizeof lengths / sizeof lengths[0])

/* Two random buffers of each length: filled (not all zero), and different
 * from each other, from the first byte to the last. */
static void test_every_length_is_random(void) {
    for (size_t i = 0; i < N_LENGTHS; i++) {
        size_t len = lengths[i];
        sm_buffer *a = NULL, *b = NULL;
        CHECK_STATUS(sm_buffer_new_random(len, &a), SM_OK);
        CHECK_STATUS(sm_buffer_new_random(len, &b), SM_OK);
        if (a == NULL || b == NULL) {
            sm_buffer_free(a);
            sm_buffer_free(b);
            continue;
        }
        const uint8_t *pa = sm_buffer_data(a), *pb = sm_buffer_data(b);
        if (len >= 16) {
            CHECK(!all_zero(pa, 16) && !all_zero(pa + len - 16, 16));
            CHECK(memcmp(pa, pb, 16) != 0);
            CHECK(memcmp(pa + len - 16, pb + len - 16, 16) != 0);
        }
        sm_buffer_free(a);
        sm_buffer_free(b);
    }
}

/* getrandom calls made by one random buffer (secret) of len bytes; -1 on a
 * failure. Not the first object of the process: first uses make one-time
 * keys (the canary key, the coffer's parts), which main() has done. */
static long buffer_calls(size_t len) {
    sm_buffer *b = NULL;
    long before = atomic_load(&getrandom_calls);
    sm_status st = sm_buffer_new_random(len, &b);
    long n = atomic_load(&getrandom_calls) - before;
    sm_buffer_free(b);
    return st == SM_OK ? n : -1;
}

static long secret_calls(size_t len) {
    sm_secret *s = NULL;
    long before = atomic_load(&getrandom_calls);
    sm_status st = sm_secret_new_random(SM_KIND_PROTECTED, len, &s);
    long n = atomic_load(&getrandom_calls) - before;
    sm_secret_free(s);
    return st == SM_OK ? n : -1;
}

static void test_one_getrandom_per_fill(void) {
    static const size_t sizes[] = {SM_RANDOM_DIRECT_MAX, 1024, 65536};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        long b = buffer_calls(sizes[i]);
        long s = secret_calls(sizes[i]);
        if (b != 1 || s != 1)
            printf("# %zu bytes: %ld getrandom calls for a buffer, %ld for a secret\n", sizes[i], b,
                   s);
        CHECK(b == 1);
        CHECK(s == 1);
    }
}

/* Past 1 GiB, a fresh seed per GiB (libsodium's expansion aborts past
 * 2^38 bytes): two getrandom calls, and the second GiB does not repeat the
 * first one's stream. Only with SM_TEST_RANDOM_BIG=1 (the 'random_big'
 * test: a 1-GiB buffer is too much for the valgrind run of this suite). */
static void test_fresh_seed_per_gib(void) {
    const char *big = getenv("SM_TEST_RANDOM_BIG");
    if (big == NULL || strcmp(big, "1") != 0)
        SKIP("set SM_TEST_RANDOM_BIG=1 (tests/c/meson.build's random_big does)");
    const size_t gib = (size_t)1 << 30, len = gib + 4096;
    sm_buffer *b = NULL;
    long before = atomic_load(&getrandom_calls);
    CHECK_STATUS(sm_buffer_new_random(len, &b), SM_OK);
    long calls = atomic_load(&getrandom_calls) - before;
    REQUIRE(b != NULL);
    const uint8_t *p = sm_buffer_data(b);
    printf("# %ld getrandom calls for %zu bytes\n", calls, len);
    CHECK(calls == 2);
    CHECK(memcmp(p, p + gib, 64) != 0);
    CHECK(!all_zero(p + len - 64, 64));
    sm_buffer_free(b);
}

int main(void) {
    CHECK_STATUS(sm_init(NULL), SM_OK);
    RUN(test_every_length_is_random); /* also the first uses (see buffer_calls) */
    RUN(test_one_getrandom_per_fill);
    RUN(test_fresh_seed_per_gib);
    return harness_done();
}
