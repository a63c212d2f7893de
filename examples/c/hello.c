/*
 * hello.c — the smallest tour of securememory: a guarded buffer and a
 * secret, built against the installed library through pkg-config:
 *
 *   cc hello.c $(pkg-config --cflags --libs securememory) -o hello
 */
#include <stdio.h>
#include <string.h>

#include <securememory.h>

static int print_fingerprint(void *ctx, const uint8_t *key, size_t len) {
    (void)ctx;
    /* Only a harmless digest of the key leaves protected memory. */
    unsigned sum = 0;
    for (size_t i = 0; i < len; i++)
        sum = sum * 31u + key[i];
    printf("secret of %zu bytes, fingerprint %08x\n", len, sum);
    return 0;
}

static int fail(const char *what, sm_status st) {
    fprintf(stderr, "%s: %s (%s)\n", what, sm_status_name(st), sm_strerror(st));
    return 1;
}

int main(void) {
    sm_status st = sm_init(NULL);
    if (st != SM_OK)
        return fail("sm_init", st);

    /* A guarded buffer: guard pages around it, locked, wiped when destroyed. */
    sm_buffer *buf = NULL;
    if ((st = sm_buffer_new(32, &buf)) != SM_OK)
        return fail("sm_buffer_new", st);
    memcpy(sm_buffer_data(buf), "correct horse battery staple", 28);
    sm_buffer_freeze(buf); /* read-only from now on */
    printf("buffer holds %zu bytes, canary %s\n", sm_buffer_size(buf),
           sm_buffer_check(buf) == SM_OK ? "intact" : "CORRUPTED");
    sm_buffer_free(buf);

    /* A secret: no access at rest, read-only while a callback runs. */
    char password[] = "hunter2-but-longer";
    sm_secret *secret = NULL;
    st = sm_secret_new(SM_KIND_PROTECTED, password, strlen(password), &secret);
    if (st != SM_OK)
        return fail("sm_secret_new", st);
    printf("source wiped: %s\n", password[0] == '\0' ? "yes" : "no");
    if ((st = sm_secret_with_bytes(secret, print_fingerprint, NULL)) != SM_OK)
        return fail("sm_secret_with_bytes", st);
    sm_secret_close(secret);
    st = sm_secret_with_bytes(secret, print_fingerprint, NULL);
    printf("after close: %s\n", sm_status_name(st));
    sm_secret_free(secret);

    sm_purge(); /* wipe anything left before exiting */
    return 0;
}
