/* Internal: test hooks of the secrets (secret.c). */
#ifndef SM_SECRET_INTERNAL_H
#define SM_SECRET_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* The moments an ENCLAVE secret's enclave view is reported at. */
typedef enum sm_view_event {
    SM_VIEW_DECRYPTED,    /* the plaintext was just decrypted into the view */
    SM_VIEW_UNREGISTERED, /* the view just left the secret's registry entry */
} sm_view_event;

/*
 * Test hook: called with the view's page (its read-only mapping) at each
 * moment above, on the thread opening or hiding the secret, with the
 * secret's lock held. Lets a test run the fault path's lock-free wipe at
 * exactly those moments. NULL (the default) disables it; one atomic load
 * per event.
 */
typedef void (*sm_view_observer)(sm_view_event event, const uint8_t *page, size_t len);
void sm__secret_set_view_observer(sm_view_observer fn);

#endif
