/*
 * Faults and abort: a real null dereference in a worker thread while other
 * threads are inside sm_secret_with_bytes, and a real abort(). The
 * faulting thread wipes every secret (observed from the parent, see
 * observe.h), the user handler runs on the library's thread for a bounded
 * time, and the process dies by the original signal, or a previous handler
 * gets the fault after the wipe.
 */
#include <setjmp.h>

#include "observe.h"

typedef struct fault_case {
    int how;         /* FAULT_* */
    int app_handler; /* APP_*: an application SIGSEGV handler installed before catch */
    handler_plan plan;
    int code; /* nonzero: sm_signal_set_exit_code(SIGSEGV, code) */
} fault_case;

enum { FAULT_NULL_WORKER, FAULT_ABORT };
enum { APP_NONE, APP_RETURNS, APP_LONGJMPS };

static sigjmp_buf recover_point; /* set by the worker, the thread that faults */

/* After a recovered fault the signal layer still works: SIGTERM ends the child. */
static void after_recovery(void) {
    obs_send(MSG_NOTE, 2, 1, 0);
    kill(getpid(), SIGTERM);
    obs_forever();
}

/* A real null store. UBSan would report it and exit instead of letting it
 * fault, so it is not instrumented: the fault is the point. */
__attribute__((noinline, no_sanitize("undefined"))) static void store_null(void) {
    volatile int *volatile p = NULL;
    *p = 1;
}

static void *null_worker(void *arg) {
    (void)arg;
    obs_send(MSG_WORKER, obs_tid(), 0, 0);
    if (sigsetjmp(recover_point, 1) != 0)
        after_recovery();
    store_null(); /* SIGSEGV on this thread */
    return NULL;
}

/* An application handler: reports whether the secrets were already wiped. */
static void app_segv(int signo, siginfo_t *info, void *uc) {
    (void)info;
    (void)uc;
    obs_send(MSG_APP, signo, (uint64_t)obs_self_all_zero(), 0);
}

static void app_segv_longjmp(int signo, siginfo_t *info, void *uc) {
    app_segv(signo, info, uc);
    siglongjmp(recover_point, 1);
}

static int install_app_handler(int kind) {
    if (kind == APP_NONE)
        return 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = kind == APP_RETURNS ? app_segv : app_segv_longjmp;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGSEGV, &sa, NULL);
}

static int fault_child(void *arg) {
    fault_case *c = arg;
    obs_child_begin();
    if (fx_setup(2) != 0 || install_app_handler(c->app_handler) != 0)
        return 1;
    if (c->code != 0 && sm_signal_set_exit_code(SIGSEGV, c->code) != SM_OK)
        return 1;
    if (sm_signal_catch(obs_user_handler, &c->plan) != SM_OK)
        return 1;
    obs_ready();
    if (c->how == FAULT_ABORT)
        abort();
    pthread_t t;
    if (pthread_create(&t, NULL, null_worker, NULL) != 0)
        return 1;
    obs_forever();
    return 1;
}

static void run_fault(fault_case *c, obs_result *r, const char *what) {
    obs_plan p = {.child = fault_child, .arg = c};
    obs_run(&p, r);
    obs_print(what, r);
}

static void test_null_deref_in_worker(void) {
    fault_case c = {FAULT_NULL_WORKER, APP_NONE, {.tag = 3}, 0};
    obs_result r;
    run_fault(&c, &r, "SIGSEGV");
    CHECK(!r.timed_out);
    CHECK(obs_secrets_seen(&r));
    CHECK(r.handler_runs == 1 && r.handler_signo == SIGSEGV);
    CHECK(r.worker_tid != 0 && r.handler_tid != r.worker_tid);
    CHECK(r.inspections == 1 && r.inspect_tid == r.worker_tid); /* on the faulting thread */
    CHECK(obs_all_wiped(&r));
    CHECK(child_killed_by(r.status, SIGSEGV));
}

