/*
 * The page pool and the enclave views: guards around pooled slots, wiping
 * on reuse, lock policies under RLIMIT_MEMLOCK, bounded mapping count,
 * ENCLAVE secrets under a small memory lock limit, threads.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "harness.h"
#include "pages.h"
#include "pool.h"
#include "registry.h"
#include "views.h"

static sm_stats counters(void) {
    sm_stats s;
    memset(&s, 0, sizeof s);
    s.size = sizeof s;
    sm_stats_get(&s);
    return s;
}

static size_t pool_used(void) {
    sm_pool_info info;
    sm__pool_info(&info);
    return info.slots_used;
}

static size_t vm_locked_kb(void) {
    return status_kb("VmLck:");
}

/* Sizes (in bytes of inner pages asked for) that land in different pool classes. */
static size_t pooled_sizes[] = {1, 32, 4000, 4096, 5000, 3 * 4096, 64 * 1024 + 16, 1 << 20};
#define POOLED_COUNT (sizeof pooled_sizes / sizeof pooled_sizes[0])

/* ------------------------------------------------------------------ */
/* Guards                                                              */
/* ------------------------------------------------------------------ */

static int write_after(void *arg) {
    sm_region *r = arg;
    r->inner[r->inner_len] = 1;
    return 0;
}

static int write_before(void *arg) {
    sm_region *r = arg;
    r->inner[-1] = 1;
    return 0;
}

static void test_guards_around_pooled_slots(void) {
    for (size_t i = 0; i < POOLED_COUNT; i++) {
        /* Three neighbours: the middle one's guards are shared with live slots. */
        sm_region r[3];
        for (int k = 0; k < 3; k++)
            REQUIRE(sm__pages_acquire(pooled_sizes[i], &r[k]) == SM_OK);
        CHECK(r[1].pool != NULL); /* these sizes are pooled */
        memset(r[1].inner, 0x77, r[1].inner_len);
        CHECK(child_killed_by(run_in_child(write_after, &r[1]), SIGSEGV));
        CHECK(child_killed_by(run_in_child(write_before, &r[1]), SIGSEGV));
        for (int k = 0; k < 3; k++)
            sm__pages_release(&r[k]);
    }
}

static int buffer_write_past_end(void *arg) {
    sm_buffer *b = arg;
    sm_buffer_data(b)[sm_buffer_size(b)] = 1;
    return 0;
}

static void test_buffer_overflow_faults_between_live_neighbours(void) {
    enum { N = 40 };
    sm_buffer *b[N];
    for (int i = 0; i < N; i++)
        REQUIRE(sm_buffer_new(32, &b[i]) == SM_OK);
    for (int i = 0; i < N; i += 13)
        CHECK(child_killed_by(run_in_child(buffer_write_past_end, b[i]), SIGSEGV));
    for (int i = 0; i < N; i++)
        sm_buffer_free(b[i]);
}

static void test_large_regions_get_their_own_mapping(void) {
    size_t before = pool_used();
    sm_region r;
    REQUIRE(sm__pages_acquire((size_t)(SM_POOL_MAX_PAGES + 1) * sm_page_size(), &r) == SM_OK);
    CHECK(r.pool == NULL);
    CHECK(pool_used() == before);
    CHECK(child_killed_by(run_in_child(write_after, &r), SIGSEGV));
    CHECK(child_killed_by(run_in_child(write_before, &r), SIGSEGV));
    sm__pages_release(&r);
}

/* ------------------------------------------------------------------ */
/* Wiping                                                              */
/* ------------------------------------------------------------------ */

static atomic_size_t released, released_dirty;

static void observe(const uint8_t *inner, size_t len) {
    released++;
    if (!all_zero(inner, len))
        released_dirty++;
}

