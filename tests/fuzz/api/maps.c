/* A snapshot of /proc/self/maps: address ranges and their protection. */
#include <stdint.h>
#include <stdio.h>

#include "fuzz_check.h"
#include "maps.h"

#define MAPS_MAX 8192

static struct {
    uintptr_t start[MAPS_MAX], end[MAPS_MAX];
    signed char prot[MAPS_MAX];
    size_t n;
} maps;

int maps_snapshot(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    maps.n = 0;
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long start, end;
        char perms[5];
        if (sscanf(line, "%lx-%lx %4s", &start, &end, perms) != 3)
            continue;
        FUZZ_CHECK(maps.n < MAPS_MAX, "more than %d mappings", MAPS_MAX);
        maps.start[maps.n] = start;
        maps.end[maps.n] = end;
        maps.prot[maps.n++] = perms[1] == 'w'   ? SM_PROT_READWRITE
                              : perms[0] == 'r' ? SM_PROT_READ
                                                : SM_PROT_NONE;
    }
    fclose(f);
    return 0;
}

int maps_prot(const void *p) {
    uintptr_t at = (uintptr_t)p;
    for (size_t i = 0; i < maps.n; i++) /* sorted by address: the kernel lists them so */
        if (at >= maps.start[i] && at < maps.end[i])
            return maps.prot[i];
    return -1;
}
