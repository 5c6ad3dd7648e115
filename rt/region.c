/* region.c — region control blocks, their per-thread pools, arena chunks,
 * the reclamation rule and the accounting.
 *
 * region.h has the inline fast paths (bump allocation, region_of,
 * region.new/region.exit of a region that stays in its inline buffer);
 * this file is every slow path: acquiring arena chunks and slot slabs,
 * large objects, regions made or exited on a path the fast code does not
 * cover (first use of a thread, a parent owned by another thread, a region
 * that took chunks or is still referenced), retain/release/tether, the
 * exactly-once reclamation, splicing chunks, and the error-unwinding
 * watermark.
 *
 * Chunks come from 2 MiB slabs mapped with mmap and aligned to
 * OMNI_CHUNK_SIZE; a free chunk goes to its thread's small cache or to the
 * global pool.  Debug and sanitizer builds turn the fast paths off (the
 * pool's fast_key never matches), delay the reuse of control blocks
 * (quarantine) and, under OMNI_SANITIZE, free chunks at once and poison
 * pooled slots, so AddressSanitizer reports any use of reclaimed memory or
 * of a stale Region handle.
 *
 * Threads.  A region belongs to the pool of the thread that made it.  Its
 * owner thread changes external_rc, tether_count and scope_alive without
 * atomic instructions; other threads use the atomic shared_rc.  Whoever
 * sees all four at zero (after a full fence) tries the LIVE→DEAD
 * compare-and-swap, so a region dies exactly once; the memory is then
 * recycled by the owner thread (another thread hands the dead region over
 * through the pool's `remote` stack).
 */
#include "rt_core.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifdef OMNI_SANITIZE
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#if defined(OMNI_DEBUG) || defined(OMNI_SANITIZE)
#define REGION_DEBUG 1
#else
#define REGION_DEBUG 0
#endif

#define SLAB_CHUNKS      32    /* chunks mapped at once */
#define POOL_MAX_CHUNKS  1024  /* beyond this, freed chunks go back to the OS */
#define CACHE_MAX_CHUNKS 16    /* per-thread chunk cache */
#define QUARANTINE_MAX   256   /* debug: freed control blocks wait this long */
#define SLOT_HOT_BYTES   64    /* never poisoned: self, state, id, next_free, ... */
#define INLINE_START(r)  ((char *)(r) + sizeof(Region))
#define SLOT_END(r)      ((char *)(r) + OMNI_SLOT_SIZE)

_Static_assert(sizeof(Region) + 64 <= OMNI_SLOT_SIZE, "slot too small for the control block");
_Static_assert(offsetof(Region, cur) + sizeof(char *) <= SLOT_HOT_BYTES, "hot fields");
_Static_assert(offsetof(Region, end) + sizeof(char *) <= SLOT_HOT_BYTES, "hot fields");
_Static_assert(sizeof(OmniChunk) <= OMNI_SLOT_SIZE, "slab header must fit in slot 0");

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
#ifndef OMNI_SANITIZE
static OmniChunk *g_pool;            /* free arena chunks */
#endif
static uint64_t g_pool_count;
static OmniRegionPool *g_pools;      /* every pool */
static OmniRegionPool *g_orphans;    /* pools of threads that ended */
static uint32_t g_npools;
static pthread_key_t g_pool_key;
static pthread_once_t g_key_once = PTHREAD_ONCE_INIT;
static _Thread_local OmniRegionPool *tl_pool;


static Region *g_global, *g_static;
static pthread_mutex_t g_static_lock = PTHREAD_MUTEX_INITIALIZER;
static Region *g_live;               /* stats mode: every live region */
static bool g_stats;                 /* per-site accounting on */

OmniRetention omni_retention = { 1u << 20, 10000, 10000 };

/* ---- chunk memory ---------------------------------------------------- */

#ifdef OMNI_SANITIZE
static void *chunk_map(size_t size)
{
    void *p = aligned_alloc(OMNI_CHUNK_SIZE, size);
    if (!p)
        omni_raise(NULL, "out of memory (could not get %zu bytes)", size);
    return p;
}
static void chunk_unmap(void *p, size_t size) { (void)size; free(p); }
#else
/* size bytes aligned to OMNI_CHUNK_SIZE: over-map, then trim both ends. */
static void *chunk_map(size_t size)
{
    size_t len = size + OMNI_CHUNK_SIZE;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) /* a user-level failure (e.g. a huge make-array): unwind, don't abort */
        omni_raise(NULL, "out of memory (could not get %zu bytes)", size);
    uintptr_t a = ((uintptr_t)p + OMNI_CHUNK_SIZE - 1) & OMNI_CHUNK_MASK;
    size_t head = a - (uintptr_t)p, tail = len - head - size;
    if (head)
        munmap(p, head);
    if (tail)
        munmap((char *)a + size, tail);
    return (void *)a;
}
static void chunk_unmap(void *p, size_t size) { munmap(p, size); }
#endif

