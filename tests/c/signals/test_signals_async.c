/*
 * Asynchronous signals (INT, TERM, HUP, QUIT) sent with kill() to a child:
 * the user handler runs once on the library's thread, every secret is
 * wiped before the process ends (see observe.h for how that is observed),
 * and the process ends with the configured code or by the signal.
 *
 * The interrupted thread is the child's main thread: every other thread
 * (the test's readers, the coffer's re-key thread, the library's handler
 * thread) blocks the asynchronous signals, so the kernel delivers kill()'s
 * signal there. The handler reports its own tid, compared with main's.
 */
#include "observe.h"

#define KEEP_DEFAULT (-100)

typedef struct async_case {
    int signo;
    int code; /* set with sm_signal_set_exit_code, or KEEP_DEFAULT */
    handler_plan plan;
} async_case;

static int async_child(void *arg) {
    async_case *c = arg;
    obs_child_begin();
    if (fx_setup(2) != 0)
        return 1;
    if (c->code != KEEP_DEFAULT && sm_signal_set_exit_code(c->signo, c->code) != SM_OK)
        return 1;
    if (sm_signal_catch(obs_user_handler, &c->plan) != SM_OK)
        return 1;
    obs_ready();
    obs_forever();
    return 1;
}

static int ended_as(const obs_result *r, int signo, int code) {
    if (code == SM_EXIT_RERAISE)
        return child_killed_by(r->status, signo);
    return child_exited_with(r->status, code == KEEP_DEFAULT ? 1 : code);
}

static void check_async(int signo, int code) {
    async_case c = {signo, code, {.tag = 7, .release_readers = 1, .try_release = 1}};
    obs_plan p = {.child = async_child, .arg = &c, .on_ready = {signo}};
    obs_result r;
    obs_run(&p, &r);
    obs_print(strsignal(signo), &r);
    CHECK(!r.timed_out);
    CHECK(obs_secrets_seen(&r));
    CHECK(r.handler_runs == 1);
    CHECK(r.handler_signo == signo);
    CHECK(r.handler_tag == 7);
    CHECK(r.handler_tid != 0 && r.main_tid != 0 && r.handler_tid != r.main_tid);
    CHECK(r.notes[1] == SM_ERR_INVALID); /* release from the handler is refused */
    CHECK(r.inspections == 1 && r.inspect_tid == r.handler_tid); /* after purge, on the thread */
    CHECK(obs_all_wiped(&r));
    CHECK(ended_as(&r, signo, code));
}

static void test_sigint_default_code(void) {
    check_async(SIGINT, KEEP_DEFAULT);
}

static void test_sigterm_exit_code(void) {
    check_async(SIGTERM, 42);
}

static void test_sigterm_exit_code_zero(void) {
    check_async(SIGTERM, 0);
}

static void test_sighup_reraise(void) {
    check_async(SIGHUP, SM_EXIT_RERAISE);
}

static void test_sigquit_reraise(void) {
    check_async(SIGQUIT, SM_EXIT_RERAISE);
}

static void test_sigint_reraise(void) {
    check_async(SIGINT, SM_EXIT_RERAISE);
}

static void test_sighup_exit_code(void) {
    check_async(SIGHUP, 255);
}

static void test_sigquit_exit_code(void) {
    check_async(SIGQUIT, 3);
}

/* A second SIGINT while the user handler runs ends the process at once, wiped. */
static void test_second_sigint_ends_at_once(void) {
    async_case c = {SIGINT, 3, {.tag = 1, .block = 1}};
    obs_plan p = {.child = async_child, .arg = &c, .on_ready = {SIGINT}, .on_handler = SIGINT};
    obs_result r;
    obs_run(&p, &r);
    obs_print("second SIGINT", &r);
    CHECK(!r.timed_out);
    CHECK(obs_secrets_seen(&r));
    CHECK(r.handler_runs == 1);
    CHECK(r.inspections == 1 && r.inspect_tid != r.handler_tid); /* in the OS handler */
    CHECK(obs_all_wiped(&r));
    CHECK(child_exited_with(r.status, 3));
    CHECK(r.end_ms - r.ready_ms < 2000);
}

/* A reader that never leaves blocks sm_purge(); the watchdog wipes and ends anyway. */
static void test_stuck_purge_is_bounded(void) {
    async_case c = {SIGTERM, SM_EXIT_RERAISE, {.tag = 2}};
    obs_plan p = {.child = async_child, .arg = &c, .on_ready = {SIGTERM}};
    obs_result r;
    obs_run(&p, &r);
    obs_print("stuck purge", &r);
    CHECK(!r.timed_out);
    CHECK(r.handler_runs == 1);
    CHECK(r.inspections == 1);
    CHECK(obs_all_wiped(&r));
    CHECK(child_killed_by(r.status, SIGTERM));
    int64_t took = r.end_ms - r.ready_ms;
    CHECK(took >= SM__PURGE_WAIT_MS - 500 && took < SM__PURGE_WAIT_MS + 3000);
}

