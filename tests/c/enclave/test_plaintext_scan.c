/*
 * The plaintext never sits in unguarded memory.
 *
 * A random 64-byte pattern is made in a guarded buffer, then sealed,
 * opened and streamed through the library (every copy the test makes lives
 * in guarded buffers too). The test then reads every readable private
 * mapping of the process listed in /proc/self/smaps (heap, stacks,
 * anonymous and file-backed data) through /proc/self/mem and looks for the
 * pattern. Guarded regions are skipped: a mapping the library excludes from
 * core dumps (VmFlags "dd") and flanked by PROT_NONE guard mappings.
 *
 * The scanner is shown to work first: it finds a copy deliberately left on
 * the heap and on the stack, and it finds the pattern when guarded regions
 * are not skipped.
 */
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/mman.h>

#include "enclave.h"
#include "harness.h"

#define PATTERN      64
#define MAX_MAPS     16384
#define WINDOW       ((size_t)1 << 20)
#define HUGE_MAPPING ((uintptr_t)1 << 30) /* sanitizer shadow and reservations */

typedef struct vma {
    uintptr_t lo, hi;
    char perms[5];
    int dontdump;
    char name[64];
} vma;

static vma maps[MAX_MAPS]; /* single-threaded test: plain globals */
static int nmaps;
static uint8_t *window; /* the scanner's own mapping, excluded from the scan */

typedef struct scan_result {
    size_t hits;
    size_t bytes;           /* bytes read */
    size_t guarded_skipped; /* mappings skipped as guarded */
    int saw_stack, saw_heap_or_anon;
} scan_result;

static int is_header(const char *line) {
    const char *dash = strchr(line, '-'), *space = strchr(line, ' ');
    return dash != NULL && space != NULL && dash < space;
}

static int load_maps(void) {
    FILE *f = fopen("/proc/self/smaps", "r");
    if (f == NULL)
        return -1;
    char line[1024];
    nmaps = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long lo, hi;
        char perms[5] = "";
        if (is_header(line) && sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3) {
            if (nmaps == MAX_MAPS)
                break;
            vma *m = &maps[nmaps++];
            memset(m, 0, sizeof *m);
            m->lo = lo;
            m->hi = hi;
            memcpy(m->perms, perms, sizeof m->perms);
            (void)sscanf(line, "%*s %*s %*s %*s %*s %63s", m->name);
        } else if (strncmp(line, "VmFlags:", 8) == 0 && nmaps > 0) {
            maps[nmaps - 1].dontdump = strstr(line, " dd") != NULL;
        }
    }
    fclose(f);
    return nmaps > 0 ? 0 : -1;
}

static int is_guarded(int i) {
    if (!maps[i].dontdump || i == 0 || i == nmaps - 1)
        return 0;
    const vma *prev = &maps[i - 1], *next = &maps[i + 1];
    return prev->hi == maps[i].lo && strcmp(prev->perms, "---p") == 0 && next->lo == maps[i].hi &&
           strcmp(next->perms, "---p") == 0;
}

static int skip_by_name(const char *name) {
    return strcmp(name, "[vvar]") == 0 || strcmp(name, "[vvar_vclock]") == 0 ||
           strcmp(name, "[vsyscall]") == 0 || strcmp(name, "[vdso]") == 0;
}

/* Plain byte reads of the scanner's own window: not worth instrumenting. */
#if defined(__GNUC__)
#define NO_SANITIZE __attribute__((no_sanitize_address, no_sanitize_thread))
#else
#define NO_SANITIZE
#endif

NO_SANITIZE static size_t count_in(const uint8_t *w, size_t n, const uint8_t *needle) {
    size_t hits = 0;
    for (size_t i = 0; i + PATTERN <= n; i++) {
        if (w[i] != needle[0])
            continue;
        size_t k = 1;
        while (k < PATTERN && w[i + k] == needle[k])
            k++;
        hits += k == PATTERN;
    }
    return hits;
}

/* Scans [lo, hi) through /proc/self/mem, in windows that overlap by PATTERN - 1. */
static void scan_range(int fd, uintptr_t lo, uintptr_t hi, const uint8_t *needle, scan_result *r) {
    for (uintptr_t at = lo; at < hi;) {
        size_t want = hi - at < WINDOW ? (size_t)(hi - at) : WINDOW;
        ssize_t got = pread(fd, window, want, (off_t)at);
        if (got <= 0) { /* an unreadable page: step over it */
            at = (at + sm_page_size()) & ~(uintptr_t)(sm_page_size() - 1);
            continue;
        }
        r->hits += count_in(window, (size_t)got, needle);
        r->bytes += (size_t)got;
        if (at + (uintptr_t)got >= hi)
            break;
        at += (uintptr_t)got > PATTERN ? (uintptr_t)got - (PATTERN - 1) : (uintptr_t)got;
    }
    sm_wipe(window, WINDOW);
}

