/*
 * The OS-level signal handler and everything it calls (see
 * signal_internal.h and docs/signals.md).
 *
 * Everything in this file must be async-signal-safe: it runs on whatever
 * thread the kernel picked, possibly one that holds the library's locks or
 * the allocator's. It uses only lock-free atomics, memcpy/memcmp, raw system
 * calls (write, getpid, gettid, tgkill, sigaction, sigprocmask, nanosleep,
 * clock_gettime, _exit) and the registry's lock-free wipe. No malloc, no
 * stdio, no mutex.
 *
 * Asynchronous signals (INT, TERM, HUP, QUIT): the handler writes the
 * signal number to the self-pipe and returns; the handler thread does the
 * rest outside signal context. A second one while the first is being
 * handled ends the process at once after the lock-free wipe.
 *
 * Faults and abort (SEGV, BUS, ILL, FPE, ABRT): the faulting thread wipes
 * every registered region itself, gives the handler thread a bounded time
 * to run the user handler, then chains to a previous handler or ends the
 * process by the signal.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "purge.h"
#include "signal_internal.h"

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "signal handlers need lock-free atomic int");
_Static_assert(ATOMIC_POINTER_LOCK_FREE == 2, "signal handlers need lock-free atomic pointers");

sm__sig_shared sm__sig = {
    .exit_code = {1, 1, 1, 1, SM_EXIT_RERAISE, SM_EXIT_RERAISE, SM_EXIT_RERAISE, SM_EXIT_RERAISE,
                  SM_EXIT_RERAISE},
    .pipe_wr = -1,
};

const int sm__sig_numbers[SM__SIG_COUNT] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV,
                                            SIGBUS, SIGILL,  SIGFPE, SIGABRT};

int sm__sig_index(int signo) {
    for (int i = 0; i < SM__SIG_COUNT; i++)
        if (sm__sig_numbers[i] == signo)
            return i;
    return -1;
}

int sm__sig_gettid(void) {
    return (int)syscall(SYS_gettid);
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sm__sig_wait_flag(atomic_int *flag, int ms) {
    const struct timespec step = {0, 5 * 1000 * 1000};
    long long end = now_ms() + ms;
    while (!atomic_load(flag) && now_ms() < end)
        nanosleep(&step, NULL);
    return atomic_load(flag);
}

void sm__sig_wipe(void) {
    int me = sm__sig_gettid();
    int expected = 0;
    int owned = atomic_compare_exchange_strong(&sm__sig.wipe_owner, &expected, me);
    if (!owned && expected == me)
        return; /* re-entered from our own wipe on this thread */
    /* Another thread may be wiping too: both only write zeros. */
    sm__purge_emergency();
    if (owned)
        atomic_store(&sm__sig.wipe_owner, 0);
}

void sm__sig_call_hook(int signo) {
    sm__signal_hook hook = atomic_load(&sm__sig.end_hook);
    if (hook != NULL)
        hook(signo);
}

void sm__sig_die_by(int signo) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(signo, &dfl, NULL);
    /* Pending on this thread (the handler blocks it), delivered at the unblock. */
    syscall(SYS_tgkill, (long)getpid(), (long)sm__sig_gettid(), (long)signo);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signo);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    /* Not reached: the default action of every supported signal ends the process. */
    _exit(128 + signo);
}

static SM_NORETURN void end_by_code(int signo) {
    int idx = sm__sig_index(signo);
    int code = idx >= 0 ? atomic_load(&sm__sig.exit_code[idx]) : SM_EXIT_RERAISE;
    if (code == SM_EXIT_RERAISE)
        sm__sig_die_by(signo);
    _exit(code);
}

void sm__sig_emergency_end(int signo) {
    sm__sig_wipe();
    sm__sig_call_hook(signo);
    end_by_code(signo);
}

/* Writes signo to the self-pipe; 1 when this process's handler thread will read it. */
static int notify(int signo) {
    /* release() sets pipe_wr to -1, then waits for inflight to drop to 0
     * before closing: a handler that loaded a valid fd is counted. */
    atomic_fetch_add(&sm__sig.inflight, 1);
    int fd = atomic_load(&sm__sig.pipe_wr);
    int ok = 0;
    if (fd >= 0 && atomic_load(&sm__sig.owner_pid) == (int)getpid()) {
        unsigned char b = (unsigned char)signo;
        ok = write(fd, &b, 1) == 1;
    }
    atomic_fetch_sub(&sm__sig.inflight, 1);
    return ok;
}

