/*
 * A whole-process scan for a secret's bytes, for the C tests.
 *
 * scan_process(pid, secret, len, &r) reads every mapping of process pid
 * through /proc/<pid>/mem (heap, every thread's stack, anonymous and
 * file-backed data, PROT_NONE mappings too: the kernel lets /proc/<pid>/mem
 * read them) and counts the places that hold any 16-byte window of the
 * secret (the whole secret when it is shorter). Windows, not the whole
 * secret, because a register file saved by XSAVE (a signal frame, a lazy
 * PLT binding) keeps the two 128-bit halves of ymm0-15 apart.
 *
 * Skipped: the library's own guarded memory (every mapping it makes for
 * plaintext is MADV_DONTDUMP, VmFlags "dd"; so are the scanner's buffers),
 * [vvar], [vsyscall], mappings of 1 GiB or more (sanitizer shadow and
 * reservations) and mappings with nothing resident or swapped (Rss and Swap
 * 0 in smaps: no page there holds a byte). Unreadable pages are stepped
 * over.
 *
 * scan_library_readable(pid, secret, len) asks another question: what
 * plaintext of the library's could a stray read reach? It reads only the
 * library's own mappings ("dd") that are readable (perms "r"); the
 * scanner's state is excluded by its address.
 *
 * Scanning yourself (pid = getpid()) brings the secret's windows into
 * registers and onto the stack: scan_process clears both before it
 * returns, so a later scan does not find the scanner's own residue.
 * Not async-signal-safe (stdio); call it from a parent watching a child,
 * or from an ordinary thread.
 */
#ifndef SM_TEST_SCAN_H
#define SM_TEST_SCAN_H

#include <fcntl.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#include "registers.h"
#include "securememory.h"

#define SCAN_WINDOW    16u
#define SCAN_READ      ((size_t)1 << 20)
#define SCAN_HUGE      ((uint64_t)1 << 30)
#define SCAN_MAX_NEEDL 256u /* windows of a secret of up to 271 bytes */

typedef struct scan_result {
    size_t hits;     /* places holding a window of the secret; (size_t)-1: no scan */
    size_t bytes;    /* bytes read */
    size_t mappings; /* mappings read */
    size_t skipped;  /* mappings skipped as the library's (dd) */
    char first[160]; /* where the first hit was: "ADDR in MAPPING" */
} scan_result;

/*
 * The scanner's memory: one DONTDUMP mapping, so scans skip it. A window
 * is looked up by its first two bytes: first[prefix] is 1 + the index of
 * the first window with that prefix (0: none), next[] chains the others.
 */
typedef struct scan_state {
    uint8_t buf[SCAN_READ + SCAN_WINDOW];
    uint8_t needles[SCAN_MAX_NEEDL][SCAN_WINDOW];
    uint16_t first[65536];
    uint16_t next[SCAN_MAX_NEEDL];
    size_t nneedles, width;
} scan_state;

static inline unsigned scan_prefix(const uint8_t *p, size_t width) {
    return width > 1 ? (unsigned)p[0] << 8 | p[1] : (unsigned)p[0] << 8;
}

static inline scan_state *scan_state_new(const uint8_t *secret, size_t len) {
    scan_state *s =
        mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED)
        return NULL;
    (void)madvise(s, sizeof *s, MADV_DONTDUMP);
    s->width = len < SCAN_WINDOW ? len : SCAN_WINDOW;
    size_t n = len - s->width + 1;
    s->nneedles = n < SCAN_MAX_NEEDL ? n : SCAN_MAX_NEEDL;
    for (size_t j = s->nneedles; j-- > 0;) {
        memcpy(s->needles[j], secret + j, s->width);
        unsigned pre = scan_prefix(s->needles[j], s->width);
        s->next[j] = s->first[pre];
        s->first[pre] = (uint16_t)(j + 1);
    }
    return s;
}

static inline void scan_state_free(scan_state *s) {
    sm_wipe(s, sizeof *s);
    munmap(s, sizeof *s);
}

/* Plain loops: no instrumentation, no vectorisation of secret windows. */
#if defined(__GNUC__) && !defined(__clang__)
#define SCAN_PLAIN                                                                                 \
    __attribute__((no_sanitize_address, no_sanitize_thread, optimize("no-tree-vectorize")))
#elif defined(__GNUC__)
#define SCAN_PLAIN __attribute__((no_sanitize("address", "thread")))
#else
#define SCAN_PLAIN
#endif

/* 1 when p[0..width) equals some window. */
SCAN_PLAIN static inline int scan_match(const scan_state *s, const uint8_t *p) {
    for (unsigned j = s->first[scan_prefix(p, s->width)]; j != 0; j = s->next[j - 1]) {
        const volatile uint8_t *w = s->needles[j - 1];
        size_t k = 0;
        while (k < s->width && p[k] == w[k])
            k++;
        if (k == s->width)
            return 1;
    }
    return 0;
}

/* Offset of the first window found in p[0..n), or n. */
SCAN_PLAIN static inline size_t scan_find(const scan_state *s, const uint8_t *p, size_t n) {
    for (size_t i = 0; i + s->width <= n; i++)
        if (s->first[scan_prefix(p + i, s->width)] != 0 && scan_match(s, p + i))
            return i;
    return n;
}

/* Counts the places in p[0..n) that hold a window (overlapping ones once). */
static inline size_t scan_count(const scan_state *s, const uint8_t *p, size_t n, size_t *first) {
    size_t hits = 0;
    for (size_t at = 0; at + s->width <= n;) {
        size_t i = at + scan_find(s, p + at, n - at);
        if (i + s->width > n)
            break;
        if (hits++ == 0)
            *first = i;
        at = i + s->width;
    }
    return hits;
}