static OmniRegionPool *my_pool(void);

/* Chunk counters live in the calling thread's pool: no atomic instruction
 * per chunk (docs/REGION_ACCOUNTING.md: the process peak is the sum of the
 * threads' peaks, exact for one thread). */
static void count_chunks(OmniRegionPool *hint, int64_t bytes)
{
    /* The region's own pool when this thread owns it (the usual case),
     * else the calling thread's pool. */
    OmniRegionPool *h = hint && omni_load_relaxed_uptr(&hint->owner) == omni_thread_key() ? hint : my_pool();
    int64_t now = h->chunk_bytes_now + bytes;
    omni_store_relaxed_i64(&h->chunk_bytes_now, now);
    if (bytes > 0) {
        omni_store_relaxed_u64(&h->chunks_acquired, h->chunks_acquired + 1);
        if (now > (int64_t)h->chunk_bytes_peak)
            omni_store_relaxed_u64(&h->chunk_bytes_peak, (uint64_t)now);
    }
}

/* A normal-size chunk: the caller's cache if it owns `h`, else the global
 * pool. */
static OmniChunk *chunk_get(OmniRegionPool *h)
{
    OmniChunk *c;
    if (h && omni_load_relaxed_uptr(&h->owner) == omni_thread_key() && h->chunk_cache) {
        c = h->chunk_cache;
        h->chunk_cache = c->next;
        h->nchunk_cache--;
    } else {
#ifndef OMNI_SANITIZE
        pthread_mutex_lock(&g_lock);
        if (!g_pool) {
            char *slab = chunk_map(SLAB_CHUNKS * OMNI_CHUNK_SIZE);
            for (int i = SLAB_CHUNKS - 1; i >= 0; i--) {
                OmniChunk *k = (OmniChunk *)(slab + (size_t)i * OMNI_CHUNK_SIZE);
                k->next = g_pool;
                g_pool = k;
            }
            g_pool_count += SLAB_CHUNKS;
        }
        c = g_pool;
        g_pool = c->next;
        g_pool_count--;
        pthread_mutex_unlock(&g_lock);
#else
        c = chunk_map(OMNI_CHUNK_SIZE);
#endif
    }
    c->size = OMNI_CHUNK_SIZE;
    c->mask = OMNI_CHUNK_MASK;
    c->pool = NULL;
    return c;
}

static void chunk_put(OmniRegionPool *h, OmniChunk *c)
{
    count_chunks(h, -(int64_t)c->size);
    c->region = NULL; /* a stale object now maps to no region */
#ifndef OMNI_SANITIZE
    if (c->size == OMNI_CHUNK_SIZE) {
        if (h && omni_load_relaxed_uptr(&h->owner) == omni_thread_key() && h->nchunk_cache < CACHE_MAX_CHUNKS) {
            c->next = h->chunk_cache;
            h->chunk_cache = c;
            h->nchunk_cache++;
            return;
        }
        pthread_mutex_lock(&g_lock);
        if (g_pool_count < POOL_MAX_CHUNKS) {
            c->next = g_pool;
            g_pool = c;
            g_pool_count++;
            pthread_mutex_unlock(&g_lock);
            return;
        }
        pthread_mutex_unlock(&g_lock);
    }
#else
    (void)h;
#endif
    chunk_unmap(c, c->size);
}

/* ---- pools of control blocks ---------------------------------------------- */

static bool fast_paths_allowed(void)
{
    return !REGION_DEBUG && !g_stats;
}

/* A slot made clean: what the fast region.new expects to find.  Field by
 * field rather than memset: this runs at every reclaim that took the slow
 * path, and a short `rep stos` costs more than the stores. */
static void slot_reset(Region *r)
{
    r->self = r;
    r->cur = r->base = INLINE_START(r);
    r->end = SLOT_END(r);
    r->cur_chunk = r->chunks = NULL;
    r->parent = r->jump = NULL;
    r->scope_alive = r->external_rc = r->tether_count = r->shared_rc = 0;
    r->immortal = r->parent_ref = r->in_live_list = r->no_inline = 0;
    r->borrowed = r->pinned = 0;
    r->rs = NULL;
    r->rs_slot_refs = 0;
    r->loc = NULL;
    r->bytes_retired = r->inline_buf_bytes = r->chunk_count = 0;
    r->escape_repair_count = r->late_bytes = 0;
    r->bytes_held = r->bytes_allocated_peak = OMNI_SLOT_SIZE;
    r->name = NULL;
    r->live_prev = r->live_next = NULL;
}

