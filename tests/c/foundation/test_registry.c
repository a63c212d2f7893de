/*
 * The registry under hostile timing: the lock-free wipe must never fault,
 * even when a region's protection changes under it, and fork() must not
 * hand a child the registry lock held by another thread.
 *
 * This program interposes mprotect() (the library is linked in statically,
 * so its calls bind here) to simulate another thread re-protecting a page
 * right after the wipe made it writable.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "harness.h"
#include "registry.h"

static atomic_int flips_left; /* RW grants to undo at once, as a racing release would */

int mprotect(void *addr, size_t len, int prot) {
    long r = syscall(SYS_mprotect, addr, len, prot);
    if (r == 0 && prot == (PROT_READ | PROT_WRITE) && atomic_load(&flips_left) > 0) {
        atomic_fetch_sub(&flips_left, 1);
        syscall(SYS_mprotect, addr, len, PROT_NONE);
    }
    return r == 0 ? 0 : -1;
}

static int wipe_while_protection_flips(void *arg) {
    (void)arg;
    sm_buffer *b = NULL;
    if (sm_buffer_new_random(3 * 4096, &b) != SM_OK || sm_buffer_noaccess(b) != SM_OK)
        return 2;
    atomic_store(&flips_left, 2);
    sm__registry_wipe_all(); /* before the fix: SIGSEGV inside the wipe */
    atomic_store(&flips_left, 0);
    if (sm_buffer_melt(b) != SM_OK)
        return 3;
    return all_zero(sm_buffer_data(b), sm_buffer_size(b)) ? 0 : 4;
}

static void test_wipe_survives_protection_flips(void) {
    int st = run_in_child(wipe_while_protection_flips, NULL);
    if (WIFSIGNALED(st))
        printf("# child died by signal %d\n", WTERMSIG(st));
    CHECK(child_exited_with(st, 0));
}

static int wipe_skips_unmapped_region(void *arg) {
    (void)arg;
    size_t slot;
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED || sm__registry_add(p, NULL, &slot) != SM_OK)
        return 2;
    sm__registry_set_region(slot, p, 4096);
    munmap(p, 4096); /* as if released between the wipe's look and its write */
    sm__registry_wipe_all();
    sm__registry_remove(slot);
    return 0;
}

static void test_wipe_skips_unmapped_region(void) {
    CHECK(child_exited_with(run_in_child(wipe_skips_unmapped_region, NULL), 0));
}

static void test_wipe_generation_counts_wipes(void) {
    unsigned long before = sm__registry_wipe_generation();
    CHECK(before % 2 == 0); /* no wipe running */
    sm__registry_wipe_all();
    CHECK(sm__registry_wipe_generation() == before + 2);
}

static atomic_int stop_purging;
static atomic_int purge_passes;

static void *keep_purging(void *arg) {
    (void)arg;
    while (!atomic_load(&stop_purging)) {
        sm_purge();
        atomic_fetch_add(&purge_passes, 1);
    }
    return NULL;
}

/*
 * Waits until the purging thread has run: a new thread's start-up (in the
 * C library and in ASan's runtime) allocates, and ASan's allocator, unlike
 * glibc's, does not hold its locks across fork, so a fork at that moment
 * hangs the child inside calloc before the library is ever reached.
 */
static void wait_for_purging(void) {
    while (atomic_load(&purge_passes) == 0)
        sched_yield();
}

static int child_uses_registry(void *arg) {
    (void)arg;
    alarm(2); /* a child that inherited reg_lock held would hang here */
    sm_buffer *b = NULL;
    if (sm_buffer_new(16, &b) != SM_OK)
        return 2;
    sm_buffer_free(b);
    sm_enclave *e = NULL;
    if (sm_enclave_new_random(16, &e) != SM_OK)
        return 3;
    sm_enclave_free(e);
    return 0;
}

static void test_fork_during_purge(void) {
    /* A registry that has seen many objects makes each purge pass long. */
    enum { N = 5000 };
    sm_buffer **bs = calloc(N, sizeof *bs);
    for (int i = 0; i < N; i++)
        REQUIRE(sm_buffer_new(8, &bs[i]) == SM_OK);
    for (int i = 0; i < N; i++)
        sm_buffer_free(bs[i]);
    free(bs);
    pthread_t t;
    atomic_store(&stop_purging, 0);
    atomic_store(&purge_passes, 0);
    REQUIRE(pthread_create(&t, NULL, keep_purging, NULL) == 0);
    wait_for_purging();
    int forks = 0, st = 0;
    while (forks < 100 && child_exited_with(st = run_in_child(child_uses_registry, NULL), 0))
        forks++;
    atomic_store(&stop_purging, 1);
    pthread_join(t, NULL);
    if (forks < 100)
        printf("# child %d %s\n", forks, child_killed_by(st, SIGALRM) ? "hung" : "failed");
    CHECK(forks == 100);
}

int main(void) {
    RUN(test_wipe_survives_protection_flips);
    RUN(test_wipe_skips_unmapped_region);
    RUN(test_wipe_generation_counts_wipes);
    RUN(test_fork_during_purge);
    return harness_done();
}
