/*
 * Internal: XChaCha20-Poly1305 (IETF) as the enclaves use it. The same
 * functions serve the enclave code path and the known-answer tests.
 * Sealed layout: nonce (24) | ciphertext (len) | tag (16).
 */
#ifndef SM_AEAD_H
#define SM_AEAD_H

#include <stddef.h>
#include <stdint.h>

#include "securememory.h"

#define SM_AEAD_KEYBYTES   32u
#define SM_AEAD_NONCEBYTES 24u
#define SM_AEAD_TAGBYTES   16u
#define SM_AEAD_OVERHEAD   (SM_AEAD_NONCEBYTES + SM_AEAD_TAGBYTES)

/* Encrypts m[0..mlen) with key and nonce into c (mlen + TAGBYTES), with optional ad. */
void sm__aead_encrypt(uint8_t *c, const uint8_t *m, size_t mlen, const uint8_t *ad, size_t adlen,
                      const uint8_t nonce[SM_AEAD_NONCEBYTES], const uint8_t key[SM_AEAD_KEYBYTES]);

/* Decrypts c[0..clen) into m; SM_ERR_AUTH if the tag does not verify (m then wiped). */
sm_status sm__aead_decrypt(uint8_t *m, const uint8_t *c, size_t clen, const uint8_t *ad,
                           size_t adlen, const uint8_t nonce[SM_AEAD_NONCEBYTES],
                           const uint8_t key[SM_AEAD_KEYBYTES]);

#endif
