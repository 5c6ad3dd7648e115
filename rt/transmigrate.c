/* transmigrate.c — copy the part of a value graph that lives in dying or
 * younger regions into another region (CTRR escape repair).
 *
 * The one mechanism, metadata-driven (seed: "Transmigration Directive"):
 * every object is copied by its type's `clone` and its fields are found by
 * its type's trace shape or `trace` (types.c); nothing here knows an
 * object's shape.  The remap gives exactly one destination per source
 * object, so sharing and cycles survive the copy.  It is dense forwarding
 * kept in the source objects themselves: a copied source's first word
 * (its header, or a pair's car) holds its copy's address until the end,
 * so looking an object up is reading the word the copy needs anyway, and
 * no table is hashed or allocated.  A log of the copied sources doubles as
 * the worklist: copies are traced in the order they were made (breadth
 * first, no recursion), and at the end every source gets its first word
 * back from the log, so the source graph is unchanged.  The log starts on the C stack; larger graphs chain malloc'd
 * blocks (never copied).
 *
 * Which objects are copied (the source set):
 *   omni_transmigrate(v, from, to)  — objects of `from` (the compiler's
 *       transmigrate op: `from` is the region that is about to die);
 *   omni_transmigrate_into(v, to)   — objects of every region that does not
 *       outlive `to` and is not pinned (held by an immortal region, so it
 *       lives to the end: rt/remember.c) — the store barrier's repair:
 *       after it, nothing reachable from the copy can die before `to`.
 * Pointers to objects outside the source set (older regions, static data,
 * immortal regions) are roots: kept as they are, never visited, never
 * rewritten.  Immediates are values.
 *
 * Threads (docs/REGION_THREADING_MODEL.md).  Once a second thread exists
 * (omni_mt), another thread may be reading any object a copy reads, so
 * the remap no longer lives in the source objects: it is a side table (an
 * open-addressing map from source to copy, on the C stack while small) and
 * the sources are never written.  And an object whose type is shared by
 * identity (an atom, a channel, a thread handle: `by_identity` in the
 * registry) is never copied: it is a root, and `to` holds its region, so
 * every thread that reaches it reaches the same object.
 */
#include "rt_core.h"

#include <stdlib.h>
#include <string.h>

/* CMakeLists.txt builds this file without SLP vectorisation: a copy or a
 * log entry is read back word by word right after it is written, which a
 * merged 16-byte store would stall. */

/* Forwarding lives in the source object's header word: while the copy
 * runs, a copied source's 8-byte header holds its copy's address.  A real
 * header's low half is a type id (< OT__COUNT); an object address's low
 * half is at least 48 (objects start after a chunk header or a control
 * block, at 64 KiB- and 512-byte-aligned bases), so one compare tells them
 * apart.  The log keeps each source's own header for the end. */
_Static_assert(OT__COUNT < 48, "type ids must stay below the smallest object offset");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the type id is the header's low half");

/* A pair has no header (rt/omni.h), so its car is the forwarding word.
 * A car is any value, but never a special constant above OMNI_UNBOUND:
 * the forward mark is the copy's address with the special tag 010, and
 * an address is at least 48 (see above), above every special.  The mark
 * plus 2 is the copy's tagged pair value. */
#define PAIR_MARK_TAG 2
_Static_assert(OMNI_UNBOUND < 48, "specials stay below the smallest object offset");

static inline uint64_t hdr_word(OVal v) { return *(const uint64_t *)(uintptr_t)(v & ~(OVal)7); }
static inline bool is_forward(uint64_t hw) { return (uint32_t)hw >= OT__COUNT; }
static inline bool is_pair_forward(uint64_t car) { return (car & 7) == PAIR_MARK_TAG && car > OMNI_UNBOUND; }
/* The copy of an already copied source, from the source's first word. */
static inline OVal copy_of(OVal src, uint64_t hw)
{
    return omni_is_pair(src) ? (OVal)(hw - PAIR_MARK_TAG + OMNI_PAIR_TAG) : (OVal)hw;
}

/* The log: the copied source objects with their headers, in the order
 * the copies were made.  Blocks are chained, never moved (no realloc
 * copying); the first block is on the C stack. */
typedef struct TmEntry {
    uint64_t *src; /* the source's first word (its address, untagged) */
    uint64_t hdr;  /* the source's own first word (header or car), restored at the end */
    OVal copy;     /* its copy (tagged): the worklist reads it without decoding the mark */
} TmEntry;

typedef struct TmBlock {
    struct TmBlock *next;
    size_t n, cap;
    TmEntry e[];
} TmBlock;

