/* region.c — region control blocks, chunk-aligned arenas and the chunk pool.
 *
 * The inline bump path lives in region.h; this file acquires chunks (the
 * slow path), gives large objects their own aligned chunk, applies the CTRR
 * reclamation rule (reclaim exactly once, when !scope_alive &&
 * external_rc == 0 && tether_count == 0), returns chunks to a pool and
 * recycles control blocks, and keeps the accounting counters.
 *
 * Chunks come from 2 MiB slabs mapped with mmap and aligned to
 * OMNI_CHUNK_SIZE; freed chunks go to a pool and are reused.  Under the
 * sanitizers (OMNI_SANITIZE) every chunk is a separate aligned_alloc and is
 * freed at once, and control blocks are not recycled, so AddressSanitizer
 * sees every use of reclaimed memory or of a stale Region handle.
 */
#include "rt_core.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define SLAB_CHUNKS     32     /* chunks mapped at once */
#define POOL_MAX_CHUNKS 1024   /* beyond this, freed chunks go back to the OS */

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
#ifndef OMNI_SANITIZE
static OmniChunk *g_pool;            /* free normal-size chunks */
#endif
static uint64_t g_pool_count;
static Region *g_free_regions;       /* recycled control blocks */
static Region *g_live;               /* live regions, newest first */
static uint64_t g_next_id;
static OmniRegionCounters g_cnt;
static uint64_t g_chunk_bytes_now;   /* chunk memory held by live regions */

/* Aggregate accounting of reclaimed scope regions (for --region-stats). */
static struct {
    uint64_t bytes_total, chunk_count, escape_repairs, max_peak;
} g_dead;

static Region *g_global, *g_static;
static pthread_mutex_t g_static_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- chunk memory ---------------------------------------------------- */

#ifdef OMNI_SANITIZE
static void *chunk_map(size_t size)
{
    void *p = aligned_alloc(OMNI_CHUNK_SIZE, size);
    if (!p)
        omni_internal_error("out of memory (chunk of %zu bytes)", size);
    return p;
}
static void chunk_unmap(void *p, size_t size) { (void)size; free(p); }
#else
/* size bytes aligned to OMNI_CHUNK_SIZE: over-map, then trim both ends. */
static void *chunk_map(size_t size)
{
    size_t len = size + OMNI_CHUNK_SIZE;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        omni_internal_error("out of memory (chunk of %zu bytes)", size);
    uintptr_t a = ((uintptr_t)p + OMNI_CHUNK_SIZE - 1) & ~(uintptr_t)(OMNI_CHUNK_SIZE - 1);
    size_t head = a - (uintptr_t)p, tail = len - head - size;
    if (head)
        munmap(p, head);
    if (tail)
        munmap((char *)a + size, tail);
    return (void *)a;
}
static void chunk_unmap(void *p, size_t size) { munmap(p, size); }
#endif

/* Called with g_lock held. */
static OmniChunk *chunk_get_locked(void)
{
#ifndef OMNI_SANITIZE
    if (!g_pool) {
        char *slab = chunk_map(SLAB_CHUNKS * OMNI_CHUNK_SIZE);
        for (int i = SLAB_CHUNKS - 1; i >= 0; i--) {
            OmniChunk *c = (OmniChunk *)(slab + (size_t)i * OMNI_CHUNK_SIZE);
            c->next = g_pool;
            g_pool = c;
        }
        g_pool_count += SLAB_CHUNKS;
    }
    OmniChunk *c = g_pool;
    g_pool = c->next;
    g_pool_count--;
#else
    OmniChunk *c = chunk_map(OMNI_CHUNK_SIZE);
#endif
    c->size = OMNI_CHUNK_SIZE;
    return c;
}

static void chunk_put_locked(OmniChunk *c)
{
    c->region = NULL; /* a stale object now maps to no region */
#ifndef OMNI_SANITIZE
    if (c->size == OMNI_CHUNK_SIZE && g_pool_count < POOL_MAX_CHUNKS) {
        c->next = g_pool;
        g_pool = c;
        g_pool_count++;
        return;
    }
#endif
    chunk_unmap(c, c->size);
}

static void account_chunk(Region *r, size_t size)
{
    r->chunk_count++;
    r->bytes_held += size;
    if (r->bytes_held > r->bytes_allocated_peak)
        r->bytes_allocated_peak = r->bytes_held;
}

/* ---- allocation slow path -------------------------------------------- */

