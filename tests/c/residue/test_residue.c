/*
 * No plaintext left in registers (issue 11, section 1): after every public
 * call that moves plaintext, the register file holds none of it.
 *
 * A register file reaches memory when something saves it. Here, right
 * after the call:
 *   - by signal: a signal delivered to the same thread (the kernel saves
 *     the registers in the signal frame, on an alternate signal stack that
 *     stays readable after the handler returns);
 *   - by thread: a new thread, started right after the call, which
 *     inherits the registers at clone() and takes such a signal first;
 *   - library threads: the thread-start observer saves the new thread's
 *     registers with XSAVE right after the library's clear.
 * Then a whole-process scan (scan.h) looks for any 16-byte window of the
 * secret outside the library's guarded memory.
 *
 * The test's own copies of the secret live in guarded buffers, made with
 * memcpy, after which the test clears the registers itself: whatever the
 * scan finds came from the library call.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/syscall.h>

#include "harness.h"
#include "registers.h"
#include "scan.h"

#define LEN     64u /* memcpy moves it through two vector registers */
#define ALT_LEN ((size_t)64 << 10)

enum { BY_SIGNAL, BY_THREAD };
static int mode;           /* how capture() saves the registers; set by main */
static uint8_t *altstacks; /* two alternate signal stacks: this thread's, a new thread's */
static sm_buffer *pat;     /* the secret, random, in guarded memory */

static void on_usr1(int signo) {
    (void)signo;
}

static void use_altstack(uint8_t *at) {
    stack_t ss = {.ss_sp = at, .ss_size = ALT_LEN, .ss_flags = 0};
    (void)sigaltstack(&ss, NULL);
}

/* A signal to this very thread: raw syscalls only, nothing that touches vector registers. */
static void signal_self(void) {
    syscall(SYS_tgkill, (long)getpid(), (long)syscall(SYS_gettid), (long)SIGUSR1);
}

static void *capture_thread(void *arg) {
    (void)arg;
    use_altstack(altstacks + ALT_LEN);
    signal_self();
    stack_t off = {.ss_flags = SS_DISABLE};
    (void)sigaltstack(&off, NULL);
    return NULL;
}

/* Saves the register file where the scan can see it (see the top). */
static void capture(void) {
    if (mode == BY_SIGNAL) {
        signal_self();
        return;
    }
    pthread_t t;
    if (pthread_create(&t, NULL, capture_thread, NULL) == 0)
        pthread_join(t, NULL);
}

/* The scan finds no window of secret[0..LEN) outside guarded memory. */
static void check_clean(const char *what, const uint8_t *secret) {
    scan_result r = scan_process(getpid(), secret, LEN);
    if (r.hits != 0)
        scan_print(what, &r);
    CHECK(r.hits == 0);
    CHECK(r.bytes > 100000);
    sm_wipe(altstacks, 2 * ALT_LEN);
}

/* A guarded copy of p[0..len), the registers the copy used cleared. */
static sm_buffer *copy_of(const uint8_t *p, size_t len) {
    sm_buffer *b = NULL;
    if (sm_buffer_new(len, &b) != SM_OK)
        return NULL;
    memcpy(sm_buffer_data(b), p, len);
    sm__registers_clear();
    return b;
}

static const uint8_t *secret_bytes(void) {
    return sm_buffer_data(pat);
}

static sm_secret *secret_of(sm_kind kind) {
    sm_buffer *src = copy_of(secret_bytes(), LEN);
    sm_secret *s = NULL;
    if (src != NULL)
        (void)sm_secret_new(kind, sm_buffer_data(src), LEN, &s);
    sm_buffer_free(src);
    sm__registers_clear();
    return s;
}

/* The bytes of a secret nobody knows yet (a random one), read after the capture. */
static sm_buffer *read_back(sm_secret *s) {
    sm_buffer *b = NULL;
    size_t n = 0;
    if (sm_buffer_new(LEN, &b) == SM_OK)
        (void)sm_secret_read(s, 0, sm_buffer_data(b), LEN, &n);
    sm__registers_clear();
    return b;
}

/* ------------------------------------------------------------------ */
/* Secrets                                                             */
/* ------------------------------------------------------------------ */

static void secret_new(sm_kind kind) {
    sm_buffer *src = copy_of(secret_bytes(), LEN);
    sm_secret *s = NULL;
    REQUIRE(src != NULL);
    CHECK_STATUS(sm_secret_new(kind, sm_buffer_data(src), LEN, &s), SM_OK);
    capture();
    check_clean("sm_secret_new", secret_bytes());
    sm_secret_free(s);
    sm_buffer_free(src);
}

