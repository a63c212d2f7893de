/*
 * signals.c — wipe every secret when the process is interrupted or asked to
 * terminate, built against the installed library through pkg-config:
 *
 *   cc signals.c $(pkg-config --cflags --libs securememory) -o signals
 *   ./signals --wait     # then press Ctrl+C, or: kill -TERM <pid>
 *   ./signals            # sends itself SIGINT after a moment (the demo)
 *
 * Ctrl+C ends it with exit status 130 (the shell convention 128 + SIGINT);
 * SIGTERM ends it by the signal itself, so a supervisor sees "terminated".
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <securememory.h>

/*
 * Runs on the library's handler thread, outside signal context, so stdio,
 * malloc and locks are fine here. When it returns the library purges every
 * secret and ends the process.
 */
static void on_signal(void *ctx, int signo) {
    const char *name = ctx;
    fprintf(stderr, "\n%s: %s, wiping secrets and exiting\n", name,
            signo == SIGINT ? "interrupted" : "terminated");
}

static int fail(const char *what, sm_status st) {
    fprintf(stderr, "%s: %s (%s)\n", what, sm_status_name(st), sm_strerror(st));
    return 1;
}

int main(int argc, char **argv) {
    int wait_for_user = argc > 1 && strcmp(argv[1], "--wait") == 0;
    sm_status st = sm_init(NULL);
    if (st != SM_OK)
        return fail("sm_init", st);

    sm_secret *key = NULL;
    st = sm_secret_new_random(SM_KIND_PROTECTED, 32, &key);
    if (st != SM_OK)
        return fail("sm_secret_new_random", st);

    const int caught[] = {SIGINT, SIGTERM};
    st = sm_signal_catch_signals(on_signal, "signals", caught, 2);
    if (st != SM_OK)
        return fail("sm_signal_catch_signals", st);
    (void)sm_signal_set_exit_code(SIGINT, 130);
    (void)sm_signal_set_exit_code(SIGTERM, SM_EXIT_RERAISE);

    if (wait_for_user) {
        printf("pid %d holds a %zu-byte key; press Ctrl+C or run: kill -TERM %d\n", (int)getpid(),
               sm_secret_size(key), (int)getpid());
    } else {
        printf("pid %d holds a %zu-byte key; sending itself SIGINT (Ctrl+C)\n", (int)getpid(),
               sm_secret_size(key));
        fflush(stdout);
        kill(getpid(), SIGINT);
    }
    fflush(stdout);
    for (;;)
        pause(); /* the library ends the process; the key is never freed here */
}
