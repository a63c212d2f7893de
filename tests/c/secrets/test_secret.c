/* Secrets of both kinds: lifecycle, access protocol, errors, purge, faults, threads. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "harness.h"
#include "pages.h"
#include "registry.h"

static const sm_kind kinds[] = {SM_KIND_PROTECTED, SM_KIND_ENCLAVE};
#define FOR_EACH_KIND(k) for (size_t ki_ = 0; ki_ < 2 && ((k) = kinds[ki_], 1); ki_++)

/* Live buffers once everything is purged: only the coffer's long-lived
 * scratch buffer may remain. */
static uint64_t buffers_after_purge(void) {
    sm_purge();
    return stats_now().live_buffers;
}

static sm_secret *make(sm_kind kind, uint8_t fill, size_t len) {
    uint8_t *src = malloc(len);
    memset(src, fill, len);
    sm_secret *s = NULL;
    sm_status st = sm_secret_new(kind, src, len, &s);
    free(src);
    return st == SM_OK ? s : NULL;
}

typedef struct seen {
    uint8_t fill;
    size_t len;
    int all_match;
} seen;

static int check_bytes(void *ctx, const uint8_t *data, size_t len) {
    seen *e = ctx;
    e->all_match = len == e->len;
    for (size_t i = 0; i < len && e->all_match; i++)
        e->all_match = data[i] == e->fill;
    return 0;
}

static void test_lifecycle_both_kinds(void) {
    sm_kind k;
    size_t ps = sm_page_size();
    size_t sizes[] = {1, 32, ps - 1, ps, ps + 1, 1 << 20};
    FOR_EACH_KIND(k) {
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            sm_secret *s = make(k, 0xA5, sizes[i]);
            REQUIRE(s != NULL);
            CHECK(sm_secret_size(s) == sizes[i]);
            CHECK(sm_secret_kind(s) == k);
            CHECK(!sm_secret_is_closed(s));
            seen e = {0xA5, sizes[i], 0};
            CHECK_STATUS(sm_secret_with_bytes(s, check_bytes, &e), SM_OK);
            CHECK(e.all_match);
            uint8_t buf[7];
            size_t n = 0;
            CHECK_STATUS(sm_secret_read(s, 0, buf, sizeof buf, &n), SM_OK);
            CHECK(n == (sizes[i] < 7 ? sizes[i] : 7) && buf[0] == 0xA5);
            CHECK_STATUS(sm_secret_read(s, sizes[i] - 1, buf, sizeof buf, &n), SM_OK);
            CHECK(n == 1);
            CHECK_STATUS(sm_secret_read(s, sizes[i], buf, sizeof buf, &n), SM_ERR_EOF);
            CHECK(n == 0);
            CHECK_STATUS(sm_secret_close(s), SM_OK);
            CHECK(sm_secret_is_closed(s));
            CHECK_STATUS(sm_secret_close(s), SM_OK); /* double close */
            CHECK_STATUS(sm_secret_with_bytes(s, check_bytes, &e), SM_ERR_CLOSED);
            CHECK_STATUS(sm_secret_read(s, 0, buf, sizeof buf, &n), SM_ERR_CLOSED);
            const uint8_t *d;
            size_t len;
            CHECK_STATUS(sm_secret_acquire(s, &d, &len), SM_ERR_CLOSED);
            CHECK(sm_secret_size(s) == sizes[i]); /* the size stays known */
            sm_secret_free(s);
        }
    }
}

static void test_src_wiped_on_every_path(void) {
    sm_kind k;
    FOR_EACH_KIND(k) {
        uint8_t src[48];
        memset(src, 0x3C, sizeof src);
        sm_secret *s = NULL;
        CHECK_STATUS(sm_secret_new(k, src, sizeof src, &s), SM_OK);
        CHECK(all_zero(src, sizeof src));
        sm_secret_free(s);
        memset(src, 0x3C, sizeof src);
        CHECK_STATUS(sm_secret_new(k, src, sizeof src, NULL), SM_ERR_INVALID);
        CHECK(all_zero(src, sizeof src));
        memset(src, 0x3C, sizeof src);
        CHECK_STATUS(sm_secret_new((sm_kind)5, src, sizeof src, &s), SM_ERR_INVALID);
        CHECK(all_zero(src, sizeof src));
        CHECK(s == NULL);
    }
}

