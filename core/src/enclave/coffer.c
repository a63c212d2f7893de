/*
 * The coffer: the process key that seals every enclave.
 *
 * The key is never stored whole. Two guarded, locked, owned buffers hold
 * `left` and `right`, with key = left XOR BLAKE2b-256(right). Each use
 * rebuilds the key into a slot of a guarded scratch buffer, hands the slot
 * to the caller's function and wipes it. A re-key draws a new right' and
 * sets left' = left XOR H(right) XOR H(right'): the representation changes,
 * the key does not. sm__coffer_purge() destroys left and right; the next
 * use makes a fresh key, so enclaves sealed before cannot be opened.
 *
 * Wiped parts
 * -----------
 * The fault path (sm__registry_wipe_all) zeroes every registered region,
 * the parts included, and the process may survive it (a previous handler
 * that siglongjmps, a runtime that recovers). A fork child under
 * SM_FORK_WIPE also sees its parts as zeros. Zeroed parts would make the key
 * 0 XOR H(0^32), which anyone can compute, and a re-key would keep it. So
 * the parts record the wipe generation they were made under, and a use or
 * re-key that finds the generation moved, or both parts all zero, drops
 * them and makes a fresh key. The scratch buffer is kept: a wipe only
 * zeroes it, which is its resting state; a user whose slot was zeroed
 * mid-use learns it from the generation check after its function returns.
 *
 * Stack residue
 * -------------
 * BLAKE2b (and randombytes) leave their inputs and outputs in dead frames
 * of the calling thread's ordinary stack: right, H(right) = key XOR left.
 * Every entry point that rebuilt, made or re-keyed the key therefore ends
 * with sm__residue_wipe (residue.h), which also covers the frames of
 * the key user (the AEAD) called in between, and then the registers:
 * BLAKE2b leaves right and H(right) in vector registers too (on AVX-512
 * machines glibc's memcpy, which copies right into BLAKE2b's state, uses
 * ymm16-31).
 *
 * Global state and locks
 * ----------------------
 * - co.mu guards `co` (the key parts and their generation, the slots). It is
 *   held only for hashing, XOR, randombytes, slot bookkeeping and locking
 *   the parts when the lock policy asks for it (lock_parts_locked), never
 *   while allocating or freeing a buffer or calling out.
 *   Callers may hold their own locks (secret mu, stream mu) when they call
 *   in; the key is used by their function with co.mu released.
 * - rk.mu guards the re-key thread's lifecycle (`rk`). Also a leaf: the
 *   thread sleeps in a timed wait on rk.cv (which releases rk.mu) and
 *   re-keys with rk.mu released, so it never holds a lock purge needs.
 * - The two are never held together, except by the fork handlers, which
 *   take rk.mu then co.mu so a child never inherits either one locked.
 * - rekeys is an atomic counter (tests).
 * Lock order: (caller's locks) -> rk.mu -> co.mu -> pool_lock, views_lock
 * (only when locking a part fails and the lock caches are drained; both
 * are leaves).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buffer.h"
#include "coffer.h"
#include "config.h"
#include "registers.h"
#include "residue.h"
#include "registry.h"

#define PART_BYTES   32u
#define SLOT_BYTES   64u /* one cache line per slot */
#define SLOT_COUNT   63u /* slot 0 is for the co.mu holder; 1..62 serve users */
#define SLOTS_FULL   ((UINT64_C(1) << SLOT_COUNT) - 1)
#define IDLE_POLL_MS 1000u /* re-check period while the interval is 0 */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t slot_freed; /* with mu: a user slot was given back */
    sm_buffer *left;           /* NULL: no key (never made, or purged) */
    sm_buffer *right;
    sm_buffer *scratch; /* SLOT_COUNT slots; made once, kept for the process */
    uint64_t used;      /* bit i: slot i taken; bit 0 always set */
    unsigned waiters;   /* threads waiting for a slot */
    unsigned long gen;  /* wipe generation the parts were made under */
} co = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, NULL, 1, 0, 0};