/* Cuts a fresh chunk into slots for pool h (slot 0 holds the header). */
static void pool_refill(OmniRegionPool *h)
{
    OmniChunk *c = chunk_get(NULL); /* control blocks: not counted as region chunks */
    c->region = NULL;
    c->mask = OMNI_SLOT_MASK;
    c->pool = h;
    c->next = h->slabs;
    h->slabs = c;
    size_t n = OMNI_CHUNK_SIZE / OMNI_SLOT_SIZE;
    for (size_t i = n - 1; i >= 1; i--) {
        Region *r = (Region *)((char *)c + i * OMNI_SLOT_SIZE);
        r->home = r->kids = h;
        r->state = OMNI_REGION_DEAD;
        slot_reset(r);
        r->next_free = h->free;
        h->free = r;
        if (REGION_DEBUG)
            POISON((char *)r + SLOT_HOT_BYTES, OMNI_SLOT_SIZE - SLOT_HOT_BYTES);
    }
}

static void pool_orphan(void *p)
{
    OmniRegionPool *h = p;
    pthread_mutex_lock(&g_lock);
    omni_store_relaxed_uptr(&h->fast_key, 1);
    omni_store_relaxed_uptr(&h->owner, 0); /* other threads read it (is_owner) */
    h->next_orphan = g_orphans; /* pools are never freed: a later thread adopts it */
    g_orphans = h;
    pthread_mutex_unlock(&g_lock);
}

static void make_key(void)
{
    if (pthread_key_create(&g_pool_key, pool_orphan) != 0)
        omni_internal_error("cannot create the region pool key");
}

static void drain_remote(OmniRegionPool *h);

/* The calling thread's pool: adopted from a thread that ended, or new. */
static OmniRegionPool *my_pool(void)
{
    OmniRegionPool *h = tl_pool;
    if (h) {
        if (omni_load_relaxed_ptr(&h->remote))
            drain_remote(h);
        return h;
    }
    pthread_once(&g_key_once, make_key);
    uintptr_t me = omni_thread_key();
    pthread_mutex_lock(&g_lock);
    h = g_orphans;
    if (h) {
        g_orphans = h->next_orphan;
    } else {
        h = calloc(1, sizeof *h);
        if (!h)
            omni_internal_error("out of memory (region pool)");
        h->index = g_npools++;
        h->id_base = (uint64_t)h->index << 48;
        h->next_pool = g_pools;
        g_pools = h;
    }
    omni_store_relaxed_uptr(&h->owner, me);
    omni_store_relaxed_uptr(&h->fast_key, fast_paths_allowed() ? me : 1);
    pthread_mutex_unlock(&g_lock);
    pthread_setspecific(g_pool_key, h);
    tl_pool = h;
    return h;
}

/* Debug builds: a freed control block waits in a FIFO before reuse, so a
 * stale handle meets a DEAD block rather than a new region. */
static void pool_free_slot(OmniRegionPool *h, Region *r)
{
    if (!REGION_DEBUG) {
        r->next_free = h->free;
        h->free = r;
        return;
    }
    POISON((char *)r + SLOT_HOT_BYTES, OMNI_SLOT_SIZE - SLOT_HOT_BYTES);
    r->next_free = NULL;
    if (h->quarantine_tail)
        h->quarantine_tail->next_free = r;
    else
        h->quarantine_head = r;
    h->quarantine_tail = r;
    if (++h->nquarantine > QUARANTINE_MAX) {
        Region *q = h->quarantine_head;
        h->quarantine_head = q->next_free;
        if (!h->quarantine_head)
            h->quarantine_tail = NULL;
        h->nquarantine--;
        q->next_free = h->free;
        h->free = q;
    }
}

static Region *pool_pop(OmniRegionPool *h)
{
    if (!h->free)
        pool_refill(h);
    Region *r = h->free;
    h->free = r->next_free;
    UNPOISON((char *)r + SLOT_HOT_BYTES, OMNI_SLOT_SIZE - SLOT_HOT_BYTES);
    return r;
}

/* ---- liveness ------------------------------------------------------------------ */

static void check_live(const Region *r, const char *op)
{
    if (!r || omni_load_acquire_u32(&r->state) != OMNI_REGION_LIVE)
        omni_internal_error("%s on a reclaimed or invalid region", op);
}

