/* An RFC 8259 recogniser, and writing parsed values back as JSON. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "json_oracle.h"

typedef struct rd {
    const unsigned char *p;
    size_t n, i;
} rd;

static int at(const rd *r) {
    return r->i < r->n ? r->p[r->i] : -1;
}

static void ws(rd *r) {
    while (at(r) == ' ' || at(r) == '\t' || at(r) == '\n' || at(r) == '\r')
        r->i++;
}

static int lit(rd *r, const char *word) {
    size_t k = strlen(word);
    if (r->n - r->i < k || memcmp(r->p + r->i, word, k) != 0)
        return 0;
    r->i += k;
    return 1;
}

static int digits(rd *r) {
    size_t start = r->i;
    while (at(r) >= '0' && at(r) <= '9')
        r->i++;
    return r->i > start;
}

static int number(rd *r) {
    if (at(r) == '-')
        r->i++;
    if (at(r) == '0')
        r->i++;
    else if (!(at(r) >= '1' && at(r) <= '9') || !digits(r))
        return 0;
    if (at(r) == '.') {
        r->i++;
        if (!digits(r))
            return 0;
    }
    if (at(r) == 'e' || at(r) == 'E') {
        r->i++;
        if (at(r) == '+' || at(r) == '-')
            r->i++;
        if (!digits(r))
            return 0;
    }
    return 1;
}

/* One UTF-8 sequence of at least two bytes: no overlong forms, no surrogates, <= U+10FFFF. */
static int utf8_multi(rd *r) {
    int c = at(r);
    size_t extra;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
        extra = 1, cp = (uint32_t)c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        extra = 2, cp = (uint32_t)c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        extra = 3, cp = (uint32_t)c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    r->i++;
    for (size_t k = 0; k < extra; k++) {
        int d = at(r);
        if (d < 0x80 || d > 0xBF)
            return 0;
        cp = cp << 6 | ((uint32_t)d & 0x3F);
        r->i++;
    }
    return cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
}

static int hex(int c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int string(rd *r) {
    if (at(r) != '"')
        return 0;
    r->i++;
    for (;;) {
        int c = at(r);
        if (c < 0x20) /* the end of input, or a control character */
            return 0;
        if (c == '"') {
            r->i++;
            return 1;
        }
        if (c == '\\') {
            r->i++;
            c = at(r);
            r->i++;
            if (c == 'u') {
                for (int k = 0; k < 4; k++, r->i++)
                    if (!hex(at(r)))
                        return 0;
            } else if (c < 0 || strchr("\"\\/bfnrt", c) == NULL) {
                return 0;
            }
        } else if (c < 0x80) {
            r->i++;
        } else if (!utf8_multi(r)) {
            return 0;
        }
    }
}

static int value(rd *r, int depth);

static int items(rd *r, int depth, char close, int keyed) {
    r->i++;
    ws(r);
    if (at(r) == close) {
        r->i++;
        return 1;
    }
    for (;;) {
        ws(r);
        if (keyed) {
            if (!string(r))
                return 0;
            ws(r);
            if (at(r) != ':')
                return 0;
            r->i++;
        }
        if (!value(r, depth + 1))
            return 0;
        ws(r);
        if (at(r) == close) {
            r->i++;
            return 1;
        }
        if (at(r) != ',')
            return 0;
        r->i++;
    }
}

static int value(rd *r, int depth) {
    if (depth > 100000)
        return 0;
    ws(r);
    int c = at(r);
    int ok = c == '{'   ? items(r, depth, '}', 1)
             : c == '[' ? items(r, depth, ']', 0)
             : c == '"' ? string(r)
             : c == 't' ? lit(r, "true")
             : c == 'f' ? lit(r, "false")
             : c == 'n' ? lit(r, "null")
                        : number(r);
    ws(r);
    return ok;
}

int json_oracle_valid(const char *text, size_t len) {
    rd r = {(const unsigned char *)text, len, 0};
    return value(&r, 0) && r.i == r.n;
}

/* ------------------------------------------------------------------ */
/* Echo                                                                */
/* ------------------------------------------------------------------ */

typedef struct out {
    char *p;
    size_t len, cap;
} out;

static void put(out *o, const char *s, size_t n) {
    if (o->len + n + 1 > o->cap) {
        o->cap = (o->cap + n + 1) * 2;
        o->p = realloc(o->p, o->cap);
        FUZZ_CHECK(o->p != NULL, "the fuzzer ran out of memory");
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

static void put_string(out *o, const char *s) {
    put(o, "\"", 1);
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c;
            put(o, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            put(o, esc, 6);
        } else {
            put(o, (const char *)&c, 1);
        }
    }
    put(o, "\"", 1);
}

static void echo(out *o, const json_value *v) {
    char num[32];
    switch (v->type) {
    case JSON_NULL:
        put(o, "null", 4);
        break;
    case JSON_BOOL:
        put(o, v->boolean ? "true" : "false", v->boolean ? 4 : 5);
        break;
    case JSON_INT:
        put(o, num, (size_t)snprintf(num, sizeof num, "%lld", (long long)v->integer));
        break;
    case JSON_STRING:
        put_string(o, v->string);
        break;
    case JSON_ARRAY:
    case JSON_OBJECT:
        put(o, v->type == JSON_ARRAY ? "[" : "{", 1);
        for (size_t i = 0; i < v->count; i++) {
            if (i > 0)
                put(o, ",", 1);
            if (v->type == JSON_OBJECT) {
                put_string(o, v->keys[i]);
                put(o, ":", 1);
            }
            echo(o, &v->items[i]);
        }
        put(o, v->type == JSON_ARRAY ? "]" : "}", 1);
        break;
    }
}

char *json_echo(const json_value *v, size_t *len) {
    out o = {NULL, 0, 0};
    echo(&o, v);
    *len = o.len;
    return o.p;
}

int json_same(const json_value *a, const json_value *b) {
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case JSON_NULL:
        return 1;
    case JSON_BOOL:
        return a->boolean == b->boolean;
    case JSON_INT:
        return a->integer == b->integer;
    case JSON_STRING:
        return strcmp(a->string, b->string) == 0;
    case JSON_ARRAY:
    case JSON_OBJECT:
        if (a->count != b->count)
            return 0;
        for (size_t i = 0; i < a->count; i++) {
            if (a->type == JSON_OBJECT && strcmp(a->keys[i], b->keys[i]) != 0)
                return 0;
            if (!json_same(&a->items[i], &b->items[i]))
                return 0;
        }
        return 1;
    }
    return 0;
}
