/* Case: a plain enclave, corrupted, opened both ways. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "tamper.h"

#define DOC_OPEN                                                                                   \
    (ST(SM_ERR_INVALID) | ST(SM_ERR_AUTH) | ST(SM_ERR_NOMEM) | ST(SM_ERR_MLOCK) |                  \
     ST(SM_ERR_PROTECT))
#define DOC_OPEN_INTO (DOC_OPEN | ST(SM_ERR_CLOSED))

/* A new enclave of len bytes made one of three ways; plain receives its bytes. */
static sm_enclave *make(fz *in, uint8_t *plain, size_t len) {
    uint8_t how = fz_u8(in) % 3;
    uint8_t *src = malloc(len);
    sm_enclave *e = NULL;
    sm_buffer *b = NULL;
    FUZZ_CHECK(src != NULL, "the fuzzer ran out of memory");
    fz_pattern(fz_u16(in), plain, len);
    memcpy(src, plain, len);
    if (how == 0) {
        FUZZ_STATUS("sm_enclave_new", ST(SM_ERR_INVALID), sm_enclave_new(src, len, &e), SM_OK);
    } else if (how == 1) {
        FUZZ_STATUS("sm_buffer_new_from_bytes", ST(SM_ERR_INVALID),
                    sm_buffer_new_from_bytes(src, len, &b), SM_OK);
        FUZZ_STATUS("sm_buffer_seal", ST(SM_ERR_INVALID), sm_buffer_seal(b, &e), SM_OK);
        sm_buffer_free(b);
    } else { /* random: learn the bytes by opening it once, untampered */
        FUZZ_STATUS("sm_enclave_new_random", ST(SM_ERR_INVALID), sm_enclave_new_random(len, &e),
                    SM_OK);
        FUZZ_STATUS("sm_enclave_open", DOC_OPEN, sm_enclave_open(e, &b), SM_OK);
        memcpy(plain, sm_buffer_data(b), len);
        sm_buffer_free(b);
    }
    free(src);
    fuzz_trace("enclave: made %zu bytes (how %u)", len, how);
    return e;
}

static void try_open(const tampering *t, const uint8_t *plain, size_t len) {
    sm_buffer *b = (sm_buffer *)plain; /* any non-NULL value: a failure must set NULL */
    sm_status st = sm_enclave_open(t->e, &b);
    fuzz_trace("enclave: open -> %s", sm_status_name(st));
    FUZZ_STATUS("sm_enclave_open", DOC_OPEN, st, t->changed ? SM_ERR_AUTH : SM_OK);
    if (st != SM_OK) {
        FUZZ_CHECK(b == NULL, "sm_enclave_open failed but left *out set");
        return;
    }
    FUZZ_BYTES("sm_enclave_open", sm_buffer_data(b), plain, len);
    sm_buffer_free(b);
}

/* Into a buffer in a protection from the input, holding a pattern. */
static void try_open_into(fz *in, const tampering *t, const uint8_t *plain, size_t len) {
    sm_prot prot = (sm_prot)(fz_u8(in) % 3);
    sm_buffer *b = NULL;
    FUZZ_STATUS("sm_buffer_new", ST(SM_ERR_INVALID), sm_buffer_new(len, &b), SM_OK);
    fz_pattern(fz_u16(in), sm_buffer_data(b), len);
    if (prot != SM_PROT_READWRITE)
        FUZZ_STATUS("protect", ST(SM_ERR_PROTECT),
                    prot == SM_PROT_READ ? sm_buffer_freeze(b) : sm_buffer_noaccess(b), SM_OK);
    sm_status st = sm_enclave_open_into(t->e, b);
    fuzz_trace("enclave: open_into (prot %d) -> %s", (int)prot, sm_status_name(st));
    FUZZ_STATUS("sm_enclave_open_into", DOC_OPEN_INTO, st, t->changed ? SM_ERR_AUTH : SM_OK);
    sm_prot after = sm_buffer_protection(b);
    FUZZ_CHECK(after == (prot == SM_PROT_READWRITE ? SM_PROT_READWRITE : SM_PROT_READ),
               "sm_enclave_open_into left protection %d (was %d)", (int)after, (int)prot);
    if (st == SM_OK)
        FUZZ_BYTES("sm_enclave_open_into", sm_buffer_data(b), plain, len);
    else
        FUZZ_CHECK(fuzz_all_zero(sm_buffer_data(b), len),
                   "a failed sm_enclave_open_into left the buffer's data in place");
    FUZZ_STATUS("sm_buffer_check", ST(SM_ERR_CANARY), sm_buffer_check(b), SM_OK);
    sm_buffer_free(b);
}

void case_enclave(fz *in) {
    size_t len = tamper_len(in, 3 * sm_page_size() + 64);
    uint8_t *plain = malloc(len);
    FUZZ_CHECK(plain != NULL, "the fuzzer ran out of memory");
    sm_enclave *e = make(in, plain, len);
    tampering t;
    tamper_apply(in, e, &t);
    size_t rounds = 1 + fz_below(in, 3);
    for (size_t i = 0; i < rounds; i++) {
        if (fz_u8(in) & 1)
            try_open(&t, plain, len);
        else
            try_open_into(in, &t, plain, len);
    }
    tamper_restore(&t);
    try_open(&t, plain, len);
    tamper_release(&t);
    sm_enclave_free(e);
    free(plain);
}