#define TM_FIRST_ENTRIES 256
#define TM_MAX_BLOCK (1u << 17)
#define TM_MAX_SEEN 8

/* The side table of a copy made while threads run: source -> copy. */
typedef struct TmSide {
    OVal key, copy;
} TmSide;
#define TM_SIDE_FIRST 16 /* 256 bytes cleared per copy: most hand-offs are small; larger ones grow x4 */

typedef struct Tm {
    Region *from, *to;
    bool into;                 /* source set: every region that does not outlive `to` */
    bool side;                 /* omni_mt: remap in `map`, sources never written */
    TmSide *map;               /* side table (power-of-two capacity) */
    size_t mapcap, mapn;
    bool hold_roots;           /* `from` counts edges (remember.c): so must `to` */
    TmBlock *last;             /* block being appended to */
    uint64_t hits, fields;
    Region *seen[TM_MAX_SEEN]; /* source regions already charged a repair */
    int nseen;
    const OmniChunk *src_chunk; /* arena chunk of the last source object ... */
    Region *src_region;         /* ... and its region */
} Tm;

static uint64_t g_calls, g_cloned, g_pushes, g_hits, g_fields;

static TmBlock *block_new(TmBlock *prev)
{
    size_t cap = prev->cap < TM_MAX_BLOCK ? prev->cap * 4 : prev->cap;
    TmBlock *b = malloc(sizeof *b + cap * sizeof(TmEntry));
    if (!b)
        omni_internal_error("out of memory (transmigration log)");
    b->next = NULL;
    b->n = 0;
    b->cap = cap;
    prev->next = b;
    return b;
}

/* escape_repair_count: once per transmigration for each region copied from. */
static void charge(Tm *t, Region *r)
{
    for (int i = 0; i < t->nseen; i++)
        if (t->seen[i] == r)
            return;
    if (t->nseen < TM_MAX_SEEN)
        t->seen[t->nseen++] = r;
    r->escape_repair_count++;
}

static inline size_t side_hash(OVal v) { return (size_t)((v >> 3) * 0x9E3779B97F4A7C15ull); }

static OVal side_get(const Tm *t, OVal v)
{
    size_t mask = t->mapcap - 1;
    for (size_t i = side_hash(v) & mask; t->map[i].key; i = (i + 1) & mask)
        if (t->map[i].key == v)
            return t->map[i].copy;
    return 0;
}

static void side_put(Tm *t, OVal v, OVal copy)
{
    if (2 * (t->mapn + 1) > t->mapcap) {
        TmSide *old = t->map;
        size_t oldcap = t->mapcap;
        t->mapcap = oldcap * 4;
        t->map = calloc(t->mapcap, sizeof *t->map);
        if (!t->map)
            omni_internal_error("out of memory (transmigration table)");
        for (size_t i = 0; i < oldcap; i++)
            if (old[i].key) {
                size_t mask = t->mapcap - 1, j = side_hash(old[i].key) & mask;
                while (t->map[j].key)
                    j = (j + 1) & mask;
                t->map[j] = old[i];
            }
        if (oldcap != TM_SIDE_FIRST)
            free(old);
    }
    size_t mask = t->mapcap - 1, i = side_hash(v) & mask;
    while (t->map[i].key)
        i = (i + 1) & mask;
    t->map[i].key = v;
    t->map[i].copy = copy;
    t->mapn++;
}

/* The destination of pointer v: v itself for a root, else its one copy,
 * made (and logged, so it will be traced) on first sight. */
