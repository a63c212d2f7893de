/* The checks behind "expect": status, bytes, len, not_bytes, not_all_zero, value, source_wiped. */
#include <stdio.h>
#include <string.h>

#include "expect.h"

static int check_status(const json_value *exp, const call *c, diag *d) {
    const json_value *v = json_get(exp, "status");
    const char *want = v != NULL ? v->string : "SM_OK";
    const char *got = op_status_name(c->status);
    if (strcmp(want, got) != 0)
        return diag_fail(d, "status %s, expected %s", got, want);
    return 0;
}

static int same_bytes(const bytes *a, const bytes *b) {
    return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

static void describe(const bytes *b, char *out, size_t outlen) {
    char hex[80];
    spec_hex_preview(b, 24, hex, sizeof hex);
    snprintf(out, outlen, "%zu bytes [%s]", b->len, hex);
}

static size_t first_difference(const bytes *a, const bytes *b) {
    size_t i = 0;
    while (i < a->len && i < b->len && a->p[i] == b->p[i])
        i++;
    return i;
}

static int check_data(const json_value *spec, const call *c, int want_equal,
                      const saved_table *saved, diag *d) {
    bytes want;
    if (spec_data_eval(spec, saved, &want, d) != 0)
        return -1;
    int equal = same_bytes(&c->result, &want), rc = 0;
    if (equal != want_equal) {
        char got_s[128], want_s[128];
        describe(&c->result, got_s, sizeof got_s);
        describe(&want, want_s, sizeof want_s);
        if (want_equal)
            rc = diag_fail(d, "bytes differ at offset %zu: got %s, expected %s",
                           first_difference(&c->result, &want), got_s, want_s);
        else
            rc = diag_fail(d, "bytes equal %s, expected them to differ", want_s);
    }
    bytes_free(&want);
    return rc;
}

static int all_zero(const bytes *b) {
    uint8_t acc = 0;
    for (size_t i = 0; i < b->len; i++)
        acc |= b->p[i];
    return acc == 0;
}

static int check_result_bytes(const json_value *exp, const call *c, const saved_table *saved,
                              diag *d) {
    const json_value *v;
    if ((v = json_get(exp, "len")) != NULL) {
        size_t want;
        if (spec_size_eval(v, &want, d) != 0)
            return -1;
        if (c->result.len != want)
            return diag_fail(d, "%zu bytes, expected %zu", c->result.len, want);
    }
    if ((v = json_get(exp, "bytes")) != NULL && check_data(v, c, 1, saved, d) != 0)
        return -1;
    if ((v = json_get(exp, "not_bytes")) != NULL && check_data(v, c, 0, saved, d) != 0)
        return -1;
    if (json_get(exp, "not_all_zero") != NULL && all_zero(&c->result))
        return diag_fail(d, "all %zu bytes are zero", c->result.len);
    return 0;
}

static int check_value(const op_def *op, const json_value *v, const call *c, diag *d) {
    if (op->result == RES_NAME) {
        if (strcmp(c->name_value, v->string) != 0)
            return diag_fail(d, "value \"%s\", expected \"%s\"", c->name_value, v->string);
        return 0;
    }
    if (op->result == RES_BOOL) {
        if ((c->int_value != 0) != (v->boolean != 0))
            return diag_fail(d, "value %s, expected %s", c->int_value ? "true" : "false",
                             v->boolean ? "true" : "false");
        return 0;
    }
    size_t want;
    if (spec_size_eval(v, &want, d) != 0)
        return -1;
    if (c->int_value < 0 || (uint64_t)c->int_value != (uint64_t)want)
        return diag_fail(d, "value %lld, expected %zu", (long long)c->int_value, want);
    return 0;
}

int expect_check(const op_def *op, const json_value *exp, const call *c, const bytes *wiped,
                 const saved_table *saved, diag *d) {
    if (check_status(exp, c, d) != 0)
        return -1;
    if (exp == NULL)
        return 0;
    if (json_get(exp, "source_wiped") != NULL && !all_zero(wiped))
        return diag_fail(d, "the caller's %zu source bytes were not wiped", wiped->len);
    if (op->result == RES_BYTES && check_result_bytes(exp, c, saved, d) != 0)
        return -1;
    const json_value *v = json_get(exp, "value");
    return v != NULL ? check_value(op, v, c, d) : 0;
}
