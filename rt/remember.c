/* remember.c — Region-RC's counted edges: the release half.
 *
 * The store barrier (barrier.c) keeps an edge from an object of region O to
 * an object of a region R that does not outlive O by a reference on R (when
 * it does not copy the value into O).  This file remembers those
 * references, per holding region O, so they can be given back:
 *
 *  - a **slot edge** (O, slot, R): the pointer stored at `slot`, an array
 *    item, a dict entry, an atom's or box's value, a global (O is then the
 *    global region).  Overwriting the slot (put!, set!, reset!, remove!,
 *    pop!, dict update: every one goes through omni_store) detaches its
 *    edges and releases R — unless a load may have handed one of R's
 *    objects out meanwhile (below);
 *  - a **hold** (O, R): a reference not tied to a slot (an admitted value
 *    a constructor wrote, a root a copy kept, a slot edge whose value was
 *    handed out).  One reference per distinct R, released when O dies.
 *
 * When O is reclaimed (region.c, recycle) everything it counted is
 * released: its objects are unreachable then (Region Closure Property).
 * Releases go through one worklist per thread, so a chain of regions each
 * holding the next dies in a loop, not a recursion.
 *
 * **Borrowed.**  A value loaded from a slot is used from registers and may
 * be written by a constructor into a new object without a count (the
 * compiler proves a loaded value lives as long as its container).  If the
 * slot were overwritten and R released at once, those uses would see freed
 * memory.  So every load from a mutable container or a global (get,
 * deref, box and global reads, pop!, iteration, keys/values, sort) calls
 * omni_rs_note_load: when the loaded object's region is counted by a slot,
 * it is marked `borrowed`, and a detached edge whose regions include a
 * borrowed one is turned into a hold of O instead of being released.  An
 * overwritten value nobody read is given back at once (a cache written in
 * a loop); one that was read is kept as long as O (the global region: to
 * the end) — sound, and the case docs/REGION_RC_MODEL.md lists as what is
 * still missing (compiler-inserted tethers for loaded values).
 *
 * Both tables are open-addressing hash tables, allocated on the first
 * edge; a region without counted edges has rs == NULL and pays nothing
 * (its fast exit tests the pointer with its chunk pointers).
 */
#include "rt_core.h"

#include <stdlib.h>
#include <string.h>

uint64_t omni_rs_slots_live;

typedef struct RsSlot {
    OVal *slot;  /* NULL: empty; TOMB: deleted */
    Region *r;
} RsSlot;

typedef struct RsHold {
    Region *r;   /* NULL: empty (holds are never deleted before O dies) */
} RsHold;

struct OmniRemembered {
    RsSlot *slots;
    uint32_t cap, n, tombs;
    RsHold *holds;
    uint32_t hcap, hn;
    OVal **acc;          /* accumulator slots: open addressing, never deleted */
    uint32_t acap, an;
    struct RsFinal { void (*fn)(void *); void *arg; } *fin; /* called when O dies */
    uint32_t fcap, fn;
};

#define TOMB ((OVal *)1)

static uint64_t g_released, g_held, g_counted;

static size_t hash_ptr(const void *p) { return (size_t)(((uintptr_t)p >> 3) * 0x9E3779B97F4A7C15ull); }

static OmniRemembered *rs_of(Region *o)
{
    if (!o->rs) {
        o->rs = calloc(1, sizeof *o->rs);
        if (!o->rs)
            omni_internal_error("out of memory (counted edges)");
    }
    return o->rs;
}

/* ---- the worklist of releases ----------------------------------------------- */

/* A fixed buffer, and a malloc'd one only while a long chain drains
 * (freed when the worklist empties: nothing stays allocated per thread). */
#define REL_SMALL 64
static _Thread_local Region *tl_small[REL_SMALL];
static _Thread_local Region **tl_rel;
static _Thread_local size_t tl_nrel, tl_caprel;
static _Thread_local bool tl_draining;

