/*
 * Case: a stream with one sealed chunk corrupted. Reading on must hand out
 * the bytes before that chunk unchanged, then report SM_ERR_AUTH and break
 * as after a purge (header, sm_purge): size 0, reads, next and flush give
 * SM_ERR_AUTH, writes SM_ERR_CLOSED. No byte of the corrupted chunk or
 * after it may come out.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "seal_tap.h"
#include "tamper.h"

#define DOC_READ                                                                                   \
    (ST(SM_ERR_INVALID) | ST(SM_ERR_EOF) | ST(SM_ERR_AUTH) | ST(SM_ERR_NOMEM) | ST(SM_ERR_MLOCK))
#define TOTAL_MAX  ((size_t)64 << 10)
#define CHUNKS_MAX 256

typedef struct sstate {
    sm_stream *s;
    size_t chunk;
    uint8_t *plain; /* every byte written, in order */
    size_t written;
    size_t taken; /* bytes handed out so far */
    sm_enclave *chunks[TAP_MAX];
    size_t nchunks;
} sstate;

static size_t pick_chunk(fz *in) {
    uint8_t how = fz_u8(in) % 4;
    if (how == 0)
        return 1 + fz_below(in, 64);
    if (how == 1)
        return 1 + fz_pick(in, 4 * sm_page_size());
    if (how == 2)
        return 0; /* the default, 4 pages */
    return 1 + fz_below(in, 300);
}

static void write_some(fz *in, sstate *ss) {
    size_t most = TOTAL_MAX - ss->written, by_chunks = ss->chunk * CHUNKS_MAX / 4;
    size_t len = fz_pick(in, (most < by_chunks ? most : by_chunks) + 1);
    uint8_t *src = ss->plain + ss->written;
    fz_pattern(fz_u16(in), src, len);
    tap_open();
    sm_status st = sm_stream_write(ss->s, src, len);
    tap_close(ss->chunks, &ss->nchunks, TAP_MAX);
    FUZZ_STATUS("sm_stream_write", ST(SM_ERR_INVALID), st, SM_OK);
    ss->written += len;
    fuzz_trace("stream: wrote %zu (chunk %zu, %zu written)", len, ss->chunk, ss->written);
}

/* Recorded chunks still queued, in order (the ones read were freed). */
static size_t queued_chunks(sstate *ss) {
    size_t n = 0;
    for (size_t i = 0; i < ss->nchunks; i++)
        if (tap_alive(ss->chunks[i]))
            ss->chunks[n++] = ss->chunks[i];
    ss->nchunks = n;
    return n;
}

/* One read-type call; returns its status. Bytes that come out must be the next ones. */
static sm_status take(fz *in, sstate *ss) {
    size_t queued = ss->written - ss->taken, n = 0;
    int more = fz_more(in); /* once the input ends, whole reads finish the drain */
    uint8_t how = fz_u8(in) % 4;
    sm_status st;
    sm_buffer *b = NULL;
    if (how <= 1) {
        size_t cap = more ? 1 + fz_pick(in, queued + ss->chunk) : queued + ss->chunk;
        uint8_t *dst = malloc(cap);
        FUZZ_CHECK(dst != NULL, "the fuzzer ran out of memory");
        st = sm_stream_read(ss->s, dst, cap, &n);
        FUZZ_STATUS("sm_stream_read", DOC_READ, st, st); /* checked by the caller */
        FUZZ_CHECK(n <= cap && n <= queued, "sm_stream_read moved %zu (cap %zu, queued %zu)", n,
                   cap, queued);
        FUZZ_CHECK(st == SM_OK || n == 0, "sm_stream_read failed but moved %zu bytes", n);
        FUZZ_BYTES("sm_stream_read", dst, ss->plain + ss->taken, n);
        free(dst);
    } else {
        st = how == 2 ? sm_stream_next(ss->s, &b) : sm_stream_flush(ss->s, &b);
        FUZZ_STATUS(how == 2 ? "sm_stream_next" : "sm_stream_flush", DOC_READ, st, st);
        n = b != NULL ? sm_buffer_size(b) : 0;
        FUZZ_CHECK(st == SM_OK ? b != NULL && n <= queued : b == NULL,
                   "stream take %u gave status %s and %zu bytes", how, sm_status_name(st), n);
        if (b != NULL)
            FUZZ_BYTES(how == 2 ? "sm_stream_next" : "sm_stream_flush", sm_buffer_data(b),
                       ss->plain + ss->taken, n);
        sm_buffer_free(b);
    }
    fuzz_trace("stream: take %u -> %s, %zu bytes", how, sm_status_name(st), n);
    ss->taken += n;
    return st;
}

