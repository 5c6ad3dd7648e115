/* barrier.c — the store barrier's repair (slow path of omni_store, hot.c).
 *
 * omni_store calls omni_store_repair only for a pointer v whose region does
 * not outlive the owner's region O (owner 0, or a static owner: the global
 * region): left as it is, the edge would dangle once v's region is
 * reclaimed (Region Closure Property).  The repair walks what v reaches in
 * the regions that do not outlive O (the source set), then either
 *
 *  - **retains**: each region of the source set gets one reference,
 *    counted as a slot edge of O (remember.c) and released when the slot
 *    is overwritten or O dies; v is stored as it is.  Always when the
 *    source set holds a mutable object (array, dict, atom, box): a copy
 *    would be visible — a later (put! a 0 99) through the old reference
 *    would not be seen through the stored one, and eq? would say false
 *    (design.md, "Mutation keeps identity").  Also for immutable data
 *    stored into a slot when copying would not save memory: the source
 *    regions are not much bigger than what v reaches (REPAIR_RETAIN_RATIO
 *    below), so eq? stays true and nothing is copied;
 *  - or **transmigrates** the immutable graph: into O itself, or, when O is
 *    the global region, into a fresh *store region* (a child of the global
 *    region holding just that copy), counted as a slot edge like a
 *    retained region — so overwriting a global gives the copy back: the
 *    global region holds only what is never overwritten (issue "Mutation
 *    without a collector").
 *
 * A store region whose scope ended is closed (it holds only its copy,
 * which points only into itself, immortal regions and static data): the
 * walk stops at it and retains it, so storing a value a repair already
 * copied costs O(1), not a walk of its graph.
 *
 * Either way the source regions' escape_repair_count goes up.  The same
 * repair serves admission (omni_admit_slow): a value the compiler could
 * not prove lives as long as the region of a new object, a call's result
 * region or %0 (ir/pass_admit.c); its references are holds of that region
 * (released when it dies), not slot edges.
 */
#include "rt_core.h"

#include <stdlib.h>

static bool is_mutable_type(uint32_t t)
{
    return t == OT_ARRAY || t == OT_DICT || t == OT_ATOM || t == OT_BOX;
}

/* A depth-first walk of the source set reachable from a value, with the
 * type registry's trace (the same metadata transmigration uses). */
typedef struct Scan {
    Region *to;
    OVal *seen;          /* open-addressing set of visited objects */
    size_t nseen, capseen;
    OVal *stack;
    size_t nstack, capstack;
    Region **regs;       /* distinct regions of the source set */
    size_t nregs, capregs;
    size_t nobj;         /* objects visited */
    bool mutable_found;
    bool stopped;        /* reached a closed store region (not walked) */
} Scan;

static void *grow(void *p, size_t *cap, size_t elem)
{
    size_t n = *cap ? *cap * 2 : 64;
    void *q = realloc(p, n * elem);
    if (!q)
        omni_internal_error("out of memory (store barrier)");
    *cap = n;
    return q;
}

static bool seen_add(Scan *s, OVal v)
{
    if (2 * (s->nseen + 1) > s->capseen) {
        OVal *old = s->seen;
        size_t oldcap = s->capseen;
        s->capseen = oldcap ? oldcap * 2 : 128;
        s->seen = calloc(s->capseen, sizeof *s->seen);
        if (!s->seen)
            omni_internal_error("out of memory (store barrier)");
        s->nseen = 0;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i])
                seen_add(s, old[i]);
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
    if (!omni_is_ref(v))
        return;
    Region *r = omni_region_of(v);
    if (!r || r->immortal || omni_region_outlives(r, s->to))
        return; /* a root: outside the source set */
    bool closed = r->store_region && !r->scope_alive;
    if (!closed && !seen_add(s, v))
        return;
    size_t i = 0;
    while (i < s->nregs && s->regs[i] != r)
        i++;
    if (i == s->nregs) {
        if (s->nregs == s->capregs)
            s->regs = grow(s->regs, &s->capregs, sizeof *s->regs);
        s->regs[s->nregs++] = r;
    }
    if (closed) {
        s->stopped = true; /* retained whole: its copy is closed */
        return;
    }
    if (s->nstack == s->capstack)
        s->stack = grow(s->stack, &s->capstack, sizeof *s->stack);
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
        /* a descendant of `to` holds a reference on it: counting it from
         * `to` would make a cycle neither side could release */
        if (!s->to->immortal && omni_region_outlives_inline(s->to, s->regs[i]))
            return false;
        held += omni_region_bytes_total(s->regs[i]);
    }
    return held <= (uint64_t)REPAIR_RETAIN_RATIO * REPAIR_OBJ_BYTES * s->nobj + OMNI_SLOT_SIZE;
}

