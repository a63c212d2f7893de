/* Enclaves: round trips, tampering, purge, open_into, sealing buffers, stats. */
#include <string.h>

#include "enclave.h"
#include "harness.h"

static void fill_pattern(uint8_t *p, size_t len, uint32_t seed) {
    for (size_t i = 0; i < len; i++) {
        seed = seed * 1664525u + 1013904223u;
        p[i] = (uint8_t)(seed >> 24);
    }
}

static void round_trip(size_t len) {
    uint8_t *src = malloc(len), *want = malloc(len);
    REQUIRE(src != NULL && want != NULL);
    fill_pattern(want, len, (uint32_t)len);
    memcpy(src, want, len);
    sm_enclave *e = NULL;
    CHECK_STATUS(sm_enclave_new(src, len, &e), SM_OK);
    CHECK(all_zero(src, len)); /* src wiped */
    if (e != NULL) {
        CHECK(sm_enclave_size(e) == len);
        sm_buffer *b = NULL;
        CHECK_STATUS(sm_enclave_open(e, &b), SM_OK);
        if (b != NULL) {
            CHECK(sm_buffer_size(b) == len);
            CHECK(sm_buffer_protection(b) == SM_PROT_READ);
            CHECK(memcmp(sm_buffer_data(b), want, len) == 0);
        }
        sm_buffer_free(b);
    }
    sm_enclave_free(e);
    free(src);
    free(want);
}

static void test_round_trip_sizes(void) {
    size_t ps = sm_page_size();
    size_t sizes[] = {1, 16, 32, 63, 64, 65, ps - 1, ps, ps + 1, 64 * 1024, (1u << 20) + 3};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        round_trip(sizes[i]);
}

static void test_bad_arguments(void) {
    uint8_t src[8];
    sm_enclave *e = (sm_enclave *)&e;
    CHECK_STATUS(sm_enclave_new(NULL, 8, &e), SM_ERR_INVALID);
    CHECK(e == NULL);
    memset(src, 0x5A, sizeof src);
    CHECK_STATUS(sm_enclave_new(src, 0, &e), SM_ERR_INVALID);
    memset(src, 0x5A, sizeof src);
    CHECK_STATUS(sm_enclave_new(src, sizeof src, NULL), SM_ERR_INVALID);
    CHECK(all_zero(src, sizeof src)); /* wiped on failure too */
    CHECK_STATUS(sm_enclave_new(src, SIZE_MAX, &e), SM_ERR_INVALID);
    CHECK_STATUS(sm_enclave_new_random(0, &e), SM_ERR_INVALID);
    CHECK_STATUS(sm_enclave_new_random(8, NULL), SM_ERR_INVALID);
    sm_buffer *b = (sm_buffer *)&b;
    CHECK_STATUS(sm_enclave_open(NULL, &b), SM_ERR_INVALID);
    CHECK(b == NULL);
    CHECK_STATUS(sm_enclave_open_into(NULL, NULL), SM_ERR_INVALID);
    CHECK_STATUS(sm_buffer_seal(NULL, &e), SM_ERR_INVALID);
    CHECK(sm_enclave_size(NULL) == 0);
    sm_enclave_free(NULL);
}

static void test_random_enclaves(void) {
    sm_enclave *a = NULL, *b = NULL;
    CHECK_STATUS(sm_enclave_new_random(48, &a), SM_OK);
    CHECK_STATUS(sm_enclave_new_random(48, &b), SM_OK);
    REQUIRE(a != NULL && b != NULL);
    sm_buffer *x = NULL, *y = NULL, *z = NULL;
    CHECK_STATUS(sm_enclave_open(a, &x), SM_OK);
    CHECK_STATUS(sm_enclave_open(a, &y), SM_OK);
    CHECK_STATUS(sm_enclave_open(b, &z), SM_OK);
    REQUIRE(x != NULL && y != NULL && z != NULL);
    CHECK(!all_zero(sm_buffer_data(x), 48));
    CHECK(memcmp(sm_buffer_data(x), sm_buffer_data(y), 48) == 0); /* stable */
    CHECK(memcmp(sm_buffer_data(x), sm_buffer_data(z), 48) != 0); /* independent */
    sm_buffer_free(x);
    sm_buffer_free(y);
    sm_buffer_free(z);
    sm_enclave_free(a);
    sm_enclave_free(b);
}

