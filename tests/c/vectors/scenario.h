/* Executing one validated scenario against the core. */
#ifndef SM_VECTORS_SCENARIO_H
#define SM_VECTORS_SCENARIO_H

#include "vectors.h"

/*
 * Runs the steps of a scenario that passed validate_scenario(), stopping
 * at the first failing step, then releases and frees every object it made.
 * 0 when every step matched, else -1 with the failing step in d.
 */
int scenario_run(const json_value *scenario, diag *d);

#endif
