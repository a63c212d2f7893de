/* Guarded buffers: layout, faults, canary, wiping, errors, stats, purge, fork. */
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "harness.h"
#include "pages.h"
#include "registry.h"

static void test_new_is_zeroed_and_writable(void) {
    size_t sizes[] = {
        1,      31, 32, sm_page_size() - 1, sm_page_size(), sm_page_size() + 1, 3 * sm_page_size(),
        1 << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        sm_buffer *b = NULL;
        CHECK_STATUS(sm_buffer_new(sizes[i], &b), SM_OK);
        REQUIRE(b != NULL);
        CHECK(sm_buffer_size(b) == sizes[i]);
        CHECK(sm_buffer_is_alive(b));
        CHECK(sm_buffer_protection(b) == SM_PROT_READWRITE);
        uint8_t *d = sm_buffer_data(b);
        CHECK(all_zero(d, sizes[i]));
        memset(d, 0xC3, sizes[i]);
        /* The data ends exactly at a page boundary (the trailing guard). */
        CHECK((((uintptr_t)d + sizes[i]) & (sm_page_size() - 1)) == 0);
        CHECK_STATUS(sm_buffer_check(b), SM_OK);
        CHECK_STATUS(sm_buffer_destroy(b), SM_OK);
        sm_buffer_free(b);
    }
}

static void test_random_and_from_bytes(void) {
    sm_buffer *r = NULL;
    CHECK_STATUS(sm_buffer_new_random(64, &r), SM_OK);
    REQUIRE(r != NULL);
    CHECK(!all_zero(sm_buffer_data(r), 64));
    sm_buffer_free(r);

    uint8_t src[40];
    memset(src, 0x42, sizeof src);
    sm_buffer *b = NULL;
    CHECK_STATUS(sm_buffer_new_from_bytes(src, sizeof src, &b), SM_OK);
    REQUIRE(b != NULL);
    CHECK(all_zero(src, sizeof src)); /* src wiped on success */
    uint8_t want[40];
    memset(want, 0x42, sizeof want);
    CHECK(memcmp(sm_buffer_data(b), want, sizeof want) == 0);
    sm_buffer_free(b);
}

static void test_src_wiped_on_failure(void) {
    uint8_t src[16];
    memset(src, 0x99, sizeof src);
    CHECK_STATUS(sm_buffer_new_from_bytes(src, sizeof src, NULL), SM_ERR_INVALID);
    CHECK(all_zero(src, sizeof src));
    memset(src, 0x99, sizeof src);
    sm_buffer *b = (sm_buffer *)0x1;
    CHECK_STATUS(sm_buffer_new_from_bytes(src, 0, &b), SM_ERR_INVALID);
    CHECK(b == NULL);
    b = (sm_buffer *)0x1;
    CHECK_STATUS(sm_buffer_new_from_bytes(NULL, 16, &b), SM_ERR_INVALID);
    CHECK(b == NULL);
}

static int absurd_length_child(void *arg) {
    (void)arg;
    uint8_t src[16] = {1};
    sm_buffer *b = NULL;
    /* src cannot be SIZE_MAX bytes long: refuse without touching it. */
    if (sm_buffer_new_from_bytes(src, SIZE_MAX, &b) != SM_ERR_INVALID || b != NULL)
        return 1;
    return src[0] == 1 ? 0 : 2;
}

static void test_absurd_length_is_refused_not_wiped(void) {
    int st = run_in_child(absurd_length_child, NULL);
    CHECK(child_exited_with(st, 0));
}

static int fail_alloc_with_tiny_memlock(void *arg) {
    (void)arg;
    if (drop_ipc_lock_and_limit(0) != 0)
        return 2;
    uint8_t src[32];
    memset(src, 0x77, sizeof src);
    sm_buffer *b = NULL;
    sm_status st = sm_buffer_new_from_bytes(src, sizeof src, &b);
    return st == SM_ERR_MLOCK && b == NULL && all_zero(src, sizeof src) ? 0 : 1;
}

static void test_src_wiped_when_lock_fails(void) {
    REQUIRE_REAL_MLOCK();
    CHECK(child_exited_with(run_in_child(fail_alloc_with_tiny_memlock, NULL), 0));
}

