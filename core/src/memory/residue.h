/*
 * Internal: wiping what cryptography leaves behind on the calling thread.
 *
 * libsodium keeps keys, cipher state and partial blocks in the frames of
 * its functions, which stay on the stack after they return, and in vector
 * registers. A caller that ran such code on key material or plaintext
 * calls sm__residue_wipe() before it returns.
 */
#ifndef SM_RESIDUE_H
#define SM_RESIDUE_H

/*
 * Dead stack wiped below the caller. Measured on x86-64 with libsodium
 * 1.0.18: BLAKE2b-256 about 1.3 KiB, XChaCha20-Poly1305 seal/open about
 * 2.3 KiB, the ChaCha20 expansion of a random fill less; the library's
 * own frames add a few hundred bytes.
 */
#define SM_STACK_WIPE_BYTES 4096u

/*
 * Zeroes SM_STACK_WIPE_BYTES of the stack below the caller
 * (sodium_stackzero), then the registers (sm__registers_clear): the
 * registers last, since anything that saves them later (a signal frame, a
 * lazy PLT binding) writes them back to the stack. Async-signal-safe.
 */
void sm__residue_wipe(void);

#endif /* SM_RESIDUE_H */
