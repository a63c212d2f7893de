/*
 * The page pool: guarded slots carved out of large pooled mappings, so a
 * buffer costs no mmap/munmap and no mapping of its own.
 *
 * Layout. A pool region is one anonymous mapping
 *
 *   [G][slot 0][G][slot 1][G] ... [slot K-1][G]
 *
 * whose slots all have one size, its class: 1, 2, 4 ... 512 pages. Every G
 * is a PROT_NONE guard page shared by the slots on either side. A region of
 * n inner pages takes a slot of the smallest class c >= n and uses the LAST
 * n pages of it, so the data still ends exactly at a guard, and the c - n
 * pages in front stay PROT_NONE (more guard). A write one byte past the
 * inner pages, or one byte before them, faults. Free slots are wiped and
 * PROT_NONE; they are unlocked, except those in the slot cache.
 *
 * Mapping count (vm.max_map_count is 65530 by default; one mapping per
 * buffer plus its guards stops libsodium near 16,000 buffers):
 * - A region is written once (its first guard page) before it is ever
 *   split, so every piece of it keeps the same anon_vma, and its flags are
 *   uniform: MADV_DONTDUMP, MADV_WIPEONFORK per fork policy (one set of
 *   regions per policy), and MAP_NORESERVE so that making a slot writable
 *   never adds VM_ACCOUNT (which would keep it apart for good).
 * - A live slot locks its inner pages plus the guard after them with
 *   mlock2(MLOCK_ONFAULT): nothing is populated (a guard never takes RAM),
 *   every page is locked as it is touched, and the lock accounting of
 *   RLIMIT_MEMLOCK sees n + 1 pages. At rest neighbouring live slots and
 *   their guards are all PROT_NONE and locked, so the kernel merges them
 *   back into one mapping after each access: a dense region costs a few
 *   /proc/self/maps lines however many buffers it holds.
 * - Locking per slot (not per region) keeps the lock policy exact: an
 *   allocation fails with SM_ERR_MLOCK, or counts a lock failure, exactly
 *   when its own pages cannot be locked, and a forked child (which does not
 *   inherit locks) locks its own allocations.
 *
 * Fast slots. A protection change inside a merged mapping splits it and
 * merges it back, about three times the cost of changing a whole mapping.
 * So the first region of each class is "fast": each slot is made a
 * mapping of its own (MADV_RANDOM, a read-ahead hint with no effect on
 * locked anonymous memory, differs from the guards' flags), and changes
 * flip whole mappings. It costs 2 maps lines per slot, so it is small
 * (FAST_PAGES / c slots, at least MIN_SLOTS), and allocations prefer it.
 * Later regions are dense.
 *
 * Slot cache. Locking and unlocking a slot costs more than everything
 * else a buffer's life takes (on a 2-vCPU VM, mlock2 + munlock of one page
 * about 5 us, of 258 pages about 90 us), and MADV_FREE makes the next
 * user fault every page in again. So a released slot that was locked and
 * wiped goes into a small cache instead: still locked, resident, wiped and
 * PROT_NONE (a stale pointer still faults). An acquire of the same class
 * and the same number of pages takes it back with one mprotect. The cache
 * holds at most CACHE_PER_CLASS slots per class and fork policy and
 * cache_cap bytes of lock (a quarter of RLIMIT_MEMLOCK as found at first
 * use, at most CACHE_BYTES_MAX); sm_stats.bytes_locked_cached shows it.
 * Whenever a lock fails (here, in pages.c, in the views or the coffer)
 * every cache of locked memory is drained (sm__lock_caches_drain: this one
 * and the views') and the lock tried once more, so a cache never costs an
 * allocation its lock. The retry happens even when this drain found the
 * cache empty: another thread's drain, which this one waited for on
 * pool_lock, may have made the room. A forked child, which inherits no
 * locks, starts with an empty cache.
 *
 * Counters (sm_stats). mapped_bytes counts each live slot with its guard
 * (c + 1 pages), bytes_locked what each live slot locked (n + 1 pages),
 * so both return to their old values when a buffer is freed; the pool's
 * free capacity is in neither (sm__pool_info reports it).
 *
 * Giving memory back. Regions are never unmapped: the fault path
 * (sm__registry_wipe_all) may wipe a released slot, and a pooled address
 * stays ours, so it never hits someone else's mapping. A slot of 16 pages
 * or more is MADV_FREE'd when it is released; a dense region that becomes
 * empty, while another region of its class has room, is MADV_DONTNEED'd.
 *
 * Secretmem (SM_BACKEND_SECRETMEM). A third set of regions: each is an
 * inaccessible anonymous reservation with the same layout, plus a
 * memfd_secret file as long as the region. A slot taken from it maps its
 * inner pages and the guard after them from the file, at the slot's own
 * offset (PROT_NONE, MADV_DONTFORK), then makes the inner pages
 * read-write: the mapping is the lock (the kernel counts n + 1 pages, as
 * for a locked anonymous slot), and live slots at rest merge into one
 * mapping just the same (consecutive offsets of one file, same flags). A
 * released slot goes to the slot cache still mapped, or the reservation
 * is put back over it (sm__reserve); the file keeps its wiped pages, which
 * cannot be given back (a secretmem file cannot be truncated), so such a
 * region is never trimmed. A forked child has none of these mappings: it
 * drops the set and closes the files (holes.c reserves the addresses).
 *
 * Where mlock2 is missing (kernels before 4.4, valgrind) a slot locks only
 * its inner pages with mlock: still locked, but live slots stay apart from
 * their guards, two mappings each. `no_mlock2` (atomic) remembers that.
 *
 * Lock: `pool_lock` guards `classes`, every region's free stack, `nfree`,
 * `listed` and `trimming`, the counters in `totals`, and the slot cache
 * (`caches`, `cache_bytes`); `cache_cap` is written once under
 * pthread_once before any use; `fork_gen` (atomic) counts the forks this
 * process descends from, so a slot locked before a fork is never cached;
 * `secret_regions` lists the secretmem regions (their files). It is a leaf: held
 * for O(1) bookkeeping, and while a region is made (mmap, madvise,
 * mprotect) or trimmed (madvise); nothing else is taken while it is held
 * and nothing is called back. mlock2, mprotect and the wipe of a slot run
 * without it (the slot is owned by one caller then), except that a cache
 * drain munlocks the cached slots under it. The coffer may call the drain
 * with its co.mu held: co.mu -> pool_lock. The fork handlers take it
 * before fork() and release it in both processes (the child empties its
 * cache first).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "config.h"
#include "holes.h"
#include "lockcache.h"
#include "pool.h"
#include "secretmem.h"
#include "stats.h"
#include "status.h"

#define CLASS_COUNT     10u   /* slot sizes 1, 2, 4 ... 512 pages */
#define DENSE_PAGES     2048u /* a dense region spans about this many pages */
#define FAST_PAGES      64u   /* slot pages of the fast region of a class */
#define MIN_SLOTS       4u
#define FREE_CLASS      4u                /* slots of 16 pages and up are MADV_FREE'd on release */
#define CACHE_PER_CLASS 4u                /* released slots kept locked, per class and set */
#define CACHE_BYTES_MAX ((size_t)4 << 20) /* lock the cache may keep, at most */

