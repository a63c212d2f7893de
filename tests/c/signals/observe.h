/*
 * Observing a child process that the signal layer ends.
 *
 * Each scenario runs in a forked child that reports to the parent through
 * a pipe of fixed-size messages (each written with one write(), so they
 * never interleave and the sending code is async-signal-safe).
 *
 * How "every secret's bytes were zero before the process ended" is
 * observed, from outside the library:
 *
 * 1. The child reports the address and length of every secret byte range
 *    (a plain buffer, PROTECTED secrets at rest and in use, the plaintext
 *    of an ENCLAVE secret in use). At setup the parent reads them through
 *    /proc/<pid>/mem and checks they hold the secret (nonzero) bytes, so
 *    the method can see a secret that was not wiped.
 * 2. sm_purge() releases memory: it wipes the pages, then gives them back
 *    (unmapped, or returned to the page pool and made inaccessible, later
 *    maybe reused). So the question is what a range held at that moment.
 *    The page allocator's release observer (sm__pages_set_release_observer)
 *    is called after the wipe, right before the pages are given back: it
 *    reads each watched range inside them through /proc/self/mem (which
 *    works whatever the page protection) and reports zero / nonzero ('U').
 * 3. The library's internal test hook (sm__signal_set_end_hook) runs after
 *    the wipe, right before the process ends, on every ending path: the
 *    handler thread after sm_purge(), or signal context after the
 *    lock-free wipe (faults, a second signal, a stuck purge). The child's
 *    hook only says "inspect me now" ('R') and blocks until the parent has
 *    read every watched range still mapped through /proc/<pid>/mem. The
 *    lock-free wipe leaves ranges mapped (zeroed), so this is where the
 *    fault paths are observed.
 * A range passes when it was released holding zeros, or when it was not
 * released and zero at the final inspection.
 *
 * The observer and the hook are only installed in children that watch
 * ranges (obs_child_begin).
 */
#ifndef SM_TEST_OBSERVE_H
#define SM_TEST_OBSERVE_H

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

#include "harness.h"
#include "pages.h"
#include "signal_internal.h"

enum {
    MSG_MAIN = 'M',    /* a = main thread tid */
    MSG_WORKER = 'T',  /* a = worker (faulting) thread tid */
    MSG_WATCH = 'W',   /* a = index, b = address, c = length */
    MSG_READY = 'S',   /* setup done: the parent acts (sends its next signal) */
    MSG_HANDLER = 'H', /* user handler ran: a = tid, b = signo, c = ctx tag */
    MSG_RELEASE = 'U', /* a = index, b = 1 when the range was zero when its pages were released */
    MSG_INSPECT = 'R', /* end hook: a = signo, b = tid; the child waits for an ack */
    MSG_APP = 'A',     /* an application handler ran: a = signo, b = 1 if memory was zero */
    MSG_NOTE = 'N',    /* a free value: a = key, b = value */
};

typedef struct obs_msg {
    int32_t type;
    int32_t a;
    uint64_t b;
    uint64_t c;
} obs_msg;

#define OBS_MAX_WATCH 16
#define OBS_MAX_NOTES 8

/* ---------------------------------------------------------------- */
/* Child side                                                         */
/* ---------------------------------------------------------------- */

static int obs_fd = -1;    /* report pipe, write end */
static int obs_ack = -1;   /* ack pipe (for 'R'), read end */
static int obs_go = -1;    /* go pipe (for 'S'), read end */
static int obs_memfd = -1; /* /proc/self/mem */
static atomic_int obs_nwatch;
static struct {
    uintptr_t addr;
    size_t len;
    atomic_int active;
} obs_watch[OBS_MAX_WATCH];

static inline int obs_tid(void) {
    return (int)syscall(SYS_gettid);
}

/* Async-signal-safe. */
static inline void obs_send(int type, int a, uint64_t b, uint64_t c) {
    obs_msg m = {type, a, b, c};
    ssize_t n = write(obs_fd, &m, sizeof m);
    (void)n;
}

