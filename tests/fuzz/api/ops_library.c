/* Interpreter operations on the library as a whole: purge, stats, NULL handles, names. */
#include <string.h>

#include "fuzz_check.h"
#include "model.h"

/*
 * sm_purge: every live buffer is destroyed, every secret closed, streams
 * that held bytes break, and enclaves sealed before can no longer be
 * opened. Open accesses are ended first: purging inside one's own access
 * deadlocks (header).
 */
void op_purge(world *w) {
    for (size_t i = 0; i < MAX_SECRETS; i++)
        if (w->s[i].h != NULL)
            secret_release_all(&w->s[i]);
    sm_purge();
    fuzz_trace("purge");
    w->purges++;
    for (size_t i = 0; i < MAX_BUFFERS; i++)
        if (w->b[i].h != NULL) {
            buffer_dead(&w->b[i]);
            buffer_check_state(&w->b[i]);
        }
    for (size_t i = 0; i < MAX_SECRETS; i++)
        if (w->s[i].h != NULL) {
            w->s[i].closed = 1;
            FUZZ_CHECK(sm_secret_is_closed(w->s[i].h), "a secret is open after sm_purge");
        }
    for (size_t i = 0; i < MAX_STREAMS; i++) {
        m_stream *t = &w->t[i];
        if (t->h == NULL)
            continue;
        t->broken |= t->qlen > 0;
        t->qlen = 0;
        FUZZ_CHECK(sm_stream_size(t->h) == 0, "a stream holds %zu bytes after sm_purge",
                   sm_stream_size(t->h));
    }
}

void op_stats(world *w) {
    sm_stats st;
    memset(&st, 0, sizeof st);
    fuzz_trace("stats");
    FUZZ_STATUS("sm_stats_get", ST(SM_ERR_INVALID), sm_stats_get(NULL), SM_ERR_INVALID);
    FUZZ_STATUS("sm_stats_get", ST(SM_ERR_INVALID), sm_stats_get(&st), SM_ERR_INVALID); /* size 0 */
    stats_check_live(w);
    check_real_protections(w);
}

