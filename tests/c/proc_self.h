/*
 * What this process looks like to the kernel, and dropping CAP_IPC_LOCK:
 * shared by the C tests (harness.h) and the benchmark (bench/scale.c).
 * Header-only, no dependency on the library.
 */
#ifndef SM_PROC_SELF_H
#define SM_PROC_SELF_H

#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A "Key: N kB" field of /proc/self/status (key with its colon); 0 if absent. */
static inline size_t status_kb(const char *key) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t v = 0, klen = strlen(key);
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, key, klen) == 0)
            v = (size_t)strtoull(line + klen, NULL, 10);
    if (f != NULL)
        fclose(f);
    return v;
}

/* Lines in /proc/self/maps: the process's memory mappings. */
static inline size_t maps_lines(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    size_t n = 0;
    int ch;
    while (f != NULL && (ch = fgetc(f)) != EOF)
        n += ch == '\n';
    if (f != NULL)
        fclose(f);
    return n;
}

/* Drops CAP_IPC_LOCK (root ignores RLIMIT_MEMLOCK while it holds it). 0 on success. */
static inline int drop_ipc_lock(void) {
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capget, &hdr, data) != 0)
        return -1;
    unsigned idx = CAP_IPC_LOCK / 32, bit = 1u << (CAP_IPC_LOCK % 32);
    data[idx].effective &= ~bit;
    data[idx].permitted &= ~bit;
    data[idx].inheritable &= ~bit;
    return (int)syscall(SYS_capset, &hdr, data);
}

#endif