typedef struct region {
    struct region *next;    /* next dense region of the class with a free slot */
    struct region *next_fd; /* SET_SECRET: the next region with a file; pool_lock */
    uint8_t *base;
    size_t len;
    uint32_t slots;
    uint32_t nfree;     /* pool_lock */
    uint32_t *free_idx; /* stack of free slot indexes; pool_lock */
    unsigned cls;
    int set; /* which set of classes it belongs to (SET_*) */
    int fd;  /* SET_SECRET: the region's secretmem file; else -1 */
    int fast;
    int listed;   /* in its class's avail list; pool_lock */
    int trimming; /* out of the list while its pages are given back; pool_lock */
} region;

typedef struct pool_class {
    region *fast;  /* the fast region; NULL until first use */
    region *avail; /* dense regions with a free slot, allocations take the head */
} pool_class;

/* A released slot kept locked, wiped and PROT_NONE for the next acquire. */
typedef struct cached_slot {
    region *g;
    uint32_t idx;
    size_t pages;      /* inner pages it is locked for */
    size_t locked_len; /* bytes locked from its inner pages on */
} cached_slot;

typedef struct slot_cache {
    cached_slot slot[CACHE_PER_CLASS];
    unsigned n;
} slot_cache;

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
/*
 * Sets of regions: anonymous memory inherited by a child (SM_FORK_KEEP), or
 * wiped for it (MADV_WIPEONFORK), and secretmem (SM_BACKEND_SECRETMEM).
 */
