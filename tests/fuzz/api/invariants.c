/*
 * sm_stats against the objects the input holds. While objects live, the
 * counters the header ties to them must match exactly (secrets) or stay
 * within what the objects imply (buffers, bytes, enclaves: the library
 * also holds internal ones). Once everything is freed, every counter must
 * be back where it was with no object at all: the baseline recorded at
 * start-up, with and without a coffer key (a purge destroys the key, the
 * next seal makes one). A leak of any buffer, enclave, view or pool slot
 * shows there, input by input.
 */
#include <sodium.h>
#include <string.h>

#include "coffer.h"
#include "fuzz_check.h"
#include "model.h"
#include "pool.h"
#include "views.h"

typedef struct baseline {
    int recorded;
    sm_stats st;
    size_t slots_used;
} baseline;

static baseline base[2]; /* [1]: a coffer key exists */

static sm_stats stats_now(void) {
    sm_stats st;
    memset(&st, 0, sizeof st);
    st.size = sizeof st;
    FUZZ_STATUS("sm_stats_get", ST(SM_ERR_INVALID), sm_stats_get(&st), SM_OK);
    return st;
}

static int key_exists(void) {
    uint8_t left[32], right[32];
    int has = sm__coffer_parts(left, right);
    sodium_memzero(left, sizeof left);
    sodium_memzero(right, sizeof right);
    return has;
}

/* Chunks sealed inside a stream of q bytes: each holds exactly chunk bytes;
 * at most one partial chunk waits unsealed and one is half read. */
static void stream_chunks(const m_stream *t, uint64_t *lo, uint64_t *hi) {
    size_t c = t->chunk, loose = 2 * (c - 1);
    *hi += t->qlen / c;
    *lo += t->qlen > loose ? (t->qlen - loose + c - 1) / c : 0;
}

void stats_check_live(const world *w) {
    uint64_t buffers = 0, bytes = 0, prot = 0, encl = 0, enclaves_lo = 0, enclaves_hi = 0;
    for (size_t i = 0; i < MAX_BUFFERS; i++)
        if (w->b[i].h != NULL && w->b[i].alive) {
            buffers++;
            bytes += w->b[i].len;
        }
    for (size_t i = 0; i < MAX_SECRETS; i++) {
        const m_secret *s = &w->s[i];
        if (s->h == NULL || s->closed)
            continue;
        if (s->kind == SM_KIND_PROTECTED) {
            prot++;
            bytes += s->len;
        } else {
            encl++;
        }
    }
    for (size_t i = 0; i < MAX_ENCLAVES; i++)
        enclaves_lo += w->e[i].h != NULL;
    enclaves_lo += encl;
    enclaves_hi = enclaves_lo;
    for (size_t i = 0; i < MAX_STREAMS; i++)
        if (w->t[i].h != NULL)
            stream_chunks(&w->t[i], &enclaves_lo, &enclaves_hi);
    sm_stats st = stats_now();
    FUZZ_CHECK(st.live_secrets_protected == prot && st.live_secrets_enclave == encl,
               "stats count %llu PROTECTED and %llu ENCLAVE secrets open, expected %llu and %llu",
               (unsigned long long)st.live_secrets_protected,
               (unsigned long long)st.live_secrets_enclave, (unsigned long long)prot,
               (unsigned long long)encl);
    FUZZ_CHECK(st.live_buffers >= buffers + prot,
               "stats count %llu live buffers, the input holds at least %llu",
               (unsigned long long)st.live_buffers, (unsigned long long)(buffers + prot));
    FUZZ_CHECK(st.bytes_in_use >= bytes && st.mapped_bytes >= st.bytes_in_use,
               "stats: %llu bytes in use (at least %llu held), %llu mapped",
               (unsigned long long)st.bytes_in_use, (unsigned long long)bytes,
               (unsigned long long)st.mapped_bytes);
    FUZZ_CHECK(st.live_enclaves >= enclaves_lo && st.live_enclaves <= enclaves_hi,
               "stats count %llu enclaves, the input holds %llu to %llu",
               (unsigned long long)st.live_enclaves, (unsigned long long)enclaves_lo,
               (unsigned long long)enclaves_hi);
    FUZZ_CHECK(st.lock_failures == base[1].st.lock_failures,
               "lock failures under the strict policy: %llu", (unsigned long long)st.lock_failures);
}

void stats_baseline_record(void) {
    baseline *b = &base[key_exists()];
    sm_pool_info info;
    sm__pool_info(&info);
    b->st = stats_now();
    b->slots_used = info.slots_used;
    b->recorded = 1;
}

#define SAME(field)                                                                                \
    FUZZ_CHECK(now.field == b->st.field,                                                           \
               "with every object freed, stats." #field " is %llu, expected %llu (key %s)",        \
               (unsigned long long)now.field, (unsigned long long)b->st.field,                     \
               key ? "present" : "absent")

void stats_check_empty(void) {
    int key = key_exists();
    const baseline *b = &base[key];
    sm_stats now = stats_now();
    sm_pool_info info;
    sm__pool_info(&info);
    FUZZ_CHECK(b->recorded, "no baseline for key %s", key ? "present" : "absent");
    SAME(live_buffers);
    SAME(bytes_in_use);
    SAME(mapped_bytes);
    SAME(bytes_locked);
    SAME(live_secrets_protected);
    SAME(live_secrets_enclave);
    SAME(live_enclaves);
    SAME(lock_failures);
    FUZZ_CHECK(info.slots_used == b->slots_used,
               "with every object freed, %zu pool slots are used, expected %zu", info.slots_used,
               b->slots_used);
    FUZZ_CHECK(sm__views_taken() == 0, "with every object freed, %zu enclave views are taken",
               sm__views_taken());
}
