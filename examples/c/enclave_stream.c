/*
 * enclave_stream.c — data encrypted at rest: an enclave for a key, a stream
 * for a large payload, and what sm_purge does to both.
 *
 *   cc enclave_stream.c $(pkg-config --cflags --libs securememory) -o enclave_stream
 */
#include <stdio.h>
#include <string.h>

#include <securememory.h>

static int fail(const char *what, sm_status st) {
    fprintf(stderr, "%s: %s (%s)\n", what, sm_status_name(st), sm_strerror(st));
    return 1;
}

/* A harmless digest, so no secret byte is printed. */
static unsigned fingerprint(const uint8_t *p, size_t len) {
    unsigned sum = 0;
    for (size_t i = 0; i < len; i++)
        sum = sum * 31u + p[i];
    return sum;
}

static int enclave_demo(sm_enclave **out) {
    /* Seal a key: the source is wiped, the ciphertext lives in ordinary memory. */
    char api_key[] = "sk-live-0123456789abcdef";
    sm_status st = sm_enclave_new(api_key, strlen(api_key), out);
    if (st != SM_OK)
        return fail("sm_enclave_new", st);
    printf("sealed %zu bytes; source wiped: %s\n", sm_enclave_size(*out),
           api_key[0] == '\0' ? "yes" : "no");

    /* Re-keying changes how the process key is held, not the key itself. */
    if ((st = sm_coffer_rekey()) != SM_OK)
        return fail("sm_coffer_rekey", st);

    /* Open it into a guarded, read-only buffer only for as long as it is needed. */
    sm_buffer *plain = NULL;
    if ((st = sm_enclave_open(*out, &plain)) != SM_OK)
        return fail("sm_enclave_open", st);
    printf("opened after re-key: fingerprint %08x\n",
           fingerprint(sm_buffer_data(plain), sm_buffer_size(plain)));
    sm_buffer_free(plain);
    return 0;
}

static int stream_demo(void) {
    /* A stream cuts what it is given into sealed chunks of 4 KiB. */
    sm_stream *s = NULL;
    sm_status st = sm_stream_new(4096, &s);
    if (st != SM_OK)
        return fail("sm_stream_new", st);
    uint8_t block[1000];
    for (int i = 0; i < 100; i++) { /* 100,000 bytes */
        memset(block, i, sizeof block);
        if ((st = sm_stream_write(s, block, sizeof block)) != SM_OK)
            return fail("sm_stream_write", st);
    }
    printf("stream holds %zu bytes in chunks of %zu\n", sm_stream_size(s), sm_stream_chunk_size(s));

    /* Read a little into our own memory (ours to wipe), then take a chunk... */
    uint8_t head[10];
    size_t n = 0;
    if ((st = sm_stream_read(s, head, sizeof head, &n)) != SM_OK)
        return fail("sm_stream_read", st);
    sm_wipe(head, sizeof head);
    sm_buffer *chunk = NULL;
    if ((st = sm_stream_next(s, &chunk)) != SM_OK)
        return fail("sm_stream_next", st);
    printf("read %zu bytes, then the rest of that chunk: %zu bytes\n", n, sm_buffer_size(chunk));
    sm_buffer_free(chunk);

    /* ...and everything else as one guarded buffer. */
    sm_buffer *rest = NULL;
    if ((st = sm_stream_flush(s, &rest)) != SM_OK)
        return fail("sm_stream_flush", st);
    printf("flushed the remaining %zu bytes; stream now holds %zu\n", sm_buffer_size(rest),
           sm_stream_size(s));
    sm_buffer_free(rest);
    sm_stream_free(s);
    return 0;
}

int main(void) {
    sm_status st = sm_init(NULL);
    if (st != SM_OK)
        return fail("sm_init", st);
    sm_enclave *e = NULL;
    if (enclave_demo(&e) != 0 || stream_demo() != 0)
        return 1;

    /* A purge destroys the process key: enclaves sealed before it stay shut. */
    sm_purge();
    sm_buffer *b = NULL;
    printf("open after purge: %s\n", sm_status_name(sm_enclave_open(e, &b)));
    sm_enclave_free(e);
    return 0;
}
