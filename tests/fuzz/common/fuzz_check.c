/* Reporting findings and tracing operations. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"

static int tracing;

void fuzz_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "\n==FUZZ FINDING== %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(replay with SM_FUZZ_TRACE=1 to see the operations)\n");
    fflush(stderr);
    abort();
}

void fuzz_status(const char *file, int line, const char *call, unsigned documented, sm_status got,
                 sm_status want) {
    if ((unsigned)got >= SM_STATUS_COUNT || (got != SM_OK && !(documented & ST(got))))
        fuzz_fail(file, line, "%s returned %s (%d), which the header does not document for it",
                  call, sm_status_name(got), (int)got);
    if (got != want)
        fuzz_fail(file, line, "%s returned %s, expected %s", call, sm_status_name(got),
                  sm_status_name(want));
}

void fuzz_bytes(const char *file, int line, const char *what, const void *got, const void *want,
                size_t len) {
    const unsigned char *g = got, *w = want;
    if (len == 0 || memcmp(got, want, len) == 0) /* fast path: megabytes per input */
        return;
    for (size_t i = 0; i < len; i++)
        if (g[i] != w[i])
            fuzz_fail(file, line, "%s: byte %zu of %zu is %02x, expected %02x", what, i, len, g[i],
                      w[i]);
}

int fuzz_all_zero(const void *p, size_t len) {
    static const unsigned char zeros[4096];
    const unsigned char *b = p;
    for (size_t done = 0; done < len;) {
        size_t n = len - done < sizeof zeros ? len - done : sizeof zeros;
        if (memcmp(b + done, zeros, n) != 0)
            return 0;
        done += n;
    }
    return 1;
}

void fuzz_trace_init(void) {
    const char *v = getenv("SM_FUZZ_TRACE");
    tracing = v != NULL && *v != '\0' && strcmp(v, "0") != 0;
}

void fuzz_trace(const char *fmt, ...) {
    if (!tracing)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