static bool is_owner(const Region *r)
{
    return omni_load_relaxed_uptr(&r->home->owner) == omni_thread_key();
}

/* The liveness rule.  The fence orders the caller's own counter update
 * before these loads (the Dekker pattern with other threads' shared_rc). */
static bool is_dead(const Region *r)
{
    omni_fence_seqcst();
    return !omni_load_relaxed_i32(&r->scope_alive) &&
           omni_load_relaxed_i32(&r->external_rc) +
                   omni_load_relaxed_i32(&r->shared_rc) == 0 &&
           omni_load_relaxed_i32(&r->tether_count) == 0;
}

static void live_link(Region *r)
{
    pthread_mutex_lock(&g_lock);
    r->live_prev = NULL;
    r->live_next = g_live;
    if (g_live)
        g_live->live_prev = r;
    g_live = r;
    r->in_live_list = 1;
    pthread_mutex_unlock(&g_lock);
}

static void live_unlink(Region *r)
{
    pthread_mutex_lock(&g_lock);
    if (r->live_prev)
        r->live_prev->live_next = r->live_next;
    else
        g_live = r->live_next;
    if (r->live_next)
        r->live_next->live_prev = r->live_prev;
    r->in_live_list = 0;
    pthread_mutex_unlock(&g_lock);
}

/* Frees r's memory (r is DEAD; the caller owns r's pool) and returns the
 * parent whose reference r held, with how it was held. */
static Region *recycle(Region *r, int *pref)
{
    OmniRegionPool *h = r->home;
    if (r->rs)
        omni_rs_region_dies(r); /* what r's objects counted (remember.c) */
    if (g_stats)
        omni_region_site_reclaimed(r);
    if (r->in_live_list)
        live_unlink(r);
    if (r->cur_chunk)
        chunk_put(h, r->cur_chunk);
    for (OmniChunk *c = r->chunks, *next; c; c = next) {
        next = c->next;
        chunk_put(h, c);
    }
    Region *p = r->parent;
    *pref = r->parent_ref;
    slot_reset(r);
    omni_store_relaxed_u64(&h->reclaimed, h->reclaimed + 1);
    pool_free_slot(h, r);
    return p;
}

/* Drops the reference a reclaimed child held on p; reclaims p (and so on
 * up: a loop, so long chains cost no stack) when that was the last. */
static void release_parent(Region *p, int pref)
{
    while (p && pref != OMNI_PREF_NONE) {
        if (pref == OMNI_PREF_LOCAL) {
            int32_t n = p->external_rc - 1;
            omni_store_relaxed_i32(&p->external_rc, n);
            if (n < 0)
                omni_internal_error("region #%llu released below zero", (unsigned long long)p->id);
        } else {
            omni_sub_fetch_seqcst_i32(&p->shared_rc, 1);
        }
        if (p->immortal || !is_dead(p))
            return;
        uint32_t live = OMNI_REGION_LIVE;
        if (!omni_cas_acqrel_u32(&p->state, &live, OMNI_REGION_DEAD))
            return; /* another thread reclaims it */
        if (!is_owner(p)) {
            /* Hand it to its owner thread (which recycles its memory). */
            Region *head = omni_load_relaxed_ptr(&p->home->remote);
            do
                p->next_free = head;
            while (!omni_cas_weak_release_ptr(&p->home->remote, &head, p));
            return;
        }
        p = recycle(p, &pref);
    }
}

static void drain_remote(OmniRegionPool *h)
{
    Region *r = omni_exchange_acquire_ptr(&h->remote, NULL);
    while (r) {
        Region *next = r->next_free;
        int pref;
        Region *p = recycle(r, &pref);
        release_parent(p, pref);
        r = next;
    }
}

bool omni_region_maybe_reclaim(Region *r)
{
    if (!r || r->immortal || !is_dead(r))
        return false;
    uint32_t live = OMNI_REGION_LIVE;
    if (!omni_cas_acqrel_u32(&r->state, &live, OMNI_REGION_DEAD))
        return false;
    if (!is_owner(r)) {
        Region *head = omni_load_relaxed_ptr(&r->home->remote);
        do
            r->next_free = head;
        while (!omni_cas_weak_release_ptr(&r->home->remote, &head, r));
        return true;
    }
    int pref;
    Region *p = recycle(r, &pref);
    release_parent(p, pref);
    return true;
}

/* ---- region.new / region.exit slow paths --------------------------------------- */