static void test_invalid_arguments(void) {
    sm_buffer *b = (sm_buffer *)0x1;
    CHECK_STATUS(sm_buffer_new(0, &b), SM_ERR_INVALID);
    CHECK(b == NULL);
    CHECK_STATUS(sm_buffer_new(SIZE_MAX, &b), SM_ERR_INVALID);
    CHECK_STATUS(sm_buffer_new(SIZE_MAX - 10, &b), SM_ERR_INVALID);
    CHECK_STATUS(sm_buffer_new(16, NULL), SM_ERR_INVALID);
    CHECK_STATUS(sm_buffer_new_random(0, &b), SM_ERR_INVALID);
    CHECK_STATUS(sm_buffer_freeze(NULL), SM_ERR_INVALID);
    CHECK_STATUS(sm_buffer_melt(NULL), SM_ERR_INVALID);
    CHECK_STATUS(sm_buffer_noaccess(NULL), SM_ERR_INVALID);
    CHECK_STATUS(sm_buffer_check(NULL), SM_ERR_INVALID);
    CHECK_STATUS(sm_buffer_destroy(NULL), SM_ERR_INVALID);
    CHECK(sm_buffer_data(NULL) == NULL);
    CHECK(sm_buffer_size(NULL) == 0);
    CHECK(!sm_buffer_is_alive(NULL));
    sm_buffer_free(NULL);
}

static void test_use_after_destroy(void) {
    sm_buffer *b = NULL;
    REQUIRE(sm_buffer_new(32, &b) == SM_OK);
    CHECK_STATUS(sm_buffer_destroy(b), SM_OK);
    CHECK_STATUS(sm_buffer_destroy(b), SM_OK); /* idempotent */
    CHECK(!sm_buffer_is_alive(b));
    CHECK(sm_buffer_data(b) == NULL);
    CHECK(sm_buffer_size(b) == 0);
    CHECK_STATUS(sm_buffer_freeze(b), SM_ERR_CLOSED);
    CHECK_STATUS(sm_buffer_melt(b), SM_ERR_CLOSED);
    CHECK_STATUS(sm_buffer_noaccess(b), SM_ERR_CLOSED);
    CHECK_STATUS(sm_buffer_check(b), SM_ERR_CLOSED);
    CHECK(sm_buffer_protection(b) == SM_PROT_NONE);
    sm_buffer_free(b);
}

static int write_one_past_end(void *arg) {
    sm_buffer *b = arg;
    uint8_t *d = sm_buffer_data(b);
    d[sm_buffer_size(b)] = 1;
    return 0;
}

static void test_overflow_faults_at_once(void) {
    size_t sizes[] = {1, 32, sm_page_size() - 16, sm_page_size(), sm_page_size() + 1};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        sm_buffer *b = NULL;
        REQUIRE(sm_buffer_new(sizes[i], &b) == SM_OK);
        CHECK(child_killed_by(run_in_child(write_one_past_end, b), SIGSEGV));
        sm_buffer_free(b);
    }
}

static void test_underflow_caught_by_canary(void) {
    size_t sizes[] = {32, sm_page_size(), 2 * sm_page_size()};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        sm_buffer *b = NULL;
        REQUIRE(sm_buffer_new(sizes[i], &b) == SM_OK);
        CHECK_STATUS(sm_buffer_check(b), SM_OK);
        sm_buffer_data(b)[-1] ^= 0xFF; /* one byte before the data */
        CHECK_STATUS(sm_buffer_check(b), SM_ERR_CANARY);
        REQUIRE(sm_buffer_noaccess(b) == SM_OK);
        CHECK_STATUS(sm_buffer_check(b), SM_ERR_CANARY); /* also while no-access */
        CHECK(sm_buffer_protection(b) == SM_PROT_NONE);
        CHECK_STATUS(sm_buffer_destroy(b), SM_ERR_CANARY);
        CHECK(!sm_buffer_is_alive(b)); /* still wiped and released */
        sm_buffer_free(b);
    }
}

/* Every byte between the leading guard page and the data is canary, not only the last 16. */
static void test_canary_covers_everything_before_the_data(void) {
    size_t ps = sm_page_size();
    size_t sizes[] = {32, ps - 100, ps + 1};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t prefix = (ps - (sizes[i] + 16) % ps) % ps + 16; /* data is page-end aligned */
        size_t offsets[] = {17, 100, prefix}; /* past the last 16, and the first inner byte */
        for (size_t k = 0; k < sizeof offsets / sizeof offsets[0]; k++) {
            if (offsets[k] > prefix)
                continue;
            sm_buffer *b = NULL;
            REQUIRE(sm_buffer_new(sizes[i], &b) == SM_OK);
            sm_buffer_data(b)[-(ptrdiff_t)offsets[k]] ^= 0x01;
            CHECK_STATUS(sm_buffer_check(b), SM_ERR_CANARY);
            CHECK_STATUS(sm_buffer_destroy(b), SM_ERR_CANARY);
            sm_buffer_free(b);
        }
    }
}

