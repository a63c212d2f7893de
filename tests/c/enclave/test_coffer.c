/*
 * The coffer: re-keying (on demand and by the thread), threads, purge
 * races, fork, fault wipes, the re-key thread's signal mask.
 */
#include <dirent.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "aead.h"
#include "buffer.h"
#include "coffer.h"
#include "enclave.h"
#include "harness.h"
#include "registry.h"

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

static sm_status set_interval(uint32_t ms) {
    sm_config cfg;
    sm_config_default(&cfg);
    cfg.rekey_interval_ms = ms;
    return sm_init(&cfg);
}

/* 1 when e opens (through an owned buffer, safe from purge) to want[0..len). */
static int opens_to(const sm_enclave *e, const uint8_t *want, size_t len) {
    sm_buffer *b = NULL;
    if (sm__enclave_open_buffer(e, 1, &b) != SM_OK)
        return 0;
    int same = sm_buffer_size(b) == len && memcmp(sm__buffer_bytes(b), want, len) == 0;
    sm_buffer_free(b);
    return same;
}

static void test_rekey_keeps_enclaves(void) {
    REQUIRE(set_interval(0) == SM_OK);
    sm__coffer_shutdown();
    uint8_t want[64], src[64];
    randombytes_buf(want, sizeof want);
    memcpy(src, want, sizeof src);
    sm_enclave *e = NULL;
    REQUIRE(sm_enclave_new(src, sizeof src, &e) == SM_OK);
    uint64_t before = sm__coffer_rekey_count();
    for (int i = 0; i < 100; i++)
        CHECK_STATUS(sm_coffer_rekey(), SM_OK);
    CHECK(sm__coffer_rekey_count() == before + 100);
    CHECK(opens_to(e, want, sizeof want));
    /* Enclaves sealed after the re-keys open too, and so does the old one. */
    memcpy(src, want, sizeof src);
    sm_enclave *e2 = NULL;
    REQUIRE(sm_enclave_new(src, sizeof src, &e2) == SM_OK);
    CHECK_STATUS(sm_coffer_rekey(), SM_OK);
    CHECK(opens_to(e2, want, sizeof want));
    CHECK(opens_to(e, want, sizeof want));
    CHECK(!sm__coffer_rekey_thread_running()); /* interval 0: no thread */
    sm_enclave_free(e);
    sm_enclave_free(e2);
}

static void test_rekey_thread_runs_and_stops(void) {
    sm__coffer_shutdown();
    REQUIRE(set_interval(2) == SM_OK);
    sm_enclave *e = NULL;
    uint8_t want[32], src[32];
    randombytes_buf(want, sizeof want);
    memcpy(src, want, sizeof src);
    REQUIRE(sm_enclave_new(src, sizeof src, &e) == SM_OK); /* first use starts the thread */
    CHECK(sm__coffer_rekey_thread_running());
    uint64_t start = sm__coffer_rekey_count();
    for (int i = 0; i < 400 && sm__coffer_rekey_count() < start + 5; i++)
        sleep_ms(5);
    CHECK(sm__coffer_rekey_count() >= start + 5);
    CHECK(opens_to(e, want, sizeof want));

    sm__coffer_shutdown();
    CHECK(!sm__coffer_rekey_thread_running());
    uint64_t stopped = sm__coffer_rekey_count();
    sleep_ms(30);
    CHECK(sm__coffer_rekey_count() == stopped); /* nothing re-keys any more */
    sm__coffer_shutdown();                      /* idempotent */

    /* The next use starts it again; shutdown stops it again. */
    CHECK(opens_to(e, want, sizeof want));
    CHECK(sm__coffer_rekey_thread_running());
    sm__coffer_shutdown();
    CHECK(!sm__coffer_rekey_thread_running());
    REQUIRE(set_interval(0) == SM_OK);
    sm_enclave_free(e);
}

static void test_shutdown_is_prompt(void) {
    REQUIRE(set_interval(60000) == SM_OK); /* the thread sleeps a minute */
    sm_enclave *e = NULL;
    REQUIRE(sm_enclave_new_random(8, &e) == SM_OK);
    CHECK(sm__coffer_rekey_thread_running());
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sm__coffer_shutdown();
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK(secs < 1.0);
    CHECK(!sm__coffer_rekey_thread_running());
    REQUIRE(set_interval(0) == SM_OK);
    sm_enclave_free(e);
}

/* ------------------------------------------------------------------ */

