/* Status codes, configuration and the memory calls. */
#include <string.h>
#include <sys/mman.h>

#include "harness.h"

static void test_status_names_are_stable(void) {
    static const char *names[SM_STATUS_COUNT] = {
        "SM_OK",          "SM_ERR_INVALID",  "SM_ERR_NOMEM",      "SM_ERR_MLOCK",
        "SM_ERR_PROTECT", "SM_ERR_CLOSED",   "SM_ERR_AUTH",       "SM_ERR_CANARY",
        "SM_ERR_EOF",     "SM_ERR_CALLBACK", "SM_ERR_UNSUPPORTED"};
    for (int i = 0; i < SM_STATUS_COUNT; i++) {
        CHECK(strcmp(sm_status_name((sm_status)i), names[i]) == 0);
        CHECK(strlen(sm_strerror((sm_status)i)) > 5);
    }
    CHECK(SM_ERR_CLOSED == 5 && SM_ERR_UNSUPPORTED == 10);
    CHECK(strcmp(sm_status_name((sm_status)99), "SM_ERR_UNKNOWN") == 0);
    CHECK(sm_strerror((sm_status)-3) != NULL);
    /* The memlock message says which limit and how to change the policy. */
    CHECK(strstr(sm_strerror(SM_ERR_MLOCK), "RLIMIT_MEMLOCK") != NULL);
    CHECK(strstr(sm_strerror(SM_ERR_MLOCK), "SM_LOCK_BEST_EFFORT") != NULL);
}

static void test_config_and_init(void) {
    sm_config cfg;
    sm_config_default(&cfg);
    CHECK(cfg.size == sizeof cfg);
    CHECK(cfg.lock_policy == SM_LOCK_STRICT);
    CHECK(cfg.fork_policy == SM_FORK_WIPE);
    CHECK(cfg.disable_core_dumps == 0);
    CHECK(cfg.rekey_interval_ms == 500);
    CHECK_STATUS(sm_init(NULL), SM_OK);
    CHECK_STATUS(sm_init(&cfg), SM_OK);
    CHECK_STATUS(sm_init(&cfg), SM_OK); /* idempotent */
    sm_config bad = cfg;
    bad.size = 4;
    CHECK_STATUS(sm_init(&bad), SM_ERR_INVALID);
    bad = cfg;
    bad.lock_policy = (sm_lock_policy)7;
    CHECK_STATUS(sm_init(&bad), SM_ERR_INVALID);
    bad = cfg;
    bad.fork_policy = (sm_fork_policy)-1;
    CHECK_STATUS(sm_init(&bad), SM_ERR_INVALID);
    CHECK(strcmp(sm_version(), SM_VERSION_STRING) == 0);
}

static int core_dump_child(void *arg) {
    (void)arg;
    struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
    setrlimit(RLIMIT_CORE, &rl);
    sm_config cfg;
    sm_config_default(&cfg);
    cfg.disable_core_dumps = 1;
    if (sm_init(&cfg) != SM_OK)
        return 1;
    getrlimit(RLIMIT_CORE, &rl);
    /* Only the soft limit is lowered. */
    return rl.rlim_cur == 0 && rl.rlim_max == RLIM_INFINITY ? 0 : 1;
}

static void test_disable_core_dumps_lowers_soft_limit_only(void) {
    /* A plain fork: run_in_child() would already have zeroed the limits. */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(core_dump_child(NULL));
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(child_exited_with(st, 0));
}

static void test_page_size(void) {
    size_t ps = sm_page_size();
    CHECK(ps >= 4096 && (ps & (ps - 1)) == 0);
    CHECK(ps == (size_t)sysconf(_SC_PAGESIZE));
}