static void enqueue_release(Region *r)
{
    if (!tl_rel) {
        tl_rel = tl_small;
        tl_caprel = REL_SMALL;
    }
    if (tl_nrel == tl_caprel) {
        Region **big = malloc(tl_caprel * 2 * sizeof *big);
        if (!big)
            omni_internal_error("out of memory (counted edges)");
        memcpy(big, tl_rel, tl_nrel * sizeof *big);
        if (tl_rel != tl_small)
            free(tl_rel);
        tl_rel = big;
        tl_caprel *= 2;
    }
    tl_rel[tl_nrel++] = r;
}

static void drain(void)
{
    if (tl_draining)
        return; /* the outer drain loop takes them */
    tl_draining = true;
    while (tl_nrel) {
        Region *r = tl_rel[--tl_nrel];
        omni_add_fetch_relaxed_u64(&g_released, 1);
        omni_region_release(r); /* may reclaim r: omni_rs_region_dies enqueues more */
    }
    if (tl_rel != tl_small) {
        free(tl_rel);
        tl_rel = tl_small;
        tl_caprel = REL_SMALL;
    }
    tl_draining = false;
}

/* ---- slot edges -------------------------------------------------------------- */

static void slots_insert(OmniRemembered *rs, OVal *slot, Region *r);

static void slots_rebuild(OmniRemembered *rs, uint32_t cap)
{
    RsSlot *old = rs->slots;
    uint32_t oldcap = rs->cap;
    rs->slots = calloc(cap, sizeof *rs->slots);
    if (!rs->slots)
        omni_internal_error("out of memory (counted edges)");
    rs->cap = cap;
    rs->n = rs->tombs = 0;
    for (uint32_t i = 0; i < oldcap; i++)
        if (old[i].slot && old[i].slot != TOMB)
            slots_insert(rs, old[i].slot, old[i].r);
    free(old);
}

static void slots_insert(OmniRemembered *rs, OVal *slot, Region *r)
{
    if (2 * (size_t)(rs->n + rs->tombs + 1) > rs->cap)
        slots_rebuild(rs, 2 * (size_t)(rs->n + 1) > rs->cap / 2 ? (rs->cap ? rs->cap * 2 : 8) : rs->cap);
    uint32_t mask = rs->cap - 1;
    for (size_t i = hash_ptr(slot) & mask;; i = (i + 1) & mask) {
        if (!rs->slots[i].slot || rs->slots[i].slot == TOMB) {
            if (rs->slots[i].slot == TOMB)
                rs->tombs--;
            rs->slots[i].slot = slot;
            rs->slots[i].r = r;
            rs->n++;
            return;
        }
    }
}

void omni_rs_count_slot(Region *owner, OVal *slot, Region *r)
{
    omni_region_retain(r);
    slots_insert(rs_of(owner), slot, r);
    /* relaxed atomics: statistics and a gate, also changed by other threads */
    omni_add_fetch_relaxed_u64(&r->rs_slot_refs, 1);
    omni_add_fetch_relaxed_u64(&omni_rs_slots_live, 1);
    omni_add_fetch_relaxed_u64(&g_counted, 1);
}

int omni_rs_detach(Region *owner, OVal *slot, Region **out, int max)
{
    OmniRemembered *rs = owner->rs;
    if (!rs || !rs->n)
        return 0;
    int n = 0;
    uint32_t mask = rs->cap - 1;
    for (size_t i = hash_ptr(slot) & mask; rs->slots[i].slot; i = (i + 1) & mask) {
        if (rs->slots[i].slot != slot)
            continue;
        Region *r = rs->slots[i].r;
        rs->slots[i].slot = TOMB;
        rs->tombs++;
        rs->n--;
        omni_sub_fetch_relaxed_u64(&r->rs_slot_refs, 1);
        omni_sub_fetch_relaxed_u64(&omni_rs_slots_live, 1);
        if (n < max) {
            out[n++] = r;
        } else { /* more regions than the caller has room for: keep them */
            omni_rs_hold(owner, r);
            enqueue_release(r);
        }
    }
    drain();
    return n;
}

