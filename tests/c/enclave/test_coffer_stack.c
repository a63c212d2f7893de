/*
 * Key material on the ordinary stack: after a seal, an open, a re-key and
 * the making of a fresh key, the dead stack below the caller must hold no
 * piece of the key halves (left, right), of H(right) = key XOR left, or of
 * the key itself, neither the values before the call nor after it.
 *
 * The dead stack is read through /proc/self/mem with a raw syscall, so no
 * instrumented code (sanitizer interceptors) runs between the operation and
 * the read, and the read does not trip the sanitizers' stack checks.
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "buffer.h"
#include "coffer.h"
#include "enclave.h"
#include "harness.h"

#define DEAD_SPAN 49152u /* dead stack read below the caller's frame */
#define TOP_SKIP  256u   /* the reader's own frames, live while it reads */
#define PIECE     8u     /* a piece of a value found on the stack counts */

/* The values looked for, and the snapshot: static, never on the stack. */
typedef struct key_state {
    uint8_t left[32], right[32], hright[32], key[32];
} key_state;

static key_state before, after;
static uint8_t snap[DEAD_SPAN];
static uint8_t plain[64];
static int mem_fd = -1;

static sm_status key_copy(void *ctx, const uint8_t key[32]) {
    memcpy(ctx, key, 32);
    return SM_OK;
}

/* Reads the current key state into s (no hashing here: H(right) = key ^ left). */
static int read_state(key_state *s) {
    if (sm__coffer_with_key(key_copy, s->key) != SM_OK || !sm__coffer_parts(s->left, s->right))
        return 0;
    for (unsigned j = 0; j < 32; j++)
        s->hright[j] = s->key[j] ^ s->left[j];
    return 1;
}

/* Zeroes the dead stack below the caller, so only what follows can leave traces. */
static __attribute__((noinline)) void clear_dead_stack(void) {
    volatile uint8_t pad[DEAD_SPAN + 2 * TOP_SKIP];
    for (size_t i = 0; i < sizeof pad; i++)
        pad[i] = 0;
}

/* Copies [top - TOP_SKIP - DEAD_SPAN, top - TOP_SKIP) into snap. */
static __attribute__((noinline)) int snapshot(const volatile uint8_t *top) {
    uintptr_t lo = (uintptr_t)top - TOP_SKIP - DEAD_SPAN;
    long n = syscall(SYS_pread64, mem_fd, snap, (size_t)DEAD_SPAN, (off_t)lo);
    return n == (long)DEAD_SPAN;
}

static int has_piece(const uint8_t *v) {
    for (unsigned off = 0; off + PIECE <= 32; off += PIECE)
        if (memmem(snap, sizeof snap, v + off, PIECE) != NULL)
            return 1;
    return 0;
}

/* Checks snap for every value of s; reports what it found. */
static int found_in_snapshot(const key_state *s, const char *when) {
    const struct {
        const char *name;
        const uint8_t *v;
    } t[] = {{"left", s->left}, {"right", s->right}, {"H(right)", s->hright}, {"key", s->key}};
    int found = 0;
    for (unsigned k = 0; k < sizeof t / sizeof t[0]; k++)
        if (has_piece(t[k].v)) {
            printf("# %s (%s) found on the dead stack\n", t[k].name, when);
            found = 1;
        }
    return found;
}

typedef void (*op_fn)(void);

/*
 * Runs op between a cleared dead stack and a snapshot of it, then looks for
 * the key state before and after op. 1 when nothing was found.
 */
static int op_leaves_nothing(op_fn op, int have_key_before) {
    volatile uint8_t top = 0;
    if (have_key_before && !read_state(&before))
        return 0;
    clear_dead_stack();
    op();
    if (!snapshot(&top))
        return 0;
    if (!read_state(&after))
        return 0;
    int found = have_key_before && found_in_snapshot(&before, "before");
    found |= found_in_snapshot(&after, "after");
    sm_wipe(&before, sizeof before);
    sm_wipe(&after, sizeof after);
    return !found;
}

static sm_enclave *opened;

static __attribute__((noinline)) void op_seal(void) {
    sm_enclave *e = NULL;
    if (sm_enclave_new(plain, sizeof plain, &e) == SM_OK)
        sm_enclave_free(e);
}

static __attribute__((noinline)) void op_open(void) {
    sm_buffer *b = NULL;
    if (sm_enclave_open(opened, &b) == SM_OK)
        sm_buffer_free(b);
}

static __attribute__((noinline)) void op_rekey(void) {
    (void)sm_coffer_rekey();
}

static sm_status set_interval(uint32_t ms) {
    sm_config cfg;
    sm_config_default(&cfg);
    cfg.rekey_interval_ms = ms;
    return sm_init(&cfg);
}

static void test_seal_leaves_no_key_material(void) {
    CHECK(op_leaves_nothing(op_seal, 1));
}

static void test_open_leaves_no_key_material(void) {
    REQUIRE(sm_enclave_new_random(64, &opened) == SM_OK);
    CHECK(op_leaves_nothing(op_open, 1));
    sm_enclave_free(opened);
    opened = NULL;
}

static void test_rekey_leaves_no_key_material(void) {
    CHECK(op_leaves_nothing(op_rekey, 1)); /* old and new halves */
}

static void test_new_key_leaves_no_key_material(void) {
    sm__coffer_purge(); /* the seal makes a fresh key */
    CHECK(op_leaves_nothing(op_seal, 0));
}

/* The scanner is meaningful: it finds a piece of a half left in a dead frame. */
static volatile uint8_t sink;

static __attribute__((noinline)) void op_leave_right(void) {
    volatile uint8_t local[1024]; /* the copy sits well below TOP_SKIP */
    for (unsigned j = 0; j < 32; j++)
        local[16 + j] = after.right[j];
    sink = local[16];
}

static void test_scanner_finds_residue(void) {
    volatile uint8_t top = 0;
    REQUIRE(read_state(&after));
    clear_dead_stack();
    op_leave_right();
    REQUIRE(snapshot(&top));
    CHECK(has_piece(after.right));
    sm_wipe(&after, sizeof after);
}

int main(void) {
    mem_fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
    if (mem_fd < 0 || set_interval(0) != SM_OK)
        return 1;
    sm__coffer_shutdown(); /* no re-key thread: the halves stay as read */
    memset(plain, 0x5A, sizeof plain);
    RUN(test_scanner_finds_residue);
    RUN(test_seal_leaves_no_key_material);
    RUN(test_open_leaves_no_key_material);
    RUN(test_rekey_leaves_no_key_material);
    RUN(test_new_key_leaves_no_key_material);
    close(mem_fd);
    return harness_done();
}
