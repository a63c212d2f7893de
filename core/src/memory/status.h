/* Internal: recording the errno behind a failing kernel call. */
#ifndef SM_STATUS_INTERNAL_H
#define SM_STATUS_INTERNAL_H

#include "securememory.h"

/* Records errno_value as the calling thread's sm_last_errno() and returns status. */
sm_status sm__fail(sm_status status, int errno_value);

#endif