/* 1 when [addr, addr+len) of the process behind fd reads as all zero; -1 if unreadable. */
static inline int obs_read_zero(int fd, uintptr_t addr, size_t len) {
    unsigned char chunk[512];
    unsigned char acc = 0;
    for (size_t off = 0; off < len; off += sizeof chunk) {
        size_t n = len - off < sizeof chunk ? len - off : sizeof chunk;
        if (pread(fd, chunk, n, (off_t)(addr + off)) != (ssize_t)n)
            return -1;
        for (size_t i = 0; i < n; i++)
            acc |= chunk[i];
    }
    return acc == 0;
}

static inline void obs_watch_range(const void *p, size_t len) {
    int i = atomic_fetch_add(&obs_nwatch, 1);
    if (i >= OBS_MAX_WATCH)
        return;
    obs_watch[i].addr = (uintptr_t)p;
    obs_watch[i].len = len;
    atomic_store(&obs_watch[i].active, 1);
    obs_send(MSG_WATCH, i, (uint64_t)(uintptr_t)p, len);
}

/* 1 when every watched range still active reads as zero in this process. */
static inline int obs_self_all_zero(void) {
    int n = atomic_load(&obs_nwatch);
    for (int i = 0; i < n && i < OBS_MAX_WATCH; i++)
        if (atomic_load(&obs_watch[i].active) &&
            obs_read_zero(obs_memfd, obs_watch[i].addr, obs_watch[i].len) != 1)
            return 0;
    return 1;
}

/*
 * The release observer (see the top of this file). The first release of a
 * watched range reports what it held; later uses of the same pages are not
 * ours to judge.
 */
static inline void obs_on_release(const uint8_t *inner, size_t len) {
    uintptr_t lo = (uintptr_t)inner, hi = lo + len;
    int n = atomic_load(&obs_nwatch);
    for (int i = 0; i < n && i < OBS_MAX_WATCH; i++) {
        if (obs_watch[i].addr < lo || obs_watch[i].addr + obs_watch[i].len > hi)
            continue;
        int one = 1;
        if (!atomic_compare_exchange_strong(&obs_watch[i].active, &one, 0))
            continue;
        int zero = obs_read_zero(obs_memfd, obs_watch[i].addr, obs_watch[i].len);
        obs_send(MSG_RELEASE, i, zero == 1, 0);
    }
}

/* The end hook: ask the parent to inspect now, wait until it has. Async-signal-safe. */
static inline void obs_end_hook(int signo) {
    obs_send(MSG_INSPECT, signo, (uint64_t)obs_tid(), 0);
    char ack;
    while (read(obs_ack, &ack, 1) < 0 && errno == EINTR) {
    }
}

/* Setup is done: the parent checks the secrets are visible, acts, then lets us go on. */
static inline void obs_ready(void) {
    obs_send(MSG_READY, 0, 0, 0);
    char go;
    while (read(obs_go, &go, 1) < 0 && errno == EINTR) {
    }
}

