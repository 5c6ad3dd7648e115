/* region.h — the region control block, its per-thread pool, and the inline
 * fast paths: bump allocation, region_of, region.new and region.exit.
 *
 * Memory layout (docs/MEMORY_TERMINOLOGY.md, docs/REGION_RC_MODEL.md).
 * Region memory comes in chunks of OMNI_CHUNK_SIZE bytes aligned to their
 * size.  Each chunk starts with an OmniChunk header whose `mask` says how to
 * find the owner of an address p inside it: the owner's Region pointer is
 * the word at p & mask.  An arena chunk has mask ~(CHUNK-1), so that word is
 * the header's own `region` field.  A slot slab is a chunk cut into
 * OMNI_SLOT_SIZE slots, each holding one control block followed by its
 * inline buffer; its mask is ~(SLOT-1), and the word at the slot start is
 * the control block's `self`.  So region_of(obj) is three loads and no
 * branch on the chunk kind, it needs no per-object owner word, and it is
 * right for objects in the inline buffer as well as in arena chunks; moving
 * an arena chunk to another region (splice) is one store in its header.
 * An object bigger than OMNI_LARGE_OBJECT gets an arena chunk of its own.
 * Static objects (OHF_STATIC) are outside any region.
 *
 * A small scope (a call that makes a few objects) lives entirely in its
 * slot: region.new pops a slot from the thread's pool, allocation bumps in
 * the inline buffer, region.exit pushes the slot back.  The pool is found
 * through the parent region (`kids`) and checked against the thread
 * pointer, so the fast paths need neither a lock, nor an atomic
 * instruction, nor a thread-local variable.
 *
 * Liveness (CTRR): a region is reclaimed exactly once, when !scope_alive
 * and external_rc == 0 and tether_count == 0 and shared_rc == 0.
 * external_rc and tether_count are changed by the owner thread only
 * (including the reference a child region holds on its parent);
 * shared_rc counts references and tethers held by other threads and is the
 * only atomic counter.  Every region holds a reference on its parent, so
 * "a outlives b" is "a is an ancestor-or-self of b"; the static region
 * (NULL) and the global region are immortal and outlive everything.
 *
 * This header is included by rt/hot.c, which is compiled to bitcode and
 * inlined into every compiled module: keep it free of heavy includes and of
 * thread-locals.
 */
#ifndef OMNI_REGION_H
#define OMNI_REGION_H

#include "omni.h"
#include "omni_atomic.h" /* every atomic operation of the runtime (the policy) */

#define OMNI_CHUNK_SHIFT 16
#define OMNI_CHUNK_SIZE  ((size_t)1 << OMNI_CHUNK_SHIFT)      /* 64 KiB */
#define OMNI_LARGE_OBJECT (OMNI_CHUNK_SIZE / 4)                /* own chunk above this */
#ifndef OMNI_SLOT_SHIFT
#define OMNI_SLOT_SHIFT  9
#endif
#define OMNI_SLOT_SIZE   ((size_t)1 << OMNI_SLOT_SHIFT)        /* control block + inline buffer */

typedef struct OmniRegionPool OmniRegionPool;
typedef struct OmniRemembered OmniRemembered;

/* Header at the start of every chunk (48 bytes). */
typedef struct OmniChunk {
    Region *region;          /* arena chunk: its owner (NULL in the pool); slab: NULL */
    uintptr_t mask;          /* region_of: the owner's Region * is the word at p & mask */
    struct OmniChunk *next;  /* the region's chunk list, a pool list, or the slab list */
    size_t size;             /* bytes including this header */
    size_t used;             /* bytes handed out (set when the chunk is retired) */
    OmniRegionPool *pool;    /* slab: the pool its slots belong to */
} OmniChunk;

#define OMNI_CHUNK_MASK (~(uintptr_t)(OMNI_CHUNK_SIZE - 1))
#define OMNI_SLOT_MASK  (~(uintptr_t)(OMNI_SLOT_SIZE - 1))

enum {
    OMNI_REGION_LIVE = 0x5245474eu, /* "REGN": the control block is in use */
    OMNI_REGION_DEAD = 0x44454144u, /* "DEAD": reclaimed, in a pool */
};

