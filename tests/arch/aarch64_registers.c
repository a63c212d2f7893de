/*
 * sm__registers_clear on aarch64 (core/src/memory/registers.c), run under
 * qemu-aarch64 by tests/arch/run.sh: the project's CI is x86-64, and this
 * is the only code of the core that differs by architecture.
 *
 * One asm block fills v0-v31 and x1-x17 with a pattern, calls the
 * function and stores them all, so no compiled code runs in between. Then:
 *   - v0-v7 and v16-v31 are zero;
 *   - v8-v15: the upper 64 bits are zero, the lower 64 bits (d8-d15) hold
 *     the pattern again: AAPCS64 makes them callee-saved, so the function
 *     restores what its caller had (plaintext of the library's own calls
 *     never stays there: every function restores them before returning);
 *   - x1-x17 (caller-saved, x0 included in the clobbers) are zero.
 * TAP output; exit status 1 on a failure.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "registers.h"

#define PATTERN 0x5a5a5a5a5a5a5a5aull

static uint64_t vout[32][2];
static uint64_t xout[18];

#define V_CLOBBERS                                                                                 \
    "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", \
        "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", \
        "v28", "v29", "v30", "v31"
#define X_CLOBBERS                                                                                 \
    "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", \
        "x15", "x16", "x17", "x30"

#define DUP4(a, b, c, d)                                                                           \
    "dup v" #a ".2d, x9\n\tdup v" #b ".2d, x9\n\tdup v" #c ".2d, x9\n\tdup v" #d ".2d, x9\n\t"

static void run(void) {
    register uint64_t *v __asm__("x19") = &vout[0][0];
    register uint64_t *x __asm__("x20") = xout;
    register uint64_t pat __asm__("x21") = PATTERN;
    __asm__ volatile(
        "mov x9, x21\n\t" DUP4(0, 1, 2, 3) DUP4(4, 5, 6, 7) DUP4(8, 9, 10, 11) DUP4(12, 13, 14, 15)
            DUP4(16, 17, 18, 19) DUP4(20, 21, 22, 23) DUP4(24, 25, 26, 27) DUP4(
                28, 29, 30, 31) "mov x1, x21\n\tmov x2, x21\n\tmov x3, x21\n\tmov x4, x21\n\t"
                                "mov x5, x21\n\tmov x6, x21\n\tmov x7, x21\n\tmov x8, x21\n\t"
                                "mov x10, x21\n\tmov x11, x21\n\tmov x12, x21\n\t"
                                "mov x13, x21\n\tmov x14, x21\n\tmov x15, x21\n\tmov x16, x21\n\t"
                                "mov x17, x21\n\t"
                                "bl sm__registers_clear\n\t"
                                "stp x1, x2, [x20, #8]\n\tstp x3, x4, [x20, #24]\n\t"
                                "stp x5, x6, [x20, #40]\n\tstp x7, x8, [x20, #56]\n\t"
                                "stp x9, x10, [x20, #72]\n\tstp x11, x12, [x20, #88]\n\t"
                                "stp x13, x14, [x20, #104]\n\tstp x15, x16, [x20, #120]\n\t"
                                "str x17, [x20, #136]\n\t"
                                "st1 {v0.2d, v1.2d, v2.2d, v3.2d}, [x19], #64\n\t"
                                "st1 {v4.2d, v5.2d, v6.2d, v7.2d}, [x19], #64\n\t"
                                "st1 {v8.2d, v9.2d, v10.2d, v11.2d}, [x19], #64\n\t"
                                "st1 {v12.2d, v13.2d, v14.2d, v15.2d}, [x19], #64\n\t"
                                "st1 {v16.2d, v17.2d, v18.2d, v19.2d}, [x19], #64\n\t"
                                "st1 {v20.2d, v21.2d, v22.2d, v23.2d}, [x19], #64\n\t"
                                "st1 {v24.2d, v25.2d, v26.2d, v27.2d}, [x19], #64\n\t"
                                "st1 {v28.2d, v29.2d, v30.2d, v31.2d}, [x19], #64\n\t"
        : "+r"(v), "+r"(x)
        : "r"(pat)
        : V_CLOBBERS, X_CLOBBERS, "memory", "cc");
}

static int failed, n;

static void check(int ok, const char *what) {
    printf("%s %d - %s\n", ok ? "ok" : "not ok", ++n, what);
    failed += !ok;
}

int main(void) {
    memset(xout, 0xff, sizeof xout);
    run();
    int caller_saved = 1, upper = 1, restored = 1, gprs = 1;
    for (int i = 0; i < 32; i++) {
        if (i >= 8 && i <= 15) {
            upper &= vout[i][1] == 0;
            restored &= vout[i][0] == PATTERN;
        } else {
            caller_saved &= vout[i][0] == 0 && vout[i][1] == 0;
        }
    }
    for (int i = 1; i <= 17; i++)
        gprs &= xout[i] == 0;
    check(caller_saved, "v0-v7 and v16-v31 are zero");
    check(upper, "v8-v15: the upper 64 bits are zero");
    check(restored, "d8-d15 (callee-saved, AAPCS64) hold the caller's values again");
    check(gprs, "x1-x17 (caller-saved) are zero");
    printf("1..%d\n", n);
    return failed != 0;
}
