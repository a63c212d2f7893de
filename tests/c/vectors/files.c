/* Directory listing and file reading for the runner. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"

/* A vector file: "*.json", but not the JSON Schema that sits beside them. */
static int is_vector_name(const char *name) {
    size_t n = strlen(name);
    return n > 5 && strcmp(name + n - 5, ".json") == 0 && name[0] != '.' &&
           strcmp(name, "schema.json") != 0;
}

static int cmp_paths(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_path(file_list *list, const char *dir, const char *name, diag *d) {
    char **paths = realloc(list->paths, (list->count + 1) * sizeof *paths);
    if (paths == NULL)
        return diag_fail(d, "out of memory");
    list->paths = paths;
    size_t n = strlen(dir) + strlen(name) + 2;
    list->paths[list->count] = malloc(n);
    if (list->paths[list->count] == NULL)
        return diag_fail(d, "out of memory");
    snprintf(list->paths[list->count++], n, "%s/%s", dir, name);
    return 0;
}

int files_list(const char *dir, file_list *out, diag *d) {
    memset(out, 0, sizeof *out);
    DIR *dh = opendir(dir);
    if (dh == NULL)
        return diag_fail(d, "cannot open directory %s: %s", dir, strerror(errno));
    int rc = 0;
    struct dirent *ent;
    while (rc == 0 && (ent = readdir(dh)) != NULL)
        if (is_vector_name(ent->d_name) && ent->d_type != DT_DIR)
            rc = add_path(out, dir, ent->d_name, d);
    closedir(dh);
    if (rc != 0) {
        files_free(out);
        return -1;
    }
    /* One directory: sorting full paths sorts the file names. */
    if (out->count > 1)
        qsort(out->paths, out->count, sizeof out->paths[0], cmp_paths);
    return 0;
}

void files_free(file_list *list) {
    for (size_t i = 0; i < list->count; i++)
        free(list->paths[i]);
    free(list->paths);
    memset(list, 0, sizeof *list);
}

int files_read(const char *path, char **text, size_t *len, diag *d) {
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return diag_fail(d, "cannot open %s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        n += fread(buf + n, 1, cap - 1 - n, f);
        if (n < cap - 1)
            break;
        char *bigger = realloc(buf, cap * 2);
        if (bigger == NULL)
            free(buf);
        buf = bigger;
        cap *= 2;
    }
    int bad = buf == NULL || ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return diag_fail(d, "cannot read %s", path);
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

void files_stem(const char *path, char *out, size_t outlen) {
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".json") == 0)
        n -= 5;
    snprintf(out, outlen, "%.*s", (int)n, base);
}
