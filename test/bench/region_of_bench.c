/* region_of_bench.c — the two designs for region_of(obj) in O(1), measured
 * side by side (design.md, "Memory: CTRR", point 6):
 *   mask:  chunk-aligned arenas (what rt/ uses): region_of reads the owner
 *          word at p & mask, the mask coming from the 64 KiB chunk header
 *          (arena chunk → its header; slot slab → the control block);
 *   owner: a per-object owner pointer, one more word in every object.
 * Both allocate from the same runtime regions with the same bump
 * allocator, so only the layout differs.  Measured: allocation (ns per
 * pair), object size, region_of (ns per lookup over a list), a
 * transmigration-style copy (the runtime's forwarding + log + region test
 * per object, ns per object), and moving a region's objects to another
 * region (splice: one store per chunk vs one per object).
 *
 * Build and run (after building libomni_rt.a in BUILD):
 *   gcc -O2 -D_GNU_SOURCE -Irt test/bench/region_of_bench.c BUILD/libomni_rt.a \
 *       -lurcu-cds -lurcu-qsbr -lurcu-common -lm -lpthread -o /tmp/region_of_bench && /tmp/region_of_bench
 * Fastest of 9 runs after a warm-up (the machines here are shared).
 */
#include "rt_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

#define N 1000000
#define RUNS 9

/* The owner-pointer layout of a pair: one more word (a pair has no
 * header, rt/omni.h, so the owner word is the whole difference). */
typedef struct OPairOwned {
    Region *owner;
    OVal car, cdr;
} OPairOwned;

#define OWNED(v) ((OPairOwned *)(uintptr_t)((v) - OMNI_PAIR_TAG))

static volatile uintptr_t g_sink;

static OVal list_mask(Region *r, int n)
{
    OVal l = OMNI_NIL;
    for (int i = 0; i < n; i++) {
        OPair *p = omni_region_alloc_inline(r, sizeof *p);
        p->car = omni_fix(i);
        p->cdr = l;
        l = OMNI_PAIR_VAL(p);
    }
    return l;
}

static OVal list_owner(Region *r, int n)
{
    OVal l = OMNI_NIL;
    for (int i = 0; i < n; i++) {
        OPairOwned *p = omni_region_alloc_inline(r, sizeof *p);
        p->owner = r;
        p->car = omni_fix(i);
        p->cdr = l;
        l = OMNI_PAIR_VAL(p);
    }
    return l;
}

static inline Region *region_of_owner(OVal v)
{
    return omni_is_pair(v) ? OWNED(v)->owner : NULL;
}

/* ---- a transmigration-style copy of a list of pairs, per layout: the
 * runtime's scheme (forwarding address in the object's first word, a log
 * of sources, the word restored at the end), the region test per
 * object.  mask: the car holds the copy's address tagged 010, as in
 * rt/transmigrate.c; owner: the owner word holds the copy's address + 1. ---- */
typedef struct Log {
    OVal *src;
    uint64_t *hdr;
    size_t n;
} Log;

static OVal copy_mask(OVal v, Region *from, Region *to, Log *log)
{
    OVal root = OMNI_NIL, *dst = &root;
    log->n = 0;
    while (omni_is_pair(v)) {
        uint64_t w = OMNI_PAIR(v)->car;
        if ((w & 7) == 2 && w > OMNI_UNBOUND) { /* forwarded */
            *dst = (OVal)(w - 2 + OMNI_PAIR_TAG);
            break;
        }
        if (omni_region_of_inline(v) != from) {
            *dst = v;
            break;
        }
        OPair *c = omni_region_alloc_inline(to, sizeof *c);
        *c = *OMNI_PAIR(v);
        log->src[log->n] = v;
        log->hdr[log->n++] = w;
        OMNI_PAIR(v)->car = (uint64_t)(uintptr_t)c + 2;
        *dst = OMNI_PAIR_VAL(c);
        dst = &c->cdr;
        v = c->cdr;
    }
    for (size_t i = 0; i < log->n; i++)
        OMNI_PAIR(log->src[i])->car = log->hdr[i];
    return root;
}

