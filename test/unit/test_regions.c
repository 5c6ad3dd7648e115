/* test_regions.c — Check suite for CTRR regions: the liveness rule,
 * reclamation exactly once, stale handles, the inline buffer and region_of,
 * splicing chunks, exact accounting on every allocation path, per-site
 * statistics and retention warnings, the store barrier's repairs,
 * transmigration (totality over the type registry, sharing, cycles, roots,
 * counters) and region unwinding when omni_try catches an error.
 * Standalone program linked with all of rt/ except aot_main.c; run it under
 * ASan+UBSan too (cmake -DOMNI_SANITIZE=ON).
 */
#include "rt_core.h"

#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static FILE *g_errs;

static void setup(void)
{
    omni_rt_init(0, NULL);
    if (!g_errs)
        g_errs = tmpfile();
    omni_set_error_stream(g_errs);
}

static OVal str(Region *r, const char *s) { return omni_make_string(r, s, (int64_t)strlen(s)); }
static OVal sym(const char *s) { return omni_intern(s, (int64_t)strlen(s)); }
static OVal cons(Region *r, OVal a, OVal d) { return omni_cons_in(r, a, d); }

static OmniRegionCounters counters(void)
{
    OmniRegionCounters c;
    omni_region_counters(&c);
    return c;
}

static bool alive(Region *r, uint64_t id) { return omni_region_is(r, id); }

static OVal noop_generic(Region *r, OClosure *self, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    (void)r, (void)self, (void)loc, (void)argc, (void)argv;
    return OMNI_NOTHING;
}

/* ---- the liveness rule ----------------------------------------------------- */

/* One row: what holds the region besides its scope, then the order in
 * which the holds go away.  It must die exactly when the last one goes. */
enum { H_RC = 1, H_TETHER = 2, H_CHILD = 4 };

static void liveness_row(int holds)
{
    OmniRegionCounters c0 = counters();
    Region *r = omni_region_new(omni_region_global());
    uint64_t id = r->id;
    cons(r, omni_fix(1), OMNI_NIL);
    Region *child = NULL;
    uint64_t child_id = 0;
    if (holds & H_RC)
        omni_region_retain(r);
    if (holds & H_TETHER)
        omni_region_tether(r);
    if (holds & H_CHILD) {
        child = omni_region_new(r);
        child_id = child->id;
        ck_assert_int_eq(r->external_rc, 1 + !!(holds & H_RC)); /* the child's reference */
    }
    omni_region_exit(r);
    ck_assert(alive(r, id) == (holds != 0));
    if (holds & H_RC) {
        omni_region_release(r);
        ck_assert(alive(r, id) == ((holds & ~H_RC) != 0));
    }
    if (holds & H_TETHER) {
        omni_region_untether(r);
        ck_assert(alive(r, id) == ((holds & H_CHILD) != 0));
    }
    if (holds & H_CHILD) {
        ck_assert(alive(child, child_id));
        omni_region_exit(child); /* the child dies, and the parent with it */
        ck_assert(!alive(child, child_id));
        ck_assert(!alive(r, id));
    }
    OmniRegionCounters c1 = counters();
    int made = 1 + !!(holds & H_CHILD);
    ck_assert_uint_eq(c1.regions_created - c0.regions_created, made);
    ck_assert_uint_eq(c1.regions_reclaimed - c0.regions_reclaimed, made);
    ck_assert_uint_eq(c1.regions_live, c0.regions_live);
}

START_TEST(test_liveness_table)
{
    for (int holds = 0; holds < 8; holds++)
        liveness_row(holds);
    /* Still in scope: references come and go, the scope keeps it. */
    Region *r = omni_region_new(omni_region_global());
    uint64_t id = r->id;
    omni_region_retain(r);
    omni_region_release(r);
    omni_region_tether(r);
    omni_region_untether(r);
    ck_assert(alive(r, id));
    omni_region_exit(r);
    ck_assert(!alive(r, id));
}
END_TEST

/* A region outliving its scope keeps its ancestors: a chain of 1000
 * regions, each exited while its child is retained, dies as a whole when
 * the innermost reference goes (a loop in region.c, not recursion). */
START_TEST(test_reclaim_chain)
{
    OmniRegionCounters c0 = counters();
    enum { N = 1000 };
    Region *rs[N];
    uint64_t ids[N];
    Region *p = omni_region_global();
    for (int i = 0; i < N; i++) {
        rs[i] = p = omni_region_new(p);
        ids[i] = p->id;
        omni_alloc(p, 100 * (size_t)i); /* some go to chunks, some large */
    }
    omni_region_retain(rs[N - 1]);
    for (int i = N - 1; i >= 0; i--)
        omni_region_exit(rs[i]);
    for (int i = 0; i < N; i++)
        ck_assert(alive(rs[i], ids[i]));
    omni_region_release(rs[N - 1]);
    for (int i = 0; i < N; i++)
        ck_assert(!alive(rs[i], ids[i]));
    OmniRegionCounters c1 = counters();
    ck_assert_uint_eq(c1.regions_reclaimed - c0.regions_reclaimed, N);
    ck_assert_uint_eq(c1.regions_live, c0.regions_live);
}
END_TEST

/* Another thread's reference is counted atomically (shared_rc); the owner
 * thread recycles the memory. */
static void *foreign_release(void *arg)
{
    omni_region_release(arg);
    return NULL;
}

static void *foreign_retain(void *arg)
{
    omni_region_retain(arg);
    return NULL;
}

START_TEST(test_foreign_thread_refs)
{
    OmniRegionCounters c0 = counters();
    Region *r = omni_region_new(omni_region_global());
    uint64_t id = r->id;
    pthread_t th;
    pthread_create(&th, NULL, foreign_retain, r);
    pthread_join(th, NULL);
    ck_assert_int_eq(r->shared_rc, 1);
    omni_region_exit(r);
    ck_assert(alive(r, id));
    pthread_create(&th, NULL, foreign_release, r);
    pthread_join(th, NULL);
    ck_assert(!alive(r, id));               /* dead at once ... */
    (void)omni_region_mark();               /* ... recycled by the owner on its next call */
    OmniRegionCounters c1 = counters();
    ck_assert_uint_eq(c1.regions_reclaimed - c0.regions_reclaimed, 1);
    ck_assert_uint_eq(c1.regions_live, c0.regions_live);
}
END_TEST

/* ---- misuse is an internal error (abort), never silent ------------------------ */

START_TEST(test_exit_twice)
{
    Region *r = omni_region_new(omni_region_global());
    omni_region_retain(r);
    omni_region_exit(r);
    omni_region_exit(r);
}
END_TEST

START_TEST(test_release_below_zero)
{
    Region *r = omni_region_new(omni_region_global());
    omni_region_release(r);
}
END_TEST

START_TEST(test_stale_handle_use)
{
    Region *r = omni_region_new(omni_region_global());
    omni_region_exit(r);
    omni_region_retain(r); /* r was reclaimed */
}
END_TEST

START_TEST(test_stale_handle_id)
{
    Region *r = omni_region_new(omni_region_global());
    uint64_t id = r->id;
    ck_assert(omni_region_is(r, id));
    omni_region_exit(r);
    ck_assert(!omni_region_is(r, id));
    Region *again[8];
    for (int i = 0; i < 8; i++) {
        again[i] = omni_region_new(omni_region_global());
        ck_assert_uint_ne(again[i]->id, id); /* ids are never reused */
#ifdef OMNI_DEBUG
        ck_assert_ptr_ne(again[i], r);       /* debug: quarantined before reuse */
#endif
    }
    ck_assert(!omni_region_is(r, id));      /* even if the block is reused */
    for (int i = 7; i >= 0; i--)
        omni_region_exit(again[i]);
}
END_TEST