/* Every documented NULL-handle behaviour, and NULL out-parameters. */
void op_null_handles(world *w) {
    (void)w;
    size_t n = 1;
    uint8_t byte = 0x5a;
    const uint8_t *data = NULL;
    sm_buffer *b = NOT_SET;
    sm_enclave *e = NOT_SET;
    fuzz_trace("null handles");
    FUZZ_CHECK(sm_buffer_data(NULL) == NULL && sm_buffer_size(NULL) == 0 &&
                   !sm_buffer_is_alive(NULL) && sm_buffer_protection(NULL) == SM_PROT_NONE,
               "a NULL buffer reports state");
    FUZZ_STATUS("sm_buffer_freeze", ST(SM_ERR_INVALID), sm_buffer_freeze(NULL), SM_ERR_INVALID);
    FUZZ_STATUS("sm_buffer_melt", ST(SM_ERR_INVALID), sm_buffer_melt(NULL), SM_ERR_INVALID);
    FUZZ_STATUS("sm_buffer_noaccess", ST(SM_ERR_INVALID), sm_buffer_noaccess(NULL), SM_ERR_INVALID);
    FUZZ_STATUS("sm_buffer_check", ST(SM_ERR_INVALID), sm_buffer_check(NULL), SM_ERR_INVALID);
    FUZZ_STATUS("sm_buffer_destroy", ST(SM_ERR_INVALID), sm_buffer_destroy(NULL), SM_ERR_INVALID);
    FUZZ_STATUS("sm_buffer_new", ST(SM_ERR_INVALID), sm_buffer_new(16, NULL), SM_ERR_INVALID);
    FUZZ_STATUS("sm_buffer_seal", ST(SM_ERR_INVALID), sm_buffer_seal(NULL, &e), SM_ERR_INVALID);
    FUZZ_CHECK(e == NULL, "sm_buffer_seal(NULL) left *out set");
    sm_buffer_free(NULL);
    FUZZ_STATUS("sm_enclave_open", ST(SM_ERR_INVALID), sm_enclave_open(NULL, &b), SM_ERR_INVALID);
    FUZZ_CHECK(b == NULL, "sm_enclave_open(NULL) left *out set");
    FUZZ_STATUS("sm_enclave_open_into", ST(SM_ERR_INVALID), sm_enclave_open_into(NULL, NULL),
                SM_ERR_INVALID);
    FUZZ_STATUS("sm_enclave_new", ST(SM_ERR_INVALID), sm_enclave_new(NULL, 16, &e), SM_ERR_INVALID);
    FUZZ_CHECK(sm_enclave_size(NULL) == 0, "sm_enclave_size(NULL) is not 0");
    sm_enclave_free(NULL);
    FUZZ_STATUS("sm_secret_acquire", ST(SM_ERR_INVALID), sm_secret_acquire(NULL, &data, &n),
                SM_ERR_INVALID);
    FUZZ_STATUS("sm_secret_release", ST(SM_ERR_INVALID), sm_secret_release(NULL), SM_ERR_INVALID);
    FUZZ_STATUS("sm_secret_read", ST(SM_ERR_INVALID), sm_secret_read(NULL, 0, &byte, 1, &n),
                SM_ERR_INVALID);
    FUZZ_CHECK(n == 0 && byte == 0x5a, "sm_secret_read(NULL) reported or copied bytes");
    FUZZ_STATUS("sm_secret_close", ST(SM_ERR_INVALID), sm_secret_close(NULL), SM_ERR_INVALID);
    FUZZ_CHECK(sm_secret_size(NULL) == 0 && sm_secret_kind(NULL) == SM_KIND_PROTECTED &&
                   sm_secret_is_closed(NULL) == 1,
               "a NULL secret reports state");
    sm_secret_free(NULL);
    FUZZ_STATUS("sm_stream_write", ST(SM_ERR_INVALID), sm_stream_write(NULL, &byte, 1),
                SM_ERR_INVALID);
    n = 1;
    FUZZ_STATUS("sm_stream_read", ST(SM_ERR_INVALID), sm_stream_read(NULL, &byte, 1, &n),
                SM_ERR_INVALID);
    FUZZ_CHECK(n == 0, "sm_stream_read(NULL) reported bytes");
    b = NOT_SET;
    FUZZ_STATUS("sm_stream_next", ST(SM_ERR_INVALID), sm_stream_next(NULL, &b), SM_ERR_INVALID);
    FUZZ_CHECK(b == NULL, "sm_stream_next(NULL) left *out set");
    b = NOT_SET;
    FUZZ_STATUS("sm_stream_flush", ST(SM_ERR_INVALID), sm_stream_flush(NULL, &b), SM_ERR_INVALID);
    FUZZ_CHECK(b == NULL, "sm_stream_flush(NULL) left *out set");
    FUZZ_CHECK(sm_stream_size(NULL) == 0 && sm_stream_chunk_size(NULL) == 0,
               "a NULL stream reports state");
    sm_stream_free(NULL);
}

void op_status_names(world *w) {
    static const char *const names[SM_STATUS_COUNT] = {
        "SM_OK",          "SM_ERR_INVALID",  "SM_ERR_NOMEM",       "SM_ERR_MLOCK",
        "SM_ERR_PROTECT", "SM_ERR_CLOSED",   "SM_ERR_AUTH",        "SM_ERR_CANARY",
        "SM_ERR_EOF",     "SM_ERR_CALLBACK", "SM_ERR_UNSUPPORTED",
    };
    int code = (int)(int8_t)fz_u8(w->in);
    const char *name = sm_status_name((sm_status)code);
    const char *text = sm_strerror((sm_status)code);
    fuzz_trace("status.name %d -> %s", code, name);
    FUZZ_CHECK(name != NULL && text != NULL && text[0] != '\0', "no name or text for %d", code);
    const char *want = code >= 0 && code < SM_STATUS_COUNT ? names[code] : "SM_ERR_UNKNOWN";
    FUZZ_CHECK(strcmp(name, want) == 0, "sm_status_name(%d) is %s, expected %s", code, name, want);
}

/*
 * site (%3: pages, lock, protect), skip (%4), status (&1: NOMEM or MLOCK for
 * pages). Arms a fault (fault.h) for the next operation only.
 */
void op_fault(world *w) {
    static const fault_site sites[] = {FAULT_ACQUIRE, FAULT_LOCK, FAULT_PROTECT};
    fault_site site = sites[fz_below(w->in, 3)];
    unsigned skip = (unsigned)fz_below(w->in, 4);
    int mlock = fz_u8(w->in) & 1;
    sm_status st = site == FAULT_PROTECT         ? SM_ERR_PROTECT
                   : site == FAULT_LOCK || mlock ? SM_ERR_MLOCK
                                                 : SM_ERR_NOMEM;
    w->fault_site = site;
    w->fault_skip = skip;
    w->fault_status = st;
    fuzz_trace("fault: call %u to site %d fails with %s", skip + 1, (int)site, sm_status_name(st));
}
