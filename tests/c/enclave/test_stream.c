/* Streams: exact round trips over chunk boundaries, next/flush, FIFO model, purge, threads. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "harness.h"
#include "pool.h"
#include "scan.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng(void) { /* xorshift64*: reproducible, seed printed below */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static size_t rng_upto(size_t n) { /* 1..n */
    return 1 + (size_t)(rng() % n);
}

static void fill(uint8_t *p, size_t len) {
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(rng() >> 56);
}

/* Writes data in random pieces, reads it back with random sizes, compares. */
static void round_trip(size_t chunk, size_t len) {
    sm_stream *s = NULL;
    REQUIRE(sm_stream_new(chunk, &s) == SM_OK);
    size_t cs = sm_stream_chunk_size(s);
    uint8_t *data = malloc(len + 1), *got = malloc(len + 1);
    REQUIRE(data != NULL && got != NULL);
    fill(data, len);
    for (size_t off = 0; off < len;) {
        size_t n = rng_upto(3 * cs);
        n = n > len - off ? len - off : n;
        CHECK_STATUS(sm_stream_write(s, data + off, n), SM_OK);
        off += n;
    }
    CHECK(sm_stream_size(s) == len);
    size_t off = 0;
    for (;;) {
        size_t cap = rng_upto(2 * cs + 3), n = 0;
        if (cap > len + 1 - off)
            cap = len + 1 - off; /* room for one byte more than is left */
        sm_status st = sm_stream_read(s, got + off, cap, &n);
        if (st == SM_ERR_EOF) {
            CHECK(n == 0);
            break;
        }
        CHECK_STATUS(st, SM_OK);
        if (st != SM_OK || n == 0)
            break;
        off += n;
        CHECK(sm_stream_size(s) == len - off);
    }
    CHECK(off == len);
    CHECK(memcmp(data, got, len) == 0);
    CHECK(sm_stream_size(s) == 0);
    size_t n = 1;
    CHECK_STATUS(sm_stream_read(s, got, 1, &n), SM_ERR_EOF);
    CHECK(n == 0);
    free(data);
    free(got);
    sm_stream_free(s);
}

static void test_round_trips(void) {
    printf("# rng seed %llu\n", (unsigned long long)rng_state);
    size_t chunks[] = {0, 1000, 3 * 4096 + 5};
    for (size_t c = 0; c < 3; c++) {
        size_t cs = chunks[c] != 0 ? chunks[c] : 4 * sm_page_size();
        size_t sizes[] = {0, 1, cs - 1, cs, cs + 1, 10u << 20};
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
            round_trip(chunks[c], sizes[i]);
    }
}

static void test_new_and_arguments(void) {
    sm_stream *s = (sm_stream *)&s;
    CHECK_STATUS(sm_stream_new(0, NULL), SM_ERR_INVALID);
    CHECK_STATUS(sm_stream_new(SIZE_MAX, &s), SM_ERR_INVALID);
    CHECK(s == NULL);
    CHECK_STATUS(sm_stream_new(0, &s), SM_OK);
    REQUIRE(s != NULL);
    CHECK(sm_stream_chunk_size(s) == 4 * sm_page_size());
    CHECK(sm_stream_chunk_size(NULL) == 0);
    CHECK(sm_stream_size(NULL) == 0);
    uint8_t b[4] = {1, 2, 3, 4};
    size_t n = 7;
    CHECK_STATUS(sm_stream_write(NULL, b, 4), SM_ERR_INVALID);
    CHECK_STATUS(sm_stream_write(s, NULL, 4), SM_ERR_INVALID);
    CHECK_STATUS(sm_stream_write(s, NULL, 0), SM_OK);
    CHECK_STATUS(sm_stream_write(s, b, 0), SM_OK);
    CHECK(sm_stream_size(s) == 0);
    CHECK_STATUS(sm_stream_read(s, b, 4, &n), SM_ERR_EOF);
    CHECK(n == 0);
    CHECK_STATUS(sm_stream_read(s, b, 0, &n), SM_ERR_INVALID);
    CHECK_STATUS(sm_stream_read(s, NULL, 4, &n), SM_ERR_INVALID);
    CHECK_STATUS(sm_stream_read(s, b, 4, NULL), SM_ERR_INVALID);
    sm_buffer *out = (sm_buffer *)&out;
    CHECK_STATUS(sm_stream_next(s, &out), SM_ERR_EOF);
    CHECK(out == NULL);
    CHECK_STATUS(sm_stream_flush(s, &out), SM_ERR_EOF);
    CHECK_STATUS(sm_stream_next(NULL, &out), SM_ERR_INVALID);
    CHECK_STATUS(sm_stream_flush(s, NULL), SM_ERR_INVALID);
    /* Writes do not wipe their source (it may be read-only). */
    CHECK_STATUS(sm_stream_write(s, b, 4), SM_OK);
    CHECK(b[0] == 1 && b[3] == 4);
    sm_stream_free(s);
    sm_stream_free(NULL);
}

