/* Case: an ENCLAVE secret whose sealed bytes are corrupted at rest. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "seal_tap.h"
#include "tamper.h"

#define DOC_ACQUIRE                                                                                \
    (ST(SM_ERR_INVALID) | ST(SM_ERR_CLOSED) | ST(SM_ERR_PROTECT) | ST(SM_ERR_AUTH) |               \
     ST(SM_ERR_NOMEM) | ST(SM_ERR_MLOCK))

typedef struct expect {
    const uint8_t *plain;
    size_t len;
    int calls;
} expect;

static int saw(void *ctx, const uint8_t *data, size_t len) {
    expect *x = ctx;
    x->calls++;
    FUZZ_CHECK(len == x->len, "the callback got %zu bytes of %zu", len, x->len);
    FUZZ_BYTES("sm_secret_with_bytes", data, x->plain, len);
    return 0;
}

/* One access of a kind from the input; held: accesses already open (bytes stay open). */
static void access_once(fz *in, sm_secret *s, const tampering *t, expect *x, unsigned held) {
    sm_status want = t->changed && held == 0 ? SM_ERR_AUTH : SM_OK;
    uint8_t how = fz_u8(in) % 3;
    sm_status st;
    if (how == 0) {
        const uint8_t *data = NULL;
        size_t len = 0;
        st = sm_secret_acquire(s, &data, &len);
        FUZZ_STATUS("sm_secret_acquire", DOC_ACQUIRE, st, want);
        if (st == SM_OK) {
            FUZZ_BYTES("sm_secret_acquire", data, x->plain, x->len);
            FUZZ_STATUS("sm_secret_release", ST(SM_ERR_INVALID), sm_secret_release(s), SM_OK);
        }
    } else if (how == 1) {
        x->calls = 0;
        st = sm_secret_with_bytes(s, saw, x);
        FUZZ_STATUS("sm_secret_with_bytes", DOC_ACQUIRE | ST(SM_ERR_CALLBACK), st, want);
        FUZZ_CHECK(x->calls == (st == SM_OK), "the callback ran %d times", x->calls);
    } else {
        size_t off = fz_pick(in, x->len), n = 99;
        uint8_t *dst = malloc(x->len);
        FUZZ_CHECK(dst != NULL, "the fuzzer ran out of memory");
        st = sm_secret_read(s, off, dst, x->len, &n);
        FUZZ_STATUS("sm_secret_read", DOC_ACQUIRE | ST(SM_ERR_EOF), st, want);
        FUZZ_CHECK(n == (st == SM_OK ? x->len - off : 0), "sm_secret_read reported %zu bytes", n);
        if (st == SM_OK)
            FUZZ_BYTES("sm_secret_read", dst, x->plain + off, n);
        free(dst);
    }
    fuzz_trace("secret: access %u (held %u) -> %s", how, held, sm_status_name(st));
    FUZZ_CHECK(!sm_secret_is_closed(s), "a failed access closed the secret");
}

void case_secret(fz *in) {
    size_t len = tamper_len(in, 3 * sm_page_size() + 64);
    uint8_t *plain = malloc(len), *src = malloc(len);
    FUZZ_CHECK(plain != NULL && src != NULL, "the fuzzer ran out of memory");
    fz_pattern(fz_u16(in), plain, len);
    memcpy(src, plain, len);
    sm_secret *s = NULL;
    sm_enclave *inner[1];
    size_t n = 0;
    tap_open();
    sm_status st = sm_secret_new(SM_KIND_ENCLAVE, src, len, &s);
    tap_close(inner, &n, 1);
    FUZZ_STATUS("sm_secret_new", ST(SM_ERR_INVALID), st, SM_OK);
    FUZZ_CHECK(n == 1,
               "the seal tap saw %zu enclaves sealed by sm_secret_new(ENCLAVE), not 1: "
               "tests/fuzz/tamper/seal_tap.h needs updating",
               n);
    /* Accesses opened before the corruption keep the bytes open: they stay readable. */
    unsigned held = fz_u8(in) % 3;
    const uint8_t *data = NULL;
    size_t dlen = 0;
    for (unsigned i = 0; i < held; i++)
        FUZZ_STATUS("sm_secret_acquire", DOC_ACQUIRE, sm_secret_acquire(s, &data, &dlen), SM_OK);
    tampering t;
    tamper_apply(in, inner[0], &t);
    expect x = {plain, len, 0};
    size_t rounds = 1 + fz_below(in, 4);
    for (size_t i = 0; i < rounds; i++)
        access_once(in, s, &t, &x, held);
    for (; held > 0; held--)
        FUZZ_STATUS("sm_secret_release", ST(SM_ERR_INVALID), sm_secret_release(s), SM_OK);
    access_once(in, s, &t, &x, 0); /* the bytes are sealed again: the corruption shows */
    tamper_restore(&t);
    access_once(in, s, &t, &x, 0);
    tamper_release(&t);
    sm_secret_free(s);
    free(plain);
    free(src);
}