static void test_fresh_nonce_per_seal(void) {
    uint8_t p1[32], p2[32];
    memset(p1, 7, sizeof p1);
    memset(p2, 7, sizeof p2);
    sm_enclave *a = NULL, *b = NULL;
    CHECK_STATUS(sm_enclave_new(p1, sizeof p1, &a), SM_OK);
    CHECK_STATUS(sm_enclave_new(p2, sizeof p2, &b), SM_OK);
    REQUIRE(a != NULL && b != NULL);
    size_t la = 0, lb = 0;
    uint8_t *sa = sm__enclave_sealed(a, &la), *sb = sm__enclave_sealed(b, &lb);
    CHECK(la == 32 + 40 && lb == la);
    CHECK(memcmp(sa, sb, 24) != 0);           /* nonces differ */
    CHECK(memcmp(sa + 24, sb + 24, 32) != 0); /* so do the ciphertexts */
    sm_enclave_free(a);
    sm_enclave_free(b);
}

static void test_every_byte_flip_fails(void) {
    uint8_t src[64];
    fill_pattern(src, sizeof src, 99);
    sm_enclave *e = NULL;
    CHECK_STATUS(sm_enclave_new(src, sizeof src, &e), SM_OK);
    REQUIRE(e != NULL);
    sm_buffer *dst = NULL;
    REQUIRE(sm_buffer_new(sizeof src, &dst) == SM_OK);
    uint64_t buffers_before = stats_now().live_buffers;
    size_t n = 0;
    uint8_t *sealed = sm__enclave_sealed(e, &n);
    CHECK(n == sizeof src + 24 + 16);
    for (size_t i = 0; i < n; i++) {
        for (unsigned mask = 0x01; mask <= 0xFF; mask = mask * 2 + 1) {
            sealed[i] ^= (uint8_t)mask;
            sm_buffer *b = (sm_buffer *)&b;
            CHECK_STATUS(sm_enclave_open(e, &b), SM_ERR_AUTH);
            CHECK(b == NULL);
            CHECK_STATUS(sm_enclave_open_into(e, dst), SM_ERR_AUTH);
            CHECK(all_zero(sm_buffer_data(dst), sizeof src)); /* wiped on failure */
            sealed[i] ^= (uint8_t)mask;
        }
    }
    CHECK(stats_now().live_buffers == buffers_before); /* failures free what they took */
    CHECK_STATUS(sm_enclave_open_into(e, dst), SM_OK); /* restored: opens again */
    uint8_t want[64];
    fill_pattern(want, sizeof want, 99);
    CHECK(memcmp(sm_buffer_data(dst), want, sizeof want) == 0);
    sm_buffer_free(dst);
    sm_enclave_free(e);
}

static void test_open_into(void) {
    uint8_t src[100], want[100];
    fill_pattern(want, sizeof want, 5);
    memcpy(src, want, sizeof src);
    sm_enclave *e = NULL;
    REQUIRE(sm_enclave_new(src, sizeof src, &e) == SM_OK);
    sm_buffer *dst = NULL, *small = NULL, *big = NULL;
    REQUIRE(sm_buffer_new(100, &dst) == SM_OK);
    REQUIRE(sm_buffer_new(99, &small) == SM_OK);
    REQUIRE(sm_buffer_new(101, &big) == SM_OK);
    CHECK_STATUS(sm_enclave_open_into(e, dst), SM_OK);
    CHECK(sm_buffer_protection(dst) == SM_PROT_READWRITE); /* a writable buffer stays writable */
    CHECK(memcmp(sm_buffer_data(dst), want, sizeof want) == 0);
    sm_buffer_data(dst)[0] ^= 1;
    CHECK_STATUS(sm_buffer_freeze(dst), SM_OK);
    CHECK_STATUS(sm_enclave_open_into(e, dst), SM_OK); /* reuse a frozen buffer */
    CHECK(sm_buffer_protection(dst) == SM_PROT_READ);
    CHECK(memcmp(sm_buffer_data(dst), want, sizeof want) == 0);
    CHECK_STATUS(sm_buffer_noaccess(dst), SM_OK);
    CHECK_STATUS(sm_enclave_open_into(e, dst), SM_OK); /* and a no-access one: left readable */
    CHECK(sm_buffer_protection(dst) == SM_PROT_READ);
    CHECK(memcmp(sm_buffer_data(dst), want, sizeof want) == 0);
    CHECK_STATUS(sm_enclave_open_into(e, small), SM_ERR_INVALID);
    CHECK_STATUS(sm_enclave_open_into(e, big), SM_ERR_INVALID);
    CHECK_STATUS(sm_buffer_destroy(dst), SM_OK);
    CHECK_STATUS(sm_enclave_open_into(e, dst), SM_ERR_CLOSED);
    sm_buffer_free(dst);
    sm_buffer_free(small);
    sm_buffer_free(big);
    sm_enclave_free(e);
}