static void test_reused_pages_are_wiped(void) {
    enum { N = 300 }; /* more than the fast region: dense slots too */
    sm_region *r = calloc(N, sizeof *r);
    REQUIRE(r != NULL);
    for (size_t s = 0; s < POOLED_COUNT; s += 3) {
        for (int i = 0; i < N; i++) {
            REQUIRE(sm__pages_acquire(pooled_sizes[s], &r[i]) == SM_OK);
            memset(r[i].inner, 0xA5, r[i].inner_len);
        }
        sm__pages_set_release_observer(observe);
        released = released_dirty = 0;
        for (int i = 0; i < N; i++)
            sm__pages_release(&r[i]);
        sm__pages_set_release_observer(NULL);
        CHECK(released == N && released_dirty == 0);
        for (int i = 0; i < N; i++) {
            REQUIRE(sm__pages_acquire(pooled_sizes[s], &r[i]) == SM_OK);
            CHECK(all_zero(r[i].inner, r[i].inner_len));
        }
        for (int i = 0; i < N; i++)
            sm__pages_release(&r[i]);
    }
    free(r);
}

static void test_empty_dense_regions_give_pages_back(void) {
    enum { N = 1200 }; /* the fast region, a full dense region and part of another */
    sm_pool_info before, after;
    sm__pool_info(&before);
    sm_region *r = calloc(N, sizeof *r);
    REQUIRE(r != NULL);
    for (int i = 0; i < N; i++) {
        REQUIRE(sm__pages_acquire(64, &r[i]) == SM_OK);
        memset(r[i].inner, 0x5C, r[i].inner_len);
    }
    for (int i = 0; i < N; i++)
        sm__pages_release(&r[i]);
    sm__pool_info(&after);
    CHECK(after.trims > before.trims); /* an emptied region that is not the next to use */
    CHECK(after.slots_used == before.slots_used);
    for (int i = 0; i < N; i++) { /* trimmed pages come back as zeros */
        REQUIRE(sm__pages_acquire(64, &r[i]) == SM_OK);
        CHECK(all_zero(r[i].inner, r[i].inner_len));
    }
    for (int i = 0; i < N; i++)
        sm__pages_release(&r[i]);
    free(r);
}

static int read_old_slot(void *arg) {
    return ((volatile uint8_t *)arg)[0];
}

static void test_released_slots_are_no_access(void) {
    sm_region r;
    REQUIRE(sm__pages_acquire(100, &r) == SM_OK);
    uint8_t *old = r.inner;
    sm__pages_release(&r);
    CHECK(child_killed_by(run_in_child(read_old_slot, old), SIGSEGV));
}

/* ------------------------------------------------------------------ */
/* Lock policies                                                       */
/* ------------------------------------------------------------------ */

static int strict_child(void *arg) {
    (void)arg;
    sm_stats before = counters();
    size_t used = pool_used(), lck = vm_locked_kb(), reg = sm__registry_count();
    if (drop_ipc_lock_and_limit(lck * 1024 + 64 * 1024) != 0)
        return 2;
    sm_buffer *held[64] = {0};
    int n = 0;
    sm_status st = SM_OK;
    while (n < 64 && (st = sm_buffer_new(32, &held[n])) == SM_OK)
        n++;
    int ok = st == SM_ERR_MLOCK && n > 0 && n < 64;
    sm_stats full = counters();
    ok = ok && full.bytes_locked <= before.bytes_locked + 64 * 1024;
    for (int i = 0; i < n; i++)
        sm_buffer_free(held[i]);
    sm_stats after = counters();
    ok = ok && after.bytes_locked == before.bytes_locked &&
         after.mapped_bytes == before.mapped_bytes && after.live_buffers == before.live_buffers;
    /* Freed slots may stay locked in the slot cache, and are counted there. */
    ok = ok && after.bytes_locked_cached > 0 &&
         vm_locked_kb() == lck + after.bytes_locked_cached / 1024;
    ok = ok && sm__pool_cache_drain() == after.bytes_locked_cached && vm_locked_kb() == lck;
    ok = ok && pool_used() == used && sm__registry_count() == reg;
    /* Freed slots are reused, and still need their own lock. */
    return ok && sm_buffer_new(32, &held[0]) == SM_OK && (sm_buffer_free(held[0]), 1) ? 0 : 1;
}

