/* The benchmark groups; each measures and reports its results. */
#ifndef SM_BENCH_OPS_H
#define SM_BENCH_OPS_H

/* Secret create+close (32 B, 1 KiB, both kinds) against sodium_malloc/noaccess/free. */
void bench_create_close(void);

/* with_bytes of a 32-B secret, 1 and 2 threads, against the mprotect floor and a raw open. */
void bench_with_bytes(void);

/* Enclave seal and open at 32 B, 1 KiB, 64 KiB, 1 MiB against raw XChaCha20-Poly1305. */
void bench_enclave(void);

/* Stream write + read of 64 MiB against raw AEAD over the same chunks. */
void bench_stream(void);

/* Live 32-B objects per kind at 10k, 100k, 200k and 1M (forked children). */
void bench_scale(void);

#endif
