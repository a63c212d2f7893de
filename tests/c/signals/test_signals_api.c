/*
 * The signal API's contract: argument errors, which signals are caught,
 * replacing and releasing handlers, no leaked threads, no change to the
 * callers' signal masks, and fork. Every scenario runs in a child.
 */
#include <dirent.h>
#include <sched.h>
#include <sys/ioctl.h>

#include "observe.h"

static int child_failures;

/* CHECK for code running in a child: prints at once (the child ends with _exit). */
#define CCHECK(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("# child %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                \
            fflush(stdout);                                                                        \
            child_failures++;                                                                      \
        }                                                                                          \
    } while (0)

static void noop_handler(void *ctx, int signo) {
    (void)ctx;
    (void)signo;
}

static int task_count(void) {
    DIR *d = opendir("/proc/self/task");
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* The task count once it settles at want (an exiting thread lingers briefly). */
static int task_count_settled(int want) {
    int n = task_count();
    for (int i = 0; i < 200 && n != want; i++) {
        usleep(5000);
        n = task_count();
    }
    return n;
}

static int handler_is(int signo, void (*fn)(int)) {
    struct sigaction cur;
    return sigaction(signo, NULL, &cur) == 0 && !(cur.sa_flags & SA_SIGINFO) &&
           cur.sa_handler == fn;
}

static int handler_is_library(int signo) {
    struct sigaction cur;
    return sigaction(signo, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
           cur.sa_sigaction == sm__sig_on_signal;
}

/* ---------------------------------------------------------------- */

static int args_child(void *arg) {
    (void)arg;
    int tasks = task_count();
    const int bad[] = {SIGKILL, SIGSTOP, 0, 9999, -1, SIGUSR1, SIGCHLD};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CCHECK(sm_signal_catch_signals(noop_handler, NULL, &bad[i], 1) == SM_ERR_INVALID);
        CCHECK(sm_signal_set_exit_code(bad[i], 1) == SM_ERR_INVALID);
    }
    const int mixed[] = {SIGINT, SIGKILL};
    CCHECK(sm_signal_catch_signals(noop_handler, NULL, mixed, 2) == SM_ERR_INVALID);
    CCHECK(sm_signal_catch_signals(noop_handler, NULL, mixed, 0) == SM_ERR_INVALID);
    CCHECK(sm_signal_catch_signals(noop_handler, NULL, NULL, 1) == SM_ERR_INVALID);
    CCHECK(sm_signal_catch_signals(noop_handler, NULL, NULL, 0) == SM_ERR_INVALID);
    CCHECK(handler_is(SIGINT, SIG_DFL)); /* a failed call installs nothing */
    CCHECK(task_count() == tasks);       /* ... and starts no thread */
    const int codes_bad[] = {256, -2, 1000, -1000};
    for (size_t i = 0; i < sizeof codes_bad / sizeof codes_bad[0]; i++)
        CCHECK(sm_signal_set_exit_code(SIGINT, codes_bad[i]) == SM_ERR_INVALID);
    CCHECK(sm_signal_set_exit_code(SIGINT, 0) == SM_OK);
    CCHECK(sm_signal_set_exit_code(SIGINT, 255) == SM_OK);
    CCHECK(sm_signal_set_exit_code(SIGINT, SM_EXIT_RERAISE) == SM_OK);
    CCHECK(sm_signal_set_exit_code(SIGSEGV, 3) == SM_OK);
    CCHECK(sm_signal_release() == SM_OK); /* nothing caught: still fine */
    return child_failures;
}

static void test_argument_errors(void) {
    CHECK(child_exited_with(run_in_child(args_child, NULL), 0));
}

/* ---------------------------------------------------------------- */

static int leak_child(void *arg) {
    (void)arg;
    const int term = SIGTERM;
    int n0 = task_count();
    CCHECK(n0 >= 1);
    CCHECK(sm_signal_catch(noop_handler, NULL) == SM_OK);
    CCHECK(task_count() == n0 + 1);
    CCHECK(sm_signal_catch(noop_handler, NULL) == SM_OK);
    CCHECK(sm_signal_catch_signals(noop_handler, NULL, &term, 1) == SM_OK);
    CCHECK(sm_signal_catch_interrupt() == SM_OK);
    CCHECK(task_count() == n0 + 1);
    CCHECK(sm_signal_release() == SM_OK);
    CCHECK(task_count_settled(n0) == n0);
    CCHECK(sm__signal_thread_tid() == 0);
    CCHECK(sm_signal_release() == SM_OK); /* idempotent */
    for (int i = 0; i < 20; i++) {        /* catch/release cycles leak nothing */
        CCHECK(sm_signal_catch(noop_handler, NULL) == SM_OK);
        CCHECK(sm_signal_release() == SM_OK);
    }
    CCHECK(task_count_settled(n0) == n0);
    return child_failures;
}

static void test_catching_twice_leaks_no_thread(void) {
    CHECK(child_exited_with(run_in_child(leak_child, NULL), 0));
}

/* ---------------------------------------------------------------- */

/* 1 when the kernel reports signo blocked for thread tid. */
static int thread_blocks(int tid, int signo) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/status", tid);
    FILE *f = fopen(path, "r");
    unsigned long long mask = 0;
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "SigBlk: %llx", &mask) == 1)
            break;
    if (f != NULL)
        fclose(f);
    return (mask >> (signo - 1)) & 1;
}