enum { SET_KEEP, SET_WIPE, SET_SECRET, SET_COUNT };

static pool_class classes[SET_COUNT][CLASS_COUNT]; /* [set][class]; pool_lock */
static sm_pool_info totals;                        /* pool_lock (slots_* computed on read) */
static size_t slots_total, slots_free;             /* pool_lock */
static slot_cache caches[SET_COUNT][CLASS_COUNT];  /* [set][class]; pool_lock */
static size_t cache_bytes;                         /* lock held by cached slots; pool_lock */
static region *secret_regions;                     /* every SET_SECRET region; pool_lock */
static size_t cache_cap;                           /* written once (pool_once) */
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static atomic_int no_mlock2; /* set once mlock2 was refused (idempotent race) */
static atomic_uint fork_gen; /* bumped in each forked child: locks made before are gone */

static void give_back_cached_locked(int unlock);

static void fork_prepare(void) {
    pthread_mutex_lock(&pool_lock);
}

static void fork_parent(void) {
    pthread_mutex_unlock(&pool_lock);
}

/*
 * The child inherited no locks: its cached slots are plain free slots. It
 * has no secretmem mappings at all (MADV_DONTFORK; holes.c reserves their
 * addresses): those regions are dropped, and their slots report lost
 * (sm__pages_lost).
 */
static void fork_child(void) {
    atomic_fetch_add_explicit(&fork_gen, 1, memory_order_relaxed);
    give_back_cached_locked(0);
    memset(classes[SET_SECRET], 0, sizeof classes[SET_SECRET]);
    for (region *g = secret_regions; g != NULL; g = g->next_fd)
        close(g->fd);
    secret_regions = NULL;
    pthread_mutex_unlock(&pool_lock);
}

static void pool_init(void) {
    struct rlimit rl;
    sm__holes_init(); /* its fork handlers first: fork() takes pool_lock, then holes_lock */
    cache_cap = CACHE_BYTES_MAX;
    if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur / 4 < cache_cap)
        cache_cap = (size_t)(rl.rlim_cur / 4);
    (void)pthread_atfork(fork_prepare, fork_parent, fork_child);
}

static size_t page(void) {
    return sm_page_size();
}

static unsigned class_of(size_t pages) {
    unsigned cls = 0;
    while (((size_t)1 << cls) < pages)
        cls++;
    return cls;
}

static size_t class_pages(unsigned cls) {
    return (size_t)1 << cls;
}

static uint8_t *slot_at(const region *g, uint32_t idx) {
    return g->base + (1 + (size_t)idx * (class_pages(g->cls) + 1)) * page();
}

/* ------------------------------------------------------------------ */
/* Making regions (pool_lock held)                                     */
/* ------------------------------------------------------------------ */

static uint32_t region_slots(unsigned cls, int fast) {
    size_t c = class_pages(cls);
    size_t n = fast ? FAST_PAGES / c : DENSE_PAGES / (c + 1);
    return n < MIN_SLOTS ? MIN_SLOTS : (uint32_t)n;
}

/* One mapping, written once before any split, uniform flags, PROT_NONE. */
static sm_status map_anon(size_t len, int wipe, uint8_t **out) {
    void *p =
        mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return sm__fail(SM_ERR_NOMEM, errno);
    *(volatile uint8_t *)p = 0; /* the one fault that gives the whole mapping its anon_vma */
    (void)madvise(p, len, MADV_DONTDUMP);
    sm_status st = SM_OK;
    if (wipe && madvise(p, len, MADV_WIPEONFORK) != 0)
        st = sm__fail(SM_ERR_UNSUPPORTED, errno);
    else if (mprotect(p, len, PROT_NONE) != 0)
        st = sm__fail(errno == ENOMEM ? SM_ERR_NOMEM : SM_ERR_PROTECT, errno);
    if (st != SM_OK) {
        munmap(p, len);
        return st;
    }
    *out = p;
    return SM_OK;
}

/*
 * A secretmem region: an inaccessible reservation, and a secretmem file of
 * the same size from which each slot is mapped while it is live
 * (map_secret_slot). The reservation's addresses are kept in a child.
 */