#define THREADS 8
#define ROUNDS  300

typedef struct shared {
    const sm_enclave *common;
    const uint8_t *common_want;
    atomic_int failures;
    atomic_int stop;
} shared;

static void *seal_open_worker(void *arg) {
    shared *sh = arg;
    uint8_t want[97], src[97];
    for (int i = 0; i < ROUNDS; i++) {
        randombytes_buf(want, sizeof want);
        memcpy(src, want, sizeof src);
        sm_enclave *e = NULL;
        if (sm_enclave_new(src, sizeof src, &e) != SM_OK || !opens_to(e, want, sizeof want))
            atomic_fetch_add(&sh->failures, 1);
        if (!opens_to(sh->common, sh->common_want, 64))
            atomic_fetch_add(&sh->failures, 1);
        sm_enclave_free(e);
    }
    return NULL;
}

static void *rekeyer(void *arg) {
    shared *sh = arg;
    while (!atomic_load(&sh->stop))
        if (sm_coffer_rekey() != SM_OK)
            atomic_fetch_add(&sh->failures, 1);
    return NULL;
}

static void test_concurrent_seal_open(void) {
    REQUIRE(set_interval(1) == SM_OK); /* the thread re-keys all the time, too */
    uint8_t want[64], src[64];
    randombytes_buf(want, sizeof want);
    memcpy(src, want, sizeof src);
    sm_enclave *common = NULL;
    REQUIRE(sm_enclave_new(src, sizeof src, &common) == SM_OK);
    shared sh = {common, want, 0, 0};
    pthread_t t[THREADS], rk;
    REQUIRE(pthread_create(&rk, NULL, rekeyer, &sh) == 0);
    for (int i = 0; i < THREADS; i++)
        REQUIRE(pthread_create(&t[i], NULL, seal_open_worker, &sh) == 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    atomic_store(&sh.stop, 1);
    pthread_join(rk, NULL);
    CHECK(atomic_load(&sh.failures) == 0);
    CHECK(opens_to(common, want, sizeof want));
    sm__coffer_shutdown();
    REQUIRE(set_interval(0) == SM_OK);
    sm_enclave_free(common);
}

/* More threads than the coffer has key slots: some must wait for one. */
#define MANY 80

static sm_status slow_key_user(void *ctx, const uint8_t key[32]) {
    (void)key;
    atomic_fetch_add((atomic_int *)ctx, 1);
    sleep_ms(2);
    return SM_OK;
}

static void *slot_hog(void *arg) {
    for (int i = 0; i < 5; i++)
        if (sm__coffer_with_key(slow_key_user, arg) != SM_OK)
            return arg;
    return NULL;
}

static void test_slots_exhausted_wait(void) {
    atomic_int calls = 0;
    pthread_t t[MANY];
    int started = 0;
    for (; started < MANY; started++)
        if (pthread_create(&t[started], NULL, slot_hog, &calls) != 0)
            break;
    int errors = 0;
    for (int i = 0; i < started; i++) {
        void *r = NULL;
        pthread_join(t[i], &r);
        errors += r != NULL;
    }
    CHECK(started > 64);
    CHECK(errors == 0);
    CHECK(atomic_load(&calls) == started * 5);
}

static sm_status key_copy(void *ctx, const uint8_t key[32]) {
    memcpy(ctx, key, 32);
    return SM_OK;
}

static sm_status key_status(void *ctx, const uint8_t key[32]) {
    (void)key;
    return *(sm_status *)ctx;
}

static void test_with_key_contract(void) {
    uint8_t k1[32], k2[32];
    CHECK_STATUS(sm__coffer_with_key(NULL, NULL), SM_ERR_INVALID);
    CHECK_STATUS(sm__coffer_with_key(key_copy, k1), SM_OK);
    CHECK_STATUS(sm_coffer_rekey(), SM_OK);
    CHECK_STATUS(sm__coffer_with_key(key_copy, k2), SM_OK);
    CHECK(memcmp(k1, k2, 32) == 0); /* re-key: same key */
    CHECK(!all_zero(k1, 32));
    sm_status want = SM_ERR_CALLBACK;
    CHECK_STATUS(sm__coffer_with_key(key_status, &want), SM_ERR_CALLBACK); /* fn's status */
    sm__coffer_purge();
    CHECK_STATUS(sm__coffer_with_key(key_copy, k2), SM_OK);
    CHECK(memcmp(k1, k2, 32) != 0); /* purge: a new key */
    sm_wipe(k1, 32);
    sm_wipe(k2, 32);
}

/* ------------------------------------------------------------------ */

static void *purger(void *arg) {
    shared *sh = arg;
    while (!atomic_load(&sh->stop)) {
        sm__coffer_purge();
        sleep_ms(1);
    }
    return NULL;
}

/* Seal and open race with purges: every result is OK or SM_ERR_AUTH, never wrong data. */
static void *purge_race_worker(void *arg) {
    shared *sh = arg;
    uint8_t want[40], src[40];
    for (int i = 0; i < ROUNDS; i++) {
        randombytes_buf(want, sizeof want);
        memcpy(src, want, sizeof src);
        sm_enclave *e = NULL;
        if (sm_enclave_new(src, sizeof src, &e) != SM_OK) {
            atomic_fetch_add(&sh->failures, 1);
            continue;
        }
        sm_buffer *b = NULL;
        sm_status st = sm__enclave_open_buffer(e, 1, &b);
        if (st == SM_OK && memcmp(sm__buffer_bytes(b), want, sizeof want) != 0)
            atomic_fetch_add(&sh->failures, 1);
        if (st != SM_OK && st != SM_ERR_AUTH)
            atomic_fetch_add(&sh->failures, 1);
        sm_buffer_free(b);
        sm_enclave_free(e);
    }
    return NULL;
}

static void test_purge_races_seal_open(void) {
    shared sh = {NULL, NULL, 0, 0};
    pthread_t t[4], p;
    REQUIRE(pthread_create(&p, NULL, purger, &sh) == 0);
    for (int i = 0; i < 4; i++)
        REQUIRE(pthread_create(&t[i], NULL, purge_race_worker, &sh) == 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    atomic_store(&sh.stop, 1);
    pthread_join(p, NULL);
    CHECK(atomic_load(&sh.failures) == 0);
}

/* ------------------------------------------------------------------ */

/*
 * After fork under SM_FORK_WIPE the child's key parts read as zeros, which
 * would make the key BLAKE2b(0^32), known to anyone. The child must get a
 * fresh key instead: old enclaves fail, new ones work, and a new enclave
 * must not open under that known key.
 */
static sm_enclave *fork_old;

static sm_status known_key_opens(const sm_enclave *e) {
    uint8_t zeros[32] = {0}, key[32], out[64];
    crypto_generichash(key, 32, zeros, 32, NULL, 0);
    size_t n = 0;
    uint8_t *sealed = sm__enclave_sealed((sm_enclave *)e, &n);
    if (n - SM_AEAD_OVERHEAD > sizeof out)
        return SM_ERR_INVALID;
    return sm__aead_decrypt(out, sealed + SM_AEAD_NONCEBYTES, n - SM_AEAD_NONCEBYTES, NULL, 0,
                            sealed, key);
}

static int fork_child_checks(void *arg) {
    (void)arg;
    sm_buffer *b = NULL;
    if (sm_enclave_open(fork_old, &b) != SM_ERR_AUTH)
        return child_fail(1);
    uint8_t src[16] = {1, 2, 3};
    sm_enclave *e = NULL;
    if (sm_enclave_new(src, sizeof src, &e) != SM_OK)
        return child_fail(2);
    if (sm_enclave_open(e, &b) != SM_OK || sm_buffer_data(b)[2] != 3)
        return child_fail(3);
    if (known_key_opens(e) != SM_ERR_AUTH)
        return child_fail(4);
    sm_buffer_free(b);
    sm_enclave_free(e);
    return 0;
}

static void test_fork_child_gets_fresh_key(void) {
    REQUIRE(set_interval(1) == SM_OK); /* a busy re-key thread across the fork */
    REQUIRE(sm_enclave_new_random(16, &fork_old) == SM_OK);
    sleep_ms(5);
    for (int i = 0; i < 5; i++) {
        int st = run_in_child(fork_child_checks, NULL);
        CHECK(child_exited_with(st, 0));
        if (!child_exited_with(st, 0))
            printf("# child status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
    }
    sm_buffer *b = NULL;
    CHECK_STATUS(sm_enclave_open(fork_old, &b), SM_OK); /* the parent is unaffected */
    sm_buffer_free(b);
    sm__coffer_shutdown();
    REQUIRE(set_interval(0) == SM_OK);
    sm_enclave_free(fork_old);
}

/*
 * A fault the process recovers from (an earlier handler that siglongjmps, a
 * runtime that recovers) runs the fault wipe, which zeroes both key halves:
 * the key would become H(0^32), known to anyone, and a re-key would keep it
 * (left' = H(0) ^ H(right')). The coffer must notice the wipe and make a
 * fresh key. Run in a child: the wipe destroys every secret in the process.
 */
static int sealed_after_wipe_is_safe(int code) {
    uint8_t want[48], src[48];
    randombytes_buf(want, sizeof want);
    memcpy(src, want, sizeof src);
    sm_enclave *e = NULL;
    if (sm_enclave_new(src, sizeof src, &e) != SM_OK)
        return child_fail(code);
    int ok = known_key_opens(e) == SM_ERR_AUTH && opens_to(e, want, sizeof want);
    sm_buffer *b = NULL;
    ok = ok && sm_enclave_open(e, &b) == SM_OK && memcmp(sm_buffer_data(b), want, 48) == 0;
    sm_buffer_free(b);
    sm_enclave_free(e);
    return ok ? 0 : child_fail(code + 1);
}

static sm_status wipe_while_in_use(void *ctx, const uint8_t key[32]) {
    (void)ctx;
    (void)key;
    sm__registry_wipe_all(); /* as if another thread faulted now */
    return SM_OK;
}

enum { WIPE_THEN_SEAL, WIPE_THEN_REKEY, WIPE_THEN_THREAD_REKEY, WIPE_DURING_USE };

/* In a child: a key exists, the fault wipe runs (as scenario says), then seals must be safe. */
static int fault_wipe_checks(void *arg) {
    int scenario = *(const int *)arg;
    if (set_interval(scenario == WIPE_THEN_THREAD_REKEY ? 1 : 0) != SM_OK)
        return child_fail(1);
    sm_enclave *old = NULL;
    if (sm_enclave_new_random(16, &old) != SM_OK) /* a key exists (and the thread runs) */
        return child_fail(2);
    switch (scenario) {
    case WIPE_THEN_SEAL:
        sm__registry_wipe_all();
        break;
    case WIPE_THEN_REKEY:
        sm__registry_wipe_all();
        if (sm_coffer_rekey() != SM_OK)
            return child_fail(3);
        break;
    case WIPE_THEN_THREAD_REKEY:
        sm__registry_wipe_all();
        sleep_ms(20); /* the thread's turn (interval 1 ms) before the next use */
        break;
    default:
        /* The key user's result is refused: the key it read may be zeros. */
        if (sm__coffer_with_key(wipe_while_in_use, NULL) != SM_ERR_AUTH)
            return child_fail(4);
        break;
    }
    int rc = sealed_after_wipe_is_safe(10);
    if (rc == 0 && (rc = sealed_after_wipe_is_safe(20)) == 0) { /* and stays so */
        sm_buffer *b = NULL;
        if (sm_enclave_open(old, &b) != SM_ERR_AUTH) /* its key is gone */
            rc = child_fail(5);
    }
    sm__coffer_shutdown();
    sm_enclave_free(old);
    return rc;
}

static void fault_wipe_scenario(int scenario) {
    int st = run_in_child(fault_wipe_checks, &scenario);
    CHECK(child_exited_with(st, 0));
    if (!child_exited_with(st, 0))
        printf("# child status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
}

static void test_fault_wipe_then_seal(void) {
    fault_wipe_scenario(WIPE_THEN_SEAL);
}

static void test_fault_wipe_then_rekey(void) {
    fault_wipe_scenario(WIPE_THEN_REKEY);
}

static void test_fault_wipe_then_thread_rekey(void) {
    fault_wipe_scenario(WIPE_THEN_THREAD_REKEY);
}

static void test_fault_wipe_during_use(void) {
    fault_wipe_scenario(WIPE_DURING_USE);
}

/* ------------------------------------------------------------------ */

/* The ids of this process's threads, sorted ascending; returns how many. */
static int thread_ids(long *ids, int max) {
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    if (d == NULL)
        return 0;
    for (struct dirent *de; (de = readdir(d)) != NULL && n < max;)
        if (de->d_name[0] != '.')
            ids[n++] = strtol(de->d_name, NULL, 10);
    closedir(d);
    return n;
}

static int contains(const long *ids, int n, long id) {
    for (int i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

/* The blocked-signal mask of thread tid (bit n-1: signal n), or ~0 if unknown. */
static unsigned long long sigblk_of(long tid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/self/task/%ld/status", tid);
    FILE *f = fopen(path, "r");
    unsigned long long mask = ~0ULL;
    if (f == NULL)
        return mask;
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "SigBlk: %llx", &mask) == 1)
            break;
    fclose(f);
    return mask;
}

static int blocked(unsigned long long mask, int sig) {
    return (int)((mask >> (sig - 1)) & 1u);
}

static int same_mask(const sigset_t *a, const sigset_t *b) {
    for (int sig = 1; sig < SIGRTMIN; sig++)
        if (sigismember(a, sig) != sigismember(b, sig))
            return 0;
    return 1;
}

/*
 * Starting the re-key thread leaves the caller's mask alone, and the
 * thread blocks the asynchronous signals only: a fault in it must reach
 * the library's handler (and its wipe), not kill the process silently.
 */
static void test_rekey_thread_signal_mask(void) {
    sm__coffer_shutdown();
    REQUIRE(set_interval(60000) == SM_OK);
    sigset_t mine, old, now;
    sigemptyset(&mine);
    sigaddset(&mine, SIGUSR2);
    REQUIRE(pthread_sigmask(SIG_SETMASK, &mine, &old) == 0);
    long ids[64], later[64];
    int n = thread_ids(ids, 64);
    sm_enclave *e = NULL;
    CHECK_STATUS(sm_enclave_new_random(8, &e), SM_OK); /* first use: starts the thread */
    pthread_sigmask(SIG_SETMASK, NULL, &now);
    CHECK(same_mask(&now, &mine));
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    REQUIRE(sm__coffer_rekey_thread_running());

    int m = thread_ids(later, 64);
    long tid = 0;
    for (int i = 0; i < m; i++)
        if (!contains(ids, n, later[i]))
            tid = later[i];
    CHECK(tid != 0);
    if (tid != 0) {
        /*
         * A new thread starts with every signal blocked until its start
         * routine installs its own mask (glibc, sanitizers): give it a moment.
         */
        unsigned long long mask = sigblk_of(tid);
        for (int i = 0; i < 100 && blocked(mask, SIGSEGV); i++) {
            sleep_ms(5);
            mask = sigblk_of(tid);
        }
        static const int async[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT, SIGUSR1,
                                    SIGUSR2, SIGALRM, SIGCHLD, SIGPIPE};
        static const int sync[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS};
        for (size_t k = 0; k < sizeof async / sizeof async[0]; k++)
            CHECK(blocked(mask, async[k]));
        for (size_t k = 0; k < sizeof sync / sizeof sync[0]; k++)
            if (blocked(mask, sync[k])) {
                printf("# re-key thread blocks %s\n", strsignal(sync[k]));
                CHECK(!blocked(mask, sync[k]));
            }
    }
    sm__coffer_shutdown();
    REQUIRE(set_interval(0) == SM_OK);
    sm_enclave_free(e);
}

/* The test is meaningful: the known-key check does open a blob sealed under H(0). */
static void test_known_key_check_can_fail(void) {
    uint8_t zeros[32] = {0}, key[32], msg[16] = {9};
    crypto_generichash(key, 32, zeros, 32, NULL, 0);
    sm_enclave *e = NULL;
    REQUIRE(sm_enclave_new_random(16, &e) == SM_OK);
    size_t n = 0;
    uint8_t *sealed = sm__enclave_sealed(e, &n);
    sm__aead_encrypt(sealed + 24, msg, sizeof msg, NULL, 0, sealed, key);
    CHECK_STATUS(known_key_opens(e), SM_OK);
    sm_enclave_free(e);
}

int main(void) {
    RUN(test_rekey_keeps_enclaves);
    RUN(test_with_key_contract);
    RUN(test_rekey_thread_runs_and_stops);
    RUN(test_shutdown_is_prompt);
    RUN(test_concurrent_seal_open);
    RUN(test_slots_exhausted_wait);
    RUN(test_purge_races_seal_open);
    RUN(test_known_key_check_can_fail);
    RUN(test_fork_child_gets_fresh_key);
    RUN(test_fault_wipe_then_seal);
    RUN(test_fault_wipe_then_rekey);
    RUN(test_fault_wipe_then_thread_rekey);
    RUN(test_fault_wipe_during_use);
    RUN(test_rekey_thread_signal_mask);
    return harness_done();
}
