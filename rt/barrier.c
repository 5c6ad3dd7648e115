/* barrier.c — the store barrier's repair (slow path of omni_store, hot.c).
 *
 * omni_store calls omni_store_repair only for a pointer v whose region does
 * not outlive the owner's region (owner 0, or a static owner: the global
 * region): left as it is, the edge would dangle once v's region is
 * reclaimed (Region Closure Property).  Two repairs, chosen by what v
 * reaches in the regions that do not outlive the owner's (the source set):
 *
 *  - only immutable objects (pairs, strings, floats, closures without
 *    boxes...): transmigrate them into the owner's region and store the
 *    copy.  Nobody can tell a copy of immutable data from the original.
 *  - at least one mutable object (array, dict, atom, box): a copy would be
 *    visible — a later (put! a 0 99) through the old reference would not be
 *    seen through the stored one, and eq? would say false (design.md,
 *    "Mutation keeps identity").  So the regions holding the source set are
 *    kept alive instead: each is retained (external_rc + 1) and v is stored
 *    as it is.  Each region holds a reference on its parent, so its
 *    ancestors stay too.  The release half of Region-RC (on overwrite, and
 *    when the owner's region dies) is not there yet: until it is, a region
 *    kept this way lives to the end of the program — shown by
 *    --region-stats as a live region with repairs.
 *
 * Either way the source regions' escape_repair_count goes up.  The same
 * repair serves admission (omni_admit_slow): a value the compiler could
 * not prove lives as long as the region of a new object, a call's result
 * region or %0 (ir/pass_admit.c).
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
    bool mutable_found;
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
    if (!seen_add(s, v))
        return;
    size_t i = 0;
    while (i < s->nregs && s->regs[i] != r)
        i++;
    if (i == s->nregs) {
        if (s->nregs == s->capregs)
            s->regs = grow(s->regs, &s->capregs, sizeof *s->regs);
        s->regs[s->nregs++] = r;
    }
    if (s->nstack == s->capstack)
        s->stack = grow(s->stack, &s->capstack, sizeof *s->stack);
    s->stack[s->nstack++] = v;
}

static void visit_slot(OVal *slot, void *ctx) { consider(ctx, *slot); }

/* The repair of an edge from an object of `to` to v (v's region does not
 * outlive `to`): the value to store. */
static OVal repair(OVal v, Region *to)
{
    omni_stack_check(); /* a safe point (stack.c): nothing touched yet */
    Scan s = { .to = to };
    consider(&s, v);
    while (s.nstack) {
        OVal o = s.stack[--s.nstack];
        uint32_t t = omni_type_of_ref(o);
        if (is_mutable_type(t))
            s.mutable_found = true;
        if (omni_types[t].trace)
            omni_types[t].trace(o, visit_slot, &s);
    }
    OVal out = v;
    if (s.mutable_found) {
        /* keep identity: the source regions stay alive, v is stored as is */
        for (size_t i = 0; i < s.nregs; i++) {
            omni_region_retain(s.regs[i]);
            s.regs[i]->escape_repair_count++;
        }
    } else {
        out = omni_transmigrate_into(v, to);
    }
    free(s.seen);
    free(s.stack);
    free(s.regs);
    return out;
}

void omni_store_repair(OVal owner, OVal *slot, OVal v, Region *vr, Region *owner_r)
{
    (void)owner, (void)vr;
    *slot = repair(v, owner_r ? owner_r : omni_region_global());
}

/* Admission (the compiler's `admit`, hot.c omni_admit): v is about to be
 * written into a new object of r by its constructor, and its region does
 * not outlive r.  An initialising store is a store: the same repair. */
OVal omni_admit_slow(Region *r, OVal v)
{
    return repair(v, r ? r : omni_region_global());
}
