/*
 * memfd_secret(2) files (secretmem.h).
 *
 * Global state: `supported` (atomic, an idempotent race: the probe makes
 * and closes one file).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lockcache.h"
#include "secretmem.h"

#ifndef SYS_memfd_secret
#if defined(__x86_64__) || defined(__aarch64__) || defined(__riscv)
#define SYS_memfd_secret 447
#endif
#endif

static atomic_int supported = -1; /* -1: not probed yet */

static int make_file(void) {
#ifdef SYS_memfd_secret
    return (int)syscall(SYS_memfd_secret, (unsigned long)O_CLOEXEC);
#else
    errno = ENOSYS;
    return -1;
#endif
}

int sm__secretmem_supported(void) {
    int s = atomic_load_explicit(&supported, memory_order_relaxed);
    if (s < 0) {
        int fd = make_file();
        s = fd >= 0;
        if (fd >= 0)
            close(fd);
        atomic_store_explicit(&supported, s, memory_order_relaxed);
    }
    return s;
}

int sm__secretmem_file(size_t len) {
    int fd = make_file();
    if (fd < 0)
        return -1;
    if (ftruncate(fd, (off_t)len) != 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

static int map_once(void *addr, size_t len, int prot, int fd, off_t off) {
    void *p = mmap(addr, len, prot, MAP_SHARED | MAP_FIXED, fd, off);
    if (p == MAP_FAILED)
        return -1;
    if (madvise(addr, len, MADV_DONTFORK) != 0) {
        int err = errno;
        (void)sm__reserve(addr, len);
        errno = err;
        return -1;
    }
    return 0;
}

int sm__secretmem_map(void *addr, size_t len, int prot, int fd, off_t off) {
    int rc = map_once(addr, len, prot, fd, off);
    if (rc != 0 && errno == EAGAIN) {
        (void)sm__lock_caches_drain(); /* a cache may hold the lock it needs */
        rc = map_once(addr, len, prot, fd, off);
    }
    return rc;
}

sm_status sm__secretmem_fail(int err) {
    if (err == EAGAIN || err == EPERM)
        return SM_ERR_MLOCK;
    return err == ENOMEM ? SM_ERR_NOMEM : SM_ERR_PROTECT;
}

int sm__reserve(void *addr, size_t len) {
    void *p =
        mmap(addr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? -1 : 0;
}