static sm_status map_secret(size_t len, uint8_t **out, int *fd) {
    void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return sm__fail(SM_ERR_NOMEM, errno);
    *fd = sm__secretmem_file(len);
    sm_status st = *fd >= 0 ? sm__holes_track(p, len) : sm__fail(SM_ERR_UNSUPPORTED, errno);
    if (st != SM_OK) {
        if (*fd >= 0)
            close(*fd);
        munmap(p, len);
        return st;
    }
    *out = p;
    return SM_OK;
}

static sm_status map_pool(size_t len, int set, uint8_t **out, int *fd) {
    *fd = -1;
    return set == SET_SECRET ? map_secret(len, out, fd) : map_anon(len, set == SET_WIPE, out);
}

/* Makes every slot of g a mapping of its own; a failure only costs speed. */
static void make_fast(region *g) {
    for (uint32_t i = 0; i < g->slots; i++)
        (void)madvise(slot_at(g, i), class_pages(g->cls) * page(), MADV_RANDOM);
}

static region *region_new(unsigned cls, int fast, int set, sm_status *st) {
    region *g = calloc(1, sizeof *g);
    uint32_t n = region_slots(cls, fast);
    uint32_t *stack = calloc(n, sizeof *stack);
    *st = SM_ERR_NOMEM;
    if (g != NULL && stack != NULL) {
        g->len = (1 + (size_t)n * (class_pages(cls) + 1)) * page();
        *st = map_pool(g->len, set, &g->base, &g->fd);
    }
    if (*st != SM_OK) {
        free(stack);
        free(g);
        return NULL;
    }
    g->slots = g->nfree = n;
    g->free_idx = stack;
    g->cls = cls;
    g->set = set;
    g->fast = fast;
    for (uint32_t k = 0; k < n; k++)
        stack[k] = n - 1 - k;      /* slot 0 on top: low addresses first */
    if (fast && set != SET_SECRET) /* secretmem slots are made fast when mapped */
        make_fast(g);
    if (set == SET_SECRET) {
        g->next_fd = secret_regions;
        secret_regions = g;
    }
    totals.regions++;
    totals.fast_regions += (size_t)fast;
    slots_total += n;
    slots_free += n;
    return g;
}

/* ------------------------------------------------------------------ */
/* Slots (pool_lock held)                                              */
/* ------------------------------------------------------------------ */

static uint32_t pop_slot(region *g) {
    slots_free--;
    return g->free_idx[--g->nfree];
}

static void unlist_head(pool_class *pc) {
    region *g = pc->avail;
    pc->avail = g->next;
    g->next = NULL;
    g->listed = 0;
}

static void list_front(pool_class *pc, region *g) {
    g->next = pc->avail;
    pc->avail = g;
    g->listed = 1;
}

/* A free slot of the class: the fast region first, then a dense one. */
static sm_status take_slot(unsigned cls, int set, region **out, uint32_t *idx) {
    pool_class *pc = &classes[set][cls];
    sm_status st = SM_OK;
    if (pc->fast == NULL && (pc->fast = region_new(cls, 1, set, &st)) == NULL)
        return st;
    if (pc->fast->nfree > 0) {
        *out = pc->fast;
        *idx = pop_slot(pc->fast);
        return SM_OK;
    }
    if (pc->avail == NULL) {
        region *g = region_new(cls, 0, set, &st);
        if (g == NULL)
            return st;
        list_front(pc, g);
    }
    *out = pc->avail;
    *idx = pop_slot(pc->avail);
    if (pc->avail->nfree == 0)
        unlist_head(pc);
    return SM_OK;
}

/* Returns idx to g; 1 when g is now an empty dense region worth trimming. */
static int give_slot(pool_class *pc, region *g, uint32_t idx) {
    g->free_idx[g->nfree++] = idx;
    slots_free++;
    if (g->fast || g->trimming)
        return 0;
    if (!g->listed)
        list_front(pc, g);
    if (g->nfree != g->slots || pc->avail == g || g->fd >= 0)
        return 0; /* allocations go to the head: keep its pages; a file's cannot go */
    return 1;
}

static void unlist(pool_class *pc, region *g) {
    region **at = &pc->avail;
    while (*at != g)
        at = &(*at)->next;
    *at = g->next;
    g->next = NULL;
    g->listed = 0;
}

/* Gives an empty dense region's pages back to the kernel, out of the list. */
static void trim(pool_class *pc, region *g) {
    unlist(pc, g);
    g->trimming = 1;
    pthread_mutex_unlock(&pool_lock);
    (void)madvise(g->base, g->len, MADV_DONTNEED);
    pthread_mutex_lock(&pool_lock);
    g->trimming = 0;
    totals.trims++;
    if (!g->listed)
        list_front(pc, g);
}

