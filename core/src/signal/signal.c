/*
 * Signals: the public API, handler installation and the handler thread.
 * The OS-level handler lives in signal_os.c; docs/signals.md explains the
 * design and its limits.
 *
 * One handler thread, started lazily by the first catch call, blocks every
 * asynchronous signal and reads signal numbers from a self-pipe (read end
 * blocking, write end nonblocking, both O_CLOEXEC). For INT, TERM, HUP and
 * QUIT it runs the user handler, then sm_purge() (bounded by a watchdog)
 * and the lock-free wipe, then ends the process. For a fault it only runs
 * the user handler; the faulting thread has already wiped and ends the
 * process itself. An atexit function finishes the wipe when something
 * calls exit() while a signal is being handled (e.g. the user handler).
 *
 * Global state and locks
 * - api_lock serialises catch, release and the thread's lifecycle. It
 *   guards `installed`, `thread`, the pipe's descriptors and identity
 *   (pipe_fds.rd >= 0 exactly while a handler thread exists, running or gone
 *   but not yet joined), and the writes to sm__sig.prev (made only while
 *   our handler is not installed for that signal). It is held while
 *   waiting for a thread only when that thread has already left its loop.
 * - fn_lock guards user_fn and user_ctx; the handler thread copies them
 *   under it and calls the copy without it.
 * - Everything the OS-level handler reads is an atomic in sm__sig.
 * Lock order: api_lock -> fn_lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "registers.h"
#include "signal_internal.h"
#include "status.h"

#if defined(__GLIBC__) && defined(__GLIBC_PREREQ)
#if __GLIBC_PREREQ(2, 32)
#define HAVE_ATTR_SIGMASK 1
#endif
#endif

#define ALL_SIGNALS ((1u << SM__SIG_COUNT) - 1u)

/* The self-pipe's descriptors and the pipe they referred to when made. */
typedef struct self_pipe {
    int rd, wr;
    dev_t dev;
    ino_t ino;
} self_pipe;

static pthread_mutex_t api_lock = PTHREAD_MUTEX_INITIALIZER;
static int installed[SM__SIG_COUNT];        /* api_lock: our handler is installed */
static pthread_t thread;                    /* api_lock, valid while pipe_fds.rd >= 0 */
static self_pipe pipe_fds = {-1, -1, 0, 0}; /* api_lock; rd >= 0 while there is a thread */

static pthread_mutex_t fn_lock = PTHREAD_MUTEX_INITIALIZER;
static sm_signal_fn user_fn; /* fn_lock */
static void *user_ctx;       /* fn_lock */

static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;

/* ------------------------------------------------------------------ */
/* The handler thread                                                   */
/* ------------------------------------------------------------------ */

/* Every signal except the synchronous ones, which must stay deliverable. */
static void thread_mask(sigset_t *set) {
    static const int sync_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS};
    sigfillset(set);
    for (size_t i = 0; i < sizeof sync_signals / sizeof sync_signals[0]; i++)
        sigdelset(set, sync_signals[i]);
}

static void run_user(int signo) {
    pthread_mutex_lock(&fn_lock);
    sm_signal_fn fn = user_fn;
    void *ctx = user_ctx;
    pthread_mutex_unlock(&fn_lock);
    if (fn != NULL)
        fn(ctx, signo);
}

static void *watchdog_main(void *arg) {
    sm__thread_begin(); /* clears what the creating thread left in the registers */
    int signo = (int)(intptr_t)arg;
    if (!sm__sig_wait_flag(&sm__sig.purge_done, SM__PURGE_WAIT_MS))
        sm__sig_emergency_end(signo); /* sm_purge() is stuck, e.g. on a reader that never leaves */
    return NULL;
}

/* sm_purge(), with a watchdog that ends the process after the lock-free wipe if it hangs. */
static void purge_bounded(int signo) {
    atomic_store(&sm__sig.purge_done, 0);
    pthread_attr_t attr;
    pthread_t wd;
    if (pthread_attr_init(&attr) == 0) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        /* Without a watchdog (no memory for a thread) the purge is merely unbounded. */
        (void)pthread_create(&wd, &attr, watchdog_main, (void *)(intptr_t)signo);
        pthread_attr_destroy(&attr);
    }
    sm_purge();
    atomic_store(&sm__sig.purge_done, 1);
}