static int best_effort_child(void *arg) {
    (void)arg;
    sm_config cfg;
    sm_config_default(&cfg);
    cfg.lock_policy = SM_LOCK_BEST_EFFORT;
    if (sm_init(&cfg) != SM_OK || drop_ipc_lock_and_limit(vm_locked_kb() * 1024) != 0)
        return 2;
    uint64_t failures = counters().lock_failures;
    sm_buffer *b[8];
    int ok = 1;
    for (int i = 0; i < 8; i++)
        ok = ok && sm_buffer_new(64, &b[i]) == SM_OK;
    ok = ok && counters().lock_failures == failures + 8;
    for (int i = 0; ok && i < 8; i++) {
        memset(sm_buffer_data(b[i]), 0x3C, 64);
        sm_buffer_free(b[i]);
    }
    return ok ? 0 : 1;
}

static void test_lock_policy_failures_leave_nothing(void) {
    REQUIRE_REAL_MLOCK();
    CHECK(child_exited_with(run_in_child(strict_child, NULL), 0));
    CHECK(child_exited_with(run_in_child(best_effort_child, NULL), 0));
}

/* ------------------------------------------------------------------ */
/* The slot cache                                                      */
/* ------------------------------------------------------------------ */

static size_t cache_bytes_now(void) {
    sm_pool_info info;
    sm__pool_info(&info);
    return info.cache_bytes;
}

static void test_released_slot_is_cached_locked_and_reused(void) {
    REQUIRE_REAL_MLOCK();
    (void)sm__pool_cache_drain();
    sm_region r;
    REQUIRE(sm__pages_acquire(3 * 4096, &r) == SM_OK);
    REQUIRE(r.locked);
    memset(r.inner, 0xC3, r.inner_len);
    uint8_t *inner = r.inner;
    size_t locked_len = r.locked_len, lck = vm_locked_kb();
    sm_stats live = counters();
    sm__pages_release(&r);
    sm_stats cached = counters();
    CHECK(cached.bytes_locked_cached == live.bytes_locked_cached + locked_len);
    CHECK(cached.bytes_locked == live.bytes_locked - locked_len);
    CHECK(cache_bytes_now() == cached.bytes_locked_cached);
    CHECK(vm_locked_kb() == lck);                                        /* still locked */
    CHECK(child_killed_by(run_in_child(read_old_slot, inner), SIGSEGV)); /* and no access */
    REQUIRE(sm__pages_acquire(3 * 4096, &r) == SM_OK);
    CHECK(r.inner == inner && r.locked && r.locked_len == locked_len);
    CHECK(all_zero(r.inner, r.inner_len)); /* wiped on release */
    CHECK(counters().bytes_locked_cached == live.bytes_locked_cached);
    sm__pages_release(&r);
    CHECK(sm__pool_cache_drain() == locked_len);
    CHECK(vm_locked_kb() == lck - locked_len / 1024);
    CHECK(counters().bytes_locked_cached == 0 && cache_bytes_now() == 0);
}

static void test_slot_cache_is_bounded(void) {
    REQUIRE_REAL_MLOCK();
    enum { N = 6 };
    sm_region r[N];
    sm_pool_info info;
    (void)sm__pool_cache_drain();
    for (int i = 0; i < N; i++) /* one class: at most 4 kept */
        REQUIRE(sm__pages_acquire(100, &r[i]) == SM_OK);
    for (int i = 0; i < N; i++)
        sm__pages_release(&r[i]);
    sm__pool_info(&info);
    CHECK(info.slots_cached == 4);
    (void)sm__pool_cache_drain();
    for (int i = 0; i < 4; i++) /* 1 MiB slots: as many as the byte bound allows */
        REQUIRE(sm__pages_acquire((size_t)1 << 20, &r[i]) == SM_OK);
    size_t each = r[0].locked_len, fit = info.cache_cap / each < 4 ? info.cache_cap / each : 4;
    for (int i = 0; i < 4; i++)
        sm__pages_release(&r[i]);
    sm__pool_info(&info);
    printf("# cap %zu bytes: %zu of 4 slots of %zu bytes kept\n", info.cache_cap, info.slots_cached,
           each);
    CHECK(info.slots_cached == fit && info.cache_bytes == fit * each);
    CHECK(info.cache_bytes <= info.cache_cap && info.cache_cap <= ((size_t)4 << 20));
    (void)sm__pool_cache_drain();
}