/* ---- the inline buffer and region_of ----------------------------------------------- */

static bool in_slot(OVal v, Region *r)
{
    uintptr_t a = (uintptr_t)v, s = (uintptr_t)r;
    return a >= s + sizeof(Region) && a < s + OMNI_SLOT_SIZE;
}

START_TEST(test_inline_region_of)
{
    enum { N = 300 }; /* several slabs' worth of slots */
    Region *rs[N];
    OVal objs[N][3];
    for (int i = 0; i < N; i++) {
        rs[i] = omni_region_new(i ? rs[i - 1] : omni_region_global());
        objs[i][0] = cons(rs[i], omni_fix(i), OMNI_NIL);
        objs[i][1] = omni_make_float(rs[i], i);
        objs[i][2] = str(rs[i], "inline");
    }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < 3; j++) {
            ck_assert(in_slot(objs[i][j], rs[i]));  /* in the inline buffer ... */
            ck_assert_ptr_eq(omni_region_of(objs[i][j]), rs[i]); /* ... and found */
        }
    /* Past the inline buffer: arena chunks, still found. */
    OVal l = OMNI_NIL;
    for (int i = 0; i < 100; i++) {
        l = cons(rs[0], omni_fix(i), l);
        ck_assert_ptr_eq(omni_region_of(l), rs[0]);
    }
    ck_assert(!in_slot(l, rs[0]));
    ck_assert_ptr_nonnull(rs[0]->cur_chunk);
    /* A clone lands in its destination's inline buffer and maps there. */
    Region *to = omni_region_new(omni_region_global());
    OVal c = omni_transmigrate(objs[5][0], rs[5], to);
    ck_assert(in_slot(c, to));
    ck_assert_ptr_eq(omni_region_of(c), to);
    omni_region_exit(to);
    for (int i = N - 1; i >= 0; i--)
        omni_region_exit(rs[i]);
    /* Immediates and static objects have no region. */
    ck_assert_ptr_null(omni_region_of(omni_fix(3)));
    ck_assert_ptr_null(omni_region_of(OMNI_NIL));
    ck_assert_ptr_null(omni_region_of(sym("x")));
    ck_assert_ptr_null(omni_region_of(omni_static_string("s", 1)));
}
END_TEST

/* Splice moves chunks; region_of follows without touching an object. */
START_TEST(test_splice)
{
    Region *dst = omni_region_new(omni_region_global());
    Region *src = omni_region_new(dst);
    omni_region_no_inline(src);
    OVal l = OMNI_NIL;
    for (int i = 0; i < 7500; i++) /* two arena chunks (16-byte pairs) */
        l = cons(src, omni_fix(i), l);
    OString *big = omni_string_alloc(src, 40000); /* a large-object chunk */
    memset(big->data, 'b', 40000);
    OmniRegionStats s0;
    omni_region_stats(src, &s0);
    ck_assert_uint_eq(s0.inline_buf_used_bytes, 0);
    ck_assert_uint_eq(s0.chunk_count, 3);
    ck_assert_ptr_eq(omni_region_of(l), src);
    OmniRegionStats d0;
    omni_region_stats(dst, &d0);
    ck_assert(omni_region_splice(src, dst));
    for (OVal v = l; v != OMNI_NIL; v = OMNI_PAIR(v)->cdr)
        ck_assert_ptr_eq(omni_region_of(v), dst);
    ck_assert_ptr_eq(omni_region_of(OMNI_VAL(big)), dst);
    OmniRegionStats d1, s1;
    omni_region_stats(dst, &d1);
    omni_region_stats(src, &s1);
    ck_assert_uint_eq(d1.bytes_allocated_total, d0.bytes_allocated_total + s0.bytes_allocated_total);
    ck_assert_uint_eq(d1.chunk_count, d0.chunk_count + 3);
    ck_assert_uint_eq(s1.bytes_allocated_total, 0);
    /* src dies; the moved objects live on in dst. */
    omni_region_exit(src);
    ck_assert_int_eq(omni_list_length(l), 7500);
    ck_assert_int_eq(omni_fixval(OMNI_PAIR(l)->car), 7499);
    ck_assert_int_eq(big->data[39999], 'b');
    /* Objects in an inline buffer cannot move: refused. */
    Region *in = omni_region_new(dst);
    cons(in, omni_fix(1), OMNI_NIL);
    ck_assert(!omni_region_splice(in, dst));
    omni_region_exit(in);
    omni_region_exit(dst);
}
END_TEST

/* ---- accounting: exact on every path ------------------------------------------------ */

START_TEST(test_accounting_paths)
{
    const uint64_t inline_cap = OMNI_SLOT_SIZE - sizeof(Region);
    const uint64_t chunk_cap = OMNI_CHUNK_SIZE - sizeof(OmniChunk);
    Region *r = omni_region_new(omni_region_global());
    OmniRegionStats s;
    uint64_t want = 0;
    /* Inline path (hot.c's omni_alloc): sizes rounded up to 8. */
    omni_alloc(r, 13), want += 16;
    omni_alloc(r, 24), want += 24;
    omni_make_float(r, 1.0), want += sizeof(OFloat);
    omni_region_stats(r, &s);
    ck_assert_uint_eq(s.bytes_allocated_total, want);
    ck_assert_uint_eq(s.inline_buf_used_bytes, want);
    ck_assert_uint_eq(s.chunk_count, 0);
    ck_assert_uint_eq(s.bytes_allocated_peak, OMNI_SLOT_SIZE);
    /* Fill the inline buffer exactly, then one more byte: a new chunk. */
    uint64_t rest = inline_cap - want;
    omni_alloc(r, rest), want += rest;
    omni_region_stats(r, &s);
    ck_assert_uint_eq(s.inline_buf_used_bytes, inline_cap);
    ck_assert_uint_eq(s.chunk_count, 0);
    omni_alloc(r, 1), want += 8;
    omni_region_stats(r, &s);
    ck_assert_uint_eq(s.bytes_allocated_total, want);
    ck_assert_uint_eq(s.inline_buf_used_bytes, inline_cap); /* frozen */
    ck_assert_uint_eq(s.chunk_count, 1);
    ck_assert_uint_eq(s.bytes_allocated_peak, OMNI_SLOT_SIZE + OMNI_CHUNK_SIZE);
    /* Bump path inside the chunk, then the slow path to a second chunk
     * (the tail of the first that does not fit is not counted). */
    omni_alloc(r, chunk_cap - 8 - 16), want += chunk_cap - 24;
    omni_region_stats(r, &s);
    ck_assert_uint_eq(s.chunk_count, 1);
    omni_region_alloc_slow(r, 24), want += 24;    /* 16 bytes left: a new chunk */
    omni_region_stats(r, &s);
    ck_assert_uint_eq(s.bytes_allocated_total, want);
    ck_assert_uint_eq(s.chunk_count, 2);
    /* Large object: its own chunk, the exact (rounded) size counted. */
    omni_alloc(r, 100001), want += 100008;
    omni_region_stats(r, &s);
    ck_assert_uint_eq(s.bytes_allocated_total, want);
    ck_assert_uint_eq(s.chunk_count, 3);
    size_t large = (sizeof(OmniChunk) + 100008 + OMNI_CHUNK_SIZE - 1) & OMNI_CHUNK_MASK;
    ck_assert_uint_eq(s.bytes_held, OMNI_SLOT_SIZE + 2 * OMNI_CHUNK_SIZE + large);
    ck_assert_uint_eq(s.bytes_allocated_peak, s.bytes_held);
    ck_assert_uint_eq(omni_region_bytes_total(r), want);
    /* Objects built by the runtime count the same way. */
    omni_region_stats(r, &s);
    uint64_t before = s.bytes_allocated_total;
    OVal a = omni_array_new(r, 3); /* header + 3 items */
    omni_region_stats(r, &s);
    ck_assert_uint_eq(s.bytes_allocated_total - before, sizeof(OArray) + 3 * sizeof(OVal));
    (void)a;
    ck_assert_uint_eq(s.escape_repair_count, 0);
    omni_region_exit(r);
}
END_TEST

