/*
 * Fuzz target (b): see tamper.h. The first input byte picks the case; the
 * rest drives it. After each case every object is freed and the counters
 * must be where they were before it (no buffer, enclave or view left
 * behind by a failed authentication).
 */
#include "fuzz_check.h"
#include "tamper.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_trace_init();
    sm_config cfg;
    sm_config_default(&cfg);
    cfg.rekey_interval_ms = 0; /* deterministic: no background thread */
    FUZZ_STATUS("sm_init", ST(SM_ERR_INVALID) | ST(SM_ERR_UNSUPPORTED), sm_init(&cfg), SM_OK);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz in;
    fz_init(&in, data, size);
    /* The coffer key exists before the snapshot (made now if needed). */
    FUZZ_STATUS("sm_coffer_rekey", ST(SM_ERR_NOMEM), sm_coffer_rekey(), SM_OK);
    sm_stats before;
    tamper_stats_snapshot(&before);
    uint8_t which = fz_u8(&in) % 3;
    if (which == 0)
        case_enclave(&in);
    else if (which == 1)
        case_secret(&in);
    else
        case_stream(&in);
    tamper_stats_same(&before);
    return 0;
}
