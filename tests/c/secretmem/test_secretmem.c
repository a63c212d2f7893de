/*
 * The memfd_secret backend (issue 12, section 1).
 *
 * The backend is fixed once memory is taken, so every test runs in a
 * forked child of this process, which never uses the library itself.
 * Where the kernel has no memfd_secret, sm_init(SECRETMEM) must give
 * SM_ERR_UNSUPPORTED and the other tests are skipped (TAP SKIP).
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include "harness.h"
#include "registry.h"
#include "secretmem.h"

#define LEN 48u

static sm_status init_backend(sm_backend b) {
    sm_config cfg;
    sm_config_default(&cfg);
    cfg.backend = b;
    return sm_init(&cfg);
}

static int kernel_has_secretmem(void) {
    return sm__secretmem_supported();
}

#define REQUIRE_SECRETMEM()                                                                        \
    do {                                                                                           \
        if (!kernel_has_secretmem())                                                               \
            SKIP("this kernel has no memfd_secret");                                               \
    } while (0)

static uint8_t pattern[LEN];

static sm_secret *secret_of(sm_kind kind) {
    uint8_t src[LEN];
    memcpy(src, pattern, LEN);
    sm_secret *s = NULL;
    return sm_secret_new(kind, src, LEN, &s) == SM_OK ? s : NULL;
}

/* Reads n bytes at addr of process pid through /proc/<pid>/mem; the count read, or -1. */
static ssize_t proc_mem_read(pid_t pid, const void *addr, void *out, size_t n) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t got = pread(fd, out, n, (off_t)(uintptr_t)addr);
    close(fd);
    return got;
}

/* ------------------------------------------------------------------ */
/* Choosing the backend                                                */
/* ------------------------------------------------------------------ */

static int choose_child(void *arg) {
    (void)arg;
    if (!kernel_has_secretmem())
        return init_backend(SM_BACKEND_SECRETMEM) == SM_ERR_UNSUPPORTED &&
                       init_backend(SM_BACKEND_AUTO) == SM_OK &&
                       sm_backend_active() == SM_BACKEND_PAGES
                   ? 0
                   : child_fail(1);
    if (init_backend(SM_BACKEND_PAGES) != SM_OK || sm_backend_active() != SM_BACKEND_PAGES)
        return child_fail(2);
    if (init_backend(SM_BACKEND_AUTO) != SM_OK || sm_backend_active() != SM_BACKEND_SECRETMEM)
        return child_fail(3); /* no memory taken yet: the backend may still change */
    sm_secret *s = secret_of(SM_KIND_PROTECTED);
    if (s == NULL)
        return child_fail(4);
    if (init_backend(SM_BACKEND_PAGES) != SM_ERR_INVALID)
        return child_fail(5); /* memory was taken under secretmem */
    if (sm_backend_active() != SM_BACKEND_SECRETMEM || init_backend(SM_BACKEND_AUTO) != SM_OK)
        return child_fail(6);
    sm_config keep; /* the defaults keep the backend in force: changing another setting works */
    sm_config_default(&keep);
    keep.lock_policy = SM_LOCK_BEST_EFFORT;
    if (keep.backend != SM_BACKEND_SECRETMEM || sm_init(&keep) != SM_OK || sm_init(NULL) != SM_OK ||
        sm_backend_active() != SM_BACKEND_SECRETMEM)
        return child_fail(8);
    sm_config bad;
    sm_config_default(&bad);
    bad.backend = (sm_backend)7;
    if (sm_init(&bad) != SM_ERR_INVALID)
        return child_fail(7);
    sm_secret_free(s);
    return 0;
}

static void test_choose_backend(void) {
    CHECK(child_exited_with(run_in_child(choose_child, NULL), 0));
}

/* A caller built before sm_config.backend existed passes a smaller size. */
static int old_config_child(void *arg) {
    (void)arg;
    sm_config cfg;
    sm_config_default(&cfg);
    cfg.size = offsetof(sm_config, backend);
    cfg.backend = (sm_backend)99; /* not the caller's: must be ignored */
    if (sm_init(&cfg) != SM_OK || sm_backend_active() != SM_BACKEND_PAGES)
        return child_fail(1);
    cfg.size = offsetof(sm_config, backend) - 1;
    return sm_init(&cfg) == SM_ERR_INVALID ? 0 : child_fail(2);
}

static void test_older_config_keeps_working(void) {
    CHECK(child_exited_with(run_in_child(old_config_child, NULL), 0));
}

/* ------------------------------------------------------------------ */
/* Unreadable from outside, readable through the API                   */
/* ------------------------------------------------------------------ */