START_TEST(test_counters_snapshot)
{
    OmniRegionCounters c0 = counters();
    Region *a = omni_region_new(omni_region_global());
    Region *b = omni_region_new(a);
    OmniRegionCounters c1 = counters();
    ck_assert_uint_eq(c1.regions_created - c0.regions_created, 2);
    ck_assert_uint_eq(c1.regions_live - c0.regions_live, 2);
    omni_alloc(b, 1000); /* leaves the inline buffer: one chunk */
    c1 = counters();
    ck_assert_uint_eq(c1.chunks_acquired - c0.chunks_acquired, 1);
    omni_region_exit(b);
    omni_region_exit(a);
    c1 = counters();
    ck_assert_uint_eq(c1.regions_reclaimed - c0.regions_reclaimed, 2);
    ck_assert_uint_eq(c1.regions_live, c0.regions_live);
}
END_TEST

/* ---- --region-stats ---------------------------------------------------------------- */

static char *read_all(FILE *f)
{
    fflush(f);
    long n = ftell(f);
    char *s = calloc(1, (size_t)n + 1);
    rewind(f);
    ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    return s;
}

START_TEST(test_site_stats)
{
    omni_region_stats_enable(true);
    static const OmniLoc here = { "t.omni", 3, 5, NULL, 0 };
    static const OmniLoc loop = { "t.omni", 9, 1, NULL, 0 };
    for (int i = 0; i < 10; i++) { /* 10 regions made and reclaimed at t.omni:3:5 */
        Region *r = omni_region_new_at(omni_region_global(), &here);
        cons(r, omni_fix(i), OMNI_NIL);
        omni_region_exit(r);
    }
    Region *keep = omni_region_new_at(omni_region_global(), &loop); /* live at the report */
    /* Long-lived and still receiving: a retention warning. */
    omni_retention.age = 5;
    omni_retention.bytes = 2 * OMNI_CHUNK_SIZE;
    for (int i = 0; i < 6; i++)
        omni_region_exit(omni_region_new(omni_region_global()));
    for (int i = 0; i < 3; i++)
        omni_alloc(keep, OMNI_CHUNK_SIZE / 2 + 8); /* three more chunks */
    FILE *f = tmpfile();
    omni_region_print_stats(f);
    char *s = read_all(f);
    fclose(f);
    ck_assert_msg(strstr(s, "region stats: ") != NULL, "%s", s);
    /* site, made, reclaimed, live, bytes_total (10 pairs), ... */
    ck_assert_msg(strstr(s, "t.omni:3:5") != NULL, "%s", s);
    char want[200];
    snprintf(want, sizeof want, "%10d %10d %6d %14d", 10, 10, 0, (int)(10 * sizeof(OPair)));
    ck_assert_msg(strstr(strstr(s, "t.omni:3:5"), want) != NULL, "%s", s);
    ck_assert_msg(strstr(s, "<global>") != NULL, "%s", s);
    ck_assert_msg(strstr(s, "warning: region retention: t.omni:9:1: 1 long-lived region") != NULL,
                  "%s", s);
    free(s);
    omni_region_exit(keep);
    omni_region_stats_enable(false);
}
END_TEST

/* ---- the store barrier ------------------------------------------------------------------ */

/* omni_region_carry (loop carry regions, docs/CTRR.md "Loops"): nothing
 * moves until the region grew max(64 KiB, 2 x live); then one
 * transmigration moves what the arguments reach (sharing between them
 * kept, outside objects untouched), the old region is reclaimed, and the
 * live size is the base of the next threshold. */
/* Pending result regions (rt/omni.h): a handle is made into a region only
 * when resolved, parents first, once; a real region resolves to itself. */
START_TEST(test_pending_regions)
{
    Region *g = omni_region_global();
    Region *base = omni_region_new(g);
    ck_assert_ptr_eq(omni_region_resolve(base), base);
    static const OmniLoc loc1 = { "p.omni", 1, 1, NULL, 0 }, loc2 = { "p.omni", 2, 1, NULL, 0 };
    OmniPendingRegion c1 = { NULL, base, &loc1 };
    Region *h1 = (Region *)((uintptr_t)&c1 + 1);
    OmniPendingRegion c2 = { NULL, h1, &loc2 };   /* pending under pending */
    Region *h2 = (Region *)((uintptr_t)&c2 + 1);
    ck_assert(omni_region_is_pending(h1) && omni_region_is_pending(h2));
    ck_assert(!omni_region_is_pending(base));
    OmniRegionCounters k0, k1;
    omni_region_counters(&k0);
    Region *r2 = omni_region_resolve(h2);            /* makes c1's region, then c2's */
    omni_region_counters(&k1);
    ck_assert_uint_eq(k1.regions_created - k0.regions_created, 2);
    ck_assert_ptr_eq(c2.made, r2);
    ck_assert_ptr_nonnull(c1.made);
    ck_assert(omni_region_outlives(c1.made, r2));   /* a child of the pending parent */
    ck_assert(omni_region_outlives(base, c1.made));
    ck_assert_ptr_eq(omni_region_resolve(h2), r2);  /* once */
    ck_assert_ptr_eq(omni_region_resolve(h1), c1.made);
    OVal l = cons(r2, omni_fix(1), OMNI_NIL);
    ck_assert_ptr_eq(omni_region_of(l), r2);
    uint64_t id1 = c1.made->id, id2 = r2->id;
    omni_region_exit(r2);                           /* the owners exit them, innermost first */
    omni_region_exit(c1.made);
    ck_assert(!alive(r2, id2));
    ck_assert(!alive(c1.made, id1));
    omni_region_exit(base);
}
END_TEST