enum { RK_IDLE, RK_RUNNING, RK_STOPPING };

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC; wakes the thread and joiners */
    pthread_t thread;
    int state;
    atomic_int active; /* lock-free hint for the fast path: state != RK_IDLE */
} rk = {.mu = PTHREAD_MUTEX_INITIALIZER, .state = RK_IDLE};

static pthread_once_t coffer_once = PTHREAD_ONCE_INIT;
static void coffer_ready(void); /* before any use of co.mu or rk.mu */
static atomic_uint_fast64_t rekeys;

/* ------------------------------------------------------------------ */
/* Key representation (co.mu held)                                     */
/* ------------------------------------------------------------------ */

static uint8_t *slot_at(unsigned i) {
    return sm__buffer_bytes(co.scratch) + (size_t)i * SLOT_BYTES;
}

static void hash_right(uint8_t out[PART_BYTES]) {
    crypto_generichash(out, PART_BYTES, sm__buffer_bytes(co.right), PART_BYTES, NULL, 0);
}

static void key_rebuild(uint8_t key[PART_BYTES]) {
    const uint8_t *left = sm__buffer_bytes(co.left);
    hash_right(key);
    for (unsigned j = 0; j < PART_BYTES; j++)
        key[j] ^= left[j];
}

/* left ^= H(right) ^ H(right'): the key is never whole in left. */
static void rekey_locked(void) {
    uint8_t *h = slot_at(0);
    uint8_t *left = sm__buffer_bytes(co.left);
    hash_right(h);
    randombytes_buf(sm__buffer_bytes(co.right), PART_BYTES);
    hash_right(h + PART_BYTES);
    for (unsigned j = 0; j < PART_BYTES; j++)
        left[j] ^= h[j] ^ h[PART_BYTES + j];
    sm_wipe(h, 2 * PART_BYTES);
    atomic_fetch_add_explicit(&rekeys, 1, memory_order_relaxed);
}

static int parts_wiped(void) {
    const uint8_t *l = sm__buffer_bytes(co.left), *r = sm__buffer_bytes(co.right);
    uint8_t acc = 0;
    for (unsigned j = 0; j < PART_BYTES; j++)
        acc |= l[j] | r[j];
    return acc == 0;
}

/*
 * With parts present: 1 when they can no longer be trusted. The generation
 * moved: the fault path wiped them (it may still be wiping). All zero: a
 * fork child under SM_FORK_WIPE, or a wipe that had already bumped the
 * generation when these parts were made.
 */
static int parts_spoiled_locked(void) {
    /* An odd generation: a wipe is running now (a fault on another thread). */
    return !sm_buffer_is_alive(co.left) || !sm_buffer_is_alive(co.right) ||
           co.gen != sm__registry_wipe_generation() || (co.gen & 1) != 0 || parts_wiped();
}

static int ready_locked(void) {
    return co.left != NULL && sm_buffer_is_alive(co.scratch) && !parts_spoiled_locked();
}

/* ------------------------------------------------------------------ */
/* Making and dropping the parts (no lock held)                        */
/* ------------------------------------------------------------------ */

static sm_status part_new(sm_buffer **out) {
    sm_status st = sm__buffer_alloc(PART_BYTES, 1, out);
    if (st == SM_OK)
        randombytes_buf(sm__buffer_bytes(*out), PART_BYTES);
    return st;
}

static sm_status key_new(sm_buffer **left, sm_buffer **right) {
    sm_status st = part_new(left);
    if (st == SM_OK && (st = part_new(right)) != SM_OK) {
        sm_buffer_free(*left);
        *left = NULL;
    }
    return st;
}

/* Makes what is missing outside co.mu and installs it unless another thread won. */
static sm_status fill_missing(int need_key, int need_scratch) {
    sm_buffer *l = NULL, *r = NULL, *s = NULL;
    /* Read before the parts exist: a wipe that starts later moves it. */
    unsigned long gen = sm__registry_wipe_generation();
    sm_status st = need_key ? key_new(&l, &r) : SM_OK;
    if (st == SM_OK && need_scratch)
        st = sm__buffer_alloc(SLOT_COUNT * SLOT_BYTES, 1, &s);
    if (st == SM_OK) {
        pthread_mutex_lock(&co.mu);
        if (l != NULL && co.left == NULL) {
            co.left = l;
            co.right = r;
            co.gen = gen;
            l = r = NULL;
        }
        if (s != NULL && co.scratch == NULL) {
            co.scratch = s;
            s = NULL;
        }
        pthread_mutex_unlock(&co.mu);
    }
    sm_buffer_free(l);
    sm_buffer_free(r);
    sm_buffer_free(s);
    return st;
}

