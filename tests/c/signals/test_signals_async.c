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

/* sm_exit purges (every range is unmapped holding zeros), then exits. */
static void test_sm_exit(void) {
    obs_plan p = {.child = exit_child};
    obs_result r;
    obs_run(&p, &r);
    obs_print("sm_exit", &r);
    CHECK(obs_secrets_seen(&r));
    int all_unmapped = r.nwatch > 0;
    for (int i = 0; i < r.nwatch; i++)
        all_unmapped &= r.w[i].unmapped;
    CHECK(all_unmapped);
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
    return harness_done();
}