START_TEST(test_region_carry)
{
    Region *parent = omni_region_new(omni_region_global());
    Region *outside = omni_region_new(parent);
    OVal keep = str(outside, "outside");
    Region *k = omni_region_new(parent);
    uint64_t kid = k->id;
    OVal arr = omni_array_new(k, 0);
    OVal shared = cons(k, omni_make_float(k, 1.5), OMNI_NIL);
    omni_array_push(arr, shared);
    OVal args[3] = { arr, cons(k, shared, cons(k, keep, OMNI_NIL)), omni_fix(7) };
    /* below the threshold: unchanged, nothing copied */
    ck_assert_ptr_eq(omni_region_carry(k, parent, 3, args), k);
    ck_assert_uint_eq(args[0], arr);
    /* garbage pushes k over the floor, OMNI_CARRY_MIN */
    for (int i = 0; i < (int)(OMNI_CARRY_MIN / sizeof(OPair)) + 100; i++)
        cons(k, omni_fix(i), OMNI_NIL);
    ck_assert_uint_ge(omni_region_bytes_total(k), OMNI_CARRY_MIN);
    OVal old1 = args[1];
    Region *k2 = omni_region_carry(k, parent, 3, args);
    ck_assert_ptr_ne(k2, k);
    ck_assert(!alive(k, kid));                                   /* k reclaimed */
    ck_assert_ptr_eq(omni_region_of(args[0]), k2);
    ck_assert_ptr_eq(omni_region_of(args[1]), k2);
    ck_assert_uint_ne(args[1], old1);
    ck_assert_uint_eq(args[2], omni_fix(7));                      /* immediates as they are */
    OArray *a = OMNI_PTR(OArray, args[0]);
    OPair *l = OMNI_PAIR(args[1]);
    ck_assert_uint_eq(a->items[0], l->car);                       /* one object for both args */
    ck_assert_ptr_eq(omni_region_of(OMNI_PAIR(l->car)->car), k2);
    ck_assert_uint_eq(OMNI_PAIR(l->cdr)->car, keep);        /* outside k: not copied */
    ck_assert_double_eq(OMNI_PTR(OFloat, OMNI_PAIR(a->items[0])->car)->d, 1.5);
    /* the live size is small: the next move waits for 64 KiB more */
    uint64_t live = omni_region_bytes_total(k2);
    ck_assert_uint_lt(live, 1024);
    ck_assert_ptr_eq(omni_region_carry(k2, parent, 3, args), k2);
    for (int i = 0; i < 3000; i++)                                 /* 48 KiB < 64 KiB */
        cons(k2, omni_fix(i), OMNI_NIL);
    ck_assert_ptr_eq(omni_region_carry(k2, parent, 3, args), k2);
    /* a large live set: the threshold is twice the live size */
    OVal big = OMNI_NIL;
    for (int i = 0; i < 10000; i++)
        big = cons(k2, omni_fix(i), big);
    args[2] = big;
    for (int i = 0; i < 8000; i++) /* past 2 x live */
        cons(k2, omni_fix(i), OMNI_NIL);
    Region *k3 = omni_region_carry(k2, parent, 3, args);
    ck_assert_ptr_ne(k3, k2);
    uint64_t live3 = omni_region_bytes_total(k3);
    ck_assert_uint_ge(live3, 10000 * sizeof(OPair));
    ck_assert_int_eq(omni_list_length(args[2]), 10000);
    for (uint64_t n = 0; n < live3 + (64 << 10); n += sizeof(OPair))   /* grown < 2 x live */
        cons(k3, omni_fix(1), OMNI_NIL);
    ck_assert_ptr_eq(omni_region_carry(k3, parent, 3, args), k3);
    for (uint64_t n = 0; n < live3 + (64 << 10); n += sizeof(OPair))   /* now over */
        cons(k3, omni_fix(1), OMNI_NIL);
    Region *k4 = omni_region_carry(k3, parent, 3, args);
    ck_assert_ptr_ne(k4, k3);
    ck_assert_int_eq(omni_list_length(args[2]), 10000);
    /* region.leave: out into the parent, k exited */
    uint64_t id4 = k4->id;
    omni_region_leave(k4, parent, 3, args);
    ck_assert(!alive(k4, id4));
    ck_assert_ptr_eq(omni_region_of(args[0]), parent);
    ck_assert_ptr_eq(omni_region_of(args[2]), parent);
    ck_assert_uint_eq(OMNI_PTR(OArray, args[0])->items[0], OMNI_PAIR(args[1])->car);
    omni_region_exit(outside);
    omni_region_exit(parent);
}
END_TEST

/* Admission (rt/hot.c omni_admit, ir/pass_admit.c): a value about to be
 * held by a new object of r, passed to a call given r, or returned. */
START_TEST(test_admit)
{
    Region *old = omni_region_new(omni_region_global());
    Region *young = omni_region_new(old);
    Region *sib = omni_region_new(old);
    /* immediates, static data, the same region, an ancestor, immortal: as is */
    ck_assert_uint_eq(omni_admit(old, omni_fix(3)), omni_fix(3));
    ck_assert_uint_eq(omni_admit(old, OMNI_NIL), OMNI_NIL);
    OVal in_old = cons(old, omni_fix(1), OMNI_NIL);
    ck_assert_uint_eq(omni_admit(old, in_old), in_old);
    ck_assert_uint_eq(omni_admit(young, in_old), in_old);
    OVal glob = cons(omni_region_global(), omni_fix(2), OMNI_NIL);
    ck_assert_uint_eq(omni_admit(young, glob), glob);
    /* younger immutable data into an older region: copied, all of it */
    OVal v = cons(young, str(young, "s"), cons(young, in_old, OMNI_NIL));
    uint64_t rep0 = young->escape_repair_count;
    OVal a = omni_admit(old, v);
    ck_assert_uint_ne(a, v);
    ck_assert_ptr_eq(omni_region_of(a), old);
    ck_assert_ptr_eq(omni_region_of(OMNI_PAIR(a)->car), old);
    ck_assert_uint_eq(OMNI_PAIR(OMNI_PAIR(a)->cdr)->car, in_old);   /* a root: kept */
    ck_assert_uint_eq(young->escape_repair_count, rep0 + 1);
    /* a sibling's value into the global region: copied there */
    OVal w = cons(sib, omni_fix(9), OMNI_NIL);
    OVal g = omni_admit(omni_region_global(), w);
    ck_assert_ptr_eq(omni_region_of(g), omni_region_global());
    /* a mutable object: never copied (identity); its region is kept alive */
    OVal arr = omni_array_new(young, 0);
    omni_array_push(arr, omni_fix(1));
    int32_t rc0 = young->external_rc;
    ck_assert_uint_eq(omni_admit(old, arr), arr);
    ck_assert_int_eq(young->external_rc, rc0 + 1);
    uint64_t yid = young->id;
    omni_region_exit(young);
    ck_assert(alive(young, yid));                     /* held by the count */
    ck_assert_int_eq(omni_list_length(OMNI_PAIR(a)->cdr), 1);   /* the copy survives */
    char *s = omni_to_cstring(a, false);
    ck_assert_str_eq(s, "(s (1))");
    free(s);
    omni_region_exit(sib);
    omni_region_exit(old);
}
END_TEST

/* region.carry does not compact, and region.leave does not move, a carry
 * region that something outside holds (a barrier's count): a mutable
 * object in it stays one object (docs/CTRR.md, "Identity"). */
START_TEST(test_carry_held_region)
{
    Region *parent = omni_region_new(omni_region_global());
    Region *k = omni_region_new(parent);
    OVal arr = omni_array_new(k, 0);
    OVal *slot = omni_global_slot("test-carry-held");
    omni_global_def(slot, arr);                /* the barrier retains k */
    ck_assert_uint_eq(*slot, arr);
    for (int i = 0; i < (int)(OMNI_CARRY_MIN / sizeof(OPair)) + 100; i++)
        cons(k, omni_fix(i), OMNI_NIL);
    OVal args[1] = { arr };
    ck_assert_ptr_eq(omni_region_carry(k, parent, 1, args), k);   /* not compacted */
    ck_assert_uint_eq(args[0], arr);
    omni_region_leave(k, parent, 1, args);                         /* not moved */
    ck_assert_uint_eq(args[0], arr);
    omni_array_push(args[0], omni_fix(5));
    ck_assert_int_eq(OMNI_PTR(OArray, *slot)->len, 1);
    omni_region_exit(parent);
}
END_TEST

