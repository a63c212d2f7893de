/*
 * Internal: state shared by the two halves of the signal layer.
 *
 * signal.c        the public API, handler installation, the handler thread
 *                 (runs the user handler, sm_purge and the lock-free wipe,
 *                 then ends the process), the fork and exit hooks.
 * signal_os.c     the OS-level handler and everything it calls: only
 *                 async-signal-safe code (atomics, raw syscalls, no malloc,
 *                 no stdio, no locks). See docs/signals.md.
 *
 * Every field of sm__sig is an atomic or is documented with its lock, so
 * the OS-level handler can read it from any thread at any time.
 */
#ifndef SM_SIGNAL_INTERNAL_H
#define SM_SIGNAL_INTERNAL_H

#include <signal.h>
#include <stdatomic.h>

#include "securememory.h"

/* The supported signals: the first SM__SIG_ASYNC are asynchronous requests. */
#define SM__SIG_COUNT 9
#define SM__SIG_ASYNC 4

/* How long a faulting thread waits for the user handler (milliseconds). */
#define SM__FAULT_WAIT_MS 2000
/* How long sm_purge() may take on the handler thread before the lock-free wipe ends it. */
#define SM__PURGE_WAIT_MS 3000

/* Signal layer states (sm__sig.state). */
enum {
    SM__ST_IDLE = 0, /* waiting for a signal */
    SM__ST_ASYNC,    /* an async signal was accepted: user handler, purge, wipe */
    SM__ST_FAULT,    /* the handler thread runs the user handler for a fault */
    SM__ST_ENDING,   /* the secrets are wiped; the process is ending */
};

/* Called after the wipe, right before the process ends (see sm__signal_set_end_hook). */
typedef void (*sm__signal_hook)(int signo);

typedef struct sm__sig_shared {
    /* Written under signal.c's api_lock while our handler is NOT installed
     * for that signal; read by the OS handler only while it is. */
    struct sigaction prev[SM__SIG_COUNT];
    atomic_int exit_code[SM__SIG_COUNT]; /* 0..255 or SM_EXIT_RERAISE */
    atomic_int pipe_wr;                  /* self-pipe write end, -1 when no thread reads it */
    atomic_int owner_pid;                /* process that owns the pipe and thread */
    atomic_int thread_tid;               /* handler thread's kernel tid, 0 when none */
    atomic_int has_fn;                   /* 1 when a user handler is set */
    atomic_int state;                    /* SM__ST_* */
    atomic_int signo;                    /* the async signal accepted last (for SM__ST_ASYNC) */
    atomic_int inflight;                 /* OS handlers between loading pipe_wr and writing */
    atomic_int wipe_owner;               /* tid running the lock-free wipe, 0 when none */
    atomic_int fault_user_done;          /* the handler thread finished a fault's user handler */
    atomic_int purge_done;               /* the handler thread's sm_purge() returned */
    _Atomic(sm__signal_hook) end_hook;   /* tests only; NULL by default */
} sm__sig_shared;

extern sm__sig_shared sm__sig;
extern const int sm__sig_numbers[SM__SIG_COUNT];

/* Index of signo in sm__sig_numbers, or -1 when it is not supported. */
int sm__sig_index(int signo);

/* The OS-level handler installed for every caught signal (SA_SIGINFO). */
void sm__sig_on_signal(int signo, siginfo_t *info, void *ucontext);

/* Lock-free wipe of every registered region, safe against re-entry. */
void sm__sig_wipe(void);

/* Calls the end hook, if one is set. */
void sm__sig_call_hook(int signo);

/* Restores SIG_DFL for signo and delivers it to the calling thread. */
SM_NORETURN void sm__sig_die_by(int signo);

/* Lock-free wipe, end hook, then _exit / re-raise per signo's exit code. */
SM_NORETURN void sm__sig_emergency_end(int signo);

/* Waits until *flag is nonzero or ms milliseconds pass; returns the flag. */
int sm__sig_wait_flag(atomic_int *flag, int ms);

/* The calling thread's kernel thread id. */
int sm__sig_gettid(void);

/*
 * Test hook: when set, hook(signo) is called once the secrets are wiped and
 * right before the library ends the process or hands a fault to a previous
 * handler: on the handler thread after sm_purge(), or in signal context
 * after the lock-free wipe (then hook must be async-signal-safe). NULL (the
 * default) disables it; it costs one atomic load per ending.
 */
void sm__signal_set_end_hook(sm__signal_hook hook);

/* The handler thread's kernel thread id, 0 when it is not running (tests).
 * Set before a catch call that started the thread returns. */
int sm__signal_thread_tid(void);
void sm__signal_pipe_fds(int *rd, int *wr);

/* The self-pipe's descriptors, -1 when there is none (tests). */
void sm__signal_pipe_fds(int *rd, int *wr);

#endif