static void test_abort(void) {
    fault_case c = {FAULT_ABORT, APP_NONE, {.tag = 4}, 0};
    obs_result r;
    run_fault(&c, &r, "SIGABRT");
    CHECK(!r.timed_out);
    CHECK(obs_secrets_seen(&r));
    CHECK(r.handler_runs == 1 && r.handler_signo == SIGABRT);
    CHECK(r.handler_tid != r.main_tid);
    CHECK(r.inspections == 1 && r.inspect_tid == r.main_tid);
    CHECK(obs_all_wiped(&r));
    CHECK(child_killed_by(r.status, SIGABRT));
}

/* An exit code set for a fault replaces the death by the signal, after the wipe. */
static void test_fault_exit_code(void) {
    fault_case c = {FAULT_NULL_WORKER, APP_NONE, {.tag = 9}, 9};
    obs_result r;
    run_fault(&c, &r, "SIGSEGV, code 9");
    CHECK(!r.timed_out);
    CHECK(r.handler_runs == 1 && r.handler_signo == SIGSEGV);
    CHECK(r.inspections == 1 && r.inspect_tid == r.worker_tid);
    CHECK(obs_all_wiped(&r));
    CHECK(child_exited_with(r.status, 9));
}

/* A user handler that never returns delays the death by the bound, no more. */
static void test_hung_user_handler_is_bounded(void) {
    fault_case c = {FAULT_NULL_WORKER, APP_NONE, {.tag = 5, .block = 1}, 0};
    obs_result r;
    run_fault(&c, &r, "hung handler");
    CHECK(!r.timed_out);
    CHECK(r.handler_runs == 1);
    CHECK(r.inspections == 1);
    CHECK(obs_all_wiped(&r));
    CHECK(child_killed_by(r.status, SIGSEGV));
    int64_t took = r.end_ms - r.ready_ms;
    CHECK(took >= SM__FAULT_WAIT_MS - 500 && took < SM__FAULT_WAIT_MS + 3000);
}

/* A previous handler is called after the wipe; when it returns, the process dies. */
static void test_chains_to_previous_handler(void) {
    fault_case c = {FAULT_NULL_WORKER, APP_RETURNS, {.tag = 6}, 0};
    obs_result r;
    run_fault(&c, &r, "chained");
    CHECK(!r.timed_out);
    CHECK(r.handler_runs == 1);
    CHECK(r.app_runs == 1 && r.app_signo == SIGSEGV);
    CHECK(r.app_saw_zero);            /* chained after the wipe */
    CHECK(r.seq_inspect < r.seq_app); /* ... and after the end hook */
    CHECK(obs_all_wiped(&r));
    CHECK(child_killed_by(r.status, SIGSEGV));
}

/* A previous handler that takes the fault over (here: siglongjmp) keeps the process alive. */
static void test_previous_handler_may_recover(void) {
    fault_case c = {FAULT_NULL_WORKER, APP_LONGJMPS, {.tag = 8, .release_readers = 1}, 0};
    obs_result r;
    run_fault(&c, &r, "recovered");
    CHECK(!r.timed_out);
    CHECK(r.app_runs == 1 && r.app_saw_zero);
    CHECK(r.inspections == 2); /* the fault, then SIGTERM */
    CHECK(obs_all_wiped(&r));
    CHECK(r.notes[2] == 1);     /* the child went on after the fault */
    CHECK(r.handler_runs == 2); /* SIGSEGV, then SIGTERM */
    CHECK(r.handler_signo == SIGTERM);
    CHECK(child_exited_with(r.status, 1));
}

int main(void) {
    RUN(test_null_deref_in_worker);
    RUN(test_abort);
    RUN(test_fault_exit_code);
    RUN(test_hung_user_handler_is_bounded);
    RUN(test_chains_to_previous_handler);
    RUN(test_previous_handler_may_recover);
    return harness_done();
}