/* A user handler that calls exit() itself still gets every secret wiped first. */
static void test_exit_in_user_handler(void) {
    async_case c = {
        SIGTERM, KEEP_DEFAULT, {.tag = 4, .release_readers = 1, .call_exit = 1, .exit_code = 37}};
    obs_plan p = {.child = async_child, .arg = &c, .on_ready = {SIGTERM}};
    obs_result r;
    obs_run(&p, &r);
    obs_print("exit() in the user handler", &r);
    CHECK(!r.timed_out);
    CHECK(obs_secrets_seen(&r));
    CHECK(r.handler_runs == 1 && r.handler_signo == SIGTERM);
    CHECK(r.inspections == 1 && r.inspect_tid == r.handler_tid); /* in exit(), on the thread */
    CHECK(obs_all_wiped(&r));
    CHECK(child_exited_with(r.status, 37)); /* the handler's code, not SIGTERM's */
}

/* The recommended way to pick the code in the handler: sm_exit(). */
static void test_sm_exit_in_user_handler(void) {
    async_case c = {
        SIGINT, KEEP_DEFAULT, {.tag = 5, .release_readers = 1, .call_exit = 2, .exit_code = 38}};
    obs_plan p = {.child = async_child, .arg = &c, .on_ready = {SIGINT}};
    obs_result r;
    obs_run(&p, &r);
    obs_print("sm_exit() in the user handler", &r);
    CHECK(!r.timed_out);
    CHECK(obs_secrets_seen(&r));
    CHECK(r.handler_runs == 1 && r.handler_signo == SIGINT);
    CHECK(r.inspections == 1 && r.inspect_tid == r.handler_tid);
    CHECK(obs_all_wiped(&r));
    CHECK(child_exited_with(r.status, 38));
}

/* ... and a reader that never leaves: the watchdog bounds sm_exit's purge too. */
static void test_sm_exit_in_user_handler_is_bounded(void) {
    async_case c = {SIGINT, SM_EXIT_RERAISE, {.tag = 6, .call_exit = 2, .exit_code = 38}};
    obs_plan p = {.child = async_child, .arg = &c, .on_ready = {SIGINT}};
    obs_result r;
    obs_run(&p, &r);
    obs_print("sm_exit() in the user handler, stuck reader", &r);
    CHECK(!r.timed_out);
    CHECK(r.handler_runs == 1);
    CHECK(r.inspections == 1);
    CHECK(obs_all_wiped(&r));
    CHECK(child_killed_by(r.status, SIGINT)); /* the watchdog ends it as for SIGINT */
    int64_t took = r.end_ms - r.ready_ms;
    CHECK(took >= SM__PURGE_WAIT_MS - 500 && took < SM__PURGE_WAIT_MS + 3000);
}

static void *purge_main(void *arg) {
    (void)arg;
    obs_block_async();
    sm_purge(); /* pins the reader's secret and waits for it */
    return NULL;
}

/*
 * Another thread's sm_purge() is waiting for a reader: it has the secret's
 * registry entry pinned, so the handler thread's sm_purge() skips it. The
 * lock-free wipe after the purge still zeroes it before the process ends.
 */
static int pinned_child(void *arg) {
    (void)arg;
    obs_child_begin();
    if (fx_setup(1) != 0 || sm_signal_catch(obs_user_handler, NULL) != SM_OK)
        return 1;
    pthread_t t;
    if (pthread_create(&t, NULL, purge_main, NULL) != 0)
        return 1;
    /* CLOSING (is_closed) while the reader holds it: the purge thread has it pinned. */
    for (int i = 0; i < 2000 && !sm_secret_is_closed(fx.busy_prot); i++)
        usleep(1000);
    if (!sm_secret_is_closed(fx.busy_prot))
        return 1;
    obs_ready();
    obs_forever();
    return 1;
}

