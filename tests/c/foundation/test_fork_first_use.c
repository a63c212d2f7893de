/*
 * fork() while another thread holds one of the library's locks, in a
 * process where that lock's first user was not the call that installs the
 * fork handlers. Each module installs its handlers lazily, so every entry
 * point that takes a module lock must install them first; one that did not
 * (sm_purge reaching the coffer's lock) let a child inherit the lock held
 * and hang on its first enclave call.
 *
 * Each test runs in a child of this untouched process (main() never calls
 * the library), so the module under test starts with no handlers installed.
 * In it a thread keeps calling one entry point while the test forks
 * grandchildren that need the same lock.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "harness.h"
#include "pool.h"
#include "registry.h"
#include "signal_internal.h"
#include "views.h"

enum { FORKS = 300 };

typedef struct {
    void (*hammer)(void); /* the entry point a thread keeps calling */
    int (*use)(void);     /* what a grandchild does: 0 when it worked */
} scenario;

static atomic_int stop_hammer;
static atomic_int hammer_passes;

static void *hammer_main(void *arg) {
    const scenario *s = arg;
    while (!atomic_load(&stop_hammer)) {
        s->hammer();
        atomic_fetch_add(&hammer_passes, 1);
    }
    return NULL;
}

static int grandchild(void *arg) {
    const scenario *s = arg;
    alarm(2); /* a grandchild that inherited the lock held would hang here */
    return s->use();
}

/*
 * Waits for the thread's first pass before forking: its start-up allocates,
 * and under ASan (whose allocator does not hold its locks across fork) a
 * fork at that moment hangs the grandchild inside calloc instead.
 */
static int fork_while_hammering(void *arg) {
    pthread_t t;
    if (pthread_create(&t, NULL, hammer_main, arg) != 0)
        return child_fail(1);
    while (atomic_load(&hammer_passes) == 0)
        sched_yield();
    int forks = 0, st = 0;
    while (forks < FORKS && child_exited_with(st = run_in_child(grandchild, arg), 0))
        forks++;
    atomic_store(&stop_hammer, 1);
    pthread_join(t, NULL);
    if (forks == FORKS)
        return 0;
    printf("# grandchild %d %s\n", forks, child_killed_by(st, SIGALRM) ? "hung" : "failed");
    return child_fail(2);
}

static void run_scenario(const scenario *s) {
    CHECK(child_exited_with(run_in_child(fork_while_hammering, (void *)s), 0));
}

/* --- coffer: sm_purge is the first user of its lock ---------------------- */

static void purge(void) {
    sm_purge();
}

static int new_enclave(void) {
    sm_enclave *e = NULL;
    if (sm_enclave_new_random(16, &e) != SM_OK)
        return 1;
    sm_enclave_free(e);
    return 0;
}

static void test_fork_while_first_use_is_purge(void) {
    static const scenario s = {purge, new_enclave};
    run_scenario(&s);
}

/* --- signals: sm_signal_release before any catch ------------------------- */

static void release_signals(void) {
    (void)sm_signal_release();
}

static int catch_and_release(void) {
    if (sm_signal_catch_interrupt() != SM_OK)
        return 1;
    return sm_signal_release() == SM_OK ? 0 : 2;
}

static void test_fork_while_first_use_is_signal_release(void) {
    static const scenario s = {release_signals, catch_and_release};
    run_scenario(&s);
}

/* --- pool and registry: read before the first buffer --------------------- */

static void drain_pool_cache(void) {
    (void)sm__pool_cache_drain();
}

static void count_registry(void) {
    (void)sm__registry_count();
}

static void read_pool_info(void) {
    sm_pool_info info;
    sm__pool_info(&info);
}

static int new_buffer(void) {
    sm_buffer *b = NULL;
    if (sm_buffer_new(16, &b) != SM_OK)
        return 1;
    sm_buffer_free(b);
    return 0;
}

static void test_fork_while_first_use_is_pool_drain(void) {
    static const scenario s = {drain_pool_cache, new_buffer};
    run_scenario(&s);
}

static void test_fork_while_first_use_is_pool_info(void) {
    static const scenario s = {read_pool_info, new_buffer};
    run_scenario(&s);
}

static void test_fork_while_first_use_is_registry_count(void) {
    static const scenario s = {count_registry, new_buffer};
    run_scenario(&s);
}

/* --- initialisation: a thread inside sm_init (and sodium_init) ---------- */
static void init_again(void) {
    sm_config cfg;
    sm_config_default(&cfg);
    (void)sm_init(&cfg);
}

static int init_in_child(void) {
    return sm_init(NULL) == SM_OK && new_buffer() == 0 ? 0 : 1;
}

static void test_fork_while_another_thread_initialises(void) {
    static const scenario s = {init_again, init_in_child};
    run_scenario(&s);
}

/* --- enclave views: the view cache drained before the first view --------- */
static void drain_views(void) {
    (void)sm__views_cache_drain();
}

static int open_enclave_secret(void) {
    sm_secret *s = NULL;
    size_t n = 0;
    uint8_t b[8];
    if (sm_secret_new_random(SM_KIND_ENCLAVE, sizeof b, &s) != SM_OK)
        return 1;
    int rc = sm_secret_read(s, 0, b, sizeof b, &n) == SM_OK ? 0 : 2;
    sm_secret_free(s);
    return rc;
}

static void test_fork_while_first_use_is_views_drain(void) {
    static const scenario s = {drain_views, open_enclave_secret};
    run_scenario(&s);
}

int main(void) {
    RUN(test_fork_while_another_thread_initialises);
    RUN(test_fork_while_first_use_is_views_drain);
    RUN(test_fork_while_first_use_is_purge);
    RUN(test_fork_while_first_use_is_signal_release);
    RUN(test_fork_while_first_use_is_pool_drain);
    RUN(test_fork_while_first_use_is_pool_info);
    RUN(test_fork_while_first_use_is_registry_count);
    return harness_done();
}