/* Takes the key parts out (co.mu held); the caller frees them unlocked. */
static void detach_locked(sm_buffer **left, sm_buffer **right) {
    *left = co.left;
    *right = co.right;
    co.left = co.right = NULL;
}

/*
 * With co.mu held: the parts and the scratch locked per the lock policy in
 * force now. They live long: the policy may have changed since they were
 * made (SM_LOCK_OFF then SM_LOCK_STRICT), or a best-effort lock failed.
 */
static sm_status lock_parts_locked(void) {
    sm_status st = sm__buffer_lock(co.left);
    if (st == SM_OK)
        st = sm__buffer_lock(co.right);
    if (st == SM_OK)
        st = sm__buffer_lock(co.scratch);
    return st;
}

/* Returns SM_OK with co.mu held and a key present, or an error unlocked. */
static sm_status lock_ready(void) {
    for (;;) {
        pthread_mutex_lock(&co.mu);
        if (ready_locked()) {
            sm_status st = lock_parts_locked();
            if (st != SM_OK)
                pthread_mutex_unlock(&co.mu);
            return st;
        }
        sm_buffer *old_left = NULL, *old_right = NULL, *old_scratch = NULL;
        if (co.left != NULL && parts_spoiled_locked())
            detach_locked(&old_left, &old_right);
        if (co.scratch != NULL && !sm_buffer_is_alive(co.scratch)) {
            old_scratch = co.scratch; /* lost: a forked child under SM_BACKEND_SECRETMEM */
            co.scratch = NULL;
        }
        int need_key = co.left == NULL, need_scratch = co.scratch == NULL;
        pthread_mutex_unlock(&co.mu);
        sm_buffer_free(old_left);
        sm_buffer_free(old_right);
        sm_buffer_free(old_scratch);
        sm_status st = fill_missing(need_key, need_scratch);
        if (st != SM_OK)
            return st;
    }
}

/* ------------------------------------------------------------------ */
/* Slots                                                               */
/* ------------------------------------------------------------------ */

/* Takes a free user slot and rebuilds the key into it; *gen: the key's wipe generation. */
static sm_status slot_take(unsigned *out, unsigned long *gen) {
    for (;;) {
        sm_status st = lock_ready();
        if (st != SM_OK)
            return st;
        if (co.used != SLOTS_FULL)
            break;
        co.waiters++;
        pthread_cond_wait(&co.slot_freed, &co.mu);
        co.waiters--;
        pthread_mutex_unlock(&co.mu); /* the key may be gone: check again */
    }
    unsigned i = (unsigned)__builtin_ctzll(~co.used);
    co.used |= UINT64_C(1) << i;
    key_rebuild(slot_at(i));
    *gen = co.gen;
    pthread_mutex_unlock(&co.mu);
    *out = i;
    return SM_OK;
}

static void slot_give(unsigned i) {
    pthread_mutex_lock(&co.mu);
    sm_wipe(slot_at(i), PART_BYTES);
    co.used &= ~(UINT64_C(1) << i);
    if (co.waiters > 0)
        pthread_cond_signal(&co.slot_freed);
    pthread_mutex_unlock(&co.mu);
}

/* ------------------------------------------------------------------ */
/* The re-key thread                                                   */
/* ------------------------------------------------------------------ */

static struct timespec deadline_after(uint32_t ms) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += (time_t)(ms / 1000u);
    t.tv_nsec += (long)(ms % 1000u) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

static void rekey_if_present(void) {
    pthread_mutex_lock(&co.mu);
    if (ready_locked())
        rekey_locked();
    pthread_mutex_unlock(&co.mu);
    sm__residue_wipe();
}