/* next hands out whole chunks of exactly the chunk size, then the tail. */
static void test_next_uses_chunk_size(void) {
    const size_t cs = 1000, len = 3 * cs + 5;
    sm_stream *s = NULL;
    REQUIRE(sm_stream_new(cs, &s) == SM_OK);
    uint8_t *data = malloc(len);
    REQUIRE(data != NULL);
    fill(data, len);
    for (size_t off = 0; off < len; off += 7) /* small writes fill the tail chunk */
        CHECK_STATUS(sm_stream_write(s, data + off, len - off < 7 ? len - off : 7), SM_OK);
    size_t want[] = {cs, cs, cs, 5}, off = 0;
    for (size_t i = 0; i < 4; i++) {
        sm_buffer *b = NULL;
        CHECK_STATUS(sm_stream_next(s, &b), SM_OK);
        REQUIRE(b != NULL);
        CHECK(sm_buffer_size(b) == want[i]);
        CHECK(sm_buffer_protection(b) == SM_PROT_READ);
        CHECK(memcmp(sm_buffer_data(b), data + off, want[i]) == 0);
        off += sm_buffer_size(b);
        sm_buffer_free(b);
        CHECK(sm_stream_size(s) == len - off);
    }
    sm_buffer *b = NULL;
    CHECK_STATUS(sm_stream_next(s, &b), SM_ERR_EOF);
    CHECK(b == NULL);
    free(data);
    sm_stream_free(s);
}

/* next after a partial read returns the rest of that chunk. */
static void test_next_after_partial_read(void) {
    const size_t cs = 256;
    sm_stream *s = NULL;
    REQUIRE(sm_stream_new(cs, &s) == SM_OK);
    uint8_t data[600], got[10];
    fill(data, sizeof data);
    REQUIRE(sm_stream_write(s, data, sizeof data) == SM_OK);
    size_t n = 0;
    CHECK_STATUS(sm_stream_read(s, got, sizeof got, &n), SM_OK);
    CHECK(n == 10 && memcmp(got, data, 10) == 0);
    sm_buffer *b = NULL;
    CHECK_STATUS(sm_stream_next(s, &b), SM_OK);
    REQUIRE(b != NULL);
    CHECK(sm_buffer_size(b) == cs - 10);
    CHECK(memcmp(sm_buffer_data(b), data + 10, cs - 10) == 0);
    sm_buffer_free(b);
    CHECK(sm_stream_size(s) == sizeof data - cs);
    sm_stream_free(s);
}

static void test_flush(void) {
    const size_t cs = 512, len = 5 * cs + 77;
    sm_stream *s = NULL;
    REQUIRE(sm_stream_new(cs, &s) == SM_OK);
    uint8_t *data = malloc(len), got[100];
    REQUIRE(data != NULL);
    fill(data, len);
    REQUIRE(sm_stream_write(s, data, len) == SM_OK);
    size_t n = 0;
    CHECK_STATUS(sm_stream_read(s, got, sizeof got, &n), SM_OK); /* leaves a half-read chunk */
    CHECK(n == sizeof got);
    sm_buffer *b = NULL;
    CHECK_STATUS(sm_stream_flush(s, &b), SM_OK);
    REQUIRE(b != NULL);
    CHECK(sm_buffer_size(b) == len - sizeof got);
    CHECK(sm_buffer_protection(b) == SM_PROT_READ);
    CHECK(memcmp(sm_buffer_data(b), data + sizeof got, len - sizeof got) == 0);
    sm_buffer_free(b);
    CHECK(sm_stream_size(s) == 0);
    CHECK_STATUS(sm_stream_flush(s, &b), SM_ERR_EOF);
    /* The stream goes on working after a flush. */
    CHECK_STATUS(sm_stream_write(s, data, 3), SM_OK);
    CHECK_STATUS(sm_stream_flush(s, &b), SM_OK);
    REQUIRE(b != NULL);
    CHECK(sm_buffer_size(b) == 3 && memcmp(sm_buffer_data(b), data, 3) == 0);
    sm_buffer_free(b);
    free(data);
    sm_stream_free(s);
}

