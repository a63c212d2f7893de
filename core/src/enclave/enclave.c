/*
 * Enclaves: bytes sealed under the coffer key with XChaCha20-Poly1305 and a
 * fresh random nonce per seal. One malloc holds the header and the sealed
 * bytes, nonce (24) | ciphertext (len) | tag (16); nothing in it is secret.
 * An enclave is immutable after creation, so it needs no lock: any number
 * of threads may open it at once.
 *
 * Plaintext only ever moves between guarded buffers (or the caller's own
 * memory): sealing reads the source in place, opening decrypts straight
 * into the destination, with no intermediate copy.
 */
#include <sodium.h>
#include <stdlib.h>

#include "aead.h"
#include "buffer.h"
#include "coffer.h"
#include "config.h"
#include "enclave.h"
#include "random.h"
#include "registers.h"
#include "stats.h"

struct sm_enclave {
    size_t len;       /* plaintext bytes */
    uint8_t sealed[]; /* len + SM_AEAD_OVERHEAD bytes */
};

/* Largest plaintext: sizes stay far from overflow and within the cipher's limit. */
#define ENCLAVE_MAX                                                                                \
    (crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX < SIZE_MAX / 2                            \
         ? (size_t)crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX                             \
         : SIZE_MAX / 2)

static int len_ok(size_t len) {
    return len > 0 && len <= ENCLAVE_MAX;
}

typedef struct seal_job {
    const uint8_t *plain;
    sm_enclave *e;
} seal_job;

static sm_status seal_with_key(void *ctx, const uint8_t key[32]) {
    seal_job *job = ctx;
    uint8_t *nonce = job->e->sealed;
    sm__aead_encrypt(nonce + SM_AEAD_NONCEBYTES, job->plain, job->e->len, NULL, 0, nonce, key);
    return SM_OK;
}

typedef struct open_job {
    const sm_enclave *e;
    uint8_t *dst;
} open_job;

static sm_status open_with_key(void *ctx, const uint8_t key[32]) {
    open_job *job = ctx;
    const uint8_t *nonce = job->e->sealed;
    return sm__aead_decrypt(job->dst, nonce + SM_AEAD_NONCEBYTES, job->e->len + SM_AEAD_TAGBYTES,
                            NULL, 0, nonce, key);
}

sm_status sm__enclave_seal(const void *src, size_t len, sm_enclave **out) {
    if (out != NULL)
        *out = NULL;
    if (src == NULL || out == NULL || !len_ok(len))
        return SM_ERR_INVALID;
    sm_status st = sm__ensure_init();
    if (st != SM_OK)
        return st;
    sm_enclave *e = malloc(sizeof *e + len + SM_AEAD_OVERHEAD);
    if (e == NULL)
        return SM_ERR_NOMEM;
    e->len = len;
    randombytes_buf(e->sealed, SM_AEAD_NONCEBYTES);
    seal_job job = {src, e};
    st = sm__coffer_with_key(seal_with_key, &job);
    if (st != SM_OK) {
        free(e);
        return st;
    }
    sm__stat_add(SM_CTR_ENCLAVES, 1);
    *out = e;
    return SM_OK;
}

sm_status sm__enclave_decrypt(const sm_enclave *e, uint8_t *dst) {
    if (e == NULL || dst == NULL)
        return SM_ERR_INVALID;
    open_job job = {e, dst};
    return sm__coffer_with_key(open_with_key, &job);
}

sm_status sm__enclave_open_buffer(const sm_enclave *e, int owned, sm_buffer **out) {
    if (out != NULL)
        *out = NULL;
    if (e == NULL || out == NULL)
        return SM_ERR_INVALID;
    sm_buffer *b = NULL;
    sm_status st = sm__buffer_alloc(e->len, 1, &b); /* owned while filled */
    if (st != SM_OK)
        return st;
    st = sm__enclave_decrypt(e, sm__buffer_bytes(b));
    if (st == SM_OK)
        st = sm_buffer_freeze(b);
    if (st != SM_OK) {
        sm_buffer_free(b);
        return st;
    }
    if (!owned)
        sm__buffer_publish(b);
    *out = b;
    return SM_OK;
}

uint8_t *sm__enclave_sealed(sm_enclave *e, size_t *len) {
    *len = e->len + SM_AEAD_OVERHEAD;
    return e->sealed;
}