static inline __attribute__((always_inline)) OVal forward(Tm *t, OVal v)
{
    uint64_t hw = hdr_word(v);
    bool pair = omni_is_pair(v);
    if (__builtin_expect(t->side, 0)) {
        OVal c = side_get(t, v);
        if (c) {
            t->hits++;
            return c;
        }
    } else if (pair ? is_pair_forward(hw) : is_forward(hw)) {
        t->hits++;
        return copy_of(v, hw);
    }
    /* static objects: flagged in their header; static pairs are in the
     * immortal static region, a root by the region test below */
    if (!pair && ((uint32_t)(hw >> 32) & OHF_STATIC))
        return v;
    if (__builtin_expect(t->side, 0) && !pair && omni_types[(uint32_t)hw].by_identity) {
        /* shared by identity: never copied; `to` keeps it alive */
        Region *ir = omni_region_of_inline(v);
        if (ir && !omni_region_outlives_inline(ir, t->to))
            omni_rs_hold(t->to, ir);
        return v;
    }
    const OmniChunk *c = (const OmniChunk *)((uintptr_t)v & OMNI_CHUNK_MASK);
    Region *r;
    if (c == t->src_chunk) {
        r = t->src_region; /* same arena chunk as the last source: same region */
    } else {
        r = *(Region *const *)((uintptr_t)v & c->mask);
        if (r != t->from && (!t->into || !r || omni_load_relaxed_u8(&r->pinned) ||
                             omni_region_outlives_inline(r, t->to))) {
            /* a root.  When `from` (about to die) counted edges, a root
             * may live only by such a count: the copy in `to` holds it. */
            if (__builtin_expect(t->hold_roots, 0) && r && !omni_region_outlives_inline(r, t->to))
                omni_rs_hold(t->to, r);
            return v;
        }
        if (c->mask == OMNI_CHUNK_MASK) { /* not a slab: one region per chunk */
            t->src_chunk = c;
            t->src_region = r;
        }
    }
    OVal copy;
    if (pair) {
        /* the registry's clone of a pair (types.c), without the indirect
         * call: the commonest object of all */
        copy = omni_pair_copy(t->to, v);
    } else {
        copy = omni_types[(uint32_t)hw].clone(t->to, v);
        if (copy == v)
            return v; /* a type that is never copied (interned symbols) */
    }
    TmBlock *b = t->last;
    if (b->n == b->cap)
        b = t->last = block_new(b);
    TmEntry *e = &b->e[b->n++];
    e->src = (uint64_t *)(uintptr_t)(v & ~(OVal)7);
    e->hdr = hw;
    e->copy = copy;
    if (__builtin_expect(t->side, 0)) {
        side_put(t, v, copy);
        if (t->into && omni_region_mine(r))
            charge(t, r); /* another thread's counters are its own */
        return copy;
    }
    *(uint64_t *)(uintptr_t)(v & ~(OVal)7) = pair ? (uint64_t)copy - OMNI_PAIR_TAG + PAIR_MARK_TAG
                                                   : (uint64_t)copy;
    if (t->into)
        charge(t, r);
    return copy;
}

/* trace callback: rewrite one field of a copy. */
static void visit(OVal *slot, void *ctx)
{
    Tm *t = ctx;
    t->fields++;
    OVal v = *slot;
    if (omni_is_ref(v))
        *slot = forward(t, v);
}

static OVal run(Tm *t, OVal v)
{
    if (!omni_is_ref(v))
        return v;
    union {
        TmBlock b;
        char bytes[sizeof(TmBlock) + TM_FIRST_ENTRIES * sizeof(TmEntry)];
    } first;
    first.b.next = NULL;
    first.b.n = 0;
    first.b.cap = TM_FIRST_ENTRIES;
    t->last = &first.b;
    TmSide map0[TM_SIDE_FIRST];
    t->side = omni_is_mt();
    if (t->side) {
        memset(map0, 0, sizeof map0);
        t->map = map0;
        t->mapcap = TM_SIDE_FIRST;
        t->mapn = 0;
    }
    OVal root = forward(t, v);
    /* The log is the worklist: each copy (its source's header points to
     * it) has its fields rewritten in order, which appends more.  A type
     * with a fixed trace shape is rewritten in place; others through
     * their trace callback. */
    uint64_t fields = 0;
    for (TmBlock *b = &first.b; b; b = b->next)
        for (size_t i = 0; i < b->n; i++) {
            OVal c = b->e[i].copy;
            const OmniTypeMeta *m = &omni_types[omni_type_of_ref(c)];
            int nf = m->fields_n;
            if (nf >= 0) {
                OVal *f = (OVal *)((char *)(uintptr_t)(c & ~(OVal)7) + m->fields_off);
                fields += (uint64_t)nf;
                switch (nf) { /* the usual counts straight-line: no loop to predict */
                case 2:
                    if (omni_is_ref(f[1]))
                        f[1] = forward(t, f[1]);
                    /* fall through */
                case 1:
                    if (omni_is_ref(f[0]))
                        f[0] = forward(t, f[0]);
                    /* fall through */
                case 0:
                    break;
                default:
                    for (int k = 0; k < nf; k++)
                        if (omni_is_ref(f[k]))
                            f[k] = forward(t, f[k]);
                }
            } else {
                m->trace(c, visit, t);
            }
        }
    /* Every source object gets its first word back (side table: never
     * written). */
    size_t n = 0;
    for (TmBlock *b = &first.b, *next; b; b = next) {
        if (!t->side)
            for (size_t i = 0; i < b->n; i++)
                *b->e[i].src = b->e[i].hdr;
        n += b->n;
        next = b->next;
        if (b != &first.b)
            free(b);
    }
    if (t->side && t->map != map0)
        free(t->map);
    t->fields += fields;
    if (n && t->from && omni_region_mine(t->from))
        t->from->escape_repair_count++;
    omni_add_fetch_relaxed_u64(&g_calls, 1);
    omni_add_fetch_relaxed_u64(&g_cloned, n);
    omni_add_fetch_relaxed_u64(&g_pushes, n); /* each copy is queued once */
    omni_add_fetch_relaxed_u64(&g_hits, t->hits);
    omni_add_fetch_relaxed_u64(&g_fields, t->fields);
    return root;
}