/* Blocks the asynchronous signals on the calling thread (test threads). */
static inline void obs_block_async(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGQUIT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* Sleeps forever in the calling thread (signals still run their handlers). */
static inline void obs_forever(void) {
    for (;;)
        pause();
}

/* ---------------------------------------------------------------- */
/* Secrets for a child to hold                                       */
/* ---------------------------------------------------------------- */

typedef struct fixture {
    sm_buffer *buf;             /* a plain buffer, read-write, 0xA5 */
    sm_secret *rest;            /* PROTECTED, at rest (no access), 0x5A */
    sm_secret *busy_prot;       /* PROTECTED, held open by a reader thread */
    sm_secret *busy_encl;       /* ENCLAVE, held open (decrypted) by a reader thread */
    int release_rd, release_wr; /* readers return once a byte arrives here */
    int entered_rd, entered_wr; /* each reader writes a byte once inside its callback */
} fixture;

static fixture fx;

static inline sm_secret *fx_secret(sm_kind kind, unsigned char fill, size_t len) {
    unsigned char src[64];
    memset(src, fill, sizeof src);
    sm_secret *s = NULL;
    return sm_secret_new(kind, src, len, &s) == SM_OK ? s : NULL;
}

static inline int fx_watch_cb(void *ctx, const uint8_t *data, size_t len) {
    (void)ctx;
    obs_watch_range(data, len);
    return 0;
}

static inline int fx_reader_cb(void *ctx, const uint8_t *data, size_t len) {
    (void)ctx;
    obs_watch_range(data, len);
    char b = 1;
    ssize_t n = write(fx.entered_wr, &b, 1);
    while ((n = read(fx.release_rd, &b, 1)) < 0 && errno == EINTR) {
    }
    return 0;
}

static inline void *fx_reader_main(void *arg) {
    obs_block_async(); /* kill() then interrupts the main thread */
    (void)sm_secret_with_bytes(arg, fx_reader_cb, NULL);
    return NULL;
}

static inline int fx_start_reader(sm_secret *s) {
    pthread_t t;
    char b;
    if (s == NULL || pthread_create(&t, NULL, fx_reader_main, s) != 0)
        return -1;
    pthread_detach(t);
    return read(fx.entered_rd, &b, 1) == 1 ? 0 : -1;
}

/* Creates the secrets; readers > 0 also holds one PROTECTED, > 1 one ENCLAVE secret open. */
static inline int fx_setup(int readers) {
    int rel[2], ent[2];
    if (pipe(rel) != 0 || pipe(ent) != 0)
        return -1;
    fx.release_rd = rel[0];
    fx.release_wr = rel[1];
    fx.entered_rd = ent[0];
    fx.entered_wr = ent[1];
    if (sm_buffer_new(100, &fx.buf) != SM_OK)
        return -1;
    memset(sm_buffer_data(fx.buf), 0xA5, 100);
    obs_watch_range(sm_buffer_data(fx.buf), 100);
    fx.rest = fx_secret(SM_KIND_PROTECTED, 0x5A, 48);
    if (fx.rest == NULL || sm_secret_with_bytes(fx.rest, fx_watch_cb, NULL) != SM_OK)
        return -1;
    if (readers > 0 && fx_start_reader(fx.busy_prot = fx_secret(SM_KIND_PROTECTED, 0x3C, 40)))
        return -1;
    if (readers > 1 && fx_start_reader(fx.busy_encl = fx_secret(SM_KIND_ENCLAVE, 0xC3, 56)))
        return -1;
    return 0;
}

/* Lets every reader return from its callback. Async-signal-safe. */
static inline void fx_release_readers(void) {
    char b[2] = {1, 1};
    ssize_t n = write(fx.release_wr, b, sizeof b);
    (void)n;
}

/* A user handler for the tests; its ctx says what else to do. */
typedef struct handler_plan {
    int tag;             /* reported in the 'H' message */
    int release_readers; /* let the readers finish (async signals: purge waits for them) */
    int block;           /* never return */
    int try_release;     /* call sm_signal_release() and report its status as note 1 */
    int call_exit;       /* end with exit(exit_code) (1) or sm_exit(exit_code) (2) */
    int exit_code;
} handler_plan;

static inline void obs_user_handler(void *ctx, int signo) {
    const handler_plan *p = ctx;
    obs_send(MSG_HANDLER, obs_tid(), (uint64_t)signo, p != NULL ? (uint64_t)p->tag : 0);
    if (p != NULL && p->try_release)
        obs_send(MSG_NOTE, 1, (uint64_t)sm_signal_release(), 0);
    if (p != NULL && p->release_readers)
        fx_release_readers();
    if (p != NULL && p->block)
        obs_forever();
    if (p != NULL && p->call_exit == 1)
        exit(p->exit_code);
    if (p != NULL && p->call_exit == 2)
        sm_exit(p->exit_code);
}

/* Child preamble: reports the main tid, installs the release observer and the end hook. */
static inline void obs_child_begin(void) {
    obs_send(MSG_MAIN, obs_tid(), 0, 0);
    sm__pages_set_release_observer(obs_on_release);
    sm__signal_set_end_hook(obs_end_hook);
}

/* ---------------------------------------------------------------- */
/* Parent side                                                        */
/* ---------------------------------------------------------------- */

typedef struct obs_plan {
    int (*child)(void *arg);
    void *arg;
    int on_ready[4]; /* the signal to send on the 1st, 2nd... 'S' (0: none) */
    int on_handler;  /* a signal to send once the user handler reports */
    int timeout_ms;  /* kill the child (and fail) after this; default 10 s */
} obs_plan;

typedef struct obs_watch_result {
    uint64_t addr, len;
    int before_nonzero; /* held secret bytes at the first 'S' */
    int released;       /* a 'U' arrived */
    int released_zero;  /* ... and the range was zero then */
    int final_state;    /* at the last inspection: 1 zero, 0 nonzero, -1 unreadable, -2 none */
} obs_watch_result;

typedef struct obs_result {
    int status; /* wait status */
    int timed_out;
    int main_tid, worker_tid;
    int handler_runs, handler_tid, handler_signo, handler_tag;
    int app_runs, app_signo, app_saw_zero;
    int inspections, inspect_signo, inspect_tid;
    int seq_inspect, seq_app, seq; /* message order */
    int nwatch;
    obs_watch_result w[OBS_MAX_WATCH];
    int64_t notes[OBS_MAX_NOTES];
    int64_t ready_ms, end_ms; /* first 'S' and child death, since the fork */
} obs_result;

static inline int64_t obs_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void obs_inspect(pid_t pid, obs_result *r, int before) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    for (int i = 0; i < r->nwatch; i++) {
        int z = fd >= 0 ? obs_read_zero(fd, r->w[i].addr, r->w[i].len) : -1;
        if (before)
            r->w[i].before_nonzero = z == 0;
        else
            r->w[i].final_state = z;
    }
    if (fd >= 0)
        close(fd);
}