static void test_cached_slot_only_for_the_same_page_count(void) {
    REQUIRE_REAL_MLOCK();
    (void)sm__pool_cache_drain();
    sm_region r, other;
    REQUIRE(sm__pages_acquire(3 * 4096, &r) == SM_OK); /* 3 pages, in the 4-page class */
    uint8_t *cached = r.inner;
    sm__pages_release(&r);
    REQUIRE(sm__pages_acquire(4 * 4096, &other) == SM_OK); /* same class, 4 pages */
    CHECK(other.inner != cached && other.inner + other.inner_len != cached + 3 * 4096);
    sm_pool_info info;
    sm__pool_info(&info);
    CHECK(info.slots_cached == 1);
    sm__pages_release(&other);
    (void)sm__pool_cache_drain();
}

/* Turning locking off gives the cache's locks back. */
static int lock_off_child(void *arg) {
    (void)arg;
    sm_buffer *b = NULL;
    if (sm_buffer_new(32, &b) != SM_OK)
        return 1;
    sm_buffer_free(b);
    if (counters().bytes_locked_cached == 0)
        return 2;
    sm_config cfg;
    sm_config_default(&cfg);
    cfg.lock_policy = SM_LOCK_OFF;
    if (sm_init(&cfg) != SM_OK || sm_buffer_new(32, &b) != SM_OK)
        return 3;
    int ok = counters().bytes_locked_cached == 0;
    sm_buffer_free(b);
    return ok && counters().bytes_locked_cached == 0 ? 0 : 4;
}

static void test_slot_cache_lock_policy_off(void) {
    REQUIRE_REAL_MLOCK();
    CHECK(child_exited_with(run_in_child(lock_off_child, NULL), 0));
}

/* The cache holds the lock a new allocation needs: it is given back. */
static int cache_gives_way_child(void *arg) {
    (void)arg;
    sm_buffer *b[4];
    for (int i = 0; i < 4; i++)
        if (sm_buffer_new(32, &b[i]) != SM_OK)
            return child_fail(2);
    for (int i = 0; i < 4; i++)
        sm_buffer_free(b[i]);
    size_t cached = counters().bytes_locked_cached;
    if (cached < 2 * 8192)
        return child_fail(3);
    /* No room beyond what is locked now, cache included. */
    if (drop_ipc_lock_and_limit(vm_locked_kb() * 1024) != 0)
        return child_fail(4);
    sm_buffer *other = NULL;                  /* a class the cache holds nothing of */
    if (sm_buffer_new(5000, &other) != SM_OK) /* 2 pages: less lock than the cache holds */
        return child_fail(5);
    int ok = counters().bytes_locked_cached == 0;
    sm_buffer_free(other);
    return ok ? 0 : child_fail(6);
}

/* Two threads whose locks fail at once: one drain must serve both. */
typedef struct racer {
    pthread_barrier_t *go;
    sm_status st;
} racer;

static void *race_alloc(void *arg) {
    racer *r = arg;
    sm_buffer *b = NULL;
    pthread_barrier_wait(r->go);
    r->st = sm_buffer_new(5000, &b); /* 2 pages: a class the cache holds nothing of */
    sm_buffer_free(b);
    return NULL;
}

/* The soft limit; the hard one stays where it was, so it can be raised again. */
static int set_memlock(rlim_t limit) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0)
        return -1;
    rl.rlim_cur = limit < rl.rlim_max ? limit : rl.rlim_max;
    return setrlimit(RLIMIT_MEMLOCK, &rl);
}