static uint64_t g_rep_retain, g_rep_copy, g_rep_store_region;

/* Where --region-stats files store regions (line 0: printed as is). */
static const OmniLoc store_loc = { "<store regions>", 0, 0, NULL, 0 };

/* The repair of an edge from an object of `to` to v (v's region does not
 * outlive `to`): the value to store.  slot: where it goes (a slot edge),
 * or NULL for admission (holds). */
static OVal repair(OVal v, Region *to, OVal *slot)
{
    omni_stack_check(); /* a safe point (stack.c): nothing touched yet */
    Scan s = { .to = to };
    consider(&s, v);
    while (s.nstack) {
        OVal o = s.stack[--s.nstack];
        uint32_t t = omni_type_of_ref(o);
        s.nobj++;
        if (is_mutable_type(t))
            s.mutable_found = true;
        if (omni_types[t].trace)
            omni_types[t].trace(o, visit_slot, &s);
    }
    OVal out = v;
    if (s.mutable_found || s.stopped || (slot && prefer_retain(&s))) {
        /* keep identity: the source regions stay alive, v is stored as is */
        for (size_t i = 0; i < s.nregs; i++) {
            if (slot)
                omni_rs_count_slot(to, slot, s.regs[i]);
            else
                omni_rs_hold(to, s.regs[i]);
            s.regs[i]->escape_repair_count++;
        }
        g_rep_retain++;
    } else if (slot && to->immortal) {
        /* no immortal sink: the copy gets a region of its own, given back
         * when the slot is overwritten */
        Region *sr = omni_region_new_at(to, &store_loc);
        sr->store_region = 1;
        out = omni_transmigrate_into(v, sr);
        omni_rs_count_slot(to, slot, sr);
        omni_region_exit(sr);
        g_rep_store_region++;
    } else {
        out = omni_transmigrate_into(v, to);
        g_rep_copy++;
    }
    free(s.seen);
    free(s.stack);
    free(s.regs);
    return out;
}

void omni_barrier_counters(uint64_t *retained, uint64_t *copied, uint64_t *store_regions)
{
    *retained = g_rep_retain;
    *copied = g_rep_copy;
    *store_regions = g_rep_store_region;
}

void omni_store_repair(OVal owner, OVal *slot, OVal v, Region *vr, Region *owner_r)
{
    (void)vr;
    Region *to = owner_r ? owner_r : omni_rs_owner_region(owner);
    *slot = repair(v, to, slot);
}

/* omni_store when counted edges exist and the slot held a pointer: the
 * slot's edges are detached first (the new value's repair may count the
 * same slot again), the store is made, then the old references dropped. */
void omni_store_counted(OVal owner, OVal *slot, OVal v)
{
    Region *o = omni_rs_owner_region(owner);
    Region *old[8];
    int n = omni_rs_detach(o, slot, old, 8);
    Region *vr = omni_region_of(v);
    if (omni_is_ref(v) && vr && !vr->immortal) {
        Region *or = owner ? omni_region_of(owner) : NULL;
        if (!omni_region_outlives_inline(vr, or))
            *slot = repair(v, or ? or : o, slot);
        else
            *slot = v;
    } else {
        *slot = v;
    }
    if (n)
        omni_rs_drop(o, old, n);
}

/* Admission (the compiler's `admit`, hot.c omni_admit): v is about to be
 * written into a new object of r by its constructor, and its region does
 * not outlive r.  An initialising store is a store: the same repair. */
OVal omni_admit_slow(Region *r, OVal v)
{
    return repair(v, r ? r : omni_region_global(), NULL);
}
