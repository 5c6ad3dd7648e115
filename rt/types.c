/* types.c — the type registry: one OmniTypeMeta per row of types.def.
 *
 * Transmigration is driven entirely by this table: `clone` makes a shallow
 * copy of one object in the destination region (including buffers the
 * object owns: array items, dict entries and index), and `trace` visits
 * every OVal field of an object so the caller can rewrite it.  Nothing else
 * in the runtime walks object shapes on its own.  A copy never carries
 * OHF_STATIC.  Symbols are interned and immortal: their clone is the
 * symbol itself, which keeps eq? on symbols meaningful.
 */
#include "rt_core.h"
#include "rt_internal.h"

#include <string.h>

static void *copy_obj(Region *to, OVal v, size_t n)
{
    void *p = omni_region_alloc_inline(to, n);
    memcpy(p, (void *)(uintptr_t)v, n);
    ((OHdr *)p)->flags &= ~(uint32_t)OHF_STATIC;
    return p;
}

static void no_trace(OVal v, void (*visit)(OVal *, void *), void *ctx)
{
    (void)v, (void)visit, (void)ctx;
}

static void meta_print(FILE *out, OVal v, bool w) { omni_print(out, v, w); }
static bool meta_equal(OVal a, OVal b) { return omni_equal(a, b); }
static uint64_t meta_hash(OVal v) { return omni_hash(v); }

/* ---- Pair ---- */
static size_t size_PAIR(OVal v) { (void)v; return sizeof(OPair); }
/* a pair has no header (no OHF_STATIC to clear): car and cdr, re-tagged */
static OVal clone_PAIR(Region *to, OVal v) { return omni_pair_copy(to, v); }
static void trace_PAIR(OVal v, void (*visit)(OVal *, void *), void *ctx)
{
    visit(&OMNI_PAIR(v)->car, ctx);
    visit(&OMNI_PAIR(v)->cdr, ctx);
}

/* ---- Float ---- */
#define trace_FLOAT no_trace
static size_t size_FLOAT(OVal v) { (void)v; return sizeof(OFloat); }
static OVal clone_FLOAT(Region *to, OVal v) { return OMNI_VAL(copy_obj(to, v, sizeof(OFloat))); }

/* ---- String ---- */
#define trace_STRING no_trace
static size_t size_STRING(OVal v) { return sizeof(OString) + (size_t)OMNI_PTR(OString, v)->len + 1; }
static OVal clone_STRING(Region *to, OVal v) { return OMNI_VAL(copy_obj(to, v, size_STRING(v))); }

/* ---- Symbol ---- */
#define trace_SYMBOL no_trace
static size_t size_SYMBOL(OVal v) { return sizeof(OSymbol) + (size_t)OMNI_PTR(OSymbol, v)->len + 1; }
static OVal clone_SYMBOL(Region *to, OVal v) { (void)to; return v; }

/* ---- Array ---- */
static size_t size_ARRAY(OVal v)
{
    return sizeof(OArray) + (size_t)OMNI_PTR(OArray, v)->cap * sizeof(OVal);
}
static OVal clone_ARRAY(Region *to, OVal v)
{
    OArray *a = copy_obj(to, v, sizeof(OArray));
    a->cap = a->len;
    a->items = NULL;
    if (a->len) {
        a->items = omni_region_alloc_inline(to, (size_t)a->len * sizeof(OVal));
        memcpy(a->items, OMNI_PTR(OArray, v)->items, (size_t)a->len * sizeof(OVal));
    }
    return OMNI_VAL(a);
}
static void trace_ARRAY(OVal v, void (*visit)(OVal *, void *), void *ctx)
{
    OArray *a = OMNI_PTR(OArray, v);
    for (int64_t i = 0; i < a->len; i++)
        visit(&a->items[i], ctx);
}

/* ---- Dict ---- */
static size_t size_DICT(OVal v)
{
    const ODict *d = OMNI_PTR(ODict, v);
    return sizeof(ODict) + (size_t)d->cap * sizeof(ODictEntry) + (size_t)d->nindex * sizeof(int32_t);
}
static OVal clone_DICT(Region *to, OVal v)
{
    const ODict *s = OMNI_PTR(ODict, v);
    ODict *d = copy_obj(to, v, sizeof(ODict));
    d->entries = NULL;
    d->index = NULL;
    if (s->cap) {
        d->entries = omni_region_alloc_inline(to, (size_t)s->cap * sizeof(ODictEntry));
        memcpy(d->entries, s->entries, (size_t)s->used * sizeof(ODictEntry));
    }
    if (s->nindex) {
        d->index = omni_region_alloc_inline(to, (size_t)s->nindex * sizeof(int32_t));
        memcpy(d->index, s->index, (size_t)s->nindex * sizeof(int32_t));
    }
    return OMNI_VAL(d);
}
static void trace_DICT(OVal v, void (*visit)(OVal *, void *), void *ctx)
{
    ODict *d = OMNI_PTR(ODict, v);
    for (int64_t i = 0; i < d->used; i++) {
        visit(&d->entries[i].key, ctx);
        visit(&d->entries[i].val, ctx);
    }
}

