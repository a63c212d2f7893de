/*
 * The conformance-vector runner: executes every scenario of every *.json
 * file in tests/vectors/ against the core, one TAP line per scenario, then
 * runs the deliberately wrong vectors of tests/c/vectors/selfcheck/ and
 * requires each one to be reported as failing, for the reason listed in
 * selfcheck/expected_failures.txt (a runner that cannot fail would pass
 * them).
 *
 * Usage: test_vectors            the project's vectors and the self-check
 *        test_vectors DIR...     the vectors in each DIR, all must pass
 * With SM_VECTORS_BACKEND=pages|secretmem|auto in the environment, the
 * library is initialised with that backend first (the vectors README).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"
#include "harness.h"
#include "scenario.h"
#include "selfcheck.h"
#include "validate.h"
#include "vectors/vectors_config.h"

#define MANIFEST "expected_failures.txt"

/* What the next harness_run() evaluates. */
static struct {
    const json_value *scenario; /* NULL: report file_error */
    const char *file_error;
    const char *key;     /* "<stem>/<name>" */
    selfcheck *expected; /* self-check mode: the manifest */
} current;

static int evaluate(diag *d) {
    if (current.scenario == NULL)
        return diag_fail(d, "%s", current.file_error);
    if (validate_scenario(current.scenario, d) != 0)
        return -1;
    return scenario_run(current.scenario, d);
}

/* Self-check: the item must fail, with the listed fragment in its message. */
static void judge_selfcheck(int failed, const diag *d) {
    const char *want = selfcheck_expected(current.expected, current.key);
    if (want == NULL) {
        printf("# %s is not listed in " MANIFEST "\n", current.key);
        harness_current_failed = 1;
    } else if (!failed) {
        printf("# a deliberately wrong vector passed: the runner cannot fail\n");
        harness_current_failed = 1;
    } else if (strstr(d->msg, want) == NULL) {
        printf("# failed for another reason than \"%s\": %s\n", want, d->msg);
        harness_current_failed = 1;
    } else {
        printf("# failed as it must: %s\n", d->msg);
    }
}

static void run_current(void) {
    diag d = {{0}};
    int failed = evaluate(&d) != 0;
    if (current.expected != NULL) {
        judge_selfcheck(failed, &d);
    } else if (failed) {
        printf("# %s\n", d.msg);
        harness_current_failed = 1;
    }
}

static void report(const char *stem, const char *name) {
    char key[512], title[600];
    snprintf(key, sizeof key, "%s/%s", stem, name);
    if (current.expected != NULL)
        snprintf(title, sizeof title, "selfcheck: %s is reported as failing", key);
    else
        snprintf(title, sizeof title, "%s", key);
    current.key = key;
    harness_run(title, run_current);
}

static void report_file_error(const char *stem, const char *msg) {
    current.scenario = NULL;
    current.file_error = msg;
    report(stem, "(file)");
}

static void run_scenarios(const char *stem, const json_value *root) {
    const json_value *scenarios = json_get(root, "scenarios");
    for (size_t i = 0; i < scenarios->count; i++) {
        const json_value *name = json_get(&scenarios->items[i], "name");
        current.scenario = &scenarios->items[i];
        report(stem, name != NULL && name->type == JSON_STRING ? name->string : "?");
    }
}

static void run_file(const char *path) {
    char stem[256], *text = NULL;
    size_t len = 0;
    diag d = {{0}};
    json_value root;
    files_stem(path, stem, sizeof stem);
    if (files_read(path, &text, &len, &d) != 0) {
        report_file_error(stem, d.msg);
        return;
    }
    int parsed = json_parse(text, len, &root, d.msg, sizeof d.msg) == 0;
    free(text);
    if (!parsed) {
        report_file_error(stem, d.msg);
        return;
    }
    if (validate_file(&root, &d) != 0)
        report_file_error(stem, d.msg);
    else
        run_scenarios(stem, &root);
    json_free(&root);
}

static void run_dir(const char *dir) {
    file_list files;
    diag d = {{0}};
    if (files_list(dir, &files, &d) != 0) {
        report_file_error(dir, d.msg);
        return;
    }
    if (files.count == 0)
        report_file_error(dir, "the directory holds no *.json vector files");
    for (size_t i = 0; i < files.count; i++)
        run_file(files.paths[i]);
    files_free(&files);
}

static const char *unused_entry;

static void fail_unused_entry(void) {
    printf("# %s is listed in " MANIFEST " but no such vector ran\n", unused_entry);
    harness_current_failed = 1;
}

/* The deliberately wrong vectors: each must fail as the manifest says. */
static void run_selfcheck(const char *dir) {
    static selfcheck manifest;
    char path[1024];
    diag d = {{0}};
    snprintf(path, sizeof path, "%s/" MANIFEST, dir);
    if (selfcheck_load(path, &manifest, &d) != 0) {
        report_file_error(MANIFEST, d.msg);
        return;
    }
    current.expected = &manifest;
    run_dir(dir);
    current.expected = NULL;
    for (size_t i = 0; i < manifest.count; i++) {
        if (!manifest.entries[i].used) {
            unused_entry = manifest.entries[i].name;
            harness_run("selfcheck: every listed wrong vector ran", fail_unused_entry);
        }
    }
    selfcheck_free(&manifest);
}

int main(int argc, char **argv) {
    if (harness_backend_from_env("SM_VECTORS_BACKEND") != 0)
        return 1;
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            run_dir(argv[i]);
    } else {
        run_dir(SM_VECTORS_DIR);
        run_selfcheck(SM_SELFCHECK_DIR);
    }
    return harness_done();
}