/* Accumulator slots: a slot whose overwritten value had been read (a
 * list grown by (set! g (cons x g)), a running total of boxed numbers).
 * Its next values will likely be read too, and so kept, so the barrier
 * copies small immutable ones into the owner's region itself rather than
 * keeping a region of their own (barrier.c). */
static void acc_add(OmniRemembered *rs, OVal *slot)
{
    if (2 * (size_t)(rs->an + 1) > rs->acap) {
        OVal **old = rs->acc;
        uint32_t oldcap = rs->acap;
        rs->acap = oldcap ? oldcap * 2 : 8;
        rs->acc = calloc(rs->acap, sizeof *rs->acc);
        if (!rs->acc)
            omni_internal_error("out of memory (counted edges)");
        rs->an = 0;
        for (uint32_t i = 0; i < oldcap; i++)
            if (old[i])
                acc_add(rs, old[i]);
        free(old);
    }
    uint32_t mask = rs->acap - 1;
    for (size_t i = hash_ptr(slot) & mask;; i = (i + 1) & mask) {
        if (rs->acc[i] == slot)
            return;
        if (!rs->acc[i]) {
            rs->acc[i] = slot;
            rs->an++;
            return;
        }
    }
}

bool omni_rs_is_accumulator(Region *owner, OVal *slot)
{
    OmniRemembered *rs = owner->rs;
    if (!rs || !rs->an)
        return false;
    uint32_t mask = rs->acap - 1;
    for (size_t i = hash_ptr(slot) & mask; rs->acc[i]; i = (i + 1) & mask)
        if (rs->acc[i] == slot)
            return true;
    return false;
}

void omni_rs_drop(Region *owner, OVal *slot, Region **rs, int n)
{
    /* Threads: another thread may have loaded the old value without a
     * note (docs/REGION_THREADING_MODEL.md): every detached edge is kept,
     * as if borrowed. */
    bool borrowed = omni_is_mt();
    for (int i = 0; i < n; i++)
        borrowed |= rs[i]->borrowed != 0;
    if (borrowed && slot)
        acc_add(rs_of(owner), slot);
    for (int i = 0; i < n; i++) {
        if (borrowed) {
            omni_rs_hold(owner, rs[i]);
            omni_add_fetch_relaxed_u64(&g_held, 1);
        }
        enqueue_release(rs[i]);
    }
    drain();
}

void omni_rs_unslot(Region *owner, OVal *slot)
{
    Region *buf[8];
    int n = omni_rs_detach(owner, slot, buf, 8);
    for (int i = 0; i < n; i++) {
        omni_rs_hold(owner, buf[i]);
        enqueue_release(buf[i]);
    }
    drain();
}

void omni_rs_move(Region *owner, OVal *from, OVal *to, int64_t n)
{
    OmniRemembered *rs = owner->rs;
    if (!rs || !rs->n || from == to)
        return;
    /* detach every moved slot's edges first (the ranges may overlap),
     * then insert them under their new addresses */
    RsSlot small[16];
    size_t cap = 16, k = 0;
    RsSlot *moved = small; /* on the C stack unless many edges move */
    uint32_t mask = rs->cap - 1;
    for (int64_t j = 0; j < n && rs->n; j++) {
        OVal *slot = from + j;
        for (size_t i = hash_ptr(slot) & mask; rs->slots[i].slot; i = (i + 1) & mask) {
            if (rs->slots[i].slot != slot)
                continue;
            if (k == cap) {
                RsSlot *big = malloc(cap * 2 * sizeof *big);
                if (!big)
                    omni_internal_error("out of memory (counted edges)");
                memcpy(big, moved, k * sizeof *big);
                if (moved != small)
                    free(moved);
                moved = big;
                cap *= 2;
            }
            moved[k].slot = to + j;
            moved[k++].r = rs->slots[i].r;
            rs->slots[i].slot = TOMB;
            rs->tombs++;
            rs->n--;
        }
    }
    for (size_t i = 0; i < k; i++)
        slots_insert(rs, moved[i].slot, moved[i].r);
    if (moved != small)
        free(moved);
}