/* ------------------------------------------------------------------ */
/* The slot cache (pool_lock held)                                     */
/* ------------------------------------------------------------------ */

static uint8_t *cached_inner(const cached_slot *e) {
    return slot_at(e->g, e->idx) + (class_pages(e->g->cls) - e->pages) * page();
}

/*
 * Gives up a wiped slot's lock: anonymous memory is unlocked (and a large
 * slot's pages given back with MADV_FREE); a secretmem slot is unmapped,
 * the reservation put back over it (its file keeps the wiped pages).
 */
static void let_go(const region *g, uint8_t *inner, size_t inner_len, size_t locked_len) {
    if (g->fd >= 0) {
        (void)sm__reserve(inner, locked_len);
        return;
    }
    (void)munlock(inner, locked_len);
    if (g->cls >= FREE_CLASS)
        (void)madvise(inner, inner_len, MADV_FREE);
}

/* Keeps a released slot that is locked and wiped; 0 when there is no room. */
static int cache_put(const sm_region *r) {
    region *g = r->pool;
    slot_cache *c = &caches[g->set][g->cls];
    if (c->n == CACHE_PER_CLASS || r->locked_len > cache_cap - cache_bytes)
        return 0;
    c->slot[c->n++] = (cached_slot){g, r->slot, r->inner_len / page(), r->locked_len};
    cache_bytes += r->locked_len;
    sm__stat_sub(SM_CTR_BYTES_LOCKED, r->locked_len);
    sm__stat_add(SM_CTR_BYTES_LOCKED_CACHED, r->locked_len);
    return 1;
}

/* Takes the newest cached slot of exactly `pages` inner pages; 0 if none. */
static int cache_take(unsigned cls, int set, size_t pages, cached_slot *out) {
    slot_cache *c = &caches[set][cls];
    for (unsigned i = c->n; i-- > 0;) {
        if (c->slot[i].pages != pages)
            continue;
        *out = c->slot[i];
        c->slot[i] = c->slot[--c->n];
        cache_bytes -= out->locked_len;
        sm__stat_sub(SM_CTR_BYTES_LOCKED_CACHED, out->locked_len);
        sm__stat_add(SM_CTR_BYTES_LOCKED, out->locked_len);
        return 1;
    }
    return 0;
}

/*
 * Empties the cache into the free stacks. unlock = 1: munlock each slot,
 * give large ones back with MADV_FREE and trim regions left empty, as a
 * release would. unlock = 0 (a forked child: nothing is locked there, and
 * the child must not wait): bookkeeping only.
 */
static void give_back_cached_locked(int unlock) {
    for (int w = 0; w < SET_COUNT; w++) {
        for (unsigned cls = 0; cls < CLASS_COUNT; cls++) {
            slot_cache *c = &caches[w][cls];
            while (c->n > 0) {
                cached_slot e = c->slot[--c->n];
                cache_bytes -= e.locked_len;
                sm__stat_sub(SM_CTR_BYTES_LOCKED_CACHED, e.locked_len);
                if (unlock)
                    let_go(e.g, cached_inner(&e), e.pages * page(), e.locked_len);
                if (give_slot(&classes[w][cls], e.g, e.idx) && unlock)
                    trim(&classes[w][cls], e.g); /* drops pool_lock for a while */
            }
        }
    }
}

size_t sm__pool_cache_drain(void) {
    sm__pool_init(); /* its fork handlers before the first use of pool_lock */
    pthread_mutex_lock(&pool_lock);
    size_t had = cache_bytes;
    give_back_cached_locked(1);
    pthread_mutex_unlock(&pool_lock);
    return had;
}

/* ------------------------------------------------------------------ */
/* Opening and closing a slot (no lock: the caller owns the slot)      */
/* ------------------------------------------------------------------ */

/*
 * mlock2 with MLOCK_ONFAULT, or -1 with errno ENOSYS once the kernel (or a
 * tool such as valgrind) turned it down: then each slot locks only its
 * inner pages with mlock, and live slots no longer merge with their guards.
 */
