/*
 * securememory.h — keep secrets (keys, passwords, tokens) safe in memory.
 *
 * This is the only public header of libsecurememory and it is the manual:
 * every function says who owns what, which threads may call it, and which
 * status codes it returns.
 *
 * Conventions that hold for the whole API
 * ---------------------------------------
 * - Every fallible function returns an sm_status. SM_OK is 0; every other
 *   value is a stable, documented error. Bindings mirror the names.
 * - Nothing in the library prints, aborts or exits on an error a caller can
 *   handle. The only functions that end the process are sm_exit() and the
 *   signal handlers a caller installs with sm_signal_catch*().
 * - Objects are opaque handles. Each kind has a "close" operation (destroy,
 *   close) that wipes and releases the memory but leaves the handle valid,
 *   so later calls report SM_ERR_CLOSED instead of crashing, and a "free"
 *   operation that closes if needed and then releases the handle itself.
 *   Freeing a handle twice, or using it after free, is undefined behaviour,
 *   as with free(3).
 * - Functions that take a `void *src` copy the bytes and then wipe src on
 *   every path, failures included, so a secret never survives in caller
 *   memory by accident. Pass memory you own and may overwrite.
 * - Every function may be called from any thread unless its comment says
 *   otherwise. The library initialises itself lazily with default settings
 *   on first use; call sm_init() first to choose other settings.
 *
 * What the library clears, and what stays yours
 * ---------------------------------------------
 * Plaintext that passes through the CPU stays in its registers until
 * something overwrites them, and whatever saves the register file (a signal
 * frame, a lazy PLT binding, a new thread at clone()) writes it to memory.
 * So every function that moves plaintext (copies it in, fills random
 * bytes, copies it out, decrypts, seals, streams, compares with
 * sm_equal, and ends an access: sm_secret_release, sm_secret_with_bytes)
 * zeroes the vector registers the CPU has (xmm/ymm/zmm 0-31 and the
 * AVX-512 mask registers, detected at run time; v0-v31 on aarch64) and the
 * scratch general-purpose registers before it returns, and every thread
 * the library starts does so before anything else. The library is linked
 * with immediate binding (no lazy PLT binding of its own calls). A fault
 * or abort() that a caught signal turns into the end of the process also
 * zeroes the register file saved in that signal's frame.
 * What stays yours: the registers and the stack of your own code while it
 * works on the bytes (a sm_secret_with_bytes callback, the time between
 * acquire and release; the release clears the vector registers you left),
 * the memory you pass to sm_secret_read() and sm_stream_read(), and any
 * copy you make. A signal that interrupts your thread while a library call
 * is moving plaintext saves that plaintext in the signal's frame on your
 * stack; the library cannot clear a frame the thread returns to.
 */
#ifndef SECUREMEMORY_H
#define SECUREMEMORY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SM_BUILDING_LIBRARY) && defined(__GNUC__)
#define SM_API __attribute__((visibility("default")))
#else
#define SM_API
#endif

#if defined(__GNUC__)
#define SM_NORETURN __attribute__((noreturn))
#else
#define SM_NORETURN
#endif

#define SM_VERSION_MAJOR  0
#define SM_VERSION_MINOR  1
#define SM_VERSION_PATCH  0
#define SM_VERSION_STRING "0.1.0"

/** The library's version string, e.g. "0.1.0". Never NULL. */
SM_API const char *sm_version(void);

/* ===================================================================== */
/* Status codes                                                          */
/* ===================================================================== */

/**
 * The error model every binding mirrors. Values are stable: new codes are
 * only ever appended.
 */
typedef enum sm_status {
    SM_OK = 0,               /**< Success. */
    SM_ERR_INVALID = 1,      /**< Bad argument: NULL, zero or overflowing size, wrong state. */
    SM_ERR_NOMEM = 2,        /**< Out of memory or address space (or vm.max_map_count). */
    SM_ERR_MLOCK = 3,        /**< Memory could not be locked (RLIMIT_MEMLOCK). */
    SM_ERR_PROTECT = 4,      /**< A page protection change failed. */
    SM_ERR_CLOSED = 5,       /**< The object was closed, destroyed or purged. */
    SM_ERR_AUTH = 6,         /**< Sealed data failed authentication (tampered, or key purged). */
    SM_ERR_CANARY = 7,       /**< Canary corrupted: an out-of-bounds write was detected. */
    SM_ERR_EOF = 8,          /**< A stream or reader is exhausted. */
    SM_ERR_CALLBACK = 9,     /**< A user callback returned nonzero. */
    SM_ERR_UNSUPPORTED = 10, /**< Not available on this platform or kernel. */
} sm_status;