static void test_secret_new_protected(void) {
    secret_new(SM_KIND_PROTECTED);
}

static void test_secret_new_enclave(void) {
    secret_new(SM_KIND_ENCLAVE);
}

static void secret_new_random(sm_kind kind) {
    sm_secret *s = NULL;
    CHECK_STATUS(sm_secret_new_random(kind, LEN, &s), SM_OK);
    capture();
    sm_buffer *seen = read_back(s);
    REQUIRE(seen != NULL);
    check_clean("sm_secret_new_random", sm_buffer_data(seen));
    sm_buffer_free(seen);
    sm_secret_free(s);
}

static void test_secret_new_random_protected(void) {
    secret_new_random(SM_KIND_PROTECTED);
}

static void test_secret_new_random_enclave(void) {
    secret_new_random(SM_KIND_ENCLAVE);
}

/* sm_secret_read into the caller's memory, which the caller wipes. */
static void secret_read(sm_kind kind) {
    sm_secret *s = secret_of(kind);
    uint8_t *heap = malloc(LEN);
    REQUIRE(s != NULL && heap != NULL);
    size_t n = 0;
    CHECK_STATUS(sm_secret_read(s, 0, heap, LEN, &n), SM_OK);
    CHECK(n == LEN);
    sm_wipe(heap, LEN);
    capture();
    check_clean("sm_secret_read", secret_bytes());
    free(heap);
    sm_secret_free(s);
}

static void test_secret_read_protected(void) {
    secret_read(SM_KIND_PROTECTED);
}

static void test_secret_read_enclave(void) {
    secret_read(SM_KIND_ENCLAVE);
}

/* The caller copies the bytes during an access (its registers); release clears them. */
static void secret_access(sm_kind kind) {
    sm_secret *s = secret_of(kind);
    sm_buffer *dst = NULL;
    REQUIRE(s != NULL && sm_buffer_new(LEN, &dst) == SM_OK);
    const uint8_t *data = NULL;
    size_t len = 0;
    CHECK_STATUS(sm_secret_acquire(s, &data, &len), SM_OK);
    memcpy(sm_buffer_data(dst), data, len);
    CHECK_STATUS(sm_secret_release(s), SM_OK);
    capture();
    check_clean("sm_secret_acquire/release", secret_bytes());
    sm_buffer_free(dst);
    sm_secret_free(s);
}

static void test_secret_access_protected(void) {
    secret_access(SM_KIND_PROTECTED);
}

static void test_secret_access_enclave(void) {
    secret_access(SM_KIND_ENCLAVE);
}

static int copy_cb(void *ctx, const uint8_t *data, size_t len) {
    memcpy(ctx, data, len);
    return 0;
}

static void secret_with_bytes(sm_kind kind) {
    sm_secret *s = secret_of(kind);
    sm_buffer *dst = NULL;
    REQUIRE(s != NULL && sm_buffer_new(LEN, &dst) == SM_OK);
    CHECK_STATUS(sm_secret_with_bytes(s, copy_cb, sm_buffer_data(dst)), SM_OK);
    capture();
    check_clean("sm_secret_with_bytes", secret_bytes());
    sm_buffer_free(dst);
    sm_secret_free(s);
}

static void test_secret_with_bytes_protected(void) {
    secret_with_bytes(SM_KIND_PROTECTED);
}

static void test_secret_with_bytes_enclave(void) {
    secret_with_bytes(SM_KIND_ENCLAVE);
}

/* ------------------------------------------------------------------ */
/* Buffers and enclaves                                                */
/* ------------------------------------------------------------------ */

static void test_buffer_new_from_bytes(void) {
    sm_buffer *src = copy_of(secret_bytes(), LEN), *b = NULL;
    REQUIRE(src != NULL);
    CHECK_STATUS(sm_buffer_new_from_bytes(sm_buffer_data(src), LEN, &b), SM_OK);
    capture();
    check_clean("sm_buffer_new_from_bytes", secret_bytes());
    sm_buffer_free(b);
    sm_buffer_free(src);
}

static void test_buffer_new_random(void) {
    sm_buffer *b = NULL;
    CHECK_STATUS(sm_buffer_new_random(LEN, &b), SM_OK);
    capture();
    check_clean("sm_buffer_new_random", sm_buffer_data(b));
    sm_buffer_free(b);
}

