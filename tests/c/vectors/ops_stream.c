/* Stream operations: sm_stream_* of the public API. */
#include "ops.h"

static int op_new(call *c, diag *d) {
    (void)d;
    sm_stream *s = NULL;
    c->status = sm_stream_new(c->arg[0].size, &s);
    c->created = s;
    return 0;
}

static int op_chunk_size(call *c, diag *d) {
    (void)d;
    c->status = SM_OK;
    c->int_value = (int64_t)sm_stream_chunk_size(c->target);
    return 0;
}

static int op_write(call *c, diag *d) {
    (void)d;
    c->status = sm_stream_write(c->target, c->arg[0].data.p, c->arg[0].data.len);
    return 0;
}

static int op_read(call *c, diag *d) {
    bytes dst;
    size_t nread = 0;
    if (bytes_alloc(&dst, c->arg[0].size, d) != 0)
        return -1;
    c->status = sm_stream_read(c->target, dst.p, c->arg[0].size, &nread);
    int rc;
    if (nread > c->arg[0].size)
        rc = diag_fail(d, "sm_stream_read reported %zu bytes for a cap of %zu", nread,
                       c->arg[0].size);
    else
        rc = op_set_result(c, dst.p, nread, d);
    bytes_free(&dst);
    return rc;
}

static int op_next(call *c, diag *d) {
    (void)d;
    sm_buffer *b = NULL;
    c->status = sm_stream_next(c->target, &b);
    c->created = b;
    return 0;
}

static int op_flush(call *c, diag *d) {
    (void)d;
    sm_buffer *b = NULL;
    c->status = sm_stream_flush(c->target, &b);
    c->created = b;
    return 0;
}

static int op_size(call *c, diag *d) {
    (void)d;
    c->status = SM_OK;
    c->int_value = (int64_t)sm_stream_size(c->target);
    return 0;
}

const op_def ops_stream[] = {
    {"stream.new", OBJ_NONE, OBJ_STREAM, RES_NONE, 0, 0, {{"chunk_size", ARG_SIZE, 1}}, op_new},
    {"stream.chunk_size", OBJ_STREAM, OBJ_NONE, RES_INT, 0, 0, {{0}}, op_chunk_size},
    {"stream.write", OBJ_STREAM, OBJ_NONE, RES_NONE, 0, 0, {{"data", ARG_DATA, 1}}, op_write},
    {"stream.read", OBJ_STREAM, OBJ_NONE, RES_BYTES, 0, 0, {{"cap", ARG_SIZE, 1}}, op_read},
    {"stream.next", OBJ_STREAM, OBJ_BUFFER, RES_NONE, 0, 0, {{0}}, op_next},
    {"stream.flush", OBJ_STREAM, OBJ_BUFFER, RES_NONE, 0, 0, {{0}}, op_flush},
    {"stream.size", OBJ_STREAM, OBJ_NONE, RES_INT, 0, 0, {{0}}, op_size},
    {0},
};
