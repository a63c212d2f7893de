/*
 * Scale: how many live 32-B secrets one process holds, and what the
 * process looks like then (RSS, locked memory, /proc/self/maps lines).
 *
 * Each step runs in a fresh process (this program re-executed with
 * --scale-child), so no earlier benchmark state is counted, and under its
 * own memory lock limit:
 * - "unlimited": RLIMIT_MEMLOCK raised to infinity (or CAP_IPC_LOCK kept);
 * - "8 MiB, no CAP_IPC_LOCK": the capability dropped, the limit 8 MiB.
 * The child creates secrets until it holds the target or one creation
 * fails, then prints one line for the parent.
 */
#include <errno.h>
#include <linux/capability.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ops.h"
#include "proc_self.h"
#include "results.h"
#include "scale.h"
#include "securememory.h"
#include "timing.h"

#define LIMIT_8M "8 MiB, no CAP_IPC_LOCK"
#define LIMIT_UN "unlimited"

typedef struct child_out {
    size_t reached, rss_kb, locked_kb, maps;
    double create_ns;
    char stop[160];
} child_out;

/* ------------------------------------------------------------------ */
/* In the child                                                        */
/* ------------------------------------------------------------------ */

static int apply_limit(const char *limit) {
    if (strcmp(limit, LIMIT_8M) == 0) {
        struct rlimit rl = {8u << 20, 8u << 20};
        return drop_ipc_lock() == 0 && setrlimit(RLIMIT_MEMLOCK, &rl) == 0 ? 0 : -1;
    }
    struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
    (void)setrlimit(RLIMIT_MEMLOCK, &rl); /* without it, CAP_IPC_LOCK (root) still works */
    return 0;
}

static int touch(void *ctx, const uint8_t *data, size_t len) {
    (void)len;
    *(volatile uint8_t *)ctx = data[0];
    return 0;
}

/* Creates one object of `who`; 0 on success, else fills stop. */
static int create_one(const char *who, void **slot, char *stop, size_t cap) {
    uint8_t src[32];
    memset(src, 0x5A, sizeof src);
    if (strcmp(who, "libsodium") == 0) {
        *slot = sodium_malloc(32);
        if (*slot != NULL && sodium_mprotect_noaccess(*slot) == 0)
            return 0;
        snprintf(stop, cap, "sodium_malloc: %s", strerror(errno));
        return -1;
    }
    sm_kind kind = strcmp(who, "ENCLAVE") == 0 ? SM_KIND_ENCLAVE : SM_KIND_PROTECTED;
    sm_status st = sm_secret_new(kind, src, sizeof src, (sm_secret **)slot);
    if (st == SM_OK)
        return 0;
    snprintf(stop, cap, "%s (%s)", sm_status_name(st), strerror(sm_last_errno()));
    return -1;
}

/* Reads back a few of the secrets, so "held" means usable. */
static void verify(const char *who, void **objs, size_t n, child_out *o) {
    if (strcmp(who, "libsodium") == 0 || n == 0)
        return;
    size_t picks[3] = {0, n / 2, n - 1};
    uint8_t seen = 0;
    for (int i = 0; i < 3; i++) {
        sm_status st = sm_secret_with_bytes(objs[picks[i]], touch, &seen);
        if (st != SM_OK) {
            snprintf(o->stop, sizeof o->stop, "held, but with_bytes gave %s", sm_status_name(st));
            return;
        }
    }
}

int scale_child(const char *who, size_t target, const char *limit) {
    child_out o = {0};
    snprintf(o.stop, sizeof o.stop, "ok");
    if (sodium_init() < 0 || bench_init_library() != SM_OK || apply_limit(limit) != 0) {
        printf("0 0 0 0 0 setup failed\n");
        return 1;
    }
    void **objs = calloc(target, sizeof *objs);
    double t0 = timing_now_ns();
    while (objs != NULL && o.reached < target &&
           create_one(who, &objs[o.reached], o.stop, sizeof o.stop) == 0)
        o.reached++;
    o.create_ns = o.reached ? (timing_now_ns() - t0) / (double)o.reached : 0;
    verify(who, objs, o.reached, &o); /* first, so what an access locks is counted */
    o.rss_kb = status_kb("VmRSS:");
    o.locked_kb = status_kb("VmLck:");
    o.maps = maps_lines();
    printf("%zu %zu %zu %zu %.1f %s\n", o.reached, o.rss_kb, o.locked_kb, o.maps, o.create_ns,
           o.stop);
    fflush(stdout);
    _exit(0); /* no teardown: the kernel frees it all at once */
}

/* ------------------------------------------------------------------ */
/* In the parent                                                       */
/* ------------------------------------------------------------------ */

static int run_child(const char *who, size_t target, const char *limit, child_out *o) {
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    char tbuf[32];
    snprintf(tbuf, sizeof tbuf, "%zu", target);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], STDOUT_FILENO);
        close(fd[0]);
        execl("/proc/self/exe", "smbench", "--scale-child", who, tbuf, limit, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    FILE *f = fdopen(fd[0], "r");
    int got = f != NULL && fscanf(f, "%zu %zu %zu %zu %lf %159[^\n]", &o->reached, &o->rss_kb,
                                  &o->locked_kb, &o->maps, &o->create_ns, o->stop) == 6;
    if (f != NULL)
        fclose(f);
    int st = 0;
    waitpid(pid, &st, 0);
    if (!got)
        snprintf(o->stop, sizeof o->stop, "child failed (wait status %d)", st);
    return got ? 0 : -1;
}

static size_t mem_available_kb(void) {
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    size_t v = 0;
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "MemAvailable:", 13) == 0)
            v = (size_t)strtoull(line + 13, NULL, 10);
    if (f != NULL)
        fclose(f);
    return v;
}

/* A PROTECTED secret keeps one locked page resident (plus bookkeeping). */
static int fits_in_ram(const char *who, size_t target) {
    if (strcmp(who, "PROTECTED") != 0)
        return 1;
    size_t need_kb = target * ((size_t)sysconf(_SC_PAGESIZE) / 1024 + 1);
    return mem_available_kb() > 2 * need_kb;
}

static void step(const char *who, const char *label, size_t target, const char *limit) {
    child_out o = {0};
    scale_row row = {label, limit, target, 0, 0, 0, 0, 0, o.stop};
    if (!fits_in_ram(who, target)) {
        snprintf(o.stop, sizeof o.stop,
                 "skipped: needs about %zu MiB of locked RAM, more than half of MemAvailable",
                 target * ((size_t)sysconf(_SC_PAGESIZE) / 1024 + 1) / 1024);
        results_scale(&row);
        return;
    }
    (void)run_child(who, target, limit, &o);
    row.reached = o.reached;
    row.rss_kb = o.rss_kb;
    row.locked_kb = o.locked_kb;
    row.maps = o.maps;
    row.create_ns = o.create_ns;
    results_scale(&row);
}

void bench_scale(void) {
    size_t full[] = {10000, 100000, 200000, 1000000};
    size_t quick[] = {1000, 10000, 20000, 40000};
    const size_t *t = timing_quick() ? quick : full;
    for (int i = 0; i < 4; i++)
        step("PROTECTED", "securememory PROTECTED", t[i], LIMIT_UN);
    for (int i = 0; i < 4; i++)
        if (i != 2)
            step("ENCLAVE", "securememory ENCLAVE", t[i], LIMIT_8M);
    for (int i = 0; i < 4; i++)
        if (i != 2)
            step("libsodium", "libsodium sodium_malloc", t[i], LIMIT_UN);
}
