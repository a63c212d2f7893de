/*
 * Enclave views (issue 11, sections 3 and 5): locked memory follows the
 * open ENCLAVE secrets, the lock policy in force at each take applies,
 * sm_stats accounts for what the kernel counts as locked, and the fault
 * path's wipe finds a view's plaintext at every moment it exists.
 *
 * Each test runs in a forked child of a process that never used the
 * library (the lock-limit ones with CAP_IPC_LOCK dropped), so locks and
 * counters start from nothing.
 */
#include <pthread.h>

#include "coffer.h"
#include "harness.h"
#include "lockcache.h"
#include "registry.h"
#include "secret.h"
#include "views.h"

#define MiB          ((size_t)1 << 20)
#define OPEN_AT_ONCE 1000

static size_t vmlck_bytes(void) {
    return status_kb("VmLck:") * 1024;
}

/* What the library says it holds locked. */
static size_t stats_locked(void) {
    sm_stats s = stats_now();
    return (size_t)(s.bytes_locked + s.bytes_locked_cached);
}

/*
 * sm_stats matches the kernel: VmLck equals bytes_locked +
 * bytes_locked_cached (docs/design.md: the library locks nothing it does
 * not count, and nobody else in these children locks memory).
 */
static int stats_match_kernel(const char *when) {
    size_t k = vmlck_bytes(), l = stats_locked();
    if (k != l)
        printf("# %s: VmLck %zu bytes, bytes_locked + bytes_locked_cached %zu\n", when, k, l);
    return k == l;
}

/* 1 when the mapping holding p is locked (VmFlags "lo" in /proc/self/smaps). */
static int page_locked(const void *p) {
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[512];
    int in = 0, locked = -1;
    uintptr_t a = (uintptr_t)p;
    while (f != NULL && locked < 0 && fgets(line, sizeof line, f) != NULL) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
            in = a >= lo && a < hi;
        else if (in && strncmp(line, "VmFlags:", 8) == 0)
            locked = strstr(line, " lo") != NULL;
    }
    if (f != NULL)
        fclose(f);
    return locked == 1;
}

static sm_secret *enclave_secret(void) {
    sm_secret *s = NULL;
    return sm_secret_new_random(SM_KIND_ENCLAVE, 32, &s) == SM_OK ? s : NULL;
}

/* 1 when ENCLAVE secrets open in enclave views here (not under valgrind). */
static int views_exist(void) {
    sm_secret *s = enclave_secret();
    const uint8_t *d = NULL;
    size_t n = 0, before = sm__views_taken();
    int yes = s != NULL && sm_secret_acquire(s, &d, &n) == SM_OK && sm__views_taken() > before;
    if (d != NULL)
        (void)sm_secret_release(s);
    sm_secret_free(s);
    return yes;
}

/* ------------------------------------------------------------------ */
/* Locked memory in proportion to what is open                         */
/* ------------------------------------------------------------------ */

static sm_secret *open_secrets[OPEN_AT_ONCE];

static int open_all(void) {
    for (int i = 0; i < OPEN_AT_ONCE; i++) {
        const uint8_t *d = NULL;
        size_t n = 0;
        if ((open_secrets[i] = enclave_secret()) == NULL)
            return i + 1;
        if (sm_secret_acquire(open_secrets[i], &d, &n) != SM_OK || n != 32)
            return i + 1;
    }
    return 0;
}

static void close_all(void) {
    for (int i = 0; i < OPEN_AT_ONCE; i++) {
        if (open_secrets[i] != NULL)
            (void)sm_secret_release(open_secrets[i]);
        sm_secret_free(open_secrets[i]);
    }
}