static int same_mask(const sigset_t *a, const sigset_t *b) {
    for (int s = 1; s < NSIG; s++)
        if (sigismember(a, s) != sigismember(b, s))
            return 0;
    return 1;
}

static int mask_child(void *arg) {
    (void)arg;
    sigset_t before, after;
    pthread_sigmask(SIG_BLOCK, NULL, &before);
    CCHECK(sm_signal_catch(noop_handler, NULL) == SM_OK);
    pthread_sigmask(SIG_BLOCK, NULL, &after);
    CCHECK(same_mask(&before, &after)); /* the caller's mask is untouched */
    for (int i = 0; i < SM__SIG_COUNT; i++) {
        struct sigaction cur;
        CCHECK(sigaction(sm__sig_numbers[i], NULL, &cur) == 0);
        CCHECK(cur.sa_sigaction == sm__sig_on_signal);
        CCHECK((cur.sa_flags & (SA_SIGINFO | SA_ONSTACK | SA_RESTART)) ==
               (SA_SIGINFO | SA_ONSTACK | SA_RESTART));
    }
    int tid = sm__signal_thread_tid(); /* published before catch returns */
    CCHECK(tid != 0 && tid != obs_tid());
    CCHECK(thread_blocks(tid, SIGINT) && thread_blocks(tid, SIGTERM));
    CCHECK(thread_blocks(tid, SIGHUP) && thread_blocks(tid, SIGQUIT));
    CCHECK(!thread_blocks(tid, SIGSEGV) && !thread_blocks(tid, SIGABRT));
    CCHECK(!thread_blocks(obs_tid(), SIGINT));
    CCHECK(sm_signal_release() == SM_OK);
    return child_failures;
}

static void test_handlers_and_masks(void) {
    CHECK(child_exited_with(run_in_child(mask_child, NULL), 0));
}

/* ---------------------------------------------------------------- */

static volatile sig_atomic_t app_flag;

static void app_handler(int signo) {
    app_flag = 1;
    obs_send(MSG_APP, signo, 0, 0);
}

static int install_app(int signo) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = app_handler;
    sigemptyset(&sa.sa_mask);
    return sigaction(signo, &sa, NULL);
}

static void wait_app_flag(void) {
    while (!app_flag)
        pause();
    app_flag = 0;
}

static handler_plan plan_a = {.tag = 'A'};
static handler_plan plan_b = {.tag = 'B'};

/* An application handler installed before catch runs again after release. */
static int release_child(void *arg) {
    (void)arg;
    obs_child_begin();
    CCHECK(install_app(SIGINT) == 0);
    CCHECK(sm_signal_catch(obs_user_handler, &plan_a) == SM_OK);
    CCHECK(handler_is_library(SIGINT) && handler_is_library(SIGSEGV));
    CCHECK(sm_signal_release() == SM_OK);
    CCHECK(handler_is(SIGINT, app_handler));
    CCHECK(handler_is(SIGTERM, SIG_DFL) && handler_is(SIGSEGV, SIG_DFL));
    obs_ready();
    wait_app_flag();
    return child_failures;
}

static void test_release_restores_previous_handlers(void) {
    obs_plan p = {.child = release_child, .on_ready = {SIGINT}};
    obs_result r;
    obs_run(&p, &r);
    obs_print("release", &r);
    CHECK(!r.timed_out);
    CHECK(r.app_runs == 1 && r.app_signo == SIGINT);
    CHECK(r.handler_runs == 0);
    CHECK(child_exited_with(r.status, 0));
}

/* ---------------------------------------------------------------- */

