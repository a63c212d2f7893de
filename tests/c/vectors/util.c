/* Small helpers shared by the runner's files: diagnostics, bytes, names. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vectors.h"

int diag_fail(diag *d, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int bytes_alloc(bytes *b, size_t len, diag *d) {
    b->p = calloc(len ? len : 1, 1);
    b->len = len;
    if (b->p == NULL)
        return diag_fail(d, "out of memory for %zu bytes", len);
    return 0;
}

void bytes_free(bytes *b) {
    free(b->p);
    b->p = NULL;
    b->len = 0;
}

const char *obj_type_name(obj_type t) {
    static const char *const names[] = {"none", "secret", "buffer", "enclave", "stream"};
    return names[t];
}

int name_find(const name_set *set, const char *name) {
    for (size_t i = 0; i < set->count; i++)
        if (strcmp(set->names[i], name) == 0)
            return (int)i;
    return -1;
}

int name_add(name_set *set, const char *name, obj_type type, diag *d) {
    if (name_find(set, name) >= 0)
        return diag_fail(d, "name \"%s\" is already bound", name);
    if (set->count == VEC_MAX_NAMES)
        return diag_fail(d, "more than %d names in one scenario", VEC_MAX_NAMES);
    set->names[set->count] = name;
    set->types[set->count] = type;
    set->count++;
    return 0;
}

static int allowed_key(const char *key, const char *const *allowed) {
    for (; *allowed != NULL; allowed++)
        if (strcmp(key, *allowed) == 0)
            return 1;
    return 0;
}

int check_keys(const json_value *obj, const char *const *allowed, const char *what, diag *d) {
    if (check_type(obj, JSON_OBJECT, what, d) != 0)
        return -1;
    for (size_t i = 0; i < obj->count; i++)
        if (!allowed_key(obj->keys[i], allowed))
            return diag_fail(d, "unknown key \"%s\" in %s", obj->keys[i], what);
    return 0;
}

int check_type(const json_value *v, json_type t, const char *what, diag *d) {
    if (v == NULL)
        return diag_fail(d, "%s is missing", what);
    if (v->type != t)
        return diag_fail(d, "%s must be a JSON %s, not %s", what, json_type_name(t),
                         json_type_name(v->type));
    return 0;
}
