/*
 * A tiny test harness for the C tests: TAP output (meson's 'tap' protocol),
 * checks that record a failure and go on, and helpers to run code in a
 * forked child (for faults, signals and resource limits).
 *
 * Use:
 *   static void test_something(void) { CHECK(x == 1); CHECK_STATUS(f(), SM_OK); }
 *   int main(void) { RUN(test_something); return harness_done(); }
 */
#ifndef SM_TEST_HARNESS_H
#define SM_TEST_HARNESS_H

#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc_self.h"
#include "securememory.h"

static int harness_test_no;
static int harness_failed_tests;
static int harness_current_failed;
static const char *harness_skip_reason;

/* Ends the current test as skipped (TAP "# SKIP"): never counted as passed. */
#define SKIP(reason)                                                                               \
    do {                                                                                           \
        harness_skip_reason = (reason);                                                            \
        return;                                                                                    \
    } while (0)

/* The sanitizer runtimes turn mlock() into a no-op, so it cannot fail there. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define HARNESS_MLOCK_IS_NOOP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define HARNESS_MLOCK_IS_NOOP 1
#endif
#endif
#ifndef HARNESS_MLOCK_IS_NOOP
#define HARNESS_MLOCK_IS_NOOP 0
#endif

/* Skips a test that needs mlock() to fail under RLIMIT_MEMLOCK. */
#define REQUIRE_REAL_MLOCK()                                                                       \
    do {                                                                                           \
        if (HARNESS_MLOCK_IS_NOOP)                                                                 \
            SKIP("mlock is a no-op under this sanitizer, so it cannot fail");                      \
    } while (0)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("# %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                      \
            harness_current_failed = 1;                                                            \
        }                                                                                          \
    } while (0)

#define CHECK_STATUS(expr, want)                                                                   \
    do {                                                                                           \
        sm_status got_ = (expr);                                                                   \
        if (got_ != (want)) {                                                                      \
            printf("# %s:%d: %s gave %s, wanted %s\n", __FILE__, __LINE__, #expr,                  \
                   sm_status_name(got_), sm_status_name(want));                                    \
            harness_current_failed = 1;                                                            \
        }                                                                                          \
    } while (0)

/* Stops the current test when a precondition fails (the test function returns). */
#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("# %s:%d: requirement failed: %s\n", __FILE__, __LINE__, #cond);                \
            harness_current_failed = 1;                                                            \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define RUN(fn) harness_run(#fn, fn)

static inline void harness_run(const char *name, void (*fn)(void)) {
    harness_current_failed = 0;
    harness_skip_reason = NULL;
    fflush(stdout);
    fn();
    harness_test_no++;
    if (harness_current_failed)
        harness_failed_tests++;
    if (harness_skip_reason != NULL && !harness_current_failed)
        printf("ok %d - %s # SKIP %s\n", harness_test_no, name, harness_skip_reason);
    else
        printf("%s %d - %s\n", harness_current_failed ? "not ok" : "ok", harness_test_no, name);
    fflush(stdout);
}

static inline int harness_done(void) {
    printf("1..%d\n", harness_test_no);
    return harness_failed_tests ? 1 : 0;
}

/*
 * Initialises the library with the backend the environment variable `var`
 * names (pages, secretmem or auto), if it is set; 0 on success, else -1
 * after a TAP "Bail out!" line. Lets one test program run under both
 * memory backends.
 */
static inline int harness_backend_from_env(const char *var) {
    static const struct {
        const char *name;
        sm_backend backend;
    } names[] = {{"pages", SM_BACKEND_PAGES},
                 {"secretmem", SM_BACKEND_SECRETMEM},
                 {"auto", SM_BACKEND_AUTO}};
    const char *want = getenv(var);
    if (want == NULL)
        return 0;
    size_t i = 0;
    while (i < sizeof names / sizeof names[0] && strcmp(names[i].name, want) != 0)
        i++;
    if (i == sizeof names / sizeof names[0]) {
        printf("Bail out! unknown %s \"%s\"\n", var, want);
        return -1;
    }
    sm_config cfg;
    sm_config_default(&cfg);
    cfg.backend = names[i].backend;
    sm_status st = sm_init(&cfg);
    if (st != SM_OK) {
        printf("Bail out! sm_init with backend %s: %s\n", want, sm_status_name(st));
        return -1;
    }
    printf("# backend %s (active: %s)\n", want,
           sm_backend_active() == SM_BACKEND_SECRETMEM ? "secretmem" : "pages");
    return 0;
}

/* The library's counters now. */
static inline sm_stats stats_now(void) {
    sm_stats s;
    memset(&s, 0, sizeof s);
    s.size = sizeof s;
    sm_stats_get(&s);
    return s;
}

/* 1 when every byte of p[0..len) is zero. */
static inline int all_zero(const void *p, size_t len) {
    const unsigned char *b = p;
    unsigned char acc = 0;
    for (size_t i = 0; i < len; i++)
        acc |= b[i];
    return acc == 0;
}

/*
 * Runs fn(arg) in a forked child and returns its wait status. The child
 * exits 0 when fn returns 0, 1 otherwise; a fault shows as WIFSIGNALED.
 */
static inline int run_in_child(int (*fn)(void *), void *arg) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        /* No core files from children that are meant to crash. */
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        _exit(fn(arg) == 0 ? 0 : 1);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    return st;
}

/* For a child's checks: says which one failed (on stdout, as a TAP comment), returns code. */
static inline int child_fail(int code) {
    printf("# child check %d failed\n", code);
    fflush(stdout);
    return code;
}

static inline int child_killed_by(int st, int sig) {
    return WIFSIGNALED(st) && WTERMSIG(st) == sig;
}

static inline int child_exited_with(int st, int code) {
    return WIFEXITED(st) && WEXITSTATUS(st) == code;
}

/*
 * Drops CAP_IPC_LOCK from the calling process (root ignores RLIMIT_MEMLOCK
 * while it holds it) and sets RLIMIT_MEMLOCK to limit bytes. For children.
 * Returns 0 on success.
 */
static inline int drop_ipc_lock_and_limit(rlim_t limit) {
    if (drop_ipc_lock() != 0)
        return -1;
    struct rlimit rl = {limit, limit};
    return setrlimit(RLIMIT_MEMLOCK, &rl);
}

#endif
