/* Internal: enclave operations for secrets and streams. */
#ifndef SM_ENCLAVE_INTERNAL_H
#define SM_ENCLAVE_INTERNAL_H

#include "securememory.h"

/*
 * Opens e into a new guarded read-only buffer. owned as for
 * sm__buffer_alloc(): secrets pass 1 so purge goes through the secret.
 */
sm_status sm__enclave_open_buffer(const sm_enclave *e, int owned, sm_buffer **out);

/* Seals src[0..len) without wiping src (src may be read-only guarded memory). */
sm_status sm__enclave_seal(const void *src, size_t len, sm_enclave **out);

#endif
