/*
 * A small, strict JSON parser (RFC 8259) for the conformance vectors.
 * Numbers must be integers in the int64 range (the vectors use no others);
 * duplicate object keys and nesting deeper than JSON_MAX_DEPTH are errors.
 */
#ifndef SM_VECTORS_JSON_H
#define SM_VECTORS_JSON_H

#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 64

typedef enum json_type {
    JSON_NULL,
    JSON_BOOL,
    JSON_INT,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT,
} json_type;

typedef struct json_value json_value;

struct json_value {
    json_type type;
    int boolean;       /* JSON_BOOL */
    int64_t integer;   /* JSON_INT */
    char *string;      /* JSON_STRING: NUL-terminated UTF-8 (no NUL inside) */
    size_t count;      /* JSON_ARRAY, JSON_OBJECT: number of items */
    json_value *items; /* JSON_ARRAY, JSON_OBJECT: the values */
    char **keys;       /* JSON_OBJECT: the keys, parallel to items */
};

/*
 * Parses text[0..len) into *out (caller frees with json_free). Returns 0,
 * or -1 with a message naming the byte offset in err[0..errlen).
 */
int json_parse(const char *text, size_t len, json_value *out, char *err, size_t errlen);

/* Releases everything v owns (not v itself). */
void json_free(json_value *v);

/* The member called key of an object, or NULL (also when obj is no object). */
const json_value *json_get(const json_value *obj, const char *key);

/* A short name of a type for messages ("object", "integer", ...). */
const char *json_type_name(json_type type);

#endif
