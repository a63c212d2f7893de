/*
 * XChaCha20-Poly1305 known-answer test: draft-irtf-cfrg-xchacha-03,
 * appendix A.3.1, through sm__aead_encrypt / sm__aead_decrypt, the calls
 * the enclaves make.
 */
#include <string.h>

#include "aead.h"
#include "harness.h"

static const char kat_plaintext[] =
    "Ladies and Gentlemen of the class of '99: If I could offer you "
    "only one tip for the future, sunscreen would be it.";

static const uint8_t kat_aad[12] = {0x50, 0x51, 0x52, 0x53, 0xc0, 0xc1,
                                    0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7};

static const uint8_t kat_key[32] = {
    0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f,
    0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f};

static const uint8_t kat_nonce[24] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                                      0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f,
                                      0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57};

/* Ciphertext (114 bytes) followed by the tag (16 bytes). */
static const uint8_t kat_sealed[130] = {
    0xbd, 0x6d, 0x17, 0x9d, 0x3e, 0x83, 0xd4, 0x3b, 0x95, 0x76, 0x57, 0x94, 0x93, 0xc0, 0xe9, 0x39,
    0x57, 0x2a, 0x17, 0x00, 0x25, 0x2b, 0xfa, 0xcc, 0xbe, 0xd2, 0x90, 0x2c, 0x21, 0x39, 0x6c, 0xbb,
    0x73, 0x1c, 0x7f, 0x1b, 0x0b, 0x4a, 0xa6, 0x44, 0x0b, 0xf3, 0xa8, 0x2f, 0x4e, 0xda, 0x7e, 0x39,
    0xae, 0x64, 0xc6, 0x70, 0x8c, 0x54, 0xc2, 0x16, 0xcb, 0x96, 0xb7, 0x2e, 0x12, 0x13, 0xb4, 0x52,
    0x2f, 0x8c, 0x9b, 0xa4, 0x0d, 0xb5, 0xd9, 0x45, 0xb1, 0x1b, 0x69, 0xb9, 0x82, 0xc1, 0xbb, 0x9e,
    0x3f, 0x3f, 0xac, 0x2b, 0xc3, 0x69, 0x48, 0x8f, 0x76, 0xb2, 0x38, 0x35, 0x65, 0xd3, 0xff, 0xf9,
    0x21, 0xf9, 0x66, 0x4c, 0x97, 0x63, 0x7d, 0xa9, 0x76, 0x88, 0x12, 0xf6, 0x15, 0xc6, 0x8b, 0x13,
    0xb5, 0x2e,
    /* tag */
    0xc0, 0x87, 0x59, 0x24, 0xc1, 0xc7, 0x98, 0x79, 0x47, 0xde, 0xaf, 0xd8, 0x78, 0x0a, 0xcf, 0x49};

#define KAT_LEN (sizeof kat_plaintext - 1)

static void test_sizes_match_the_vector(void) {
    CHECK(KAT_LEN == 114);
    CHECK(sizeof kat_sealed == KAT_LEN + SM_AEAD_TAGBYTES);
}

static void test_encrypt_matches(void) {
    REQUIRE(sm_init(NULL) == SM_OK);
    uint8_t out[sizeof kat_sealed];
    memset(out, 0, sizeof out);
    sm__aead_encrypt(out, (const uint8_t *)kat_plaintext, KAT_LEN, kat_aad, sizeof kat_aad,
                     kat_nonce, kat_key);
    CHECK(memcmp(out, kat_sealed, KAT_LEN) == 0);                              /* ciphertext */
    CHECK(memcmp(out + KAT_LEN, kat_sealed + KAT_LEN, SM_AEAD_TAGBYTES) == 0); /* tag */
}

static void test_decrypt_matches(void) {
    uint8_t out[KAT_LEN];
    memset(out, 0, sizeof out);
    CHECK_STATUS(sm__aead_decrypt(out, kat_sealed, sizeof kat_sealed, kat_aad, sizeof kat_aad,
                                  kat_nonce, kat_key),
                 SM_OK);
    CHECK(memcmp(out, kat_plaintext, KAT_LEN) == 0);
}

static void test_decrypt_rejects_changes(void) {
    uint8_t out[KAT_LEN];
    uint8_t bad[sizeof kat_sealed];
    /* Any flipped bit of ciphertext or tag. */
    for (size_t i = 0; i < sizeof bad; i++) {
        memcpy(bad, kat_sealed, sizeof bad);
        bad[i] ^= (uint8_t)(1u << (i % 8));
        memset(out, 0xAA, sizeof out);
        CHECK_STATUS(
            sm__aead_decrypt(out, bad, sizeof bad, kat_aad, sizeof kat_aad, kat_nonce, kat_key),
            SM_ERR_AUTH);
        CHECK(all_zero(out, sizeof out)); /* nothing unauthenticated is left */
    }
    /* Another AAD, nonce or key: refused, and the output is wiped each time. */
    uint8_t aad[sizeof kat_aad], nonce[sizeof kat_nonce], key[sizeof kat_key];
    memcpy(aad, kat_aad, sizeof aad);
    aad[0] ^= 1;
    memset(out, 0xAA, sizeof out);
    CHECK_STATUS(
        sm__aead_decrypt(out, kat_sealed, sizeof kat_sealed, aad, sizeof aad, kat_nonce, kat_key),
        SM_ERR_AUTH);
    CHECK(all_zero(out, sizeof out));
    memset(out, 0xAA, sizeof out);
    CHECK_STATUS(sm__aead_decrypt(out, kat_sealed, sizeof kat_sealed, NULL, 0, kat_nonce, kat_key),
                 SM_ERR_AUTH);
    CHECK(all_zero(out, sizeof out));
    memcpy(nonce, kat_nonce, sizeof nonce);
    nonce[23] ^= 0x80;
    memset(out, 0xAA, sizeof out);
    CHECK_STATUS(sm__aead_decrypt(out, kat_sealed, sizeof kat_sealed, kat_aad, sizeof kat_aad,
                                  nonce, kat_key),
                 SM_ERR_AUTH);
    CHECK(all_zero(out, sizeof out));
    memcpy(key, kat_key, sizeof key);
    key[31] ^= 0x01;
    memset(out, 0xAA, sizeof out);
    CHECK_STATUS(sm__aead_decrypt(out, kat_sealed, sizeof kat_sealed, kat_aad, sizeof kat_aad,
                                  kat_nonce, key),
                 SM_ERR_AUTH);
    CHECK(all_zero(out, sizeof out));
    /* Shorter than a tag. */
    CHECK_STATUS(
        sm__aead_decrypt(out, kat_sealed, SM_AEAD_TAGBYTES - 1, NULL, 0, kat_nonce, kat_key),
        SM_ERR_AUTH);
}

int main(void) {
    RUN(test_sizes_match_the_vector);
    RUN(test_encrypt_matches);
    RUN(test_decrypt_matches);
    RUN(test_decrypt_rejects_changes);
    return harness_done();
}