/** Number of status codes (one past the highest value). */
#define SM_STATUS_COUNT 11

/**
 * The identifier of a status, e.g. "SM_ERR_CLOSED". Unknown values give
 * "SM_ERR_UNKNOWN". Never NULL; the string is static.
 */
SM_API const char *sm_status_name(sm_status status);

/**
 * A sentence that says what went wrong and what to do about it (for
 * SM_ERR_MLOCK: which limit was hit and how to raise it, or how to change
 * the lock policy). Never NULL; the string is static.
 */
SM_API const char *sm_strerror(sm_status status);

/**
 * The errno of the last failing kernel call made by the library on the
 * calling thread (0 if none). Useful detail behind SM_ERR_NOMEM,
 * SM_ERR_MLOCK, SM_ERR_PROTECT and SM_ERR_UNSUPPORTED. Thread-local.
 */
SM_API int sm_last_errno(void);

/* ===================================================================== */
/* Configuration                                                         */
/* ===================================================================== */

/** What to do when memory cannot be locked (mlock) against swapping. */
typedef enum sm_lock_policy {
    SM_LOCK_STRICT = 0,      /**< Fail the allocation with SM_ERR_MLOCK (default). */
    SM_LOCK_BEST_EFFORT = 1, /**< Continue unlocked; counted in sm_stats.lock_failures. */
    SM_LOCK_OFF = 2,         /**< Never lock. */
} sm_lock_policy;

/** What a child created by fork() sees of secret memory. */
typedef enum sm_fork_policy {
    SM_FORK_WIPE = 0, /**< MADV_WIPEONFORK: the child sees zeros (default). */
    SM_FORK_KEEP = 1, /**< The child inherits a copy (ordinary fork semantics). */
} sm_fork_policy;

/** Where the library takes the pages that hold plaintext. */
typedef enum sm_backend {
    /** Anonymous private pages: guarded, locked, excluded from core dumps. */
    SM_BACKEND_PAGES = 0,
    /** memfd_secret(2) pages (Linux >= 5.14): also removed from the kernel's
     *  direct map, so not even root can read them through /proc/<pid>/mem,
     *  process_vm_readv or ptrace. They are always locked: the kernel counts
     *  them against RLIMIT_MEMLOCK whatever the lock policy says, and past
     *  the limit an allocation or an ENCLAVE access fails with SM_ERR_MLOCK.
     *  A forked child inherits none of them (the fork policy does not
     *  apply): in the child every buffer and secret made before the fork
     *  reports closed (a buffer is not alive, a secret is closed), a stream
     *  loses its data as in a purge, and enclaves fail with SM_ERR_AUTH (the
     *  key is gone); freeing them is safe. */
    SM_BACKEND_SECRETMEM = 1,
    /** SM_BACKEND_SECRETMEM where the kernel has it, else SM_BACKEND_PAGES. */
    SM_BACKEND_AUTO = 2,
} sm_backend;

/**
 * Library settings. Always initialise with sm_config_default() and then
 * change fields: `size` lets the struct grow without breaking callers (a
 * caller built against an older header passes a smaller size, and the
 * fields it does not have keep their defaults).
 */
typedef struct sm_config {
    size_t size;                /**< sizeof(sm_config); set by sm_config_default(). */
    sm_lock_policy lock_policy; /**< Default SM_LOCK_STRICT. */
    sm_fork_policy fork_policy; /**< Default SM_FORK_WIPE. */
    int disable_core_dumps;     /**< Nonzero: lower the soft RLIMIT_CORE to 0. Default 0. */
    uint32_t rekey_interval_ms; /**< Coffer re-key interval; 0 = never. Default 500. */
    sm_backend backend;         /**< Default: the backend in force, which is
                                     SM_BACKEND_PAGES until sm_init() chooses
                                     another (see docs/design.md). */
} sm_config;

/**
 * Fills *cfg with the defaults; the backend field gets the backend in force,
 * so an sm_init() that starts from the defaults to change another setting
 * keeps it. cfg must not be NULL. Thread-safe.
 */
SM_API void sm_config_default(sm_config *cfg);

