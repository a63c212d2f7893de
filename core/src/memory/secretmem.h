/*
 * Internal: memfd_secret(2) files, the memory of SM_BACKEND_SECRETMEM.
 *
 * A secretmem page is removed from the kernel's direct map when it is
 * faulted in: no one reads it through /proc/<pid>/mem, process_vm_readv or
 * ptrace, root included. A mapping of such a file is always locked (the
 * kernel counts it against RLIMIT_MEMLOCK when it is mapped, guard pages
 * included, and refuses with EAGAIN past the limit) and excluded from core
 * dumps. The file's pages stay allocated until the file is gone, whether
 * mapped or not, and its size can be set only once.
 */
#ifndef SM_SECRETMEM_H
#define SM_SECRETMEM_H

#include <stddef.h>
#include <sys/types.h>

#include "securememory.h"

/* 1 when this kernel makes memfd_secret files (checked once). Thread-safe. */
int sm__secretmem_supported(void);

/* A new secretmem file of len bytes (close-on-exec), or -1 with errno. */
int sm__secretmem_file(size_t len);

/*
 * Maps len bytes of file fd from offset off over [addr, addr+len)
 * (MAP_FIXED, shared), with protection prot, never inherited by fork()
 * (MADV_DONTFORK). A failure past the memory-lock limit drains the lock
 * caches and tries once more. 0, or -1 with errno (the range is then left
 * as it was, or reserved again).
 */
int sm__secretmem_map(void *addr, size_t len, int prot, int fd, off_t off);

/* The status for a failed secretmem map: SM_ERR_MLOCK past the lock limit. */
sm_status sm__secretmem_fail(int err);

/*
 * Puts an inaccessible anonymous reservation (PROT_NONE, MAP_NORESERVE,
 * MAP_FIXED) over [addr, addr+len): unmaps what was there and keeps the
 * addresses the library's. 0 or -1 with errno. Async-signal-safe.
 */
int sm__reserve(void *addr, size_t len);

#endif
