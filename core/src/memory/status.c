/* Status names, messages, and the thread-local errno behind the last failure. */
#include <errno.h>

#include "securememory.h"
#include "status.h"

static _Thread_local int last_errno; /* thread-local: no lock needed */

typedef struct status_text {
    const char *name;
    const char *message;
} status_text;

static const status_text texts[SM_STATUS_COUNT] = {
    [SM_OK] = {"SM_OK", "success"},
    [SM_ERR_INVALID] = {"SM_ERR_INVALID",
                        "invalid argument: a NULL pointer, a zero or overflowing size, or a call "
                        "in the wrong state; check the arguments against the documentation"},
    [SM_ERR_NOMEM] = {"SM_ERR_NOMEM",
                      "out of memory or address space (mmap failed, or vm.max_map_count was "
                      "reached); free objects you no longer need or raise the limit"},
    [SM_ERR_MLOCK] = {"SM_ERR_MLOCK",
                      "memory could not be locked: RLIMIT_MEMLOCK (ulimit -l) is exhausted; raise "
                      "it (ulimit -l, LimitMEMLOCK= in systemd, --ulimit memlock in containers), "
                      "grant CAP_IPC_LOCK, or set sm_config.lock_policy to SM_LOCK_BEST_EFFORT"},
    [SM_ERR_PROTECT] =
        {"SM_ERR_PROTECT",
         "a page protection change (mprotect) failed; the process may be out of "
         "memory mappings (vm.max_map_count) or under a restrictive security policy"},
    [SM_ERR_CLOSED] = {"SM_ERR_CLOSED",
                       "the object was closed, destroyed or purged; create a new one"},
    [SM_ERR_AUTH] = {"SM_ERR_AUTH",
                     "sealed data failed authentication: it was tampered with, sealed before a "
                     "purge destroyed the key that could open it, or sealed by the parent of a "
                     "process forked under SM_FORK_WIPE (the child gets its own key)"},
    [SM_ERR_CANARY] = {"SM_ERR_CANARY",
                       "a buffer's canary was corrupted: something wrote before the start of its "
                       "data (when reported by a destroy, the memory was wiped and released "
                       "anyway)"},
    [SM_ERR_EOF] = {"SM_ERR_EOF", "end of data: the stream or reader is exhausted"},
    [SM_ERR_CALLBACK] = {"SM_ERR_CALLBACK",
                         "the user callback returned nonzero; its value is available from "
                         "sm_secret_last_callback_result()"},
    [SM_ERR_UNSUPPORTED] = {"SM_ERR_UNSUPPORTED",
                            "not available on this platform or kernel (see sm_last_errno())"},
};

static const status_text *text_of(sm_status status) {
    if ((unsigned)status >= SM_STATUS_COUNT)
        return NULL;
    return &texts[status];
}

const char *sm_status_name(sm_status status) {
    const status_text *t = text_of(status);
    return t ? t->name : "SM_ERR_UNKNOWN";
}

const char *sm_strerror(sm_status status) {
    const status_text *t = text_of(status);
    return t ? t->message : "unknown status code";
}

int sm_last_errno(void) {
    return last_errno;
}

sm_status sm__fail(sm_status status, int errno_value) {
    last_errno = errno_value;
    return status;
}