static inline void obs_handle(const obs_plan *p, pid_t pid, const obs_msg *m, obs_result *r,
                              const int fds[2], int *readies, int64_t t0) {
    const char one = 1;
    ssize_t n;
    r->seq++;
    switch (m->type) {
    case MSG_MAIN:
        r->main_tid = m->a;
        break;
    case MSG_WORKER:
        r->worker_tid = m->a;
        break;
    case MSG_WATCH:
        if (m->a >= 0 && m->a < OBS_MAX_WATCH) {
            r->w[m->a].addr = m->b;
            r->w[m->a].len = m->c;
            r->w[m->a].final_state = -2;
            if (m->a >= r->nwatch)
                r->nwatch = m->a + 1;
        }
        break;
    case MSG_READY:
        if (*readies == 0) {
            r->ready_ms = obs_now_ms() - t0;
            obs_inspect(pid, r, 1);
        }
        if (*readies < 4 && p->on_ready[*readies] != 0)
            kill(pid, p->on_ready[*readies]);
        (*readies)++;
        n = write(fds[1], &one, 1); /* go */
        (void)n;
        break;
    case MSG_HANDLER:
        r->handler_runs++;
        r->handler_tid = m->a;
        r->handler_signo = (int)m->b;
        r->handler_tag = (int)m->c;
        if (p->on_handler != 0 && r->handler_runs == 1)
            kill(pid, p->on_handler);
        break;
    case MSG_RELEASE:
        if (m->a >= 0 && m->a < OBS_MAX_WATCH) {
            r->w[m->a].released = 1;
            r->w[m->a].released_zero = m->b == 1;
        }
        break;
    case MSG_INSPECT: {
        r->inspections++;
        r->inspect_signo = m->a;
        r->inspect_tid = (int)m->b;
        r->seq_inspect = r->seq;
        obs_inspect(pid, r, 0);
        n = write(fds[0], &one, 1); /* ack */
        (void)n;
        break;
    }
    case MSG_APP:
        r->app_runs++;
        r->app_signo = m->a;
        r->app_saw_zero = m->b == 1;
        r->seq_app = r->seq;
        break;
    case MSG_NOTE:
        if (m->a >= 0 && m->a < OBS_MAX_NOTES)
            r->notes[m->a] = (int64_t)m->b;
        break;
    }
}

