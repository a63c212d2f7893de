/*
 * XChaCha20-Poly1305 known answers (core only): the internal functions the
 * enclaves use, sm__aead_encrypt / sm__aead_decrypt of aead.h.
 */
#include "aead.h"
#include "ops.h"

/* Arguments: 0 key, 1 nonce, 2 ad, 3 plaintext or ciphertext. */
static int check_key_nonce(const call *c, diag *d) {
    if (c->arg[0].data.len != SM_AEAD_KEYBYTES)
        return diag_fail(d, "key has %zu bytes, not %u", c->arg[0].data.len, SM_AEAD_KEYBYTES);
    if (c->arg[1].data.len != SM_AEAD_NONCEBYTES)
        return diag_fail(d, "nonce has %zu bytes, not %u", c->arg[1].data.len, SM_AEAD_NONCEBYTES);
    return 0;
}

static int op_encrypt(call *c, diag *d) {
    const bytes *m = &c->arg[3].data;
    if (check_key_nonce(c, d) != 0 || bytes_alloc(&c->result, m->len + SM_AEAD_TAGBYTES, d) != 0)
        return -1;
    sm__aead_encrypt(c->result.p, m->p, m->len, c->arg[2].data.p, c->arg[2].data.len,
                     c->arg[1].data.p, c->arg[0].data.p);
    c->status = SM_OK;
    return 0;
}

static int op_decrypt(call *c, diag *d) {
    const bytes *ct = &c->arg[3].data;
    size_t mlen = ct->len > SM_AEAD_TAGBYTES ? ct->len - SM_AEAD_TAGBYTES : 0;
    bytes m;
    if (check_key_nonce(c, d) != 0 || bytes_alloc(&m, mlen, d) != 0)
        return -1;
    c->status = sm__aead_decrypt(m.p, ct->p, ct->len, c->arg[2].data.p, c->arg[2].data.len,
                                 c->arg[1].data.p, c->arg[0].data.p);
    int rc = c->status == SM_OK ? op_set_result(c, m.p, mlen, d) : 0;
    bytes_free(&m);
    return rc;
}

const op_def ops_aead[] = {
    {"aead.encrypt",
     OBJ_NONE,
     OBJ_NONE,
     RES_BYTES,
     0,
     1,
     {{"key", ARG_DATA, 1},
      {"nonce", ARG_DATA, 1},
      {"ad", ARG_DATA, 1},
      {"plaintext", ARG_DATA, 1}},
     op_encrypt},
    {"aead.decrypt",
     OBJ_NONE,
     OBJ_NONE,
     RES_BYTES,
     0,
     1,
     {{"key", ARG_DATA, 1},
      {"nonce", ARG_DATA, 1},
      {"ad", ARG_DATA, 1},
      {"ciphertext", ARG_DATA, 1}},
     op_decrypt},
    {0},
};