/* Longer than one getrandom call (random.h): a seed expanded with ChaCha20,
 * whose last partial block goes through a buffer on the stack. Neither the
 * first nor the last bytes are left outside guarded memory. */
#define LONG_LEN (4096u + 40u)

static void test_buffer_new_random_long(void) {
    sm_buffer *b = NULL;
    CHECK_STATUS(sm_buffer_new_random(LONG_LEN, &b), SM_OK);
    REQUIRE(b != NULL);
    capture();
    check_clean("sm_buffer_new_random (long, head)", sm_buffer_data(b));
    check_clean("sm_buffer_new_random (long, tail)", sm_buffer_data(b) + LONG_LEN - LEN);
    sm_buffer_free(b);
}

/*
 * The seed of a long random fill is not left on the calling thread's
 * stack: no 8-aligned 32-byte window of the stack below this frame, read
 * through /proc/self/mem right after the call (one thin system call, so
 * the dead frames are as the library left them), expands to the buffer's
 * first bytes.
 */
#define BELOW_BYTES ((size_t)16 << 10)

static __attribute__((noinline)) int stack_below(uint8_t *snap, int fd) {
    uintptr_t top = (uintptr_t)__builtin_frame_address(0) & ~(uintptr_t)7;
    return pread(fd, snap, BELOW_BYTES, (off_t)(top - BELOW_BYTES)) == (ssize_t)BELOW_BYTES;
}

static void test_long_fill_leaves_no_seed(void) {
#if HARNESS_MLOCK_IS_NOOP
    SKIP("the sanitizers move frames off the thread's stack");
#endif
    uint8_t *snap = malloc(BELOW_BYTES);
    int fd = open("/proc/self/mem", O_RDONLY);
    sm_buffer *b = NULL;
    REQUIRE(snap != NULL && fd >= 0);
    CHECK_STATUS(sm_buffer_new_random(LONG_LEN, &b), SM_OK);
    int read_ok = stack_below(snap, fd);
    close(fd);
    CHECK(read_ok);
    CHECK(b != NULL);
    if (read_ok && b != NULL) {
        uint8_t out[32];
        size_t found = 0;
        for (size_t at = 0; at + randombytes_SEEDBYTES <= BELOW_BYTES; at += 8) {
            randombytes_buf_deterministic(out, sizeof out, snap + at);
            found += sodium_memcmp(out, sm_buffer_data(b), sizeof out) == 0;
        }
        sodium_memzero(out, sizeof out);
        if (found != 0)
            printf("# the seed is still on the stack (%zu copies)\n", found);
        CHECK(found == 0);
    }
    sm_buffer_free(b);
    sm_wipe(snap, BELOW_BYTES);
    free(snap);
}

static sm_enclave *enclave_of(void) {
    sm_buffer *src = copy_of(secret_bytes(), LEN);
    sm_enclave *e = NULL;
    if (src != NULL)
        (void)sm_enclave_new(sm_buffer_data(src), LEN, &e);
    sm_buffer_free(src);
    sm__registers_clear();
    return e;
}

static void test_enclave_new(void) {
    sm_buffer *src = copy_of(secret_bytes(), LEN);
    sm_enclave *e = NULL;
    REQUIRE(src != NULL);
    CHECK_STATUS(sm_enclave_new(sm_buffer_data(src), LEN, &e), SM_OK);
    capture();
    check_clean("sm_enclave_new", secret_bytes());
    sm_enclave_free(e);
    sm_buffer_free(src);
}

static void test_enclave_new_random(void) {
    sm_enclave *e = NULL;
    sm_buffer *seen = NULL;
    CHECK_STATUS(sm_enclave_new_random(LEN, &e), SM_OK);
    capture();
    REQUIRE(sm_enclave_open(e, &seen) == SM_OK);
    sm__registers_clear();
    check_clean("sm_enclave_new_random", sm_buffer_data(seen));
    sm_buffer_free(seen);
    sm_enclave_free(e);
}

static void test_enclave_open(void) {
    sm_enclave *e = enclave_of();
    sm_buffer *b = NULL;
    REQUIRE(e != NULL);
    CHECK_STATUS(sm_enclave_open(e, &b), SM_OK);
    capture();
    check_clean("sm_enclave_open", secret_bytes());
    sm_buffer_free(b);
    sm_enclave_free(e);
}