typedef struct access_probe {
    pid_t pid;
    int proc_mem_failed, api_ok;
} access_probe;

static int probe_cb(void *ctx, const uint8_t *data, size_t len) {
    access_probe *p = ctx;
    uint8_t got[LEN];
    p->proc_mem_failed = proc_mem_read(p->pid, data, got, len) < 0;
    p->api_ok = len == LEN && memcmp(data, pattern, LEN) == 0;
    return 0;
}

/* With backend b: 1 when /proc/self/mem could not read a secret's bytes during an access. */
static int unreadable_child(void *arg) {
    sm_backend b = *(sm_backend *)arg;
    if (init_backend(b) != SM_OK)
        return child_fail(1);
    for (int k = 0; k < 2; k++) {
        sm_secret *s = secret_of((sm_kind)k);
        access_probe p = {getpid(), 0, 0};
        if (s == NULL || sm_secret_with_bytes(s, probe_cb, &p) != SM_OK || !p.api_ok)
            return child_fail(2);
        if (p.proc_mem_failed != (b == SM_BACKEND_SECRETMEM))
            return child_fail(3 + k);
        sm_secret_free(s);
    }
    return 0;
}

static void test_proc_mem_cannot_read_secretmem(void) {
    REQUIRE_SECRETMEM();
    sm_backend secret = SM_BACKEND_SECRETMEM, pages = SM_BACKEND_PAGES;
    CHECK(child_exited_with(run_in_child(unreadable_child, &secret), 0));
    /* The control: the same read works under the pages backend. */
    CHECK(child_exited_with(run_in_child(unreadable_child, &pages), 0));
}