/* Random interleaving of writes, reads, next and flush against a plain FIFO model. */
static void test_fifo_model(void) {
    const size_t cs = 300, cap = 1 << 20;
    uint8_t *model = malloc(cap), *tmp = malloc(cap);
    REQUIRE(model != NULL && tmp != NULL);
    size_t head = 0, tail = 0; /* model[head, tail) is queued */
    sm_stream *s = NULL;
    REQUIRE(sm_stream_new(cs, &s) == SM_OK);
    for (int step = 0; step < 3000 && tail + 4 * cs < cap; step++) {
        unsigned op = (unsigned)(rng() % 10);
        if (op < 5) {
            size_t n = rng_upto(2 * cs);
            fill(model + tail, n);
            CHECK_STATUS(sm_stream_write(s, model + tail, n), SM_OK);
            tail += n;
        } else if (op < 8) {
            size_t n = 0, want = rng_upto(2 * cs);
            sm_status st = sm_stream_read(s, tmp, want, &n);
            size_t avail = tail - head;
            CHECK_STATUS(st, avail ? SM_OK : SM_ERR_EOF);
            CHECK(n == (avail < want ? avail : want));
            CHECK(memcmp(tmp, model + head, n) == 0);
            head += n;
        } else {
            sm_buffer *b = NULL;
            sm_status st = op == 8 ? sm_stream_next(s, &b) : sm_stream_flush(s, &b);
            CHECK_STATUS(st, tail > head ? SM_OK : SM_ERR_EOF);
            size_t n = sm_buffer_size(b);
            CHECK(n <= tail - head && (op == 8 ? n <= cs : n == tail - head));
            CHECK(b == NULL || (n > 0 && memcmp(sm_buffer_data(b), model + head, n) == 0));
            head += n;
            sm_buffer_free(b);
        }
        CHECK(sm_stream_size(s) == tail - head);
        if (harness_current_failed) {
            printf("# failed at step %d\n", step);
            break;
        }
    }
    free(model);
    free(tmp);
    sm_stream_free(s);
}

static void test_purge(void) {
    sm_stream *full = NULL, *empty = NULL, *tail_only = NULL;
    REQUIRE(sm_stream_new(128, &full) == SM_OK);
    REQUIRE(sm_stream_new(128, &empty) == SM_OK);
    REQUIRE(sm_stream_new(128, &tail_only) == SM_OK);
    uint8_t data[1000], got[1000];
    fill(data, sizeof data);
    REQUIRE(sm_stream_write(full, data, sizeof data) == SM_OK);
    size_t n = 0;
    REQUIRE(sm_stream_read(full, got, 10, &n) == SM_OK); /* a half-read chunk too */
    REQUIRE(sm_stream_write(tail_only, data, 5) == SM_OK);
    sm_purge();
    CHECK(sm_stream_size(full) == 0 && sm_stream_size(tail_only) == 0);
    CHECK_STATUS(sm_stream_read(full, got, sizeof got, &n), SM_ERR_AUTH);
    CHECK(n == 0);
    sm_buffer *b = (sm_buffer *)&b;
    CHECK_STATUS(sm_stream_next(full, &b), SM_ERR_AUTH);
    CHECK(b == NULL);
    CHECK_STATUS(sm_stream_flush(full, &b), SM_ERR_AUTH);
    CHECK_STATUS(sm_stream_read(tail_only, got, sizeof got, &n), SM_ERR_AUTH);
    /* A stream that lost bytes takes no more: they could never be read. */
    CHECK_STATUS(sm_stream_write(full, data, 10), SM_ERR_CLOSED);
    CHECK_STATUS(sm_stream_write(tail_only, data, 10), SM_ERR_CLOSED);
    CHECK(sm_stream_size(full) == 0);
    CHECK_STATUS(sm_stream_read(full, got, sizeof got, &n), SM_ERR_AUTH);
    /* An empty stream lost nothing and keeps working. */
    CHECK_STATUS(sm_stream_write(empty, data, sizeof data), SM_OK);
    CHECK_STATUS(sm_stream_read(empty, got, sizeof got, &n), SM_OK);
    CHECK(n == sizeof data && memcmp(got, data, sizeof data) == 0);
    sm_stream_free(full);
    sm_stream_free(empty);
    sm_stream_free(tail_only);
}