sm_status sm_enclave_new(void *src, size_t len, sm_enclave **out) {
    sm_status st = sm__enclave_seal(src, len, out);
    if (src != NULL && len <= ENCLAVE_MAX)
        sm_wipe(src, len);
    sm__registers_clear();
    return st;
}

sm_status sm_enclave_new_random(size_t len, sm_enclave **out) {
    if (out != NULL)
        *out = NULL;
    if (out == NULL || !len_ok(len))
        return SM_ERR_INVALID;
    sm_buffer *b = NULL;
    sm_status st = sm__buffer_alloc(len, 1, &b);
    if (st != SM_OK)
        return st;
    sm__random_fill(sm__buffer_bytes(b), len);
    st = sm__enclave_seal(sm__buffer_bytes(b), len, out);
    sm_buffer_free(b);
    sm__registers_clear();
    return st;
}

sm_status sm_enclave_open(const sm_enclave *e, sm_buffer **out) {
    sm_status st = sm__enclave_open_buffer(e, 0, out);
    sm__registers_clear();
    return st;
}

typedef struct open_into_job {
    const sm_enclave *e;
    int decrypted; /* the plaintext is in the destination */
} open_into_job;

static sm_status decrypt_into(void *ctx, uint8_t *data, size_t len) {
    open_into_job *job = ctx;
    if (len != job->e->len)
        return SM_ERR_INVALID;
    sm_status st = sm__enclave_decrypt(job->e, data);
    if (st != SM_OK)
        sm_wipe(data, len);
    job->decrypted = st == SM_OK;
    return st;
}

static sm_status wipe_data(void *ctx, uint8_t *data, size_t len) {
    (void)ctx;
    sm_wipe(data, len);
    return SM_OK;
}

sm_status sm_enclave_open_into(const sm_enclave *e, sm_buffer *dst) {
    if (e == NULL || dst == NULL)
        return SM_ERR_INVALID;
    size_t size = sm_buffer_size(dst); /* 0 once destroyed, e.g. by a purge */
    if (size == 0)
        return SM_ERR_CLOSED;
    if (size != e->len)
        return SM_ERR_INVALID;
    /* Under dst's lock: a concurrent purge cannot unmap it mid-decrypt. */
    open_into_job job = {e, 0};
    sm_status st =
        sm__buffer_with_data(dst, SM_PROT_READWRITE, SM__PROT_READABLE, decrypt_into, &job);
    if (st == SM_ERR_PROTECT && job.decrypted) /* it stayed writable: deliver nothing */
        (void)sm__buffer_with_data(dst, SM_PROT_READWRITE, SM__PROT_RESTORE, wipe_data, NULL);
    sm__registers_clear();
    return st;
}

static sm_status seal_data(void *ctx, uint8_t *data, size_t len) {
    return sm__enclave_seal(data, len, (sm_enclave **)ctx);
}

sm_status sm_buffer_seal(sm_buffer *b, sm_enclave **out) {
    if (out != NULL)
        *out = NULL;
    if (b == NULL || out == NULL)
        return SM_ERR_INVALID;
    sm_status st = sm_buffer_check(b);
    if (st == SM_ERR_CANARY)
        (void)sm_buffer_destroy(b);
    if (st != SM_OK)
        return st;
    st = sm__buffer_with_data(b, SM_PROT_READ, SM__PROT_RESTORE, seal_data, out);
    sm__registers_clear();
    if (st != SM_OK) { /* not sealed, or its protection could not be restored */
        sm_enclave_free(*out);
        *out = NULL;
        return st;
    }
    /* Sealed: the buffer goes. A wipe that failed (SM_ERR_PROTECT) leaves its
     * pages given up and covered by the fault path; the sealed data stands. */
    (void)sm_buffer_destroy(b);
    return SM_OK;
}

size_t sm_enclave_size(const sm_enclave *e) {
    return e != NULL ? e->len : 0;
}

void sm_enclave_free(sm_enclave *e) {
    if (e == NULL)
        return;
    sm_wipe(e->sealed, e->len + SM_AEAD_OVERHEAD);
    e->len = 0;
    free(e);
    sm__stat_sub(SM_CTR_ENCLAVES, 1);
}