static int drain_race_child(void *arg) {
    (void)arg;
    struct rlimit hard;
    if (getrlimit(RLIMIT_MEMLOCK, &hard) != 0)
        return child_fail(1);
    if (hard.rlim_max == RLIM_INFINITY || hard.rlim_max > ((rlim_t)64 << 20))
        hard.rlim_max = (rlim_t)64 << 20; /* lowering the hard limit is always allowed */
    if (drop_ipc_lock_and_limit(hard.rlim_max) != 0)
        return child_fail(1);
    for (int round = 0; round < 300; round++) {
        sm_buffer *b[4];
        if (set_memlock(hard.rlim_max) != 0)
            return child_fail(2);
        (void)sm__pool_cache_drain();
        for (int i = 0; i < 4; i++)
            if (sm_buffer_new(32, &b[i]) != SM_OK)
                return child_fail(3);
        for (int i = 0; i < 4; i++)
            sm_buffer_free(b[i]); /* 4 one-page slots cached: room for both 2-page buffers */
        if (set_memlock(vm_locked_kb() * 1024) != 0)
            return child_fail(4);
        pthread_barrier_t go;
        pthread_barrier_init(&go, NULL, 2);
        racer r[2] = {{&go, SM_OK}, {&go, SM_OK}};
        pthread_t t[2];
        for (int i = 0; i < 2; i++)
            pthread_create(&t[i], NULL, race_alloc, &r[i]);
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        pthread_barrier_destroy(&go);
        if (r[0].st != SM_OK || r[1].st != SM_OK) {
            printf("# round %d: %s, %s\n", round, sm_status_name(r[0].st), sm_status_name(r[1].st));
            return child_fail(5);
        }
    }
    return 0;
}

/* Fills the cache with one 1 MiB slot; its bytes of lock. */
static size_t cache_one_mib(void) {
    (void)sm__pool_cache_drain();
    sm_region r;
    if (sm__pages_acquire((size_t)1 << 20, &r) != SM_OK)
        return 0;
    sm__pages_release(&r);
    return counters().bytes_locked_cached;
}

/* A large buffer (a mapping of its own) takes the lock the cache held. */
static int own_mapping_child(void *arg) {
    (void)arg;
    size_t cached = cache_one_mib();
    size_t need = (size_t)(SM_POOL_MAX_PAGES + 1) * 4096;
    if (cached == 0 || cached >= need)
        return child_fail(1);
    if (drop_ipc_lock_and_limit(vm_locked_kb() * 1024 + need - cached) != 0)
        return child_fail(2);
    sm_region r;
    if (sm__pages_acquire(need, &r) != SM_OK || r.pool != NULL || !r.locked)
        return child_fail(3);
    sm__pages_release(&r);
    return counters().bytes_locked_cached == 0 ? 0 : child_fail(4);
}

/* A new region of enclave views takes the lock the cache held. */
static int view_in_use(void *ctx, const uint8_t *data, size_t len) {
    (void)data;
    (void)len;
    return sm__views_taken() == *(size_t *)ctx + 1 ? 0 : 1;
}

static int view_region_child(void *arg) {
    (void)arg;
    uint8_t src[32] = {7};
    sm_secret *s = NULL;
    if (sm_secret_new(SM_KIND_ENCLAVE, src, sizeof src, &s) != SM_OK)
        return child_fail(1);
    if (cache_one_mib() == 0)
        return child_fail(2);
    if (drop_ipc_lock_and_limit(vm_locked_kb() * 1024) != 0)
        return child_fail(3);
    size_t views = sm__views_taken();
    sm_status st = sm_secret_with_bytes(s, view_in_use, &views);
    sm_secret_free(s);
    return st == SM_OK ? 0 : child_fail(4);
}

/* 1 when an open ENCLAVE secret reads through an enclave view here. */
static int views_work(void) {
    uint8_t src[32] = {7};
    sm_secret *s = NULL;
    if (sm_secret_new(SM_KIND_ENCLAVE, src, sizeof src, &s) != SM_OK)
        return 0;
    size_t views = sm__views_taken();
    int ok = sm_secret_with_bytes(s, view_in_use, &views) == SM_OK;
    sm_secret_free(s);
    return ok;
}

