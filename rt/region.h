/* region.h — the region control block and the inline bump allocator.
 *
 * A Region is an arena made of chunks.  Every chunk is OMNI_CHUNK_SIZE bytes
 * (a power of two) and aligned to its size, and starts with an OmniChunk
 * header naming its region, so region_of(p) is one mask and one load: no
 * per-object owner word.  An object bigger than OMNI_LARGE_OBJECT gets a
 * chunk of its own (size rounded up to a multiple of OMNI_CHUNK_SIZE, still
 * aligned to OMNI_CHUNK_SIZE), and the object starts right after the header,
 * so the mask still finds the header.  Static objects (OHF_STATIC: symbols,
 * literals, constants the compiler emits as LLVM globals) are outside any
 * chunk and have no region.
 *
 * The liveness fields are the CTRR ones (design.md, "Memory: CTRR"): a region
 * is reclaimed exactly once, when !scope_alive && external_rc == 0 &&
 * tether_count == 0.  Every region holds one reference (external_rc) on its
 * parent, so pointers from a region into its ancestors need no counting.
 *
 * This header is included by rt/hot.c, which is compiled to bitcode and
 * inlined into every compiled module: keep it free of heavy includes and of
 * thread-locals.
 */
#ifndef OMNI_REGION_H
#define OMNI_REGION_H

#include "omni.h"

#define OMNI_CHUNK_SHIFT 16
#define OMNI_CHUNK_SIZE  ((size_t)1 << OMNI_CHUNK_SHIFT)      /* 64 KiB */
#define OMNI_LARGE_OBJECT (OMNI_CHUNK_SIZE / 4)                /* own chunk above this */

/* Header at the start of every chunk.  32 bytes, so object data that follows
 * is 16-byte aligned. */
typedef struct OmniChunk {
    Region *region;          /* owner; NULL while the chunk sits in the pool */
    struct OmniChunk *next;  /* the region's chunk list, or the pool list */
    size_t size;             /* bytes including this header */
    size_t used;             /* bytes handed out (set when the chunk is retired) */
} OmniChunk;

enum {
    OMNI_REGION_LIVE = 0x5245474eu, /* "REGN": the control block is in use */
    OMNI_REGION_DEAD = 0x44454144u, /* "DEAD": reclaimed, in the free list */
};

struct Region {
    /* Bump-allocation state first: the inline fast path touches only these. */
    char *cur;                 /* next free byte of the current chunk */
    char *end;                 /* end of the current chunk */
    OmniChunk *cur_chunk;      /* chunk cur points into (NULL before the first alloc) */
    OmniChunk *chunks;         /* every other chunk of this region (full ones, large objects) */

    /* CTRR liveness. */
    int32_t scope_alive;       /* 1 until omni_region_exit */
    int32_t external_rc;       /* references from outside (incl. one per child region) */
    int32_t tether_count;      /* borrow windows in progress */
    uint32_t state;            /* OMNI_REGION_LIVE / OMNI_REGION_DEAD (stale-handle check) */
    uint64_t id;               /* unique for the life of the process, never reused */
    Region *parent;            /* holds one external_rc on it; NULL for roots */
    uintptr_t owner_thread;    /* the thread that created it (pthread_self) */
    const char *name;          /* "global", "static", or NULL for scope regions */

    /* Accounting (design.md: drives repair heuristics and --region-stats).
     * bytes_allocated_total counts the bytes of retired chunks and large
     * objects; the part of the current chunk is added by
     * omni_region_bytes_total(), so the fast path stays one compare and one
     * store. */
    uint64_t bytes_allocated_total;
    uint64_t bytes_allocated_peak;  /* peak chunk memory held (bytes incl. headers) */
    uint64_t bytes_held;            /* chunk memory held now */
    uint64_t chunk_count;           /* chunks acquired over the region's life */
    uint64_t escape_repair_count;   /* transmigrations out of this region */

    Region *next_free;         /* control-block free list */
    Region *live_prev, *live_next; /* list of live regions (stats, leak checks) */
};

/* Bump allocation of n bytes (rounded up to 8) in r.  Inline fast path: the
 * slow path (new chunk, large object) is omni_region_alloc_slow in region.c. */
static inline void *omni_region_alloc_inline(Region *r, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    char *p = r->cur;
    if (__builtin_expect((size_t)(r->end - p) >= n, 1)) {
        r->cur = p + n;
        return p;
    }
    return omni_region_alloc_slow(r, n);
}

/* Region of a value: NULL for immediates and static objects. */
static inline Region *omni_region_of_inline(OVal v)
{
    if (!omni_is_ptr(v))
        return (Region *)0;
    const OHdr *h = (const OHdr *)(uintptr_t)v;
    if (h->flags & OHF_STATIC)
        return (Region *)0;
    const OmniChunk *c = (const OmniChunk *)((uintptr_t)v & ~(uintptr_t)(OMNI_CHUNK_SIZE - 1));
    return c->region;
}

/* Writes an object header (type, flags 0) in one store. */
static inline void omni_hdr_init(void *p, uint32_t type)
{
    OHdr *h = (OHdr *)p;
    h->type = type;
    h->flags = 0;
}

static inline void omni_static_hdr(void *p, uint32_t type)
{
    OHdr *h = (OHdr *)p;
    h->type = type;
    h->flags = OHF_STATIC;
}

/* ---- region.c: the rest of the region API (omni.h has the ABI part) ---- */

/* Bytes of objects allocated in r over its life. */
uint64_t omni_region_bytes_total(const Region *r);
/* Reclaims r if it is dead (the three-condition rule); returns true if it did. */
bool omni_region_maybe_reclaim(Region *r);
/* Raw memory in the immortal static region (thread-safe).  Objects put
 * there must get OHF_STATIC in their header (omni_static_hdr). */
void *omni_static_alloc(size_t n);
/* Region statistics for --region-stats / OMNI_REGION_STATS=1. */
void omni_region_print_stats(FILE *out);
/* Process-wide counters (tests, stats). */
typedef struct OmniRegionCounters {
    uint64_t regions_created, regions_reclaimed, regions_live;
    uint64_t chunks_acquired, chunks_pooled, chunk_bytes_peak;
} OmniRegionCounters;
void omni_region_counters(OmniRegionCounters *out);
/* Set up the global and static regions (called by omni_rt_init). */
void omni_region_init(void);

#endif
