/*
 * A tap on the core's sealing, to reach the enclaves a stream or an
 * ENCLAVE secret seals inside itself. The target links with
 * -Wl,--wrap=sm__enclave_seal -Wl,--wrap=sm_enclave_free: calls to them
 * from other objects of the static library (stream.c, secret.c) go through
 * the wrappers here, which record the enclaves sealed while the tap is
 * open and forget every recorded enclave when it is freed. Calls inside
 * enclave.c itself are not wrapped (sm_enclave_new, sm_buffer_seal), so
 * only stream chunks and ENCLAVE secrets made from bytes are recorded.
 */
#ifndef SM_FUZZ_SEAL_TAP_H
#define SM_FUZZ_SEAL_TAP_H

#include <stddef.h>

#include "securememory.h"

#define TAP_MAX 1024

/* Starts recording the enclaves sealed from now on. */
void tap_open(void);

/*
 * Stops recording; appends the recorded enclaves still alive, oldest
 * first, to out[*n..max) and advances *n.
 */
void tap_close(sm_enclave **out, size_t *n, size_t max);

/* 1 while e is a recorded enclave that has not been freed. */
int tap_alive(const sm_enclave *e);

#endif