static int list_child(void *arg) {
    (void)arg;
    const int only_int = SIGINT;
    obs_child_begin();
    CCHECK(install_app(SIGHUP) == 0);
    CCHECK(sm_signal_catch_signals(obs_user_handler, &plan_a, &only_int, 1) == SM_OK);
    CCHECK(handler_is(SIGHUP, app_handler) && handler_is(SIGTERM, SIG_DFL));
    obs_ready(); /* the parent sends SIGHUP: the app's handler runs */
    wait_app_flag();
    obs_ready(); /* the parent sends SIGINT: the library's */
    obs_forever();
    return 1;
}

static void test_unlisted_signal_keeps_its_handler(void) {
    obs_plan p = {.child = list_child, .on_ready = {SIGHUP, SIGINT}};
    obs_result r;
    obs_run(&p, &r);
    obs_print("list (HUP, then INT)", &r);
    CHECK(!r.timed_out);
    CHECK(r.app_runs == 1 && r.app_signo == SIGHUP);
    CHECK(r.handler_runs == 1 && r.handler_signo == SIGINT && r.handler_tag == 'A');
    CHECK(child_exited_with(r.status, 1));
}

static void test_unlisted_signal_keeps_default(void) {
    obs_plan p = {.child = list_child, .on_ready = {SIGTERM}};
    obs_result r;
    obs_run(&p, &r);
    obs_print("list (TERM)", &r);
    CHECK(!r.timed_out);
    CHECK(r.handler_runs == 0);
    CHECK(child_killed_by(r.status, SIGTERM));
}

/* ---------------------------------------------------------------- */

/* A second catch replaces the handler and the list; dropped signals get theirs back. */
static int replace_child(void *arg) {
    (void)arg;
    const int only_term = SIGTERM;
    obs_child_begin();
    CCHECK(sm_signal_catch(obs_user_handler, &plan_a) == SM_OK);
    CCHECK(sm_signal_catch_signals(obs_user_handler, &plan_b, &only_term, 1) == SM_OK);
    CCHECK(handler_is_library(SIGTERM));
    CCHECK(handler_is(SIGINT, SIG_DFL) && handler_is(SIGSEGV, SIG_DFL));
    CCHECK(handler_is(SIGABRT, SIG_DFL) && handler_is(SIGHUP, SIG_DFL));
    obs_ready();
    obs_forever();
    return 1;
}

static void test_replace_drops_signals(void) {
    obs_plan p = {.child = replace_child, .on_ready = {SIGINT}};
    obs_result r;
    obs_run(&p, &r);
    obs_print("replace (INT)", &r);
    CHECK(!r.timed_out);
    CHECK(r.handler_runs == 0);
    CHECK(child_killed_by(r.status, SIGINT));
}

static void test_replace_uses_new_handler(void) {
    obs_plan p = {.child = replace_child, .on_ready = {SIGTERM}};
    obs_result r;
    obs_run(&p, &r);
    obs_print("replace (TERM)", &r);
    CHECK(!r.timed_out);
    CHECK(r.handler_runs == 1 && r.handler_tag == 'B' && r.handler_signo == SIGTERM);
    CHECK(child_exited_with(r.status, 1));
}

/* ---------------------------------------------------------------- */

static int grandchild(int recatch) {
    if (recatch && sm_signal_catch(obs_user_handler, &plan_b) != SM_OK)
        _exit(90);
    raise(SIGINT);
    sleep(10);
    _exit(91);
}

static int fork_and_interrupt(int recatch) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        grandchild(recatch);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    return st;
}

/* A forked child has no handler thread: its signals never reach the parent's. */
static int fork_child(void *arg) {
    (void)arg;
    obs_child_begin();
    CCHECK(sm_signal_catch(obs_user_handler, &plan_a) == SM_OK);
    CCHECK(sm_signal_set_exit_code(SIGINT, 17) == SM_OK);
    int st = fork_and_interrupt(0);
    CCHECK(child_exited_with(st, 17)); /* lock-free path: wipe, then the code */
    st = fork_and_interrupt(1);
    CCHECK(child_exited_with(st, 17)); /* a new catch in the child starts its own thread */
    CCHECK(sm__signal_thread_tid() != 0);
    CCHECK(sm_signal_release() == SM_OK);
    return child_failures;
}

static void test_fork_child_is_independent(void) {
    obs_plan p = {.child = fork_child};
    obs_result r;
    obs_run(&p, &r);
    obs_print("fork", &r);
    CHECK(!r.timed_out);
    CHECK(r.handler_runs == 1 && r.handler_tag == 'B'); /* only the re-catching grandchild's */
    CHECK(child_exited_with(r.status, 0));
}