/**
 * Initialises the library (libsodium included) with cfg, or the defaults
 * when cfg is NULL. Idempotent: calling it again applies the new settings
 * from then on. The lock policy in force applies at each allocation and
 * each access: an ENCLAVE secret's open page, a PROTECTED secret's pages
 * and the enclave key made under SM_LOCK_OFF are locked when next used
 * under SM_LOCK_STRICT (or SM_ERR_MLOCK), and one failed lock under
 * SM_LOCK_BEST_EFFORT costs only that allocation or access. Every other
 * function initialises lazily with the defaults when sm_init() was never
 * called.
 *
 * The backend may change until the library first takes memory for
 * plaintext; from then on a call that asks for another backend fails with
 * SM_ERR_INVALID and changes nothing (SM_BACKEND_AUTO asks for the one it
 * resolves to).
 *
 * Errors: SM_ERR_INVALID (cfg->size too small, a field out of range, or a
 * backend other than the one in force), SM_ERR_UNSUPPORTED (libsodium
 * failed to initialise, core dumps could not be disabled, or
 * SM_BACKEND_SECRETMEM on a kernel without memfd_secret). Thread-safe.
 */
SM_API sm_status sm_init(const sm_config *cfg);

/**
 * The backend in force: SM_BACKEND_PAGES or SM_BACKEND_SECRETMEM (never
 * SM_BACKEND_AUTO: that setting resolves to one of them). Thread-safe.
 */
SM_API sm_backend sm_backend_active(void);

/* ===================================================================== */
/* Memory calls: pages, locking, protection, wiping                      */
/* ===================================================================== */

/** Page protection for sm_mem_protect() and guarded buffers. */
typedef enum sm_prot {
    SM_PROT_NONE = 0,      /**< No access: any touch faults. */
    SM_PROT_READ = 1,      /**< Read-only: a write faults. */
    SM_PROT_READWRITE = 2, /**< Read and write. */
} sm_prot;

/** The system page size in bytes. Thread-safe. */
SM_API size_t sm_page_size(void);

/**
 * Maps len bytes (rounded up to whole pages) of zeroed, read-write,
 * anonymous memory, advised MADV_WIPEONFORK under the default fork policy.
 * The caller owns *out and releases it with sm_mem_free(*out, len).
 * Errors: SM_ERR_INVALID (out NULL, len 0 or overflowing), SM_ERR_NOMEM,
 * SM_ERR_UNSUPPORTED (the kernel refused MADV_WIPEONFORK under SM_FORK_WIPE).
 */
SM_API sm_status sm_mem_alloc(size_t len, void **out);

/**
 * Wipes and unmaps memory from sm_mem_alloc(). len is the length given to
 * sm_mem_alloc(). The pages are made writable first, so memory left in any
 * protection is freed. Errors: SM_ERR_INVALID (p NULL or not page-aligned,
 * len 0), SM_ERR_PROTECT, SM_ERR_NOMEM (munmap failed).
 */
SM_API sm_status sm_mem_free(void *p, size_t len);

/**
 * Locks the pages covering [p, p+len) in RAM (mlock) and excludes them from
 * core dumps (MADV_DONTDUMP). p must be page-aligned.
 * Errors: SM_ERR_INVALID, SM_ERR_MLOCK (see sm_strerror and sm_last_errno).
 */
SM_API sm_status sm_mem_lock(void *p, size_t len);

/** Undoes sm_mem_lock(). Errors: SM_ERR_INVALID, SM_ERR_MLOCK. */
SM_API sm_status sm_mem_unlock(void *p, size_t len);

/**
 * Changes the protection of the pages covering [p, p+len). p must be
 * page-aligned. Errors: SM_ERR_INVALID, SM_ERR_PROTECT.
 */
SM_API sm_status sm_mem_protect(void *p, size_t len, sm_prot prot);

/**
 * Overwrites len bytes at p with zeros in a way the compiler cannot remove.
 * Async-signal-safe. NULL p or len 0 does nothing.
 */
SM_API void sm_wipe(void *p, size_t len);

/**
 * Compares len bytes in time that depends only on len. Returns 1 when equal
 * and 0 otherwise (also when a or b is NULL and len > 0).
 */
SM_API int sm_equal(const void *a, const void *b, size_t len);

/**
 * Lowers the soft RLIMIT_CORE of the process to 0 (the hard limit is left
 * alone, so the process may raise it again). Errors: SM_ERR_UNSUPPORTED.
 */
SM_API sm_status sm_disable_core_dumps(void);

/* ===================================================================== */
/* Guarded buffers                                                       */
/* ===================================================================== */

