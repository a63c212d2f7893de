/* Loading the vector files of a directory. */
#ifndef SM_VECTORS_FILES_H
#define SM_VECTORS_FILES_H

#include <stddef.h>

#include "vectors.h"

typedef struct file_list {
    char **paths; /* full paths, sorted by file name */
    size_t count;
} file_list;

/* Lists dir's "*.json" files but schema.json (not subdirectories), in byte order. 0 or -1. */
int files_list(const char *dir, file_list *out, diag *d);
void files_free(file_list *list);

/* Reads a whole file into a NUL-terminated heap string. 0 or -1. */
int files_read(const char *path, char **text, size_t *len, diag *d);

/* The file name without directory and ".json" into out. */
void files_stem(const char *path, char *out, size_t outlen);

#endif
