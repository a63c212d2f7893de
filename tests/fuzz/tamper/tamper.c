/* Corrupting sealed bytes, and the leak check shared by the cases. */
#include <stdlib.h>
#include <string.h>

#include "enclave.h"
#include "fuzz_check.h"
#include "tamper.h"
#include "views.h"

void tamper_apply(fz *in, sm_enclave *e, tampering *t) {
    size_t len = 0;
    uint8_t *sealed = sm__enclave_sealed(e, &len);
    t->e = e;
    t->len = len;
    t->orig = malloc(len);
    FUZZ_CHECK(t->orig != NULL, "the fuzzer ran out of memory");
    memcpy(t->orig, sealed, len);
    size_t flips = 1 + fz_below(in, 8);
    for (size_t i = 0; i < flips; i++) {
        size_t at = fz_pick(in, len);
        uint8_t mask = fz_u8(in);
        sealed[at] ^= mask;
        fuzz_trace("tamper: byte %zu of %zu ^= %02x", at, len, mask);
    }
    t->changed = memcmp(sealed, t->orig, len) != 0;
}

void tamper_restore(tampering *t) {
    size_t len = 0;
    uint8_t *sealed = sm__enclave_sealed(t->e, &len);
    memcpy(sealed, t->orig, len);
    t->changed = 0;
}

void tamper_release(tampering *t) {
    free(t->orig);
    memset(t, 0, sizeof *t);
}

size_t tamper_len(fz *in, size_t max) {
    int impossible;
    size_t len = fz_len(in, max, &impossible);
    return len == 0 || impossible ? 1 + fz_below(in, 64) : len;
}

void tamper_stats_snapshot(sm_stats *out) {
    memset(out, 0, sizeof *out);
    out->size = sizeof *out;
    FUZZ_STATUS("sm_stats_get", ST(SM_ERR_INVALID), sm_stats_get(out), SM_OK);
}

#define SAME(field)                                                                                \
    FUZZ_CHECK(now.field == before->field, "after the case stats." #field " is %llu, was %llu",    \
               (unsigned long long)now.field, (unsigned long long)before->field)

void tamper_stats_same(const sm_stats *before) {
    sm_stats now;
    tamper_stats_snapshot(&now);
    SAME(live_buffers);
    SAME(bytes_in_use);
    SAME(mapped_bytes);
    SAME(bytes_locked);
    SAME(live_secrets_protected);
    SAME(live_secrets_enclave);
    SAME(live_enclaves);
    FUZZ_CHECK(sm__views_taken() == 0, "%zu enclave views still taken", sm__views_taken());
}