/*
 * Wipes every secret before the process ends: sm_purge() (bounded), then
 * the lock-free wipe for what sm_purge() skipped: entries another thread's
 * purge has pinned (that thread may be waiting for a reader that never
 * leaves) and entries added meanwhile.
 */
static void wipe_everything(int signo) {
    purge_bounded(signo);
    sm__sig_wipe();
    atomic_store(&sm__sig.state, SM__ST_ENDING);
}

static SM_NORETURN void end_process(int signo) {
    int code = atomic_load(&sm__sig.exit_code[sm__sig_index(signo)]);
    if (code == SM_EXIT_RERAISE)
        sm__sig_die_by(signo);
    exit(code);
}

static SM_NORETURN void handle_async(int signo) {
    /* Already so unless the signal was queued while a fault was handled. */
    atomic_store(&sm__sig.signo, signo);
    atomic_store(&sm__sig.state, SM__ST_ASYNC);
    run_user(signo);
    wipe_everything(signo);
    sm__sig_call_hook(signo);
    end_process(signo); /* exit(): at_exit() sees SM__ST_ENDING and has nothing to do */
}

/* The faulting thread has wiped and waits (bounded) for this, then ends the process. */
static void handle_fault(int signo) {
    run_user(signo);
    atomic_store(&sm__sig.fault_user_done, 1);
    int fault = SM__ST_FAULT;
    atomic_compare_exchange_strong(&sm__sig.state, &fault, SM__ST_IDLE);
}

/* 1 when fd still refers to pipe p (a daemon may have closed it and reused the number). */
static int is_our_pipe(int fd, const self_pipe *p) {
    struct stat st;
    return fd >= 0 && fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) && st.st_dev == p->dev &&
           st.st_ino == p->ino;
}

/* What start_thread() hands the new thread; on start_thread()'s stack. */
typedef struct thread_start {
    self_pipe pipe;
    sem_t ready; /* posted once the thread has published its tid */
} thread_start;

static void *thread_main(void *arg) {
    sm__thread_begin(); /* clears what the creating thread left in the registers */
    thread_start *start = arg;
    const self_pipe mine = start->pipe;
    sigset_t mask;
    thread_mask(&mask);
    pthread_sigmask(SIG_SETMASK, &mask, NULL); /* this thread only */
    pthread_setname_np(pthread_self(), "sm-signal");
    atomic_store(&sm__sig.thread_tid, sm__sig_gettid());
    sem_post(&start->ready); /* start is gone from here on */
    int stopped = 0;
    /* Never read a descriptor number that now names another file. */
    while (is_our_pipe(mine.rd, &mine)) {
        unsigned char b = 0;
        ssize_t n = read(mine.rd, &b, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != 1 || b == 0) {
            stopped = n == 1; /* 0 is release()'s stop request */
            break;
        }
        int idx = sm__sig_index(b);
        if (idx >= 0 && idx < SM__SIG_ASYNC)
            handle_async(b);
        else if (idx >= 0)
            handle_fault(b);
    }
    /* Otherwise the pipe is gone under us (e.g. a daemon closed every
     * descriptor; the numbers may already name other files): no one reads
     * it any more, so the OS handler must take the lock-free path. The next
     * catch call joins this thread and starts another. */
    if (!stopped)
        atomic_store(&sm__sig.pipe_wr, -1);
    atomic_store(&sm__sig.thread_tid, 0);
    return NULL;
}

/* Starts the thread on start->pipe; returns once it has published its tid. */
static int create_thread(thread_start *start) {
    pthread_attr_t attr;
    int rc = pthread_attr_init(&attr);
    if (rc != 0)
        return rc;
#ifdef HAVE_ATTR_SIGMASK
    sigset_t mask;
    thread_mask(&mask); /* no window in which the new thread takes a signal */
    pthread_attr_setsigmask_np(&attr, &mask);
#endif
    rc = pthread_create(&thread, &attr, thread_main, start);
    pthread_attr_destroy(&attr);
    while (rc == 0 && sem_wait(&start->ready) != 0 && errno == EINTR) {
    }
    return rc;
}

