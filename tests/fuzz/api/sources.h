/*
 * Memory the interpreter hands to the library: the source of a
 * constructor that wipes it (fuzzer heap, or a writable guarded buffer),
 * a read-only source for stream writes (heap, a readable buffer, an open
 * secret view) and destinations of copy-out calls (heap, or a writable
 * buffer). Each remembers what it held, so the effects the header
 * promises (wiped, untouched, filled) can be checked afterwards.
 */
#ifndef SM_FUZZ_SOURCES_H
#define SM_FUZZ_SOURCES_H

#include "model.h"

/* Where memory comes from, as decoded from the input (8 bytes, always read). */
typedef struct mem_choice {
    uint8_t how;   /* % 4: 0 heap, 1 a buffer, 2 an open secret view (read-only uses), 3 heap */
    uint8_t slot;  /* the buffer or secret slot */
    uint16_t seed; /* the heap pattern */
    uint32_t off;  /* offset in the buffer or view, modulo the room there */
} mem_choice;

void mem_choice_read(fz *in, mem_choice *c);

typedef struct mem_pick {
    uint8_t *p;     /* what the call gets */
    size_t len;     /* bytes of p the call may touch */
    uint8_t *heap;  /* the fuzzer's allocation behind p, if any */
    m_buffer *from; /* the buffer behind p, if any */
    size_t off;     /* p's offset in that buffer */
    uint8_t *saved; /* p[0..len) as it was before the call */
} mem_pick;

/*
 * A writable source of len bytes: a writable buffer when chosen and large
 * enough, else the heap holding a pattern. For an impossible len (no
 * object can be that long) or 0, a 16-byte heap source the call must not
 * touch.
 */
void pick_wipeable(world *w, const mem_choice *c, size_t len, int impossible, mem_pick *out);

/* A readable source of len bytes: heap pattern, readable buffer, or open secret view. */
void pick_readable(world *w, const mem_choice *c, size_t len, mem_pick *out);

/* A destination of len bytes (heap or writable buffer), prefilled with a pattern. */
void pick_destination(world *w, const mem_choice *c, size_t len, mem_pick *out);

/* After a call that must wipe the source: it is zero (and so is the buffer model). */
void mem_check_wiped(mem_pick *m);

/* After a call that must not touch it: it holds what it held. */
void mem_check_untouched(const mem_pick *m, const char *call);

/* After a copy-out of n bytes into a destination: the rest is untouched; the model learns them. */
void mem_after_copy(mem_pick *m, size_t n, const char *call);

void mem_release(mem_pick *m);

#endif
