/*
 * Fuzz target (c): the C vector runner's file parsing (tests/c/vectors:
 * files.c, json.c, validate.c, spec.c), everything between the bytes of a
 * vector file and the scenarios the runner executes; the scenarios are
 * not executed (the interpreter target covers the API). Per input:
 * - files_read() of the input as a file gives back exactly its bytes;
 * - json_parse() never reads outside the input, and whatever it accepts
 *   is RFC 8259 JSON in UTF-8 (json_oracle_valid) that, written back
 *   (json_echo), parses to the same value;
 * - validate_file() / validate_scenario() never crash, and every size and
 *   data spec of a valid scenario evaluates as the README defines it
 *   (spec_walk.c); json_free() leaves nothing behind (LeakSanitizer).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "files.h"
#include "fuzz_check.h"
#include "json.h"
#include "json_oracle.h"
#include "spec_walk.h"
#include "validate.h"

static char file_path[64];
static int file_fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_trace_init();
    file_fd = memfd_create("vector", 0);
    FUZZ_CHECK(file_fd >= 0, "memfd_create failed");
    snprintf(file_path, sizeof file_path, "/proc/self/fd/%d", file_fd);
    return 0;
}

/* files_read() of the input written to a file: the same bytes, NUL-terminated. */
static void check_file_read(const uint8_t *data, size_t size) {
    FUZZ_CHECK(ftruncate(file_fd, 0) == 0 && pwrite(file_fd, data, size, 0) == (ssize_t)size,
               "writing the input to a file failed");
    char *text = NULL;
    size_t len = 0;
    diag d;
    FUZZ_CHECK(files_read(file_path, &text, &len, &d) == 0, "files_read: %s", d.msg);
    FUZZ_CHECK(len == size && text[len] == '\0', "files_read gave %zu bytes of %zu", len, size);
    FUZZ_BYTES("files_read", text, data, size);
    free(text);
    char stem[64];
    files_stem(file_path, stem, sizeof stem);
}

static void check_echo(const json_value *root) {
    size_t len = 0;
    char *text = json_echo(root, &len);
    json_value again;
    char err[256];
    int rc = json_parse(text, len, &again, err, sizeof err);
    FUZZ_CHECK(rc == 0, "the parser refused its own value written back: %s\n%s", err, text);
    FUZZ_CHECK(json_same(root, &again), "a value written back parses differently:\n%s", text);
    json_free(&again);
    free(text);
}

static void check_scenarios(const json_value *root) {
    diag d;
    int valid = validate_file(root, &d) == 0;
    fuzz_trace("validate_file: %s", valid ? "ok" : d.msg);
    if (!valid)
        return;
    const json_value *scenarios = json_get(root, "scenarios");
    for (size_t i = 0; i < scenarios->count; i++) {
        int ok = validate_scenario(&scenarios->items[i], &d) == 0;
        fuzz_trace("scenario %zu: %s", i, ok ? "valid" : d.msg);
        if (ok) {
            (void)scenario_requires(&scenarios->items[i], "core");
            spec_walk_scenario(&scenarios->items[i]);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    check_file_read(data, size);
    json_value root;
    char err[256];
    if (json_parse((const char *)data, size, &root, err, sizeof err) != 0) {
        fuzz_trace("json_parse: %s", err);
        FUZZ_CHECK(strncmp(err, "JSON error at byte ", 19) == 0, "json_parse error text: %s", err);
        return 0;
    }
    FUZZ_CHECK(json_oracle_valid((const char *)data, size),
               "json_parse accepted text that is not RFC 8259 JSON in UTF-8");
    check_echo(&root);
    check_scenarios(&root);
    json_free(&root);
    return 0;
}