static void scan_mapping(int fd, const vma *m, const uint8_t *needle, scan_result *r) {
    uintptr_t wlo = (uintptr_t)window, whi = wlo + WINDOW;
    if (whi <= m->lo || wlo >= m->hi) {
        scan_range(fd, m->lo, m->hi, needle, r);
        return;
    }
    if (m->lo < wlo) /* the window merged into this mapping: scan around it */
        scan_range(fd, m->lo, wlo, needle, r);
    if (whi < m->hi)
        scan_range(fd, whi, m->hi, needle, r);
}

static scan_result scan(const uint8_t *needle, int skip_guarded) {
    scan_result r = {0};
    int fd = open("/proc/self/mem", O_RDONLY);
    if (fd < 0 || load_maps() != 0) {
        r.hits = (size_t)-1;
        return r;
    }
    for (int i = 0; i < nmaps; i++) {
        const vma *m = &maps[i];
        if (m->perms[0] != 'r' || m->perms[3] != 'p' || skip_by_name(m->name) ||
            m->hi - m->lo >= HUGE_MAPPING)
            continue;
        if (skip_guarded && is_guarded(i)) {
            r.guarded_skipped++;
            continue;
        }
        r.saw_stack |= strcmp(m->name, "[stack]") == 0;
        r.saw_heap_or_anon |= strcmp(m->name, "[heap]") == 0 || m->name[0] == '\0';
        scan_mapping(fd, m, needle, &r);
    }
    close(fd);
    return r;
}

/* ------------------------------------------------------------------ */

static sm_buffer *pattern; /* the needle, in guarded memory */

static sm_buffer *guarded_copy(size_t len, size_t at) {
    sm_buffer *b = NULL;
    if (sm_buffer_new_random(len, &b) != SM_OK)
        return NULL;
    memcpy(sm_buffer_data(b) + at, sm_buffer_data(pattern), PATTERN);
    return b;
}

static void test_scanner_sees_the_process(void) {
    REQUIRE(sm_buffer_new_random(PATTERN, &pattern) == SM_OK);
    scan_result r = scan(sm_buffer_data(pattern), 1);
    REQUIRE(r.hits != (size_t)-1);
    printf("# scanned %zu bytes; skipped %zu guarded mappings\n", r.bytes, r.guarded_skipped);
    CHECK(r.hits == 0);
    CHECK(r.saw_stack && r.saw_heap_or_anon);
    CHECK(r.bytes > 100000);
    CHECK(r.guarded_skipped >= 1);
    /* Not skipping guarded regions, the scanner finds the pattern buffer itself. */
    CHECK(scan(sm_buffer_data(pattern), 0).hits >= 1);
}

static void test_scanner_finds_heap_copy(void) {
    uint8_t *heap = malloc(1000);
    REQUIRE(heap != NULL);
    memcpy(heap + 333, sm_buffer_data(pattern), PATTERN);
    CHECK(scan(sm_buffer_data(pattern), 1).hits >= 1);
    sm_wipe(heap, 1000);
    free(heap);
    CHECK(scan(sm_buffer_data(pattern), 1).hits == 0);
}

__attribute__((noinline)) static size_t scan_with_stack_copy(void) {
    volatile uint8_t frame[PATTERN + 8];
    memcpy((uint8_t *)frame + 3, sm_buffer_data(pattern), PATTERN);
    size_t hits = scan(sm_buffer_data(pattern), 1).hits;
    sm_wipe((uint8_t *)frame, sizeof frame);
    return hits;
}

static void test_scanner_finds_stack_copy(void) {
    CHECK(scan_with_stack_copy() >= 1);
    CHECK(scan(sm_buffer_data(pattern), 1).hits == 0);
}

/* ------------------------------------------------------------------ */

static sm_enclave *sealed[3];
static sm_buffer *opened[2];
static sm_stream *streams[2];

