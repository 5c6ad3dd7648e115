/* barrier.c — the store barrier's repair (slow path of omni_store, hot.c).
 *
 * omni_store calls omni_store_repair only for a pointer v whose region does
 * not outlive the owner's region O (owner 0, or a static owner: the global
 * region): left as it is, the edge would dangle once v's region is
 * reclaimed (Region Closure Property).  The repair walks what v reaches in
 * the regions that do not outlive O (the source set), at most
 * REPAIR_WALK_BUDGET objects, then either
 *
 *  - **retains** v's region: one reference, counted as a slot edge of O
 *    (remember.c), released when the slot is overwritten or O dies; v is
 *    stored as it is.  Always when the source set holds a mutable object
 *    (array, dict, atom, box): a copy would be visible — a later
 *    (put! a 0 99) through the old reference would not be seen through the
 *    stored one, and eq? would say false (design.md, "Mutation keeps
 *    identity").  Also when the walk ran out of budget (a large graph: no
 *    copy, O(1) whatever it reaches), and for immutable data stored into a
 *    slot when copying would not save memory: the source regions are not
 *    much bigger than what v reaches (REPAIR_RETAIN_RATIO), so eq? stays
 *    true and nothing is copied;
 *  - or **transmigrates** the small immutable graph: into O itself, or,
 *    when O is the global region, into a fresh *store region* (a child of
 *    the global region holding just that copy), counted as a slot edge
 *    like a retained region — so overwriting a global gives the copy back:
 *    the global region holds only what is never overwritten (issue
 *    "Mutation without a collector").  Except for an *accumulator* slot,
 *    whose overwritten values were read and so kept (remember.c): its
 *    small immutable values are copied into O itself, the global region
 *    included, rather than each keeping a region (a 512-byte control
 *    block) of its own.
 *
 * Either way v's region's escape_repair_count goes up.  The same repair
 * serves admission (omni_admit_slow): a value the compiler could not prove
 * lives as long as the region of a new object, a call's result region or
 * %0 (ir/pass_admit.c); a retained region is then a hold of that region
 * (released when it dies), not a slot edge.
 */
#include "rt_core.h"

#include <stdlib.h>
#include <string.h>

static bool is_mutable_type(uint32_t t)
{
    return t == OT_ARRAY || t == OT_DICT || t == OT_ATOM || t == OT_BOX;
}

/* Objects a repair walks at most before it decides to retain: the walk
 * only chooses between copying a small immutable graph and retaining, so
 * a store costs O(REPAIR_WALK_BUDGET) whatever the value reaches. */
#define REPAIR_WALK_BUDGET 256

/* A depth-first walk of the source set reachable from a value, with the
 * type registry's trace (the same metadata transmigration uses), cut off
 * after `budget` objects: it only decides between copying and retaining,
 * and a retain needs no walk at all (below). */
typedef struct Scan {
    Region *to;
    size_t budget;       /* objects to visit at most (SIZE_MAX: no limit) */
    OVal *seen;          /* open-addressing set of visited objects */
    size_t nseen, capseen;
    OVal *stack;
    size_t nstack, capstack;
    Region **regs;       /* distinct regions of the source set seen */
    size_t nregs, capregs;
    size_t nobj;         /* objects visited */
    bool mutable_found;
    bool over;           /* the budget ran out */
    /* first storage, on the C stack: a walk within the budget allocates
     * nothing (the seen set stays at most half full) */
    OVal seen0[2 * REPAIR_WALK_BUDGET]; /* a power of two (the mask) */
    OVal stack0[64];
    Region *regs0[16];
} Scan;

/* Doubles an array that starts in the Scan's own storage (small). */
static void *grow(void *p, const void *small, size_t *cap, size_t elem)
{
    size_t n = *cap * 2;
    void *q = p == small ? malloc(n * elem) : realloc(p, n * elem);
    if (!q)
        omni_internal_error("out of memory (store barrier)");
    if (p == small)
        memcpy(q, p, *cap * elem);
    *cap = n;
    return q;
}

static bool seen_add(Scan *s, OVal v)
{
    if (2 * (s->nseen + 1) > s->capseen) {
        OVal *old = s->seen;
        size_t oldcap = s->capseen;
        s->capseen = oldcap * 2;
        s->seen = calloc(s->capseen, sizeof *s->seen);
        if (!s->seen)
            omni_internal_error("out of memory (store barrier)");
        s->nseen = 0;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i])
                seen_add(s, old[i]);
        if (old != s->seen0)
            free(old);
    }
    size_t mask = s->capseen - 1;
    for (size_t i = (size_t)(v >> 3) * 0x9E3779B97F4A7C15ull & mask;; i = (i + 1) & mask) {
        if (s->seen[i] == v)
            return false;
        if (!s->seen[i]) {
            s->seen[i] = v;
            s->nseen++;
            return true;
        }
    }
}