/* Sleeps one interval (rk.mu held); 1 when it is time to re-key. */
static int rk_sleep(void) {
    uint32_t ms = sm__rekey_interval_ms();
    struct timespec dl = deadline_after(ms != 0 ? ms : IDLE_POLL_MS);
    int rc = 0;
    while (rk.state == RK_RUNNING && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&rk.cv, &rk.mu, &dl);
    return rk.state == RK_RUNNING && ms != 0;
}

/*
 * The re-key thread's mask: every asynchronous signal blocked (they go to
 * the application's threads or the library's handler thread), the
 * synchronous ones open. A fault with its signal blocked would kill the
 * process at once, bypassing the library's handler and its wipe.
 */
static void rk_sigmask(sigset_t *set) {
    static const int synchronous[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGABRT};
    sigfillset(set);
    for (size_t k = 0; k < sizeof synchronous / sizeof synchronous[0]; k++)
        sigdelset(set, synchronous[k]);
}

static void *rk_main(void *arg) {
    (void)arg;
    sm__thread_begin(); /* clears what the creating thread left in the registers */
    /*
     * The thread's own mask. With glibc the attribute already set it at
     * creation; this covers other C libraries and runtimes (sanitizers)
     * whose pthread_create hands the new thread the creator's mask.
     */
    sigset_t mask;
    rk_sigmask(&mask);
    pthread_sigmask(SIG_SETMASK, &mask, NULL);
    pthread_mutex_lock(&rk.mu);
    while (rk.state == RK_RUNNING) {
        if (!rk_sleep())
            continue;
        pthread_mutex_unlock(&rk.mu);
        rekey_if_present();
        pthread_mutex_lock(&rk.mu);
    }
    pthread_mutex_unlock(&rk.mu);
    return NULL;
}

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
#define HAVE_ATTR_SIGMASK 1
#else
#define HAVE_ATTR_SIGMASK 0
#endif

/*
 * Starts the thread with its mask set through the attribute: the caller's
 * own mask is never changed, not even for a moment.
 */
static void rk_start_locked(void) {
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0)
        return;
#if HAVE_ATTR_SIGMASK
    sigset_t mask;
    rk_sigmask(&mask);
    (void)pthread_attr_setsigmask_np(&attr, &mask);
#endif
    if (pthread_create(&rk.thread, &attr, rk_main, NULL) == 0) {
        rk.state = RK_RUNNING;
        atomic_store_explicit(&rk.active, 1, memory_order_relaxed);
    }
    pthread_attr_destroy(&attr);
}

/* Lazily starts the thread when an interval is set (a failed start retries later). */
static void rk_ensure(void) {
    if (atomic_load_explicit(&rk.active, memory_order_relaxed) || sm__rekey_interval_ms() == 0)
        return;
    pthread_mutex_lock(&rk.mu);
    if (rk.state == RK_IDLE)
        rk_start_locked();
    pthread_mutex_unlock(&rk.mu);
}

void sm__coffer_shutdown(void) {
    coffer_ready();
    pthread_mutex_lock(&rk.mu);
    while (rk.state == RK_STOPPING)
        pthread_cond_wait(&rk.cv, &rk.mu);
    if (rk.state == RK_IDLE) {
        pthread_mutex_unlock(&rk.mu);
        return;
    }
    rk.state = RK_STOPPING;
    pthread_cond_broadcast(&rk.cv);
    pthread_t t = rk.thread;
    pthread_mutex_unlock(&rk.mu);

    pthread_join(t, NULL);

    pthread_mutex_lock(&rk.mu);
    rk.state = RK_IDLE;
    atomic_store_explicit(&rk.active, 0, memory_order_relaxed);
    pthread_cond_broadcast(&rk.cv);
    pthread_mutex_unlock(&rk.mu);
}

/* ------------------------------------------------------------------ */
/* Process hooks: fork and exit                                        */
/* ------------------------------------------------------------------ */

static void fork_prepare(void) {
    pthread_mutex_lock(&rk.mu);
    pthread_mutex_lock(&co.mu);
}