static void test_view_region_takes_the_cache_lock(void) {
    REQUIRE_REAL_MLOCK();
    if (!views_work())
        SKIP("no enclave views here (mremap cannot alias pages, e.g. valgrind)");
    CHECK(child_exited_with(run_in_child(view_region_child, NULL), 0));
}

/* A forked child inherits no locks: its cache starts empty. */
static int cache_after_fork_child(void *arg) {
    (void)arg;
    sm_pool_info info;
    sm__pool_info(&info);
    if (info.slots_cached != 0 || info.cache_bytes != 0 || counters().bytes_locked_cached != 0)
        return 1;
    size_t lck = vm_locked_kb();
    sm_buffer *b = NULL;
    if (sm_buffer_new(32, &b) != SM_OK)
        return 2;
    int ok = vm_locked_kb() > lck; /* locked its own pages, not a parent's cached slot */
    sm_buffer_free(b);
    return ok ? 0 : 3;
}

/* A slot locked by the parent is not locked in the child: never cached there. */
static int inherited_slot_child(void *arg) {
    sm_buffer *inherited = arg;
    sm_buffer_free(inherited);
    if (counters().bytes_locked_cached != 0)
        return child_fail(1);
    size_t lck = vm_locked_kb();
    sm_buffer *b = NULL;
    if (sm_buffer_new(32, &b) != SM_OK)
        return child_fail(2);
    int ok = vm_locked_kb() > lck;
    sm_buffer_free(b);
    return ok ? 0 : child_fail(3);
}

static void test_slot_cache_under_limits_and_fork(void) {
    REQUIRE_REAL_MLOCK();
    CHECK(child_exited_with(run_in_child(cache_gives_way_child, NULL), 0));
    CHECK(child_exited_with(run_in_child(drain_race_child, NULL), 0));
    CHECK(child_exited_with(run_in_child(own_mapping_child, NULL), 0));
    sm_buffer *b = NULL;
    REQUIRE(sm_buffer_new(32, &b) == SM_OK);
    sm_buffer_free(b); /* now the parent has a cached slot */
    REQUIRE(counters().bytes_locked_cached > 0);
    CHECK(child_exited_with(run_in_child(cache_after_fork_child, NULL), 0));
    REQUIRE(sm_buffer_new(32, &b) == SM_OK);
    CHECK(child_exited_with(run_in_child(inherited_slot_child, b), 0));
    sm_buffer_free(b);
}

/* ------------------------------------------------------------------ */
/* Mapping count                                                       */
/* ------------------------------------------------------------------ */

static int read_first(void *ctx, const uint8_t *data, size_t len) {
    (void)len;
    return data[0] == *(uint8_t *)ctx ? 0 : 1;
}

static int many_secrets_child(void *arg) {
    (void)arg;
    enum { N = 20000 };
    sm_secret **s = calloc(N, sizeof *s);
    size_t before = maps_lines();
    uint8_t fill = 0x42, src[32];
    int ok = s != NULL;
    for (int i = 0; ok && i < N; i++) {
        memset(src, fill, sizeof src);
        ok = sm_secret_new(SM_KIND_PROTECTED, src, sizeof src, &s[i]) == SM_OK;
    }
    size_t at_rest = maps_lines();
    for (int i = 0; ok && i < N; i++) /* each access splits a mapping and merges it back */
        ok = sm_secret_with_bytes(s[i], read_first, &fill) == SM_OK;
    size_t after_access = maps_lines();
    printf("# maps lines: %zu before, %zu with %d secrets at rest, %zu after accessing each%s\n",
           before, at_rest, N, after_access, ok ? "" : " (a secret call failed)");
    fflush(stdout);
    ok = ok && at_rest <= before + 300 && after_access <= before + 300;
    for (int i = 0; s != NULL && i < N; i++)
        sm_secret_free(s[i]);
    free(s);
    return ok ? 0 : 1;
}

/* 1 when this process may lock any amount: CAP_IPC_LOCK or an infinite limit. */
static int can_lock_without_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur == RLIM_INFINITY)
        return 1;
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    return syscall(SYS_capget, &hdr, data) == 0 &&
           (data[CAP_IPC_LOCK / 32].effective & (1u << (CAP_IPC_LOCK % 32))) != 0;
}

