/*
 * No plaintext left in the process when a caught signal ends it (issue 11,
 * section 1): after SIGTERM, SIGINT, a SIGSEGV in a worker thread, or
 * abort(), a whole-process scan finds no copy of a secret.
 *
 * Each scenario runs in a forked child that catches every signal
 * (sm_signal_catch), holds a PROTECTED and an ENCLAVE secret made from a
 * pattern the parent knows, uses them the way callers do (a read into
 * memory the caller then wipes, an access that copies into guarded
 * memory), and is then ended by the signal. The library's end hook
 * (sm__signal_set_end_hook: the secrets are wiped, the process is about to
 * end) asks the parent to scan it: the parent reads every mapping of the
 * child through /proc/<pid>/mem (scan.h) while the child waits.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>

#include "harness.h"
#include "scan.h"
#include "signal_internal.h"

#define LEN 64u

enum { END_SIGTERM, END_SIGINT, END_SEGV_IN_WORKER, END_ABORT };

static int rep_wr = -1, ack_rd = -1; /* child's ends of the two pipes */

/* End hook (async-signal-safe): ask the parent to scan, wait until it has. */
static void end_hook(int signo) {
    (void)signo;
    char c = 'R';
    ssize_t n = write(rep_wr, &c, 1);
    n = read(ack_rd, &c, 1);
    (void)n;
}

static int copy_cb(void *ctx, const uint8_t *data, size_t len) {
    memcpy(ctx, data, len);
    return 0;
}

static volatile int *no_access_page; /* a real fault, not undefined behaviour UBSan would stop */

/* The worker copies the secret (its registers hold it), then faults. */
static int fault_cb(void *ctx, const uint8_t *data, size_t len) {
    memcpy(ctx, data, len);
    *no_access_page = 1;
    return 0;
}

static sm_secret *enclave_secret;
static sm_buffer *scratch;

static void *worker(void *arg) {
    (void)arg;
    (void)sm_secret_with_bytes(enclave_secret, fault_cb, sm_buffer_data(scratch));
    return NULL;
}

/* Makes the secrets from pattern (wiped) and uses them; 0 on success. */
static int hold_and_use(uint8_t *pattern, sm_secret **prot) {
    uint8_t *copy = malloc(LEN), *heap = malloc(LEN);
    if (copy == NULL || heap == NULL || sm_buffer_new(LEN, &scratch) != SM_OK)
        return 1;
    memcpy(copy, pattern, LEN);
    if (sm_secret_new(SM_KIND_PROTECTED, pattern, LEN, prot) != SM_OK ||
        sm_secret_new(SM_KIND_ENCLAVE, copy, LEN, &enclave_secret) != SM_OK)
        return 2;
    size_t n = 0;
    if (sm_secret_read(enclave_secret, 0, heap, LEN, &n) != SM_OK || n != LEN)
        return 3;
    sm_wipe(heap, LEN); /* the caller's copy, wiped by the caller */
    if (sm_secret_with_bytes(*prot, copy_cb, sm_buffer_data(scratch)) != SM_OK)
        return 4;
    free(copy);
    free(heap);
    return 0;
}

static int child(int scenario, uint8_t *pattern) {
    sm_secret *prot = NULL;
    if (sm_signal_catch(NULL, NULL) != SM_OK)
        return 10;
    sm__signal_set_end_hook(end_hook);
    int rc = hold_and_use(pattern, &prot);
    if (rc != 0)
        return rc;
    char ready = 'S';
    pthread_t t;
    switch (scenario) {
    case END_SEGV_IN_WORKER:
        no_access_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (no_access_page == MAP_FAILED || pthread_create(&t, NULL, worker, NULL) != 0)
            return 11;
        pthread_join(t, NULL);
        return 12; /* not reached: the fault ends the process */
    case END_ABORT:
        abort();
    default:
        if (write(rep_wr, &ready, 1) != 1)
            return 13;
        for (;;)
            pause();
    }
}

typedef struct outcome {
    int status, scanned, timed_out;
    scan_result scan;
} outcome;

/* Parent: answers the child's 'S' (send the signal) and 'R' (scan now). */
static void watch(pid_t pid, int sig, int rep_rd, int ack_wr, const uint8_t *pattern, outcome *o) {
    for (;;) {
        struct pollfd p = {.fd = rep_rd, .events = POLLIN};
        if (poll(&p, 1, 20000) <= 0) {
            o->timed_out = 1;
            kill(pid, SIGKILL);
            break;
        }
        char c;
        if (read(rep_rd, &c, 1) != 1)
            break; /* the child is gone */
        if (c == 'S') {
            kill(pid, sig);
        } else if (c == 'R') {
            o->scan = scan_process(pid, pattern, LEN);
            o->scanned = 1;
            if (write(ack_wr, "a", 1) != 1)
                break;
        }
    }
    while (waitpid(pid, &o->status, 0) < 0 && errno == EINTR) {
    }
}

static void run(int scenario, int sig, outcome *o) {
    memset(o, 0, sizeof *o);
    uint8_t *pattern = malloc(LEN);
    int rep[2], ack[2];
    if (pattern == NULL || pipe(rep) != 0 || pipe(ack) != 0)
        return;
    randombytes_buf(pattern, LEN);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        close(rep[0]);
        close(ack[1]);
        rep_wr = rep[1];
        ack_rd = ack[0];
        _exit(child(scenario, pattern));
    }
    close(rep[1]);
    close(ack[0]);
    watch(pid, sig, rep[0], ack[1], pattern, o);
    close(rep[0]);
    close(ack[1]);
    sm_wipe(pattern, LEN);
    free(pattern);
}

static void check_outcome(const char *what, const outcome *o) {
    if (!o->scanned || o->scan.hits != 0 || o->timed_out)
        printf("# %s: status %#x, scanned %d, timed out %d\n", what, o->status, o->scanned,
               o->timed_out);
    if (o->scanned)
        scan_print(what, &o->scan);
    CHECK(!o->timed_out);
    CHECK(o->scanned);
    CHECK(o->scan.hits == 0);
    CHECK(o->scan.bytes > 100000);
}

static void test_sigterm(void) {
    outcome o;
    run(END_SIGTERM, SIGTERM, &o);
    check_outcome("SIGTERM", &o);
    CHECK(child_exited_with(o.status, 1));
}

static void test_sigint(void) {
    outcome o;
    run(END_SIGINT, SIGINT, &o);
    check_outcome("SIGINT", &o);
    CHECK(child_exited_with(o.status, 1));
}

static void test_sigsegv_in_worker(void) {
    outcome o;
    run(END_SEGV_IN_WORKER, 0, &o);
    check_outcome("SIGSEGV in a worker", &o);
    CHECK(child_killed_by(o.status, SIGSEGV));
}

static void test_abort(void) {
    outcome o;
    run(END_ABORT, 0, &o);
    check_outcome("abort()", &o);
    CHECK(child_killed_by(o.status, SIGABRT));
}

int main(void) {
    if (sodium_init() < 0)
        return 1;
    signal(SIGPIPE, SIG_IGN);
    RUN(test_sigterm);
    RUN(test_sigint);
    RUN(test_sigsegv_in_worker);
    RUN(test_abort);
    return harness_done();
}
