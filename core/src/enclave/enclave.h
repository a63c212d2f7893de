/* Internal: enclave operations for secrets and streams. */
#ifndef SM_ENCLAVE_INTERNAL_H
#define SM_ENCLAVE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "securememory.h"

/*
 * Opens e into a new guarded read-only buffer. owned as for
 * sm__buffer_alloc(): secrets pass 1 so purge goes through the secret.
 */
sm_status sm__enclave_open_buffer(const sm_enclave *e, int owned, sm_buffer **out);

/* Seals src[0..len) without wiping src (src may be read-only guarded memory). */
sm_status sm__enclave_seal(const void *src, size_t len, sm_enclave **out);

/*
 * Decrypts e straight into dst[0..sm_enclave_size(e)), which must be
 * writable. Callers pass guarded memory, or the caller-owned destination of
 * a copy-out API (sm_stream_read). The tag is verified before any byte is
 * written; on failure dst is wiped. Errors: SM_ERR_INVALID, SM_ERR_AUTH,
 * and the coffer's SM_ERR_NOMEM / SM_ERR_MLOCK / SM_ERR_PROTECT.
 */
sm_status sm__enclave_decrypt(const sm_enclave *e, uint8_t *dst);

/*
 * For tests only: the sealed bytes (nonce | ciphertext | tag) and their
 * count, so a test can tamper with them.
 */
uint8_t *sm__enclave_sealed(sm_enclave *e, size_t *len);

#endif