static int absurd_length_child(void *arg) {
    sm_kind k = *(sm_kind *)arg;
    uint8_t src[16] = {1};
    sm_secret *s = NULL;
    /* src cannot be SIZE_MAX bytes long: refuse without touching it. */
    if (sm_secret_new(k, src, SIZE_MAX, &s) != SM_ERR_INVALID || s != NULL)
        return 1;
    return src[0] == 1 ? 0 : 2;
}

static void test_absurd_length_is_refused_not_wiped(void) {
    sm_kind k;
    FOR_EACH_KIND(k) {
        CHECK(child_exited_with(run_in_child(absurd_length_child, &k), 0));
    }
}

static int secret_fails_under_memlock(void *arg) {
    sm_kind k = *(sm_kind *)arg;
    if (drop_ipc_lock_and_limit(0) != 0)
        return 2;
    uint8_t src[32];
    memset(src, 0x61, sizeof src);
    sm_secret *s = NULL;
    sm_status st = sm_secret_new(k, src, sizeof src, &s);
    int wiped = all_zero(src, sizeof src);
    if (k == SM_KIND_PROTECTED)
        return st == SM_ERR_MLOCK && s == NULL && wiped ? 0 : 1;
    /* An ENCLAVE secret needs locked memory only while open (for the key
     * and the plaintext): creation or access reports SM_ERR_MLOCK. */
    const uint8_t *d;
    size_t len;
    if (st == SM_OK && (st = sm_secret_acquire(s, &d, &len)) == SM_OK)
        sm_secret_release(s);
    sm_secret_free(s);
    return st == SM_ERR_MLOCK && wiped ? 0 : 1;
}

static void test_lock_failure_is_clean(void) {
    REQUIRE_REAL_MLOCK();
    sm_kind k;
    FOR_EACH_KIND(k) {
        CHECK(child_exited_with(run_in_child(secret_fails_under_memlock, &k), 0));
    }
}

static void test_invalid_arguments(void) {
    sm_kind k;
    FOR_EACH_KIND(k) {
        uint8_t src[4] = {1, 2, 3, 4};
        sm_secret *s = (sm_secret *)0x1;
        CHECK_STATUS(sm_secret_new(k, src, 0, &s), SM_ERR_INVALID); /* length 0 */
        CHECK(s == NULL);
        CHECK_STATUS(sm_secret_new(k, NULL, 4, &s), SM_ERR_INVALID);
        CHECK_STATUS(sm_secret_new_random(k, 0, &s), SM_ERR_INVALID);
        CHECK_STATUS(sm_secret_new_random(k, 16, NULL), SM_ERR_INVALID);
        CHECK_STATUS(sm_secret_new_random(k, SIZE_MAX, &s), SM_ERR_INVALID);
    }
    CHECK_STATUS(sm_secret_new_random((sm_kind)-1, 8, NULL), SM_ERR_INVALID);
    const uint8_t *d;
    size_t len, n;
    uint8_t buf[4];
    CHECK_STATUS(sm_secret_acquire(NULL, &d, &len), SM_ERR_INVALID);
    CHECK_STATUS(sm_secret_release(NULL), SM_ERR_INVALID);
    CHECK_STATUS(sm_secret_with_bytes(NULL, check_bytes, NULL), SM_ERR_INVALID);
    CHECK_STATUS(sm_secret_read(NULL, 0, buf, 4, &n), SM_ERR_INVALID);
    CHECK_STATUS(sm_secret_close(NULL), SM_ERR_INVALID);
    CHECK(sm_secret_size(NULL) == 0);
    CHECK(sm_secret_is_closed(NULL));
    sm_secret_free(NULL);

    sm_secret *s = NULL;
    REQUIRE(sm_secret_new_random(SM_KIND_PROTECTED, 8, &s) == SM_OK);
    CHECK_STATUS(sm_secret_with_bytes(s, NULL, NULL), SM_ERR_INVALID);
    CHECK_STATUS(sm_secret_acquire(s, NULL, &len), SM_ERR_INVALID);
    CHECK_STATUS(sm_secret_read(s, 0, NULL, 4, &n), SM_ERR_INVALID);
    CHECK_STATUS(sm_secret_read(s, 0, buf, 0, &n), SM_ERR_INVALID);
    CHECK_STATUS(sm_secret_read(s, 0, buf, 4, NULL), SM_ERR_INVALID);
    CHECK_STATUS(sm_secret_release(s), SM_ERR_INVALID); /* release without acquire */
    sm_secret_free(s);
}