/* With api_lock held: creates the self-pipe and the handler thread. */
static sm_status start_thread(void) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return sm__fail(SM_ERR_NOMEM, errno);
    struct stat st;
    thread_start start;
    int rc = 0;
    if (fcntl(fds[1], F_SETFL, O_NONBLOCK) != 0 || fstat(fds[0], &st) != 0 ||
        sem_init(&start.ready, 0, 0) != 0) {
        rc = errno;
    } else {
        start.pipe = (self_pipe){fds[0], fds[1], st.st_dev, st.st_ino};
        rc = create_thread(&start);
        sem_destroy(&start.ready);
    }
    if (rc != 0) {
        close(fds[0]);
        close(fds[1]);
        return sm__fail(SM_ERR_NOMEM, rc);
    }
    pipe_fds = start.pipe;
    atomic_store(&sm__sig.owner_pid, (int)getpid());
    atomic_store(&sm__sig.pipe_wr, fds[1]);
    return SM_OK;
}

/* The thread and pipe being stopped, joined by finish_stop() (release: without api_lock). */
typedef struct stopping {
    int running;
    pthread_t thread;
    self_pipe pipe;
} stopping;

static void write_stop(int wr) {
    const unsigned char stop = 0;
    while (write(wr, &stop, 1) != 1) {
        if (errno != EAGAIN && errno != EINTR)
            return;
        struct pollfd p = {.fd = wr, .events = POLLOUT};
        (void)poll(&p, 1, 10);
    }
}

/* With api_lock held: asks the thread to stop (unless it is gone already) and forgets it. */
static void begin_stop(stopping *s) {
    s->running = pipe_fds.rd >= 0;
    if (!s->running)
        return;
    s->thread = thread;
    s->pipe = pipe_fds;
    /* From here on a signal takes the lock-free path. */
    if (atomic_exchange(&sm__sig.pipe_wr, -1) >= 0 && is_our_pipe(s->pipe.wr, &s->pipe))
        write_stop(s->pipe.wr);
    atomic_store(&sm__sig.state, SM__ST_IDLE);
    pipe_fds = (self_pipe){-1, -1, 0, 0};
}

/*
 * Signals the OS handler accepted while release() stopped the thread: their
 * bytes came after the stop request. They go to the handlers now installed.
 */
static void redeliver(int rd) {
    if (fcntl(rd, F_SETFL, O_NONBLOCK) != 0)
        return;
    unsigned char b;
    ssize_t n;
    while ((n = read(rd, &b, 1)) == 1 || (n < 0 && errno == EINTR)) {
        int idx = n == 1 ? sm__sig_index(b) : -1;
        if (idx >= 0 && idx < SM__SIG_ASYNC)
            kill(getpid(), b);
    }
}

static void finish_stop(const stopping *s, int pending_to_redeliver) {
    if (!s->running)
        return;
    pthread_join(s->thread, NULL);
    const struct timespec step = {0, 1000 * 1000};
    while (atomic_load(&sm__sig.inflight) != 0)
        nanosleep(&step, NULL); /* an OS handler still holds the old fd */
    /* Descriptors a daemon closed (and maybe reused) are not ours to read or close. */
    if (is_our_pipe(s->pipe.rd, &s->pipe)) {
        if (pending_to_redeliver)
            redeliver(s->pipe.rd);
        close(s->pipe.rd);
    }
    if (is_our_pipe(s->pipe.wr, &s->pipe))
        close(s->pipe.wr);
}

/* ------------------------------------------------------------------ */
/* Installing and restoring handlers (api_lock held)                    */
/* ------------------------------------------------------------------ */

static int is_ours(const struct sigaction *a) {
    return (a->sa_flags & SA_SIGINFO) && a->sa_sigaction == sm__sig_on_signal;
}

static void our_action(int idx, struct sigaction *act) {
    memset(act, 0, sizeof *act);
    act->sa_sigaction = sm__sig_on_signal;
    act->sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&act->sa_mask);
    /* A fault handler runs with every supported signal blocked: a nested
     * fault then kills at once. Async handlers block the other async ones. */
    int last = idx < SM__SIG_ASYNC ? SM__SIG_ASYNC : SM__SIG_COUNT;
    for (int i = 0; i < last; i++)
        sigaddset(&act->sa_mask, sm__sig_numbers[i]);
}

