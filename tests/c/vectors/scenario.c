/* The scenario runner: handles, saved results, one step after another, clean-up. */
#include <string.h>

#include "expect.h"
#include "ops.h"
#include "scenario.h"
#include "spec.h"

typedef struct handle {
    const char *name;
    obj_type type;
    void *obj;
    unsigned long acquires; /* secrets: accesses left open by secret.acquire */
} handle;

typedef struct run_state {
    handle handles[VEC_MAX_NAMES];
    size_t nhandles;
    saved_table saved;
} run_state;

static handle *handle_find(run_state *rs, const char *name) {
    for (size_t i = 0; i < rs->nhandles; i++)
        if (strcmp(rs->handles[i].name, name) == 0)
            return &rs->handles[i];
    return NULL;
}

static void object_free(obj_type type, void *obj, unsigned long acquires) {
    switch (type) {
    case OBJ_SECRET:
        for (; acquires > 0; acquires--)
            (void)sm_secret_release(obj);
        sm_secret_free(obj);
        break;
    case OBJ_BUFFER:
        sm_buffer_free(obj);
        break;
    case OBJ_ENCLAVE:
        sm_enclave_free(obj);
        break;
    case OBJ_STREAM:
        sm_stream_free(obj);
        break;
    case OBJ_NONE:
        break;
    }
}

static void run_state_clear(run_state *rs) {
    for (size_t i = 0; i < rs->nhandles; i++)
        object_free(rs->handles[i].type, rs->handles[i].obj, rs->handles[i].acquires);
    for (size_t i = 0; i < rs->saved.count; i++)
        bytes_free(&rs->saved.data[i]);
    memset(rs, 0, sizeof *rs);
}

static int eval_arg(run_state *rs, const arg_def *a, const json_value *v, arg_value *out, diag *d) {
    out->present = 1;
    switch (a->type) {
    case ARG_SIZE:
        return spec_size_eval(v, &out->size, d);
    case ARG_DATA:
        return spec_data_eval(v, &rs->saved, &out->data, d);
    case ARG_KIND:
        return op_kind_from_name(v->string, &out->kind);
    case ARG_BOOL:
        out->boolean = v->boolean;
        return 0;
    case ARG_INT:
        out->integer = v->integer;
        return 0;
    case ARG_BUFFER:
        out->object = handle_find(rs, v->string)->obj;
        return 0;
    }
    return diag_fail(d, "argument \"%s\" has an unknown type", a->name);
}

/* Fills c with the target and the evaluated arguments of the step. */
static int prepare(run_state *rs, const op_def *op, const json_value *step, call *c, diag *d) {
    const json_value *on = json_get(step, "on"), *args = json_get(step, "args");
    if (on != NULL) {
        handle *h = handle_find(rs, on->string);
        c->target = h->obj;
        c->target_acquires = &h->acquires;
    }
    for (size_t i = 0; i < OP_MAX_ARGS && op->args[i].name != NULL; i++) {
        const json_value *v = json_get(args, op->args[i].name);
        if (v != NULL && eval_arg(rs, &op->args[i], v, &c->arg[i], d) != 0)
            return -1;
    }
    return 0;
}

static void call_free(call *c) {
    for (size_t i = 0; i < OP_MAX_ARGS; i++)
        bytes_free(&c->arg[i].data);
    bytes_free(&c->result);
}

/* The argument an op with wipes_data wipes: the one named "data". */
static const bytes *wiped_arg(const op_def *op, const call *c) {
    for (size_t i = 0; op->wipes_data && i < OP_MAX_ARGS && op->args[i].name != NULL; i++)
        if (strcmp(op->args[i].name, "data") == 0)
            return &c->arg[i].data;
    return NULL;
}

/* Binds the created object to "as", or frees it when the step has no "as". */
static void bind_created(run_state *rs, const op_def *op, const json_value *step, call *c) {
    const json_value *as = json_get(step, "as");
    if (c->created == NULL)
        return;
    if (as == NULL || c->status != SM_OK) {
        object_free(op->creates, c->created, 0);
        c->created = NULL;
        return;
    }
    handle *h = &rs->handles[rs->nhandles++];
    h->name = as->string;
    h->type = op->creates;
    h->obj = c->created;
    h->acquires = 0;
    c->created = NULL; /* owned by the handle now */
}

static void save_result(run_state *rs, const json_value *step, call *c) {
    const json_value *save = json_get(step, "save");
    if (save == NULL)
        return;
    rs->saved.names[rs->saved.count] = save->string;
    rs->saved.data[rs->saved.count++] = c->result;
    c->result.p = NULL;
    c->result.len = 0;
}

static int run_step(run_state *rs, const json_value *step, diag *d) {
    const op_def *op = op_find(json_get(step, "op")->string);
    call c;
    memset(&c, 0, sizeof c);
    int rc = prepare(rs, op, step, &c, d);
    if (rc == 0)
        rc = op->run(&c, d);
    if (rc == 0) {
        if (c.status != SM_OK) /* README: a failed bytes op gives the empty string */
            bytes_free(&c.result);
        bind_created(rs, op, step, &c);
        rc = expect_check(op, json_get(step, "expect"), &c, wiped_arg(op, &c), &rs->saved, d);
    }
    if (rc == 0)
        save_result(rs, step, &c);
    else if (c.created != NULL)
        object_free(op->creates, c.created, 0);
    call_free(&c);
    return rc;
}

int scenario_run(const json_value *scenario, diag *d) {
    static run_state rs; /* large; one scenario runs at a time */
    memset(&rs, 0, sizeof rs);
    const json_value *steps = json_get(scenario, "steps");
    int rc = 0;
    for (size_t i = 0; i < steps->count && rc == 0; i++) {
        rc = run_step(&rs, &steps->items[i], d);
        if (rc != 0) {
            diag inner = *d;
            diag_fail(d, "step %zu (%s): %s", i, json_get(&steps->items[i], "op")->string,
                      inner.msg);
        }
    }
    run_state_clear(&rs);
    return rc;
}