static void test_maps_stay_bounded_with_many_live_secrets(void) {
    if (!can_lock_without_limit())
        SKIP("20,000 locked secrets need CAP_IPC_LOCK or an unlimited RLIMIT_MEMLOCK");
    sm_region probe;
    REQUIRE(sm__pages_acquire(1, &probe) == SM_OK); /* finds out whether mlock2 works */
    sm__pages_release(&probe);
    if (!sm__pool_merges_guards())
        SKIP("no mlock2 here (old kernel or valgrind): live slots cannot merge with guards");
    int st = run_in_child(many_secrets_child, NULL);
    CHECK(child_exited_with(st, 0));
    if (!child_exited_with(st, 0))
        printf("# child status %#x\n", st);
}

/* ------------------------------------------------------------------ */
/* ENCLAVE secrets and views                                           */
/* ------------------------------------------------------------------ */

static int enclave_child(void *arg) {
    (void)arg;
    enum { N = 20000 };
    size_t limit = 1u << 20;
    if (drop_ipc_lock_and_limit(limit) != 0) {
        printf("# could not drop CAP_IPC_LOCK and set the limit: %s\n", strerror(errno));
        fflush(stdout);
        return 2;
    }
    sm_secret **s = calloc(N, sizeof *s);
    uint8_t src[32];
    sm_status st = s != NULL ? SM_OK : SM_ERR_NOMEM;
    int made = 0, read = 0;
    for (; st == SM_OK && made < N; made += st == SM_OK) {
        memset(src, (uint8_t)made, sizeof src);
        st = sm_secret_new(SM_KIND_ENCLAVE, src, sizeof src, &s[made]);
    }
    for (; st == SM_OK && read < N; read += st == SM_OK) {
        uint8_t want = (uint8_t)read;
        st = sm_secret_with_bytes(s[read], read_first, &want);
    }
    size_t locked_kb = vm_locked_kb();
    int ok = st == SM_OK && locked_kb * 1024 <= limit;
    if (!ok) {
        printf("# made %d, read %d, last status %s, VmLck %zu kB\n", made, read, sm_status_name(st),
               locked_kb);
        fflush(stdout);
    }
    for (int i = 0; s != NULL && i < N; i++)
        sm_secret_free(s[i]);
    free(s);
    return ok ? 0 : 1;
}

static void test_many_enclave_secrets_under_small_memlock(void) {
    REQUIRE_REAL_MLOCK();
    int st = run_in_child(enclave_child, NULL);
    CHECK(child_exited_with(st, 0));
    if (!child_exited_with(st, 0))
        printf("# child wait status %#x\n", st);
}

static int write_view(void *arg) {
    ((uint8_t *)arg)[0] = 0;
    return 0;
}

static int read_view(void *arg) {
    return ((volatile const uint8_t *)arg)[0] == 0x6B ? 0 : 1;
}

static void test_enclave_view_is_read_only_wiped_and_not_forked(void) {
    uint8_t src[48];
    memset(src, 0x6B, sizeof src);
    sm_secret *s = NULL;
    REQUIRE(sm_secret_new(SM_KIND_ENCLAVE, src, sizeof src, &s) == SM_OK);
    const uint8_t *d;
    size_t len;
    size_t views = sm__views_taken();
    REQUIRE(sm_secret_acquire(s, &d, &len) == SM_OK);
    if (sm__views_taken() != views + 1) {
        sm_secret_release(s);
        sm_secret_free(s);
        SKIP("no enclave views here (mremap cannot alias pages, e.g. valgrind)");
    }
    CHECK(len == 48 && d[0] == 0x6B && d[47] == 0x6B);
    CHECK((((uintptr_t)d + len) & (sm_page_size() - 1)) == 0); /* ends at a guard */
    CHECK(child_killed_by(run_in_child(write_view, (void *)d), SIGSEGV));
    CHECK(child_killed_by(run_in_child(read_view, (void *)d), SIGSEGV)); /* not in a child */
    sm__pages_set_release_observer(observe);
    released = released_dirty = 0;
    REQUIRE(sm_secret_release(s) == SM_OK);
    sm__pages_set_release_observer(NULL);
    CHECK(released == 1 && released_dirty == 0);
    CHECK(all_zero(d, len)); /* the view page stays mapped, wiped */
    sm_secret_free(s);
}