/* Pushes v if it is an object of the source set not visited yet. */
static void consider(Scan *s, OVal v)
{
    if (!omni_is_ref(v) || s->over)
        return;
    Region *r = omni_region_of(v);
    if (!r || r->immortal || omni_load_relaxed_u8(&r->pinned) || omni_region_outlives(r, s->to))
        return; /* a root: outside the source set (a pinned region lives to the end) */
    if (!seen_add(s, v))
        return;
    if (s->nseen > s->budget) {
        s->over = true;
        return;
    }
    size_t i = 0;
    while (i < s->nregs && s->regs[i] != r)
        i++;
    if (i == s->nregs) {
        if (s->nregs == s->capregs)
            s->regs = grow(s->regs, s->regs0, &s->capregs, sizeof *s->regs);
        s->regs[s->nregs++] = r;
    }
    if (s->nstack == s->capstack)
        s->stack = grow(s->stack, s->stack0, &s->capstack, sizeof *s->stack);
    s->stack[s->nstack++] = v;
}

static void visit_slot(OVal *slot, void *ctx) { consider(ctx, *slot); }


/* Immutable data is retained rather than copied when its source regions
 * hold at most this many times the bytes of the objects it reaches (plus
 * one control block's inline buffer): a copy would then free little and
 * cost a walk, and eq? with the original would turn false.  Figures in
 * docs/REGION_ACCOUNTING.md. */
#define REPAIR_RETAIN_RATIO 4
#define REPAIR_OBJ_BYTES 24

static bool prefer_retain(const Scan *s)
{
    uint64_t held = 0;
    for (size_t i = 0; i < s->nregs; i++) {
        if (omni_is_mt() && !omni_region_mine(s->regs[i]))
            return true; /* another thread's region: its size is its owner's to read */
        held += omni_region_bytes_total(s->regs[i]);
    }
    return held <= (uint64_t)REPAIR_RETAIN_RATIO * REPAIR_OBJ_BYTES * s->nobj + OMNI_SLOT_SIZE;
}

static uint64_t g_rep_retain, g_rep_copy, g_rep_store_region;

/* Where --region-stats files store regions (line 0: printed as is). */
static const OmniLoc store_loc = { "<store regions>", 0, 0, NULL, 0 };

static void walk(Scan *s, OVal v)
{
    consider(s, v);
    while (s->nstack && !s->over) {
        OVal o = s->stack[--s->nstack];
        uint32_t t = omni_type_of_ref(o);
        s->nobj++;
        if (is_mutable_type(t))
            s->mutable_found = true;
        if (omni_types[t].trace)
            omni_types[t].trace(o, visit_slot, s);
    }
}

/* The repair of an edge from an object of `to` to v (v's region does not
 * outlive `to`): the value to store.  slot: where it goes (a slot edge),
 * or NULL for admission (a hold).
 *
 * Retaining v's own region is enough, whatever v reaches: an object of a
 * region R holds only pointers into R's ancestors (kept by R's reference
 * on its parent), counted edges (released only when R dies or the slot is
 * overwritten), and values read from counted slots, whose regions are
 * never released once read (docs/CTRR.md, "The invariant";
 * docs/REGION_RC_MODEL.md §7).  Except when v's region descends from
 * `to`: it holds a reference on `to`, so `to` counting it would be a
 * cycle neither could release; immutable data is then copied whole (as a
 * region splice would do), mutable data retained (a leak, never a
 * dangling pointer: docs/REGION_RC_MODEL.md §7, "Missing"). */