static int lock_onfault(void *p, size_t len) {
    if (atomic_load_explicit(&no_mlock2, memory_order_relaxed)) {
        errno = ENOSYS;
        return -1;
    }
    int rc = mlock2(p, len, MLOCK_ONFAULT);
    if (rc != 0 && (errno == ENOSYS || errno == EINVAL)) {
        atomic_store_explicit(&no_mlock2, 1, memory_order_relaxed);
        errno = ENOSYS;
    }
    return rc;
}

int sm__pool_merges_guards(void) {
    return !atomic_load_explicit(&no_mlock2, memory_order_relaxed);
}

/* Locks the inner pages and the guard after them, per the lock policy. */
static sm_status lock_slot(sm_region *r) {
    sm_lock_policy policy = sm__lock_policy();
    if (policy == SM_LOCK_OFF)
        return SM_OK;
    size_t len = r->inner_len + page();
    int rc = lock_onfault(r->inner, len);
    if (rc != 0 && errno != ENOSYS) {
        (void)sm__lock_caches_drain(); /* a cache may hold the lock it needs */
        rc = lock_onfault(r->inner, len);
    }
    if (rc != 0 && errno == ENOSYS) {
        len = r->inner_len; /* no mlock2: lock (and populate) the inner pages only */
        rc = mlock(r->inner, len);
        if (rc != 0) {
            (void)sm__lock_caches_drain();
            rc = mlock(r->inner, len);
        }
    }
    if (rc == 0) {
        r->locked = 1;
        r->locked_len = len;
        r->lock_gen = atomic_load_explicit(&fork_gen, memory_order_relaxed);
        sm__stat_add(SM_CTR_BYTES_LOCKED, len);
        return SM_OK;
    }
    if (policy == SM_LOCK_STRICT)
        return sm__fail(SM_ERR_MLOCK, errno);
    sm__stat_add(SM_CTR_LOCK_FAILURES, 1);
    return SM_OK;
}

unsigned sm__pool_fork_gen(void) {
    sm__pool_init();
    return atomic_load_explicit(&fork_gen, memory_order_relaxed);
}

sm_status sm__pool_lock(sm_region *r) {
    return lock_slot(r);
}

/* Gives up a slot's lock (let_go); an unlocked large slot's pages go back too. */
static void unlock_slot(sm_region *r) {
    const region *g = r->pool;
    if (!r->locked) {
        if (g->fd < 0 && g->cls >= FREE_CLASS)
            (void)madvise(r->inner, r->inner_len, MADV_FREE);
        return;
    }
    let_go(g, r->inner, r->inner_len, r->locked_len);
    sm__stat_sub(SM_CTR_BYTES_LOCKED, r->locked_len);
    r->locked = 0;
}

/*
 * Maps a secretmem slot from its region's file (at the slot's own offset,
 * so neighbours merge): the inner pages and the guard after them, which
 * is how much the kernel counts as locked, PROT_NONE, then the inner pages
 * read-write. The lock policy does not apply: secretmem is always locked,
 * and a slot past the limit is SM_ERR_MLOCK.
 */
static sm_status map_secret_slot(sm_region *r, const region *g) {
    size_t len = r->inner_len + page();
    if (sm__secretmem_map(r->inner, len, PROT_NONE, g->fd, (off_t)(r->inner - g->base)) != 0)
        return sm__fail(sm__secretmem_fail(errno), errno);
    if (g->fast)
        (void)madvise(r->inner, len, MADV_RANDOM); /* a mapping of its own (make_fast) */
    if (mprotect(r->inner, r->inner_len, PROT_READ | PROT_WRITE) != 0) {
        int err = errno;
        (void)sm__reserve(r->inner, len);
        return sm__fail(err == ENOMEM ? SM_ERR_NOMEM : SM_ERR_PROTECT, err);
    }
    r->locked = 1;
    r->locked_len = len;
    r->lock_gen = atomic_load_explicit(&fork_gen, memory_order_relaxed);
    sm__stat_add(SM_CTR_BYTES_LOCKED, len);
    return SM_OK;
}

static sm_status open_slot(sm_region *r) {
    const region *g = r->pool;
    if (g->fd >= 0)
        return map_secret_slot(r, g);
    if (mprotect(r->inner, r->inner_len, PROT_READ | PROT_WRITE) != 0)
        return sm__fail(errno == ENOMEM ? SM_ERR_NOMEM : SM_ERR_PROTECT, errno);
    sm_status st = lock_slot(r);
    if (st != SM_OK)
        (void)mprotect(r->inner, r->inner_len, PROT_NONE);
    return st;
}