static void test_entry_pinned_by_another_purge(void) {
    obs_plan p = {.child = pinned_child, .on_ready = {SIGTERM}};
    obs_result r;
    obs_run(&p, &r);
    obs_print("entry pinned by another purge", &r);
    CHECK(!r.timed_out);
    /* Ranges 0 and 1 (buffer, secret at rest) are purged already; 2 is the pinned one. */
    CHECK(r.nwatch == 3 && r.w[2].before_nonzero);
    CHECK(r.handler_runs == 1);
    CHECK(r.inspections == 1);
    CHECK(obs_all_wiped(&r));
    CHECK(child_exited_with(r.status, 1));
    CHECK(r.end_ms - r.ready_ms < SM__PURGE_WAIT_MS); /* no wait for the watchdog */
}

/*
 * A daemon closes every descriptor (the handler thread sees its pipe end and
 * leaves), then opens files that reuse the numbers. The next signal must not
 * go to those files: the OS handler takes the lock-free path and ends.
 */
static int lost_pipe_child(void *arg) {
    (void)arg;
    obs_child_begin();
    if (fx_setup(0) != 0 || sm_signal_set_exit_code(SIGTERM, 42) != SM_OK ||
        sm_signal_catch(obs_user_handler, NULL) != SM_OK)
        return 1;
    int rd, wr;
    sm__signal_pipe_fds(&rd, &wr);
    if (rd < 0 || wr < 0)
        return 1;
    close(rd);
    close(wr);
    for (int i = 0; i < 2000 && sm__signal_thread_tid() != 0; i++)
        usleep(1000);
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (sm__signal_thread_tid() != 0 || null < 0)
        return 1;
    if (null != rd)
        dup2(null, rd);
    if (null != wr)
        dup2(null, wr);
    if (null != rd && null != wr)
        close(null);
    obs_ready();
    /* Before the fix the signal went to /dev/null: the child ran on for a second. */
    for (int i = 0; i < 1000; i++)
        usleep(1000);
    return 1;
}

static void test_lost_pipe_takes_lock_free_path(void) {
    obs_plan p = {.child = lost_pipe_child, .on_ready = {SIGTERM}};
    obs_result r;
    obs_run(&p, &r);
    obs_print("lost pipe", &r);
    CHECK(!r.timed_out);
    CHECK(obs_secrets_seen(&r));
    CHECK(r.handler_runs == 0); /* no thread to run it */
    CHECK(r.inspections == 1 && r.inspect_tid == r.main_tid);
    CHECK(obs_all_wiped(&r));
    CHECK(child_exited_with(r.status, 42));
}

static int interrupt_child(void *arg) {
    (void)arg;
    obs_child_begin();
    if (fx_setup(0) != 0 || sm_signal_catch_interrupt() != SM_OK)
        return 1;
    obs_ready();
    obs_forever();
    return 1;
}

static void test_catch_interrupt(void) {
    obs_plan p = {.child = interrupt_child, .on_ready = {SIGINT}};
    obs_result r;
    obs_run(&p, &r);
    obs_print("catch_interrupt", &r);
    CHECK(!r.timed_out);
    CHECK(obs_secrets_seen(&r));
    CHECK(r.handler_runs == 0);
    CHECK(r.inspections == 1);
    CHECK(obs_all_wiped(&r));
    CHECK(child_exited_with(r.status, 1));
}

static int exit_child(void *arg) {
    (void)arg;
    obs_child_begin();
    if (fx_setup(0) != 0)
        return 1;
    obs_ready();
    sm_exit(5);
}

/* sm_exit purges (every range is released holding zeros), then exits. */
static void test_sm_exit(void) {
    obs_plan p = {.child = exit_child};
    obs_result r;
    obs_run(&p, &r);
    obs_print("sm_exit", &r);
    CHECK(obs_secrets_seen(&r));
    int all_released = r.nwatch > 0;
    for (int i = 0; i < r.nwatch; i++)
        all_released &= r.w[i].released;
    CHECK(all_released);
    CHECK(obs_all_wiped(&r));
    CHECK(child_exited_with(r.status, 5));
}

int main(void) {
    RUN(test_sigint_default_code);
    RUN(test_sigterm_exit_code);
    RUN(test_sigterm_exit_code_zero);
    RUN(test_sighup_reraise);
    RUN(test_sigquit_reraise);
    RUN(test_sigint_reraise);
    RUN(test_sighup_exit_code);
    RUN(test_sigquit_exit_code);
    RUN(test_second_sigint_ends_at_once);
    RUN(test_stuck_purge_is_bounded);
    RUN(test_catch_interrupt);
    RUN(test_sm_exit);
    RUN(test_exit_in_user_handler);
    RUN(test_sm_exit_in_user_handler);
    RUN(test_sm_exit_in_user_handler_is_bounded);
    RUN(test_entry_pinned_by_another_purge);
    RUN(test_lost_pipe_takes_lock_free_path);
    return harness_done();
}