/**
 * A guarded buffer: [guard page][canary | data][guard page]. The data ends
 * exactly at the trailing guard page, so a write one byte past the end
 * faults at once; a random 16-byte canary, repeated over every byte between
 * the leading guard page and the data, is checked on destroy, seal and
 * sm_buffer_check(), catching writes anywhere before the start.
 * Data pages are locked per the lock policy, excluded from core dumps and
 * wiped on fork under the default fork policy.
 *
 * A buffer is not a lock: the state calls below are thread-safe, but the
 * bytes behind sm_buffer_data() are the caller's to synchronise.
 */
typedef struct sm_buffer sm_buffer;

/**
 * Allocates a zeroed, read-write buffer of len bytes. The caller owns *out
 * and releases it with sm_buffer_free(); *out is NULL on every failure.
 * Errors: SM_ERR_INVALID (out NULL, len 0 or larger than SIZE_MAX / 2),
 * SM_ERR_NOMEM (no memory or address space for len, however large),
 * SM_ERR_MLOCK (strict lock policy), SM_ERR_PROTECT, SM_ERR_UNSUPPORTED
 * (the kernel refused MADV_WIPEONFORK under SM_FORK_WIPE).
 */
SM_API sm_status sm_buffer_new(size_t len, sm_buffer **out);

/** As sm_buffer_new(), filled with random bytes (read-write). */
SM_API sm_status sm_buffer_new_random(size_t len, sm_buffer **out);

/**
 * As sm_buffer_new(), filled with a copy of src[0..len); then wipes src,
 * also when the allocation fails (but not when len is larger than any
 * buffer could be: such a len cannot be src's length, and src is left
 * untouched). The buffer is read-write.
 */
SM_API sm_status sm_buffer_new_from_bytes(void *src, size_t len, sm_buffer **out);

/**
 * The first data byte, or NULL when the buffer is destroyed or b is NULL.
 * Valid until the buffer is destroyed; access follows its protection.
 */
SM_API uint8_t *sm_buffer_data(sm_buffer *b);

/** The data length in bytes; 0 when destroyed or b is NULL. */
SM_API size_t sm_buffer_size(const sm_buffer *b);

/** 1 while the buffer holds memory, 0 after destroy or purge (or NULL). */
SM_API int sm_buffer_is_alive(const sm_buffer *b);

/** Makes the data read-only. Errors: SM_ERR_INVALID, SM_ERR_CLOSED, SM_ERR_PROTECT. */
SM_API sm_status sm_buffer_freeze(sm_buffer *b);

/** Makes the data read-write. Errors: SM_ERR_INVALID, SM_ERR_CLOSED, SM_ERR_PROTECT. */
SM_API sm_status sm_buffer_melt(sm_buffer *b);

/** Makes the data inaccessible. Errors: SM_ERR_INVALID, SM_ERR_CLOSED, SM_ERR_PROTECT. */
SM_API sm_status sm_buffer_noaccess(sm_buffer *b);

/** Current protection of the data; SM_PROT_NONE when destroyed or NULL. */
SM_API sm_prot sm_buffer_protection(const sm_buffer *b);

/**
 * Verifies the canary now. Errors: SM_ERR_INVALID, SM_ERR_CLOSED,
 * SM_ERR_CANARY (something wrote before the start of the data),
 * SM_ERR_PROTECT (a no-access buffer could not be made readable for the
 * check, or no-access again after it: it then stays read-only, and
 * sm_buffer_protection() says so).
 */
SM_API sm_status sm_buffer_check(const sm_buffer *b);

/**
 * Wipes the data, verifies the canary, unlocks and releases the memory.
 * The handle stays valid and reports not alive. Idempotent: destroying a
 * destroyed buffer returns SM_OK. Errors: SM_ERR_INVALID (b NULL),
 * SM_ERR_CANARY (the canary was corrupted; the memory is still wiped and
 * released), SM_ERR_PROTECT (the pages could not be made writable to wipe
 * them, e.g. at vm.max_map_count: they are given up unwiped, no-access and
 * never reused, and the fault path's wipe still covers them).
 */
SM_API sm_status sm_buffer_destroy(sm_buffer *b);

/** Destroys the buffer if needed, then frees the handle. NULL is a no-op. */
SM_API void sm_buffer_free(sm_buffer *b);

/* ===================================================================== */
/* Purge and statistics                                                  */
/* ===================================================================== */

/**
 * Wipes and releases every live buffer and closes every live secret (their
 * handles stay valid and report not alive / closed), and destroys the
 * coffer key, so enclaves sealed before the purge can no longer be opened
 * (SM_ERR_AUTH). Waits for in-flight secret readers to release, so calling
 * it (or sm_exit) from inside an access of your own on the same thread
 * deadlocks: release first. A stream
 * that held data loses it for good: its size becomes 0, reads, next and
 * flush give SM_ERR_AUTH and writes SM_ERR_CLOSED (a FIFO that lost bytes
 * must not hand out later ones as if contiguous); an empty stream stays
 * usable.
 * Thread-safe; may be called any number of times. Objects that another
 * thread is tearing down at that moment are finished by that thread.
 */