Region *omni_region_new_slow(Region *parent, const OmniLoc *loc)
{
    omni_stack_check(); /* a safe point (stack.c): nothing touched yet */
    if (parent)
        check_live(parent, "region_new");
    OmniRegionPool *h = my_pool();
    Region *r = pool_pop(h);
    uint64_t seq = h->seq + 1;
    omni_store_relaxed_u64(&h->seq, seq);
    r->id = h->id_base | seq;
    r->home = r->kids = h;
    r->scope_alive = 1;
    r->parent = parent;
    r->loc = loc;
    if (!parent) {
        r->depth = 0;
        r->jump = r;
        r->parent_ref = OMNI_PREF_NONE;
    } else {
        r->depth = parent->depth + 1;
        Region *pj = parent->jump;
        r->jump = (parent->depth - pj->depth == pj->depth - pj->jump->depth) ? pj->jump : parent;
        if (parent->immortal) {
            r->parent_ref = OMNI_PREF_NONE;
            /* The next child of an immortal region made on this thread
             * takes the fast path. */
            omni_store_relaxed_ptr(&parent->kids, h);
        } else if (is_owner(parent)) {
            r->parent_ref = OMNI_PREF_LOCAL;
            omni_store_relaxed_i32(&parent->external_rc, parent->external_rc + 1);
        } else {
            r->parent_ref = OMNI_PREF_SHARED;
            omni_add_fetch_seqcst_i32(&parent->shared_rc, 1);
        }
    }
    omni_store_release_u32(&r->state, OMNI_REGION_LIVE);
    if (g_stats) {
        live_link(r);
        omni_region_site_made(r);
    }
    return r;
}

/* A pending region (omni.h) is made on its first use through a handle:
 * its parent first (itself perhaps pending, in an older frame), then the
 * region, recorded in the cell so that the owner frame exits it and later
 * uses find it. */
Region *omni_region_resolve_slow(Region *h)
{
    OmniPendingRegion *c = (OmniPendingRegion *)((uintptr_t)h - 1);
    if (!c->made)
        c->made = omni_region_new_inline(omni_region_resolve(c->parent), c->loc);
    return c->made;
}

void omni_region_exit_slow(Region *r)
{
    check_live(r, "region_exit");
    if (r->immortal)
        return;
    if (!is_owner(r))
        omni_internal_error("region #%llu exited by a thread that does not own it",
                            (unsigned long long)r->id);
    if (!r->scope_alive)
        omni_internal_error("region #%llu exited twice", (unsigned long long)r->id);
    omni_store_relaxed_i32(&r->scope_alive, 0);
    if ((r->external_rc | r->tether_count | omni_load_acquire_i32(&r->shared_rc)) == 0) {
        /* Only the scope held it (as on the fast path, but with chunks or
         * a shared parent reference): no other thread can hold it, so no
         * fence or compare-and-swap is needed. */
        omni_store_release_u32(&r->state, OMNI_REGION_DEAD);
        int pref;
        Region *p = recycle(r, &pref);
        release_parent(p, pref);
        return;
    }
    omni_region_maybe_reclaim(r);
}

/* ---- references and tethers --------------------------------------------------- */

/* The owner changes its plain counter; another thread the atomic one. */
static void count_up(Region *r, int32_t *own)
{
    if (is_owner(r))
        omni_store_relaxed_i32(own, *own + 1);
    else
        omni_add_fetch_seqcst_i32(&r->shared_rc, 1);
}

static void count_down(Region *r, int32_t *own, const char *what)
{
    if (is_owner(r)) {
        int32_t n = *own - 1;
        if (n < 0)
            omni_internal_error("region #%llu %s below zero", (unsigned long long)r->id, what);
        omni_store_relaxed_i32(own, n);
    } else {
        omni_sub_fetch_seqcst_i32(&r->shared_rc, 1);
    }
    omni_region_maybe_reclaim(r);
}

void omni_region_retain(Region *r)
{
    check_live(r, "region_retain");
    count_up(r, &r->external_rc);
}

void omni_region_release(Region *r)
{
    check_live(r, "region_release");
    count_down(r, &r->external_rc, "released");
}

void omni_region_tether(Region *r)
{
    check_live(r, "region_tether");
    count_up(r, &r->tether_count);
}

void omni_region_untether(Region *r)
{
    check_live(r, "region_untether");
    count_down(r, &r->tether_count, "untethered");
}

bool omni_region_is(const Region *r, uint64_t id)
{
    /* Control blocks live in slabs that are never unmapped, so reading a
     * stale one is safe; sanitizer builds poison all but these words. */
    return r && omni_load_acquire_u32(&r->state) == OMNI_REGION_LIVE && r->id == id;
}

uintptr_t omni_region_owner(const Region *r) { return omni_load_relaxed_uptr(&r->home->owner); }