/* How a region holds its parent (the reference is released at reclaim). */
enum {
    OMNI_PREF_NONE = 0,   /* no parent, or an immortal one: nothing counted */
    OMNI_PREF_LOCAL = 1,  /* parent->external_rc (same owner thread) */
    OMNI_PREF_SHARED = 2, /* parent->shared_rc (parent owned by another thread) */
};

struct Region {
    /* First 64 bytes: what region_of, the pool and the stale-handle check
     * read.  They stay readable while the slot is pooled (sanitizer builds
     * poison the rest of a pooled slot). */
    Region *self;              /* the word region_of finds for inline objects */
    uint32_t state;            /* OMNI_REGION_LIVE / OMNI_REGION_DEAD */
    uint32_t depth;            /* 0 for roots (global, static, parentless) */
    uint64_t id;               /* unique for the life of the process, never reused */
    Region *next_free;         /* pool list */
    OmniRegionPool *home;      /* the pool this control block belongs to */
    OmniRegionPool *kids;      /* pool hint for children (== home, except immortal regions) */
    char *cur;                 /* bump pointer */
    char *end;                 /* end of the current bump area */

    char *base;                /* start of the current bump area (accounting) */
    OmniChunk *cur_chunk;      /* chunk of the bump area; NULL while it is the inline buffer */
    OmniChunk *chunks;         /* every other chunk: retired ones and large objects */
    Region *parent;            /* holds a reference on it (parent_ref says which counter) */
    Region *jump;              /* ancestor for O(log depth) "outlives" queries */

    /* CTRR liveness. */
    int32_t scope_alive;       /* 1 until region.exit (2: immortal, never exits) */
    int32_t external_rc;       /* owner-thread references from outside (incl. children) */
    int32_t tether_count;      /* owner-thread borrow windows in progress */
    int32_t shared_rc;         /* references and tethers of other threads (atomic) */
    uint8_t immortal;          /* global and static regions: never reclaimed */
    uint8_t parent_ref;        /* OMNI_PREF_* */
    uint8_t in_live_list;      /* linked in the --region-stats list of live regions */
    uint8_t no_inline;         /* omni_region_no_inline: arena chunks only */
    uint8_t borrowed;          /* a load returned one of its objects while a slot counted it (remember.c) */
    uint8_t pinned;            /* held by an immortal region: lives to the end (remember.c) */
    uint8_t pad_[2];
    const OmniLoc *loc;        /* where region.new was (NULL: unknown) */

    /* Accounting (docs/REGION_ACCOUNTING.md).  Bytes of the current bump
     * area are added on demand (omni_region_stats), so the allocation fast
     * path stays one compare and one store. */
    uint64_t bytes_retired;         /* object bytes outside the current bump area */
    uint64_t inline_buf_bytes;      /* inline buffer use, frozen once it is left */
    uint64_t chunk_count;           /* chunks acquired over the region's life */
    uint64_t escape_repair_count;   /* repairs (transmigrations) that copied out of it */
    uint64_t bytes_held;            /* slot + chunk memory held now */
    uint64_t bytes_allocated_peak;  /* peak of bytes_held */
    uint64_t late_bytes;            /* chunk bytes acquired while long-lived (retention) */
    const char *name;               /* "global", "static", or NULL */
    Region *live_prev, *live_next;  /* --region-stats: every live region */
    /* Loop carry regions (omni_region_carry): carry_live is the live size
     * after the last carry into this region, valid only while carry_id ==
     * id (ids are never reused, so a recycled slot needs no reset). */
    uint64_t carry_id, carry_live;
    /* Region-RC's counted edges (rt/remember.c): the edges objects of this
     * region hold into regions that do not outlive it, each with one
     * reference, released when the slot is overwritten or this region
     * dies.  NULL until the first one. */
    OmniRemembered *rs;
    uint64_t rs_slot_refs;     /* slot edges (of any region) counting this region */
};

/* A pool of control blocks, one per thread that creates regions (region.c
 * finds it through a thread-local; the fast paths through region->kids). */
