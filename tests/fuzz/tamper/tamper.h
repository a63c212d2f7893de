/*
 * Fuzz target (b): sealed data corrupted at random. Each input picks a
 * case (a plain enclave, an ENCLAVE secret, a stream) and the corruption:
 * bit flips at positions of the sealed bytes (nonce | ciphertext | tag),
 * through the internal sm__enclave_sealed() test hook. Whatever changed
 * must fail authentication (SM_ERR_AUTH) with nothing left allocated and
 * never a crash; flips that cancel out must change nothing; restoring the
 * bytes must make the data open again.
 */
#ifndef SM_FUZZ_TAMPER_H
#define SM_FUZZ_TAMPER_H

#include <stddef.h>
#include <stdint.h>

#include "fuzz_input.h"
#include "securememory.h"

/* A corruption applied to one enclave, and what undoes it. */
typedef struct tampering {
    sm_enclave *e;
    uint8_t *orig; /* the sealed bytes before */
    size_t len;
    int changed; /* the sealed bytes differ from orig now */
} tampering;

/* Flips 1 to 8 bytes of e's sealed bytes with masks from the input (0 allowed). */
void tamper_apply(fz *in, sm_enclave *e, tampering *t);

/* Puts the original sealed bytes back. */
void tamper_restore(tampering *t);

void tamper_release(tampering *t);

/* A plaintext length from the input: 1 .. max, edges favoured. */
size_t tamper_len(fz *in, size_t max);

/* The counters that must come back once a case freed everything it made. */
void tamper_stats_snapshot(sm_stats *out);
void tamper_stats_same(const sm_stats *before);

/* The cases. */
void case_enclave(fz *in);
void case_secret(fz *in);
void case_stream(fz *in);

#endif
