/*
 * Address ranges a forked child does not inherit (holes.h).
 *
 * Global state and lock: `holes_lock` guards the list `spans`. It is a leaf,
 * held for list bookkeeping only, and taken under pool_lock and views_lock
 * (whose modules register their fork handlers after this one's). Its fork handlers (installed
 * before its first use) hold it across fork(); the child covers every span with a reservation
 * (system calls only) before it lets go.
 */
#include <pthread.h>
#include <stdlib.h>

#include "holes.h"
#include "secretmem.h"

typedef struct span {
    struct span *next;
    void *base;
    size_t len;
} span;

static pthread_mutex_t holes_lock = PTHREAD_MUTEX_INITIALIZER;
static span *spans; /* holes_lock */
static pthread_once_t holes_once = PTHREAD_ONCE_INIT;

static void fork_prepare(void) {
    pthread_mutex_lock(&holes_lock);
}

static void fork_parent(void) {
    pthread_mutex_unlock(&holes_lock);
}

static void fork_child(void) {
    for (span *s = spans; s != NULL; s = s->next)
        (void)sm__reserve(s->base, s->len);
    pthread_mutex_unlock(&holes_lock);
}

static void install_fork_handlers(void) {
    (void)pthread_atfork(fork_prepare, fork_parent, fork_child);
}

void sm__holes_init(void) {
    (void)pthread_once(&holes_once, install_fork_handlers);
}

static void lock_holes(void) {
    sm__holes_init();
    pthread_mutex_lock(&holes_lock);
}

sm_status sm__holes_track(void *base, size_t len) {
    span *s = malloc(sizeof *s);
    if (s == NULL)
        return SM_ERR_NOMEM;
    s->base = base;
    s->len = len;
    lock_holes();
    s->next = spans;
    spans = s;
    pthread_mutex_unlock(&holes_lock);
    return SM_OK;
}

void sm__holes_untrack(void *base) {
    span *gone = NULL;
    lock_holes();
    for (span **at = &spans; *at != NULL; at = &(*at)->next)
        if ((*at)->base == base) {
            gone = *at;
            *at = gone->next;
            break;
        }
    pthread_mutex_unlock(&holes_lock);
    free(gone);
}