SM_API void sm_purge(void);

/** Counters about the library's memory. Initialise `size` (see sm_stats_get). */
typedef struct sm_stats {
    size_t size;                     /**< sizeof(sm_stats); set by the caller. */
    uint64_t live_buffers;           /**< Guarded buffers alive (public ones and internal ones). */
    uint64_t bytes_in_use;           /**< Data bytes held by live buffers. */
    uint64_t bytes_locked;           /**< Bytes mlocked by the library (a pooled buffer also counts
                                                the guard page locked after it). */
    uint64_t peak_bytes_locked;      /**< Highest bytes_locked seen (bytes_locked_cached not
                                                included). */
    uint64_t lock_failures;          /**< Allocations left unlocked under SM_LOCK_BEST_EFFORT. */
    uint64_t live_secrets_protected; /**< Open secrets of kind SM_KIND_PROTECTED. */
    uint64_t live_secrets_enclave;   /**< Open secrets of kind SM_KIND_ENCLAVE. */
    uint64_t live_enclaves;          /**< Enclaves alive, including those inside streams and
                                               ENCLAVE secrets. */
    uint64_t mapped_bytes;           /**< Address space held by live guarded buffers, guards
                                                included (not the pool's free capacity). */
    uint64_t bytes_locked_cached;    /**< Bytes still mlocked by released pool slots that are
                                                kept (wiped, no access) for quick reuse; not in
                                                bytes_locked. Bounded by a quarter of
                                                RLIMIT_MEMLOCK as found at first use (at most
                                                4 MiB), and given back whenever a lock would
                                                otherwise fail or locking is turned off. A
                                                slot moving between the two counters updates
                                                them one after the other. */
} sm_stats;

/**
 * Fills *out with the current counters. Set out->size = sizeof(sm_stats)
 * first; a smaller (older) size receives only the fields it covers.
 * Errors: SM_ERR_INVALID (out NULL or out->size too small). Thread-safe.
 */
SM_API sm_status sm_stats_get(sm_stats *out);

/* ===================================================================== */
/* Coffer and enclaves (encrypted at rest)                               */
/* ===================================================================== */

/**
 * An enclave holds data sealed with XChaCha20-Poly1305 under the process
 * key (the "coffer"), with a fresh random 24-byte nonce per seal. The
 * ciphertext lives in ordinary memory; the plaintext only ever exists in
 * guarded buffers. An enclave is immutable after creation; any number of
 * threads may open it at once.
 */
typedef struct sm_enclave sm_enclave;

/**
 * Re-keys the coffer now: the representation of the process key changes,
 * the key does not, so existing enclaves still open. A background thread
 * also does this every sm_config.rekey_interval_ms. Errors: SM_ERR_NOMEM,
 * SM_ERR_MLOCK, SM_ERR_PROTECT. Thread-safe.
 */
SM_API sm_status sm_coffer_rekey(void);

/**
 * Seals a copy of src[0..len) into a new enclave, then wipes src on every
 * path. The caller owns *out (sm_enclave_free).
 * Errors: SM_ERR_INVALID (src or out NULL, len 0 or too large),
 * SM_ERR_NOMEM, SM_ERR_MLOCK, SM_ERR_PROTECT.
 */
SM_API sm_status sm_enclave_new(void *src, size_t len, sm_enclave **out);

/** Seals len random bytes (generated in guarded memory) into a new enclave. */
SM_API sm_status sm_enclave_new_random(size_t len, sm_enclave **out);

/**
 * Decrypts the enclave straight into a new guarded, locked, read-only
 * buffer; the caller owns *out (sm_buffer_free). The plaintext never touches
 * unguarded memory; on failure nothing is left allocated and *out is NULL.
 * Errors: SM_ERR_INVALID, SM_ERR_AUTH (tampered, or sealed before a purge),
 * SM_ERR_NOMEM, SM_ERR_MLOCK, SM_ERR_PROTECT.
 */
SM_API sm_status sm_enclave_open(const sm_enclave *e, sm_buffer **out);

