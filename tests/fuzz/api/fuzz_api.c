/*
 * Fuzz target (a): an interpreter of operation sequences over the public
 * API. Each input byte string decodes to up to MAX_OPS operations (an
 * opcode byte, then the operation's own choices: slots, lengths, data
 * patterns, variants with NULL arguments). Every operation is checked
 * against the reference model (model.h): the status is one the header
 * documents for the call and exactly the one the model expects, bytes
 * round-trip, sources are wiped or left alone as promised, state queries
 * agree, and sm_stats agrees with the live objects. At the end of each
 * input everything is freed and the counters must be back at their
 * baseline; LeakSanitizer checks the heap at exit.
 *
 * An operation may run with a fault injected into the page allocator
 * (fault.h), to reach the documented failure paths.
 *
 * Process-wide settings are fixed once (sm_init in LLVMFuzzerInitialize):
 * the default policies, and no background re-key (the interpreter re-keys
 * explicitly), so a run is deterministic. Signals, sm_exit and the backend
 * are not touched.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "model.h"

static const op_fn ops[] = {
    op_buffer_new,
    op_buffer_read,
    op_buffer_write,
    op_buffer_protect,
    op_buffer_check,
    op_buffer_destroy,
    op_buffer_free,
    op_buffer_seal,
    op_buffer_break_canary,
    op_secret_new,
    op_secret_acquire,
    op_secret_release,
    op_secret_with_bytes,
    op_secret_read,
    op_secret_close,
    op_secret_free,
    op_secret_state,
    op_enclave_new,
    op_enclave_open,
    op_enclave_open_into,
    op_enclave_free,
    op_stream_new,
    op_stream_write,
    op_stream_read,
    op_stream_take,
    op_stream_free,
    op_purge,
    op_rekey,
    op_stats,
    op_null_handles,
    op_status_names,
    op_fault,
};
#define OP_COUNT (sizeof ops / sizeof ops[0])

/* The bytes of every open access still read as the model says. */
static void check_open_views(const world *w) {
    for (size_t i = 0; i < MAX_SECRETS; i++) {
        const m_secret *s = &w->s[i];
        if (s->h != NULL && s->acquires > 0 && s->known)
            FUZZ_BYTES("an open secret view", s->view, s->bytes, s->len);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_trace_init();
    sm_config cfg;
    sm_config_default(&cfg);
    cfg.rekey_interval_ms = 0; /* no background thread changing state mid-input */
    FUZZ_STATUS("sm_init", ST(SM_ERR_INVALID) | ST(SM_ERR_UNSUPPORTED), sm_init(&cfg), SM_OK);
    /* The counters with no object: with a coffer key, then without. */
    sm_enclave *e = NULL;
    uint8_t byte = 1;
    FUZZ_STATUS("sm_enclave_new", ST(SM_ERR_INVALID), sm_enclave_new(&byte, 1, &e), SM_OK);
    sm_enclave_free(e);
    stats_baseline_record();
    sm_purge();
    stats_baseline_record();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static world w; /* large; one input at a time */
    fz in;
    fz_init(&in, data, size);
    memset(&w, 0, sizeof w);
    w.in = &in;
    for (w.step = 0; w.step < MAX_OPS && fz_more(&in); w.step++) {
        uint8_t code = fz_u8(&in);
        op_fn op = ops[code % OP_COUNT];
        if (w.fault_site != FAULT_NONE && op != op_fault) { /* armed for this one only */
            fault_arm(w.fault_site, w.fault_skip, w.fault_status);
            w.fault_site = FAULT_NONE;
        }
        op(&w);
        if (fault_disarm()) {
            fuzz_trace("  (the injected fault fired)");
            check_real_protections(&w); /* what a failure left behind is what is reported */
        }
        check_open_views(&w);
        stats_check_live(&w);
    }
    fuzz_trace("-- end of input: freeing everything");
    world_clear(&w);
    stats_check_empty();
    return 0;
}
