/* Results of the C benchmark as JSON lines (see results.h). */
#include <stdio.h>
#include <string.h>

#include "results.h"

static FILE *out;

int results_open(const char *path) {
    out = path == NULL || strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    return out != NULL ? 0 : -1;
}

void results_close(void) {
    if (out != NULL && out != stdout)
        fclose(out);
    out = NULL;
}

/* Writes s as a JSON string (the names here are plain ASCII). */
static void json_str(const char *s) {
    fputc('"', out);
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void field(const char *key, const char *value, int first) {
    fputs(first ? "{" : ", ", out);
    json_str(key);
    fputs(": ", out);
    json_str(value);
}

static void number(const char *key, double v) {
    fputs(", ", out);
    json_str(key);
    fprintf(out, ": %.6g", v);
}

void results_pair(const char *group, const char *name, double ns, const char *anchor,
                  double anchor_ns) {
    field("kind", "pair", 1);
    field("group", group, 0);
    field("name", name, 0);
    number("ns", ns);
    field("anchor", anchor, 0);
    number("anchor_ns", anchor_ns);
    fputs("}\n", out);
    fflush(out);
    fprintf(stderr, "%-14s %-44s %12.0f ns   %-44s %12.0f ns   x%.2f\n", group, name, ns, anchor,
            anchor_ns, anchor_ns > 0 ? ns / anchor_ns : 0);
}

void results_value(const char *group, const char *name, double ns) {
    field("kind", "value", 1);
    field("group", group, 0);
    field("name", name, 0);
    number("ns", ns);
    fputs("}\n", out);
    fflush(out);
    fprintf(stderr, "%-14s %-44s %12.0f ns\n", group, name, ns);
}

void results_scale(const scale_row *r) {
    field("kind", "scale", 1);
    field("who", r->who, 0);
    field("limits", r->limits, 0);
    number("target", (double)r->target);
    number("reached", (double)r->reached);
    number("rss_kb", (double)r->rss_kb);
    number("locked_kb", (double)r->locked_kb);
    number("maps", (double)r->maps);
    number("create_ns", r->create_ns);
    field("stop", r->stop, 0);
    fputs("}\n", out);
    fflush(out);
    fprintf(stderr,
            "scale %-28s %-22s target %8zu reached %8zu rss %8zu kB locked %8zu kB maps %6zu"
            "  %.0f ns/create  %s\n",
            r->who, r->limits, r->target, r->reached, r->rss_kb, r->locked_kb, r->maps,
            r->create_ns, r->stop);
}

void results_note(const char *key, const char *text) {
    field("kind", "note", 1);
    field("key", key, 0);
    field("text", text, 0);
    fputs("}\n", out);
    fflush(out);
    fprintf(stderr, "note %s: %s\n", key, text);
}