static sm_status install(int idx) {
    int signo = sm__sig_numbers[idx];
    struct sigaction cur, act;
    /* sigaction() fills only the kernel's 8 bytes of sa_mask: the rest of
     * cur would carry stack garbage (spilled registers) into prev[]. */
    memset(&cur, 0, sizeof cur);
    if (sigaction(signo, NULL, &cur) != 0)
        return sm__fail(SM_ERR_UNSUPPORTED, errno);
    if (is_ours(&cur)) {
        if (!installed[idx]) {
            memset(&sm__sig.prev[idx], 0, sizeof sm__sig.prev[idx]); /* SIG_DFL */
            installed[idx] = 1;
        }
        return SM_OK;
    }
    /* Our handler is not installed: no OS handler reads prev[idx] now. */
    sm__sig.prev[idx] = cur;
    our_action(idx, &act);
    if (sigaction(signo, &act, NULL) != 0)
        return sm__fail(SM_ERR_UNSUPPORTED, errno);
    installed[idx] = 1;
    return SM_OK;
}

/* Gives signo its saved handler back, unless someone replaced ours since. */
static sm_status uninstall(int idx) {
    if (!installed[idx])
        return SM_OK;
    int signo = sm__sig_numbers[idx];
    struct sigaction cur;
    if (sigaction(signo, NULL, &cur) != 0)
        return sm__fail(SM_ERR_UNSUPPORTED, errno);
    if (is_ours(&cur) && sigaction(signo, &sm__sig.prev[idx], NULL) != 0)
        return sm__fail(SM_ERR_UNSUPPORTED, errno);
    installed[idx] = 0;
    return SM_OK;
}

/* Installs exactly the signals in want; on failure, undoes this call's installs. */
static sm_status apply_set(unsigned want) {
    unsigned added = 0;
    sm_status st = SM_OK;
    for (int i = 0; i < SM__SIG_COUNT && st == SM_OK; i++) {
        if (!(want & (1u << i)))
            continue;
        int was = installed[i];
        st = install(i);
        if (st == SM_OK && !was)
            added |= 1u << i;
    }
    for (int i = 0; i < SM__SIG_COUNT; i++) {
        int drop = st == SM_OK ? !(want & (1u << i)) : (added & (1u << i)) != 0;
        sm_status u = drop ? uninstall(i) : SM_OK;
        if (st == SM_OK && u != SM_OK)
            st = u;
    }
    return st;
}

/* ------------------------------------------------------------------ */
/* fork: the child has no handler thread                                */
/* ------------------------------------------------------------------ */

static void atfork_prepare(void) {
    pthread_mutex_lock(&api_lock);
    pthread_mutex_lock(&fn_lock);
}

static void atfork_parent(void) {
    pthread_mutex_unlock(&fn_lock);
    pthread_mutex_unlock(&api_lock);
}

/* The handlers stay installed; without a thread they take the lock-free
 * path (wipe, then end) until the child calls a catch function again. */
static void atfork_child(void) {
    if (is_our_pipe(pipe_fds.rd, &pipe_fds))
        close(pipe_fds.rd);
    if (is_our_pipe(pipe_fds.wr, &pipe_fds))
        close(pipe_fds.wr);
    pipe_fds = (self_pipe){-1, -1, 0, 0};
    atomic_store(&sm__sig.pipe_wr, -1);
    atomic_store(&sm__sig.thread_tid, 0);
    atomic_store(&sm__sig.state, SM__ST_IDLE);
    atomic_store(&sm__sig.wipe_owner, 0);
    /* Threads of the parent that were inside notify() do not exist here. */
    atomic_store(&sm__sig.inflight, 0);
    pthread_mutex_unlock(&fn_lock);
    pthread_mutex_unlock(&api_lock);
}

/*
 * exit() while a signal is being handled: the user handler called it, or
 * another thread did before the handler thread was done. Finish the wipe
 * first (the watchdog bounds it). After handle_async's own exit() the state
 * is SM__ST_ENDING and there is nothing to do.
 */
static void at_exit(void) {
    int st = atomic_load(&sm__sig.state);
    if (st == SM__ST_ASYNC) {
        int signo = atomic_load(&sm__sig.signo);
        wipe_everything(signo);
        sm__sig_call_hook(signo);
    } else if (st == SM__ST_FAULT) {
        /* The faulting thread wiped before it handed the signal over, and may
         * hold the library's locks: no sm_purge(), only the lock-free wipe. */
        sm__sig_wipe();
    }
}

