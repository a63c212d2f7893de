/*
 * The timed operations. Every operation runs the whole public-API cycle a
 * caller needs to repeat it (create and free, open and free the buffer),
 * and every anchor does the equivalent with libsodium or raw system calls.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ops.h"
#include "results.h"
#include "securememory.h"
#include "timing.h"

#define XC_NPUB crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define XC_ABYT crypto_aead_xchacha20poly1305_ietf_ABYTES
#define XC_KEY  crypto_aead_xchacha20poly1305_ietf_KEYBYTES

static volatile uint8_t sink; /* reads land here so they are not optimised away */

static const char *kind_name(sm_kind k) {
    return k == SM_KIND_PROTECTED ? "PROTECTED" : "ENCLAVE";
}

static void *must_alloc(size_t n) {
    void *p = malloc(n);
    if (p == NULL) {
        fprintf(stderr, "out of memory (%zu bytes)\n", n);
        exit(2);
    }
    return p;
}

static void must(sm_status st, const char *what) {
    if (st != SM_OK) {
        fprintf(stderr, "%s failed: %s\n", what, sm_status_name(st));
        exit(2);
    }
}

/* ------------------------------------------------------------------ */
/* create + close                                                      */
/* ------------------------------------------------------------------ */

typedef struct create_ctx {
    sm_kind kind;
    size_t len;
    uint8_t *src;
} create_ctx;

static double op_secret_create_close(void *arg, size_t iters) {
    create_ctx *c = arg;
    for (size_t i = 0; i < iters; i++) {
        sm_secret *s = NULL;
        memset(c->src, 0x5A, c->len); /* sm_secret_new wipes its source */
        must(sm_secret_new(c->kind, c->src, c->len, &s), "sm_secret_new");
        sm_secret_free(s);
    }
    return 0;
}

static double op_sodium_malloc_free(void *arg, size_t iters) {
    create_ctx *c = arg;
    for (size_t i = 0; i < iters; i++) {
        void *p = sodium_malloc(c->len);
        if (p == NULL)
            must(SM_ERR_NOMEM, "sodium_malloc");
        memset(c->src, 0x5A, c->len);
        memcpy(p, c->src, c->len);
        sodium_mprotect_noaccess(p);
        sodium_free(p);
    }
    return 0;
}

void bench_create_close(void) {
    size_t sizes[] = {32, 1024};
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < 2; i++) {
            create_ctx c = {(sm_kind)k, sizes[i], must_alloc(sizes[i])};
            char name[64], anchor[64];
            snprintf(name, sizeof name, "secret new+free %s %zu B", kind_name(c.kind), c.len);
            snprintf(anchor, sizeof anchor, "sodium_malloc+noaccess+free %zu B", c.len);
            double ns, ans;
            timing_pair((bench_op){op_secret_create_close, &c},
                        (bench_op){op_sodium_malloc_free, &c}, &ns, &ans);
            results_pair("create_close", name, ns, anchor, ans);
            free(c.src);
        }
    }
}

/* ------------------------------------------------------------------ */
/* with_bytes                                                          */
/* ------------------------------------------------------------------ */

static int read_one(void *ctx, const uint8_t *data, size_t len) {
    (void)ctx;
    sink = data[len - 1];
    return 0;
}

static double op_with_bytes(void *arg, size_t iters) {
    for (size_t i = 0; i < iters; i++)
        must(sm_secret_with_bytes(arg, read_one, NULL), "sm_secret_with_bytes");
    return 0;
}

typedef struct two_ctx {
    sm_secret *s;
    size_t iters;
    pthread_barrier_t start;
    double t0[2], t1[2];
} two_ctx;

typedef struct two_arg {
    two_ctx *c;
    int i;
} two_arg;

static void *with_bytes_thread(void *arg) {
    two_arg *a = arg;
    pthread_barrier_wait(&a->c->start);
    a->c->t0[a->i] = timing_now_ns();
    (void)op_with_bytes(a->c->s, a->c->iters);
    a->c->t1[a->i] = timing_now_ns();
    return NULL;
}

/*
 * Both threads run iters/2 accesses on the same secret: aggregate ns per
 * access, timed from the first thread's start to the last one's end (not
 * counting thread start-up, which takes milliseconds on a loaded machine).
 */