void *omni_region_alloc_slow(Region *r, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (r->cur_chunk && (size_t)(r->end - r->cur) >= n) {
        void *p = r->cur; /* callers may come here directly */
        r->cur += n;
        return p;
    }
    if (n > OMNI_LARGE_OBJECT) {
        /* Own chunk; the object starts right after the header, within the
         * first OMNI_CHUNK_SIZE bytes, so region_of's mask finds it. */
        size_t size = (sizeof(OmniChunk) + n + OMNI_CHUNK_SIZE - 1) & ~(OMNI_CHUNK_SIZE - 1);
        if (size < n) /* wrapped around */
            omni_internal_error("out of memory (object of %zu bytes)", n);
        OmniChunk *c = chunk_map(size);
        c->region = r;
        c->size = size;
        c->used = sizeof(OmniChunk) + n;
        c->next = r->chunks;
        r->chunks = c;
        r->bytes_allocated_total += n;
        account_chunk(r, size);
        pthread_mutex_lock(&g_lock);
        g_cnt.chunks_acquired++;
        g_chunk_bytes_now += size;
        if (g_chunk_bytes_now > g_cnt.chunk_bytes_peak)
            g_cnt.chunk_bytes_peak = g_chunk_bytes_now;
        pthread_mutex_unlock(&g_lock);
        return (char *)c + sizeof(OmniChunk);
    }
    pthread_mutex_lock(&g_lock);
    OmniChunk *c = chunk_get_locked();
    g_cnt.chunks_acquired++;
    g_chunk_bytes_now += OMNI_CHUNK_SIZE;
    if (g_chunk_bytes_now > g_cnt.chunk_bytes_peak)
        g_cnt.chunk_bytes_peak = g_chunk_bytes_now;
    pthread_mutex_unlock(&g_lock);

    OmniChunk *old = r->cur_chunk;
    if (old) { /* retire the current chunk */
        old->used = (size_t)(r->cur - (char *)old);
        r->bytes_allocated_total += old->used - sizeof(OmniChunk);
        old->next = r->chunks;
        r->chunks = old;
    }
    c->region = r;
    c->next = NULL;
    c->used = 0;
    r->cur_chunk = c;
    r->cur = (char *)c + sizeof(OmniChunk);
    r->end = (char *)c + OMNI_CHUNK_SIZE;
    account_chunk(r, OMNI_CHUNK_SIZE);
    void *p = r->cur;
    r->cur += n;
    return p;
}

uint64_t omni_region_bytes_total(const Region *r)
{
    uint64_t t = r->bytes_allocated_total;
    if (r->cur_chunk)
        t += (uint64_t)(r->cur - ((char *)r->cur_chunk + sizeof(OmniChunk)));
    return t;
}

/* ---- control blocks ---------------------------------------------------- */

static void check_live(const Region *r, const char *op)
{
    if (!r || r->state != OMNI_REGION_LIVE)
        omni_internal_error("%s on a reclaimed or invalid region", op);
}

Region *omni_region_new(Region *parent)
{
    if (parent)
        check_live(parent, "region_new");
    pthread_mutex_lock(&g_lock);
    Region *r = g_free_regions;
    if (r)
        g_free_regions = r->next_free;
    else if (!(r = malloc(sizeof *r)))
        omni_internal_error("out of memory (region)");
    memset(r, 0, sizeof *r);
    r->state = OMNI_REGION_LIVE;
    r->id = g_next_id++;
    r->live_next = g_live;
    if (g_live)
        g_live->live_prev = r;
    g_live = r;
    g_cnt.regions_created++;
    g_cnt.regions_live++;
    pthread_mutex_unlock(&g_lock);
    r->scope_alive = 1;
    r->parent = parent;
    r->owner_thread = (uintptr_t)pthread_self();
    if (parent)
        __atomic_add_fetch(&parent->external_rc, 1, __ATOMIC_RELAXED);
    return r;
}

static bool is_dead(const Region *r)
{
    return !__atomic_load_n(&r->scope_alive, __ATOMIC_ACQUIRE) &&
           __atomic_load_n(&r->external_rc, __ATOMIC_ACQUIRE) == 0 &&
           __atomic_load_n(&r->tether_count, __ATOMIC_ACQUIRE) == 0;
}

/* Frees r's chunks and control block and stores its parent (whose
 * reference the caller must drop).  The LIVE→DEAD compare-and-swap makes
 * reclamation happen exactly once even if two threads see the region die
 * together; returns false if another caller won. */
