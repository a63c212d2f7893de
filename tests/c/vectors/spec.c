/* Evaluation and structural checks of sizes and data specs. */
#include <stdio.h>
#include <string.h>

#include "securememory.h"
#include "spec.h"

static const char *const size_keys[] = {"pages", "plus", NULL};
static const char *const hex_keys[] = {"hex", NULL};
static const char *const fill_keys[] = {"fill", "len", NULL};
static const char *const counter_keys[] = {"counter", "len", NULL};
static const char *const ref_keys[] = {"ref", "offset", "len", NULL};

int spec_size_check(const json_value *v, const char *what, diag *d) {
    if (v != NULL && v->type == JSON_INT) {
        if (v->integer < 0)
            return diag_fail(d, "%s is negative", what);
        return 0;
    }
    if (v == NULL || v->type != JSON_OBJECT)
        return diag_fail(d, "%s must be an integer or {\"pages\", \"plus\"}", what);
    if (check_keys(v, size_keys, what, d) != 0)
        return -1;
    for (size_t i = 0; i < v->count; i++)
        if (check_type(&v->items[i], JSON_INT, what, d) != 0)
            return -1;
    return 0;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int hex_check(const json_value *v, int nonempty, const char *what, diag *d) {
    if (check_type(v, JSON_STRING, what, d) != 0)
        return -1;
    size_t n = strlen(v->string);
    if (n % 2 != 0 || (nonempty && n == 0))
        return diag_fail(d, "%s: hex must have an even, nonzero length", what);
    for (size_t i = 0; i < n; i++)
        if (hex_digit(v->string[i]) < 0)
            return diag_fail(d, "%s: '%c' is not a hex digit", what, v->string[i]);
    return 0;
}

static int ref_check(const json_value *v, const name_set *saved, const char *what, diag *d) {
    const json_value *ref = json_get(v, "ref");
    if (check_type(ref, JSON_STRING, what, d) != 0)
        return -1;
    if (name_find(saved, ref->string) < 0)
        return diag_fail(d, "%s: nothing was saved as \"%s\" before", what, ref->string);
    const json_value *off = json_get(v, "offset"), *len = json_get(v, "len");
    if (off != NULL && spec_size_check(off, what, d) != 0)
        return -1;
    return len != NULL ? spec_size_check(len, what, d) : 0;
}

int spec_data_check(const json_value *v, const name_set *saved, const char *what, diag *d) {
    if (check_type(v, JSON_OBJECT, what, d) != 0)
        return -1;
    if (json_get(v, "hex") != NULL)
        return check_keys(v, hex_keys, what, d) ? -1 : hex_check(json_get(v, "hex"), 0, what, d);
    if (json_get(v, "fill") != NULL) {
        if (check_keys(v, fill_keys, what, d) != 0 || hex_check(json_get(v, "fill"), 1, what, d))
            return -1;
        return spec_size_check(json_get(v, "len"), what, d);
    }
    if (json_get(v, "counter") != NULL) {
        if (check_keys(v, counter_keys, what, d) != 0 ||
            spec_size_check(json_get(v, "counter"), what, d) != 0)
            return -1;
        return spec_size_check(json_get(v, "len"), what, d);
    }
    if (json_get(v, "ref") != NULL)
        return check_keys(v, ref_keys, what, d) ? -1 : ref_check(v, saved, what, d);
    return diag_fail(d, "%s needs one of \"hex\", \"fill\", \"counter\", \"ref\"", what);
}

static int64_t member_or_zero(const json_value *v, const char *key) {
    const json_value *m = json_get(v, key);
    return m != NULL ? m->integer : 0;
}

int spec_size_eval(const json_value *v, size_t *out, diag *d) {
    if (v->type == JSON_INT) {
        *out = (size_t)v->integer;
        return 0;
    }
    int64_t pages = member_or_zero(v, "pages"), plus = member_or_zero(v, "plus");
    int64_t ps = (int64_t)sm_page_size(), total;
    if (__builtin_mul_overflow(pages, ps, &total) || __builtin_add_overflow(total, plus, &total))
        return diag_fail(d, "size {pages %lld, plus %lld} overflows", (long long)pages,
                         (long long)plus);
    if (total < 0)
        return diag_fail(d, "size {pages %lld, plus %lld} is negative with a page size of %lld",
                         (long long)pages, (long long)plus, (long long)ps);
    *out = (size_t)total;
    return 0;
}

int spec_hex_decode(const char *hex, bytes *out, diag *d) {
    size_t n = strlen(hex) / 2;
    if (bytes_alloc(out, n, d) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        out->p[i] = (uint8_t)(hex_digit(hex[2 * i]) * 16 + hex_digit(hex[2 * i + 1]));
    return 0;
}

static int eval_len(const json_value *v, size_t *len, diag *d) {
    if (spec_size_eval(json_get(v, "len"), len, d) != 0)
        return -1;
    if (*len > SPEC_MAX_DATA)
        return diag_fail(d, "data of %zu bytes is larger than the limit", *len);
    return 0;
}

static int eval_fill(const json_value *v, bytes *out, diag *d) {
    bytes unit;
    size_t len;
    if (eval_len(v, &len, d) != 0 || spec_hex_decode(json_get(v, "fill")->string, &unit, d) != 0)
        return -1;
    int rc = bytes_alloc(out, len, d);
    for (size_t i = 0; rc == 0 && i < len; i++)
        out->p[i] = unit.p[i % unit.len];
    bytes_free(&unit);
    return rc;
}

static int eval_counter(const json_value *v, bytes *out, diag *d) {
    size_t start, len;
    if (spec_size_eval(json_get(v, "counter"), &start, d) != 0 || eval_len(v, &len, d) != 0 ||
        bytes_alloc(out, len, d) != 0)
        return -1;
    for (size_t i = 0; i < len; i++)
        out->p[i] = (uint8_t)((start + i) & 0xFF);
    return 0;
}

static const bytes *saved_find(const saved_table *saved, const char *name) {
    for (size_t i = 0; i < saved->count; i++)
        if (strcmp(saved->names[i], name) == 0)
            return &saved->data[i];
    return NULL;
}

static int eval_ref(const json_value *v, const saved_table *saved, bytes *out, diag *d) {
    const char *name = json_get(v, "ref")->string;
    const bytes *src = saved_find(saved, name);
    if (src == NULL)
        return diag_fail(d, "nothing was saved as \"%s\"", name);
    size_t off = 0, len;
    const json_value *jo = json_get(v, "offset"), *jl = json_get(v, "len");
    if (jo != NULL && spec_size_eval(jo, &off, d) != 0)
        return -1;
    if (off > src->len)
        return diag_fail(d, "ref \"%s\": offset %zu is past its %zu bytes", name, off, src->len);
    len = src->len - off;
    if (jl != NULL && spec_size_eval(jl, &len, d) != 0)
        return -1;
    if (len > src->len - off)
        return diag_fail(d, "ref \"%s\": slice [%zu, +%zu) is outside its %zu bytes", name, off,
                         len, src->len);
    if (bytes_alloc(out, len, d) != 0)
        return -1;
    if (len > 0)
        memcpy(out->p, src->p + off, len);
    return 0;
}

int spec_data_eval(const json_value *v, const saved_table *saved, bytes *out, diag *d) {
    if (json_get(v, "hex") != NULL)
        return spec_hex_decode(json_get(v, "hex")->string, out, d);
    if (json_get(v, "fill") != NULL)
        return eval_fill(v, out, d);
    if (json_get(v, "counter") != NULL)
        return eval_counter(v, out, d);
    return eval_ref(v, saved, out, d);
}

void spec_hex_preview(const bytes *b, size_t max, char *out, size_t outlen) {
    size_t pos = 0;
    out[0] = '\0';
    for (size_t i = 0; i < b->len && i < max && pos + 3 < outlen; i++)
        pos += (size_t)snprintf(out + pos, outlen - pos, "%02x", b->p[i]);
    if (b->len > max && pos + 4 < outlen)
        snprintf(out + pos, outlen - pos, "...");
}