/* process_vm_readv from a child of the secret's process. */
static int vm_readv_child(void *arg) {
    (void)arg;
    if (init_backend(SM_BACKEND_SECRETMEM) != SM_OK)
        return child_fail(1);
    sm_secret *s = secret_of(SM_KIND_PROTECTED);
    const uint8_t *data = NULL;
    size_t n = 0;
    if (s == NULL || sm_secret_acquire(s, &data, &n) != SM_OK)
        return child_fail(2);
    pid_t parent = getpid();
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        uint8_t got[LEN];
        struct iovec local = {got, LEN}, remote = {(void *)data, LEN};
        _exit(process_vm_readv(parent, &local, 1, &remote, 1, 0) < 0 ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    int api_ok = memcmp(data, pattern, LEN) == 0;
    (void)sm_secret_release(s);
    sm_secret_free(s);
    return child_exited_with(st, 0) && api_ok ? 0 : child_fail(3);
}

static void test_process_vm_readv_cannot_read_secretmem(void) {
    REQUIRE_SECRETMEM();
    CHECK(child_exited_with(run_in_child(vm_readv_child, NULL), 0));
}

/* ------------------------------------------------------------------ */
/* Guard pages, canary, purge, the fault-path wipe                     */
/* ------------------------------------------------------------------ */

static int write_past_end(void *arg) {
    (void)arg;
    sm_buffer *b = NULL;
    if (init_backend(SM_BACKEND_SECRETMEM) != SM_OK || sm_buffer_new(LEN, &b) != SM_OK)
        return 1;
    sm_buffer_data(b)[LEN] = 1; /* the guard page after the data: faults */
    return 2;
}

static int canary_child(void *arg) {
    (void)arg;
    sm_buffer *b = NULL;
    if (init_backend(SM_BACKEND_SECRETMEM) != SM_OK || sm_buffer_new(LEN, &b) != SM_OK)
        return child_fail(1);
    sm_buffer_data(b)[-1] ^= 0x5a; /* the canary before the data */
    if (sm_buffer_check(b) != SM_ERR_CANARY || sm_buffer_destroy(b) != SM_ERR_CANARY)
        return child_fail(2);
    sm_buffer_free(b);
    return 0;
}

static void test_guards_and_canary(void) {
    REQUIRE_SECRETMEM();
    CHECK(child_killed_by(run_in_child(write_past_end, NULL), SIGSEGV));
    CHECK(child_exited_with(run_in_child(canary_child, NULL), 0));
}

static int purge_child(void *arg) {
    (void)arg;
    if (init_backend(SM_BACKEND_SECRETMEM) != SM_OK)
        return child_fail(1);
    sm_secret *p = secret_of(SM_KIND_PROTECTED), *e = secret_of(SM_KIND_ENCLAVE);
    sm_buffer *b = NULL;
    if (p == NULL || e == NULL || sm_buffer_new_random(LEN, &b) != SM_OK)
        return child_fail(2);
    sm_purge();
    if (!sm_secret_is_closed(p) || !sm_secret_is_closed(e) || sm_buffer_is_alive(b))
        return child_fail(3);
    sm_stats s = stats_now();
    if (s.live_secrets_protected != 0 || s.live_secrets_enclave != 0)
        return child_fail(4);
    sm_secret_free(p);
    sm_secret_free(e);
    sm_buffer_free(b);
    return 0;
}

/* The fault path's lock-free wipe reaches secretmem pages (read(/dev/zero) into them). */
static int wipe_child(void *arg) {
    (void)arg;
    sm_buffer *b = NULL;
    if (init_backend(SM_BACKEND_SECRETMEM) != SM_OK || sm_buffer_new_random(LEN, &b) != SM_OK)
        return child_fail(1);
    uint8_t *d = sm_buffer_data(b);
    if (all_zero(d, LEN) || sm_buffer_noaccess(b) != SM_OK)
        return child_fail(2);
    sm__registry_wipe_all();
    return all_zero(d, LEN) ? 0 : child_fail(3); /* readable again, and zero */
}

static void test_purge_and_fault_wipe(void) {
    REQUIRE_SECRETMEM();
    CHECK(child_exited_with(run_in_child(purge_child, NULL), 0));
    CHECK(child_exited_with(run_in_child(wipe_child, NULL), 0));
}

/* ------------------------------------------------------------------ */
/* fork(): the child reads nothing and sees everything closed          */
/* ------------------------------------------------------------------ */

typedef struct parent_objects {
    sm_secret *prot, *encl;
    sm_buffer *buf;
    sm_stream *stream;
    const uint8_t *addr; /* the PROTECTED secret's bytes, opened in the parent */
} parent_objects;

/* Reads the first byte at arg: run in a child, where it must fault. */
static int read_first_byte(void *arg) {
    return *(const volatile uint8_t *)arg == 0 ? 1 : 2;
}

static int in_grandchild(void *arg) {
    parent_objects *o = arg;
    const uint8_t *d = NULL;
    size_t n = 0, nread = 0;
    uint8_t out[LEN];
    if (!sm_secret_is_closed(o->prot) || !sm_secret_is_closed(o->encl))
        return child_fail(1);
    if (sm_secret_acquire(o->prot, &d, &n) != SM_ERR_CLOSED ||
        sm_secret_read(o->encl, 0, out, LEN, &nread) != SM_ERR_CLOSED)
        return child_fail(2);
    if (sm_buffer_is_alive(o->buf) || sm_buffer_data(o->buf) != NULL ||
        sm_buffer_freeze(o->buf) != SM_ERR_CLOSED)
        return child_fail(3);
    if (sm_stream_read(o->stream, out, LEN, &nread) != SM_ERR_AUTH || sm_stream_size(o->stream))
        return child_fail(4); /* the stream lost what it held, as in a purge */
    if (!child_killed_by(run_in_child(read_first_byte, (void *)o->addr), SIGSEGV))
        return child_fail(5); /* the parent's page is not here */
    sm_secret *mine = secret_of(SM_KIND_PROTECTED);
    if (mine == NULL || sm_secret_read(mine, 0, out, LEN, &nread) != SM_OK ||
        memcmp(out, pattern, LEN) != 0)
        return child_fail(6); /* the child makes and uses its own */
    sm_secret_free(mine);
    sm_secret_free(o->prot); /* freeing what was lost is safe */
    sm_secret_free(o->encl);
    sm_buffer_free(o->buf);
    sm_stream_free(o->stream);
    return 0;
}

static int fork_child_main(void *arg) {
    (void)arg;
    if (init_backend(SM_BACKEND_SECRETMEM) != SM_OK)
        return child_fail(1);
    parent_objects o = {secret_of(SM_KIND_PROTECTED), secret_of(SM_KIND_ENCLAVE), NULL, NULL, NULL};
    size_t n = 0;
    if (o.prot == NULL || o.encl == NULL || sm_buffer_new_random(LEN, &o.buf) != SM_OK ||
        sm_stream_new(4096, &o.stream) != SM_OK ||
        sm_stream_write(o.stream, pattern, LEN) != SM_OK ||
        sm_secret_acquire(o.prot, &o.addr, &n) != SM_OK)
        return child_fail(2);
    int st = run_in_child(in_grandchild, &o);
    /* The parent's objects are untouched. */
    int ok = memcmp(o.addr, pattern, LEN) == 0 && sm_buffer_is_alive(o.buf) &&
             sm_stream_size(o.stream) == LEN;
    (void)sm_secret_release(o.prot);
    sm_secret_free(o.prot);
    sm_secret_free(o.encl);
    sm_buffer_free(o.buf);
    sm_stream_free(o.stream);
    if (!child_exited_with(st, 0))
        return child_fail(3);
    return ok ? 0 : child_fail(4);
}

static void test_fork_child_sees_everything_closed(void) {
    REQUIRE_SECRETMEM();
    CHECK(child_exited_with(run_in_child(fork_child_main, NULL), 0));
}

/* ------------------------------------------------------------------ */
/* The memory-lock limit, and the counters                             */
/* ------------------------------------------------------------------ */

static int stats_match_kernel(void) {
    sm_stats s = stats_now();
    size_t k = status_kb("VmLck:") * 1024;
    if (k != s.bytes_locked + s.bytes_locked_cached)
        printf("# VmLck %zu, bytes_locked %llu + cached %llu\n", k,
               (unsigned long long)s.bytes_locked, (unsigned long long)s.bytes_locked_cached);
    return k == s.bytes_locked + s.bytes_locked_cached;
}

#define LIMIT_SECRETS 4096

static int limit_child(void *arg) {
    (void)arg;
    static sm_secret *held[LIMIT_SECRETS];
    if (drop_ipc_lock_and_limit((rlim_t)1 << 20) != 0 || init_backend(SM_BACKEND_SECRETMEM) != 0)
        return child_fail(1);
    int made = 0;
    sm_status st = SM_OK;
    while (made < LIMIT_SECRETS &&
           (st = sm_secret_new_random(SM_KIND_PROTECTED, 32, &held[made])) == SM_OK)
        made++;
    if (st != SM_ERR_MLOCK || made < 16)
        return child_fail(2); /* the limit hit is SM_ERR_MLOCK, after a fair number */
    if (!stats_match_kernel())
        return child_fail(3);
    sm_secret *e = NULL; /* an ENCLAVE secret's open view needs locked pages too */
    if (sm_secret_new_random(SM_KIND_ENCLAVE, 32, &e) == SM_OK) {
        uint8_t out[32];
        size_t n = 0;
        if (sm_secret_read(e, 0, out, sizeof out, &n) != SM_ERR_MLOCK)
            return child_fail(4);
        sm_secret_free(e);
    }
    for (int i = 0; i < made; i++)
        sm_secret_free(held[i]);
    if (sm_secret_new_random(SM_KIND_PROTECTED, 32, &held[0]) != SM_OK || !stats_match_kernel())
        return child_fail(5); /* given back: room again */
    sm_secret_free(held[0]);
    return 0;
}

static void test_lock_limit_is_mlock_error(void) {
    REQUIRE_SECRETMEM();
    CHECK(child_exited_with(run_in_child(limit_child, NULL), 0));
}

/* Many live secrets: live slots merge, views work, the counters match the kernel. */
static int many_child(void *arg) {
    (void)arg;
    enum { MANY = 20000 };
    static sm_secret *held[MANY];
    if (init_backend(SM_BACKEND_SECRETMEM) != SM_OK)
        return child_fail(1);
    size_t before = maps_lines();
    for (int i = 0; i < MANY; i++)
        if (sm_secret_new_random(i % 2 ? SM_KIND_ENCLAVE : SM_KIND_PROTECTED, 32, &held[i]) !=
            SM_OK)
            return child_fail(2);
    uint8_t out[32];
    size_t n = 0;
    for (int i = 0; i < MANY; i++)
        if (sm_secret_read(held[i], 0, out, sizeof out, &n) != SM_OK)
            return child_fail(3);
    size_t after = maps_lines();
    printf("# maps lines: %zu before, %zu with %d secrets\n", before, after, MANY);
    fflush(stdout);
    if (after > before + 400)
        return child_fail(4); /* live slots at rest merge into few mappings */
    if (!stats_match_kernel())
        return child_fail(5);
    for (int i = 0; i < MANY; i++)
        sm_secret_free(held[i]);
    return stats_match_kernel() ? 0 : child_fail(6);
}

static void test_many_secrets_merge_and_are_counted(void) {
    REQUIRE_SECRETMEM();
    CHECK(child_exited_with(run_in_child(many_child, NULL), 0));
}

int main(void) {
    for (unsigned i = 0; i < LEN; i++)
        pattern[i] = (uint8_t)(0xA5 ^ (i * 37));
    RUN(test_choose_backend);
    RUN(test_older_config_keeps_working);
    RUN(test_proc_mem_cannot_read_secretmem);
    RUN(test_process_vm_readv_cannot_read_secretmem);
    RUN(test_guards_and_canary);
    RUN(test_purge_and_fault_wipe);
    RUN(test_fork_child_sees_everything_closed);
    RUN(test_lock_limit_is_mlock_error);
    RUN(test_many_secrets_merge_and_are_counted);
    return harness_done();
}