static int compare_canary(const void *a, const void *b) {
    return memcmp(a, b, 16);
}

/* The 16 bytes in front of each buffer's data: distinct, never all zero. */
static void test_canaries_differ_between_buffers(void) {
    enum { N = 256 };
    uint8_t seen[N][16], zero[16] = {0};
    for (int i = 0; i < N; i++) {
        sm_buffer *b = NULL;
        REQUIRE(sm_buffer_new(32, &b) == SM_OK);
        memcpy(seen[i], sm_buffer_data(b) - 16, 16);
        CHECK(memcmp(seen[i], zero, 16) != 0);
        sm_buffer_free(b);
    }
    qsort(seen, N, 16, compare_canary);
    int repeats = 0;
    for (int i = 1; i < N; i++)
        repeats += memcmp(seen[i - 1], seen[i], 16) == 0;
    CHECK(repeats == 0);
}

static int read_frozen_then_write(void *arg) {
    sm_buffer *b = arg;
    volatile uint8_t x = sm_buffer_data(b)[0];
    (void)x;
    sm_buffer_data(b)[0] = 2;
    return 0;
}

static int read_noaccess_buffer(void *arg) {
    volatile uint8_t *d = sm_buffer_data(arg);
    return d[0];
}

static void test_freeze_melt_noaccess(void) {
    sm_buffer *b = NULL;
    REQUIRE(sm_buffer_new(16, &b) == SM_OK);
    sm_buffer_data(b)[0] = 1;
    CHECK_STATUS(sm_buffer_freeze(b), SM_OK);
    CHECK(sm_buffer_protection(b) == SM_PROT_READ);
    CHECK(child_killed_by(run_in_child(read_frozen_then_write, b), SIGSEGV));
    CHECK_STATUS(sm_buffer_noaccess(b), SM_OK);
    CHECK(child_killed_by(run_in_child(read_noaccess_buffer, b), SIGSEGV));
    CHECK_STATUS(sm_buffer_melt(b), SM_OK);
    sm_buffer_data(b)[0] = 3;
    CHECK(sm_buffer_data(b)[0] == 3);
    sm_buffer_free(b);
}

static _Atomic size_t observed_releases, observed_dirty;

static void observe_release(const uint8_t *inner, size_t len) {
    observed_releases++;
    if (!all_zero(inner, len))
        observed_dirty++;
}

static void test_destroy_and_purge_wipe_the_bytes(void) {
    sm__pages_set_release_observer(observe_release);
    observed_releases = observed_dirty = 0;
    sm_buffer *bufs[8];
    for (int i = 0; i < 8; i++) {
        REQUIRE(sm_buffer_new_random(100 + (size_t)i * 1000, &bufs[i]) == SM_OK);
    }
    sm_buffer_noaccess(bufs[1]);
    sm_buffer_freeze(bufs[2]);
    sm_buffer_destroy(bufs[0]);
    CHECK(observed_releases == 1);
    sm_purge();
    CHECK(observed_releases == 8);
    CHECK(observed_dirty == 0);
    for (int i = 0; i < 8; i++) {
        CHECK(!sm_buffer_is_alive(bufs[i]));
        CHECK_STATUS(sm_buffer_melt(bufs[i]), SM_ERR_CLOSED);
        sm_buffer_free(bufs[i]);
    }
    sm__pages_set_release_observer(NULL);
}

static _Atomic size_t removals_seen, removals_dirty;

static void observe_removal(const void *base, size_t len) {
    removals_seen++;
    if (!all_zero(base, len))
        removals_dirty++;
}

static void test_wiped_before_leaving_the_registry(void) {
    /* The fault path wipes what the registry lists: a buffer must not leave
     * it while its bytes are still there. */
    sm__registry_set_remove_observer(observe_removal);
    removals_seen = removals_dirty = 0;
    sm_buffer *a = NULL, *b = NULL;
    REQUIRE(sm_buffer_new_random(100, &a) == SM_OK);
    REQUIRE(sm_buffer_new_random(3 * sm_page_size(), &b) == SM_OK);
    sm_buffer_noaccess(b);
    sm_buffer_destroy(a);
    sm_purge();
    sm__registry_set_remove_observer(NULL);
    CHECK(removals_seen >= 2);
    CHECK(removals_dirty == 0);
    sm_buffer_free(a);
    sm_buffer_free(b);
}

