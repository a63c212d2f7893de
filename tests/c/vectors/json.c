/* The vectors' JSON parser: recursive descent over a byte range. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

typedef struct parser {
    const char *text;
    size_t len;
    size_t pos;
    int depth;
    char *err;
    size_t errlen;
} parser;

typedef struct strbuf {
    char *p;
    size_t len;
    size_t cap;
} strbuf;

static int parse_value(parser *ps, json_value *out);

static int fail(parser *ps, const char *fmt, ...) {
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(ps->err, ps->errlen, "JSON error at byte %zu: %s", ps->pos, msg);
    return -1;
}

static int peek(const parser *ps) {
    return ps->pos < ps->len ? (unsigned char)ps->text[ps->pos] : -1;
}

/* RFC 8259 white space. (Not strchr(" \t\r\n", c): it finds a NUL byte too.) */
static int is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void skip_space(parser *ps) {
    while (ps->pos < ps->len && is_space(ps->text[ps->pos]))
        ps->pos++;
}

static int expect_char(parser *ps, char c) {
    skip_space(ps);
    if (peek(ps) != (unsigned char)c)
        return fail(ps, "expected '%c'", c);
    ps->pos++;
    return 0;
}

static int expect_word(parser *ps, const char *word) {
    size_t n = strlen(word);
    if (ps->len - ps->pos < n || memcmp(ps->text + ps->pos, word, n) != 0)
        return fail(ps, "unexpected token");
    ps->pos += n;
    return 0;
}

static int sb_put(strbuf *sb, const char *bytes, size_t n) {
    if (sb->len + n + 1 > sb->cap) {
        size_t cap = (sb->cap ? sb->cap * 2 : 32) + n;
        char *p = realloc(sb->p, cap);
        if (p == NULL)
            return -1;
        sb->p = p;
        sb->cap = cap;
    }
    memcpy(sb->p + sb->len, bytes, n);
    sb->len += n;
    sb->p[sb->len] = '\0';
    return 0;
}

static int hex4(parser *ps, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int c = peek(ps);
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return fail(ps, "bad \\u escape");
        v = v * 16 + d;
        ps->pos++;
    }
    *out = v;
    return 0;
}

/* After "\u": one code point, combining a surrogate pair. */
static int unicode_escape(parser *ps, unsigned *cp) {
    if (hex4(ps, cp) != 0)
        return -1;
    if (*cp >= 0xDC00 && *cp <= 0xDFFF)
        return fail(ps, "lone low surrogate");
    if (*cp < 0xD800 || *cp > 0xDBFF)
        return 0;
    unsigned lo = 0;
    if (expect_word(ps, "\\u") != 0 || hex4(ps, &lo) != 0)
        return -1;
    if (lo < 0xDC00 || lo > 0xDFFF)
        return fail(ps, "bad surrogate pair");
    *cp = 0x10000 + ((*cp - 0xD800) << 10) + (lo - 0xDC00);
    return 0;
}

static int put_utf8(strbuf *sb, unsigned cp) {
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return sb_put(sb, b, n);
}

static int parse_escape(parser *ps, strbuf *sb) {
    static const char from[] = "\"\\/bfnrt";
    static const char to[] = "\"\\/\b\f\n\r\t";
    int c = peek(ps);
    ps->pos++;
    const char *hit = c > 0 ? strchr(from, c) : NULL;
    if (hit != NULL && c != 0)
        return sb_put(sb, &to[hit - from], 1);
    if (c != 'u')
        return fail(ps, "bad escape");
    unsigned cp = 0;
    if (unicode_escape(ps, &cp) != 0)
        return -1;
    if (cp == 0)
        return fail(ps, "\\u0000 is not supported");
    return put_utf8(sb, cp);
}

/*
 * The length of the UTF-8 sequence of two to four bytes starting at pos, or
 * 0 when it is not well formed (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). RFC 8259 text is UTF-8, and the
 * parsed strings are documented as UTF-8.
 */
static size_t utf8_sequence(const parser *ps) {
    const unsigned char *s = (const unsigned char *)ps->text + ps->pos;
    size_t n;
    unsigned cp, min;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        n = 2, cp = s[0] & 0x1Fu, min = 0x80;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        n = 3, cp = s[0] & 0x0Fu, min = 0x800;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        n = 4, cp = s[0] & 0x07u, min = 0x10000;
    else
        return 0;
    if (ps->len - ps->pos < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    return cp >= min && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF) ? n : 0;
}

static int parse_string_raw(parser *ps, char **out) {
    strbuf sb = {NULL, 0, 0};
    if (expect_char(ps, '"') != 0 || sb_put(&sb, "", 0) != 0)
        return -1;
    for (;;) {
        int c = peek(ps);
        int rc = 0;
        if (c < 0 || c < 0x20)
            rc = fail(ps, c < 0 ? "unterminated string" : "control character in string");
        else if (c == '"')
            break;
        else if (c == '\\') {
            ps->pos++;
            rc = parse_escape(ps, &sb);
        } else if (c >= 0x80) {
            size_t n = utf8_sequence(ps);
            rc = n == 0 ? fail(ps, "invalid UTF-8 in string") : sb_put(&sb, ps->text + ps->pos, n);
            ps->pos += n;
        } else {
            rc = sb_put(&sb, ps->text + ps->pos, 1);
            ps->pos++;
        }
        if (rc != 0) {
            free(sb.p);
            return -1;
        }
    }
    ps->pos++;
    *out = sb.p;
    return 0;
}