static OVal copy_owner(OVal v, Region *from, Region *to, Log *log)
{
    OVal root = OMNI_NIL, *dst = &root;
    log->n = 0;
    while (omni_is_pair(v)) {
        uint64_t w = (uint64_t)(uintptr_t)OWNED(v)->owner;
        if (w & 1) { /* forwarded */
            *dst = (OVal)(w - 1 + OMNI_PAIR_TAG);
            break;
        }
        if ((Region *)(uintptr_t)w != from) {
            *dst = v;
            break;
        }
        OPairOwned *c = omni_region_alloc_inline(to, sizeof *c);
        memcpy(c, OWNED(v), sizeof *c);
        c->owner = to; /* the extra store of this design */
        log->src[log->n] = v;
        log->hdr[log->n++] = w;
        OWNED(v)->owner = (Region *)((uintptr_t)c + 1);
        *dst = OMNI_PAIR_VAL(c);
        dst = &c->cdr;
        v = c->cdr;
    }
    for (size_t i = 0; i < log->n; i++)
        OWNED(log->src[i])->owner = (Region *)(uintptr_t)log->hdr[i];
    return root;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct Result {
    double alloc, lookup, copy, splice;
} Result;

static Result measure(bool owner)
{
    double ta[RUNS + 1], tl[RUNS + 1], tc[RUNS + 1], ts[RUNS + 1];
    Log log = { malloc(N * sizeof(OVal)), malloc(N * sizeof(uint64_t)), 0 };
    for (int run = 0; run <= RUNS; run++) {
        Region *r = omni_region_new(omni_region_global());
        omni_region_no_inline(r);
        double t0 = now_ns();
        OVal l = owner ? list_owner(r, N) : list_mask(r, N);
        ta[run] = (now_ns() - t0) / N;

        t0 = now_ns();
        uintptr_t acc = 0;
        for (OVal v = l; omni_is_pair(v);) {
            acc += (uintptr_t)(owner ? region_of_owner(v) : omni_region_of_inline(v));
            v = owner ? OWNED(v)->cdr : OMNI_PAIR(v)->cdr;
        }
        g_sink = acc;
        tl[run] = (now_ns() - t0) / N;

        Region *to = omni_region_new(omni_region_global());
        omni_region_no_inline(to);
        t0 = now_ns();
        OVal c = owner ? copy_owner(l, r, to, &log) : copy_mask(l, r, to, &log);
        tc[run] = (now_ns() - t0) / N;
        g_sink = c;

        /* Splice r's objects into `to`: chunk headers vs every object. */
        t0 = now_ns();
        if (owner) {
            bool ok = omni_region_splice(r, to); /* the chunks move too ... */
            for (OVal v = l; omni_is_pair(v); v = OWNED(v)->cdr)
                OWNED(v)->owner = to; /* ... and each owner word */
            g_sink = ok;
        } else {
            g_sink = omni_region_splice(r, to);
        }
        ts[run] = (now_ns() - t0) / N;
        if ((owner ? region_of_owner(l) : omni_region_of_inline(l)) != to)
            abort();
        omni_region_exit(r);
        omni_region_exit(to);
    }
    free(log.src);
    free(log.hdr);
    /* run 0 is the warm-up */
    qsort(ta + 1, RUNS, sizeof ta[0], cmp_d);
    qsort(tl + 1, RUNS, sizeof tl[0], cmp_d);
    qsort(tc + 1, RUNS, sizeof tc[0], cmp_d);
    qsort(ts + 1, RUNS, sizeof ts[0], cmp_d);
    return (Result){ ta[1], tl[1], tc[1], ts[1] };
}

int main(void)
{
    omni_rt_init(0, NULL);
    Result m = measure(false), o = measure(true);
    printf("region_of: chunk-aligned mask vs per-object owner pointer (list of %d pairs)\n", N);
    printf("%-34s %12s %12s\n", "", "mask", "owner");
    printf("%-34s %10zu B %10zu B\n", "pair size", sizeof(OPair), sizeof(OPairOwned));
    printf("%-34s %10zu B %10zu B\n", "float size", sizeof(OFloat), sizeof(OFloat) + 8);
    printf("%-34s %9.2f ns %9.2f ns\n", "allocate a pair", m.alloc, o.alloc);
    printf("%-34s %9.2f ns %9.2f ns\n", "region_of (list walk)", m.lookup, o.lookup);
    printf("%-34s %9.2f ns %9.2f ns\n", "transmigrate-style copy, per pair", m.copy, o.copy);
    printf("%-34s %9.3f ns %9.3f ns\n", "splice into another region, per pair", m.splice, o.splice);
    return 0;
}