static bool reclaim(Region *r, Region **parent_out)
{
    uint32_t live = OMNI_REGION_LIVE;
    *parent_out = NULL;
    if (!__atomic_compare_exchange_n(&r->state, &live, OMNI_REGION_DEAD, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return false;
    Region *parent = r->parent;
    *parent_out = parent;
    uint64_t total = omni_region_bytes_total(r);
    pthread_mutex_lock(&g_lock);
    if (r->cur_chunk) {
        g_chunk_bytes_now -= r->cur_chunk->size;
        chunk_put_locked(r->cur_chunk);
    }
    for (OmniChunk *c = r->chunks, *next; c; c = next) {
        next = c->next;
        g_chunk_bytes_now -= c->size;
        chunk_put_locked(c);
    }
    g_dead.bytes_total += total;
    g_dead.chunk_count += r->chunk_count;
    g_dead.escape_repairs += r->escape_repair_count;
    if (r->bytes_allocated_peak > g_dead.max_peak)
        g_dead.max_peak = r->bytes_allocated_peak;
    if (r->live_prev)
        r->live_prev->live_next = r->live_next;
    else
        g_live = r->live_next;
    if (r->live_next)
        r->live_next->live_prev = r->live_prev;
    g_cnt.regions_reclaimed++;
    g_cnt.regions_live--;
    r->cur = r->end = NULL;
    r->cur_chunk = r->chunks = NULL;
#ifdef OMNI_SANITIZE
    pthread_mutex_unlock(&g_lock);
    free(r);
#else
    r->next_free = g_free_regions;
    g_free_regions = r;
    pthread_mutex_unlock(&g_lock);
#endif
    return true;
}

bool omni_region_maybe_reclaim(Region *r)
{
    if (r == g_global || r == g_static || !is_dead(r))
        return false;
    Region *p;
    if (!reclaim(r, &p))
        return false;
    /* Dropping the child's reference may kill the parent, and so on up:
     * a loop, not recursion, so long chains cost no stack. */
    while (p) {
        int32_t n = __atomic_sub_fetch(&p->external_rc, 1, __ATOMIC_ACQ_REL);
        if (n < 0)
            omni_internal_error("region #%llu released below zero", (unsigned long long)p->id);
        Region *q = p;
        p = NULL;
        if (n == 0 && q != g_global && q != g_static && is_dead(q))
            reclaim(q, &p);
    }
    return true;
}

void omni_region_exit(Region *r)
{
    check_live(r, "region_exit");
    if (r == g_global || r == g_static)
        return; /* immortal */
    if (!__atomic_exchange_n(&r->scope_alive, 0, __ATOMIC_ACQ_REL))
        omni_internal_error("region #%llu exited twice", (unsigned long long)r->id);
    omni_region_maybe_reclaim(r);
}

void omni_region_retain(Region *r)
{
    check_live(r, "region_retain");
    __atomic_add_fetch(&r->external_rc, 1, __ATOMIC_RELAXED);
}

void omni_region_release(Region *r)
{
    check_live(r, "region_release");
    int32_t n = __atomic_sub_fetch(&r->external_rc, 1, __ATOMIC_ACQ_REL);
    if (n < 0)
        omni_internal_error("region #%llu released below zero", (unsigned long long)r->id);
    if (n == 0)
        omni_region_maybe_reclaim(r);
}

void omni_region_tether(Region *r)
{
    check_live(r, "region_tether");
    __atomic_add_fetch(&r->tether_count, 1, __ATOMIC_RELAXED);
}

void omni_region_untether(Region *r)
{
    check_live(r, "region_untether");
    int32_t n = __atomic_sub_fetch(&r->tether_count, 1, __ATOMIC_ACQ_REL);
    if (n < 0)
        omni_internal_error("region #%llu untethered below zero", (unsigned long long)r->id);
    if (n == 0)
        omni_region_maybe_reclaim(r);
}

/* ---- the global and static regions -------------------------------------- */

void omni_region_init(void)
{
    if (g_global)
        return;
    g_static = omni_region_new(NULL);
    g_static->name = "static";
    g_global = omni_region_new(NULL);
    g_global->name = "global";
}

Region *omni_region_global(void)
{
    if (!g_global)
        omni_region_init();
    return g_global;
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

/* ---- statistics ----------------------------------------------------------- */

void omni_region_counters(OmniRegionCounters *out)
{
    pthread_mutex_lock(&g_lock);
    *out = g_cnt;
    out->chunks_pooled = g_pool_count;
    pthread_mutex_unlock(&g_lock);
}

static void print_region(FILE *out, const Region *r)
{
    fprintf(out, "  region #%llu %s: bytes_allocated_total=%llu bytes_allocated_peak=%llu "
                 "chunk_count=%llu escape_repair_count=%llu external_rc=%d scope_alive=%d\n",
            (unsigned long long)r->id, r->name ? r->name : "scope",
            (unsigned long long)omni_region_bytes_total(r),
            (unsigned long long)r->bytes_allocated_peak, (unsigned long long)r->chunk_count,
            (unsigned long long)r->escape_repair_count, r->external_rc, r->scope_alive);
}

void omni_region_print_stats(FILE *out)
{
    pthread_mutex_lock(&g_lock);
    fprintf(out, "region stats: created=%llu reclaimed=%llu live=%llu chunks_acquired=%llu "
                 "chunk_bytes_peak=%llu\n",
            (unsigned long long)g_cnt.regions_created, (unsigned long long)g_cnt.regions_reclaimed,
            (unsigned long long)g_cnt.regions_live, (unsigned long long)g_cnt.chunks_acquired,
            (unsigned long long)g_cnt.chunk_bytes_peak);
    int shown = 0, hidden = 0;
    for (const Region *r = g_live; r; r = r->live_next) {
        if (r->name || shown < 20) {
            print_region(out, r);
            shown += r->name == NULL;
        } else {
            hidden++;
        }
    }
    if (hidden)
        fprintf(out, "  ... %d more live regions\n", hidden);
    fprintf(out, "  reclaimed regions: bytes_allocated_total=%llu chunk_count=%llu "
                 "escape_repair_count=%llu max_bytes_allocated_peak=%llu\n",
            (unsigned long long)g_dead.bytes_total, (unsigned long long)g_dead.chunk_count,
            (unsigned long long)g_dead.escape_repairs, (unsigned long long)g_dead.max_peak);
    pthread_mutex_unlock(&g_lock);
}