START_TEST(test_barrier_younger_into_older)
{
    Region *old = omni_region_new(omni_region_global());
    Region *young = omni_region_new(old);
    OVal arr = omni_array_new(old, 0);
    OVal d = omni_dict_new(old, 0);
    OVal atom = omni_atom_new(old, OMNI_NIL);
    OVal box = omni_box_new(old, OMNI_NIL);
    /* An immutable graph in the younger region, sharing a float. */
    OVal f = omni_make_float(young, 2.5);
    OVal v = cons(young, f, cons(young, f, cons(young, str(young, "s"), OMNI_NIL)));
    uint64_t rep0 = young->escape_repair_count;
    omni_array_push(arr, v);
    omni_dict_put(d, str(old, "k"), v);
    omni_atom_set(atom, v);
    omni_box_set(box, v);
    OVal *slot = omni_global_slot("test-barrier-global");
    omni_global_def(slot, v);
    ck_assert_uint_eq(young->escape_repair_count, rep0 + 5); /* one repair per store */
    OVal stored[5] = { OMNI_PTR(OArray, arr)->items[0], omni_dict_get(d, str(old, "k"), OMNI_NOTHING),
                       OMNI_PTR(OAtom, atom)->val, OMNI_PTR(OBox, box)->val, *slot };
    /* Into the global region: a small graph in a small region is kept as
     * it is (its region retained by a counted edge of the global slot). */
    ck_assert_uint_eq(stored[4], v);
    ck_assert_uint_eq(young->rs_slot_refs, 1);
    /* Into the older region (an ancestor of young): copied. */
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_ne(stored[i], v);                             /* a copy ... */
        Region *want = old;
        for (OVal x = stored[i]; x != OMNI_NIL; x = OMNI_PAIR(x)->cdr) {
            ck_assert_ptr_eq(omni_region_of(x), want);               /* ... all of it ... */
            ck_assert_ptr_eq(omni_region_of(OMNI_PAIR(x)->car), want);
        }
        OPair *p = OMNI_PAIR(stored[i]);
        ck_assert_uint_eq(p->car, OMNI_PAIR(p->cdr)->car);     /* ... sharing kept */
    }
    /* The younger region dies; the stored values survive it (ASan checks). */
    omni_region_exit(young);
    char *s = omni_to_cstring(OMNI_PTR(OArray, arr)->items[0], true);
    ck_assert_str_eq(s, "(2.5 2.5 \"s\")");
    free(s);
    s = omni_to_cstring(*slot, true);
    ck_assert_str_eq(s, "(2.5 2.5 \"s\")");
    free(s);
    s = omni_to_cstring(OMNI_PTR(OBox, box)->val, false);
    ck_assert_str_eq(s, "(2.5 2.5 s)");
    free(s);
    omni_region_exit(old);
}
END_TEST

START_TEST(test_barrier_no_repair)
{
    Region *old = omni_region_new(omni_region_global());
    Region *young = omni_region_new(old);
    uint64_t r_old = old->escape_repair_count, r_young = young->escape_repair_count;
    /* Same region. */
    OVal arr = omni_array_new(young, 0);
    OVal v = cons(young, omni_fix(1), OMNI_NIL);
    omni_array_push(arr, v);
    ck_assert_uint_eq(OMNI_PTR(OArray, arr)->items[0], v);
    /* Older into younger: the older region outlives it. */
    OVal w = cons(old, omni_fix(2), OMNI_NIL);
    omni_array_push(arr, w);
    ck_assert_uint_eq(OMNI_PTR(OArray, arr)->items[1], w);
    /* Global and static values go anywhere. */
    OVal g = cons(omni_region_global(), omni_fix(3), OMNI_NIL);
    OVal a2 = omni_array_new(old, 0);
    omni_array_push(a2, g);
    omni_array_push(a2, sym("s"));
    omni_array_push(a2, omni_static_string("lit", 3));
    omni_array_push(a2, omni_fix(7));
    ck_assert_uint_eq(OMNI_PTR(OArray, a2)->items[0], g);
    /* A grandparent's value into a grandchild's container (a walk up). */
    Region *c1 = omni_region_new(young), *c2 = omni_region_new(c1), *c3 = omni_region_new(c2);
    OVal a3 = omni_array_new(c3, 0);
    omni_array_push(a3, w);
    ck_assert_uint_eq(OMNI_PTR(OArray, a3)->items[0], w);
    ck_assert(omni_region_outlives(old, c3) && !omni_region_outlives(c3, old));
    ck_assert(omni_region_outlives(NULL, c3) && omni_region_outlives(omni_region_global(), c3));
    ck_assert(!omni_region_outlives(c3, NULL));
    /* Exiting an immortal region is a no-op, even one that never allocated. */
    omni_region_exit(omni_region_global());
    ck_assert(omni_region_is(omni_region_global(), omni_region_global()->id));
    ck_assert_uint_eq(old->escape_repair_count, r_old);
    ck_assert_uint_eq(young->escape_repair_count, r_young);
    omni_region_exit(c3);
    omni_region_exit(c2);
    omni_region_exit(c1);
    omni_region_exit(young);
    omni_region_exit(old);
}
END_TEST

/* Siblings do not outlive each other; a graph spanning several younger
 * regions that hold much more than it is copied whole, and what the older
 * region already holds is not.  A small one is retained instead, and
 * given back when its slot is overwritten. */
START_TEST(test_barrier_siblings_and_spans)
{
    Region *top = omni_region_new(omni_region_global());
    Region *a = omni_region_new(top), *b = omni_region_new(top);
    Region *bb = omni_region_new(b);
    for (int i = 0; i < 4000; i++) /* garbage: a copy frees more than it costs */
        cons(b, omni_fix(i), OMNI_NIL);
    OVal keep = cons(top, omni_fix(0), OMNI_NIL);      /* in the owner's ancestor */
    OVal inner = cons(bb, omni_fix(1), keep);          /* b's child */
    OVal v = cons(b, inner, inner);                    /* b, pointing into bb */
    OVal arr = omni_array_new(a, 0);
    uint64_t rb = b->escape_repair_count, rbb = bb->escape_repair_count;
    omni_array_push(arr, v);
    OVal c = OMNI_PTR(OArray, arr)->items[0];
    ck_assert_ptr_eq(omni_region_of(c), a);
    OVal ci = OMNI_PAIR(c)->car;
    ck_assert_ptr_eq(omni_region_of(ci), a);
    ck_assert_uint_eq(ci, OMNI_PAIR(c)->cdr);     /* shared across regions: one copy */
    ck_assert_uint_eq(OMNI_PAIR(ci)->cdr, keep);  /* root: not copied */
    ck_assert_uint_eq(b->escape_repair_count, rb + 1);
    ck_assert_uint_eq(bb->escape_repair_count, rbb + 1);
    omni_region_exit(bb);
    omni_region_exit(b);
    ck_assert_int_eq(omni_list_length(ci), 2);
    /* a small sibling: retained, counted by the slot, released when the
     * slot is overwritten */
    Region *s = omni_region_new(top);
    uint64_t sid = s->id;
    int32_t rc0 = s->external_rc;
    OVal sv = cons(s, omni_fix(5), OMNI_NIL);
    omni_array_push(arr, sv);
    ck_assert_uint_eq(OMNI_PTR(OArray, arr)->items[1], sv);
    ck_assert_int_eq(s->external_rc, rc0 + 1);
    ck_assert_uint_eq(s->rs_slot_refs, 1);
    omni_region_exit(s);
    ck_assert(alive(s, sid));                 /* held by the count */
    omni_array_set(arr, 1, omni_fix(0));
    ck_assert(!alive(s, sid));                /* the overwrite gave it back */
    /* the same, but the value was read meanwhile: kept (borrowed) */
    Region *s2 = omni_region_new(top);
    uint64_t s2id = s2->id;
    OVal sv2 = cons(s2, omni_fix(6), OMNI_NIL);
    omni_array_set(arr, 1, sv2);
    omni_region_exit(s2);
    OVal args[2] = { arr, omni_fix(1) };
    ck_assert_uint_eq(omni_bv_get(top, NULL, 2, args), sv2);
    omni_array_set(arr, 1, omni_fix(0));
    ck_assert(alive(s2, s2id));               /* a hold of a's region now */
    omni_region_exit(a);                      /* a dies: its holds go */
    ck_assert(!alive(s2, s2id));
    omni_region_exit(top);
}
END_TEST

