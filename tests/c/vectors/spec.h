/*
 * Sizes ({"pages": P, "plus": Q} or an integer) and data ({"hex"},
 * {"fill", "len"}, {"counter", "len"}, {"ref", "offset", "len"}) of the
 * vector format: a structural check used by validation, and evaluation.
 */
#ifndef SM_VECTORS_SPEC_H
#define SM_VECTORS_SPEC_H

#include "vectors.h"

/* The largest byte string a vector may describe. */
#define SPEC_MAX_DATA ((size_t)64 << 20)

/* Results saved by steps ("save"), looked up by {"ref": name}. */
typedef struct saved_table {
    const char *names[VEC_MAX_NAMES];
    bytes data[VEC_MAX_NAMES];
    size_t count;
} saved_table;

/* Structure of a size; what names the value in messages. */
int spec_size_check(const json_value *v, const char *what, diag *d);

/* Structure of a data spec; refs must name an entry of saved. */
int spec_data_check(const json_value *v, const name_set *saved, const char *what, diag *d);

/* Evaluates a checked size against the page size. */
int spec_size_eval(const json_value *v, size_t *out, diag *d);

/* Evaluates checked data into *out (caller frees with bytes_free). */
int spec_data_eval(const json_value *v, const saved_table *saved, bytes *out, diag *d);

/* Decodes an even-length hex string into *out. */
int spec_hex_decode(const char *hex, bytes *out, diag *d);

/* Writes at most max bytes of b as hex into out (NUL-terminated; "..." when cut). */
void spec_hex_preview(const bytes *b, size_t max, char *out, size_t outlen);

#endif