struct OmniRegionPool {
    uintptr_t fast_key;        /* owner's thread pointer, or 1 to force the slow paths */
    Region *free;              /* pooled control blocks (slots) */
    uint64_t seq;              /* regions made by this pool: the low bits of their ids */
    uint64_t id_base;          /* pool number << 48 */
    uint64_t reclaimed;        /* written by the owner, read by anyone (relaxed) */
    /* Cold part: region.c only. */
    uintptr_t owner;           /* owner's thread pointer; 0 while orphaned */
    uint32_t index, nchunk_cache;
    OmniChunk *chunk_cache;    /* free arena chunks kept without the global lock */
    OmniChunk *slabs;          /* slot slabs of this pool */
    Region *remote;            /* dead regions other threads handed back (atomic stack) */
    Region *quarantine_head, *quarantine_tail; /* debug: freed slots waiting for reuse */
    uint32_t nquarantine, pad_;
    /* Chunk memory acquired/released by this thread (owner writes, relaxed). */
    uint64_t chunks_acquired, chunk_bytes_peak;
    int64_t chunk_bytes_now;
    OmniRegionPool *next_pool; /* every pool */
    OmniRegionPool *next_orphan; /* pools whose thread ended, waiting for adoption */
};

/* ---- region.c: slow paths the inline code falls back to ---------------- */
Region *omni_region_new_slow(Region *parent, const OmniLoc *loc);
void    omni_region_exit_slow(Region *r);
/* Reclaims r if it is dead (the liveness rule); returns true if it did. */
bool    omni_region_maybe_reclaim(Region *r);
/* Is a an ancestor-or-self of b (NULL and immortal a: always)? */
bool    omni_region_outlives(const Region *a, const Region *b);

/* The thread pointer: identifies the running thread without a thread-local
 * variable (one instruction; the same value as pthread_self on glibc). */
static inline uintptr_t omni_thread_key(void)
{
    return (uintptr_t)__builtin_thread_pointer();
}

/* Bump allocation of n bytes (rounded up to 8) in r.  The slow path (new
 * chunk, large object) is omni_region_alloc_slow in region.c. */
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
    if (!omni_is_ref(v))
        return (Region *)0;
    /* a pair has no header; static pairs live in the static region's own
     * chunks (omni_static_alloc), so the chunk answers for them too */
    if (!omni_is_pair(v) && (((const OHdr *)(uintptr_t)v)->flags & OHF_STATIC))
        return (Region *)0;
    const OmniChunk *c = (const OmniChunk *)((uintptr_t)v & OMNI_CHUNK_MASK);
    return *(Region *const *)((uintptr_t)v & c->mask);
}

/* Inline part of "a outlives b": the common answers without a walk. */
static inline bool omni_region_outlives_inline(const Region *a, const Region *b)
{
    if (!a || a == b || a->immortal)
        return true;
    if (!b || a->depth >= b->depth)
        return false; /* b is immortal, or a cannot be a proper ancestor */
    if (b->parent == a)
        return true;
    return omni_region_outlives(a, b);
}

/* region.new: a child of `parent` (which must stay alive while the new
 * region's scope is open: the caller's result region or an enclosing scope
 * region).  Fast path: pop a pooled control block of this thread. */
static inline Region *omni_region_new_inline(Region *parent, const OmniLoc *loc)
{
    if (__builtin_expect(parent != (Region *)0, 1)) {
        OmniRegionPool *h = omni_load_relaxed_ptr(&parent->kids);
        if (__builtin_expect(omni_load_relaxed_uptr(&h->fast_key) == omni_thread_key(), 1)) {
            Region *r = h->free;
            if (__builtin_expect(r != (Region *)0, 1)) {
                /* A pooled slot is already clean (region.c resets it when
                 * it is reclaimed): bump area = inline buffer, counters 0. */
                h->free = r->next_free;
                uint64_t seq = h->seq + 1;
                omni_store_relaxed_u64(&h->seq, seq);
                r->id = h->id_base | seq;
                r->state = OMNI_REGION_LIVE;
                r->scope_alive = 1;
                r->parent = parent;
                r->depth = parent->depth + 1;
                /* Jump pointers (skew-binary): outlives walks O(log depth). */
                Region *pj = parent->jump;
                r->jump = (parent->depth - pj->depth == pj->depth - pj->jump->depth) ? pj->jump : parent;
                r->loc = loc;
                if (parent->immortal) {
                    r->parent_ref = OMNI_PREF_NONE;
                } else {
                    /* parent->kids == h: the parent is ours, count locally. */
                    r->parent_ref = OMNI_PREF_LOCAL;
                    omni_store_relaxed_i32(&parent->external_rc, parent->external_rc + 1);
                }
                return r;
            }
        }
    }
    return omni_region_new_slow(parent, loc);
}

