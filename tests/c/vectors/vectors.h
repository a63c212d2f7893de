/*
 * Shared types of the conformance-vector runner: diagnostics, byte
 * strings, object types and name sets. The format itself is documented in
 * tests/vectors/README.md.
 */
#ifndef SM_VECTORS_H
#define SM_VECTORS_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"

/* Limits of one scenario (checked by validation). */
#define VEC_MAX_NAMES 128

/* The message of the first error; functions return -1 after setting it. */
typedef struct diag {
    char msg[1024];
} diag;

/* Sets d->msg (printf-style) and returns -1. */
int diag_fail(diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A heap byte string; p is never NULL once made (len may be 0). */
typedef struct bytes {
    uint8_t *p;
    size_t len;
} bytes;

/* Allocates len zeroed bytes (at least one byte of storage). 0 or -1. */
int bytes_alloc(bytes *b, size_t len, diag *d);
void bytes_free(bytes *b);

/* The kinds of objects handles can name. */
typedef enum obj_type {
    OBJ_NONE = 0,
    OBJ_SECRET,
    OBJ_BUFFER,
    OBJ_ENCLAVE,
    OBJ_STREAM,
} obj_type;

const char *obj_type_name(obj_type t);

/* Names known while validating a scenario: handles (with their type) or saved results. */
typedef struct name_set {
    const char *names[VEC_MAX_NAMES];
    obj_type types[VEC_MAX_NAMES];
    size_t count;
} name_set;

/* The index of name in set, or -1. */
int name_find(const name_set *set, const char *name);

/* Adds a name; -1 (with a message) if it exists or the set is full. */
int name_add(name_set *set, const char *name, obj_type type, diag *d);

/* The members of obj must all be in the NULL-terminated list allowed. */
int check_keys(const json_value *obj, const char *const *allowed, const char *what, diag *d);

/* Requires v to exist and be of type t. */
int check_type(const json_value *v, json_type t, const char *what, diag *d);

#endif