/* Region-RC's release half (rt/remember.c): a region that counted edges
 * releases them when it dies, through a worklist: a chain of 200,000
 * regions each holding the next dies with the first, in a loop. */
START_TEST(test_rs_release_chain)
{
    enum { N = 200000 };
    uint64_t live0 = counters().regions_live;
    Region **rs = malloc(N * sizeof *rs);
    for (int i = 0; i < N; i++)
        rs[i] = omni_region_new(omni_region_global());
    for (int i = 0; i + 1 < N; i++)
        omni_rs_hold(rs[i], rs[i + 1]);
    omni_rs_hold(rs[0], rs[1]);                 /* one reference per distinct region */
    for (int i = N - 1; i >= 1; i--)
        omni_region_exit(rs[i]);
    ck_assert_uint_eq(counters().regions_live, live0 + N);  /* all held */
    omni_region_exit(rs[0]);
    ck_assert_uint_eq(counters().regions_live, live0);
    free(rs);
}
END_TEST

/* Slot edges follow their slot when an array's storage moves (push!
 * growth) and a dict's entries move (growth); an overwrite releases the
 * edge of that slot only. */
START_TEST(test_rs_slots_move)
{
    Region *top = omni_region_new(omni_region_global());
    Region *own = omni_region_new(top);
    OVal arr = omni_array_new(own, 0);
    OVal d = omni_dict_new(own, 0);
    enum { N = 40 };
    Region *src[N];
    uint64_t ids[N];
    for (int i = 0; i < N; i++) {
        src[i] = omni_region_new(top);          /* siblings of own: counted */
        ids[i] = src[i]->id;
        OVal v = omni_array_new(src[i], 0);      /* mutable: always retained */
        omni_array_push(arr, v);                 /* grows 4, 8, 16, 32, 64 */
        omni_dict_put(d, omni_fix(i), v);        /* grows, entries move */
        omni_region_exit(src[i]);
        ck_assert_uint_eq(src[i]->rs_slot_refs, 2);
    }
    uint64_t live_edges = omni_rs_slots_live;
    for (int i = 0; i < N; i++) {
        ck_assert(alive(src[i], ids[i]));
        omni_array_set(arr, i, omni_fix(0));
        ck_assert(alive(src[i], ids[i]));        /* the dict still counts it */
        omni_dict_put(d, omni_fix(i), omni_fix(0));
        ck_assert(!alive(src[i], ids[i]));       /* both slots overwritten */
    }
    ck_assert_uint_eq(omni_rs_slots_live, live_edges - 2 * N);
    omni_region_exit(own);
    omni_region_exit(top);
}
END_TEST

/* ---- transmigration -------------------------------------------------------------------- */

/* One sample object of every registered type, in r. */
static void samples(Region *r, OVal out[OT__COUNT])
{
    out[OT_PAIR] = cons(r, omni_fix(1), str(r, "car"));
    out[OT_FLOAT] = omni_make_float(r, 0.25);
    out[OT_STRING] = str(r, "abc");
    out[OT_SYMBOL] = sym("abc");
    out[OT_ARRAY] = omni_array_new(r, 0);
    omni_array_push(out[OT_ARRAY], omni_make_float(r, 1.5));
    out[OT_DICT] = omni_dict_new(r, 0);
    omni_dict_put(out[OT_DICT], str(r, "k"), cons(r, omni_fix(3), OMNI_NIL));
    out[OT_CLOSURE] = omni_make_closure(r, NULL, noop_generic, 0, 0, "f", 1);
    OMNI_PTR(OClosure, out[OT_CLOSURE])->free[0] = str(r, "captured");
    out[OT_ATOM] = omni_atom_new(r, str(r, "in atom"));
    out[OT_BOX] = omni_box_new(r, omni_make_float(r, 7.0));
    out[OT_ERROR] = omni_error_new(r, str(r, "bad"), cons(r, str(r, "irritant"), OMNI_NIL));
    out[OT_CHAN] = omni_bv_chan(r, NULL, 0, NULL);
    /* a handle without a running thread (starting one would switch the
     * runtime to its threaded rules, rt/thread.c): only copied here */
    OThread *t = omni_alloc(r, sizeof(OThread));
    t->h.type = OT_THREAD;
    t->h.flags = 0;
    t->core = NULL;
    out[OT_THREAD] = OMNI_VAL(t);
}

/* Totality: every type of the registry transmigrates, and the copy is
 * equal, of the same type, entirely in the destination. */
START_TEST(test_transmigrate_total)
{
    Region *from = omni_region_new(omni_region_global());
    Region *to = omni_region_new(omni_region_global());
    OVal s[OT__COUNT], copies[OT__COUNT];
    samples(from, s);
    for (int t = 0; t < OT__COUNT; t++) {
        ck_assert_msg(omni_is_type(s[t], (uint32_t)t), "no sample for type %s", omni_types[t].name);
        OVal c = copies[t] = omni_transmigrate(s[t], from, to);
        ck_assert_uint_eq(omni_type_of_ref(c), (unsigned)t);
        if (t == OT_SYMBOL) {
            ck_assert_uint_eq(c, s[t]); /* interned: never copied */
            continue;
        }
        ck_assert_uint_ne(c, s[t]);
        ck_assert_ptr_eq(omni_region_of(c), to);
        if (t != OT_CLOSURE && t != OT_ATOM && t != OT_BOX && t != OT_THREAD && t != OT_CHAN) /* compared by identity */
            ck_assert_msg(omni_equal(c, s[t]), "copy of %s differs", omni_types[t].name);
        /* The source got its first word back (it held the forwarding
         * address): the header, or a pair's car. */
        if (t == OT_PAIR) {
            ck_assert_uint_eq(OMNI_PAIR(s[t])->car, omni_fix(1));
            continue;
        }
        ck_assert_uint_eq(((OHdr *)(uintptr_t)s[t])->type, (unsigned)t);
        ck_assert_uint_eq(((OHdr *)(uintptr_t)s[t])->flags, 0);
    }
    omni_region_exit(from); /* the copies need nothing from it */
    ck_assert_str_eq(OMNI_PTR(OString, OMNI_PTR(OAtom, copies[OT_ATOM])->val)->data, "in atom");
    ck_assert_str_eq(OMNI_PTR(OString, OMNI_PTR(OClosure, copies[OT_CLOSURE])->free[0])->data, "captured");
    ck_assert(OMNI_PTR(OFloat, OMNI_PTR(OBox, copies[OT_BOX])->val)->d == 7.0);
    char *txt = omni_to_cstring(copies[OT_DICT], true);
    ck_assert_str_eq(txt, "#{\"k\" (3)}");
    free(txt);
    omni_region_exit(to);
}
END_TEST

/* The registry's trace shapes agree with trace on every type that has one. */
static int g_nvisit;
static OVal *g_visited[64];
static void record_visit(OVal *slot, void *ctx)
{
    (void)ctx;
    if (g_nvisit < 64)
        g_visited[g_nvisit] = slot;
    g_nvisit++;
}

START_TEST(test_trace_shapes)
{
    Region *r = omni_region_new(omni_region_global());
    OVal s[OT__COUNT];
    samples(r, s);
    for (int t = 0; t < OT__COUNT; t++) {
        const OmniTypeMeta *m = &omni_types[t];
        if (m->fields_n < 0)
            continue;
        g_nvisit = 0;
        m->trace(s[t], record_visit, NULL);
        ck_assert_msg(g_nvisit == m->fields_n, "%s: trace visits %d fields, shape says %d", m->name,
                      g_nvisit, m->fields_n);
        for (int k = 0; k < g_nvisit; k++)
            ck_assert_ptr_eq(g_visited[k], (OVal *)((char *)(uintptr_t)(s[t] & ~(OVal)7) + m->fields_off) + k);
    }
    omni_region_exit(r);
}
END_TEST

