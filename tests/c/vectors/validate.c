/* Structural validation of files, scenarios and steps. */
#include <stdio.h>
#include <string.h>

#include "ops.h"
#include "spec.h"
#include "validate.h"

static const char *const file_keys[] = {"format", "description", "scenarios", NULL};
static const char *const scenario_keys[] = {"name", "description", "requires", "steps", NULL};
static const char *const step_keys[] = {"op", "on", "args", "as", "expect", "save", NULL};
static const char *const expect_keys[] = {"status",       "bytes", "len",          "not_bytes",
                                          "not_all_zero", "value", "source_wiped", NULL};
static const char *const capabilities[] = {"core", NULL};

/* What validation of one scenario knows so far. */
typedef struct vstate {
    name_set handles;
    name_set saved;
    int core;
} vstate;

static int unique_names(const json_value *scenarios, diag *d) {
    for (size_t i = 0; i < scenarios->count; i++) {
        const json_value *a = json_get(&scenarios->items[i], "name");
        for (size_t j = 0; a != NULL && a->type == JSON_STRING && j < i; j++) {
            const json_value *b = json_get(&scenarios->items[j], "name");
            if (b != NULL && b->type == JSON_STRING && strcmp(a->string, b->string) == 0)
                return diag_fail(d, "two scenarios are named \"%s\"", a->string);
        }
    }
    return 0;
}

int validate_file(const json_value *root, diag *d) {
    if (check_keys(root, file_keys, "the file", d) != 0)
        return -1;
    const json_value *format = json_get(root, "format");
    if (check_type(format, JSON_INT, "\"format\"", d) != 0)
        return -1;
    if (format->integer != 1)
        return diag_fail(d, "format %lld is not supported (only 1)", (long long)format->integer);
    const json_value *desc = json_get(root, "description");
    if (desc != NULL && check_type(desc, JSON_STRING, "\"description\"", d) != 0)
        return -1;
    const json_value *scenarios = json_get(root, "scenarios");
    if (check_type(scenarios, JSON_ARRAY, "\"scenarios\"", d) != 0)
        return -1;
    if (scenarios->count == 0)
        return diag_fail(d, "\"scenarios\" is empty");
    return unique_names(scenarios, d);
}

int scenario_requires(const json_value *scenario, const char *cap) {
    const json_value *req = json_get(scenario, "requires");
    for (size_t i = 0; req != NULL && req->type == JSON_ARRAY && i < req->count; i++)
        if (req->items[i].type == JSON_STRING && strcmp(req->items[i].string, cap) == 0)
            return 1;
    return 0;
}

static int check_requires(const json_value *req, diag *d) {
    if (check_type(req, JSON_ARRAY, "\"requires\"", d) != 0)
        return -1;
    for (size_t i = 0; i < req->count; i++) {
        if (check_type(&req->items[i], JSON_STRING, "a capability", d) != 0)
            return -1;
        int known = 0;
        for (const char *const *c = capabilities; *c != NULL; c++)
            known |= strcmp(*c, req->items[i].string) == 0;
        if (!known)
            return diag_fail(d, "unknown capability \"%s\"", req->items[i].string);
    }
    return 0;
}

static int check_handle(const vstate *vs, const json_value *v, obj_type want, const char *what,
                        diag *d) {
    if (check_type(v, JSON_STRING, what, d) != 0)
        return -1;
    int i = name_find(&vs->handles, v->string);
    if (i < 0)
        return diag_fail(d, "%s: no handle \"%s\" was bound before", what, v->string);
    if (vs->handles.types[i] != want)
        return diag_fail(d, "%s: \"%s\" is a %s, not a %s", what, v->string,
                         obj_type_name(vs->handles.types[i]), obj_type_name(want));
    return 0;
}

