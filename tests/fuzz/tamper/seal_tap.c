/* The wrappers behind seal_tap.h. Single-threaded use only (the fuzz target). */
#include <string.h>

#include "fuzz_check.h"
#include "seal_tap.h"

sm_status __real_sm__enclave_seal(const void *src, size_t len, sm_enclave **out);
sm_status __wrap_sm__enclave_seal(const void *src, size_t len, sm_enclave **out);
void __real_sm_enclave_free(sm_enclave *e);
void __wrap_sm_enclave_free(sm_enclave *e);

static struct {
    int open;
    sm_enclave *live[TAP_MAX];   /* recorded and not freed; NULL: free entry */
    sm_enclave *recent[TAP_MAX]; /* sealed since tap_open, in order */
    size_t nrecent;
} tap;

static void remember(sm_enclave *e) {
    for (size_t i = 0; i < TAP_MAX; i++)
        if (tap.live[i] == NULL) {
            tap.live[i] = e;
            FUZZ_CHECK(tap.nrecent < TAP_MAX, "more than %d enclaves sealed in one call", TAP_MAX);
            tap.recent[tap.nrecent++] = e;
            return;
        }
    FUZZ_CHECK(0, "more than %d recorded enclaves alive", TAP_MAX);
}

static void forget(const sm_enclave *e) {
    for (size_t i = 0; i < TAP_MAX; i++)
        if (tap.live[i] == e)
            tap.live[i] = NULL;
}

sm_status __wrap_sm__enclave_seal(const void *src, size_t len, sm_enclave **out) {
    sm_status st = __real_sm__enclave_seal(src, len, out);
    if (st == SM_OK && tap.open)
        remember(*out);
    return st;
}

void __wrap_sm_enclave_free(sm_enclave *e) {
    if (e != NULL)
        forget(e);
    __real_sm_enclave_free(e);
}

void tap_open(void) {
    tap.open = 1;
    tap.nrecent = 0;
}

int tap_alive(const sm_enclave *e) {
    for (size_t i = 0; e != NULL && i < TAP_MAX; i++)
        if (tap.live[i] == e)
            return 1;
    return 0;
}

void tap_close(sm_enclave **out, size_t *n, size_t max) {
    tap.open = 0;
    for (size_t i = 0; i < tap.nrecent; i++)
        if (tap_alive(tap.recent[i])) {
            FUZZ_CHECK(*n < max, "more than %zu recorded enclaves", max);
            out[(*n)++] = tap.recent[i];
        }
    tap.nrecent = 0;
}