static void test_random_secrets_differ(void) {
    sm_kind k;
    FOR_EACH_KIND(k) {
        sm_secret *a = NULL, *b = NULL;
        REQUIRE(sm_secret_new_random(k, 32, &a) == SM_OK);
        REQUIRE(sm_secret_new_random(k, 32, &b) == SM_OK);
        uint8_t x[32], y[32];
        size_t n;
        CHECK_STATUS(sm_secret_read(a, 0, x, 32, &n), SM_OK);
        CHECK_STATUS(sm_secret_read(b, 0, y, 32, &n), SM_OK);
        CHECK(memcmp(x, y, 32) != 0 && !all_zero(x, 32));
        sm_secret_free(a);
        sm_secret_free(b);
    }
}

static int fail_with_7(void *ctx, const uint8_t *data, size_t len) {
    (void)ctx;
    (void)data;
    (void)len;
    return 7;
}

static void test_callback_failure(void) {
    sm_kind k;
    FOR_EACH_KIND(k) {
        sm_secret *s = make(k, 1, 16);
        REQUIRE(s != NULL);
        CHECK_STATUS(sm_secret_with_bytes(s, fail_with_7, NULL), SM_ERR_CALLBACK);
        CHECK(sm_secret_last_callback_result() == 7);
        seen e = {1, 16, 0};
        CHECK_STATUS(sm_secret_with_bytes(s, check_bytes, &e), SM_OK); /* released */
        CHECK(sm_secret_last_callback_result() == 0);
        sm_secret_free(s);
    }
}

static void test_acquire_release_nest(void) {
    sm_kind k;
    FOR_EACH_KIND(k) {
        sm_secret *s = make(k, 9, 64);
        REQUIRE(s != NULL);
        const uint8_t *d1, *d2;
        size_t l1, l2;
        CHECK_STATUS(sm_secret_acquire(s, &d1, &l1), SM_OK);
        CHECK_STATUS(sm_secret_acquire(s, &d2, &l2), SM_OK);
        CHECK(d1 == d2 && l1 == 64 && d1[63] == 9);
        CHECK_STATUS(sm_secret_release(s), SM_OK);
        CHECK(d1[0] == 9); /* still readable: one access is outstanding */
        CHECK_STATUS(sm_secret_release(s), SM_OK);
        CHECK_STATUS(sm_secret_release(s), SM_ERR_INVALID);
        sm_secret_free(s);
    }
}

static int write_through_view(void *arg) {
    ((uint8_t *)arg)[0] = 0;
    return 0;
}

static int read_through_view(void *arg) {
    return ((volatile const uint8_t *)arg)[0];
}

static void test_view_is_read_only_and_hidden_at_rest(void) {
    sm_kind k;
    FOR_EACH_KIND(k) {
        sm_secret *s = make(k, 0x44, 32);
        REQUIRE(s != NULL);
        const uint8_t *d;
        size_t len;
        REQUIRE(sm_secret_acquire(s, &d, &len) == SM_OK);
        /* The forked child inherits the mapping as it is during access. */
        CHECK(child_killed_by(run_in_child(write_through_view, (void *)d), SIGSEGV));
        CHECK(d[0] == 0x44);
        REQUIRE(sm_secret_release(s) == SM_OK);
        /* At rest the old pointer is no-access (PROTECTED) or unmapped (ENCLAVE). */
        CHECK(child_killed_by(run_in_child(read_through_view, (void *)d), SIGSEGV));
        sm_secret_free(s);
    }
}

