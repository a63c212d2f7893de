/*
 * Clearing the registers plaintext passes through (registers.h).
 *
 * x86-64: what the CPU has is read once with cpuid and xgetbv (the OS must
 * have enabled the state, XCR0, not only the CPU have it) and kept in
 * `level`, an atomic written with an idempotent race. Then:
 *   AVX-512   zmm16-31 zeroed with EVEX instructions (256-bit forms with
 *             AVX512VL, which zero the whole register without a 512-bit
 *             operation) and k0-7 with kxorw (which zeroes the full mask);
 *   AVX       vzeroall: ymm0-15, and zmm0-15 whole where AVX-512 exists;
 *   SSE only  pxor of xmm0-15.
 * The caller-saved general-purpose registers are zeroed on every level.
 * aarch64: v0-v31 (the lower halves of v8-v15, callee-saved under
 * AAPCS64, come back as the caller had them) and the caller-saved
 * general-purpose registers x0-x17 (not x18, the platform register);
 * tests/arch runs it under qemu-aarch64. Elsewhere nothing is cleared
 * (documented in docs/design.md).
 *
 * Global state: `level` (above) and the thread observer (a test hook), both
 * atomics.
 */
#include <stdatomic.h>
#include <stddef.h>

#include "registers.h"

static _Atomic(sm_thread_observer) thread_observer; /* test hook, atomic */

void sm__registers_set_thread_observer(sm_thread_observer fn) {
    atomic_store(&thread_observer, fn);
}

