/* dict.c — insertion-ordered hash maps (ODict, omni.h).
 *
 * Entries sit in an array in insertion order (printing, keys, values and
 * iteration follow it); removal leaves a tombstone (key == OMNI_UNBOUND)
 * so the order of the rest is kept.  Small dicts (capacity up to
 * SMALL_DICT) have no index and are scanned comparing cached hashes first;
 * bigger ones add an open-addressing index of entry numbers, at most half
 * full (tombstones included).  Keys compare with equal?.  Growth allocates
 * the new arrays in the dict's own region (the global region for a static
 * dict) and compacts tombstones away; the old arrays stay in the region
 * until it is reclaimed, as for every region object.
 */
#include "rt_core.h"

#include <string.h>

#define SMALL_DICT 8

static void *dict_mem(Region *r, size_t n)
{
    return r ? omni_region_alloc_inline(r, n) : omni_static_alloc(n);
}

static Region *dict_region(OVal d)
{
    Region *r = omni_region_of(d);
    return omni_region_for_alloc(r ? r : omni_region_global());
}

static int64_t index_size(int64_t cap)
{
    int64_t n = 16;
    while (n < cap * 2)
        n *= 2;
    return n;
}

static void index_insert(ODict *d, uint64_t h, int32_t entry)
{
    int64_t mask = d->nindex - 1, j = (int64_t)(h & (uint64_t)mask);
    while (d->index[j] >= 0)
        j = (j + 1) & mask;
    d->index[j] = entry;
}

/* Fresh entry (and index) arrays of capacity cap in r (NULL: static). */
static void dict_alloc_arrays(ODict *d, Region *r, int64_t cap)
{
    d->cap = cap;
    d->entries = cap ? dict_mem(r, (size_t)cap * sizeof(ODictEntry)) : NULL;
    d->nindex = 0;
    d->index = NULL;
    if (cap > SMALL_DICT) {
        d->nindex = index_size(cap);
        d->index = dict_mem(r, (size_t)d->nindex * sizeof(int32_t));
        memset(d->index, 0xff, (size_t)d->nindex * sizeof(int32_t)); /* all -1 */
    }
}

OVal omni_dict_new_in(Region *r, int64_t cap, uint32_t flags)
{
    ODict *d = dict_mem(r, sizeof(ODict));
    d->h.type = OT_DICT;
    d->h.flags = flags;
    d->count = d->used = 0;
    dict_alloc_arrays(d, r, cap < 0 ? 0 : cap);
    return OMNI_VAL(d);
}

OVal omni_dict_new(Region *r, int64_t cap)
{
    return omni_dict_new_in(r, cap, 0);
}

/* Entry number of key, or -1; *slot gets its index position (or -1). */
static int64_t dict_find(const ODict *d, OVal key, uint64_t h, int64_t *slot)
{
    *slot = -1;
    if (!d->nindex) {
        for (int64_t i = 0; i < d->used; i++) {
            const ODictEntry *e = &d->entries[i];
            if (e->hash == h && e->key != OMNI_UNBOUND && (e->key == key || omni_equal(e->key, key)))
                return i;
        }
        return -1;
    }
    int64_t mask = d->nindex - 1;
    for (int64_t j = (int64_t)(h & (uint64_t)mask); d->index[j] != -1; j = (j + 1) & mask) {
        int32_t i = d->index[j];
        if (i < 0)
            continue; /* deleted */
        const ODictEntry *e = &d->entries[i];
        if (e->hash == h && (e->key == key || omni_equal(e->key, key))) {
            *slot = j;
            return i;
        }
    }
    return -1;
}

/* Room for one more entry: new arrays in the dict's region, live entries
 * copied in order.  Moving values inside d's own memory creates no new
 * cross-object edge, so it bypasses the store barrier. */
static void dict_grow(OVal dv)
{
    ODict *d = OMNI_PTR(ODict, dv);
    ODictEntry *old = d->entries;
    int64_t used = d->used;
    int64_t cap = d->count * 2;
    if (cap < SMALL_DICT)
        cap = SMALL_DICT;
    dict_alloc_arrays(d, dict_region(dv), cap);
    int64_t n = 0;
    for (int64_t i = 0; i < used; i++) {
        if (old[i].key == OMNI_UNBOUND)
            continue;
        d->entries[n] = old[i];
        if (omni_load_relaxed_u64(&omni_rs_slots_live)) { /* counted edges are keyed by slot */
            omni_rs_move(dict_region(dv), &old[i].key, &d->entries[n].key, 1);
            omni_rs_move(dict_region(dv), &old[i].val, &d->entries[n].val, 1);
        }
        if (d->nindex)
            index_insert(d, old[i].hash, (int32_t)n);
        n++;
    }
    d->used = n;
}

/* init: the dict is being constructed and its fields are initialised
 * (values admitted by the compiler), not stored through the barrier. */
static void dict_put(OVal dv, OVal key, OVal val, bool init)
{
    ODict *d = OMNI_PTR(ODict, dv);
    uint64_t h = omni_hash(key);
    int64_t slot, i = dict_find(d, key, h, &slot);
    if (i >= 0) {
        if (init)
            d->entries[i].val = val;
        else
            omni_store(dv, &d->entries[i].val, val);
        return;
    }
    if (d->used == d->cap)
        dict_grow(dv);
    i = d->used;
    ODictEntry *e = &d->entries[i];
    e->hash = h;
    if (init) {
        e->key = key;
        e->val = val;
    } else {
        omni_store(dv, &e->key, key);
        omni_store(dv, &e->val, val);
    }
    if (d->nindex)
        index_insert(d, h, (int32_t)i);
    d->used = i + 1;
    d->count++;
}

void omni_dict_put(OVal dv, OVal key, OVal val) { dict_put(dv, key, val, false); }

void omni_dict_init_put(OVal dv, OVal key, OVal val) { dict_put(dv, key, val, true); }

OVal omni_dict_get(OVal dv, OVal key, OVal dflt)
{
    const ODict *d = OMNI_PTR(ODict, dv);
    int64_t slot, i = dict_find(d, key, omni_hash(key), &slot);
    if (i < 0)
        return dflt;
    omni_rs_note_load(d->entries[i].val);
    return d->entries[i].val;
}

bool omni_dict_has(OVal dv, OVal key)
{
    int64_t slot;
    return dict_find(OMNI_PTR(ODict, dv), key, omni_hash(key), &slot) >= 0;
}

bool omni_dict_remove(OVal dv, OVal key)
{
    ODict *d = OMNI_PTR(ODict, dv);
    int64_t slot, i = dict_find(d, key, omni_hash(key), &slot);
    if (i < 0)
        return false;
    omni_store(dv, &d->entries[i].key, OMNI_UNBOUND);
    omni_store(dv, &d->entries[i].val, OMNI_NOTHING);
    if (slot >= 0)
        d->index[slot] = -2;
    d->count--;
    return true;
}
