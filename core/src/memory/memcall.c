/*
 * Memory calls: thin, checked wrappers over the kernel's page interfaces.
 * Each maps kernel errors to a status and records errno (sm_last_errno).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "config.h"
#include "pages.h"
#include "registers.h"
#include "securememory.h"
#include "status.h"

static atomic_size_t page_size_cache; /* 0 until first read; idempotent race */

size_t sm_page_size(void) {
    size_t ps = atomic_load_explicit(&page_size_cache, memory_order_relaxed);
    if (ps == 0) {
        long v = sysconf(_SC_PAGESIZE);
        ps = v > 0 ? (size_t)v : 4096;
        atomic_store_explicit(&page_size_cache, ps, memory_order_relaxed);
    }
    return ps;
}

size_t sm__pages_round(size_t len) {
    size_t ps = sm_page_size();
    if (len == 0 || len > SIZE_MAX - (ps - 1))
        return 0;
    return (len + ps - 1) & ~(ps - 1);
}

static int page_aligned(const void *p) {
    return ((uintptr_t)p & (sm_page_size() - 1)) == 0;
}

static int valid_range(const void *p, size_t len) {
    return p != NULL && len > 0 && page_aligned(p) && sm__pages_round(len) != 0;
}

sm_status sm_mem_alloc(size_t len, void **out) {
    if (out == NULL)
        return SM_ERR_INVALID;
    *out = NULL;
    size_t total = sm__pages_round(len);
    if (len == 0 || total == 0)
        return SM_ERR_INVALID;
    void *p = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return sm__fail(SM_ERR_NOMEM, errno);
    if (sm__fork_policy() == SM_FORK_WIPE && madvise(p, total, MADV_WIPEONFORK) != 0) {
        int err = errno;
        munmap(p, total);
        return sm__fail(SM_ERR_UNSUPPORTED, err);
    }
    *out = p;
    return SM_OK;
}

sm_status sm_mem_free(void *p, size_t len) {
    if (!valid_range(p, len))
        return SM_ERR_INVALID;
    size_t total = sm__pages_round(len);
    if (mprotect(p, total, PROT_READ | PROT_WRITE) != 0)
        return sm__fail(SM_ERR_PROTECT, errno);
    sm_wipe(p, total);
    if (munmap(p, total) != 0)
        return sm__fail(SM_ERR_NOMEM, errno);
    return SM_OK;
}

sm_status sm_mem_lock(void *p, size_t len) {
    if (!valid_range(p, len))
        return SM_ERR_INVALID;
    if (mlock(p, len) != 0)
        return sm__fail(errno == EINVAL ? SM_ERR_INVALID : SM_ERR_MLOCK, errno);
    /* Excluding from core dumps is best effort on kernels without it. */
    (void)madvise(p, sm__pages_round(len), MADV_DONTDUMP);
    return SM_OK;
}

sm_status sm_mem_unlock(void *p, size_t len) {
    if (!valid_range(p, len))
        return SM_ERR_INVALID;
    if (munlock(p, len) != 0)
        return sm__fail(errno == EINVAL ? SM_ERR_INVALID : SM_ERR_MLOCK, errno);
    (void)madvise(p, sm__pages_round(len), MADV_DODUMP);
    return SM_OK;
}

static int prot_flags(sm_prot prot) {
    switch (prot) {
    case SM_PROT_READ:
        return PROT_READ;
    case SM_PROT_READWRITE:
        return PROT_READ | PROT_WRITE;
    default:
        return PROT_NONE;
    }
}

sm_status sm_mem_protect(void *p, size_t len, sm_prot prot) {
    if (!valid_range(p, len) || (unsigned)prot > SM_PROT_READWRITE)
        return SM_ERR_INVALID;
    if (mprotect(p, len, prot_flags(prot)) != 0)
        return sm__fail(errno == EINVAL ? SM_ERR_INVALID : SM_ERR_PROTECT, errno);
    return SM_OK;
}

void sm_wipe(void *p, size_t len) {
    if (p == NULL || len == 0)
        return;
    memset(p, 0, len);
    /* The compiler must assume the asm reads the zeroed memory: the memset stays. */
    __asm__ __volatile__("" : : "r"(p) : "memory");
}

int sm_equal(const void *a, const void *b, size_t len) {
    if (len == 0)
        return 1;
    if (a == NULL || b == NULL)
        return 0;
    const volatile unsigned char *x = a;
    const volatile unsigned char *y = b;
    unsigned char diff = 0;
    for (size_t i = 0; i < len; i++)
        diff |= (unsigned char)(x[i] ^ y[i]);
    sm__registers_clear(); /* the compared bytes passed through them */
    return diff == 0;
}

sm_status sm_disable_core_dumps(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_CORE, &rl) != 0)
        return sm__fail(SM_ERR_UNSUPPORTED, errno);
    rl.rlim_cur = 0;
    if (setrlimit(RLIMIT_CORE, &rl) != 0)
        return sm__fail(SM_ERR_UNSUPPORTED, errno);
    return SM_OK;
}