void sm__thread_begin(void) {
    sm__registers_clear();
    sm_thread_observer observe = atomic_load_explicit(&thread_observer, memory_order_acquire);
    if (observe != NULL)
        observe();
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>

enum { LEVEL_UNKNOWN = -1, LEVEL_SSE = 0, LEVEL_AVX = 1, LEVEL_AVX512 = 2, LEVEL_AVX512VL = 3 };

static atomic_int level = LEVEL_UNKNOWN; /* detected once; idempotent race */

static unsigned long long xcr0(void) {
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

static int detect(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return LEVEL_SSE;
    const unsigned osxsave = 1u << 27, avx = 1u << 28;
    if ((c & (osxsave | avx)) != (osxsave | avx))
        return LEVEL_SSE;
    unsigned long long x = xcr0();
    if ((x & 0x6) != 0x6) /* SSE and AVX state enabled by the OS */
        return LEVEL_SSE;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return LEVEL_AVX;
    const unsigned avx512f = 1u << 16, avx512vl = 1u << 31;
    if (!(b & avx512f) || (x & 0xe0) != 0xe0) /* opmask, ZMM_Hi256, Hi16_ZMM state */
        return LEVEL_AVX;
    return (b & avx512vl) ? LEVEL_AVX512VL : LEVEL_AVX512;
}

int sm__registers_level(void) {
    int l = atomic_load_explicit(&level, memory_order_relaxed);
    if (l == LEVEL_UNKNOWN) {
        l = detect();
        atomic_store_explicit(&level, l, memory_order_relaxed);
    }
    return l;
}

#define XMM_CLOBBERS                                                                               \
    "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",       \
        "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"
#define GPR_CLOBBERS "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11"
#define HI16_CLOBBERS                                                                              \
    "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25",      \
        "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31"

#define ZERO_HI16(w)                                                                               \
    "vpxord %%" w "16, %%" w "16, %%" w "16\n\t"                                                   \
    "vpxord %%" w "17, %%" w "17, %%" w "17\n\t"                                                   \
    "vpxord %%" w "18, %%" w "18, %%" w "18\n\t"                                                   \
    "vpxord %%" w "19, %%" w "19, %%" w "19\n\t"                                                   \
    "vpxord %%" w "20, %%" w "20, %%" w "20\n\t"                                                   \
    "vpxord %%" w "21, %%" w "21, %%" w "21\n\t"                                                   \
    "vpxord %%" w "22, %%" w "22, %%" w "22\n\t"                                                   \
    "vpxord %%" w "23, %%" w "23, %%" w "23\n\t"                                                   \
    "vpxord %%" w "24, %%" w "24, %%" w "24\n\t"                                                   \
    "vpxord %%" w "25, %%" w "25, %%" w "25\n\t"                                                   \
    "vpxord %%" w "26, %%" w "26, %%" w "26\n\t"                                                   \
    "vpxord %%" w "27, %%" w "27, %%" w "27\n\t"                                                   \
    "vpxord %%" w "28, %%" w "28, %%" w "28\n\t"                                                   \
    "vpxord %%" w "29, %%" w "29, %%" w "29\n\t"                                                   \
    "vpxord %%" w "30, %%" w "30, %%" w "30\n\t"                                                   \
    "vpxord %%" w "31, %%" w "31, %%" w "31\n\t"

#define ZERO_MASKS                                                                                 \
    "kxorw %%k0, %%k0, %%k0\n\tkxorw %%k1, %%k1, %%k1\n\t"                                         \
    "kxorw %%k2, %%k2, %%k2\n\tkxorw %%k3, %%k3, %%k3\n\t"                                         \
    "kxorw %%k4, %%k4, %%k4\n\tkxorw %%k5, %%k5, %%k5\n\t"                                         \
    "kxorw %%k6, %%k6, %%k6\n\tkxorw %%k7, %%k7, %%k7\n\t"

#define ZERO_GPRS                                                                                  \
    "xorl %%eax, %%eax\n\txorl %%ecx, %%ecx\n\txorl %%edx, %%edx\n\t"                              \
    "xorl %%esi, %%esi\n\txorl %%edi, %%edi\n\txorl %%r8d, %%r8d\n\t"                              \
    "xorl %%r9d, %%r9d\n\txorl %%r10d, %%r10d\n\txorl %%r11d, %%r11d"

/*
 * The compiler is told nothing about zmm16-31 and k0-7 when it may not
 * know them (no -mavx512f): it never allocates them in this file, and the
 * "memory" clobber keeps every access in place around the asm.
 */
__attribute__((target("avx512f,avx512vl"))) static void clear_avx512vl(void) {
    __asm__ volatile(ZERO_HI16("ymm") ZERO_MASKS "vzeroall\n\t" ZERO_GPRS::
                         : XMM_CLOBBERS, HI16_CLOBBERS, GPR_CLOBBERS, "memory");
}

__attribute__((target("avx512f"))) static void clear_avx512(void) {
    __asm__ volatile(ZERO_HI16("zmm") ZERO_MASKS "vzeroall\n\t" ZERO_GPRS::
                         : XMM_CLOBBERS, HI16_CLOBBERS, GPR_CLOBBERS, "memory");
}

__attribute__((target("avx"))) static void clear_avx(void) {
    __asm__ volatile("vzeroall\n\t" ZERO_GPRS::: XMM_CLOBBERS, GPR_CLOBBERS, "memory");
}

static void clear_sse(void) {
    __asm__ volatile("pxor %%xmm0, %%xmm0\n\tpxor %%xmm1, %%xmm1\n\t"
                     "pxor %%xmm2, %%xmm2\n\tpxor %%xmm3, %%xmm3\n\t"
                     "pxor %%xmm4, %%xmm4\n\tpxor %%xmm5, %%xmm5\n\t"
                     "pxor %%xmm6, %%xmm6\n\tpxor %%xmm7, %%xmm7\n\t"
                     "pxor %%xmm8, %%xmm8\n\tpxor %%xmm9, %%xmm9\n\t"
                     "pxor %%xmm10, %%xmm10\n\tpxor %%xmm11, %%xmm11\n\t"
                     "pxor %%xmm12, %%xmm12\n\tpxor %%xmm13, %%xmm13\n\t"
                     "pxor %%xmm14, %%xmm14\n\tpxor %%xmm15, %%xmm15\n\t" ZERO_GPRS::
                         : XMM_CLOBBERS, GPR_CLOBBERS, "memory");
}

void sm__registers_clear(void) {
    switch (sm__registers_level()) {
    case LEVEL_AVX512VL:
        clear_avx512vl();
        break;
    case LEVEL_AVX512:
        clear_avx512();
        break;
    case LEVEL_AVX:
        clear_avx();
        break;
    default:
        clear_sse();
        break;
    }
}

#elif defined(__aarch64__) && (defined(__GNUC__) || defined(__clang__))

int sm__registers_level(void) {
    return 0;
}

void sm__registers_clear(void) {
    __asm__ volatile(
        "movi v0.16b, #0\n\tmovi v1.16b, #0\n\tmovi v2.16b, #0\n\tmovi v3.16b, #0\n\t"
        "movi v4.16b, #0\n\tmovi v5.16b, #0\n\tmovi v6.16b, #0\n\tmovi v7.16b, #0\n\t"
        "movi v8.16b, #0\n\tmovi v9.16b, #0\n\tmovi v10.16b, #0\n\tmovi v11.16b, #0\n\t"
        "movi v12.16b, #0\n\tmovi v13.16b, #0\n\tmovi v14.16b, #0\n\t"
        "movi v15.16b, #0\n\tmovi v16.16b, #0\n\tmovi v17.16b, #0\n\t"
        "movi v18.16b, #0\n\tmovi v19.16b, #0\n\tmovi v20.16b, #0\n\t"
        "movi v21.16b, #0\n\tmovi v22.16b, #0\n\tmovi v23.16b, #0\n\t"
        "movi v24.16b, #0\n\tmovi v25.16b, #0\n\tmovi v26.16b, #0\n\t"
        "movi v27.16b, #0\n\tmovi v28.16b, #0\n\tmovi v29.16b, #0\n\t"
        "movi v30.16b, #0\n\tmovi v31.16b, #0\n\t"
        "mov x0, xzr\n\tmov x1, xzr\n\tmov x2, xzr\n\tmov x3, xzr\n\tmov x4, xzr\n\t"
        "mov x5, xzr\n\tmov x6, xzr\n\tmov x7, xzr\n\tmov x8, xzr\n\tmov x9, xzr\n\t"
        "mov x10, xzr\n\tmov x11, xzr\n\tmov x12, xzr\n\tmov x13, xzr\n\t"
        "mov x14, xzr\n\tmov x15, xzr\n\tmov x16, xzr\n\tmov x17, xzr" ::
            : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12",
              "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24",
              "v25", "v26", "v27", "v28", "v29", "v30", "v31", "x0", "x1", "x2", "x3", "x4", "x5",
              "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17",
              "memory");
}

#else

int sm__registers_level(void) {
    return 0;
}

void sm__registers_clear(void) {
    __asm__ volatile("" ::: "memory");
}

#endif