/* ------------------------------------------------------------------ */

#define PIPE_BYTES (2u << 20)

static void *pipe_writer(void *arg) {
    sm_stream *s = arg;
    uint8_t piece[3000];
    uint32_t counter = 0, x = 12345;
    for (size_t sent = 0; sent < PIPE_BYTES;) {
        x = x * 1103515245u + 12345u;
        size_t n = 1 + (x >> 8) % sizeof piece;
        n = n > PIPE_BYTES - sent ? PIPE_BYTES - sent : n;
        for (size_t i = 0; i < n; i++)
            piece[i] = (uint8_t)(counter++ * 7u);
        if (sm_stream_write(s, piece, n) != SM_OK)
            return arg;
        sent += n;
    }
    return NULL;
}

static void test_writer_reader_threads(void) {
    sm_stream *s = NULL;
    REQUIRE(sm_stream_new(1024, &s) == SM_OK);
    pthread_t w;
    REQUIRE(pthread_create(&w, NULL, pipe_writer, s) == 0);
    uint8_t buf[4096];
    uint32_t counter = 0;
    int bad = 0;
    size_t got = 0;
    while (got < PIPE_BYTES && !bad) {
        size_t n = 0;
        sm_status st = sm_stream_read(s, buf, 1 + (size_t)(rng() % sizeof buf), &n);
        if (st == SM_ERR_EOF) {
            sched_yield();
            continue;
        }
        bad |= st != SM_OK;
        for (size_t i = 0; i < n; i++)
            bad |= buf[i] != (uint8_t)(counter++ * 7u);
        got += n;
    }
    void *wr = NULL;
    pthread_join(w, &wr);
    CHECK(wr == NULL);
    CHECK(!bad);
    CHECK(got == PIPE_BYTES);
    CHECK(sm_stream_size(s) == 0);
    sm_stream_free(s);
}

/* ------------------------------------------------------------------ */

/*
 * A failing write appends nothing: with RLIMIT_MEMLOCK at 0 (strict lock
 * policy) the tail buffer cannot be allocated after two whole chunks were
 * already sealed; the stream must stay empty.
 */
static int write_rollback_child(void *arg) {
    (void)arg;
    uint8_t data[2 * 512 + 10] = {1};
    sm_enclave *warm = NULL; /* make the coffer key before the limit */
    if (sm_enclave_new_random(8, &warm) != SM_OK)
        return child_fail(1);
    sm_stream *s = NULL;
    if (sm_stream_new(512, &s) != SM_OK)
        return child_fail(2);
    if (drop_ipc_lock_and_limit(0) != 0)
        return child_fail(3);
    /* The random source's slot is cached, still locked: a tail buffer
     * taking it would need no new lock. Give it back first. */
    (void)sm__pool_cache_drain();
    if (sm_stream_write(s, data, sizeof data) != SM_ERR_MLOCK)
        return child_fail(4);
    if (sm_stream_size(s) != 0)
        return child_fail(5);
    size_t n = 0;
    if (sm_stream_read(s, data, sizeof data, &n) != SM_ERR_EOF)
        return child_fail(6);
    if (sm_stream_write(s, data, 512) != SM_OK) /* a whole chunk needs no tail buffer */
        return child_fail(7);
    sm_stream_free(s);
    sm_enclave_free(warm);
    return 0;
}

