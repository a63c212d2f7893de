/*
 * XChaCha20-Poly1305 (IETF construction) through libsodium, in the sealed
 * layout of aead.h. One place for the cipher, so the known-answer test
 * exercises exactly the calls the enclaves make.
 */
#include <sodium.h>

#include "aead.h"

_Static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == SM_AEAD_KEYBYTES, "key size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == SM_AEAD_NONCEBYTES, "nonce size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == SM_AEAD_TAGBYTES, "tag size");

void sm__aead_encrypt(uint8_t *c, const uint8_t *m, size_t mlen, const uint8_t *ad, size_t adlen,
                      const uint8_t nonce[SM_AEAD_NONCEBYTES],
                      const uint8_t key[SM_AEAD_KEYBYTES]) {
    (void)crypto_aead_xchacha20poly1305_ietf_encrypt(c, NULL, m, mlen, ad, adlen, NULL, nonce, key);
}

sm_status sm__aead_decrypt(uint8_t *m, const uint8_t *c, size_t clen, const uint8_t *ad,
                           size_t adlen, const uint8_t nonce[SM_AEAD_NONCEBYTES],
                           const uint8_t key[SM_AEAD_KEYBYTES]) {
    if (clen < SM_AEAD_TAGBYTES)
        return SM_ERR_AUTH;
    /*
     * libsodium verifies the tag before it writes any plaintext, and on a
     * mismatch zeroes m itself (memset(m, 0, mlen) in
     * crypto_aead_chacha20poly1305_ietf_decrypt_detached, which the
     * XChaCha variant calls with the derived subkey).
     */
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(m, NULL, NULL, c, clen, ad, adlen, nonce, key) !=
        0)
        return SM_ERR_AUTH;
    return SM_OK;
}