static int parse_number(parser *ps, json_value *out) {
    size_t start = ps->pos;
    int neg = peek(ps) == '-';
    if (neg)
        ps->pos++;
    if (peek(ps) < '0' || peek(ps) > '9')
        return fail(ps, "bad number");
    if (peek(ps) == '0' && ps->pos + 1 < ps->len && ps->text[ps->pos + 1] >= '0' &&
        ps->text[ps->pos + 1] <= '9')
        return fail(ps, "leading zero");
    uint64_t mag = 0;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    while (peek(ps) >= '0' && peek(ps) <= '9') {
        unsigned d = (unsigned)(peek(ps) - '0');
        if (mag > (limit - d) / 10)
            return fail(ps, "integer out of range");
        mag = mag * 10 + d;
        ps->pos++;
    }
    if (peek(ps) == '.' || peek(ps) == 'e' || peek(ps) == 'E') {
        ps->pos = start;
        return fail(ps, "only integers are allowed");
    }
    out->type = JSON_INT;
    out->integer = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return 0;
}

/* Appends a zeroed slot to v's items (and keys, for objects). */
static json_value *grow(json_value *v) {
    json_value *items = realloc(v->items, (v->count + 1) * sizeof *items);
    if (items == NULL)
        return NULL;
    v->items = items;
    if (v->type == JSON_OBJECT) {
        char **keys = realloc(v->keys, (v->count + 1) * sizeof *keys);
        if (keys == NULL)
            return NULL;
        v->keys = keys;
        keys[v->count] = NULL;
    }
    memset(&items[v->count], 0, sizeof items[0]);
    return &items[v->count++];
}

static int parse_member(parser *ps, json_value *obj) {
    char *key = NULL;
    if (parse_string_raw(ps, &key) != 0)
        return -1;
    if (json_get(obj, key) != NULL) {
        fail(ps, "duplicate key \"%s\"", key);
        free(key);
        return -1;
    }
    json_value *slot = grow(obj);
    if (slot == NULL) {
        free(key);
        return fail(ps, "out of memory");
    }
    obj->keys[obj->count - 1] = key;
    if (expect_char(ps, ':') != 0)
        return -1;
    return parse_value(ps, slot);
}

static int parse_element(parser *ps, json_value *arr) {
    json_value *slot = grow(arr);
    if (slot == NULL)
        return fail(ps, "out of memory");
    return parse_value(ps, slot);
}

/* Arrays and objects: open, items separated by commas, close. */
static int parse_container(parser *ps, json_value *out, json_type type) {
    char close = type == JSON_ARRAY ? ']' : '}';
    out->type = type;
    if (++ps->depth > JSON_MAX_DEPTH)
        return fail(ps, "nesting too deep");
    ps->pos++;
    skip_space(ps);
    if (peek(ps) == close) {
        ps->pos++;
        ps->depth--;
        return 0;
    }
    for (;;) {
        skip_space(ps);
        int rc = type == JSON_ARRAY ? parse_element(ps, out) : parse_member(ps, out);
        if (rc != 0)
            return -1;
        skip_space(ps);
        if (peek(ps) == close)
            break;
        if (expect_char(ps, ',') != 0)
            return -1;
    }
    ps->pos++;
    ps->depth--;
    return 0;
}

static int parse_value(parser *ps, json_value *out) {
    skip_space(ps);
    int c = peek(ps);
    switch (c) {
    case '{':
        return parse_container(ps, out, JSON_OBJECT);
    case '[':
        return parse_container(ps, out, JSON_ARRAY);
    case '"':
        out->type = JSON_STRING;
        return parse_string_raw(ps, &out->string);
    case 't':
    case 'f':
        out->type = JSON_BOOL;
        out->boolean = c == 't';
        return expect_word(ps, c == 't' ? "true" : "false");
    case 'n':
        out->type = JSON_NULL;
        return expect_word(ps, "null");
    default:
        if (c == '-' || (c >= '0' && c <= '9'))
            return parse_number(ps, out);
        return fail(ps, c < 0 ? "unexpected end of input" : "unexpected character '%c'", c);
    }
}

int json_parse(const char *text, size_t len, json_value *out, char *err, size_t errlen) {
    parser ps = {text, len, 0, 0, err, errlen};
    memset(out, 0, sizeof *out);
    int rc = parse_value(&ps, out);
    if (rc == 0) {
        skip_space(&ps);
        if (ps.pos != ps.len)
            rc = fail(&ps, "trailing characters");
    }
    if (rc != 0)
        json_free(out);
    return rc;
}

void json_free(json_value *v) {
    for (size_t i = 0; i < v->count; i++) {
        json_free(&v->items[i]);
        if (v->keys != NULL)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->string);
    memset(v, 0, sizeof *v);
}

const json_value *json_get(const json_value *obj, const char *key) {
    if (obj == NULL || obj->type != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->count; i++)
        if (obj->keys[i] != NULL && strcmp(obj->keys[i], key) == 0)
            return &obj->items[i];
    return NULL;
}

const char *json_type_name(json_type type) {
    static const char *const names[] = {"null", "boolean", "integer", "string", "array", "object"};
    return names[type];
}