/* region.exit: the scope of r ends.  Fast path: r never left its inline
 * buffer and nothing but its scope holds it (no reference, tether or child
 * of this or another thread), so it is reclaimed here and its slot goes
 * back to the pool.  Everything else is omni_region_exit_slow. */
static inline void omni_region_exit_inline(Region *r)
{
    OmniRegionPool *h = r->home;
    if (__builtin_expect(omni_load_relaxed_uptr(&h->fast_key) == omni_thread_key() &&
                         r->state == OMNI_REGION_LIVE && r->scope_alive == 1 &&
                         ((uintptr_t)r->cur_chunk | (uintptr_t)r->chunks | (uintptr_t)r->rs) == 0 &&
                         r->parent_ref != OMNI_PREF_SHARED &&
                         (r->external_rc | r->tether_count |
                          omni_load_acquire_i32(&r->shared_rc)) == 0, 1)) {
        Region *p = r->parent;
        /* Back to the pool, clean: only the bump pointer moved. */
        r->cur = r->base;
        r->end = (char *)r + OMNI_SLOT_SIZE; /* undoes omni_region_no_inline */
        r->no_inline = 0;
        r->escape_repair_count = 0;
        r->borrowed = 0;
        r->scope_alive = 0;
        r->state = OMNI_REGION_DEAD;
        r->next_free = h->free;
        h->free = r;
        omni_store_relaxed_u64(&h->reclaimed, h->reclaimed + 1);
        if (r->parent_ref == OMNI_PREF_LOCAL) {
            int32_t n = p->external_rc - 1;
            omni_store_relaxed_i32(&p->external_rc, n);
            if (__builtin_expect(n == 0 && p->scope_alive == 0, 0))
                omni_region_maybe_reclaim(p); /* the parent was waiting for this child */
        }
        return;
    }
    omni_region_exit_slow(r);
}

/* Writes an object header (type, flags 0) in one store. */
static inline void omni_hdr_init(void *p, uint32_t type)
{
    OHdr *h = (OHdr *)p;
    h->type = type;
    h->flags = 0;
}

/* A pair of car and cdr bump-allocated in r: the one inline constructor
 * behind cons (rt/hot.c, rt/object.c) and the list builders. */
static inline OPair *omni_pair_new_inline(Region *r, OVal car, OVal cdr)
{
    OPair *p = omni_region_alloc_inline(r, sizeof(OPair));
    p->car = car;
    p->cdr = cdr;
    return p;
}

/* A copy of pair v in `to`: its two words (a pair has no header).  The
 * registry's clone of a pair, and transmigration's, which calls it
 * without going through the registry's function pointer. */
static inline OVal omni_pair_copy(Region *to, OVal v)
{
    OPair *p = omni_region_alloc_inline(to, sizeof(OPair));
    *p = *OMNI_PAIR(v);
    return OMNI_PAIR_VAL(p);
}

static inline void omni_static_hdr(void *p, uint32_t type)
{
    OHdr *h = (OHdr *)p;
    h->type = type;
    h->flags = OHF_STATIC;
}

/* ---- region.c: the rest of the region API (omni.h has the ABI part) ---- */

/* Accounting of one region, exact at the time of the call
 * (docs/REGION_ACCOUNTING.md). */
typedef struct OmniRegionStats {
    uint64_t bytes_allocated_total;  /* object bytes (sizes rounded up to 8) */
    uint64_t bytes_allocated_peak;   /* peak memory held: slot + chunks */
    uint64_t inline_buf_used_bytes;  /* bytes of the inline buffer used */
    uint64_t chunk_count;            /* chunks acquired (arena and large) */
    uint64_t escape_repair_count;    /* repairs that copied objects out of it */
    uint64_t bytes_held;             /* memory held now */
} OmniRegionStats;
void omni_region_stats(const Region *r, OmniRegionStats *out);
/* Bytes of objects allocated in r over its life. */
uint64_t omni_region_bytes_total(const Region *r);
/* Raw memory in the immortal static region (thread-safe).  Objects put
 * there must get OHF_STATIC in their header (omni_static_hdr). */