/* After SM_ERR_AUTH the stream is broken for good. */
static void check_broken(sstate *ss) {
    uint8_t byte = 0;
    size_t n = 7;
    sm_buffer *b = NULL;
    FUZZ_CHECK(sm_stream_size(ss->s) == 0, "a broken stream holds %zu bytes",
               sm_stream_size(ss->s));
    FUZZ_STATUS("sm_stream_read", DOC_READ, sm_stream_read(ss->s, &byte, 1, &n), SM_ERR_AUTH);
    FUZZ_STATUS("sm_stream_next", DOC_READ, sm_stream_next(ss->s, &b), SM_ERR_AUTH);
    FUZZ_STATUS("sm_stream_flush", DOC_READ, sm_stream_flush(ss->s, &b), SM_ERR_AUTH);
    FUZZ_STATUS("sm_stream_write", ST(SM_ERR_INVALID) | ST(SM_ERR_CLOSED),
                sm_stream_write(ss->s, &byte, 1), SM_ERR_CLOSED);
}

/*
 * Reads until the stream is drained or fails. With the chunk corrupted,
 * SM_ERR_AUTH must come before any byte from `limit` on (the first byte of
 * the corrupted chunk, when known; else the end less one chunk).
 */
static void drain(fz *in, sstate *ss, int corrupted, size_t limit) {
    for (unsigned i = 0; i < 4 * CHUNKS_MAX + 8; i++) {
        sm_status st = take(in, ss);
        FUZZ_CHECK(ss->taken <= limit,
                   "bytes of the corrupted chunk came out (%zu of %zu, limit "
                   "%zu)",
                   ss->taken, ss->written, limit);
        if (st == SM_ERR_AUTH) {
            FUZZ_CHECK(corrupted, "SM_ERR_AUTH from a stream nobody corrupted");
            check_broken(ss);
            return;
        }
        FUZZ_CHECK(st == SM_OK || st == SM_ERR_EOF, "stream take gave %s", sm_status_name(st));
        if (st == SM_ERR_EOF) {
            FUZZ_CHECK(!corrupted, "the stream drained without noticing the corrupted chunk");
            FUZZ_CHECK(ss->taken == ss->written, "EOF after %zu of %zu bytes", ss->taken,
                       ss->written);
            return;
        }
    }
    FUZZ_CHECK(0, "the stream neither drained nor failed");
}

void case_stream(fz *in) {
    static sstate ss;
    memset(&ss, 0, sizeof ss);
    size_t chunk = pick_chunk(in);
    FUZZ_STATUS("sm_stream_new", ST(SM_ERR_INVALID), sm_stream_new(chunk, &ss.s), SM_OK);
    ss.chunk = sm_stream_chunk_size(ss.s);
    ss.plain = malloc(TOTAL_MAX);
    FUZZ_CHECK(ss.plain != NULL, "the fuzzer ran out of memory");
    size_t writes = 1 + fz_below(in, 6);
    for (size_t i = 0; i < writes; i++)
        write_some(in, &ss);
    uint8_t early = fz_u8(in); /* %4 == 0: 1 to 3 reads before the corruption */
    size_t reads = 1 + fz_below(in, 3);
    reads = early % 4 == 0 ? reads : 0;
    int broken = 0;
    for (size_t i = 0; i < reads && !broken && ss.taken < ss.written; i++)
        broken = take(in, &ss) != SM_OK;
    FUZZ_CHECK(!broken, "a stream nobody corrupted failed to read");
    size_t n = queued_chunks(&ss);
    tampering t = {0};
    size_t limit = ss.written;
    if (n > 0) {
        size_t victim = fz_pick(in, n);
        tamper_apply(in, ss.chunks[victim], &t);
        /* Nothing read yet: the sealed chunks are the stream's first bytes. */
        limit = reads == 0 ? victim * ss.chunk : ss.written - ss.chunk;
        fuzz_trace("stream: chunk %zu of %zu corrupted (changed %d), limit %zu", victim, n,
                   t.changed, limit);
    }
    drain(in, &ss, t.changed, t.changed ? limit : ss.written);
    tamper_release(&t);
    sm_stream_free(ss.s);
    free(ss.plain);
}