static void test_mem_alloc_free(void) {
    void *p = NULL;
    CHECK_STATUS(sm_mem_alloc(100, &p), SM_OK);
    REQUIRE(p != NULL);
    CHECK(((uintptr_t)p & (sm_page_size() - 1)) == 0);
    CHECK(all_zero(p, sm_page_size()));
    memset(p, 0xAB, sm_page_size()); /* the whole rounded page is usable */
    CHECK_STATUS(sm_mem_protect(p, 100, SM_PROT_NONE), SM_OK);
    CHECK_STATUS(sm_mem_free(p, 100), SM_OK); /* frees memory left in any protection */

    CHECK_STATUS(sm_mem_alloc(0, &p), SM_ERR_INVALID);
    CHECK_STATUS(sm_mem_alloc(SIZE_MAX, &p), SM_ERR_INVALID);
    CHECK(p == NULL);
    CHECK_STATUS(sm_mem_alloc(10, NULL), SM_ERR_INVALID);
    CHECK_STATUS(sm_mem_alloc((size_t)1 << 62, &p), SM_ERR_NOMEM);
    CHECK(sm_last_errno() != 0); /* ENOMEM from the kernel; valgrind's mmap says EINVAL */
    CHECK_STATUS(sm_mem_free(NULL, 10), SM_ERR_INVALID);
    CHECK_STATUS(sm_mem_free((void *)(uintptr_t)4097, 10), SM_ERR_INVALID);
}

static void test_mem_lock_protect(void) {
    void *p = NULL;
    size_t ps = sm_page_size();
    REQUIRE(sm_mem_alloc(2 * ps, &p) == SM_OK);
    CHECK_STATUS(sm_mem_lock(p, 2 * ps), SM_OK);
    CHECK_STATUS(sm_mem_unlock(p, 2 * ps), SM_OK);
    CHECK_STATUS(sm_mem_lock(NULL, ps), SM_ERR_INVALID);
    CHECK_STATUS(sm_mem_lock(p, 0), SM_ERR_INVALID);
    CHECK_STATUS(sm_mem_lock((uint8_t *)p + 1, ps), SM_ERR_INVALID);
    CHECK_STATUS(sm_mem_unlock(NULL, ps), SM_ERR_INVALID);
    CHECK_STATUS(sm_mem_protect(p, ps, SM_PROT_READ), SM_OK);
    CHECK(all_zero(p, ps));
    CHECK_STATUS(sm_mem_protect(p, ps, (sm_prot)9), SM_ERR_INVALID);
    CHECK_STATUS(sm_mem_protect((uint8_t *)p + 3, ps, SM_PROT_READ), SM_ERR_INVALID);
    CHECK_STATUS(sm_mem_free(p, 2 * ps), SM_OK);
    /* Protecting memory that is no longer mapped is a clean error. */
    CHECK_STATUS(sm_mem_protect(p, ps, SM_PROT_READ), SM_ERR_PROTECT);
    CHECK(sm_last_errno() == ENOMEM);
}

static int write_to_readonly(void *arg) {
    uint8_t *p = arg;
    p[0] = 1;
    return 0;
}

static int read_noaccess(void *arg) {
    volatile uint8_t *p = arg;
    return p[0];
}

static void test_protection_is_enforced(void) {
    void *p = NULL;
    REQUIRE(sm_mem_alloc(1, &p) == SM_OK);
    REQUIRE(sm_mem_protect(p, 1, SM_PROT_READ) == SM_OK);
    CHECK(child_killed_by(run_in_child(write_to_readonly, p), SIGSEGV));
    REQUIRE(sm_mem_protect(p, 1, SM_PROT_NONE) == SM_OK);
    CHECK(child_killed_by(run_in_child(read_noaccess, p), SIGSEGV));
    CHECK_STATUS(sm_mem_free(p, 1), SM_OK);
}

static void test_wipe_and_equal(void) {
    uint8_t a[64], b[64];
    memset(a, 0x5A, sizeof a);
    sm_wipe(a, sizeof a);
    CHECK(all_zero(a, sizeof a));
    sm_wipe(NULL, 10); /* no-op */
    memset(a, 7, sizeof a);
    memset(b, 7, sizeof b);
    CHECK(sm_equal(a, b, sizeof a) == 1);
    b[63] ^= 1;
    CHECK(sm_equal(a, b, sizeof a) == 0);
    b[63] ^= 1;
    b[0] ^= 0x80;
    CHECK(sm_equal(a, b, sizeof a) == 0);
    CHECK(sm_equal(a, b, 0) == 1);
    CHECK(sm_equal(NULL, b, 4) == 0);
}

int main(void) {
    RUN(test_status_names_are_stable);
    RUN(test_config_and_init);
    RUN(test_disable_core_dumps_lowers_soft_limit_only);
    RUN(test_page_size);
    RUN(test_mem_alloc_free);
    RUN(test_mem_lock_protect);
    RUN(test_protection_is_enforced);
    RUN(test_wipe_and_equal);
    return harness_done();
}