START_TEST(test_transmigrate_sharing_cycles_roots)
{
    Region *from = omni_region_new(omni_region_global());
    Region *to = omni_region_new(omni_region_global());
    Region *other = omni_region_new(omni_region_global());
    OVal root = str(other, "root");
    OmniTransmigrateCounters k0, k1;
    /* A DAG: three pairs whose cars are one float; a root and a static. */
    OVal f = omni_make_float(from, 9.5);
    OVal l = cons(from, f, cons(from, f, cons(from, f, cons(from, root, cons(from, sym("q"), OMNI_NIL)))));
    omni_transmigrate_counters(&k0);
    OVal c = omni_transmigrate(l, from, to);
    omni_transmigrate_counters(&k1);
    ck_assert_uint_eq(k1.calls - k0.calls, 1);
    ck_assert_uint_eq(k1.objects_cloned - k0.objects_cloned, 6);   /* 5 pairs + 1 float */
    ck_assert_uint_eq(k1.worklist_pushes - k0.worklist_pushes, 6);
    ck_assert_uint_eq(k1.remap_hits - k0.remap_hits, 2);           /* the 2nd and 3rd f */
    ck_assert_uint_eq(k1.fields_visited - k0.fields_visited, 10);
    OVal cf = OMNI_PAIR(c)->car;
    ck_assert_uint_ne(cf, f);
    for (OVal x = c; x != OMNI_NIL; x = OMNI_PAIR(x)->cdr) {
        ck_assert_ptr_eq(omni_region_of(x), to);
        OVal car = OMNI_PAIR(x)->car;
        if (omni_is_type(car, OT_FLOAT))
            ck_assert_uint_eq(car, cf);                        /* one copy, shared */
    }
    ck_assert_uint_eq(OMNI_PAIR(OMNI_PAIR(OMNI_PAIR(OMNI_PAIR(c)->cdr)->cdr)->cdr)->car,
                      root);                                   /* root untouched */
    /* A cycle through an array, a dict, a box and a closure. */
    OVal a = omni_array_new(from, 0);
    OVal d = omni_dict_new(from, 0);
    OVal b = omni_box_new(from, a);
    OVal clo = omni_make_closure(from, NULL, noop_generic, 0, 0, "g", 1);
    OMNI_PTR(OClosure, clo)->free[0] = b;
    omni_array_push(a, d);
    omni_array_push(a, a);
    omni_dict_put(d, sym("fn"), clo);
    omni_dict_put(d, sym("arr"), a);
    OVal a2 = omni_transmigrate(a, from, to);
    OArray *aa = OMNI_PTR(OArray, a2);
    ck_assert_uint_eq(aa->items[1], a2);
    OVal d2 = aa->items[0];
    ck_assert_ptr_eq(omni_region_of(d2), to);
    ck_assert_uint_eq(omni_dict_get(d2, sym("arr"), OMNI_NOTHING), a2);
    OVal clo2 = omni_dict_get(d2, sym("fn"), OMNI_NOTHING);
    OVal b2 = OMNI_PTR(OClosure, clo2)->free[0];
    ck_assert_ptr_eq(omni_region_of(b2), to);
    ck_assert_uint_eq(OMNI_PTR(OBox, b2)->val, a2);
    /* The source graph is as it was. */
    ck_assert_uint_eq(OMNI_PTR(OArray, a)->items[1], a);
    ck_assert_int_eq(OMNI_PTR(OArray, a)->len, 2);
    ck_assert_uint_eq(OMNI_PTR(OBox, b)->val, a);
    /* Into mode (the barrier's): what outlives the destination is a root. */
    Region *inner = omni_region_new(from);
    OVal mixed = cons(inner, l, cons(inner, omni_fix(1), OMNI_NIL));
    OVal m2 = omni_transmigrate_into(mixed, from);
    ck_assert_ptr_eq(omni_region_of(m2), from);
    ck_assert_uint_eq(OMNI_PAIR(m2)->car, l); /* from's own list: kept */
    omni_region_exit(inner);
    omni_region_exit(from);
    ck_assert_int_eq(omni_list_length(c), 5);
    ck_assert(OMNI_PTR(OFloat, cf)->d == 9.5);
    omni_region_exit(to);
    omni_region_exit(other);
}
END_TEST

/* A long list (the log grows past its stack part) and a large object. */
START_TEST(test_transmigrate_large)
{
    Region *from = omni_region_new(omni_region_global());
    Region *to = omni_region_new(omni_region_global());
    OVal l = OMNI_NIL;
    for (int i = 0; i < 100000; i++)
        l = cons(from, omni_fix(i), l);
    OString *big = omni_string_alloc(from, 50000);
    memset(big->data, 'z', 50000);
    l = cons(from, OMNI_VAL(big), l);
    OVal c = omni_transmigrate(l, from, to);
    omni_region_exit(from);
    ck_assert_int_eq(omni_list_length(c), 100001);
    OString *b2 = OMNI_PTR(OString, OMNI_PAIR(c)->car);
    ck_assert_ptr_eq(omni_region_of(OMNI_VAL(b2)), to);
    ck_assert_int_eq(b2->len, 50000);
    ck_assert_int_eq(b2->data[49999], 'z');
    omni_region_exit(to);
}
END_TEST

/* ---- error unwinding ---------------------------------------------------------------------- */

static Region *g_kept;

static void make_regions_then_fail(void *arg)
{
    (void)arg;
    Region *a = omni_region_new(omni_region_global());
    cons(a, omni_fix(1), OMNI_NIL);
    Region *b = omni_region_new(a);
    omni_alloc(b, 100000); /* chunks too */
    Region *c = omni_region_new(b);
    omni_region_exit(omni_region_new(c)); /* closed normally */
    Region *d = omni_region_new(omni_region_global());
    omni_region_tether(d); /* a borrow the unwound code never ends */
    g_kept = d;
    omni_raise(NULL, "boom");
}

static void nested_fail(void *arg)
{
    Region *outer = omni_region_new(omni_region_global());
    ck_assert_int_eq(omni_try(make_regions_then_fail, arg), 1); /* inner try unwinds its own */
    ck_assert(omni_region_is(outer, outer->id));
    omni_region_exit(outer);
}

static Region *g_open;

static void open_scope(void *arg)
{
    (void)arg;
    g_open = omni_region_new(omni_region_global());
}

START_TEST(test_unwind_on_error)
{
    OmniRegionCounters c0 = counters();
    ck_assert_int_eq(omni_try(make_regions_then_fail, NULL), 1);
    OmniRegionCounters c1 = counters();
    ck_assert_uint_eq(c1.regions_created - c0.regions_created, 5);
    /* Every scope was exited; only the tethered one is still held. */
    ck_assert_uint_eq(c1.regions_live, c0.regions_live + 1);
    ck_assert(omni_region_is(g_kept, g_kept->id));
    ck_assert_int_eq(g_kept->scope_alive, 0);
    omni_region_untether(g_kept);
    c1 = counters();
    ck_assert_uint_eq(c1.regions_live, c0.regions_live);
    /* Nested tries: the inner one exits only what was made inside it. */
    ck_assert_int_eq(omni_try(nested_fail, NULL), 0);
    omni_region_untether(g_kept);
    c1 = counters();
    ck_assert_uint_eq(c1.regions_live, c0.regions_live);
    /* A try that does not fail leaves open scopes alone. */
    ck_assert_int_eq(omni_try(open_scope, NULL), 0);
    ck_assert(omni_region_is(g_open, g_open->id));
    omni_region_exit(g_open);
    ck_assert_uint_eq(counters().regions_live, c0.regions_live);
}
END_TEST

