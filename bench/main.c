/*
 * smbench: securememory measured side by side with libsodium's guarded heap
 * and raw XChaCha20-Poly1305 in one run on one machine.
 *
 *   smbench [--out FILE] [GROUP...]
 *
 * GROUPs: create_close with_bytes enclave stream scale (default: all).
 * Results go to FILE (default stdout) as JSON lines for bench/report.py; a
 * readable table goes to stderr. Environment: SM_BENCH_ROUNDS (default 15),
 * SM_BENCH_ROUND_MS (default 30), SM_BENCH_QUICK=1 (a fast smoke run).
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
    if (sodium_init() < 0 || sm_init(NULL) != SM_OK || results_open(out) != 0) {
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