/* ---- holds --------------------------------------------------------------------- */

void omni_rs_hold(Region *owner, Region *r)
{
    if (!r || r == owner || r->immortal)
        return;
    if (owner->immortal) /* never released: a barrier's walk may stop at it */
        omni_store_relaxed_u8(&r->pinned, 1);
    OmniRemembered *rs = rs_of(owner);
    if (2 * (size_t)(rs->hn + 1) > rs->hcap) {
        RsHold *old = rs->holds;
        uint32_t oldcap = rs->hcap;
        rs->hcap = oldcap ? oldcap * 2 : 8;
        rs->holds = calloc(rs->hcap, sizeof *rs->holds);
        if (!rs->holds)
            omni_internal_error("out of memory (counted edges)");
        for (uint32_t i = 0; i < oldcap; i++) {
            if (!old[i].r)
                continue;
            uint32_t mask = rs->hcap - 1;
            size_t j = hash_ptr(old[i].r) & mask;
            while (rs->holds[j].r)
                j = (j + 1) & mask;
            rs->holds[j].r = old[i].r;
        }
        free(old);
    }
    uint32_t mask = rs->hcap - 1;
    for (size_t i = hash_ptr(r) & mask;; i = (i + 1) & mask) {
        if (rs->holds[i].r == r)
            return; /* one reference per distinct region */
        if (!rs->holds[i].r) {
            rs->holds[i].r = r;
            rs->hn++;
            omni_region_retain(r);
            return;
        }
    }
}

/* ---- death and loads ---------------------------------------------------------- */

void omni_rs_on_death(Region *r, void (*fn)(void *), void *arg)
{
    if (!r || r->immortal)
        return; /* never dies */
    OmniRemembered *rs = rs_of(r);
    if (rs->fn == rs->fcap) {
        uint32_t cap = rs->fcap ? rs->fcap * 2 : 4;
        struct RsFinal *f = realloc(rs->fin, cap * sizeof *f);
        if (!f)
            omni_internal_error("out of memory (region finalisers)");
        rs->fin = f;
        rs->fcap = cap;
    }
    rs->fin[rs->fn].fn = fn;
    rs->fin[rs->fn++].arg = arg;
}

void omni_rs_region_dies(Region *r)
{
    OmniRemembered *rs = r->rs;
    if (!rs)
        return;
    r->rs = NULL;
    for (uint32_t i = 0; i < rs->fn; i++)
        rs->fin[i].fn(rs->fin[i].arg);
    free(rs->fin);
    for (uint32_t i = 0; i < rs->cap; i++) {
        if (!rs->slots[i].slot || rs->slots[i].slot == TOMB)
            continue;
        omni_sub_fetch_relaxed_u64(&rs->slots[i].r->rs_slot_refs, 1);
        omni_sub_fetch_relaxed_u64(&omni_rs_slots_live, 1);
        enqueue_release(rs->slots[i].r);
    }
    for (uint32_t i = 0; i < rs->hcap; i++)
        if (rs->holds[i].r)
            enqueue_release(rs->holds[i].r);
    free(rs->slots);
    free(rs->holds);
    free(rs->acc);
    free(rs);
    drain();
}

void omni_rs_note_load_slow(OVal v)
{
    if (omni_is_mt())
        return; /* nothing detached is released any more (omni_rs_drop) */
    Region *r = omni_region_of(v);
    if (r && r->rs_slot_refs)
        r->borrowed = 1;
}

Region *omni_rs_owner_region(OVal owner)
{
    Region *r = owner ? omni_region_of(owner) : NULL;
    return r ? r : omni_region_global();
}

void omni_rs_counters(uint64_t *counted, uint64_t *released, uint64_t *held_after_load)
{
    *counted = omni_load_relaxed_u64(&g_counted);
    *released = omni_load_relaxed_u64(&g_released);
    *held_after_load = omni_load_relaxed_u64(&g_held);
}
