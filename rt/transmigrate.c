/* transmigrate.c — copy the part of a value graph that lives in one region
 * into another (CTRR escape repair).
 *
 * The one mechanism, metadata-driven (seed: "Transmigration Directive"):
 * every object is copied by its type's `clone` and its fields are found by
 * its type's `trace` (types.c); no shape-specific shortcuts.  A remap table
 * gives exactly one destination per source object, so sharing and cycles
 * survive the copy; a worklist (not recursion) holds the copies whose
 * fields still point at source objects.  Pointers to objects outside the
 * source region (older regions, static data, other regions) are roots: they
 * are kept as they are and what they point to is never visited or
 * rewritten.  Immediates are values and are kept.
 */
#include "rt_core.h"

#include <stdlib.h>
#include <string.h>

typedef struct Transmigration {
    Region *from, *to;
    OVal *keys, *vals;      /* remap: source object → its copy */
    size_t cap, n;
    OVal *work;             /* copies whose fields are not rewritten yet */
    size_t nwork, capwork;
    OVal owner;             /* the copy being traced */
} Transmigration;

static size_t slot_of(OVal key, size_t cap)
{
    uint64_t h = key >> 3;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return (size_t)h & (cap - 1);
}

static void remap_grow(Transmigration *t)
{
    size_t cap = t->cap ? t->cap * 2 : 64;
    OVal *keys = calloc(cap, sizeof *keys), *vals = malloc(cap * sizeof *vals);
    if (!keys || !vals)
        omni_internal_error("out of memory (transmigration table)");
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->keys[i])
            continue;
        size_t j = slot_of(t->keys[i], cap);
        while (keys[j])
            j = (j + 1) & (cap - 1);
        keys[j] = t->keys[i];
        vals[j] = t->vals[i];
    }
    free(t->keys);
    free(t->vals);
    t->keys = keys;
    t->vals = vals;
    t->cap = cap;
}

static void work_push(Transmigration *t, OVal v)
{
    if (t->nwork == t->capwork) {
        t->capwork = t->capwork ? t->capwork * 2 : 64;
        OVal *w = realloc(t->work, t->capwork * sizeof *w);
        if (!w)
            omni_internal_error("out of memory (transmigration worklist)");
        t->work = w;
    }
    t->work[t->nwork++] = v;
}

/* The destination of v: v itself unless it is an object of the source
 * region, else its unique copy (made on first sight). */
static OVal remap(Transmigration *t, OVal v)
{
    if (!omni_is_ptr(v) || omni_region_of(v) != t->from)
        return v;
    if ((t->n + 1) * 2 > t->cap)
        remap_grow(t);
    size_t j = slot_of(v, t->cap);
    for (; t->keys[j]; j = (j + 1) & (t->cap - 1))
        if (t->keys[j] == v)
            return t->vals[j];
    OVal copy = omni_types[omni_type_of_ptr(v)].clone(t->to, v);
    t->keys[j] = v;
    t->vals[j] = copy;
    t->n++;
    if (copy != v)
        work_push(t, copy);
    return copy;
}

/* Every field of a copy is (re)stored through the barrier: the copy's
 * edges to roots are new edges out of `to`. */
static void visit(OVal *slot, void *ctx)
{
    Transmigration *t = ctx;
    omni_store(t->owner, slot, remap(t, *slot));
}

OVal omni_transmigrate(OVal v, Region *from, Region *to)
{
    if (!from || !to || from == to || omni_region_of(v) != from)
        return v;
    Transmigration t = { .from = from, .to = to };
    OVal root = remap(&t, v);
    while (t.nwork) {
        OVal c = t.work[--t.nwork];
        t.owner = c;
        omni_types[omni_type_of_ptr(c)].trace(c, visit, &t);
    }
    free(t.keys);
    free(t.vals);
    free(t.work);
    from->escape_repair_count++;
    return root;
}