static _Atomic size_t releases, dirty;

static void observe(const uint8_t *inner, size_t len) {
    releases++;
    if (!all_zero(inner, len))
        dirty++;
}

static void test_purge_closes_every_secret(void) {
    uint64_t baseline = buffers_after_purge();
    sm_secret *s[6];
    for (int i = 0; i < 6; i++)
        REQUIRE((s[i] = make(kinds[i % 2], (uint8_t)(i + 1), 100)) != NULL);
    const uint8_t *d;
    size_t len;
    REQUIRE(sm_secret_acquire(s[1], &d, &len) == SM_OK); /* an open ENCLAVE plaintext */
    REQUIRE(sm_secret_release(s[1]) == SM_OK);
    sm_stats before = stats_now();
    CHECK(before.live_secrets_protected >= 3 && before.live_secrets_enclave >= 3);
    sm__pages_set_release_observer(observe);
    releases = dirty = 0;
    sm_purge();
    sm__pages_set_release_observer(NULL);
    CHECK(releases >= 3); /* the PROTECTED pages, verified zero before unmap */
    CHECK(dirty == 0);
    sm_stats after = stats_now();
    CHECK(after.live_secrets_protected == 0 && after.live_secrets_enclave == 0);
    CHECK(after.live_buffers == baseline);
    for (int i = 0; i < 6; i++) {
        CHECK(sm_secret_is_closed(s[i]));
        CHECK_STATUS(sm_secret_acquire(s[i], &d, &len), SM_ERR_CLOSED);
        CHECK_STATUS(sm_secret_close(s[i]), SM_OK);
        sm_secret_free(s[i]);
    }
    /* New secrets work after a purge. */
    sm_kind k;
    FOR_EACH_KIND(k) {
        sm_secret *n = make(k, 5, 8);
        seen e = {5, 8, 0};
        CHECK(n != NULL && sm_secret_with_bytes(n, check_bytes, &e) == SM_OK && e.all_match);
        sm_secret_free(n);
    }
}

static void test_stats_count_secrets(void) {
    sm_stats a = stats_now();
    sm_secret *p = make(SM_KIND_PROTECTED, 1, 8), *e = make(SM_KIND_ENCLAVE, 1, 8);
    sm_stats b = stats_now();
    CHECK(b.live_secrets_protected == a.live_secrets_protected + 1);
    CHECK(b.live_secrets_enclave == a.live_secrets_enclave + 1);
    CHECK(b.live_enclaves == a.live_enclaves + 1);
    sm_secret_close(p);
    sm_secret_close(e);
    sm_stats c = stats_now();
    CHECK(c.live_secrets_protected == a.live_secrets_protected);
    CHECK(c.live_secrets_enclave == a.live_secrets_enclave);
    CHECK(c.live_enclaves == a.live_enclaves);
    sm_secret_free(p);
    sm_secret_free(e);
}

/* ---- threads ---- */

typedef struct stress {
    sm_secret *s;
    atomic_int ok, closed, bad;
} stress;

static int verify_pattern(void *ctx, const uint8_t *data, size_t len) {
    stress *st = ctx;
    for (size_t i = 0; i < len; i++)
        if (data[i] != (uint8_t)i) {
            st->bad++;
            break;
        }
    return 0;
}

/*
 * At least 10,000 accesses, and on until this reader has seen the close
 * (bounded, so a close that never lands fails the test instead of hanging).
 */
static void *reader(void *arg) {
    stress *st = arg;
    int saw_close = 0;
    for (long i = 0; (i < 10000 || !saw_close) && i < 50000000; i++) {
        sm_status r = sm_secret_with_bytes(st->s, verify_pattern, st);
        if (r == SM_OK)
            st->ok++;
        else if (r == SM_ERR_CLOSED)
            saw_close = 1;
        else
            st->bad++;
    }
    st->closed += saw_close;
    return NULL;
}