uint64_t omni_region_age(const Region *r)
{
    uint64_t seq = omni_load_relaxed_u64(&r->home->seq);
    return seq - (r->id & (((uint64_t)1 << 48) - 1));
}

/* ---- allocation slow path ------------------------------------------------------- */

/* A chunk of `size` bytes joins r: counters, peak, and retention. */
static void account_chunk(Region *r, size_t size)
{
    r->chunk_count++;
    r->bytes_held += size;
    if (r->bytes_held > r->bytes_allocated_peak)
        r->bytes_allocated_peak = r->bytes_held;
    if (r->immortal || omni_region_age(r) >= omni_retention.age)
        r->late_bytes += size;
}

void *omni_region_alloc_slow(Region *r, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if ((size_t)(r->end - r->cur) >= n) {
        void *p = r->cur; /* callers may come here directly */
        r->cur += n;
        return p;
    }
    if (REGION_DEBUG)
        check_live(r, "region_alloc");
    if (n > OMNI_LARGE_OBJECT) {
        /* Own chunk; the object starts right after the header, within the
         * first OMNI_CHUNK_SIZE bytes, so region_of's mask finds it. */
        size_t size = (sizeof(OmniChunk) + n + OMNI_CHUNK_SIZE - 1) & OMNI_CHUNK_MASK;
        if (size < n) /* wrapped around */
            omni_internal_error("out of memory (object of %zu bytes)", n);
        OmniChunk *c = chunk_map(size);
        c->region = r;
        c->mask = OMNI_CHUNK_MASK;
        c->size = size;
        c->used = sizeof(OmniChunk) + n;
        c->pool = NULL;
        c->next = r->chunks;
        r->chunks = c;
        r->bytes_retired += n;
        count_chunks(r->home, (int64_t)size);
        account_chunk(r, size);
        return (char *)c + sizeof(OmniChunk);
    }
    OmniChunk *c = chunk_get(r->home);
    count_chunks(r->home, (int64_t)OMNI_CHUNK_SIZE);
    /* Retire the current bump area: its bytes become bytes_retired. */
    r->bytes_retired += (uint64_t)(r->cur - r->base);
    if (r->cur_chunk) {
        r->cur_chunk->used = (size_t)(r->cur - (char *)r->cur_chunk);
        r->cur_chunk->next = r->chunks;
        r->chunks = r->cur_chunk;
    } else {
        r->inline_buf_bytes = (uint64_t)(r->cur - r->base);
    }
    c->region = r;
    c->next = NULL;
    c->used = 0;
    r->cur_chunk = c;
    r->base = r->cur = (char *)c + sizeof(OmniChunk);
    r->end = (char *)c + OMNI_CHUNK_SIZE;
    account_chunk(r, OMNI_CHUNK_SIZE);
    void *p = r->cur;
    r->cur += n;
    return p;
}

uint64_t omni_region_bytes_total(const Region *r)
{
    return r->bytes_retired + (uint64_t)(r->cur - r->base);
}

void omni_region_stats(const Region *r, OmniRegionStats *out)
{
    out->bytes_allocated_total = omni_region_bytes_total(r);
    out->bytes_allocated_peak = r->bytes_allocated_peak;
    out->inline_buf_used_bytes = r->cur_chunk ? r->inline_buf_bytes : (uint64_t)(r->cur - r->base);
    out->chunk_count = r->chunk_count;
    out->escape_repair_count = r->escape_repair_count;
    out->bytes_held = r->bytes_held;
}

/* ---- splice, outlives ----------------------------------------------------------- */

void omni_region_no_inline(Region *r)
{
    check_live(r, "region_no_inline");
    if (r->cur_chunk || r->cur != INLINE_START(r))
        omni_internal_error("region #%llu: no_inline after its first allocation",
                            (unsigned long long)r->id);
    r->end = r->cur;
    r->no_inline = 1;
}