static void test_emergency_wipe_clears_in_place(void) {
    sm_buffer *a = NULL, *b = NULL;
    REQUIRE(sm_buffer_new_random(64, &a) == SM_OK);
    REQUIRE(sm_buffer_new_random(5000, &b) == SM_OK);
    sm_buffer_noaccess(b);
    sm__registry_wipe_all();
    CHECK(all_zero(sm_buffer_data(a), 64));
    sm_buffer_melt(b); /* the wipe left it writable; melt is a no-op then */
    CHECK(all_zero(sm_buffer_data(b), 5000));
    sm_buffer_free(a);
    sm_buffer_free(b);
}

static void test_stats_count_live_memory(void) {
    sm_stats before = stats_now();
    sm_buffer *b = NULL;
    REQUIRE(sm_buffer_new(5000, &b) == SM_OK);
    sm_stats during = stats_now();
    CHECK(during.live_buffers == before.live_buffers + 1);
    CHECK(during.bytes_in_use == before.bytes_in_use + 5000);
    CHECK(during.bytes_locked >= before.bytes_locked + 5000);
    CHECK(during.peak_bytes_locked >= during.bytes_locked);
    CHECK(during.mapped_bytes > before.mapped_bytes);
    sm_buffer_free(b);
    sm_stats after = stats_now();
    CHECK(after.live_buffers == before.live_buffers);
    CHECK(after.bytes_in_use == before.bytes_in_use);
    CHECK(after.bytes_locked == before.bytes_locked);
    CHECK(after.mapped_bytes == before.mapped_bytes);

    sm_stats old;
    old.size = 8;
    CHECK_STATUS(sm_stats_get(&old), SM_ERR_INVALID);
    CHECK_STATUS(sm_stats_get(NULL), SM_ERR_INVALID);
    /* An older, smaller struct receives only the fields it covers. */
    struct {
        sm_stats s;
        uint64_t canary;
    } small;
    memset(&small, 0xEE, sizeof small);
    small.s.size = offsetof(sm_stats, live_secrets_protected);
    CHECK_STATUS(sm_stats_get(&small.s), SM_OK);
    CHECK(small.s.live_secrets_protected == 0xEEEEEEEEEEEEEEEEull);
    CHECK(small.canary == 0xEEEEEEEEEEEEEEEEull);
}

static int strict_policy_child(void *arg) {
    (void)arg;
    if (drop_ipc_lock_and_limit(64 * 1024) != 0)
        return 2;
    sm_stats before = stats_now();
    size_t before_reg = sm__registry_count();
    sm_buffer *held[64] = {0};
    int n = 0;
    sm_status st = SM_OK;
    while (n < 64 && (st = sm_buffer_new(4000, &held[n])) == SM_OK)
        n++;
    int ok = st == SM_ERR_MLOCK && n > 0 && n < 64 && sm_last_errno() == ENOMEM;
    for (int i = 0; i < n; i++)
        sm_buffer_free(held[i]);
    sm_stats after = stats_now();
    /* Nothing leaks: no buffer, mapping, lock or registry entry is left. */
    ok = ok && after.live_buffers == before.live_buffers &&
         after.mapped_bytes == before.mapped_bytes && after.bytes_locked == before.bytes_locked &&
         sm__registry_count() == before_reg;
    return ok ? 0 : 1;
}

static int best_effort_policy_child(void *arg) {
    (void)arg;
    if (drop_ipc_lock_and_limit(16 * 1024) != 0)
        return 2;
    sm_config cfg;
    sm_config_default(&cfg);
    cfg.lock_policy = SM_LOCK_BEST_EFFORT;
    if (sm_init(&cfg) != SM_OK)
        return 3;
    sm_buffer *held[16] = {0};
    int ok = 1;
    for (int i = 0; i < 16; i++)
        ok = ok && sm_buffer_new(4000, &held[i]) == SM_OK;
    sm_stats s = stats_now();
    ok = ok && s.lock_failures >= 10 && s.bytes_locked <= 16 * 1024;
    for (int i = 0; i < 16; i++)
        sm_buffer_free(held[i]);
    s = stats_now();
    return ok && s.live_buffers == 0 && s.mapped_bytes == 0 ? 0 : 1;
}

static int lock_off_policy_child(void *arg) {
    (void)arg;
    if (drop_ipc_lock_and_limit(0) != 0)
        return 2;
    sm_config cfg;
    sm_config_default(&cfg);
    cfg.lock_policy = SM_LOCK_OFF;
    if (sm_init(&cfg) != SM_OK)
        return 3;
    sm_buffer *b = NULL;
    int ok = sm_buffer_new(4000, &b) == SM_OK;
    sm_stats s = stats_now();
    ok = ok && s.lock_failures == 0 && s.bytes_locked == 0;
    sm_buffer_free(b);
    return ok ? 0 : 1;
}