/* ---- Fn ---- */
static size_t size_CLOSURE(OVal v)
{
    return sizeof(OClosure) + (size_t)OMNI_PTR(OClosure, v)->nfree * sizeof(OVal);
}
static OVal clone_CLOSURE(Region *to, OVal v) { return OMNI_VAL(copy_obj(to, v, size_CLOSURE(v))); }
static void trace_CLOSURE(OVal v, void (*visit)(OVal *, void *), void *ctx)
{
    OClosure *c = OMNI_PTR(OClosure, v);
    for (int32_t i = 0; i < c->nfree; i++)
        visit(&c->free[i], ctx);
}

/* ---- Atom, Box: one value cell each ---- */
static size_t size_ATOM(OVal v) { (void)v; return sizeof(OAtom); }
static OVal clone_ATOM(Region *to, OVal v) { return OMNI_VAL(copy_obj(to, v, sizeof(OAtom))); }
static void trace_ATOM(OVal v, void (*visit)(OVal *, void *), void *ctx)
{
    visit(&OMNI_PTR(OAtom, v)->val, ctx);
}
static size_t size_BOX(OVal v) { (void)v; return sizeof(OBox); }
static OVal clone_BOX(Region *to, OVal v) { return OMNI_VAL(copy_obj(to, v, sizeof(OBox))); }
static void trace_BOX(OVal v, void (*visit)(OVal *, void *), void *ctx)
{
    visit(&OMNI_PTR(OBox, v)->val, ctx);
}

/* ---- Error: a message and a list of irritants, both immutable ---- */
static size_t size_ERROR(OVal v) { (void)v; return sizeof(OError); }
static OVal clone_ERROR(Region *to, OVal v) { return OMNI_VAL(copy_obj(to, v, sizeof(OError))); }
static void trace_ERROR(OVal v, void (*visit)(OVal *, void *), void *ctx)
{
    visit(&OMNI_PTR(OError, v)->message, ctx);
    visit(&OMNI_PTR(OError, v)->irritants, ctx);
}

/* ---- Thread, Chan: a handle on a core outside the regions (rt/thread.c) ---- */
static size_t size_THREAD(OVal v) { (void)v; return sizeof(OThread); }
/* a copy is one more handle on the same core (rt/thread.c counts them) */
static OVal clone_THREAD(Region *to, OVal v)
{
    OVal c = OMNI_VAL(copy_obj(to, v, sizeof(OThread)));
    omni_core_handle(c, to);
    return c;
}
#define trace_THREAD no_trace
static size_t size_CHAN(OVal v) { (void)v; return sizeof(OChan); }
static OVal clone_CHAN(Region *to, OVal v)
{
    OVal c = OMNI_VAL(copy_obj(to, v, sizeof(OChan)));
    omni_core_handle(c, to);
    return c;
}
#define trace_CHAN no_trace

/* Trace shapes (offset, count of OVal fields; -1: variable, ask trace). */
#define FIELDS_PAIR    offsetof(OPair, car), 2
#define FIELDS_FLOAT   0, 0
#define FIELDS_STRING  0, 0
#define FIELDS_SYMBOL  0, 0
#define FIELDS_ARRAY   0, -1
#define FIELDS_DICT    0, -1
#define FIELDS_CLOSURE 0, -1
#define FIELDS_ATOM    offsetof(OAtom, val), 1
#define FIELDS_BOX     offsetof(OBox, val), 1
#define FIELDS_ERROR   offsetof(OError, message), 2
#define FIELDS_THREAD  0, 0
#define FIELDS_CHAN    0, 0

/* Shared by identity between threads (docs/REGION_THREADING_MODEL.md). */
#define BYID_PAIR false
#define BYID_FLOAT false
#define BYID_STRING false
#define BYID_SYMBOL false
#define BYID_ARRAY false
#define BYID_DICT false
#define BYID_CLOSURE false
#define BYID_ATOM true
#define BYID_BOX false
#define BYID_ERROR false
#define BYID_THREAD true
#define BYID_CHAN true

/* Derived from types.def: a new row without its size_/clone_/trace_
 * functions does not compile, so every type has complete metadata. */
const OmniTypeMeta omni_types[OT__COUNT] = {
#define OMNI_TYPE(id, tname, cstruct) \
    [OT_##id] = { tname, sizeof(cstruct), size_##id, clone_##id, trace_##id, meta_equal, meta_hash, meta_print, \
                  FIELDS_##id, BYID_##id },
#include "types.def"
#undef OMNI_TYPE
};