static int thousand_open_child(void *arg) {
    (void)arg;
    if (drop_ipc_lock_and_limit(8 * MiB) != 0)
        return child_fail(1);
    int failed_at = open_all();
    if (failed_at != 0) {
        printf("# opening secret %d of %d failed (VmLck %zu kB)\n", failed_at, OPEN_AT_ONCE,
               status_kb("VmLck:"));
        return child_fail(2);
    }
    if (sm__views_taken() < OPEN_AT_ONCE)
        return child_fail(3); /* every one of them open in a view */
    if (!stats_match_kernel("1000 open"))
        return child_fail(4);
    close_all();
    if (!stats_match_kernel("all closed"))
        return child_fail(5);
    sm_buffer *big = NULL; /* the limit was given back */
    sm_status st = sm_buffer_new(4 * MiB, &big);
    if (st != SM_OK) {
        printf("# 4 MiB buffer: %s (VmLck %zu kB)\n", sm_status_name(st), status_kb("VmLck:"));
        return child_fail(6);
    }
    int ok = stats_match_kernel("4 MiB buffer");
    sm_buffer_free(big);
    return ok ? 0 : child_fail(7);
}

static void test_thousand_enclave_secrets_open_under_8_mib(void) {
    REQUIRE_REAL_MLOCK();
    if (!views_exist())
        SKIP("no enclave views here (mremap cannot alias pages, e.g. valgrind)");
    CHECK(child_exited_with(run_in_child(thousand_open_child, NULL), 0));
}

/* Given back, a view stays locked only in the bounded cache; a drain unlocks it. */
static int cache_child(void *arg) {
    (void)arg;
    size_t page = sm_page_size();
    if (open_all() != 0)
        return child_fail(1);
    sm_stats opened = stats_now();
    close_all();
    sm_stats closed = stats_now();
    if (opened.bytes_locked - closed.bytes_locked != (uint64_t)OPEN_AT_ONCE * page)
        return child_fail(2); /* every open view's page was counted, and given back */
    if (closed.bytes_locked_cached - opened.bytes_locked_cached != 32 * page)
        return child_fail(3); /* VIEW_CACHE_MAX pages stay locked, no more */
    if (!stats_match_kernel("closed"))
        return child_fail(4);
    (void)sm__lock_caches_drain();
    if (stats_now().bytes_locked_cached != 0 || !stats_match_kernel("drained"))
        return child_fail(5);
    return 0;
}

static void test_view_cache_is_bounded_and_drains(void) {
    REQUIRE_REAL_MLOCK(); /* it compares with what the kernel counts as locked */
    if (!views_exist())
        SKIP("no enclave views here (mremap cannot alias pages, e.g. valgrind)");
    CHECK(child_exited_with(run_in_child(cache_child, NULL), 0));
}

/* ------------------------------------------------------------------ */
/* The policy in force at each take                                    */
/* ------------------------------------------------------------------ */

static sm_status set_policy(sm_lock_policy p) {
    sm_config cfg;
    sm_config_default(&cfg);
    cfg.lock_policy = p;
    return sm_init(&cfg);
}

/* Opens s, reports whether the open page is locked, releases. -1 on error. */
static int opened_locked(sm_secret *s) {
    const uint8_t *d = NULL;
    size_t n = 0;
    if (sm_secret_acquire(s, &d, &n) != SM_OK)
        return -1;
    int locked = page_locked(d);
    (void)sm_secret_release(s);
    return locked;
}

static int policy_change_child(void *arg) {
    (void)arg;
    if (set_policy(SM_LOCK_OFF) != SM_OK)
        return child_fail(1);
    sm_secret *s = enclave_secret();
    if (s == NULL || opened_locked(s) != 0 || sm__coffer_locked())
        return child_fail(2); /* nothing locked under SM_LOCK_OFF */
    if (set_policy(SM_LOCK_STRICT) != SM_OK)
        return child_fail(3);
    if (opened_locked(s) != 1)
        return child_fail(4); /* the view taken now is locked */
    if (!sm__coffer_locked())
        return child_fail(5); /* and so are the coffer's key parts and scratch */
    if (stats_now().lock_failures != 0 || !stats_match_kernel("after the change"))
        return child_fail(6);
    sm_secret_free(s);
    return 0;
}

static void test_policy_change_applies_to_later_takes(void) {
    REQUIRE_REAL_MLOCK(); /* it compares with what the kernel counts as locked */
    if (!views_exist())
        SKIP("no enclave views here (mremap cannot alias pages, e.g. valgrind)");
    CHECK(child_exited_with(run_in_child(policy_change_child, NULL), 0));
}

