/* Enclave operations: sm_enclave_* of the public API, and tampering (core only). */
#include "enclave.h"
#include "ops.h"

static int op_new(call *c, diag *d) {
    (void)d;
    sm_enclave *e = NULL;
    c->status = sm_enclave_new(c->arg[0].data.p, c->arg[0].data.len, &e);
    c->created = e;
    return 0;
}

static int op_new_random(call *c, diag *d) {
    (void)d;
    sm_enclave *e = NULL;
    c->status = sm_enclave_new_random(c->arg[0].size, &e);
    c->created = e;
    return 0;
}

static int op_open(call *c, diag *d) {
    (void)d;
    sm_buffer *b = NULL;
    c->status = sm_enclave_open(c->target, &b);
    c->created = b;
    if (c->status != SM_OK && b != NULL)
        return diag_fail(d, "sm_enclave_open failed with %s but left *out set",
                         op_status_name(c->status));
    return 0;
}

static int op_open_into(call *c, diag *d) {
    (void)d;
    c->status = sm_enclave_open_into(c->target, c->arg[0].object);
    return 0;
}

static int op_size(call *c, diag *d) {
    (void)d;
    c->status = SM_OK;
    c->int_value = (int64_t)sm_enclave_size(c->target);
    return 0;
}

static int op_tamper(call *c, diag *d) {
    size_t len = 0;
    uint8_t *sealed = sm__enclave_sealed(c->target, &len);
    if (sealed == NULL || c->arg[0].size >= len)
        return diag_fail(d, "tamper index %zu is outside the %zu sealed bytes", c->arg[0].size,
                         len);
    sealed[c->arg[0].size] ^= 0x01;
    c->status = SM_OK;
    return 0;
}

const op_def ops_enclave[] = {
    {"enclave.new", OBJ_NONE, OBJ_ENCLAVE, RES_NONE, 1, 0, {{"data", ARG_DATA, 1}}, op_new},
    {"enclave.new_random",
     OBJ_NONE,
     OBJ_ENCLAVE,
     RES_NONE,
     0,
     0,
     {{"len", ARG_SIZE, 1}},
     op_new_random},
    {"enclave.open", OBJ_ENCLAVE, OBJ_BUFFER, RES_NONE, 0, 0, {{0}}, op_open},
    {"enclave.open_into",
     OBJ_ENCLAVE,
     OBJ_NONE,
     RES_NONE,
     0,
     0,
     {{"into", ARG_BUFFER, 1}},
     op_open_into},
    {"enclave.size", OBJ_ENCLAVE, OBJ_NONE, RES_INT, 0, 0, {{0}}, op_size},
    {"enclave.tamper", OBJ_ENCLAVE, OBJ_NONE, RES_NONE, 0, 1, {{"index", ARG_SIZE, 1}}, op_tamper},
    {0},
};