static void on_async(int signo) {
    /* For at_exit(). Overwriting an accepted signal's number is harmless: in
     * SM__ST_ASYNC or ENDING this one ends the process below, and in
     * SM__ST_FAULT the handler thread sets it again from the pipe. */
    atomic_store(&sm__sig.signo, signo);
    int st = SM__ST_IDLE;
    while (!atomic_compare_exchange_weak(&sm__sig.state, &st, SM__ST_ASYNC)) {
        if (st == SM__ST_FAULT) {
            (void)notify(signo); /* queued: handled if the process survives the fault */
            return;
        }
        if (st != SM__ST_IDLE)
            sm__sig_emergency_end(signo); /* a second signal while the first is handled */
    }
    /* No handler thread reads the pipe (after fork, or it lost the pipe): end here. */
    if (!notify(signo))
        sm__sig_emergency_end(signo);
}

/* Lets the handler thread run the user handler for a fault, for a bounded time. */
static void await_user_handler(int signo, int me) {
    if (!atomic_load(&sm__sig.has_fn) || me == atomic_load(&sm__sig.thread_tid))
        return;
    int idle = SM__ST_IDLE;
    if (!atomic_compare_exchange_strong(&sm__sig.state, &idle, SM__ST_FAULT))
        return; /* busy with another signal: it cannot run ours */
    atomic_store(&sm__sig.fault_user_done, 0);
    if (!notify(signo)) {
        atomic_store(&sm__sig.state, SM__ST_IDLE);
        return;
    }
    (void)sm__sig_wait_flag(&sm__sig.fault_user_done, SM__FAULT_WAIT_MS);
}

static int is_callable(const struct sigaction *a) {
    void (*fn)(int) = a->sa_handler; /* shares storage with sa_sigaction */
    return fn != SIG_DFL && fn != SIG_IGN && a->sa_sigaction != sm__sig_on_signal;
}

/*
 * Calls a previous handler with its own mask. Returns 1 when it changed the
 * interrupted context (e.g. Go turning a fault in Go code into a panic):
 * it took the fault over, and returning resumes where it decided.
 */
static int chain(const struct sigaction *prev, int signo, siginfo_t *info, void *ucv) {
    ucontext_t *uc = ucv;
    mcontext_t before;
    if (uc != NULL)
        memcpy(&before, &uc->uc_mcontext, sizeof before);
    sigset_t old;
    sigprocmask(SIG_BLOCK, &prev->sa_mask, &old);
    if (prev->sa_flags & SA_SIGINFO)
        prev->sa_sigaction(signo, info, ucv);
    else
        prev->sa_handler(signo);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return uc != NULL && memcmp(&before, &uc->uc_mcontext, sizeof before) != 0;
}

#if defined(__x86_64__)
/* The kernel's marker that an xsave area follows the fxsave image (asm/sigcontext.h). */
#define XSTATE_MAGIC1 0x46505853u

/* Bytes of the saved FPU/vector state the frame holds: fxsave image, plus xsave when present. */
static size_t fpstate_size(const struct _libc_fpstate *fp) {
    uint32_t sw[2]; /* _fpx_sw_bytes: magic1, extended_size, in the fxsave's reserved bytes */
    memcpy(sw, (const uint8_t *)fp + 464, sizeof sw);
    return sw[0] == XSTATE_MAGIC1 && sw[1] > sizeof *fp ? sw[1] : sizeof *fp;
}
#endif

/*
 * Zeroes the register file the kernel saved in this signal's frame (on the
 * faulting thread's stack): whatever the thread held in registers at the
 * fault, plaintext included. Only for a context that is never resumed.
 */
static void wipe_context(void *ucv) {
    ucontext_t *uc = ucv;
    if (uc == NULL)
        return;
#if defined(__x86_64__)
    if (uc->uc_mcontext.fpregs != NULL)
        sm_wipe(uc->uc_mcontext.fpregs, fpstate_size(uc->uc_mcontext.fpregs));
#endif
    sm_wipe(&uc->uc_mcontext, sizeof uc->uc_mcontext);
}

/*
 * A fault, or abort(), on this thread. The process never simply returns to
 * the faulting instruction: the wipe made every region writable, so a write
 * fault into a protected secret would not fault again. When it ends here,
 * the registers saved in the frame are zeroed first.
 */
static void on_fault(int signo, siginfo_t *info, void *uc) {
    int me = sm__sig_gettid();
    if (atomic_load(&sm__sig.wipe_owner) == me)
        sm__sig_die_by(signo); /* a fault inside our own wipe: give up on it */
    sm__sig_wipe();
    await_user_handler(signo, me);
    struct sigaction prev = sm__sig.prev[sm__sig_index(signo)];
    int callable = is_callable(&prev);
    if (!callable)
        wipe_context(uc);
    sm__sig_call_hook(signo);
    if (callable && chain(&prev, signo, info, uc))
        return;
    wipe_context(uc);
    end_by_code(signo);
}

void sm__sig_on_signal(int signo, siginfo_t *info, void *uc) {
    int saved_errno = errno;
    int idx = sm__sig_index(signo);
    if (idx >= 0 && idx < SM__SIG_ASYNC)
        on_async(signo);
    else if (idx >= 0)
        on_fault(signo, info, uc);
    errno = saved_errno;
}