static void fork_parent(void) {
    pthread_mutex_unlock(&co.mu);
    pthread_mutex_unlock(&rk.mu);
}

static void cv_init_monotonic(pthread_cond_t *cv) {
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &attr);
    pthread_condattr_destroy(&attr);
}

/*
 * The child has one thread: no re-key thread and no slot users. Under
 * SM_FORK_WIPE its key parts read as zeros (key = H(0), known to anyone);
 * the first use finds them spoiled and replaces them with a fresh key.
 */
static void fork_child(void) {
    co.used = 1;
    co.waiters = 0;
    pthread_cond_init(&co.slot_freed, NULL);
    rk.state = RK_IDLE;
    atomic_store_explicit(&rk.active, 0, memory_order_relaxed);
    cv_init_monotonic(&rk.cv);
    pthread_mutex_unlock(&co.mu);
    pthread_mutex_unlock(&rk.mu);
}

static void coffer_init(void) {
    cv_init_monotonic(&rk.cv);
    (void)pthread_atfork(fork_prepare, fork_parent, fork_child);
    (void)atexit(sm__coffer_shutdown); /* no thread outlives the library */
}

/*
 * Every entry point that takes co.mu or rk.mu calls this first: a fork
 * while another thread holds one of them must find the handlers installed,
 * or the child inherits the lock held and its first enclave call hangs.
 */
static void coffer_ready(void) {
    pthread_once(&coffer_once, coffer_init);
}

/* ------------------------------------------------------------------ */
/* Entry points                                                        */
/* ------------------------------------------------------------------ */

sm_status sm__coffer_with_key(sm_key_fn fn, void *ctx) {
    if (fn == NULL)
        return SM_ERR_INVALID;
    sm_status st = sm__ensure_init();
    if (st != SM_OK)
        return st;
    coffer_ready();
    rk_ensure();
    unsigned i = 0;
    unsigned long gen = 0;
    st = slot_take(&i, &gen);
    if (st == SM_OK) {
        st = fn(ctx, slot_at(i));
        /* A wipe while fn ran may have zeroed the key it was reading. */
        if (gen != sm__registry_wipe_generation())
            st = SM_ERR_AUTH;
        slot_give(i);
    }
    sm__residue_wipe();
    return st;
}

sm_status sm_coffer_rekey(void) {
    sm_status st = sm__ensure_init();
    if (st != SM_OK)
        return st;
    coffer_ready();
    rk_ensure();
    st = lock_ready();
    if (st == SM_OK) {
        rekey_locked();
        pthread_mutex_unlock(&co.mu);
    }
    sm__residue_wipe();
    return st;
}

void sm__coffer_purge(void) {
    sm_buffer *left = NULL, *right = NULL;
    coffer_ready();
    pthread_mutex_lock(&co.mu);
    detach_locked(&left, &right);
    pthread_mutex_unlock(&co.mu);
    sm_buffer_free(left);
    sm_buffer_free(right);
}

uint64_t sm__coffer_rekey_count(void) {
    return atomic_load_explicit(&rekeys, memory_order_relaxed);
}

int sm__coffer_rekey_thread_running(void) {
    coffer_ready();
    pthread_mutex_lock(&rk.mu);
    int running = rk.state != RK_IDLE;
    pthread_mutex_unlock(&rk.mu);
    return running;
}

int sm__coffer_locked(void) {
    coffer_ready();
    pthread_mutex_lock(&co.mu);
    int locked = co.left != NULL && sm__buffer_is_locked(co.left) &&
                 sm__buffer_is_locked(co.right) && sm__buffer_is_locked(co.scratch);
    pthread_mutex_unlock(&co.mu);
    return locked;
}

int sm__coffer_parts(uint8_t left[PART_BYTES], uint8_t right[PART_BYTES]) {
    coffer_ready();
    pthread_mutex_lock(&co.mu);
    int present = co.left != NULL;
    if (present) {
        memcpy(left, sm__buffer_bytes(co.left), PART_BYTES);
        memcpy(right, sm__buffer_bytes(co.right), PART_BYTES);
    }
    pthread_mutex_unlock(&co.mu);
    return present;
}
