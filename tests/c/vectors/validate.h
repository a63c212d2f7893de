/*
 * Structural validation of vector files against the format of
 * tests/vectors/README.md: unknown keys, operations, handles and saved
 * names are errors, so a mistyped expectation can never pass silently.
 */
#ifndef SM_VECTORS_VALIDATE_H
#define SM_VECTORS_VALIDATE_H

#include "vectors.h"

/* The top level of a file: {"format": 1, "description"?, "scenarios": [...]}. */
int validate_file(const json_value *root, diag *d);

/* One scenario, all its steps included. */
int validate_scenario(const json_value *scenario, diag *d);

/* 1 when the scenario lists capability cap in "requires". */
int scenario_requires(const json_value *scenario, const char *cap);

#endif