static double op_with_bytes_2t(void *arg, size_t iters) {
    two_ctx c = {.s = arg, .iters = iters / 2 > 0 ? iters / 2 : 1};
    two_arg a[2] = {{&c, 0}, {&c, 1}};
    pthread_t t[2];
    pthread_barrier_init(&c.start, NULL, 2);
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, with_bytes_thread, &a[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&c.start);
    double t0 = c.t0[0] < c.t0[1] ? c.t0[0] : c.t0[1];
    double t1 = c.t1[0] > c.t1[1] ? c.t1[0] : c.t1[1];
    return (t1 - t0) * (double)iters / (double)(2 * c.iters);
}

/* The floor: mprotect(READ), one read, mprotect(NONE) on a guarded page. */
static double op_mprotect_floor(void *arg, size_t iters) {
    uint8_t *page = arg;
    size_t ps = (size_t)sysconf(_SC_PAGESIZE);
    for (size_t i = 0; i < iters; i++) {
        mprotect(page, ps, PROT_READ);
        sink = page[ps - 1];
        mprotect(page, ps, PROT_NONE);
    }
    return 0;
}

static uint8_t *floor_page(void) {
    size_t ps = (size_t)sysconf(_SC_PAGESIZE);
    uint8_t *m = mmap(NULL, 3 * ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        must(SM_ERR_NOMEM, "mmap");
    mprotect(m + ps, ps, PROT_READ | PROT_WRITE);
    memset(m + ps, 0x5A, ps);
    mprotect(m + ps, ps, PROT_NONE);
    return m + ps;
}

typedef struct raw_ctx {
    size_t len;
    uint8_t key[XC_KEY];
    uint8_t nonce[XC_NPUB];
    uint8_t *plain;  /* len */
    uint8_t *sealed; /* len + XC_ABYT */
} raw_ctx;

static void raw_init(raw_ctx *r, size_t len) {
    r->len = len;
    r->plain = must_alloc(len);
    r->sealed = must_alloc(len + XC_ABYT);
    randombytes_buf(r->key, sizeof r->key);
    randombytes_buf(r->plain, len);
    randombytes_buf(r->nonce, sizeof r->nonce);
    crypto_aead_xchacha20poly1305_ietf_encrypt(r->sealed, NULL, r->plain, len, NULL, 0, NULL,
                                               r->nonce, r->key);
}

static void raw_free(raw_ctx *r) {
    free(r->plain);
    free(r->sealed);
}

static double op_raw_open(void *arg, size_t iters) {
    raw_ctx *r = arg;
    for (size_t i = 0; i < iters; i++) {
        if (crypto_aead_xchacha20poly1305_ietf_decrypt(
                r->plain, NULL, NULL, r->sealed, r->len + XC_ABYT, NULL, 0, r->nonce, r->key) != 0)
            must(SM_ERR_AUTH, "raw open");
        sink = r->plain[0];
    }
    return 0;
}

static double op_raw_seal(void *arg, size_t iters) {
    raw_ctx *r = arg;
    for (size_t i = 0; i < iters; i++) {
        randombytes_buf(r->nonce, sizeof r->nonce);
        crypto_aead_xchacha20poly1305_ietf_encrypt(r->sealed, NULL, r->plain, r->len, NULL, 0, NULL,
                                                   r->nonce, r->key);
    }
    return 0;
}

static sm_secret *secret32(sm_kind kind) {
    uint8_t src[32];
    randombytes_buf(src, sizeof src);
    sm_secret *s = NULL;
    must(sm_secret_new(kind, src, sizeof src, &s), "sm_secret_new");
    return s;
}

static void with_bytes_one_thread(sm_kind kind, sm_secret *s, double *one_ns) {
    char name[64];
    snprintf(name, sizeof name, "with_bytes %s 32 B, 1 thread", kind_name(kind));
    double ans;
    if (kind == SM_KIND_PROTECTED) {
        timing_pair((bench_op){op_with_bytes, s}, (bench_op){op_mprotect_floor, floor_page()},
                    one_ns, &ans);
        results_pair("with_bytes", name, *one_ns, "mprotect READ + read + mprotect NONE", ans);
        return;
    }
    raw_ctx r;
    raw_init(&r, 32);
    timing_pair((bench_op){op_with_bytes, s}, (bench_op){op_raw_open, &r}, one_ns, &ans);
    results_pair("with_bytes", name, *one_ns, "raw XChaCha20-Poly1305 open 32 B", ans);
    raw_free(&r);
}

/*
 * The register clear every plaintext-moving call ends with: sm_equal of one
 * byte (a constant-time compare, then the clear) beside libsodium's
 * constant-time compare of the same byte; the difference bounds the clear.
 */
typedef struct compare_ctx {
    uint8_t a[1], b[1];
    volatile int sink;
} compare_ctx;

static double op_sm_equal(void *arg, size_t iters) {
    compare_ctx *c = arg;
    for (size_t i = 0; i < iters; i++)
        c->sink += sm_equal(c->a, c->b, sizeof c->a);
    return 0;
}

static double op_sodium_memcmp(void *arg, size_t iters) {
    compare_ctx *c = arg;
    for (size_t i = 0; i < iters; i++)
        c->sink += sodium_memcmp(c->a, c->b, sizeof c->a) == 0;
    return 0;
}

static void bench_register_clear(void) {
    compare_ctx c = {.sink = 0};
    randombytes_buf(c.a, sizeof c.a);
    memcpy(c.b, c.a, sizeof c.b);
    double ns, ans;
    timing_pair((bench_op){op_sm_equal, &c}, (bench_op){op_sodium_memcmp, &c}, &ns, &ans);
    results_pair("register_clear", "sm_equal 1 B (compare, then clear the registers)", ns,
                 "sodium_memcmp 1 B", ans);
}

void bench_with_bytes(void) {
    bench_register_clear();
    for (int k = 0; k < 2; k++) {
        sm_kind kind = (sm_kind)k;
        sm_secret *s = secret32(kind);
        double one_ns, two_ns, one_again;
        with_bytes_one_thread(kind, s, &one_ns);
        char name[64], anchor[64];
        snprintf(name, sizeof name, "with_bytes %s 32 B, 2 threads (aggregate)", kind_name(kind));
        snprintf(anchor, sizeof anchor, "with_bytes %s 32 B, 1 thread", kind_name(kind));
        timing_pair((bench_op){op_with_bytes_2t, s}, (bench_op){op_with_bytes, s}, &two_ns,
                    &one_again);
        results_pair("with_bytes_2t", name, two_ns, anchor, one_again);
        sm_secret_free(s);
    }
}

/* ------------------------------------------------------------------ */
/* Enclaves                                                            */
/* ------------------------------------------------------------------ */

typedef struct enclave_ctx {
    size_t len;
    uint8_t *src;
    sm_enclave *e;
    sm_buffer *dst;
} enclave_ctx;

static double op_enclave_seal(void *arg, size_t iters) {
    enclave_ctx *c = arg;
    for (size_t i = 0; i < iters; i++) {
        sm_enclave *e = NULL;
        must(sm_enclave_new(c->src, c->len, &e), "sm_enclave_new"); /* wipes src */
        sm_enclave_free(e);
    }
    return 0;
}

static double op_enclave_open(void *arg, size_t iters) {
    enclave_ctx *c = arg;
    for (size_t i = 0; i < iters; i++) {
        sm_buffer *b = NULL;
        must(sm_enclave_open(c->e, &b), "sm_enclave_open");
        sink = sm_buffer_data(b)[0];
        sm_buffer_free(b);
    }
    return 0;
}

static double op_enclave_open_into(void *arg, size_t iters) {
    enclave_ctx *c = arg;
    for (size_t i = 0; i < iters; i++) {
        must(sm_enclave_open_into(c->e, c->dst), "sm_enclave_open_into");
        sink = sm_buffer_data(c->dst)[0];
    }
    return 0;
}

/*
 * What an open into a new buffer then a free cannot avoid, done with raw
 * calls on a locked guarded region of the same pages: make it writable,
 * decrypt, make it read-only (the opened buffer is frozen), make it
 * writable again and wipe it (the free), make it no-access (at rest).
 */
typedef struct open_floor_ctx {
    raw_ctx *raw;
    uint8_t *inner;
    size_t inner_len;
} open_floor_ctx;

static double op_open_floor(void *arg, size_t iters) {
    open_floor_ctx *f = arg;
    raw_ctx *r = f->raw;
    uint8_t *dst = f->inner + f->inner_len - r->len;
    for (size_t i = 0; i < iters; i++) {
        mprotect(f->inner, f->inner_len, PROT_READ | PROT_WRITE);
        if (crypto_aead_xchacha20poly1305_ietf_decrypt(dst, NULL, NULL, r->sealed, r->len + XC_ABYT,
                                                       NULL, 0, r->nonce, r->key) != 0)
            must(SM_ERR_AUTH, "floor open");
        mprotect(f->inner, f->inner_len, PROT_READ);
        sink = dst[0];
        mprotect(f->inner, f->inner_len, PROT_READ | PROT_WRITE);
        sodium_memzero(f->inner, f->inner_len);
        mprotect(f->inner, f->inner_len, PROT_NONE);
    }
    return 0;
}

static void open_floor_init(open_floor_ctx *f, raw_ctx *r) {
    size_t ps = (size_t)sysconf(_SC_PAGESIZE);
    f->raw = r;
    f->inner_len = (r->len + 16 + ps - 1) / ps * ps; /* data plus a canary, as a buffer */
    uint8_t *m = mmap(NULL, f->inner_len + 2 * ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        must(SM_ERR_NOMEM, "mmap");
    f->inner = m + ps;
    mprotect(f->inner, f->inner_len, PROT_READ | PROT_WRITE);
    if (mlock(f->inner, f->inner_len) != 0)
        must(SM_ERR_MLOCK, "mlock");
    memset(f->inner, 0, f->inner_len);
    mprotect(f->inner, f->inner_len, PROT_NONE);
}

static void open_floor_free(open_floor_ctx *f) {
    size_t ps = (size_t)sysconf(_SC_PAGESIZE);
    munmap(f->inner - ps, f->inner_len + 2 * ps);
}

static void enclave_opens(enclave_ctx *c, raw_ctx *r, const char *label) {
    char name[96], anchor[96];
    double ns, ans;
    snprintf(name, sizeof name, "enclave open %s (open+free buffer)", label);
    snprintf(anchor, sizeof anchor, "raw open %s", label);
    timing_pair((bench_op){op_enclave_open, c}, (bench_op){op_raw_open, r}, &ns, &ans);
    results_pair("enclave_open", name, ns, anchor, ans);
    open_floor_ctx f;
    open_floor_init(&f, r);
    snprintf(anchor, sizeof anchor, "raw open %s + its 4 mprotects and wipe", label);
    timing_pair((bench_op){op_enclave_open, c}, (bench_op){op_open_floor, &f}, &ns, &ans);
    results_pair("enclave_open_floor", name, ns, anchor, ans);
    open_floor_free(&f);
    snprintf(name, sizeof name, "enclave open_into %s (reused writable buffer)", label);
    snprintf(anchor, sizeof anchor, "raw open %s", label);
    timing_pair((bench_op){op_enclave_open_into, c}, (bench_op){op_raw_open, r}, &ns, &ans);
    results_pair("enclave_open_into", name, ns, anchor, ans);
    must(sm_buffer_freeze(c->dst), "sm_buffer_freeze");
    snprintf(name, sizeof name, "enclave open_into %s (reused read-only buffer)", label);
    timing_pair((bench_op){op_enclave_open_into, c}, (bench_op){op_raw_open, r}, &ns, &ans);
    results_pair("enclave_open_into_ro", name, ns, anchor, ans);
}

static void enclave_size(size_t len, const char *label) {
    enclave_ctx c = {len, must_alloc(len), NULL, NULL};
    raw_ctx r;
    raw_init(&r, len);
    randombytes_buf(c.src, len);
    must(sm_enclave_new_random(len, &c.e), "sm_enclave_new_random");
    must(sm_buffer_new(len, &c.dst), "sm_buffer_new"); /* writable */
    char name[96], anchor[96];
    double ns, ans;
    snprintf(name, sizeof name, "enclave seal %s (new+free)", label);
    snprintf(anchor, sizeof anchor, "raw seal %s (random nonce)", label);
    timing_pair((bench_op){op_enclave_seal, &c}, (bench_op){op_raw_seal, &r}, &ns, &ans);
    results_pair("enclave_seal", name, ns, anchor, ans);
    enclave_opens(&c, &r, label);
    sm_buffer_free(c.dst);
    sm_enclave_free(c.e);
    free(c.src);
    raw_free(&r);
}

void bench_enclave(void) {
    enclave_size(32, "32 B");
    enclave_size(1024, "1 KiB");
    enclave_size(64 * 1024, "64 KiB");
    enclave_size(1024 * 1024, "1 MiB");
}

/* ------------------------------------------------------------------ */
/* Streams                                                             */
/* ------------------------------------------------------------------ */

#define STREAM_TOTAL ((size_t)64 << 20)
#define STREAM_PIECE ((size_t)1 << 20) /* the size of each write and read call */

typedef struct stream_ctx {
    size_t total;
    size_t chunk; /* the stream's chunk size; the raw anchor seals the same chunks */
    uint8_t *src, *dst, *sealed;
    uint8_t key[XC_KEY];
} stream_ctx;

static void stream_once(stream_ctx *c) {
    sm_stream *s = NULL;
    must(sm_stream_new(c->chunk, &s), "sm_stream_new");
    for (size_t off = 0; off < c->total; off += STREAM_PIECE)
        must(sm_stream_write(s, c->src + off, STREAM_PIECE), "sm_stream_write");
    size_t got = 0;
    while (got < c->total) {
        size_t n = 0;
        must(sm_stream_read(s, c->dst + got, STREAM_PIECE, &n), "sm_stream_read");
        got += n;
    }
    sm_stream_free(s);
}

static double op_stream(void *arg, size_t iters) {
    for (size_t i = 0; i < iters; i++)
        stream_once(arg);
    return 0;
}

static void raw_stream_once(stream_ctx *c) {
    size_t per = c->chunk + XC_NPUB + XC_ABYT;
    size_t n = c->total / c->chunk;
    for (size_t i = 0; i < n; i++) {
        uint8_t *out = c->sealed + i * per;
        randombytes_buf(out, XC_NPUB);
        crypto_aead_xchacha20poly1305_ietf_encrypt(out + XC_NPUB, NULL, c->src + i * c->chunk,
                                                   c->chunk, NULL, 0, NULL, out, c->key);
    }
    for (size_t i = 0; i < n; i++) {
        uint8_t *in = c->sealed + i * per;
        if (crypto_aead_xchacha20poly1305_ietf_decrypt(c->dst + i * c->chunk, NULL, NULL,
                                                       in + XC_NPUB, c->chunk + XC_ABYT, NULL, 0,
                                                       in, c->key) != 0)
            must(SM_ERR_AUTH, "raw stream open");
    }
}

static double op_raw_stream(void *arg, size_t iters) {
    for (size_t i = 0; i < iters; i++)
        raw_stream_once(arg);
    return 0;
}

void bench_stream(void) {
    stream_ctx c;
    c.total = timing_quick() ? STREAM_TOTAL / 16 : STREAM_TOTAL;
    c.chunk = 4 * (size_t)sysconf(_SC_PAGESIZE); /* the default chunk size */
    c.src = must_alloc(c.total);
    c.dst = must_alloc(c.total);
    c.sealed = must_alloc(c.total / c.chunk * (c.chunk + XC_NPUB + XC_ABYT));
    randombytes_buf(c.src, c.total);
    randombytes_buf(c.key, sizeof c.key);
    char name[96], anchor[96];
    snprintf(name, sizeof name, "stream write+read %zu MiB (%zu KiB chunks)", c.total >> 20,
             c.chunk >> 10);
    snprintf(anchor, sizeof anchor, "raw seal+open of the same %zu KiB chunks", c.chunk >> 10);
    double ns, ans;
    timing_pair((bench_op){op_stream, &c}, (bench_op){op_raw_stream, &c}, &ns, &ans);
    results_pair("stream", name, ns, anchor, ans);
    if (memcmp(c.src, c.dst, c.total) != 0)
        must(SM_ERR_AUTH, "stream round trip");
    free(c.src);
    free(c.dst);
    free(c.sealed);
}