static void *closer(void *arg) {
    stress *st = arg;
    while (st->ok < 20000)
        sched_yield();
    sm_secret_close(st->s);
    return NULL;
}

static void test_stress_readers_while_closing(void) {
    uint64_t baseline = buffers_after_purge();
    sm_kind k;
    FOR_EACH_KIND(k) {
        uint8_t src[64];
        for (int i = 0; i < 64; i++)
            src[i] = (uint8_t)i;
        stress st = {0};
        REQUIRE(sm_secret_new(k, src, sizeof src, &st.s) == SM_OK);
        pthread_t t[9];
        for (int i = 0; i < 8; i++)
            pthread_create(&t[i], NULL, reader, &st);
        pthread_create(&t[8], NULL, closer, &st);
        for (int i = 0; i < 9; i++)
            pthread_join(t[i], NULL);
        CHECK(st.bad == 0);
        CHECK(st.ok >= 20000);
        CHECK(st.closed == 8); /* every reader was refused once the close landed */
        CHECK(sm_secret_is_closed(st.s));
        sm_secret_free(st.s);
    }
    CHECK(buffers_after_purge() == baseline);
}

typedef struct race {
    sm_secret *s;
    atomic_int stop;
} race;

static void *race_reader(void *arg) {
    race *r = arg;
    stress dummy = {0};
    while (!r->stop) {
        const uint8_t *d;
        size_t len;
        if (sm_secret_acquire(r->s, &d, &len) == SM_OK) {
            verify_pattern(&dummy, d, len);
            sm_secret_release(r->s);
        }
    }
    return dummy.bad ? (void *)1 : NULL;
}

static void test_purge_and_free_race_with_access(void) {
    uint64_t baseline = buffers_after_purge();
    for (int round = 0; round < 40; round++) {
        uint8_t src[32];
        for (int i = 0; i < 32; i++)
            src[i] = (uint8_t)i;
        race r = {0};
        REQUIRE(sm_secret_new(kinds[round % 2], src, sizeof src, &r.s) == SM_OK);
        pthread_t t[3];
        for (int i = 0; i < 3; i++)
            pthread_create(&t[i], NULL, race_reader, &r);
        if (round % 3 == 0)
            sm_purge();
        else
            sm_secret_close(r.s);
        r.stop = 1;
        void *res;
        for (int i = 0; i < 3; i++) {
            pthread_join(t[i], &res);
            CHECK(res == NULL);
        }
        sm_secret_free(r.s);
    }
    CHECK(stats_now().live_secrets_protected == 0);
    CHECK(buffers_after_purge() == baseline);
}

static void *free_many(void *arg) {
    sm_secret **s = arg;
    for (int i = 0; i < 500; i++)
        sm_secret_free(s[i]);
    return NULL;
}

static void test_free_races_with_purge(void) {
    sm_secret **s = calloc(500, sizeof *s);
    for (int i = 0; i < 500; i++)
        REQUIRE(sm_secret_new_random(kinds[i % 2], 16, &s[i]) == SM_OK);
    pthread_t t;
    pthread_create(&t, NULL, free_many, s);
    sm_purge();
    pthread_join(t, NULL);
    free(s);
    CHECK(stats_now().live_secrets_protected == 0);
    CHECK(stats_now().live_secrets_enclave == 0);
}

int main(void) {
    RUN(test_lifecycle_both_kinds);
    RUN(test_src_wiped_on_every_path);
    RUN(test_absurd_length_is_refused_not_wiped);
    RUN(test_lock_failure_is_clean);
    RUN(test_invalid_arguments);
    RUN(test_random_secrets_differ);
    RUN(test_callback_failure);
    RUN(test_acquire_release_nest);
    RUN(test_view_is_read_only_and_hidden_at_rest);
    RUN(test_purge_closes_every_secret);
    RUN(test_stats_count_secrets);
    RUN(test_stress_readers_while_closing);
    RUN(test_purge_and_free_race_with_access);
    RUN(test_free_races_with_purge);
    return harness_done();
}
