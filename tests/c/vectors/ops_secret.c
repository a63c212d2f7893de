/* Secret operations: sm_secret_* of the public API. */
#include "ops.h"

/* The value the with_bytes callback returns for "fail": true. */
#define CALLBACK_FAILURE 7

static int op_new(call *c, diag *d) {
    (void)d;
    sm_secret *s = NULL;
    c->status = sm_secret_new(c->arg[0].kind, c->arg[1].data.p, c->arg[1].data.len, &s);
    c->created = s;
    return 0;
}

static int op_new_random(call *c, diag *d) {
    (void)d;
    sm_secret *s = NULL;
    c->status = sm_secret_new_random(c->arg[0].kind, c->arg[1].size, &s);
    c->created = s;
    return 0;
}

typedef struct seen {
    call *c;
    diag *d;
    int fail;
    int copy_rc;
} seen;

static int copy_seen(void *ctx, const uint8_t *data, size_t len) {
    seen *s = ctx;
    s->copy_rc = op_set_result(s->c, data, len, s->d);
    return s->fail ? CALLBACK_FAILURE : 0;
}

static int op_with_bytes(call *c, diag *d) {
    seen s = {c, d, c->arg[0].present && c->arg[0].boolean, 0};
    c->status = sm_secret_with_bytes(c->target, copy_seen, &s);
    if (s.copy_rc != 0)
        return -1;
    int want = c->status == SM_ERR_CALLBACK ? CALLBACK_FAILURE : 0;
    if ((c->status == SM_OK || c->status == SM_ERR_CALLBACK) &&
        sm_secret_last_callback_result() != want)
        return diag_fail(d, "sm_secret_last_callback_result() gave %d after %s, wanted %d",
                         sm_secret_last_callback_result(), op_status_name(c->status), want);
    return 0;
}

static int op_acquire(call *c, diag *d) {
    const uint8_t *data = NULL;
    size_t len = 0;
    c->status = sm_secret_acquire(c->target, &data, &len);
    if (c->status != SM_OK)
        return 0;
    (*c->target_acquires)++;
    return op_set_result(c, data, len, d);
}

static int op_release(call *c, diag *d) {
    (void)d;
    c->status = sm_secret_release(c->target);
    if (c->status == SM_OK && *c->target_acquires > 0)
        (*c->target_acquires)--;
    return 0;
}

static int op_read(call *c, diag *d) {
    bytes dst;
    size_t nread = 0;
    if (bytes_alloc(&dst, c->arg[1].size, d) != 0)
        return -1;
    c->status = sm_secret_read(c->target, c->arg[0].size, dst.p, c->arg[1].size, &nread);
    int rc = 0;
    if (nread > c->arg[1].size)
        rc = diag_fail(d, "sm_secret_read reported %zu bytes for a cap of %zu", nread,
                       c->arg[1].size);
    else
        rc = op_set_result(c, dst.p, nread, d);
    bytes_free(&dst);
    return rc;
}

static int op_size(call *c, diag *d) {
    (void)d;
    c->status = SM_OK;
    c->int_value = (int64_t)sm_secret_size(c->target);
    return 0;
}

static int op_kind(call *c, diag *d) {
    (void)d;
    c->status = SM_OK;
    c->name_value = op_kind_name(sm_secret_kind(c->target));
    return 0;
}

static int op_is_closed(call *c, diag *d) {
    (void)d;
    c->status = SM_OK;
    c->int_value = sm_secret_is_closed(c->target) != 0;
    return 0;
}

static int op_close(call *c, diag *d) {
    (void)d;
    c->status = sm_secret_close(c->target);
    return 0;
}

/* An operation on a secret handle: name, result, run function, then its arguments. */
#define SECRET(name, result, fn, ...)                                                              \
    { name, OBJ_SECRET, OBJ_NONE, result, 0, 0, {__VA_ARGS__}, fn }

const op_def ops_secret[] = {
    {"secret.new",
     OBJ_NONE,
     OBJ_SECRET,
     RES_NONE,
     1,
     0,
     {{"kind", ARG_KIND, 1}, {"data", ARG_DATA, 1}},
     op_new},
    {"secret.new_random",
     OBJ_NONE,
     OBJ_SECRET,
     RES_NONE,
     0,
     0,
     {{"kind", ARG_KIND, 1}, {"len", ARG_SIZE, 1}},
     op_new_random},
    SECRET("secret.with_bytes", RES_BYTES, op_with_bytes, {"fail", ARG_BOOL, 0}),
    SECRET("secret.acquire", RES_BYTES, op_acquire, {0}),
    SECRET("secret.release", RES_NONE, op_release, {0}),
    SECRET("secret.read", RES_BYTES, op_read, {"offset", ARG_SIZE, 1}, {"cap", ARG_SIZE, 1}),
    SECRET("secret.size", RES_INT, op_size, {0}),
    SECRET("secret.kind", RES_NAME, op_kind, {0}),
    SECRET("secret.is_closed", RES_BOOL, op_is_closed, {0}),
    SECRET("secret.close", RES_NONE, op_close, {0}),
    {0},
};