static void test_enclave_open_into(void) {
    sm_enclave *e = enclave_of();
    sm_buffer *b = NULL;
    REQUIRE(e != NULL && sm_buffer_new(LEN, &b) == SM_OK);
    CHECK_STATUS(sm_enclave_open_into(e, b), SM_OK);
    capture();
    check_clean("sm_enclave_open_into", secret_bytes());
    sm_buffer_free(b);
    sm_enclave_free(e);
}

static void test_buffer_seal(void) {
    sm_buffer *b = copy_of(secret_bytes(), LEN);
    sm_enclave *e = NULL;
    REQUIRE(b != NULL);
    CHECK_STATUS(sm_buffer_seal(b, &e), SM_OK);
    capture();
    check_clean("sm_buffer_seal", secret_bytes());
    sm_enclave_free(e);
    sm_buffer_free(b);
}

static void test_equal(void) {
    sm_buffer *b = copy_of(secret_bytes(), LEN);
    REQUIRE(b != NULL);
    CHECK(sm_equal(sm_buffer_data(b), secret_bytes(), LEN) == 1);
    capture();
    check_clean("sm_equal", secret_bytes());
    sm_buffer_free(b);
}

/* ------------------------------------------------------------------ */
/* Streams                                                             */
/* ------------------------------------------------------------------ */

/* A stream holding the secret (chunk is the chunk size), the registers cleared. */
static sm_stream *stream_of(size_t chunk) {
    sm_stream *s = NULL;
    if (sm_stream_new(chunk, &s) != SM_OK)
        return NULL;
    (void)sm_stream_write(s, secret_bytes(), LEN);
    sm__registers_clear();
    return s;
}

static void stream_write(size_t chunk) {
    sm_stream *s = NULL;
    REQUIRE(sm_stream_new(chunk, &s) == SM_OK);
    CHECK_STATUS(sm_stream_write(s, secret_bytes(), LEN), SM_OK);
    capture();
    check_clean("sm_stream_write", secret_bytes());
    sm_stream_free(s);
}

static void test_stream_write_partial_chunk(void) {
    stream_write(4096);
}

static void test_stream_write_whole_chunks(void) {
    stream_write(16);
}

static void stream_read(size_t chunk) {
    sm_stream *s = stream_of(chunk);
    uint8_t *heap = malloc(LEN);
    REQUIRE(s != NULL && heap != NULL);
    size_t n = 0, got = 0;
    while (got < LEN && sm_stream_read(s, heap + got, LEN - got, &n) == SM_OK)
        got += n;
    CHECK(got == LEN);
    sm_wipe(heap, LEN);
    capture();
    check_clean("sm_stream_read", secret_bytes());
    free(heap);
    sm_stream_free(s);
}

static void test_stream_read_partial_chunk(void) {
    stream_read(4096);
}

static void test_stream_read_whole_chunks(void) {
    stream_read(16);
}

static void test_stream_next(void) {
    sm_stream *s = stream_of(LEN);
    sm_buffer *b = NULL;
    REQUIRE(s != NULL);
    CHECK_STATUS(sm_stream_next(s, &b), SM_OK);
    capture();
    check_clean("sm_stream_next", secret_bytes());
    sm_buffer_free(b);
    sm_stream_free(s);
}

static void test_stream_flush(void) {
    sm_stream *s = stream_of(16);
    sm_buffer *b = NULL;
    REQUIRE(s != NULL);
    CHECK_STATUS(sm_stream_flush(s, &b), SM_OK);
    capture();
    check_clean("sm_stream_flush", secret_bytes());
    sm_buffer_free(b);
    sm_stream_free(s);
}

/* ------------------------------------------------------------------ */
/* The library's own threads                                           */
/* ------------------------------------------------------------------ */

static uint8_t thread_regs[16384] __attribute__((aligned(64))); /* XSAVE image */
static atomic_int thread_saved;

static void save_registers(void) {
    __asm__ volatile("xsave %0" : "=m"(thread_regs) : "a"(~0u), "d"(~0u) : "memory");
    atomic_store(&thread_saved, 1);
}

/* Fills zmm16-31 with the secret (left there on purpose: no clobbers). */
__attribute__((target("avx512f"))) static void dirty_registers(const uint8_t *p) {
    __asm__ volatile("vmovdqu64 (%0), %%zmm16\n\tvmovdqu64 (%0), %%zmm17\n\t"
                     "vmovdqu64 (%0), %%zmm18\n\tvmovdqu64 (%0), %%zmm19\n\t"
                     "vmovdqu64 (%0), %%zmm20\n\tvmovdqu64 (%0), %%zmm21\n\t"
                     "vmovdqu64 (%0), %%zmm22\n\tvmovdqu64 (%0), %%zmm23\n\t"
                     "vmovdqu64 (%0), %%zmm24\n\tvmovdqu64 (%0), %%zmm25\n\t"
                     "vmovdqu64 (%0), %%zmm26\n\tvmovdqu64 (%0), %%zmm27\n\t"
                     "vmovdqu64 (%0), %%zmm28\n\tvmovdqu64 (%0), %%zmm29\n\t"
                     "vmovdqu64 (%0), %%zmm30\n\tvmovdqu64 (%0), %%zmm31" ::"r"(p)
                     : "memory");
}