void *omni_static_alloc(size_t n);
/* Moves every arena chunk of src into dst (their objects then belong to
 * dst; region_of follows).  Refused (false) when src has objects in its
 * inline buffer, which cannot move, or src and dst have different owner
 * threads.  src stays usable, empty. */
bool omni_region_splice(Region *src, Region *dst);
/* Makes r allocate in arena chunks only (no inline buffer), so that it can
 * be spliced; only before r's first allocation. */
void omni_region_no_inline(Region *r);
/* Stale-handle check: is r still the region that had this id? */
bool omni_region_is(const Region *r, uint64_t id);
/* The thread that owns r (its pool's owner). */
uintptr_t omni_region_owner(const Region *r);
/* Regions its thread made since r was made (retention diagnostics). */
uint64_t omni_region_age(const Region *r);

/* Threads (docs/REGION_THREADING_MODEL.md).  omni_mt: set once a thread
 * was started (never cleared). */
extern uint32_t omni_mt;
static inline bool omni_is_mt(void) { return omni_load_relaxed_u32(&omni_mt) != 0; }
void omni_region_set_mt(void);
/* Called first thing by a thread `thread` started: it gets its own
 * immortal global region (omni_region_global answers it from then on). */
void omni_region_thread_begin(const char *name);
/* Does the calling thread own r (the program thread owns the global and
 * static regions)?  Only the owner allocates in a region. */
bool omni_region_mine(const Region *r);
/* A reference on r for another thread (atomic shared_rc), taken while r is
 * alive for the caller; the other thread drops it with unshare. */
void omni_region_share(Region *r);
void omni_region_unshare(Region *r);
/* Where the runtime allocates memory that belongs to an object of r (an
 * array's grown items, a dict's entries): r, unless r is another thread's
 * region, in which case the calling thread's global region (immortal, so
 * it outlives r).  Only a region's owner allocates in it. */
static inline Region *omni_region_for_alloc(Region *r)
{
    if (__builtin_expect(omni_is_mt(), 0) && !omni_region_mine(r))
        return omni_region_global();
    return r;
}
/* Recycles the dead regions other threads handed back to this thread,
 * or to the pools of threads that ended (drain_orphans). */
void omni_region_drain_mine(void);
void omni_region_drain_orphans(void);
/* Does r belong to the pool of a thread that ended? */
bool omni_region_orphaned(const Region *r);

/* Error unwinding (omni_try): the newest region id of this thread, and
 * exiting every scope region of this thread made after such a mark. */
uint64_t omni_region_mark(void);
void omni_region_unwind(uint64_t mark);

/* Process-wide counters (tests, stats). */
typedef struct OmniRegionCounters {
    uint64_t regions_created, regions_reclaimed, regions_live;
    uint64_t chunks_acquired, chunks_pooled, chunk_bytes_peak;
} OmniRegionCounters;
void omni_region_counters(OmniRegionCounters *out);
/* Set up the global and static regions (called by omni_rt_init). */
void omni_region_init(void);

/* ---- region_stats.c: --region-stats ------------------------------------ */
/* Turns per-site accounting on (before regions of interest are made). */
void omni_region_stats_enable(bool on);
bool omni_region_stats_enabled(void);
/* The report: per region-creating site, then retention warnings. */
void omni_region_print_stats(FILE *out);
/* region.c → region_stats.c: a region made / reclaimed (stats mode). */
void omni_region_site_made(Region *r);
void omni_region_site_reclaimed(Region *r);
/* Calls fn on every region of the stats-mode live list (under a lock). */
void omni_region_foreach_live(void (*fn)(const Region *r, void *ctx), void *ctx);
/* Retention thresholds (docs/REGION_ACCOUNTING.md). */
typedef struct OmniRetention {
    uint64_t bytes;  /* warn when a long-lived region received this many bytes late */
    uint64_t age;    /* a region is long-lived after this many younger regions were made */
    uint64_t held_regions; /* warn when this many live regions outlived their scope (held) */
} OmniRetention;
extern OmniRetention omni_retention;