typedef struct scan_map {
    uint64_t lo, hi;
    int dontdump, readable;
    unsigned long long rss_kb, swap_kb; /* 0 and 0: nothing there can hold a byte */
    char name[96];
} scan_map;

/* Reads the next mapping header and its VmFlags from smaps; 0 at the end. */
static inline int scan_next_map(FILE *f, scan_map *m) {
    char line[512];
    int have = 0;
    long pos = 0;
    while ((pos = ftell(f)), fgets(line, sizeof line, f) != NULL) {
        unsigned long long lo, hi;
        char perms[8];
        if (sscanf(line, "%llx-%llx %7s", &lo, &hi, perms) == 3 && strchr(line, ' ') != NULL &&
            strchr(line, '-') < strchr(line, ' ')) {
            if (have) {
                fseek(f, pos, SEEK_SET);
                return 1;
            }
            memset(m, 0, sizeof *m);
            m->lo = lo;
            m->hi = hi;
            m->readable = perms[0] == 'r';
            (void)sscanf(line, "%*s %*s %*s %*s %*s %95[^\n]", m->name);
            have = 1;
        } else if (have && strncmp(line, "VmFlags:", 8) == 0) {
            m->dontdump = strstr(line, " dd") != NULL;
        } else if (have) {
            (void)sscanf(line, "Rss: %llu kB", &m->rss_kb);
            (void)sscanf(line, "Swap: %llu kB", &m->swap_kb);
        }
    }
    return have;
}

static inline int scan_skip(const scan_map *m) {
    return m->hi - m->lo >= SCAN_HUGE || (m->rss_kb == 0 && m->swap_kb == 0) ||
           strcmp(m->name, "[vvar]") == 0 || strcmp(m->name, "[vvar_vclock]") == 0 ||
           strcmp(m->name, "[vsyscall]") == 0;
}

static inline void scan_mapping(int fd, scan_state *s, const scan_map *m, scan_result *r) {
    size_t keep = 0; /* bytes carried over from the previous read (a window across reads) */
    for (uint64_t at = m->lo; at < m->hi;) {
        size_t want = m->hi - at < SCAN_READ ? (size_t)(m->hi - at) : SCAN_READ;
        ssize_t got = pread(fd, s->buf + keep, want, (off_t)at);
        if (got <= 0) { /* unreadable page: step over it */
            at = (at + 4096) & ~(uint64_t)4095;
            keep = 0;
            continue;
        }
        size_t n = keep + (size_t)got, first = 0;
        size_t hits = scan_count(s, s->buf, n, &first);
        if (hits > 0 && r->hits == 0)
            snprintf(r->first, sizeof r->first, "%#llx in %llx-%llx %s",
                     (unsigned long long)(at - keep + first), (unsigned long long)m->lo,
                     (unsigned long long)m->hi, m->name[0] ? m->name : "[anon]");
        r->hits += hits;
        r->bytes += (size_t)got;
        at += (uint64_t)got;
        keep = n < s->width ? n : s->width - 1;
        memmove(s->buf, s->buf + n - keep, keep);
    }
}

enum { SCAN_OUTSIDE_LIBRARY, SCAN_LIBRARY_READABLE };

/* With SCAN_LIBRARY_READABLE: a mapping of the scanner's own state is skipped. */
static inline int scan_is_own(const scan_map *m, const scan_state *s) {
    uint64_t lo = (uint64_t)(uintptr_t)s, hi = lo + sizeof *s;
    return m->lo < hi && lo < m->hi;
}

static inline int scan_wanted(const scan_map *m, const scan_state *s, int what, scan_result *r) {
    if (scan_skip(m))
        return 0;
    if (what == SCAN_LIBRARY_READABLE)
        return m->dontdump && m->readable && !scan_is_own(m, s);
    r->skipped += m->dontdump;
    return !m->dontdump;
}

/* Scans process pid for the windows in s (made by scan_state_new). */
static inline scan_result scan_state_process(pid_t pid, scan_state *s, int what) {
    scan_result r;
    memset(&r, 0, sizeof r);
    r.hits = (size_t)-1;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/smaps", (int)pid);
    FILE *maps = fopen(path, "r");
    snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (maps != NULL && fd >= 0 && s != NULL) {
        r.hits = 0;
        scan_map m;
        while (scan_next_map(maps, &m)) {
            if (scan_wanted(&m, s, what, &r)) {
                r.mappings++;
                scan_mapping(fd, s, &m, &r);
            }
        }
    }
    if (fd >= 0)
        close(fd);
    if (maps != NULL)
        fclose(maps);
    sodium_stackzero(16384); /* the scanner's frames held windows of the secret */
    sm__registers_clear();
    return r;
}

static inline scan_result scan_with(pid_t pid, const uint8_t *secret, size_t len, int what) {
    scan_state *s = len > 0 ? scan_state_new(secret, len) : NULL;
    scan_result r = scan_state_process(pid, s, what);
    if (s != NULL)
        scan_state_free(s);
    return r;
}

/* Scans every mapping of process pid outside the library's guarded memory. */
static inline scan_result scan_process(pid_t pid, const uint8_t *secret, size_t len) {
    return scan_with(pid, secret, len, SCAN_OUTSIDE_LIBRARY);
}

/* Scans the library's readable mappings in process pid. */
static inline scan_result scan_library_readable(pid_t pid, const uint8_t *secret, size_t len) {
    return scan_with(pid, secret, len, SCAN_LIBRARY_READABLE);
}

static inline void scan_print(const char *what, const scan_result *r) {
    printf("# %s: %zu hits (%zu bytes in %zu mappings, %zu library mappings skipped)%s%s\n", what,
           r->hits, r->bytes, r->mappings, r->skipped, r->hits ? "; first at " : "",
           r->hits ? r->first : "");
}

#endif