static void register_hooks(void) {
    /* On failure the OS handler's pid check still keeps a child off the parent's pipe. */
    (void)pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
    /* On failure an exit() from the user handler skips the wipe, as before catch. */
    (void)atexit(at_exit);
}

/* ------------------------------------------------------------------ */
/* Public API                                                           */
/* ------------------------------------------------------------------ */

static void set_fn(sm_signal_fn fn, void *ctx, sm_signal_fn *old_fn, void **old_ctx) {
    pthread_mutex_lock(&fn_lock);
    *old_fn = user_fn;
    *old_ctx = user_ctx;
    user_fn = fn;
    user_ctx = ctx;
    atomic_store(&sm__sig.has_fn, fn != NULL);
    pthread_mutex_unlock(&fn_lock);
}

static sm_status catch_set(sm_signal_fn fn, void *ctx, unsigned want) {
    pthread_once(&hooks_once, register_hooks);
    pthread_mutex_lock(&api_lock);
    if (pipe_fds.rd >= 0 && atomic_load(&sm__sig.pipe_wr) < 0) {
        /* The thread lost its pipe and left its loop (see thread_main): join it, start another. */
        stopping gone;
        begin_stop(&gone);
        finish_stop(&gone, 0);
    }
    sm_status st = pipe_fds.rd >= 0 ? SM_OK : start_thread();
    if (st == SM_OK) {
        sm_signal_fn old_fn;
        void *old_ctx;
        set_fn(fn, ctx, &old_fn, &old_ctx); /* before installing: a signal sees the new fn */
        st = apply_set(want);
        if (st != SM_OK)
            set_fn(old_fn, old_ctx, &old_fn, &old_ctx);
    }
    pthread_mutex_unlock(&api_lock);
    return st;
}

sm_status sm_signal_catch_signals(sm_signal_fn fn, void *ctx, const int *signals, size_t count) {
    if (signals == NULL || count == 0)
        return SM_ERR_INVALID;
    unsigned want = 0;
    for (size_t i = 0; i < count; i++) {
        int idx = sm__sig_index(signals[i]);
        if (idx < 0)
            return SM_ERR_INVALID; /* SIGKILL, SIGSTOP and unknown numbers included */
        want |= 1u << idx;
    }
    return catch_set(fn, ctx, want);
}

sm_status sm_signal_catch(sm_signal_fn fn, void *ctx) {
    return catch_set(fn, ctx, ALL_SIGNALS);
}

sm_status sm_signal_catch_interrupt(void) {
    const int interrupt = SIGINT;
    return sm_signal_catch_signals(NULL, NULL, &interrupt, 1);
}

sm_status sm_signal_set_exit_code(int signo, int code) {
    int idx = sm__sig_index(signo);
    if (idx < 0 || (code != SM_EXIT_RERAISE && (code < 0 || code > 255)))
        return SM_ERR_INVALID;
    atomic_store(&sm__sig.exit_code[idx], code);
    return SM_OK;
}

sm_status sm_signal_release(void) {
    if (atomic_load(&sm__sig.thread_tid) == sm__sig_gettid())
        return SM_ERR_INVALID; /* from the user handler: it would join itself */
    pthread_once(&hooks_once, register_hooks);
    pthread_mutex_lock(&api_lock);
    sm_status st = apply_set(0);
    stopping s;
    begin_stop(&s);
    sm_signal_fn old_fn;
    void *old_ctx;
    set_fn(NULL, NULL, &old_fn, &old_ctx);
    pthread_mutex_unlock(&api_lock);
    finish_stop(&s, 1);
    return st;
}

void sm_exit(int code) {
    /* While a signal is being handled (e.g. from the user handler), at_exit()
     * wipes instead, with the purge bounded by the watchdog. */
    if (atomic_load(&sm__sig.state) == SM__ST_IDLE)
        sm_purge();
    exit(code);
}

void sm__signal_set_end_hook(sm__signal_hook hook) {
    atomic_store(&sm__sig.end_hook, hook);
}

int sm__signal_thread_tid(void) {
    return atomic_load(&sm__sig.thread_tid);
}

void sm__signal_pipe_fds(int *rd, int *wr) {
    pthread_once(&hooks_once, register_hooks);
    pthread_mutex_lock(&api_lock);
    *rd = pipe_fds.rd;
    *wr = pipe_fds.wr;
    pthread_mutex_unlock(&api_lock);
}