/**
 * Decrypts into an existing live buffer of exactly sm_enclave_size(e)
 * bytes. A writable buffer stays writable (no protection change at all,
 * the fast way to open the same enclave again and again); a read-only or
 * no-access one is made writable for the decrypt and left read-only. On a
 * decryption failure the buffer's data is wiped; a wrong-size buffer is
 * left untouched. The buffer's lock is held meanwhile, so a concurrent
 * sm_purge waits rather than unmapping it. If the buffer cannot be made
 * read-only again, its data is wiped, it stays writable
 * (sm_buffer_protection() says so) and the call returns SM_ERR_PROTECT.
 * Errors: SM_ERR_INVALID (wrong size), SM_ERR_CLOSED (dst destroyed),
 * SM_ERR_AUTH, SM_ERR_PROTECT, and SM_ERR_NOMEM / SM_ERR_MLOCK (the coffer
 * makes its key on first use).
 */
SM_API sm_status sm_enclave_open_into(const sm_enclave *e, sm_buffer *dst);

/**
 * Seals the buffer's data into a new enclave, then destroys the buffer
 * (the handle stays valid; the caller still frees it) as sm_buffer_destroy()
 * does. On failure the buffer is left alive with its data unchanged (and
 * read-only, as sm_buffer_protection() then says, when its protection
 * could not be restored: SM_ERR_PROTECT).
 * Errors: SM_ERR_INVALID, SM_ERR_CLOSED, SM_ERR_NOMEM, SM_ERR_MLOCK (the
 * coffer makes its key on first use), SM_ERR_PROTECT, SM_ERR_CANARY (the
 * buffer's canary was corrupted: nothing is sealed and the buffer is
 * destroyed).
 */
SM_API sm_status sm_buffer_seal(sm_buffer *b, sm_enclave **out);

/** The plaintext size in bytes; 0 for NULL. */
SM_API size_t sm_enclave_size(const sm_enclave *e);

/** Wipes and frees the ciphertext and the handle. NULL is a no-op. */
SM_API void sm_enclave_free(sm_enclave *e);

/* ===================================================================== */
/* Secrets                                                               */
/* ===================================================================== */

/** How a secret is kept at rest. */
typedef enum sm_kind {
    /** Guarded, locked pages with no access at rest, read-only while accessed. */
    SM_KIND_PROTECTED = 0,
    /** Encrypted at rest; decrypted into a guarded, locked, read-only page only
     *  while accessed (no locked memory at rest). */
    SM_KIND_ENCLAVE = 1,
} sm_kind;

/**
 * A secret: immutable bytes with a counted access protocol. Concurrent
 * readers share one unprotect (or one decryption); the last one to leave
 * re-protects (or wipes the plaintext). Close waits for in-flight readers.
 */
typedef struct sm_secret sm_secret;

/**
 * Creates a secret holding a copy of src[0..len), then wipes src on every
 * path, failures included (except for a len larger than any secret could
 * be, which cannot be src's length: src is then left untouched). The caller
 * owns *out (sm_secret_free).
 * Errors: SM_ERR_INVALID (kind unknown, src or out NULL, len 0 or too
 * large), SM_ERR_NOMEM, SM_ERR_MLOCK, SM_ERR_PROTECT.
 */
SM_API sm_status sm_secret_new(sm_kind kind, void *src, size_t len, sm_secret **out);

/** Creates a secret of len random bytes generated straight into guarded memory. */
SM_API sm_status sm_secret_new_random(sm_kind kind, size_t len, sm_secret **out);

/** Callback for sm_secret_with_bytes(): return 0 on success. */
typedef int (*sm_bytes_fn)(void *ctx, const uint8_t *data, size_t len);

/**
 * Calls fn(ctx, data, len) with read-only access to the secret's bytes,
 * then re-protects. The pointer is valid only during the call; writing
 * through it faults. A nonzero return from fn gives SM_ERR_CALLBACK, and
 * the value is kept for sm_secret_last_callback_result() on this thread.
 * Errors: SM_ERR_INVALID (s or fn NULL), SM_ERR_CLOSED, SM_ERR_CALLBACK,
 * and the errors of sm_secret_acquire() and sm_secret_release() (the
 * release's SM_ERR_PROTECT outranks SM_ERR_CALLBACK; fn's value is still
 * kept for sm_secret_last_callback_result()).
 */
SM_API sm_status sm_secret_with_bytes(sm_secret *s, sm_bytes_fn fn, void *ctx);

/**
 * The value the last callback returned from sm_secret_with_bytes() on the
 * calling thread (thread-local; 0 if it succeeded or none ran).
 */
SM_API int sm_secret_last_callback_result(void);