OVal omni_transmigrate(OVal v, Region *from, Region *to)
{
    if (!from || !to || from == to)
        return v;
    omni_stack_check(); /* a safe point (stack.c): no mark written yet */
    Tm t = { .from = from, .to = to, .hold_roots = from->rs != NULL };
    return run(&t, v);
}

OVal omni_transmigrate_into(OVal v, Region *to)
{
    if (!to)
        return v;
    Tm t = { .to = to, .into = true };
    return run(&t, v);
}

/* Moves what args[0..n-1] reach in `from` into `to`: the values are packed
 * into one array allocated in `from`, so a single transmigration copies
 * them and an object shared by two of them stays one object. */
static void move_args(Region *from, Region *to, int64_t n, OVal *args)
{
    if (n <= 0)
        return;
    OVal pack = omni_array_new(from, n);
    OArray *a = (OArray *)(uintptr_t)pack;
    memcpy(a->items, args, (size_t)n * sizeof *args);
    a->len = n;
    OArray *b = (OArray *)(uintptr_t)omni_transmigrate(pack, from, to);
    memcpy(args, b->items, (size_t)n * sizeof *args);
}

/* Is something outside k's scope holding k — an edge the store barrier
 * counted (a mutable object stored into an older one), a retained child
 * region (which may point into k freely), a tether or another thread?
 * Then objects of k may be reached from outside the values being moved,
 * and a copy would split a mutable object in two (or an immutable one's
 * identity): k's objects are not moved, k stays alive through the count. */
static bool held_from_outside(const Region *k)
{
    return k->external_rc != 0 || k->tether_count != 0 ||
           omni_load_acquire_i32(&k->shared_rc) != 0;
}

/* Does a carried argument live in k?  (Objects elsewhere reach k only
 * through edges the barrier counted: k is then held.) */
static bool args_in(const Region *k, int64_t n, const OVal *args)
{
    for (int64_t i = 0; i < n; i++)
        if (omni_region_of(args[i]) == k)
            return true;
    return false;
}

Region *omni_region_carry_slow(Region *k, Region *parent, int64_t n, OVal *args)
{
    if (held_from_outside(k)) {
        if (!args_in(k, n, args)) {
            /* Nothing the next iteration names is in k, and what points
             * into it from outside is counted: k is left to its counts
             * (a global overwritten in the loop gives it back) and the
             * loop goes on in a fresh region. */
            Region *k2 = omni_region_new_at(parent, k->loc);
            k2->carry_id = k2->id;
            k2->carry_live = 0;
            omni_region_exit(k);
            return k2;
        }
        /* no move: look again after k has doubled (amortised, as a move) */
        k->carry_id = k->id;
        k->carry_live = omni_region_bytes_total(k);
        return k;
    }
    Region *k2 = omni_region_new_at(parent, k->loc);
    move_args(k, k2, n, args);
    /* the copy of the pack stays in k2 (a few words): counted as live */
    k2->carry_id = k2->id;
    k2->carry_live = omni_region_bytes_total(k2);
    omni_region_exit(k);
    return k2;
}

void omni_region_leave(Region *k, Region *to, int64_t n, OVal *args)
{
    /* k held from outside: its objects are not moved (docs/CTRR.md,
     * "Identity"); the counts that hold it may be released (an overwrite),
     * so `to`, where the arguments now live, holds k too */
    if (!held_from_outside(k))
        move_args(k, to, n, args);
    else if (args_in(k, n, args))
        omni_rs_hold(omni_region_resolve(to), k);
    omni_region_exit(k);
}

void omni_transmigrate_counters(OmniTransmigrateCounters *out)
{
    out->calls = omni_load_relaxed_u64(&g_calls);
    out->objects_cloned = omni_load_relaxed_u64(&g_cloned);
    out->worklist_pushes = omni_load_relaxed_u64(&g_pushes);
    out->remap_hits = omni_load_relaxed_u64(&g_hits);
    out->fields_visited = omni_load_relaxed_u64(&g_fields);
}
