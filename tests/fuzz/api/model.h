/*
 * The reference model of the operation interpreter (fuzz_api.c): what
 * every object the input created must hold and report, next to its handle.
 * Each operation calls the library once (or a few times), compares the
 * outcome with the model, and updates the model. Plaintext copies in the
 * model live in the fuzzer's heap: test code, not the library's.
 */
#ifndef SM_FUZZ_MODEL_H
#define SM_FUZZ_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "fault.h"
#include "fuzz_input.h"
#include "securememory.h"

#define MAX_BUFFERS  8
#define MAX_SECRETS  8
#define MAX_ENCLAVES 8
#define MAX_STREAMS  4
#define MAX_ACQUIRES 4
#define MAX_OPS      256

/* Plaintext held by all objects of one input, at most (keeps runs fast). */
#define BUDGET_BYTES ((size_t)8 << 20)
/* Bytes queued in one stream, at most; chunks sealed by one write, at most. */
#define STREAM_MAX_BYTES  ((size_t)256 << 10)
#define STREAM_MAX_CHUNKS 512

typedef struct m_buffer {
    sm_buffer *h; /* NULL: free slot */
    int alive;
    size_t len;
    sm_prot prot;
    uint8_t *bytes; /* len bytes: what the data must hold */
    int canary_broken;
    uint8_t canary_flips[16]; /* bits flipped in the 16 bytes before the data */
} m_buffer;

typedef struct m_secret {
    sm_secret *h;
    sm_kind kind;
    size_t len;
    int closed;
    uint8_t *bytes; /* len bytes, valid when known */
    int known;      /* random secrets: learnt at the first access */
    unsigned acquires;
    int exposed;         /* PROTECTED: readable with no access (a failed re-protection) */
    const uint8_t *view; /* from the last acquire, while acquires > 0 */
    const uint8_t *home; /* PROTECTED: where its bytes live (seen at an access) */
} m_secret;

typedef struct m_enclave {
    sm_enclave *h;
    size_t len;
    uint8_t *bytes;
    int known;
    unsigned epoch; /* purges before it was sealed: opens only while current */
} m_enclave;

typedef struct m_stream {
    sm_stream *h;
    size_t chunk;
    int broken; /* a purge took bytes it held */
    uint8_t *q; /* the queued bytes, oldest first */
    size_t qlen;
} m_stream;

typedef struct world {
    m_buffer b[MAX_BUFFERS];
    m_secret s[MAX_SECRETS];
    m_enclave e[MAX_ENCLAVES];
    m_stream t[MAX_STREAMS];
    unsigned purges;       /* sm_purge calls so far in this input */
    fault_site fault_site; /* armed for the next operation (op_fault) */
    unsigned fault_skip;
    sm_status fault_status;
    size_t held; /* plaintext bytes modelled now (budget) */
    fz *in;
    unsigned step;
} world;

/* A non-NULL pointer that is no object: a call that fails must overwrite it with NULL. */
extern const char model_not_set;
#define NOT_SET ((void *)&model_not_set)

/* Heap copies for the model (aborts on exhaustion: the fuzzer's own bug). */
uint8_t *model_alloc(size_t len);
uint8_t *model_dup(const void *p, size_t len);
void model_free_bytes(world *w, uint8_t **p, size_t len);
/* Room left in the budget for len more bytes. */
int model_room(const world *w, size_t len);
void model_hold(world *w, size_t len);
/* The largest length a new object may have now: the budget's room, at most one past the
 * largest pooled slot (512 pages). */
size_t model_len_room(const world *w);

/*
 * Checks a call's status: documented for the call (doc), and equal to want,
 * or to the injected status when an armed fault fired during the call;
 * returns 1 in that last case (the operation then checks what the header
 * promises on failure), else 0.
 */
int expect_status(const char *call, unsigned doc, sm_status got, sm_status want);

/* Slot pickers: an index from the input. */
m_buffer *pick_buffer(world *w);
m_secret *pick_secret(world *w);
m_enclave *pick_enclave(world *w);
m_stream *pick_stream(world *w);

/* Freeing one object (real and model); the slot becomes free. */
void buffer_drop(world *w, m_buffer *b);
void secret_drop(world *w, m_secret *s);
void enclave_drop(world *w, m_enclave *e);
void stream_drop(world *w, m_stream *t);

/* Adopting a buffer the library created (open, next, flush): read-only copy of bytes. */
void buffer_adopt(world *w, m_buffer *slot, sm_buffer *h, const uint8_t *bytes, size_t len);

/* Ends every open access of a secret (before close, free, purge). */
void secret_release_all(m_secret *s);

/* The model of a buffer whose memory was released (destroy, seal, purge). */
void buffer_dead(m_buffer *b);

/* Checks the buffer's state queries against the model. */
void buffer_check_state(const m_buffer *b);

/* The bytes of a live, readable buffer equal the model. */
void buffer_check_bytes(const m_buffer *b);

/*
 * The protections the kernel applies (maps.h) agree with what the library
 * reports for every live buffer, and every open PROTECTED secret with no
 * access open is no-access at rest.
 */
void check_real_protections(const world *w);

/* Frees everything; the world is empty afterwards. */
void world_clear(world *w);

/* Invariants of sm_stats against the live objects (invariants.c). */
void stats_check_live(const world *w);
void stats_baseline_record(void);
void stats_check_empty(void);

/* The operations, one per opcode (ops_*.c). */
typedef void (*op_fn)(world *w);
void op_buffer_new(world *w);
void op_buffer_read(world *w);
void op_buffer_write(world *w);
void op_buffer_protect(world *w);
void op_buffer_check(world *w);
void op_buffer_destroy(world *w);
void op_buffer_free(world *w);
void op_buffer_seal(world *w);
void op_buffer_break_canary(world *w);
void op_secret_new(world *w);
void op_secret_acquire(world *w);
void op_secret_release(world *w);
void op_secret_with_bytes(world *w);
void op_secret_read(world *w);
void op_secret_close(world *w);
void op_secret_free(world *w);
void op_secret_state(world *w);
void op_enclave_new(world *w);
void op_enclave_open(world *w);
void op_enclave_open_into(world *w);
void op_enclave_free(world *w);
void op_stream_new(world *w);
void op_stream_write(world *w);
void op_stream_read(world *w);
void op_stream_take(world *w);
void op_stream_free(world *w);
void op_purge(world *w);
void op_rekey(world *w);
void op_stats(world *w);
void op_null_handles(world *w);
void op_status_names(world *w);
void op_fault(world *w);

#endif