/* ---------------------------------------------------------------- */

/* Runs the calling process on one CPU only (the first it may use); 0 on success. */
static int one_cpu(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return -1;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (CPU_ISSET(c, &set)) {
            CPU_ZERO(&set);
            CPU_SET(c, &set);
            return sched_setaffinity(0, sizeof set, &set);
        }
    }
    return -1;
}

/*
 * The handler thread is ready (its tid published) when catch returns. On
 * one CPU the new thread usually has not run yet when pthread_create
 * returns, so a catch that did not wait for it shows tid 0 here.
 */
static int ready_child(void *arg) {
    (void)arg;
    CCHECK(one_cpu() == 0);
    int zero = 0;
    for (int i = 0; i < 50; i++) {
        CCHECK(sm_signal_catch(noop_handler, NULL) == SM_OK);
        zero += sm__signal_thread_tid() == 0;
        CCHECK(sm_signal_release() == SM_OK);
    }
    CCHECK(zero == 0);
    return child_failures;
}

static void test_catch_returns_with_thread_ready(void) {
    CHECK(child_exited_with(run_in_child(ready_child, NULL), 0));
}

/* ---------------------------------------------------------------- */

/*
 * fork() while another thread is inside the OS handler's notify(): the
 * child inherits the in-flight count of a thread it does not have. A fork
 * cannot be made to land in those few instructions on demand, so the test
 * sets the count the way that thread would have. release() in the child
 * waits for the count to drop: it must not wait for a thread that is gone.
 */
static int inflight_child(void *arg) {
    (void)arg;
    CCHECK(sm_signal_catch(noop_handler, NULL) == SM_OK);
    atomic_fetch_add(&sm__sig.inflight, 1); /* "a thread inside notify()" */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(5); /* a release that waits forever dies by SIGALRM */
        if (sm_signal_catch(noop_handler, NULL) != SM_OK)
            _exit(2);
        _exit(sm_signal_release() == SM_OK ? 0 : 3);
    }
    atomic_fetch_sub(&sm__sig.inflight, 1); /* "that thread leaves notify()" */
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    CCHECK(child_exited_with(st, 0));
    CCHECK(sm_signal_release() == SM_OK);
    return child_failures;
}

static void test_fork_inside_notify(void) {
    CHECK(child_exited_with(run_in_child(inflight_child, NULL), 0));
}

/* ---------------------------------------------------------------- */

static int fd_open(int fd) {
    return fcntl(fd, F_GETFD) >= 0;
}

/*
 * The handler thread lost its pipe (a daemon closed every descriptor, then
 * reused the numbers). The next catch joins it and starts a new thread;
 * release never closes the reused numbers, which are not the library's.
 */
static int relost_child(void *arg) {
    (void)arg;
    int n0 = task_count();
    CCHECK(sm_signal_catch(noop_handler, NULL) == SM_OK);
    int rd, wr;
    sm__signal_pipe_fds(&rd, &wr);
    CCHECK(rd >= 0 && wr >= 0);
    close(rd);
    close(wr);
    for (int i = 0; i < 2000 && sm__signal_thread_tid() != 0; i++)
        usleep(1000);
    CCHECK(sm__signal_thread_tid() == 0); /* it saw the end of its pipe and left */
    int null = open("/dev/null", O_RDONLY);
    CCHECK(null >= 0);
    if (null != rd)
        dup2(null, rd);
    if (null != wr)
        dup2(null, wr);
    if (null != rd && null != wr)
        close(null);
    CCHECK(sm_signal_catch(noop_handler, NULL) == SM_OK);
    CCHECK(sm__signal_thread_tid() != 0); /* a new thread */
    int rd2, wr2;
    sm__signal_pipe_fds(&rd2, &wr2);
    CCHECK(rd2 >= 0 && wr2 >= 0 && rd2 != rd && rd2 != wr && wr2 != rd && wr2 != wr);
    CCHECK(task_count_settled(n0 + 1) == n0 + 1); /* the old one was joined */
    CCHECK(sm_signal_release() == SM_OK);
    CCHECK(task_count_settled(n0) == n0);
    CCHECK(fd_open(rd) && fd_open(wr));     /* not ours: left alone */
    CCHECK(!fd_open(rd2) && !fd_open(wr2)); /* ours: closed */
    return child_failures;
}

static void test_catch_after_lost_pipe(void) {
    CHECK(child_exited_with(run_in_child(relost_child, NULL), 0));
}

