/*
 * Findings: a broken invariant prints what was expected and obtained, then
 * aborts, which libFuzzer reports as a crash and saves as crash-<sha1>.
 * Tracing (SM_FUZZ_TRACE=1 in the environment) prints every operation an
 * input decodes to, to turn a reproducer into a readable sequence.
 */
#ifndef SM_FUZZ_CHECK_H
#define SM_FUZZ_CHECK_H

#include <stddef.h>

#include "securememory.h"

/* Reports a finding and aborts. */
void fuzz_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fuzz_fail(__FILE__, __LINE__, __VA_ARGS__);                                            \
    } while (0)

/* Statuses as a bit set, for the lists the header documents per call. */
#define ST(s) (1u << (s))

/*
 * Checks that call returned want, and first that got is one of the
 * statuses the header documents for it (SM_OK always is).
 */
void fuzz_status(const char *file, int line, const char *call, unsigned documented, sm_status got,
                 sm_status want);
#define FUZZ_STATUS(call, documented, got, want)                                                   \
    fuzz_status(__FILE__, __LINE__, call, documented, got, want)

/* Checks that got[0..len) equals want[0..len), naming the first difference. */
void fuzz_bytes(const char *file, int line, const char *what, const void *got, const void *want,
                size_t len);
#define FUZZ_BYTES(what, got, want, len) fuzz_bytes(__FILE__, __LINE__, what, got, want, len)

/* 1 when every byte of p[0..len) is zero. */
int fuzz_all_zero(const void *p, size_t len);

/* Tracing: on when SM_FUZZ_TRACE is set in the environment. */
void fuzz_trace_init(void);
void fuzz_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
