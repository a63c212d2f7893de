/*
 * Internal: clearing the CPU registers that plaintext passes through.
 *
 * Copying, generating or decrypting bytes leaves them in vector registers
 * (glibc's memcpy of 32 bytes on an AVX-512 machine keeps them in ymm16),
 * and whatever saves the register file later writes them to memory: a
 * signal frame on the thread's stack, a lazy PLT binding
 * (_dl_runtime_resolve_xsavec), a new thread that inherits them at clone().
 * So every public function that moves plaintext ends with
 * sm__registers_clear(), and the library's own threads call it first thing.
 */
#ifndef SM_REGISTERS_H
#define SM_REGISTERS_H

/*
 * Zeroes every vector register the CPU has, as detected at run time: xmm0-15
 * (and ymm0-15 with AVX), zmm0-31 and the mask registers k0-7 with AVX-512,
 * plus the caller-saved general-purpose registers. The compiler can neither
 * drop the call nor move memory accesses across it (it is an asm barrier).
 * Async-signal-safe; costs a few nanoseconds.
 */
void sm__registers_clear(void);

/* The kind of register file detected: 0 SSE, 1 AVX, 2 AVX-512F, 3 AVX-512F+VL (tests). */
int sm__registers_level(void);

/*
 * First thing in every thread the library starts (re-key, signal handler,
 * watchdog), before any call: a new thread inherits its creator's
 * registers at clone(). Clears them, then calls the test observer.
 */
void sm__thread_begin(void);

/*
 * Test hook: called by sm__thread_begin() right after the clear, on the new
 * thread, so a test can save that thread's register file and look for
 * plaintext in it. NULL (the default) disables it; one atomic load per
 * thread start.
 */
typedef void (*sm_thread_observer)(void);
void sm__registers_set_thread_observer(sm_thread_observer fn);

#endif