/*
 * Only the read end was closed and its number reused for another
 * component's pipe, which holds data. The handler thread, woken by a byte
 * on its own pipe, must not read that descriptor again: it leaves, and the
 * other pipe's bytes (a SIGTERM number among them) stay where they are.
 */
/* 1 once thread tid is blocked in system call nr (as /proc reports it), within 2 s. */
static int wait_in_syscall(int tid, long nr) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", tid);
    for (int i = 0; i < 2000; i++) {
        long got = -1;
        FILE *f = fopen(path, "r");
        if (f != NULL && fscanf(f, "%ld", &got) != 1)
            got = -1;
        if (f != NULL)
            fclose(f);
        if (got == nr)
            return 1;
        usleep(1000);
    }
    return 0;
}

static int reused_child(void *arg) {
    (void)arg;
    CCHECK(sm_signal_catch(noop_handler, NULL) == SM_OK);
    /* In read(): the old pipe then keeps a reader for the wake-up byte. */
    CCHECK(wait_in_syscall(sm__signal_thread_tid(), SYS_read));
    int rd, wr, other[2];
    sm__signal_pipe_fds(&rd, &wr);
    CCHECK(rd >= 0 && wr >= 0 && pipe(other) == 0);
    const unsigned char data[3] = {SIGTERM, SIGINT, 7};
    CCHECK(write(other[1], data, sizeof data) == (ssize_t)sizeof data);
    CCHECK(dup2(other[0], rd) == rd);
    const unsigned char wake = 200; /* not a signal number: the thread reads on */
    CCHECK(write(wr, &wake, 1) == 1);
    for (int i = 0; i < 2000 && sm__signal_thread_tid() != 0; i++)
        usleep(1000);
    CCHECK(sm__signal_thread_tid() == 0);
    int left = 0;
    CCHECK(ioctl(other[0], FIONREAD, &left) == 0 && left == (int)sizeof data);
    CCHECK(sm_signal_release() == SM_OK);
    CCHECK(fd_open(rd)); /* not ours any more: left open */
    return child_failures;
}

static void test_thread_never_reads_reused_descriptor(void) {
    CHECK(child_exited_with(run_in_child(reused_child, NULL), 0));
}

/* ---------------------------------------------------------------- */

/*
 * A signal that the OS handler accepted while release() stopped the thread
 * lands in the pipe after the stop request, where no one reads it. The
 * test puts the bytes there in that order (a stop request, then SIGTERM),
 * as that race leaves them; release() hands SIGTERM to the handler it
 * restores, the application's.
 */
static int redeliver_child(void *arg) {
    (void)arg;
    const int term = SIGTERM;
    obs_child_begin();
    CCHECK(install_app(SIGTERM) == 0);
    CCHECK(sm_signal_catch_signals(obs_user_handler, &plan_a, &term, 1) == SM_OK);
    int rd, wr;
    sm__signal_pipe_fds(&rd, &wr);
    const unsigned char race[2] = {0, SIGTERM};
    CCHECK(write(wr, race, sizeof race) == (ssize_t)sizeof race);
    CCHECK(sm_signal_release() == SM_OK);
    for (int i = 0; i < 1000 && !app_flag; i++)
        usleep(1000);
    CCHECK(app_flag);
    return child_failures;
}

static void test_signal_racing_release_is_redelivered(void) {
    obs_plan p = {.child = redeliver_child, .timeout_ms = 5000};
    obs_result r;
    obs_run(&p, &r);
    obs_print("redelivered", &r);
    CHECK(!r.timed_out);
    CHECK(r.handler_runs == 0);
    CHECK(r.app_runs == 1 && r.app_signo == SIGTERM);
    CHECK(child_exited_with(r.status, 0));
}

int main(void) {
    RUN(test_argument_errors);
    RUN(test_catching_twice_leaks_no_thread);
    RUN(test_handlers_and_masks);
    RUN(test_release_restores_previous_handlers);
    RUN(test_unlisted_signal_keeps_its_handler);
    RUN(test_unlisted_signal_keeps_default);
    RUN(test_replace_drops_signals);
    RUN(test_replace_uses_new_handler);
    RUN(test_fork_child_is_independent);
    RUN(test_catch_returns_with_thread_ready);
    RUN(test_fork_inside_notify);
    RUN(test_catch_after_lost_pipe);
    RUN(test_thread_never_reads_reused_descriptor);
    RUN(test_signal_racing_release_is_redelivered);
    return harness_done();
}
