/*
 * smbench: securememory measured side by side with libsodium's guarded heap
 * and raw XChaCha20-Poly1305 in one run on one machine.
 *
 *   smbench [--out FILE] [GROUP...]
 *
 * GROUPs: create_close with_bytes enclave stream scale (default: all).
 * Results go to FILE (default stdout) as JSON lines for bench/report.py; a
 * readable table goes to stderr. Environment: SM_BENCH_ROUNDS (default 15),
 * SM_BENCH_ROUND_MS (default 30), SM_BENCH_QUICK=1 (a fast smoke run),
 * SM_BENCH_BACKEND=pages|secretmem (the memory backend; default: the
 * library's default).
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "results.h"
#include "scale.h"
#include "securememory.h"
#include "timing.h"

typedef struct group {
    const char *name;
    void (*run)(void);
} group;

static const group groups[] = {
    {"create_close", bench_create_close},
    {"with_bytes", bench_with_bytes},
    {"enclave", bench_enclave},
    {"stream", bench_stream},
    {"scale", bench_scale},
};

#define GROUP_COUNT (sizeof groups / sizeof groups[0])

static int wanted(const char *name, char **argv, int first, int argc) {
    if (first >= argc)
        return 1;
    for (int i = first; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}

static void notes(void) {
    char text[160];
    snprintf(text, sizeof text, "securememory %s, libsodium %s", sm_version(),
             sodium_version_string());
    results_note("versions", text);
    const char *q = getenv("SM_BENCH_QUICK");
    snprintf(text, sizeof text, "rounds %s, round ms %s, quick %s",
             getenv("SM_BENCH_ROUNDS") ? getenv("SM_BENCH_ROUNDS") : "default",
             getenv("SM_BENCH_ROUND_MS") ? getenv("SM_BENCH_ROUND_MS") : "default",
             q != NULL ? q : "0");
    results_note("settings", text);
    results_note("backend", sm_backend_active() == SM_BACKEND_SECRETMEM ? "secretmem" : "pages");
}

/* sm_init with the backend SM_BENCH_BACKEND names (the default when unset). */
sm_status bench_init_library(void) {
    sm_config cfg;
    sm_config_default(&cfg);
    const char *b = getenv("SM_BENCH_BACKEND");
    if (b != NULL && strcmp(b, "secretmem") == 0)
        cfg.backend = SM_BACKEND_SECRETMEM;
    else if (b != NULL && strcmp(b, "pages") == 0)
        cfg.backend = SM_BACKEND_PAGES;
    else if (b != NULL)
        return SM_ERR_INVALID;
    return sm_init(&cfg);
}

int main(int argc, char **argv) {
    if (argc == 5 && strcmp(argv[1], "--scale-child") == 0) {
        timing_init();
        return scale_child(argv[2], (size_t)strtoull(argv[3], NULL, 10), argv[4]);
    }
    const char *out = NULL;
    int first = 1;
    if (argc >= 3 && strcmp(argv[1], "--out") == 0) {
        out = argv[2];
        first = 3;
    }
    if (sodium_init() < 0 || bench_init_library() != SM_OK || results_open(out) != 0) {
        fprintf(stderr, "smbench: setup failed\n");
        return 1;
    }
    timing_init();
    notes();
    for (size_t i = 0; i < GROUP_COUNT; i++)
        if (wanted(groups[i].name, argv, first, argc))
            groups[i].run();
    results_close();
    return 0;
}
