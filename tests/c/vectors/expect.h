/* Checking a step's "expect" against what the call gave. */
#ifndef SM_VECTORS_EXPECT_H
#define SM_VECTORS_EXPECT_H

#include "ops.h"
#include "spec.h"

/*
 * Checks every key of exp (NULL: status SM_OK only) against the call c of
 * op. wiped is the caller memory an op with wipes_data was given (else
 * NULL). 0 when everything matches, else -1 with the first mismatch.
 */
int expect_check(const op_def *op, const json_value *exp, const call *c, const bytes *wiped,
                 const saved_table *saved, diag *d);

#endif