bool omni_region_splice(Region *src, Region *dst)
{
    check_live(src, "region_splice");
    check_live(dst, "region_splice");
    if (src == dst || src->immortal || omni_region_owner(src) != omni_region_owner(dst))
        return false;
    OmniRegionStats s;
    omni_region_stats(src, &s);
    if (s.inline_buf_used_bytes)
        return false; /* inline objects cannot leave the control block's slot */
    uint64_t moved_held = 0;
    if (src->cur_chunk) {
        src->cur_chunk->used = (size_t)(src->cur - (char *)src->cur_chunk);
        src->cur_chunk->next = src->chunks;
        src->chunks = src->cur_chunk;
        src->cur_chunk = NULL;
    }
    OmniChunk *last = NULL;
    for (OmniChunk *c = src->chunks; c; c = c->next) {
        c->region = dst; /* region_of of every object in it now answers dst */
        moved_held += c->size;
        last = c;
    }
    if (last) {
        last->next = dst->chunks;
        dst->chunks = src->chunks;
    }
    dst->bytes_retired += s.bytes_allocated_total;
    dst->chunk_count += src->chunk_count;
    dst->bytes_held += moved_held;
    if (dst->bytes_held > dst->bytes_allocated_peak)
        dst->bytes_allocated_peak = dst->bytes_held;
    /* src keeps nothing: empty, allocating in its inline buffer again
     * unless it was made arena-only. */
    src->chunks = NULL;
    src->bytes_retired = 0;
    src->chunk_count = 0;
    src->bytes_held = OMNI_SLOT_SIZE;
    src->base = src->cur = INLINE_START(src);
    src->end = src->no_inline ? src->cur : SLOT_END(src);
    return true;
}

bool omni_region_outlives(const Region *a, const Region *b)
{
    if (!a || a == b || a->immortal)
        return true;
    if (!b || b->immortal || a->depth >= b->depth)
        return false;
    const Region *x = b;
    while (x->depth > a->depth)
        x = x->jump->depth >= a->depth ? x->jump : x->parent;
    return x == a;
}

/* ---- error unwinding --------------------------------------------------------------- */

uint64_t omni_region_mark(void)
{
    OmniRegionPool *h = my_pool();
    return h->id_base | h->seq;
}

static int by_id_desc(const void *a, const void *b)
{
    uint64_t x = (*(Region *const *)a)->id, y = (*(Region *const *)b)->id;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Error path only: the fast paths keep no list of open scopes, so the
 * control blocks of this thread's pool are scanned (metadata, not objects:
 * one pass over the slots ever used) and the scopes opened after `mark`
 * are exited, newest first so children go before their parents. */
void omni_region_unwind(uint64_t mark)
{
    OmniRegionPool *h = tl_pool;
    if (!h || (h->id_base | h->seq) <= mark)
        return;
    Region **open = NULL;
    size_t n = 0, cap = 0;
    for (OmniChunk *c = h->slabs; c; c = c->next) {
        for (size_t i = 1; i < OMNI_CHUNK_SIZE / OMNI_SLOT_SIZE; i++) {
            Region *r = (Region *)((char *)c + i * OMNI_SLOT_SIZE);
            if (r->state != OMNI_REGION_LIVE || r->id <= mark || r->immortal || !r->scope_alive)
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                open = realloc(open, cap * sizeof *open);
                if (!open)
                    omni_internal_error("out of memory (region unwinding)");
            }
            open[n++] = r;
        }
    }
    if (n > 1) /* open is NULL when none is open: qsort must not see it */
        qsort(open, n, sizeof *open, by_id_desc);
    for (size_t i = 0; i < n; i++)
        omni_region_exit_slow(open[i]);
    free(open);
}

/* ---- the global and static regions ------------------------------------------------- */

static Region *make_immortal(const char *name)
{
    Region *r = omni_region_new_slow(NULL, NULL);
    r->immortal = 1;    /* also keeps error unwinding from exiting it */
    r->scope_alive = 2; /* never 1: region.exit's fast path leaves it alone */
    r->name = name;
    omni_region_no_inline(r); /* its memory is arena chunks, like any root data */
    if (!r->in_live_list)
        live_link(r);
    return r;
}

void omni_region_init(void)
{
    if (g_global)
        return;
    const char *e = getenv("OMNI_REGION_RETAIN_BYTES");
    if (e && *e)
        omni_retention.bytes = strtoull(e, NULL, 10);
    e = getenv("OMNI_REGION_RETAIN_AGE");
    if (e && *e)
        omni_retention.age = strtoull(e, NULL, 10);
    e = getenv("OMNI_REGION_HELD_REGIONS");
    if (e && *e)
        omni_retention.held_regions = strtoull(e, NULL, 10);
    g_static = make_immortal("static");
    g_global = make_immortal("global");
}

/* ---- threads (docs/REGION_THREADING_MODEL.md) ------------------------------------
 * The program thread allocates its never-reclaimed data in the global
 * region; a thread started by `thread` has a global region of its own
 * (immortal too), so that no thread ever bump-allocates in a region
 * another thread allocates in.  Once a second thread exists, omni_mt is
 * set and never cleared: the runtime's slow paths then follow the rules of
 * the threading model (a repair aimed at another thread's region goes to
 * the calling thread's global region, overwrites release nothing, copies
 * remap through a side table instead of the source objects' headers). */
