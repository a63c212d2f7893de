/*
 * Wiping what cryptography leaves behind on the calling thread (residue.h).
 */
#include <sodium.h>

#include "registers.h"
#include "residue.h"

void sm__residue_wipe(void) {
    sodium_stackzero(SM_STACK_WIPE_BYTES);
    sm__registers_clear();
}
