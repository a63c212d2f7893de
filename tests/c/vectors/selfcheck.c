/* Loading and querying the self-check manifest. */
#include <stdlib.h>
#include <string.h>

#include "files.h"
#include "selfcheck.h"

static char *trimmed_copy(const char *start, const char *end) {
    while (start < end && (*start == ' ' || *start == '\t'))
        start++;
    while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    char *s = malloc((size_t)(end - start) + 1);
    if (s != NULL) {
        memcpy(s, start, (size_t)(end - start));
        s[end - start] = '\0';
    }
    return s;
}

static int add_entry(selfcheck *sc, const char *line, const char *end, diag *d) {
    const char *bar = memchr(line, '|', (size_t)(end - line));
    if (bar == NULL)
        return diag_fail(d, "manifest line without '|': %.*s", (int)(end - line), line);
    selfcheck_entry *e = realloc(sc->entries, (sc->count + 1) * sizeof *e);
    if (e == NULL)
        return diag_fail(d, "out of memory");
    sc->entries = e;
    e = &sc->entries[sc->count++];
    e->name = trimmed_copy(line, bar);
    e->fragment = trimmed_copy(bar + 1, end);
    e->used = 0;
    if (e->name == NULL || e->fragment == NULL)
        return diag_fail(d, "out of memory");
    if (e->name[0] == '\0' || e->fragment[0] == '\0')
        return diag_fail(d, "manifest line with an empty name or fragment: %.*s", (int)(end - line),
                         line);
    return 0;
}

int selfcheck_load(const char *path, selfcheck *out, diag *d) {
    char *text = NULL;
    size_t len = 0;
    memset(out, 0, sizeof *out);
    if (files_read(path, &text, &len, d) != 0)
        return -1;
    int rc = 0;
    for (const char *line = text; rc == 0 && *line != '\0';) {
        const char *end = strchr(line, '\n');
        if (end == NULL)
            end = line + strlen(line);
        const char *p = line;
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
            p++;
        if (p < end && *p != '#')
            rc = add_entry(out, line, end, d);
        line = *end == '\n' ? end + 1 : end;
    }
    free(text);
    if (rc != 0)
        selfcheck_free(out);
    return rc;
}

const char *selfcheck_expected(selfcheck *sc, const char *name) {
    for (size_t i = 0; i < sc->count; i++) {
        if (strcmp(sc->entries[i].name, name) == 0) {
            sc->entries[i].used = 1;
            return sc->entries[i].fragment;
        }
    }
    return NULL;
}

void selfcheck_free(selfcheck *sc) {
    for (size_t i = 0; i < sc->count; i++) {
        free(sc->entries[i].name);
        free(sc->entries[i].fragment);
    }
    free(sc->entries);
    memset(sc, 0, sizeof *sc);
}