static void exercise_enclaves(void) {
    const uint8_t *pat = sm_buffer_data(pattern);
    CHECK_STATUS(sm__enclave_seal(pat, PATTERN, &sealed[0]), SM_OK);
    sm_buffer *c1 = guarded_copy(PATTERN, 0), *c2 = guarded_copy(PATTERN + 100, 50);
    REQUIRE(c1 != NULL && c2 != NULL);
    CHECK_STATUS(sm_enclave_new(sm_buffer_data(c1), PATTERN, &sealed[1]), SM_OK);
    CHECK(all_zero(sm_buffer_data(c1), PATTERN));
    CHECK_STATUS(sm_buffer_seal(c2, &sealed[2]), SM_OK);
    sm_buffer_free(c1);
    sm_buffer_free(c2);

    CHECK_STATUS(sm_enclave_open(sealed[0], &opened[0]), SM_OK);
    REQUIRE(opened[0] != NULL);
    CHECK(sm_equal(sm_buffer_data(opened[0]), pat, PATTERN));
    REQUIRE(sm_buffer_new(PATTERN, &opened[1]) == SM_OK);
    CHECK_STATUS(sm_enclave_open_into(sealed[1], opened[1]), SM_OK);
    CHECK(sm_equal(sm_buffer_data(opened[1]), pat, PATTERN));
    sm_buffer *tmp = NULL;
    CHECK_STATUS(sm_enclave_open(sealed[2], &tmp), SM_OK);
    REQUIRE(tmp != NULL);
    CHECK(sm_equal(sm_buffer_data(tmp) + 50, pat, PATTERN));
    sm_buffer_free(tmp);
}

/* Writes src (pattern at several offsets, across chunk boundaries) in pieces. */
static void write_pieces(sm_stream *s, const uint8_t *src, size_t len) {
    for (size_t off = 0, step = 1; off < len; off += step, step = step * 3 % 977 + 1)
        CHECK_STATUS(sm_stream_write(s, src + off, step < len - off ? step : len - off), SM_OK);
}

static void exercise_stream(size_t chunk) {
    const size_t len = 20000;
    size_t at[] = {0, chunk - 10, 2 * chunk - 1, 7777, len - PATTERN};
    sm_buffer *src = guarded_copy(len, 0), *dst = NULL;
    REQUIRE(src != NULL && sm_buffer_new(len, &dst) == SM_OK);
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++)
        memcpy(sm_buffer_data(src) + at[i], sm_buffer_data(pattern), PATTERN);
    sm_stream *s = NULL;
    REQUIRE(sm_stream_new(chunk, &s) == SM_OK);
    write_pieces(s, sm_buffer_data(src), len);
    size_t off = 0, cap = 1, n = 0;
    while (sm_stream_read(s, sm_buffer_data(dst) + off, cap < len - off ? cap : len - off, &n) ==
               SM_OK &&
           off + n < len) {
        off += n;
        cap = cap * 7 % 5003 + 1;
    }
    CHECK(sm_equal(sm_buffer_data(dst), sm_buffer_data(src), len));
    /* next and flush hand out guarded buffers; leave a stream holding a
     * half-read chunk and an unsealed tail while the scan runs. */
    write_pieces(s, sm_buffer_data(src), len);
    sm_buffer *b = NULL;
    CHECK_STATUS(sm_stream_next(s, &b), SM_OK);
    sm_buffer_free(b);
    CHECK_STATUS(sm_stream_flush(s, &b), SM_OK);
    sm_buffer_free(b);
    write_pieces(s, sm_buffer_data(src), len);
    CHECK_STATUS(sm_stream_read(s, sm_buffer_data(dst), 100, &n), SM_OK);
    sm_buffer_free(src);
    sm_buffer_free(dst);
    streams[chunk == 100 ? 0 : 1] = s;
}

static void test_no_plaintext_outside_guarded_memory(void) {
    exercise_enclaves();
    exercise_stream(100);
    exercise_stream(4096);
    scan_result r = scan(sm_buffer_data(pattern), 1);
    CHECK(r.hits == 0);
    if (r.hits != 0)
        printf("# pattern found %zu times outside guarded memory\n", r.hits);
    for (int i = 0; i < 3; i++)
        sm_enclave_free(sealed[i]);
    for (int i = 0; i < 2; i++) {
        sm_buffer_free(opened[i]);
        sm_stream_free(streams[i]);
    }
    CHECK(scan(sm_buffer_data(pattern), 1).hits == 0);
    sm_buffer_free(pattern);
}

int main(void) {
    window = mmap(NULL, WINDOW, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (window == MAP_FAILED)
        return 1;
    RUN(test_scanner_sees_the_process);
    RUN(test_scanner_finds_heap_copy);
    RUN(test_scanner_finds_stack_copy);
    RUN(test_no_plaintext_outside_guarded_memory);
    munmap(window, WINDOW);
    return harness_done();
}
