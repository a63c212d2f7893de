/* The scale benchmark's child side (the parent side is bench_scale in ops.h). */
#ifndef SM_BENCH_SCALE_H
#define SM_BENCH_SCALE_H

#include <stddef.h>

#include "securememory.h"

/* sm_init with the backend SM_BENCH_BACKEND names, or the defaults (main.c). */
sm_status bench_init_library(void);

/*
 * Runs in a fresh process: creates up to target live 32-B objects of `who`
 * ("PROTECTED", "ENCLAVE" or "libsodium") under the named memory lock
 * limit, prints one result line on stdout and exits.
 */
int scale_child(const char *who, size_t target, const char *limit);

#endif