static inline pid_t obs_fork(const obs_plan *p, int rep[2], int ack[2], int go[2]) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    close(rep[0]);
    close(ack[1]);
    close(go[1]);
    obs_fd = rep[1];
    obs_ack = ack[0];
    obs_go = go[0];
    obs_memfd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
    _exit(p->child(p->arg) == 0 ? 0 : 1);
}

/* Runs plan in a child and fills *r with what the parent saw. */
static inline void obs_run(const obs_plan *p, obs_result *r) {
    memset(r, 0, sizeof *r);
    signal(SIGPIPE, SIG_IGN); /* the child may be gone when we write go / ack */
    int rep[2], ack[2], go[2];
    if (pipe(rep) != 0 || pipe(ack) != 0 || pipe(go) != 0) {
        r->timed_out = 1;
        return;
    }
    int64_t t0 = obs_now_ms();
    int64_t deadline = t0 + (p->timeout_ms > 0 ? p->timeout_ms : 10000);
    pid_t pid = obs_fork(p, rep, ack, go);
    close(rep[1]);
    close(ack[0]);
    close(go[0]);
    const int out[2] = {ack[1], go[1]};
    int readies = 0;
    for (;;) {
        struct pollfd pfd = {.fd = rep[0], .events = POLLIN};
        int64_t left = deadline - obs_now_ms();
        if (left <= 0 || poll(&pfd, 1, (int)left) == 0) {
            r->timed_out = 1;
            kill(pid, SIGKILL);
            break;
        }
        obs_msg m;
        ssize_t n = read(rep[0], &m, sizeof m);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != (ssize_t)sizeof m)
            break; /* EOF: every thread of the child is gone */
        obs_handle(p, pid, &m, r, out, &readies, t0);
    }
    while (waitpid(pid, &r->status, 0) < 0 && errno == EINTR) {
    }
    r->end_ms = obs_now_ms() - t0;
    close(rep[0]);
    close(ack[1]);
    close(go[1]);
}

/* Every watched range held secret bytes at setup. */
static inline int obs_secrets_seen(const obs_result *r) {
    int ok = r->nwatch > 0;
    for (int i = 0; i < r->nwatch; i++)
        ok &= r->w[i].before_nonzero;
    return ok;
}

/* Every watched range was zero when released, or zero at the last inspection. */
static inline int obs_all_wiped(const obs_result *r) {
    int ok = r->nwatch > 0;
    for (int i = 0; i < r->nwatch; i++) {
        const obs_watch_result *w = &r->w[i];
        int pass = w->released ? w->released_zero : w->final_state == 1;
        if (!pass)
            printf("# range %d (%#llx, %llu bytes): released %d zero %d, final state %d\n", i,
                   (unsigned long long)w->addr, (unsigned long long)w->len, w->released,
                   w->released_zero, w->final_state);
        ok &= pass;
    }
    return ok;
}

static inline void obs_print(const char *what, const obs_result *r) {
    printf("# %s: status %#x (%s %d), timed out %d, handler runs %d (tid %d, main %d, signo %d), "
           "inspections %d, watched %d, %lld ms\n",
           what, r->status, WIFSIGNALED(r->status) ? "signal" : "exit",
           WIFSIGNALED(r->status) ? WTERMSIG(r->status) : WEXITSTATUS(r->status), r->timed_out,
           r->handler_runs, r->handler_tid, r->main_tid, r->handler_signo, r->inspections,
           r->nwatch, (long long)r->end_ms);
}

#endif