/**
 * Starts an access: *data and *len receive a read-only view of the bytes,
 * valid until the matching sm_secret_release(). Acquire/release pairs nest
 * and may come from different threads; each acquire needs one release.
 * Errors: SM_ERR_INVALID, SM_ERR_CLOSED, SM_ERR_PROTECT, SM_ERR_MLOCK (the
 * bytes are locked per the lock policy in force at each access: a
 * PROTECTED secret made under SM_LOCK_OFF, or inherited by a forked child,
 * is locked when it is next accessed), and for the ENCLAVE kind
 * SM_ERR_AUTH and SM_ERR_NOMEM.
 */
SM_API sm_status sm_secret_acquire(sm_secret *s, const uint8_t **data, size_t *len);

/**
 * Ends an access started by sm_secret_acquire(). The last release
 * re-protects the pages (PROTECTED) or wipes the plaintext (ENCLAVE) —
 * unless another reader is already waiting, which then takes the open bytes
 * over instead of unprotecting them again.
 * Errors: SM_ERR_INVALID (s NULL, or no access is outstanding),
 * SM_ERR_PROTECT (PROTECTED: the access has ended, but the pages could not
 * be made inaccessible again; they stay read-only until the next access or
 * the close tries again).
 */
SM_API sm_status sm_secret_release(sm_secret *s);

/**
 * Copies up to cap bytes starting at offset into dst (caller memory: the
 * copy is the caller's to wipe). *nread receives the count copied.
 * Errors: SM_ERR_INVALID (NULL arguments, cap 0), SM_ERR_EOF (offset at or
 * past the end; *nread = 0), SM_ERR_CLOSED, acquire's errors, and
 * release's SM_ERR_PROTECT (the bytes were copied: *nread says how many).
 */
SM_API sm_status sm_secret_read(sm_secret *s, size_t offset, uint8_t *dst, size_t cap,
                                size_t *nread);

/** The secret's length in bytes (also after close); 0 for NULL. */
SM_API size_t sm_secret_size(const sm_secret *s);

/** The kind the secret was created with; SM_KIND_PROTECTED for NULL. */
SM_API sm_kind sm_secret_kind(const sm_secret *s);

/** 1 once the secret is closed (or purged), else 0. NULL gives 1. */
SM_API int sm_secret_is_closed(const sm_secret *s);

/**
 * Closes the secret: no new access is granted, in-flight readers are waited
 * for, then the memory is wiped and released. Idempotent. Later access
 * gives SM_ERR_CLOSED. Calling it from inside the secret's own access (the
 * same thread holding an acquire) deadlocks; don't.
 * Errors: SM_ERR_INVALID (s NULL).
 */
SM_API sm_status sm_secret_close(sm_secret *s);

/** Closes the secret if needed, then frees the handle. NULL is a no-op. */
SM_API void sm_secret_free(sm_secret *s);

/* ===================================================================== */
/* Streams (large data as a queue of sealed chunks)                      */
/* ===================================================================== */

/**
 * A stream: a thread-safe FIFO of enclave-sealed chunks for data too large
 * to hold decrypted at once. Writes are cut into chunks of the stream's
 * chunk size, each sealed as it fills; reads decrypt one chunk at a time
 * into guarded memory.
 */
typedef struct sm_stream sm_stream;

/**
 * Creates an empty stream with chunks of chunk_size bytes (0 = 4 pages).
 * The caller owns *out (sm_stream_free).
 * Errors: SM_ERR_INVALID (out NULL, chunk_size too large), SM_ERR_NOMEM.
 */
SM_API sm_status sm_stream_new(size_t chunk_size, sm_stream **out);

/** The stream's chunk size in bytes; 0 for NULL. */
SM_API size_t sm_stream_chunk_size(const sm_stream *s);

/**
 * Appends a copy of data[0..len) (not wiped: data may be read-only, such
 * as a secret's view). len 0 does nothing. All or nothing: on failure the
 * stream is unchanged.
 * Errors: SM_ERR_INVALID (s NULL, data NULL with len > 0), SM_ERR_CLOSED
 * (a purge wiped data this stream held), SM_ERR_NOMEM, SM_ERR_MLOCK,
 * SM_ERR_PROTECT.
 */
SM_API sm_status sm_stream_write(sm_stream *s, const void *data, size_t len);

/**
 * Moves up to cap bytes from the front of the stream into dst, across chunk
 * boundaries. *nread receives the count. Errors: SM_ERR_INVALID,
 * SM_ERR_EOF (the stream is empty; *nread = 0), SM_ERR_AUTH (a chunk was
 * sealed before a purge), SM_ERR_NOMEM, SM_ERR_MLOCK, SM_ERR_PROTECT (a
 * chunk's guarded memory could not change protection; nothing was moved).
 */