static void test_failed_write_appends_nothing(void) {
    REQUIRE_REAL_MLOCK();
    int st = run_in_child(write_rollback_child, NULL);
    CHECK(child_exited_with(st, 0));
    if (!child_exited_with(st, 0))
        printf("# child status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
}

/* ------------------------------------------------------------------ */
/* No readable plaintext at rest (issue 11, section 2)                 */
/* ------------------------------------------------------------------ */

#define AT_REST 64u /* the secret's length */

/* Places in the library's readable memory holding a window of the secret. */
static size_t readable_hits(scan_state *needle) {
    scan_result r = scan_state_process(getpid(), needle, SCAN_LIBRARY_READABLE);
    if (r.hits != 0)
        scan_print("readable", &r);
    return r.hits;
}

/* A random secret in a guarded buffer, and the scanner's needle for it. */
static sm_buffer *secret_and_needle(size_t len, size_t at, scan_state **needle) {
    sm_buffer *b = NULL;
    if (sm_buffer_new_random(len, &b) != SM_OK)
        return NULL;
    *needle = scan_state_new(sm_buffer_data(b) + at, AT_REST);
    return b;
}

/* Between calls, an unsealed tail (less than a chunk) is not readable. */
static void test_partial_tail_not_readable_at_rest(void) {
    scan_state *needle = NULL;
    sm_buffer *src = secret_and_needle(AT_REST, 0, &needle);
    sm_stream *s = NULL;
    REQUIRE(src != NULL && needle != NULL && sm_stream_new(4096, &s) == SM_OK);
    CHECK_STATUS(sm_stream_write(s, sm_buffer_data(src), AT_REST), SM_OK);
    sm_buffer_free(src); /* wiped: the stream holds the only copy */
    CHECK(readable_hits(needle) == 0);
    /* A second write extends the same tail; still nothing readable. */
    uint8_t more[16] = {0};
    CHECK_STATUS(sm_stream_write(s, more, sizeof more), SM_OK);
    CHECK(readable_hits(needle) == 0);
    /* The scan does see the library's readable memory: next hands out a read-only copy. */
    sm_buffer *out = NULL;
    CHECK_STATUS(sm_stream_next(s, &out), SM_OK);
    CHECK(sm_buffer_size(out) == AT_REST + sizeof more);
    CHECK(readable_hits(needle) >= 1);
    sm_buffer_free(out);
    sm_stream_free(s);
    scan_state_free(needle);
}

/* Between calls, a chunk a read took only part of is not readable. */
static void test_partly_read_chunk_not_readable_at_rest(void) {
    const size_t chunk = 4096, len = 2 * chunk, at = 2000;
    scan_state *needle = NULL;
    sm_buffer *src = secret_and_needle(len, at, &needle), *dst = NULL;
    sm_stream *s = NULL;
    REQUIRE(src != NULL && needle != NULL && sm_buffer_new(len, &dst) == SM_OK);
    REQUIRE(sm_stream_new(chunk, &s) == SM_OK);
    CHECK_STATUS(sm_stream_write(s, sm_buffer_data(src), len), SM_OK);
    CHECK(sm_stream_size(s) == len);
    size_t n = 0;
    CHECK_STATUS(sm_stream_read(s, sm_buffer_data(dst), 100, &n), SM_OK); /* opens chunk 0 */
    CHECK(n == 100);
    (void)sm_buffer_noaccess(src);
    CHECK(readable_hits(needle) == 0);
    (void)sm_buffer_melt(src);
    size_t got = n;
    while (got < len && sm_stream_read(s, sm_buffer_data(dst) + got, 333, &n) == SM_OK)
        got += n;
    CHECK(got == len);
    CHECK(sm_equal(sm_buffer_data(dst), sm_buffer_data(src), len));
    sm_buffer_free(dst);
    sm_buffer_free(src);
    sm_stream_free(s);
    scan_state_free(needle);
}

int main(void) {
    RUN(test_new_and_arguments);
    RUN(test_round_trips);
    RUN(test_next_uses_chunk_size);
    RUN(test_next_after_partial_read);
    RUN(test_flush);
    RUN(test_fifo_model);
    RUN(test_writer_reader_threads);
    RUN(test_failed_write_appends_nothing);
    RUN(test_purge);
    RUN(test_partial_tail_not_readable_at_rest);
    RUN(test_partly_read_chunk_not_readable_at_rest);
    return harness_done();
}