static void test_buffer_seal(void) {
    uint8_t want[200];
    fill_pattern(want, sizeof want, 11);
    sm_buffer *b = NULL;
    REQUIRE(sm_buffer_new(sizeof want, &b) == SM_OK);
    memcpy(sm_buffer_data(b), want, sizeof want);
    sm_enclave *e = NULL;
    CHECK_STATUS(sm_buffer_seal(b, &e), SM_OK);
    CHECK(!sm_buffer_is_alive(b)); /* destroyed, handle still valid */
    sm_enclave *again = (sm_enclave *)&again;
    CHECK_STATUS(sm_buffer_seal(b, &again), SM_ERR_CLOSED);
    CHECK(again == NULL);
    sm_buffer_free(b);
    REQUIRE(e != NULL);
    sm_buffer *o = NULL;
    CHECK_STATUS(sm_enclave_open(e, &o), SM_OK);
    REQUIRE(o != NULL);
    CHECK(memcmp(sm_buffer_data(o), want, sizeof want) == 0);
    /* A frozen or no-access buffer can be sealed as well. */
    sm_enclave *e2 = NULL, *e3 = NULL;
    CHECK_STATUS(sm_buffer_seal(o, &e2), SM_OK);
    sm_buffer_free(o);
    CHECK_STATUS(sm_enclave_open(e2, &o), SM_OK);
    REQUIRE(o != NULL);
    CHECK_STATUS(sm_buffer_noaccess(o), SM_OK);
    CHECK_STATUS(sm_buffer_seal(o, &e3), SM_OK);
    sm_buffer_free(o);
    CHECK_STATUS(sm_enclave_open(e3, &o), SM_OK);
    REQUIRE(o != NULL);
    CHECK(memcmp(sm_buffer_data(o), want, sizeof want) == 0);
    sm_buffer_free(o);
    sm_enclave_free(e);
    sm_enclave_free(e2);
    sm_enclave_free(e3);
}

static void test_buffer_seal_canary(void) {
    sm_buffer *b = NULL;
    REQUIRE(sm_buffer_new(40, &b) == SM_OK);
    sm_buffer_data(b)[-1] ^= 0x01; /* the canary sits right before the data */
    sm_enclave *e = (sm_enclave *)&e;
    CHECK_STATUS(sm_buffer_seal(b, &e), SM_ERR_CANARY);
    CHECK(e == NULL);
    CHECK(!sm_buffer_is_alive(b));
    sm_buffer_free(b);
}

static void test_live_enclave_count(void) {
    uint64_t before = stats_now().live_enclaves;
    sm_enclave *a = NULL, *b = NULL;
    REQUIRE(sm_enclave_new_random(8, &a) == SM_OK);
    REQUIRE(sm_enclave_new_random(8, &b) == SM_OK);
    CHECK(stats_now().live_enclaves == before + 2);
    sm_enclave_free(a);
    CHECK(stats_now().live_enclaves == before + 1);
    sm_enclave_free(b);
    CHECK(stats_now().live_enclaves == before);
}

static void test_purge_invalidates_old_enclaves(void) {
    uint8_t src[32];
    fill_pattern(src, sizeof src, 3);
    sm_enclave *old = NULL;
    REQUIRE(sm_enclave_new(src, sizeof src, &old) == SM_OK);
    sm_buffer *keep = NULL;
    REQUIRE(sm_buffer_new(32, &keep) == SM_OK);
    sm_purge();
    CHECK(!sm_buffer_is_alive(keep)); /* purge destroys public buffers */
    sm_buffer_free(keep);
    sm_buffer *b = (sm_buffer *)&b;
    CHECK_STATUS(sm_enclave_open(old, &b), SM_ERR_AUTH);
    CHECK(b == NULL);
    sm_purge(); /* any number of times */
    CHECK_STATUS(sm_enclave_open(old, &b), SM_ERR_AUTH);
    /* A new key was made lazily: new enclaves work. */
    uint8_t want[32];
    fill_pattern(want, sizeof want, 4);
    memcpy(src, want, sizeof src);
    sm_enclave *fresh = NULL;
    CHECK_STATUS(sm_enclave_new(src, sizeof src, &fresh), SM_OK);
    CHECK_STATUS(sm_enclave_open(fresh, &b), SM_OK);
    REQUIRE(b != NULL);
    CHECK(memcmp(sm_buffer_data(b), want, sizeof want) == 0);
    sm_buffer_free(b);
    CHECK_STATUS(sm_enclave_open(old, &b), SM_ERR_AUTH); /* still */
    sm_enclave_free(old);
    sm_enclave_free(fresh);
}

int main(void) {
    RUN(test_round_trip_sizes);
    RUN(test_bad_arguments);
    RUN(test_random_enclaves);
    RUN(test_fresh_nonce_per_seal);
    RUN(test_every_byte_flip_fails);
    RUN(test_open_into);
    RUN(test_buffer_seal);
    RUN(test_buffer_seal_canary);
    RUN(test_live_enclave_count);
    RUN(test_purge_invalidates_old_enclaves);
    return harness_done();
}
