/*
 * Oracles for the vector runner's JSON parser (tests/c/vectors/json.c):
 * - json_oracle_valid(): an independent recogniser of RFC 8259 JSON text
 *   in UTF-8 (the grammar only, no tree). Whatever the runner's parser
 *   accepts must be valid JSON by it; the parser may refuse more (it takes
 *   integers only, no \u0000, no duplicate keys, a depth limit).
 * - json_echo(): writes a parsed value back as JSON text, so that parsing
 *   it again must give an equal value (json_same()).
 */
#ifndef SM_FUZZ_JSON_ORACLE_H
#define SM_FUZZ_JSON_ORACLE_H

#include <stddef.h>

#include "json.h"

/* 1 when text[0..len) is one JSON value (with optional white space around), else 0. */
int json_oracle_valid(const char *text, size_t len);

/* JSON text for v in a heap string (caller frees), its length in *len. */
char *json_echo(const json_value *v, size_t *len);

/* 1 when a and b are the same value (types, numbers, strings, keys and their order). */
int json_same(const json_value *a, const json_value *b);

#endif