static void test_lock_policies_under_memlock_limit(void) {
    REQUIRE_REAL_MLOCK();
    CHECK(child_exited_with(run_in_child(strict_policy_child, NULL), 0));
    CHECK(child_exited_with(run_in_child(best_effort_policy_child, NULL), 0));
    CHECK(child_exited_with(run_in_child(lock_off_policy_child, NULL), 0));
}

static int child_sees_zeros(void *arg) {
    sm_buffer *b = arg;
    sm_buffer_melt(b);
    return all_zero(sm_buffer_data(b), sm_buffer_size(b)) ? 0 : 1;
}

static int child_sees_copy(void *arg) {
    sm_buffer *b = arg;
    return sm_buffer_data(b)[0] == 0x11 ? 0 : 1;
}

static int fork_keep_policy_child(void *arg) {
    (void)arg;
    sm_config cfg;
    sm_config_default(&cfg);
    cfg.fork_policy = SM_FORK_KEEP;
    sm_buffer *b = NULL;
    if (sm_init(&cfg) != SM_OK || sm_buffer_new(64, &b) != SM_OK)
        return 2;
    memset(sm_buffer_data(b), 0x11, 64);
    int st = run_in_child(child_sees_copy, b);
    sm_buffer_free(b);
    return child_exited_with(st, 0) ? 0 : 1;
}

static void test_forked_child_sees_zeros(void) {
    sm_buffer *b = NULL;
    REQUIRE(sm_buffer_new(100, &b) == SM_OK);
    memset(sm_buffer_data(b), 0x11, 100);
    sm_buffer_freeze(b);
    CHECK(child_exited_with(run_in_child(child_sees_zeros, b), 0));
    CHECK(sm_buffer_data(b)[0] == 0x11); /* the parent keeps its copy */
    sm_buffer_free(b);
    /* The policy is real: with SM_FORK_KEEP the child inherits the bytes. */
    CHECK(child_exited_with(run_in_child(fork_keep_policy_child, NULL), 0));
}

static void test_registry_many_buffers(void) {
    enum { N = 5000 };
    sm_buffer **bufs = calloc(N, sizeof *bufs);
    size_t base = sm__registry_count();
    for (int i = 0; i < N; i++)
        REQUIRE(sm_buffer_new(8, &bufs[i]) == SM_OK);
    CHECK(sm__registry_count() == base + N);
    for (int i = 0; i < N; i += 2) /* remove every other one, then reuse the slots */
        sm_buffer_free(bufs[i]);
    CHECK(sm__registry_count() == base + N / 2);
    for (int i = 0; i < N; i += 2)
        REQUIRE(sm_buffer_new(8, &bufs[i]) == SM_OK);
    CHECK(sm__registry_count() == base + N);
    for (int i = 0; i < N; i++)
        sm_buffer_free(bufs[i]);
    CHECK(sm__registry_count() == base);
    free(bufs);
}

static void *churn(void *arg) {
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        sm_buffer *b = NULL;
        if (sm_buffer_new(32, &b) != SM_OK)
            continue;
        sm_buffer_freeze(b);
        sm_buffer_check(b);
        sm_buffer_free(b);
    }
    return NULL;
}

static void *purger(void *arg) {
    (void)arg;
    for (int i = 0; i < 200; i++)
        sm_purge();
    return NULL;
}

static void test_threads_create_destroy_and_purge(void) {
    size_t base = sm__registry_count();
    pthread_t t[4];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, churn, NULL);
    pthread_create(&t[3], NULL, purger, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    CHECK(sm__registry_count() == base);
    CHECK(stats_now().live_buffers == 0);
}

int main(void) {
    RUN(test_new_is_zeroed_and_writable);
    RUN(test_random_and_from_bytes);
    RUN(test_src_wiped_on_failure);
    RUN(test_src_wiped_when_lock_fails);
    RUN(test_absurd_length_is_refused_not_wiped);
    RUN(test_invalid_arguments);
    RUN(test_use_after_destroy);
    RUN(test_overflow_faults_at_once);
    RUN(test_underflow_caught_by_canary);
    RUN(test_canary_covers_everything_before_the_data);
    RUN(test_canaries_differ_between_buffers);
    RUN(test_freeze_melt_noaccess);
    RUN(test_destroy_and_purge_wipe_the_bytes);
    RUN(test_wiped_before_leaving_the_registry);
    RUN(test_emergency_wipe_clears_in_place);
    RUN(test_stats_count_live_memory);
    RUN(test_lock_policies_under_memlock_limit);
    RUN(test_forked_child_sees_zeros);
    RUN(test_registry_many_buffers);
    RUN(test_threads_create_destroy_and_purge);
    return harness_done();
}