uint32_t omni_mt;
static _Thread_local Region *tl_global;  /* a started thread's global region */
static _Thread_local bool tl_worker;     /* started by `thread` */

Region *omni_region_global(void)
{
    if (__builtin_expect(tl_global != NULL, 0))
        return tl_global;
    if (!g_global)
        omni_region_init();
    return g_global;
}

void omni_region_thread_begin(const char *name)
{
    if (!g_global)
        omni_region_init();
    tl_worker = true;
    tl_global = make_immortal(name);
}

void omni_region_set_mt(void)
{
    omni_store_release_u32(&omni_mt, 1); /* pthread_create orders it before the thread, too */
}

bool omni_region_mine(const Region *r)
{
    if (!r || r == g_global || r == g_static)
        return !tl_worker; /* the program thread's */
    return omni_load_relaxed_uptr(&r->home->owner) == omni_thread_key();
}

void omni_region_share(Region *r)
{
    check_live(r, "region_share");
    omni_add_fetch_seqcst_i32(&r->shared_rc, 1);
}

void omni_region_unshare(Region *r)
{
    check_live(r, "region_unshare");
    omni_sub_fetch_seqcst_i32(&r->shared_rc, 1);
    omni_region_maybe_reclaim(r);
}

/* The pools of threads that ended keep what other threads hand back to
 * them until a new thread adopts one: taken off the orphan list, each is
 * drained here by the calling thread as its temporary owner (recycling
 * needs the pool's owner: its slot list and chunk cache). */
void omni_region_drain_orphans(void)
{
    pthread_mutex_lock(&g_lock);
    OmniRegionPool *list = g_orphans;
    g_orphans = NULL;
    pthread_mutex_unlock(&g_lock);
    if (!list)
        return;
    OmniRegionPool *h, *next;
    for (h = list; h; h = h->next_orphan) {
        if (!omni_load_relaxed_ptr(&h->remote))
            continue;
        omni_store_relaxed_uptr(&h->owner, omni_thread_key());
        drain_remote(h);
        omni_store_relaxed_uptr(&h->owner, 0);
    }
    pthread_mutex_lock(&g_lock);
    for (h = list; h; h = next) {
        next = h->next_orphan;
        h->next_orphan = g_orphans;
        g_orphans = h;
    }
    pthread_mutex_unlock(&g_lock);
}

bool omni_region_orphaned(const Region *r)
{
    return omni_load_relaxed_uptr(&r->home->owner) == 0;
}

void omni_region_drain_mine(void)
{
    OmniRegionPool *h = tl_pool;
    if (h && omni_load_relaxed_ptr(&h->remote))
        drain_remote(h);
}

void *omni_static_alloc(size_t n)
{
    if (!g_static)
        omni_region_init();
    pthread_mutex_lock(&g_static_lock);
    void *p = omni_region_alloc_inline(g_static, n);
    pthread_mutex_unlock(&g_static_lock);
    return p;
}

/* ---- statistics ----------------------------------------------------------------------- */

void omni_region_stats_enable(bool on)
{
    pthread_mutex_lock(&g_lock);
    g_stats = on;
    for (OmniRegionPool *h = g_pools; h; h = h->next_pool)
        omni_store_relaxed_uptr(&h->fast_key, h->owner && fast_paths_allowed() ? h->owner : 1);
    pthread_mutex_unlock(&g_lock);
}

bool omni_region_stats_enabled(void) { return g_stats; }

void omni_region_foreach_live(void (*fn)(const Region *r, void *ctx), void *ctx)
{
    pthread_mutex_lock(&g_lock);
    for (const Region *r = g_live; r; r = r->live_next)
        fn(r, ctx);
    pthread_mutex_unlock(&g_lock);
}

void omni_region_counters(OmniRegionCounters *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&g_lock);
    for (OmniRegionPool *h = g_pools; h; h = h->next_pool) {
        out->regions_created += omni_load_relaxed_u64(&h->seq);
        out->regions_reclaimed += omni_load_relaxed_u64(&h->reclaimed);
        out->chunks_acquired += omni_load_relaxed_u64(&h->chunks_acquired);
        out->chunk_bytes_peak += omni_load_relaxed_u64(&h->chunk_bytes_peak);
        out->chunks_pooled += omni_load_relaxed_uptr(&h->owner) == omni_thread_key() ? h->nchunk_cache : 0;
    }
    out->chunks_pooled += g_pool_count;
    pthread_mutex_unlock(&g_lock);
    out->regions_live = out->regions_created - out->regions_reclaimed;
}
