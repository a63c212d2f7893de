/* Evaluating the specs of validated scenarios against the README's definitions. */
#include <string.h>

#include "fuzz_check.h"
#include "ops.h"
#include "securememory.h"
#include "spec.h"
#include "spec_walk.h"

#define EVAL_MAX ((size_t)1 << 20)

/*
 * The README's size: an integer, or pages * page_size + plus; -1 when that
 * is negative, or when pages * page_size or the sum leaves the signed
 * 64-bit range (README: the vectors' numbers stay within it).
 */
static int size_of(const json_value *v, size_t *out) {
    if (v->type == JSON_INT) {
        *out = (size_t)v->integer;
        return 0;
    }
    const json_value *p = json_get(v, "pages"), *q = json_get(v, "plus");
    __int128 product = (__int128)(p ? p->integer : 0) * (__int128)sm_page_size();
    __int128 total = product + (q ? q->integer : 0);
    if (product > INT64_MAX || product < INT64_MIN || total < 0 || total > INT64_MAX)
        return -1;
    *out = (size_t)total;
    return 0;
}

static void check_size(const json_value *v) {
    size_t got = 0, want = 0;
    diag d;
    int rc = spec_size_eval(v, &got, &d);
    int want_rc = size_of(v, &want);
    FUZZ_CHECK((rc == 0) == (want_rc == 0), "spec_size_eval %s a size the README %s: %s",
               rc == 0 ? "accepted" : "refused", want_rc == 0 ? "refuses" : "accepts",
               rc == 0 ? "" : d.msg);
    FUZZ_CHECK(rc != 0 || got == want, "spec_size_eval gave %zu, expected %zu", got, want);
}

static int nibble(char c) {
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* The bytes a checked data spec stands for, by the README, or -1 (too long, bad ref). */
static int data_of(const json_value *v, const saved_table *saved, bytes *out) {
    const json_value *h = json_get(v, "hex"), *f = json_get(v, "fill"), *c = json_get(v, "counter");
    size_t len = 0, start = 0, off = 0;
    diag d;
    if (h != NULL || f != NULL) {
        const char *hex = (h ? h : f)->string;
        size_t units = strlen(hex) / 2;
        if (f != NULL && (size_of(json_get(v, "len"), &len) != 0 || len > SPEC_MAX_DATA))
            return -1;
        if (h != NULL)
            len = units;
        if (bytes_alloc(out, len, &d) != 0)
            return -1;
        for (size_t i = 0; i < len; i++)
            out->p[i] =
                (uint8_t)(nibble(hex[2 * (i % units)]) << 4 | nibble(hex[2 * (i % units) + 1]));
        return 0;
    }
    if (c != NULL) {
        if (size_of(c, &start) != 0 || size_of(json_get(v, "len"), &len) != 0 ||
            len > SPEC_MAX_DATA || bytes_alloc(out, len, &d) != 0)
            return -1;
        for (size_t i = 0; i < len; i++)
            out->p[i] = (uint8_t)(start + i);
        return 0;
    }
    const char *name = json_get(v, "ref")->string;
    const bytes *src = NULL;
    for (size_t i = 0; i < saved->count; i++)
        if (strcmp(saved->names[i], name) == 0)
            src = &saved->data[i];
    const json_value *jo = json_get(v, "offset"), *jl = json_get(v, "len");
    if (src == NULL || (jo != NULL && size_of(jo, &off) != 0) || off > src->len)
        return -1;
    len = src->len - off;
    if ((jl != NULL && size_of(jl, &len) != 0) || len > src->len - off ||
        bytes_alloc(out, len, &d) != 0)
        return -1;
    if (len > 0)
        memcpy(out->p, src->p + off, len);
    return 0;
}

/* The length a fill or counter spec asks for, when it is cheap to know; else 0. */
static size_t asked_len(const json_value *v) {
    const json_value *l = json_get(v, "len");
    size_t len = 0;
    if (json_get(v, "ref") == NULL && l != NULL && size_of(l, &len) != 0)
        return 0;
    return len;
}

static void check_data(const json_value *v, const saved_table *saved) {
    size_t asked = asked_len(v);
    if (asked > EVAL_MAX && asked <= SPEC_MAX_DATA)
        return; /* valid but slow */
    bytes got = {0}, want = {0};
    diag d;
    int rc = spec_data_eval(v, saved, &got, &d);
    int want_rc = data_of(v, saved, &want);
    FUZZ_CHECK((rc == 0) == (want_rc == 0), "spec_data_eval %s data the README %s: %s",
               rc == 0 ? "accepted" : "refused", want_rc == 0 ? "allows" : "refuses",
               rc == 0 ? "" : d.msg);
    if (rc == 0) {
        FUZZ_CHECK(got.len == want.len, "spec_data_eval gave %zu bytes, expected %zu", got.len,
                   want.len);
        FUZZ_BYTES("spec_data_eval", got.p, want.p, got.len);
    }
    bytes_free(&got);
    bytes_free(&want);
}

/* What a step saves: some bytes, as an operation would have returned. */
static void save(saved_table *saved, const json_value *name) {
    diag d;
    size_t len = strlen(name->string) * 3 % 50;
    FUZZ_CHECK(bytes_alloc(&saved->data[saved->count], len, &d) == 0, "out of memory");
    for (size_t i = 0; i < len; i++)
        saved->data[saved->count].p[i] = (uint8_t)(name->string[i % strlen(name->string)] + i);
    saved->names[saved->count++] = name->string;
}

static void walk_args(const op_def *op, const json_value *args, const saved_table *saved) {
    for (size_t i = 0; i < OP_MAX_ARGS && op->args[i].name != NULL; i++) {
        const json_value *v = json_get(args, op->args[i].name);
        if (v != NULL && op->args[i].type == ARG_SIZE)
            check_size(v);
        if (v != NULL && op->args[i].type == ARG_DATA)
            check_data(v, saved);
    }
}

static void walk_expect(const op_def *op, const json_value *exp, const saved_table *saved) {
    const json_value *v;
    if ((v = json_get(exp, "bytes")) != NULL)
        check_data(v, saved);
    if ((v = json_get(exp, "not_bytes")) != NULL)
        check_data(v, saved);
    if ((v = json_get(exp, "len")) != NULL)
        check_size(v);
    if ((v = json_get(exp, "value")) != NULL && op->result == RES_INT)
        check_size(v);
}

void spec_walk_scenario(const json_value *scenario) {
    static saved_table saved;
    memset(&saved, 0, sizeof saved);
    const json_value *steps = json_get(scenario, "steps");
    for (size_t i = 0; i < steps->count; i++) {
        const json_value *step = &steps->items[i];
        const op_def *op = op_find(json_get(step, "op")->string);
        walk_args(op, json_get(step, "args"), &saved);
        walk_expect(op, json_get(step, "expect"), &saved);
        const json_value *name = json_get(step, "save");
        if (name != NULL)
            save(&saved, name);
    }
    for (size_t i = 0; i < saved.count; i++)
        bytes_free(&saved.data[i]);
}