/* ---- catching (the language's try): omni_try_catch ---------------------------------------- */

typedef struct CatchArg {
    Region *inner;   /* a scope the failing code made inside the try */
    OVal arr;        /* its mutable irritant, when `mutable` */
    bool mutable;
} CatchArg;

static void fail_with_irritants(void *p)
{
    CatchArg *a = p;
    Region *s = a->inner = omni_region_new(omni_region_global());
    OVal argv[4] = { str(s, "bad"), cons(s, omni_fix(1), cons(s, str(s, "x"), OMNI_NIL)), omni_fix(7) };
    int argc = 3;
    if (a->mutable) {
        a->arr = argv[argc++] = omni_array_new(s, 1);
        omni_array_push(a->arr, omni_fix(5));
    }
    omni_raise_irritants(NULL, "bad (1 \"x\") 7", argc, argv);
}

static void fail_at_runtime(void *p)
{
    Region *s = omni_region_new(omni_region_global());
    omni_b_car(s, NULL, p ? str(s, "not a pair") : omni_fix(5));
}

static int g_caught_inner;
static void catch_inside(void *p)
{
    OmniCaught c;
    g_caught_inner = omni_try_catch(p, fail_at_runtime, NULL, &c);
    ck_assert_str_eq(c.text, "car: expected Pair, got 5");
    omni_raise(NULL, "after the inner try"); /* goes to the enclosing omni_try */
}

START_TEST(test_try_catch)
{
    Region *r = omni_region_new(omni_region_global()); /* the try's result region */
    OmniRegionCounters c0 = counters();
    fflush(g_errs);
    long errs0 = ftell(g_errs);
    OmniCaught c;
    CatchArg a = { 0 };

    /* Immutable irritants made inside the try: copied into r, and the
     * scope they lived in is exited and reclaimed.  Nothing is printed. */
    ck_assert_int_eq(omni_try_catch(r, fail_with_irritants, &a, &c), 1);
    fflush(g_errs);
    ck_assert_int_eq(ftell(g_errs), errs0);
    ck_assert_str_eq(c.text, "bad (1 \"x\") 7");
    ck_assert_ptr_eq(c.r, r);
    ck_assert_ptr_eq(omni_region_of(c.message), r);
    ck_assert_str_eq(OMNI_PTR(OString, c.message)->data, "bad");
    ck_assert_int_eq(omni_list_length(c.irritants), 2);
    ck_assert_ptr_eq(omni_region_of(c.irritants), r);
    OVal first = OMNI_PAIR(c.irritants)->car;
    ck_assert_ptr_eq(omni_region_of(first), r);
    ck_assert_ptr_eq(omni_region_of(OMNI_PAIR(OMNI_PAIR(first)->cdr)->car), r);
    ck_assert_uint_eq(OMNI_PAIR(OMNI_PAIR(c.irritants)->cdr)->car, omni_fix(7));
    ck_assert(!omni_region_is(a.inner, a.inner->id));
    ck_assert_uint_eq(counters().regions_live, c0.regions_live);
    OVal e = omni_error_new(r, c.message, c.irritants);
    char *txt = omni_to_cstring(e, false);
    ck_assert_str_eq(txt, "#<error \"bad\" (1 \"x\") 7>");
    free(txt);

    /* A mutable irritant keeps its identity: its region is exited but
     * retained (the barrier's repair), not copied: r holds it until r
     * dies (rt/remember.c). */
    a.mutable = true;
    ck_assert_int_eq(omni_try_catch(r, fail_with_irritants, &a, &c), 1);
    ck_assert_int_eq(omni_list_length(c.irritants), 3);
    ck_assert_uint_eq(OMNI_PAIR(OMNI_PAIR(OMNI_PAIR(c.irritants)->cdr)->cdr)->car, a.arr);
    ck_assert(omni_region_is(a.inner, a.inner->id));
    ck_assert_int_eq(a.inner->scope_alive, 0);
    Region *held = a.inner;
    uint64_t held_id = held->id;
    uint64_t live0 = c0.regions_live + 1; /* held, until r dies */
    ck_assert_uint_eq(counters().regions_live, live0);

    /* A runtime error: the printed text, no message value, no irritants. */
    ck_assert_int_eq(omni_try_catch(r, fail_at_runtime, "s", &c), 1);
    ck_assert_str_eq(c.text, "car: expected Pair, got \"not a pair\"");
    ck_assert_uint_eq(c.message, 0);
    ck_assert_uint_eq(c.irritants, OMNI_NIL);
    ck_assert_uint_eq(counters().regions_live, live0);
    fflush(g_errs);
    ck_assert_int_eq(ftell(g_errs), errs0);

    /* Nested in a plain omni_try: the catching frame takes the inner
     * error; an error after it is gone reaches the outer try, printed. */
    ck_assert_int_eq(omni_try(catch_inside, r), 1);
    ck_assert_int_eq(g_caught_inner, 1);
    ck_assert_str_eq(omni_last_error(), "after the inner try");
    fflush(g_errs);
    ck_assert_int_gt(ftell(g_errs), errs0);
    ck_assert(!omni_try_active());
    ck_assert_uint_eq(counters().regions_live, live0);
    omni_region_exit(r);
    ck_assert(!alive(held, held_id)); /* r's hold went with r */
}
END_TEST

static Suite *regions_suite(void)
{
    Suite *s = suite_create("regions");
    TCase *tc = tcase_create("regions");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_liveness_table);
    tcase_add_test(tc, test_reclaim_chain);
    tcase_add_test(tc, test_foreign_thread_refs);
    tcase_add_test(tc, test_stale_handle_id);
    tcase_add_test(tc, test_inline_region_of);
    tcase_add_test(tc, test_splice);
    tcase_add_test(tc, test_accounting_paths);
    tcase_add_test(tc, test_counters_snapshot);
    tcase_add_test(tc, test_site_stats);
    tcase_add_test(tc, test_admit);
    tcase_add_test(tc, test_carry_held_region);
    tcase_add_test(tc, test_barrier_younger_into_older);
    tcase_add_test(tc, test_barrier_no_repair);
    tcase_add_test(tc, test_barrier_siblings_and_spans);
    tcase_add_test(tc, test_rs_release_chain);
    tcase_add_test(tc, test_rs_slots_move);
    tcase_add_test(tc, test_transmigrate_total);
    tcase_add_test(tc, test_trace_shapes);
    tcase_add_test(tc, test_transmigrate_sharing_cycles_roots);
    tcase_add_test(tc, test_transmigrate_large);
    tcase_add_test(tc, test_unwind_on_error);
    tcase_add_test(tc, test_try_catch);
    tcase_add_test(tc, test_region_carry);
    tcase_add_test(tc, test_pending_regions);
    suite_add_tcase(s, tc);
    /* Separate case so the rest can run in one process (CK_FORK=no
     * CK_RUN_CASE=regions) for LeakSanitizer. */
    TCase *misuse = tcase_create("misuse");
    tcase_add_checked_fixture(misuse, setup, NULL);
    tcase_add_test_raise_signal(misuse, test_exit_twice, SIGABRT);
    tcase_add_test_raise_signal(misuse, test_release_below_zero, SIGABRT);
    tcase_add_test_raise_signal(misuse, test_stale_handle_use, SIGABRT);
    suite_add_tcase(s, misuse);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(regions_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