static int enclave_keep_child(void *arg) {
    (void)arg;
    sm_config cfg;
    sm_config_default(&cfg);
    cfg.fork_policy = SM_FORK_KEEP;
    uint8_t src[16];
    memset(src, 0x6B, sizeof src);
    sm_secret *s = NULL;
    const uint8_t *d;
    size_t len;
    if (sm_init(&cfg) != SM_OK || sm_secret_new(SM_KIND_ENCLAVE, src, 16, &s) != SM_OK ||
        sm_secret_acquire(s, &d, &len) != SM_OK)
        return 2;
    /* Under SM_FORK_KEEP the plaintext is a guarded buffer a child inherits. */
    int st = run_in_child(read_view, (void *)d);
    sm_secret_release(s);
    sm_secret_free(s);
    return child_exited_with(st, 0) ? 0 : 1;
}

static void test_enclave_keep_policy_inherits_the_plaintext(void) {
    CHECK(child_exited_with(run_in_child(enclave_keep_child, NULL), 0));
}

/* ------------------------------------------------------------------ */
/* Threads                                                             */
/* ------------------------------------------------------------------ */

static void *churn(void *arg) {
    uintptr_t seed = (uintptr_t)arg;
    sm_region r[16];
    int bad = 0;
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < 16; i++) {
            size_t len = pooled_sizes[(seed + (size_t)round + (size_t)i) % (POOLED_COUNT - 1)];
            if (sm__pages_acquire(len, &r[i]) != SM_OK)
                return (void *)1;
            bad |= !all_zero(r[i].inner, r[i].inner_len);
            memset(r[i].inner, (int)(seed + (size_t)i), r[i].inner_len);
        }
        for (int i = 0; i < 16; i++) {
            bad |= r[i].inner[0] != (uint8_t)(seed + (size_t)i);
            sm__pages_release(&r[i]);
        }
    }
    return bad ? (void *)1 : NULL;
}

static void test_threads_share_the_pool(void) {
    sm_stats before = counters();
    size_t used = pool_used();
    pthread_t t[4];
    for (uintptr_t i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, churn, (void *)(i * 31 + 1));
    for (int i = 0; i < 4; i++) {
        void *rc = NULL;
        pthread_join(t[i], &rc);
        CHECK(rc == NULL);
    }
    sm_stats after = counters();
    CHECK(pool_used() == used);
    CHECK(after.bytes_locked == before.bytes_locked);
    CHECK(after.mapped_bytes == before.mapped_bytes);
}

int main(void) {
    RUN(test_guards_around_pooled_slots);
    RUN(test_buffer_overflow_faults_between_live_neighbours);
    RUN(test_large_regions_get_their_own_mapping);
    RUN(test_reused_pages_are_wiped);
    RUN(test_released_slots_are_no_access);
    RUN(test_empty_dense_regions_give_pages_back);
    RUN(test_lock_policy_failures_leave_nothing);
    RUN(test_released_slot_is_cached_locked_and_reused);
    RUN(test_slot_cache_is_bounded);
    RUN(test_cached_slot_only_for_the_same_page_count);
    RUN(test_slot_cache_lock_policy_off);
    RUN(test_slot_cache_under_limits_and_fork);
    RUN(test_view_region_takes_the_cache_lock);
    RUN(test_maps_stay_bounded_with_many_live_secrets);
    RUN(test_many_enclave_secrets_under_small_memlock);
    RUN(test_enclave_view_is_read_only_wiped_and_not_forked);
    RUN(test_enclave_keep_policy_inherits_the_plaintext);
    RUN(test_threads_share_the_pool);
    return harness_done();
}