static int check_arg(const vstate *vs, const arg_def *a, const json_value *v, diag *d) {
    char what[64];
    snprintf(what, sizeof what, "argument \"%s\"", a->name);
    sm_kind kind;
    switch (a->type) {
    case ARG_SIZE:
        return spec_size_check(v, what, d);
    case ARG_DATA:
        return spec_data_check(v, &vs->saved, what, d);
    case ARG_KIND:
        if (check_type(v, JSON_STRING, what, d) != 0)
            return -1;
        return op_kind_from_name(v->string, &kind) ? diag_fail(d, "unknown kind \"%s\"", v->string)
                                                   : 0;
    case ARG_BOOL:
        return check_type(v, JSON_BOOL, what, d);
    case ARG_INT:
        return check_type(v, JSON_INT, what, d);
    case ARG_BUFFER:
        return check_handle(vs, v, OBJ_BUFFER, what, d);
    }
    return diag_fail(d, "%s has an unknown type", what);
}

static int check_args(const vstate *vs, const op_def *op, const json_value *args, diag *d) {
    const char *allowed[OP_MAX_ARGS + 1] = {0};
    for (size_t i = 0; i < OP_MAX_ARGS && op->args[i].name != NULL; i++)
        allowed[i] = op->args[i].name;
    if (args != NULL && check_keys(args, allowed, "\"args\"", d) != 0)
        return -1;
    for (size_t i = 0; i < OP_MAX_ARGS && op->args[i].name != NULL; i++) {
        const json_value *v = json_get(args, op->args[i].name);
        if (v == NULL && op->args[i].required)
            return diag_fail(d, "argument \"%s\" is missing", op->args[i].name);
        if (v != NULL && check_arg(vs, &op->args[i], v, d) != 0)
            return -1;
    }
    return 0;
}

static int check_value(const op_def *op, const json_value *v, diag *d) {
    switch (op->result) {
    case RES_INT:
        return spec_size_check(v, "\"value\"", d);
    case RES_BOOL:
        return check_type(v, JSON_BOOL, "\"value\"", d);
    case RES_NAME:
        return check_type(v, JSON_STRING, "\"value\"", d);
    default:
        return diag_fail(d, "\"value\" does not apply: the operation gives no value");
    }
}

static int check_true(const json_value *v, const char *what, diag *d) {
    if (check_type(v, JSON_BOOL, what, d) != 0)
        return -1;
    return v->boolean ? 0 : diag_fail(d, "%s may only be true", what);
}

/* The expectations that apply to byte results. */
static int check_bytes_expect(const vstate *vs, const op_def *op, const json_value *exp, diag *d) {
    static const char *const keys[] = {"bytes", "len", "not_bytes", "not_all_zero"};
    for (size_t i = 0; i < 4; i++)
        if (json_get(exp, keys[i]) != NULL && op->result != RES_BYTES)
            return diag_fail(d, "\"%s\" does not apply: the operation gives no bytes", keys[i]);
    const json_value *v;
    if ((v = json_get(exp, "bytes")) != NULL && spec_data_check(v, &vs->saved, "\"bytes\"", d))
        return -1;
    if ((v = json_get(exp, "not_bytes")) != NULL &&
        spec_data_check(v, &vs->saved, "\"not_bytes\"", d))
        return -1;
    if ((v = json_get(exp, "len")) != NULL && spec_size_check(v, "\"len\"", d) != 0)
        return -1;
    v = json_get(exp, "not_all_zero");
    return v != NULL ? check_true(v, "\"not_all_zero\"", d) : 0;
}

static int check_expect(const vstate *vs, const op_def *op, const json_value *exp, diag *d) {
    if (check_keys(exp, expect_keys, "\"expect\"", d) != 0)
        return -1;
    const json_value *v = json_get(exp, "status");
    sm_status st;
    if (v != NULL && check_type(v, JSON_STRING, "\"status\"", d) != 0)
        return -1;
    if (v != NULL && op_status_from_name(v->string, &st) != 0)
        return diag_fail(d, "unknown status name \"%s\"", v->string);
    if (check_bytes_expect(vs, op, exp, d) != 0)
        return -1;
    if ((v = json_get(exp, "value")) != NULL && check_value(op, v, d) != 0)
        return -1;
    if ((v = json_get(exp, "source_wiped")) == NULL)
        return 0;
    if (!op->wipes_data)
        return diag_fail(d, "\"source_wiped\" does not apply: the operation wipes nothing");
    return check_true(v, "\"source_wiped\"", d);
}