static void put_back(region *g, uint32_t idx) {
    pool_class *pc = &classes[g->set][g->cls];
    pthread_mutex_lock(&pool_lock);
    if (give_slot(pc, g, idx))
        trim(pc, g);
    pthread_mutex_unlock(&pool_lock);
}

/* A cached slot is locked and populated already: it only needs opening. */
static sm_status reopen_cached(sm_region *r, size_t locked_len) {
    r->locked = 1;
    r->locked_len = locked_len;
    r->lock_gen = atomic_load_explicit(&fork_gen, memory_order_relaxed);
    if (mprotect(r->inner, r->inner_len, PROT_READ | PROT_WRITE) == 0)
        return SM_OK;
    sm_status st = sm__fail(errno == ENOMEM ? SM_ERR_NOMEM : SM_ERR_PROTECT, errno);
    unlock_slot(r);
    return st;
}

static void fill_region(region *g, uint32_t idx, size_t pages, sm_region *out) {
    size_t c = class_pages(g->cls);
    uint8_t *slot = slot_at(g, idx);
    out->inner = slot + (c - pages) * page();
    out->inner_len = pages * page();
    out->base = slot;
    out->total = (c + 1) * page();
    out->pool = g;
    out->slot = idx;
    out->secret = g->fd >= 0;
}

void sm__pool_init(void) {
    (void)pthread_once(&pool_once, pool_init);
}

sm_status sm__pool_acquire(size_t pages, sm_region *out) {
    sm__pool_init();
    unsigned cls = class_of(pages);
    int set = sm__backend_take() == SM_BACKEND_SECRETMEM ? SET_SECRET
              : sm__fork_policy() == SM_FORK_WIPE        ? SET_WIPE
                                                         : SET_KEEP;
    int use_cache = sm__lock_policy() != SM_LOCK_OFF;
    cached_slot hit;
    region *g = NULL;
    uint32_t idx = 0;
    pthread_mutex_lock(&pool_lock);
    if (!use_cache && cache_bytes > 0)
        give_back_cached_locked(1); /* locking was turned off: keep no locks */
    int cached = use_cache && cache_take(cls, set, pages, &hit);
    sm_status st = cached ? SM_OK : take_slot(cls, set, &g, &idx);
    pthread_mutex_unlock(&pool_lock);
    if (st != SM_OK)
        return st;
    if (cached) {
        g = hit.g;
        idx = hit.idx;
    }
    fill_region(g, idx, pages, out);
    st = cached ? reopen_cached(out, hit.locked_len) : open_slot(out);
    if (st != SM_OK) {
        put_back(g, idx);
        return st;
    }
    sm__stat_add(SM_CTR_MAPPED_BYTES, out->total);
    return SM_OK;
}

/*
 * Keeps a released, wiped slot locked in the cache when there is room. A
 * slot locked before a fork is not locked in the child: never kept there.
 */
static int cache_keep(sm_region *r) {
    if (!r->locked || r->lock_gen != atomic_load_explicit(&fork_gen, memory_order_relaxed) ||
        sm__lock_policy() == SM_LOCK_OFF)
        return 0;
    pthread_mutex_lock(&pool_lock);
    int kept = cache_put(r);
    pthread_mutex_unlock(&pool_lock);
    if (kept)
        r->locked = 0; /* the cache owns the lock now */
    return kept;
}

void sm__pool_release(sm_region *r, int wiped) {
    region *g = r->pool;
    (void)mprotect(r->inner, r->inner_len, PROT_NONE);
    sm__stat_sub(SM_CTR_MAPPED_BYTES, r->total);
    if (!wiped)
        return; /* never reused, and still locked: the bytes may be secret */
    if (cache_keep(r))
        return;
    unlock_slot(r);
    put_back(g, r->slot);
}

void sm__pool_info(sm_pool_info *out) {
    sm__pool_init();
    pthread_mutex_lock(&pool_lock);
    *out = totals;
    size_t cached = 0;
    for (int w = 0; w < SET_COUNT; w++)
        for (unsigned cls = 0; cls < CLASS_COUNT; cls++)
            cached += caches[w][cls].n;
    out->slots_free = slots_free;
    out->slots_cached = cached;
    out->slots_used = slots_total - slots_free - cached;
    out->cache_bytes = cache_bytes;
    out->cache_cap = cache_cap;
    pthread_mutex_unlock(&pool_lock);
}
