/*
 * The self-check manifest (selfcheck/expected_failures.txt): for every
 * deliberately wrong vector, the text its failure message must contain, so
 * each one is shown to fail for the intended reason and not another.
 * Lines are "<file stem>/<scenario name> | <fragment>" ("(file)" for a
 * file rejected as a whole); blank lines and lines starting with '#' are
 * ignored.
 */
#ifndef SM_VECTORS_SELFCHECK_H
#define SM_VECTORS_SELFCHECK_H

#include <stddef.h>

#include "vectors.h"

typedef struct selfcheck_entry {
    char *name;
    char *fragment;
    int used;
} selfcheck_entry;

typedef struct selfcheck {
    selfcheck_entry *entries;
    size_t count;
} selfcheck;

/* Reads the manifest at path. 0 or -1. */
int selfcheck_load(const char *path, selfcheck *out, diag *d);

/* The fragment listed for name (marking it used), or NULL. */
const char *selfcheck_expected(selfcheck *sc, const char *name);

void selfcheck_free(selfcheck *sc);

#endif