static int expects_ok(const json_value *step) {
    const json_value *st = json_get(json_get(step, "expect"), "status");
    return st == NULL || (st->type == JSON_STRING && strcmp(st->string, "SM_OK") == 0);
}

/* "on", "as" and "save": the names a step uses and binds. */
static int check_names(vstate *vs, const op_def *op, const json_value *step, diag *d) {
    const json_value *on = json_get(step, "on"), *as = json_get(step, "as");
    const json_value *save = json_get(step, "save");
    if (op->target != OBJ_NONE && check_handle(vs, on, op->target, "\"on\"", d) != 0)
        return -1;
    if (op->target == OBJ_NONE && on != NULL)
        return diag_fail(d, "\"on\" does not apply: the operation has no target");
    if (as != NULL && (op->creates == OBJ_NONE || !expects_ok(step)))
        return diag_fail(d, "\"as\" applies only to a creating operation that expects SM_OK");
    if (as == NULL && op->creates != OBJ_NONE && expects_ok(step))
        return diag_fail(d, "\"as\" is missing: the operation creates a %s",
                         obj_type_name(op->creates));
    if (as != NULL && (check_type(as, JSON_STRING, "\"as\"", d) != 0 ||
                       name_add(&vs->handles, as->string, op->creates, d) != 0))
        return -1;
    if (save != NULL && op->result != RES_BYTES)
        return diag_fail(d, "\"save\" does not apply: the operation gives no bytes");
    if (save != NULL && (check_type(save, JSON_STRING, "\"save\"", d) != 0 ||
                         name_add(&vs->saved, save->string, OBJ_NONE, d) != 0))
        return -1;
    return 0;
}

static int check_step(vstate *vs, const json_value *step, diag *d) {
    if (check_keys(step, step_keys, "the step", d) != 0)
        return -1;
    const json_value *opv = json_get(step, "op");
    if (check_type(opv, JSON_STRING, "\"op\"", d) != 0)
        return -1;
    const op_def *op = op_find(opv->string);
    if (op == NULL)
        return diag_fail(d, "unknown operation \"%s\"", opv->string);
    if (op->core_only && !vs->core)
        return diag_fail(d, "%s is core only: the scenario must require \"core\"", op->name);
    const json_value *args = json_get(step, "args"), *exp = json_get(step, "expect");
    if (check_args(vs, op, args, d) != 0)
        return -1;
    if (exp != NULL && check_expect(vs, op, exp, d) != 0)
        return -1;
    return check_names(vs, op, step, d);
}

static int check_steps(const json_value *steps, int core, diag *d) {
    if (check_type(steps, JSON_ARRAY, "\"steps\"", d) != 0)
        return -1;
    if (steps->count == 0)
        return diag_fail(d, "\"steps\" is empty");
    static vstate vs; /* large; one scenario is validated at a time */
    memset(&vs, 0, sizeof vs);
    vs.core = core;
    for (size_t i = 0; i < steps->count; i++) {
        if (check_step(&vs, &steps->items[i], d) != 0) {
            diag inner = *d;
            const char *op = NULL;
            const json_value *opv = json_get(&steps->items[i], "op");
            if (opv != NULL && opv->type == JSON_STRING)
                op = opv->string;
            return diag_fail(d, "step %zu (%s): %s", i, op ? op : "?", inner.msg);
        }
    }
    return 0;
}

int validate_scenario(const json_value *scenario, diag *d) {
    if (check_keys(scenario, scenario_keys, "the scenario", d) != 0)
        return -1;
    const json_value *name = json_get(scenario, "name"), *desc = json_get(scenario, "description");
    if (check_type(name, JSON_STRING, "\"name\"", d) != 0)
        return -1;
    if (name->string[0] == '\0')
        return diag_fail(d, "\"name\" is empty");
    if (desc != NULL && check_type(desc, JSON_STRING, "\"description\"", d) != 0)
        return -1;
    const json_value *req = json_get(scenario, "requires");
    if (req != NULL && check_requires(req, d) != 0)
        return -1;
    return check_steps(json_get(scenario, "steps"), scenario_requires(scenario, "core"), d);
}