static OVal repair(OVal v, Region *to, OVal *slot)
{
    omni_stack_check(); /* a safe point (stack.c): nothing touched yet */
    Region *vr = omni_region_of(v);
    bool below = !to->immortal && omni_region_outlives_inline(to, vr);
    Scan s;
    s.to = to;
    s.budget = below ? SIZE_MAX : REPAIR_WALK_BUDGET;
    s.nseen = s.nstack = s.nregs = s.nobj = 0;
    s.mutable_found = s.over = false;
    memset(s.seen0, 0, sizeof s.seen0);
    s.seen = s.seen0;
    s.capseen = sizeof s.seen0 / sizeof *s.seen0;
    s.stack = s.stack0;
    s.capstack = sizeof s.stack0 / sizeof *s.stack0;
    s.regs = s.regs0;
    s.capregs = sizeof s.regs0 / sizeof *s.regs0;
    walk(&s, v);
    OVal out = v;
    bool acc = slot && !s.mutable_found && !s.over && omni_rs_is_accumulator(to, slot);
    if (s.mutable_found || (!below && (s.over || (slot && !acc && prefer_retain(&s))))) {
        /* keep identity: v's region stays alive, v is stored as is.  v's
         * region is enough (above); the other regions a complete walk saw
         * are counted too, which costs at most the budget and keeps the
         * graph alive even where the compiler's proof would be wrong */
        size_t n = s.over ? 1 : s.nregs;
        for (size_t i = 0; i < n; i++) {
            Region *r = s.over ? vr : s.regs[i];
            if (slot)
                omni_rs_count_slot(to, slot, r);
            else
                omni_rs_hold(to, r);
            if (!omni_is_mt() || omni_region_mine(r))
                r->escape_repair_count++;
        }
        omni_add_fetch_relaxed_u64(&g_rep_retain, 1);
    } else if (slot && to->immortal && !omni_rs_is_accumulator(to, slot)) {
        /* no immortal sink: the copy gets a region of its own, given back
         * when the slot is overwritten */
        Region *sr = omni_region_new_at(to, &store_loc);
        out = omni_transmigrate_into(v, sr);
        omni_rs_count_slot(to, slot, sr);
        omni_region_exit(sr);
        omni_add_fetch_relaxed_u64(&g_rep_store_region, 1);
    } else {
        out = omni_transmigrate_into(v, to);
        omni_add_fetch_relaxed_u64(&g_rep_copy, 1);
    }
    if (s.seen != s.seen0)
        free(s.seen);
    if (s.stack != s.stack0)
        free(s.stack);
    if (s.regs != s.regs0)
        free(s.regs);
    return out;
}

void omni_barrier_counters(uint64_t *retained, uint64_t *copied, uint64_t *store_regions)
{
    *retained = omni_load_relaxed_u64(&g_rep_retain);
    *copied = omni_load_relaxed_u64(&g_rep_copy);
    *store_regions = omni_load_relaxed_u64(&g_rep_store_region);
}

/* Threads (docs/REGION_THREADING_MODEL.md): a repair is made in a region
 * of the calling thread.  When the owner's region belongs to another
 * thread, the value is made to live as long as the calling thread's global
 * region instead (immortal: at least as long as any owner), and the edge
 * is counted there. */
static Region *repair_target(Region *to)
{
    if (__builtin_expect(omni_is_mt(), 0) && !omni_region_mine(to))
        return omni_region_global();
    return to;
}

void omni_store_repair(OVal owner, OVal *slot, OVal v, Region *vr, Region *owner_r)
{
    (void)vr;
    Region *to = owner_r ? owner_r : omni_rs_owner_region(owner);
    *slot = repair(v, repair_target(to), slot);
}

/* omni_store when counted edges exist and the slot held a pointer: the
 * slot's edges are detached first (the new value's repair may count the
 * same slot again), the store is made, then the old references dropped. */
void omni_store_counted(OVal owner, OVal *slot, OVal v)
{
    Region *o = omni_rs_owner_region(owner);
    Region *old[8];
    if (__builtin_expect(omni_is_mt(), 0) && !omni_region_mine(o)) {
        /* another thread's object: its counted edges are its owner's
         * (they stay counted until the object's region dies) */
        Region *vr = omni_region_of(v);
        Region *or = owner ? omni_region_of(owner) : NULL;
        if (omni_is_ref(v) && vr && !vr->immortal && !omni_region_outlives_inline(vr, or))
            *slot = repair(v, omni_region_global(), slot);
        else
            *slot = v;
        return;
    }
    int n = omni_rs_detach(o, slot, old, 8);
    Region *vr = omni_region_of(v);
    if (omni_is_ref(v) && vr && !vr->immortal) {
        Region *or = owner ? omni_region_of(owner) : NULL;
        if (!omni_region_outlives_inline(vr, or))
            *slot = repair(v, repair_target(or ? or : o), slot);
        else
            *slot = v;
    } else {
        *slot = v;
    }
    if (n)
        omni_rs_drop(o, slot, old, n);
}

/* Admission (the compiler's `admit`, hot.c omni_admit): v is about to be
 * written into a new object of r by its constructor, and its region does
 * not outlive r.  An initialising store is a store: the same repair. */
OVal omni_admit_slow(Region *r, OVal v)
{
    return repair(v, repair_target(r ? r : omni_region_global()), NULL);
}