/* One failed lock under SM_LOCK_BEST_EFFORT costs that take only. */
static int best_effort_child(void *arg) {
    (void)arg;
    if (set_policy(SM_LOCK_BEST_EFFORT) != SM_OK || drop_ipc_lock_and_limit(8 * MiB) != 0)
        return child_fail(1);
    sm_secret *s = enclave_secret();
    if (s == NULL || opened_locked(s) != 1)
        return child_fail(2);
    (void)sm__lock_caches_drain();
    struct rlimit none = {vmlck_bytes(), 8 * MiB}; /* no room for one more page */
    if (setrlimit(RLIMIT_MEMLOCK, &none) != 0)
        return child_fail(3);
    uint64_t failures = stats_now().lock_failures;
    if (opened_locked(s) != 0 || stats_now().lock_failures != failures + 1)
        return child_fail(4); /* opened unlocked, and counted */
    struct rlimit room = {8 * MiB, 8 * MiB};
    if (setrlimit(RLIMIT_MEMLOCK, &room) != 0)
        return child_fail(5);
    if (opened_locked(s) != 1)
        return child_fail(6); /* the next take locks again */
    sm_secret_free(s);
    return stats_match_kernel("best effort") ? 0 : child_fail(7);
}

static void test_best_effort_failure_is_not_sticky(void) {
    REQUIRE_REAL_MLOCK();
    if (!views_exist())
        SKIP("no enclave views here (mremap cannot alias pages, e.g. valgrind)");
    CHECK(child_exited_with(run_in_child(best_effort_child, NULL), 0));
}

/* ------------------------------------------------------------------ */
/* The fault path's wipe at every moment a view holds plaintext        */
/* ------------------------------------------------------------------ */

static sm_view_event wipe_event;  /* the one moment this access wipes at */
static int zero_at[2] = {-1, -1}; /* per sm_view_event: the view was zero after the wipe */

/* Runs the fault path's lock-free wipe right at the event, then looks at the page. */
static void wipe_now(sm_view_event event, const uint8_t *page, size_t len) {
    if (event != wipe_event)
        return;
    sm__registry_wipe_all();
    zero_at[event] = all_zero(page, len);
}

/* One access of s (a fresh decryption) that wipes at event. */
static int access_wiping_at(sm_secret *s, sm_view_event event) {
    const uint8_t *d = NULL;
    size_t n = 0;
    wipe_event = event;
    if (sm_secret_acquire(s, &d, &n) != SM_OK)
        return -1;
    (void)sm_secret_release(s);
    return zero_at[event];
}

/* Each secret is made right before its access: a wipe also destroys the enclave key. */
static int wipe_points_child(void *arg) {
    (void)arg;
    sm__secret_set_view_observer(wipe_now);
    sm_secret *s = enclave_secret();
    if (s == NULL || access_wiping_at(s, SM_VIEW_DECRYPTED) != 1)
        return child_fail(1); /* decrypted into a view the registry did not know */
    sm_secret *t = enclave_secret();
    if (t == NULL || access_wiping_at(t, SM_VIEW_UNREGISTERED) != 1)
        return child_fail(2); /* left the registry before it was wiped */
    sm__secret_set_view_observer(NULL);
    sm_secret_free(s);
    sm_secret_free(t);
    return 0;
}

static void test_fault_wipe_finds_the_view_when_decrypted_and_when_closed(void) {
    if (!views_exist())
        SKIP("no enclave views here (mremap cannot alias pages, e.g. valgrind)");
    CHECK(child_exited_with(run_in_child(wipe_points_child, NULL), 0));
}

int main(void) {
    RUN(test_thousand_enclave_secrets_open_under_8_mib);
    RUN(test_view_cache_is_bounded_and_drains);
    RUN(test_policy_change_applies_to_later_takes);
    RUN(test_best_effort_failure_is_not_sticky);
    RUN(test_fault_wipe_finds_the_view_when_decrypted_and_when_closed);
    return harness_done();
}
