/*
 * Evaluating every size and data spec of a validated scenario, the way
 * the runner does before it calls an operation, and checking each result
 * against an independent reading of the README's definitions (hex, fill,
 * counter, ref slices, pages and plus). Data longer than 1 MiB (but under
 * the runner's 64 MiB limit) is skipped to keep executions fast.
 */
#ifndef SM_FUZZ_SPEC_WALK_H
#define SM_FUZZ_SPEC_WALK_H

#include "json.h"

/* Evaluates the specs of every step of a scenario that passed validate_scenario(). */
void spec_walk_scenario(const json_value *scenario);

#endif