/* ---- transmigrate.c -------------------------------------------------------- */
/* Copies into `to` every object reachable from v that lives in a region
 * that does not outlive `to` (the store barrier's repair); see
 * docs/CTRR_TRANSMIGRATION.md. */
OVal omni_transmigrate_into(OVal v, Region *to);
typedef struct OmniTransmigrateCounters {
    uint64_t calls, objects_cloned, worklist_pushes, remap_hits, fields_visited;
} OmniTransmigrateCounters;
void omni_transmigrate_counters(OmniTransmigrateCounters *out);

/* The slow path of omni_region_carry (hot.c): the move itself. */
Region *omni_region_carry_slow(Region *k, Region *parent, int64_t n, OVal *args);
/* Bytes allocated in k since its last carry, and the limit above which
 * omni_region_carry moves the live values: max(256 KiB, 2 x live size),
 * a floor inside a core's L2 cache (docs/CTRR.md, "Bounded carry"). */
#define OMNI_CARRY_MIN ((uint64_t)256 << 10)

/* ---- barrier.c -------------------------------------------------------------- */
/* The store barrier's repair: called by omni_store when v's region does not
 * outlive the owner's.  Stores the repaired value in *slot. */
void omni_store_repair(OVal owner, OVal *slot, OVal v, Region *vr, Region *owner_r);
/* The slow path of omni_admit (hot.c): v repaired for an object of r. */
OVal omni_admit_slow(Region *r, OVal v);
/* The slow path of omni_store when counted edges exist and the slot held
 * a pointer: the slot's counted edges are detached, v is stored (and
 * repaired), then the detached references are released. */
void omni_store_counted(OVal owner, OVal *slot, OVal v);

/* ---- remember.c: Region-RC's counted edges ------------------------------------ */
/* Slot edges counted in all regions: 0 keeps every check off the fast paths. */
extern uint64_t omni_rs_slots_live;
/* owner's object holds, at *slot, a pointer into r (r does not outlive
 * owner): one reference on r, dropped by omni_rs_detach or owner's death. */
void omni_rs_count_slot(Region *owner, OVal *slot, Region *r);
/* owner holds pointers into r not tied to a slot (admission, a copy's
 * root): one reference per distinct r, dropped when owner dies. */
void omni_rs_hold(Region *owner, Region *r);
/* Removes the edges counted for *slot; their regions go to out[0..n-1]
 * (n returned; at most max, the rest are turned into holds of owner). */
int omni_rs_detach(Region *owner, OVal *slot, Region **out, int max);
/* Drops references detached from owner's slot: released, or kept as holds
 * of owner when a load may still see them (any of them borrowed). */
void omni_rs_drop(Region *owner, OVal *slot, Region **rs, int n);
/* The slot's overwritten values were read before (remember.c). */
bool omni_rs_is_accumulator(Region *owner, OVal *slot);
/* The slot's counted edges become holds: its value was handed out (pop!). */
void omni_rs_unslot(Region *owner, OVal *slot);
/* The object's storage moved (array growth, dict growth): re-key. */
void omni_rs_move(Region *owner, OVal *from, OVal *to, int64_t n);
/* fn(arg) is called when r dies (the handle of a channel or thread core
 * outside the regions, rt/thread.c); nothing for an immortal r.  Only r's
 * owner registers. */
void omni_rs_on_death(Region *r, void (*fn)(void *), void *arg);
/* Called by the reclamation of r: releases what r counted. */
void omni_rs_region_dies(Region *r);
/* A load handed out v: if v's region is counted by a slot, it may be
 * reachable from registers from now on (remember.c, "Borrowed"). */
void omni_rs_note_load_slow(OVal v);
static inline void omni_rs_note_load(OVal v)
{
    if (omni_is_ref(v) && __builtin_expect(omni_load_relaxed_u64(&omni_rs_slots_live) != 0, 0))
        omni_rs_note_load_slow(v);
}
void omni_barrier_counters(uint64_t *retained, uint64_t *copied, uint64_t *store_regions);
void omni_rs_counters(uint64_t *counted, uint64_t *released, uint64_t *held_after_load);
/* The region an owner value's edges are counted in: its region, or the
 * global region for a global slot (owner 0) or a static owner. */
Region *omni_rs_owner_region(OVal owner);

#endif