static int wait_saved(void) {
    for (int i = 0; i < 2000 && !atomic_load(&thread_saved); i++)
        usleep(1000);
    return atomic_load(&thread_saved);
}

/*
 * The creator's registers hold the secret when the library starts a
 * thread (put there on purpose); the new thread clears what it inherited
 * before anything else. Runs first: the re-key thread starts once.
 */
static void test_rekey_thread_starts_clean(void) {
    if (sm__registers_level() < 2)
        SKIP("needs AVX-512 to keep the secret in registers across the library's calls");
    sm_buffer *src = copy_of(secret_bytes(), LEN);
    REQUIRE(src != NULL);
    sm__registers_set_thread_observer(save_registers);
    sm_secret *s = NULL;
    dirty_registers(sm_buffer_data(src));
    CHECK_STATUS(sm_secret_new(SM_KIND_ENCLAVE, sm_buffer_data(src), LEN, &s), SM_OK);
    CHECK(wait_saved());
    sm__registers_set_thread_observer(NULL);
    check_clean("the re-key thread at its start", secret_bytes());
    CHECK(!all_zero(thread_regs, sizeof thread_regs)); /* it did save something */
    sm_secret_free(s);
    sm_buffer_free(src);
}

static void test_signal_thread_starts_clean(void) {
    if (sm__registers_level() < 2)
        SKIP("needs AVX-512 to keep the secret in registers across the library's calls");
    sm_wipe(thread_regs, sizeof thread_regs);
    atomic_store(&thread_saved, 0);
    sm__registers_set_thread_observer(save_registers);
    dirty_registers(secret_bytes());
    CHECK_STATUS(sm_signal_catch_interrupt(), SM_OK);
    CHECK(wait_saved());
    sm__registers_set_thread_observer(NULL);
    sm__registers_clear();
    check_clean("the signal handler thread at its start", secret_bytes());
    CHECK_STATUS(sm_signal_release(), SM_OK);
}

/* ------------------------------------------------------------------ */

static void run_calls(void) {
    RUN(test_secret_new_protected);
    RUN(test_secret_new_enclave);
    RUN(test_secret_new_random_protected);
    RUN(test_secret_new_random_enclave);
    RUN(test_secret_read_protected);
    RUN(test_secret_read_enclave);
    RUN(test_secret_access_protected);
    RUN(test_secret_access_enclave);
    RUN(test_secret_with_bytes_protected);
    RUN(test_secret_with_bytes_enclave);
    RUN(test_buffer_new_from_bytes);
    RUN(test_buffer_new_random);
    RUN(test_buffer_new_random_long);
    RUN(test_enclave_new);
    RUN(test_enclave_new_random);
    RUN(test_enclave_open);
    RUN(test_enclave_open_into);
    RUN(test_buffer_seal);
    RUN(test_equal);
    RUN(test_stream_write_partial_chunk);
    RUN(test_stream_write_whole_chunks);
    RUN(test_stream_read_partial_chunk);
    RUN(test_stream_read_whole_chunks);
    RUN(test_stream_next);
    RUN(test_stream_flush);
}

int main(void) {
    if (harness_backend_from_env("SM_TEST_BACKEND") != 0)
        return 1;
    altstacks = mmap(NULL, 2 * ALT_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    if (altstacks == MAP_FAILED || sigaction(SIGUSR1, &sa, NULL) != 0 ||
        sm_buffer_new_random(LEN, &pat) != SM_OK)
        return 1;
    use_altstack(altstacks);
    RUN(test_rekey_thread_starts_clean);
    RUN(test_signal_thread_starts_clean);
    RUN(test_long_fill_leaves_no_seed);
    printf("# capture by a signal to the calling thread\n");
    mode = BY_SIGNAL;
    run_calls();
    printf("# capture by a new thread started after the call\n");
    mode = BY_THREAD;
    run_calls();
    sm_buffer_free(pat);
    return harness_done();
}
