/* Buffer operations: sm_buffer_* of the public API, and direct data access. */
#include <string.h>

#include "ops.h"

static int op_new(call *c, diag *d) {
    (void)d;
    sm_buffer *b = NULL;
    c->status = sm_buffer_new(c->arg[0].size, &b);
    c->created = b;
    return 0;
}

static int op_new_random(call *c, diag *d) {
    (void)d;
    sm_buffer *b = NULL;
    c->status = sm_buffer_new_random(c->arg[0].size, &b);
    c->created = b;
    return 0;
}

static int op_from_bytes(call *c, diag *d) {
    (void)d;
    sm_buffer *b = NULL;
    c->status = sm_buffer_new_from_bytes(c->arg[0].data.p, c->arg[0].data.len, &b);
    c->created = b;
    return 0;
}

/*
 * The data range [offset, offset+len) of a live buffer, refusing ranges a
 * vector must never touch (out of bounds, or beyond the protection).
 */
static int data_range(call *c, size_t offset, size_t len, sm_prot need, uint8_t **out, diag *d) {
    sm_buffer *b = c->target;
    *out = sm_buffer_data(b);
    if (*out == NULL) {
        c->status = SM_ERR_CLOSED;
        return 0;
    }
    size_t size = sm_buffer_size(b);
    if (offset > size || len > size - offset)
        return diag_fail(d, "vector touches [%zu, +%zu) of a buffer of %zu bytes", offset, len,
                         size);
    sm_prot prot = sm_buffer_protection(b);
    if (prot < need)
        return diag_fail(d, "vector touches a buffer whose protection is %s", op_prot_name(prot));
    *out += offset;
    c->status = SM_OK;
    return 0;
}

static int op_read(call *c, diag *d) {
    size_t offset = c->arg[0].present ? c->arg[0].size : 0;
    size_t size = sm_buffer_size(c->target);
    size_t len = c->arg[1].present ? c->arg[1].size : (offset <= size ? size - offset : 0);
    uint8_t *p = NULL;
    if (data_range(c, offset, len, SM_PROT_READ, &p, d) != 0)
        return -1;
    return c->status == SM_OK ? op_set_result(c, p, len, d) : 0;
}

static int op_write(call *c, diag *d) {
    size_t offset = c->arg[0].present ? c->arg[0].size : 0;
    uint8_t *p = NULL;
    if (data_range(c, offset, c->arg[1].data.len, SM_PROT_READWRITE, &p, d) != 0)
        return -1;
    if (c->status == SM_OK && c->arg[1].data.len > 0)
        memcpy(p, c->arg[1].data.p, c->arg[1].data.len);
    return 0;
}

static int op_size(call *c, diag *d) {
    (void)d;
    c->status = SM_OK;
    c->int_value = (int64_t)sm_buffer_size(c->target);
    return 0;
}

static int op_is_alive(call *c, diag *d) {
    (void)d;
    c->status = SM_OK;
    c->int_value = sm_buffer_is_alive(c->target) != 0;
    return 0;
}

static int op_protection(call *c, diag *d) {
    (void)d;
    c->status = SM_OK;
    c->name_value = op_prot_name(sm_buffer_protection(c->target));
    return 0;
}

static int op_freeze(call *c, diag *d) {
    (void)d;
    c->status = sm_buffer_freeze(c->target);
    return 0;
}

static int op_melt(call *c, diag *d) {
    (void)d;
    c->status = sm_buffer_melt(c->target);
    return 0;
}

static int op_noaccess(call *c, diag *d) {
    (void)d;
    c->status = sm_buffer_noaccess(c->target);
    return 0;
}

static int op_check(call *c, diag *d) {
    (void)d;
    c->status = sm_buffer_check(c->target);
    return 0;
}

static int op_destroy(call *c, diag *d) {
    (void)d;
    c->status = sm_buffer_destroy(c->target);
    return 0;
}

static int op_seal(call *c, diag *d) {
    (void)d;
    sm_enclave *e = NULL;
    c->status = sm_buffer_seal(c->target, &e);
    c->created = e;
    return 0;
}

/* An operation on a buffer handle: name, result, run function, then its arguments. */
#define BUFFER(name, result, fn, ...)                                                              \
    { name, OBJ_BUFFER, OBJ_NONE, result, 0, 0, {__VA_ARGS__}, fn }

const op_def ops_buffer[] = {
    {"buffer.new", OBJ_NONE, OBJ_BUFFER, RES_NONE, 0, 0, {{"len", ARG_SIZE, 1}}, op_new},
    {"buffer.new_random",
     OBJ_NONE,
     OBJ_BUFFER,
     RES_NONE,
     0,
     0,
     {{"len", ARG_SIZE, 1}},
     op_new_random},
    {"buffer.from_bytes",
     OBJ_NONE,
     OBJ_BUFFER,
     RES_NONE,
     1,
     0,
     {{"data", ARG_DATA, 1}},
     op_from_bytes},
    BUFFER("buffer.read", RES_BYTES, op_read, {"offset", ARG_SIZE, 0}, {"len", ARG_SIZE, 0}),
    BUFFER("buffer.write", RES_NONE, op_write, {"offset", ARG_SIZE, 0}, {"data", ARG_DATA, 1}),
    BUFFER("buffer.size", RES_INT, op_size, {0}),
    BUFFER("buffer.is_alive", RES_BOOL, op_is_alive, {0}),
    BUFFER("buffer.protection", RES_NAME, op_protection, {0}),
    BUFFER("buffer.freeze", RES_NONE, op_freeze, {0}),
    BUFFER("buffer.melt", RES_NONE, op_melt, {0}),
    BUFFER("buffer.noaccess", RES_NONE, op_noaccess, {0}),
    BUFFER("buffer.check", RES_NONE, op_check, {0}),
    BUFFER("buffer.destroy", RES_NONE, op_destroy, {0}),
    {"buffer.seal", OBJ_BUFFER, OBJ_ENCLAVE, RES_NONE, 0, 0, {{0}}, op_seal},
    {0},
};