SM_API sm_status sm_stream_read(sm_stream *s, uint8_t *dst, size_t cap, size_t *nread);

/**
 * Moves the next chunk (at most chunk_size bytes) out of the stream into a
 * new guarded read-only buffer owned by the caller.
 * Errors: SM_ERR_INVALID, SM_ERR_EOF (empty), SM_ERR_AUTH, SM_ERR_NOMEM,
 * SM_ERR_MLOCK, SM_ERR_PROTECT.
 */
SM_API sm_status sm_stream_next(sm_stream *s, sm_buffer **out);

/**
 * Moves everything left in the stream into one new guarded read-only
 * buffer owned by the caller. Errors: as sm_stream_next().
 */
SM_API sm_status sm_stream_flush(sm_stream *s, sm_buffer **out);

/** Bytes currently queued in the stream; 0 for NULL. */
SM_API size_t sm_stream_size(const sm_stream *s);

/** Wipes and frees everything the stream holds, and the handle. NULL is a no-op. */
SM_API void sm_stream_free(sm_stream *s);

/* ===================================================================== */
/* Signals: wipe every secret before the process ends                    */
/* ===================================================================== */

/**
 * A user signal handler. It runs on the library's dedicated handler thread,
 * outside signal context, so it may allocate, log and take locks.
 * - SIGINT, SIGTERM, SIGHUP, SIGQUIT: it runs first; then the library purges
 *   and ends the process with exit() on the handler thread (so atexit
 *   handlers run), or by the signal under SM_EXIT_RERAISE. A second caught
 *   signal while it runs ends the process at once, after a lock-free wipe.
 * - SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT: the faulting thread wipes every
 *   secret first; the handler then gets at most 2 seconds, and the process
 *   dies by the signal.
 * To end the process yourself, return (the exit code comes from
 * sm_signal_set_exit_code) or call sm_exit(code). A plain exit() is covered
 * too (an atexit hook wipes); _exit() and quick_exit() skip the wipe.
 */
typedef void (*sm_signal_fn)(void *ctx, int signo);

/** Exit code meaning "end by the same signal with its default action". */
#define SM_EXIT_RERAISE (-1)

/**
 * Catches SIGINT (Ctrl+C): purge, then exit with SIGINT's exit code
 * (default 1). Replaces any handler and list set by an earlier catch call.
 * Like every catch function, it installs its handler even where the signal
 * was ignored (nohup, background jobs); release restores the old action.
 * Errors: SM_ERR_NOMEM (thread or pipe), SM_ERR_UNSUPPORTED (sigaction).
 */
SM_API sm_status sm_signal_catch_interrupt(void);

/**
 * Catches every supported signal: SIGINT, SIGTERM, SIGHUP, SIGQUIT,
 * SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT. fn may be NULL. See
 * docs/signals.md for what happens per signal. Errors: as above.
 */
SM_API sm_status sm_signal_catch(sm_signal_fn fn, void *ctx);

/**
 * Catches exactly the count signals listed; others keep their behaviour.
 * Errors: SM_ERR_INVALID (signals NULL with count > 0, count 0, SIGKILL,
 * SIGSTOP or a signal not in the supported list), and as above.
 */
SM_API sm_status sm_signal_catch_signals(sm_signal_fn fn, void *ctx, const int *signals,
                                         size_t count);

/**
 * Sets the exit code used after signo is handled, or SM_EXIT_RERAISE to end
 * by the signal itself. Valid codes: 0..255. Defaults: 1 for SIGINT, SIGTERM,
 * SIGHUP and SIGQUIT; SM_EXIT_RERAISE for SIGSEGV, SIGBUS, SIGILL, SIGFPE and
 * SIGABRT (a code set for those ends with _exit(code) after the wipe).
 * Errors: SM_ERR_INVALID (unsupported signal or code out of range).
 */
SM_API sm_status sm_signal_set_exit_code(int signo, int code);

/**
 * Restores the handlers that were installed before the first catch call and
 * stops the handler thread. Idempotent. Errors: SM_ERR_INVALID (called from
 * the user handler, which runs on the thread it would stop),
 * SM_ERR_UNSUPPORTED (sigaction failed).
 */
SM_API sm_status sm_signal_release(void);

/** Purges, then exits the process with code (noreturn). */
SM_API SM_NORETURN void sm_exit(int code);

#ifdef __cplusplus
}
#endif

#endif /* SECUREMEMORY_H */
