/* test_rt.c — unit tests of the runtime core: value encoding, regions and
 * their accounting, the reclamation rule, the type registry,
 * transmigration, printing, equality/hashing, dicts, arithmetic, errors
 * and the big stack.  Standalone Check program linked with all of rt/
 * except aot_main.c.
 */
#include "rt_core.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static FILE *g_errs; /* error messages are captured here */

extern char __start_omni_test_code[], __stop_omni_test_code[];

static void setup(void)
{
    omni_rt_init(0, NULL);
    static bool registered;
    if (!registered)
        omni_stack_code_range((uintptr_t)__start_omni_test_code, (uintptr_t)__stop_omni_test_code);
    registered = true;
    if (!g_errs)
        g_errs = tmpfile();
    omni_set_error_stream(g_errs);
}

/* The region of any region memory (not only objects): its chunk header. */
static Region *chunk_region(const void *p)
{
    return ((const OmniChunk *)((uintptr_t)p & ~(uintptr_t)(OMNI_CHUNK_SIZE - 1)))->region;
}

static OVal str(Region *r, const char *s) { return omni_make_string(r, s, (int64_t)strlen(s)); }
static OVal sym(const char *s) { return omni_intern(s, (int64_t)strlen(s)); }

/* Display / write form of v, compared with want. */
static void check_form(OVal v, bool w, const char *want)
{
    char *s = omni_to_cstring(v, w);
    ck_assert_str_eq(s, want);
    free(s);
}

static void check_float(double d, const char *want)
{
    char out[32];
    omni_format_double(out, d);
    ck_assert_str_eq(out, want);
}

/* ---- values --------------------------------------------------------------- */

START_TEST(test_encoding)
{
    ck_assert(omni_is_fix(omni_fix(0)));
    ck_assert_int_eq(omni_fixval(omni_fix(-7)), -7);
    ck_assert_int_eq(omni_fixval(omni_fix(OMNI_FIX_MAX)), OMNI_FIX_MAX);
    ck_assert_int_eq(omni_fixval(omni_fix(OMNI_FIX_MIN)), OMNI_FIX_MIN);
    ck_assert(omni_is_char(omni_char(0x1F600)));
    ck_assert_uint_eq(omni_charval(omni_char(0x1F600)), 0x1F600);
    ck_assert(!omni_truthy(OMNI_FALSE) && !omni_truthy(OMNI_NOTHING));
    ck_assert(omni_truthy(OMNI_NIL) && omni_truthy(omni_fix(0)) && omni_truthy(OMNI_TRUE));
    OVal specials[] = { OMNI_FALSE, OMNI_TRUE, OMNI_NIL, OMNI_NOTHING, OMNI_UNBOUND };
    for (int i = 0; i < 5; i++) {
        ck_assert(!omni_is_fix(specials[i]) && !omni_is_ptr(specials[i]) && !omni_is_char(specials[i]));
        ck_assert_ptr_null(omni_region_of(specials[i]));
    }
    ck_assert_str_eq(omni_type_name(omni_fix(1)), "Int");
    ck_assert_str_eq(omni_type_name(OMNI_NIL), "()");
    ck_assert_str_eq(omni_type_name(omni_make_float(omni_region_global(), 1)), "Float");
}
END_TEST

/* ---- regions ------------------------------------------------------------------ */

START_TEST(test_region_alloc)
{
    Region *r = omni_region_new(omni_region_global());
    OmniRegionCounters c0;
    omni_region_counters(&c0);
    OVal last = 0;
    for (int i = 0; i < 20000; i++) { /* several chunks */
        last = omni_cons_in(r, omni_fix(i), last ? last : OMNI_NIL);
        ck_assert_ptr_eq(omni_region_of(last), r);
        ck_assert(omni_is_pair(last));
        ck_assert_uint_eq(last & 7, OMNI_PAIR_TAG);
    }
    ck_assert_int_eq(omni_list_length(last), 20000);
    ck_assert_uint_eq(omni_region_bytes_total(r), 20000 * sizeof(OPair));
    ck_assert_uint_ge(r->chunk_count, 20000 * sizeof(OPair) / OMNI_CHUNK_SIZE + 1);

    /* A large object gets its own chunk and still maps to its region. */
    OString *big = omni_string_alloc(r, 300000);
    memset(big->data, 'x', 300000);
    ck_assert_ptr_eq(omni_region_of(OMNI_VAL(big)), r);
    ck_assert_uint_ge(omni_region_bytes_total(r), 20000 * sizeof(OPair) + 300000);
    ck_assert_uint_ge(r->bytes_allocated_peak, 300000);
    OVal arr = omni_array_new(r, 0);
    for (int i = 0; i < 10000; i++) /* the items buffer grows to a large object */
        omni_array_push(arr, omni_fix(i));
    ck_assert_ptr_eq(omni_region_of(arr), r);
    ck_assert_int_eq(omni_fixval(OMNI_PTR(OArray, arr)->items[9999]), 9999);

    /* Static objects and symbols have no region; the global region is one. */
    ck_assert_ptr_null(omni_region_of(omni_static_string("lit", 3)));
    ck_assert_ptr_null(omni_region_of(sym("foo")));
    ck_assert_ptr_null(omni_region_of(omni_static_float(2.5)));
    ck_assert_ptr_eq(omni_region_of(omni_make_float(omni_region_global(), 1.5)), omni_region_global());
    /* A compiler-emitted constant: outside any chunk, flagged static. */
    static OFloat konst __attribute__((aligned(16))) = { { OT_FLOAT, OHF_STATIC }, 3.0 };
    ck_assert_ptr_null(omni_region_of(OMNI_VAL(&konst)));
    omni_region_exit(r);
}
END_TEST

START_TEST(test_reclaim_rule)
{
    OmniRegionCounters c0, c1;
    omni_region_counters(&c0);
    Region *parent = omni_region_new(NULL);
    Region *r = omni_region_new(parent);
    ck_assert_int_eq(parent->external_rc, 1); /* the child's reference */
    omni_cons_in(r, omni_fix(1), OMNI_NIL);
    omni_region_retain(r);
    omni_region_tether(r);
    omni_region_exit(r);
    omni_region_exit(parent);
    omni_region_counters(&c1);
    ck_assert_uint_eq(c1.regions_reclaimed, c0.regions_reclaimed); /* rc and tether hold it */
    omni_region_release(r);
    omni_region_counters(&c1);
    ck_assert_uint_eq(c1.regions_reclaimed, c0.regions_reclaimed); /* still tethered */
    ck_assert_int_eq(r->state, OMNI_REGION_LIVE);
    omni_region_untether(r); /* now dead: reclaimed once, and its parent with it */
    omni_region_counters(&c1);
    ck_assert_uint_eq(c1.regions_reclaimed, c0.regions_reclaimed + 2);
    ck_assert_uint_eq(c1.regions_live, c0.regions_live);

    /* Recycled control blocks get fresh ids. */
    Region *a = omni_region_new(NULL);
    uint64_t id = a->id;
    omni_region_exit(a);
    Region *b = omni_region_new(NULL);
    ck_assert_uint_ne(b->id, id);
    omni_region_exit(b);

    /* Loops of scope regions reuse pooled chunks: bounded chunk memory. */
    omni_region_counters(&c0);
    for (int i = 0; i < 1000; i++) {
        Region *s = omni_region_new(omni_region_global());
        for (int j = 0; j < 5000; j++)
            omni_cons_in(s, omni_fix(j), OMNI_NIL);
        omni_region_exit(s);
    }
    omni_region_counters(&c1);
    ck_assert_uint_le(c1.chunk_bytes_peak - c0.chunk_bytes_peak, 8 * OMNI_CHUNK_SIZE);
}
END_TEST

/* ---- the type registry ----------------------------------------------------------- */

static int g_visits;
static void count_visit(OVal *slot, void *ctx) { (void)slot, (void)ctx; g_visits++; }

static OVal noop_generic(Region *r, OClosure *self, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    (void)r, (void)self, (void)loc, (void)argc, (void)argv;
    return OMNI_NOTHING;
}

START_TEST(test_registry)
{
    static const char *names[] = {
#define OMNI_TYPE(id, name, cstruct) name,
#include "types.def"
#undef OMNI_TYPE
    };
    Region *r = omni_region_new(NULL);
    OVal samples[OT__COUNT];
    samples[OT_PAIR] = omni_cons_in(r, omni_fix(1), omni_fix(2));
    samples[OT_FLOAT] = omni_make_float(r, 0.5);
    samples[OT_STRING] = str(r, "abc");
    samples[OT_SYMBOL] = sym("abc");
    samples[OT_ARRAY] = omni_array_new(r, 2);
    omni_array_push(samples[OT_ARRAY], omni_fix(1));
    samples[OT_DICT] = omni_dict_new(r, 0);
    omni_dict_put(samples[OT_DICT], sym("k"), omni_fix(3));
    samples[OT_CLOSURE] = omni_make_closure(r, NULL, noop_generic, 0, 0, "f", 2);
    samples[OT_ATOM] = omni_atom_new(r, omni_fix(0));
    samples[OT_BOX] = omni_box_new(r, omni_fix(0));
    samples[OT_ERROR] = omni_error_new(r, str(r, "bad"), omni_cons_in(r, omni_fix(1), OMNI_NIL));
    samples[OT_CHAN] = omni_bv_chan(r, NULL, 0, NULL);
    OVal thunk = omni_make_closure(r, NULL, noop_generic, 0, 0, "t", 0);
    samples[OT_THREAD] = omni_b_thread(r, NULL, thunk);
    static const int fields[OT__COUNT] = { [OT_PAIR] = 2, [OT_ARRAY] = 1, [OT_DICT] = 2,
                                          [OT_CLOSURE] = 2, [OT_ATOM] = 1, [OT_BOX] = 1,
                                          [OT_ERROR] = 2 };
    Region *to = omni_region_new(NULL);
    FILE *null = fopen("/dev/null", "w");
    for (int t = 0; t < OT__COUNT; t++) {
        const OmniTypeMeta *m = &omni_types[t];
        ck_assert_ptr_nonnull(m->name);
        ck_assert_str_eq(m->name, names[t]);
        ck_assert_uint_gt(m->size, 0);
        ck_assert(m->size_of && m->clone && m->trace && m->equal && m->hash && m->print);
        OVal v = samples[t];
        ck_assert_uint_eq(omni_type_of_ptr(v), (unsigned)t);
        ck_assert_uint_ge(m->size_of(v), m->size);
        g_visits = 0;
        m->trace(v, count_visit, NULL);
        ck_assert_int_eq(g_visits, fields[t]);
        OVal c = m->clone(to, v);
        ck_assert_uint_eq(omni_type_of_ptr(c), (unsigned)t);
        ck_assert(m->equal(v, v));
        ck_assert_uint_eq(m->hash(v), omni_hash(v));
        m->print(null, v, true);
    }
    fclose(null);
    omni_b_join(r, NULL, samples[OT_THREAD]);
    omni_region_exit(r);
    omni_region_exit(to);
}
END_TEST

/* ---- transmigration ------------------------------------------------------------------- */

START_TEST(test_transmigrate)
{
    Region *from = omni_region_new(NULL), *to = omni_region_new(NULL);
    Region *other = omni_region_new(NULL);
    OVal ext = str(other, "external");
    OVal shared = omni_cons_in(from, omni_fix(7), OMNI_NIL);
    OVal items[] = { omni_fix(1), shared, shared, ext, sym("s"), omni_make_float(from, 2.5) };
    OVal list = omni_list_from(from, 6, items);
    OVal copy = omni_transmigrate(list, from, to);
    ck_assert(omni_equal(copy, list));
    ck_assert_uint_ne(copy, list);
    OVal v = copy;
    OVal got[6];
    for (int i = 0; i < 6; i++) {
        ck_assert_ptr_eq(omni_region_of(v), to);
        got[i] = OMNI_PAIR(v)->car;
        v = OMNI_PAIR(v)->cdr;
    }
    ck_assert_uint_eq(got[1], got[2]);                /* sharing kept */
    ck_assert_uint_ne(got[1], shared);
    ck_assert_ptr_eq(omni_region_of(got[1]), to);
    ck_assert_uint_eq(got[3], ext);                   /* external root untouched */
    ck_assert_uint_eq(got[4], sym("s"));
    ck_assert_ptr_eq(omni_region_of(got[5]), to);
    ck_assert_uint_eq(from->escape_repair_count, 1);

    /* A cycle through an array, a dict and a closure. */
    OVal a = omni_array_new(from, 0);
    omni_array_push(a, a);
    OVal d = omni_dict_new(from, 0);
    omni_dict_put(d, str(from, "self"), d);
    omni_dict_put(d, sym("arr"), a);
    omni_array_push(a, d);
    OVal clo = omni_make_closure(from, NULL, noop_generic, 0, 0, "g", 1);
    OMNI_PTR(OClosure, clo)->free[0] = a;
    omni_array_push(a, clo);
    OVal a2 = omni_transmigrate(a, from, to);
    OArray *aa = OMNI_PTR(OArray, a2);
    ck_assert_ptr_eq(omni_region_of(a2), to);
    ck_assert_uint_eq(aa->items[0], a2);
    OVal d2 = aa->items[1];
    ck_assert_ptr_eq(omni_region_of(d2), to);
    ck_assert_uint_eq(omni_dict_get(d2, str(other, "self"), OMNI_NOTHING), d2);
    ck_assert_uint_eq(omni_dict_get(d2, sym("arr"), OMNI_NOTHING), a2);
    ck_assert_uint_eq(OMNI_PTR(OClosure, aa->items[2])->free[0], a2);
    /* The source graph is untouched. */
    ck_assert_uint_eq(OMNI_PTR(OArray, a)->items[0], a);
    /* Values outside `from` come back as they are. */
    ck_assert_uint_eq(omni_transmigrate(ext, from, to), ext);
    ck_assert_uint_eq(omni_transmigrate(omni_fix(3), from, to), omni_fix(3));
    omni_region_exit(from);
    /* The copy is complete: it survives the source region. */
    ck_assert_uint_eq(OMNI_PTR(OArray, a2)->items[0], a2);
    ck_assert_uint_eq(omni_dict_get(d2, sym("arr"), OMNI_NOTHING), a2);
    check_form(omni_dict_get(d2, str(other, "self"), OMNI_NOTHING) == d2 ? copy : OMNI_NIL, true,
               "(1 (7) (7) \"external\" s 2.5)");
    omni_region_exit(to);
    omni_region_exit(other);
}
END_TEST

/* ---- printing ---------------------------------------------------------------------- */

START_TEST(test_floats)
{
    check_float(1.0, "1.0");
    check_float(0.1, "0.1");
    check_float(1000.0, "1000.0");
    check_float(1e16, "1e+16");
    check_float(1e-05, "1e-05");
    check_float(-2.5, "-2.5");
    check_float(INFINITY, "inf");
    check_float(-INFINITY, "-inf");
    check_float(NAN, "nan");
    check_float(1e15, "1000000000000000.0");
    check_float(0.0001, "0.0001");
    check_float(0.1 + 0.2, "0.30000000000000004");
    check_float(-0.0, "-0.0");
    check_float(0.0, "0.0");
    check_float(1.5e-7, "1.5e-07");
    check_float(1e22, "1e+22");
    check_float(123456789.125, "123456789.125");
    check_float(1.7976931348623157e308, "1.7976931348623157e+308");
    check_float(5e-324, "5e-324");
    check_float(3.14, "3.14");
    check_float(12345678901234567.0, "1.2345678901234568e+16");
}
END_TEST

START_TEST(test_print)
{
    Region *r = omni_region_global();
    check_form(omni_fix(-42), false, "-42");
    check_form(OMNI_TRUE, false, "true");
    check_form(OMNI_FALSE, true, "false");
    check_form(OMNI_NOTHING, false, "nothing");
    check_form(OMNI_NIL, true, "()");
    check_form(omni_make_float(r, 1.0), true, "1.0");
    OVal s = str(r, "a\n\"b\\");
    check_form(s, false, "a\n\"b\\");
    check_form(s, true, "\"a\\n\\\"b\\\\\"");
    check_form(str(r, "t\tr\r\x01"), true, "\"t\\tr\\r\\x01;\"");
    check_form(omni_char('a'), true, "#\\a");
    check_form(omni_char('a'), false, "a");
    check_form(omni_char(' '), true, "#\\space");
    check_form(omni_char('\n'), true, "#\\newline");
    check_form(omni_char('\t'), true, "#\\tab");
    check_form(omni_char(0x3bb), true, "#\\\xce\xbb");
    check_form(omni_char(0x3bb), false, "\xce\xbb");
    check_form(sym("foo"), true, "foo");
    OVal items[] = { omni_fix(1), str(r, "x"), omni_char('c') };
    OVal l = omni_list_from(r, 3, items);
    check_form(l, false, "(1 x c)");
    check_form(l, true, "(1 \"x\" #\\c)");
    check_form(omni_cons_in(r, omni_fix(1), omni_fix(2)), true, "(1 . 2)");
    check_form(omni_cons_in(r, omni_fix(1), omni_cons_in(r, omni_fix(2), omni_fix(3))), true, "(1 2 . 3)");
    check_form(omni_cons_in(r, l, OMNI_NIL), true, "((1 \"x\" #\\c))");
    OVal a = omni_array_new(r, 0);
    check_form(a, true, "[]");
    for (int i = 1; i <= 3; i++)
        omni_array_push(a, omni_fix(i));
    check_form(a, true, "[1 2 3]");
    OVal d = omni_dict_new(r, 0);
    check_form(d, true, "#{}");
    omni_dict_put(d, sym("a"), omni_fix(1));
    omni_dict_put(d, str(r, "k"), omni_fix(2));
    check_form(d, true, "#{:a 1 \"k\" 2}");
    check_form(d, false, "#{:a 1 k 2}");
    check_form(omni_make_closure(r, NULL, noop_generic, 0, 0, "square", 0), true, "#<fn square>");
    check_form(omni_atom_new(r, omni_fix(0)), true, "#<atom 0>");
    check_form(omni_atom_new(r, str(r, "s")), true, "#<atom \"s\">");
    check_form(omni_static_dict(1, (OVal[]){ sym("z"), OMNI_TRUE }), true, "#{:z true}");

    /* A million-element list prints without deep recursion. */
    OVal big = OMNI_NIL;
    for (int i = 0; i < 1000000; i++)
        big = omni_cons_in(r, omni_fix(1), big);
    char *t = omni_to_cstring(big, false);
    ck_assert_uint_eq(strlen(t), 2 * 1000000 + 1);
    free(t);
}
END_TEST

/* ---- equality, dicts ------------------------------------------------------------------ */

START_TEST(test_equal_hash)
{
    Region *r = omni_region_new(NULL);
    OVal x[] = { omni_fix(1), str(r, "a"), omni_make_float(r, 2.0) };
    OVal y[] = { omni_fix(1), str(r, "a"), omni_make_float(r, 2.0) };
    OVal lx = omni_list_from(r, 3, x), ly = omni_list_from(r, 3, y);
    ck_assert(omni_equal(lx, ly));
    ck_assert_uint_eq(omni_hash(lx), omni_hash(ly));
    ck_assert(!omni_equal(omni_fix(1), omni_make_float(r, 1.0))); /* Scheme's equal? */
    ck_assert(!omni_equal(str(r, "a"), sym("a")));
    ck_assert(omni_equal(omni_make_float(r, NAN), omni_make_float(r, NAN)));
    ck_assert(!omni_equal(omni_make_float(r, 0.0), omni_make_float(r, -0.0)));
    ck_assert(!omni_equal(omni_atom_new(r, omni_fix(1)), omni_atom_new(r, omni_fix(1))));
    OVal a1 = omni_array_new(r, 0), a2 = omni_array_new(r, 0);
    omni_array_push(a1, lx);
    omni_array_push(a2, ly);
    ck_assert(omni_equal(a1, a2));
    ck_assert_uint_eq(omni_hash(a1), omni_hash(a2));
    OVal d1 = omni_dict_new(r, 0), d2 = omni_dict_new(r, 0);
    omni_dict_put(d1, sym("a"), omni_fix(1));
    omni_dict_put(d1, sym("b"), omni_fix(2));
    omni_dict_put(d2, sym("b"), omni_fix(2));
    omni_dict_put(d2, sym("a"), omni_fix(1));
    ck_assert(omni_equal(d1, d2)); /* order-insensitive */
    ck_assert_uint_eq(omni_hash(d1), omni_hash(d2));
    omni_dict_put(d2, sym("a"), omni_fix(5));
    ck_assert(!omni_equal(d1, d2));
    /* Long lists compare and hash without deep recursion. */
    OVal b1 = OMNI_NIL, b2 = OMNI_NIL;
    for (int i = 0; i < 1000000; i++) {
        b1 = omni_cons_in(r, omni_fix(i), b1);
        b2 = omni_cons_in(r, omni_fix(i), b2);
    }
    ck_assert(omni_equal(b1, b2));
    ck_assert_uint_eq(omni_hash(b1), omni_hash(b2));
    omni_region_exit(r);
}
END_TEST

START_TEST(test_dict)
{
    Region *r = omni_region_new(NULL);
    OVal d = omni_dict_new(r, 0);
    ck_assert_ptr_eq(omni_region_of(d), r);
    for (int i = 0; i < 1000; i++)
        omni_dict_put(d, omni_fix(i), omni_fix(i * i));
    ODict *dp = OMNI_PTR(ODict, d);
    ck_assert_int_eq(dp->count, 1000);
    ck_assert_ptr_eq(chunk_region(dp->entries), r); /* grew in its region */
    for (int i = 0; i < 1000; i += 2)
        ck_assert(omni_dict_remove(d, omni_fix(i)));
    ck_assert(!omni_dict_remove(d, omni_fix(0)));
    ck_assert_int_eq(dp->count, 500);
    ck_assert(!omni_dict_has(d, omni_fix(10)));
    ck_assert(omni_dict_has(d, omni_fix(11)));
    ck_assert_int_eq(omni_fixval(omni_dict_get(d, omni_fix(999), OMNI_NOTHING)), 999 * 999);
    ck_assert_uint_eq(omni_dict_get(d, omni_fix(998), OMNI_NOTHING), OMNI_NOTHING);
    /* Re-adding puts a key at the end; updating keeps its place. */
    omni_dict_put(d, omni_fix(0), OMNI_TRUE);
    omni_dict_put(d, omni_fix(1), OMNI_FALSE);
    for (int i = 0; i < 2000; i++) /* growth compacts the tombstones, keeps order */
        omni_dict_put(d, str(r, "k"), omni_fix(i));
    int64_t prev = -1, n = 0;
    OVal last = 0;
    for (int64_t i = 0; i < dp->used; i++) {
        OVal k = dp->entries[i].key;
        if (k == OMNI_UNBOUND)
            continue;
        n++;
        if (n <= 500) { /* the odd keys, in insertion order */
            ck_assert_int_gt(omni_fixval(k), prev);
            ck_assert_int_eq(omni_fixval(k) % 2, 1);
            prev = omni_fixval(k);
        }
        last = k;
    }
    ck_assert_int_eq(n, 502);
    ck_assert(omni_equal(last, str(r, "k")));
    ck_assert_uint_eq(omni_dict_get(d, omni_fix(1), OMNI_NOTHING), OMNI_FALSE);
    /* A small dict: insertion order in print, removal keeps the rest. */
    OVal s = omni_dict_new(r, 0);
    omni_dict_put(s, sym("c"), omni_fix(1));
    omni_dict_put(s, sym("a"), omni_fix(2));
    omni_dict_put(s, sym("b"), omni_fix(3));
    omni_dict_remove(s, sym("a"));
    check_form(s, true, "#{:c 1 :b 3}");
    /* Growth of a static dict goes to the global region. */
    OVal sd = omni_static_dict(1, (OVal[]){ sym("x"), omni_fix(1) });
    omni_dict_put(sd, sym("y"), omni_fix(2));
    ck_assert_ptr_eq(chunk_region(OMNI_PTR(ODict, sd)->entries), omni_region_global());
    check_form(sd, true, "#{:x 1 :y 2}");
    omni_region_exit(r);
}
END_TEST

/* ---- arithmetic and errors ---------------------------------------------------------------- */

typedef struct { OVal (*f)(Region *, const OmniLoc *, OVal, OVal); OVal a, b, out; } BinCall;
static void bin_call(void *p)
{
    BinCall *c = p;
    c->out = c->f(omni_region_global(), NULL, c->a, c->b);
}

/* Runs f(a, b); returns the result, or 0 with *msg set if it raised. */
static OVal run2(OVal (*f)(Region *, const OmniLoc *, OVal, OVal), OVal a, OVal b, const char **msg)
{
    BinCall c = { f, a, b, 0 };
    *msg = NULL;
    if (omni_try(bin_call, &c)) {
        *msg = omni_last_error();
        return 0;
    }
    return c.out;
}

static void expect_int(OVal (*f)(Region *, const OmniLoc *, OVal, OVal), int64_t a, int64_t b, int64_t want)
{
    const char *m;
    OVal v = run2(f, omni_fix(a), omni_fix(b), &m);
    ck_assert_ptr_null(m);
    ck_assert(omni_is_fix(v));
    ck_assert_int_eq(omni_fixval(v), want);
}

static void expect_err(OVal (*f)(Region *, const OmniLoc *, OVal, OVal), OVal a, OVal b, const char *want)
{
    const char *m;
    run2(f, a, b, &m);
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(m, want);
}

static void neg_min(void *p)
{
    (void)p;
    omni_b_neg(omni_region_global(), NULL, omni_fix(OMNI_FIX_MIN));
}

START_TEST(test_arith)
{
    Region *g = omni_region_global();
    expect_int(omni_b_add2, 2, 3, 5);
    expect_int(omni_b_sub2, 2, 3, -1);
    expect_int(omni_b_mul2, -4, 3, -12);
    expect_int(omni_b_div2, 12, 4, 3);
    expect_int(omni_b_add2, OMNI_FIX_MAX - 1, 1, OMNI_FIX_MAX);
    expect_int(omni_b_sub2, OMNI_FIX_MIN + 1, 1, OMNI_FIX_MIN);
    expect_err(omni_b_add2, omni_fix(OMNI_FIX_MAX), omni_fix(1), "+: integer overflow");
    expect_err(omni_b_sub2, omni_fix(OMNI_FIX_MIN), omni_fix(1), "-: integer overflow");
    expect_err(omni_b_mul2, omni_fix(OMNI_FIX_MAX / 2 + 1), omni_fix(2), "*: integer overflow");
    expect_err(omni_b_div2, omni_fix(OMNI_FIX_MIN), omni_fix(-1), "/: integer overflow");
    expect_err(omni_b_quot, omni_fix(OMNI_FIX_MIN), omni_fix(-1), "quot: integer overflow");
    expect_err(omni_b_div2, omni_fix(1), omni_fix(0), "/: division by zero");
    expect_err(omni_b_quot, omni_fix(1), omni_fix(0), "quot: division by zero");
    expect_err(omni_b_rem, omni_fix(1), omni_fix(0), "rem: division by zero");
    expect_err(omni_b_mod, omni_fix(1), omni_fix(0), "mod: division by zero");
    expect_err(omni_b_add2, omni_fix(1), str(g, "a"), "+: expected Number, got \"a\"");
    expect_err(omni_b_lt2, omni_fix(1), OMNI_NIL, "<: expected Number, got ()");
    const char *m;
    OVal v = run2(omni_b_sub2, omni_fix(0), omni_fix(OMNI_FIX_MIN), &m);
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(m, "-: integer overflow");
    ck_assert_int_eq(omni_try(neg_min, NULL), 1);
    ck_assert_str_eq(omni_last_error(), "-: integer overflow");
    /* `/` on Ints: Int when exact, else Float. */
    v = run2(omni_b_div2, omni_fix(7), omni_fix(2), &m);
    ck_assert(omni_is_float(v) && omni_float_val(v) == 3.5);
    v = run2(omni_b_div2, omni_fix(-6), omni_fix(-3), &m);
    ck_assert_uint_eq(v, omni_fix(2));
    v = run2(omni_b_div2, omni_make_float(g, 1.0), omni_fix(0), &m);
    ck_assert(isinf(omni_float_val(v)));
    /* quot truncates, rem has the dividend's sign, mod the divisor's. */
    expect_int(omni_b_quot, -7, 2, -3);
    expect_int(omni_b_rem, -7, 2, -1);
    expect_int(omni_b_mod, -7, 2, 1);
    expect_int(omni_b_quot, 7, -2, -3);
    expect_int(omni_b_rem, 7, -2, 1);
    expect_int(omni_b_mod, 7, -2, -1);
    expect_int(omni_b_mod, -6, 3, 0);
    expect_int(omni_b_rem, 5, -1, 0);
    expect_int(omni_b_mod, 5, -1, 0);
    v = run2(omni_b_mod, omni_make_float(g, -7.5), omni_fix(2), &m);
    ck_assert(omni_float_val(v) == 0.5);
    /* Mixed arithmetic and comparisons. */
    v = run2(omni_b_add2, omni_fix(1), omni_make_float(g, 0.5), &m);
    ck_assert(omni_float_val(v) == 1.5);
    ck_assert_uint_eq(omni_b_numeq2(g, NULL, omni_fix(1), omni_make_float(g, 1.0)), OMNI_TRUE);
    ck_assert_uint_eq(omni_b_lt2(g, NULL, omni_fix(1), omni_make_float(g, 1.5)), OMNI_TRUE);
    ck_assert_uint_eq(omni_b_ge2(g, NULL, omni_make_float(g, NAN), omni_fix(1)), OMNI_FALSE);
    ck_assert_uint_eq(omni_b_lt2(g, NULL, omni_make_float(g, NAN), omni_fix(1)), OMNI_FALSE);
    /* Exact Int/Float comparison above 2^53. */
    int64_t big = ((int64_t)1 << 53) + 1;
    ck_assert_uint_eq(omni_b_gt2(g, NULL, omni_fix(big), omni_make_float(g, 9007199254740992.0)), OMNI_TRUE);
    ck_assert_uint_eq(omni_b_neg(g, NULL, omni_fix(5)), omni_fix(-5));
    ck_assert_uint_eq(omni_b_neg(g, NULL, omni_fix(OMNI_FIX_MAX)), omni_fix(-OMNI_FIX_MAX));
    ck_assert_uint_eq(omni_b_mul2(g, NULL, omni_fix(-3), omni_fix(-3)), omni_fix(9));
}
END_TEST

static const OmniLoc test_loc = { "t.omni", 3, 7, NULL, 0 };
static void raise_type(void *p) { (void)p; omni_b_car(omni_region_global(), &test_loc, omni_fix(5)); }
static void raise_unbound(void *p)
{
    (void)p;
    omni_global_get(omni_global_slot("surely-unbound-name"), &test_loc);
}
static void raise_arity(void *p)
{
    int *which = p;
    OVal f = omni_make_closure(omni_region_global(), NULL, noop_generic, *which ? 1 : 2,
                               *which == 2, "f", 0);
    omni_err_arity(&test_loc, f, *which ? 0 : 3);
}
static void raise_not_fn(void *p) { (void)p; omni_apply(omni_region_global(), &test_loc, omni_fix(5), 0, NULL); }
static void raise_param(void *p)
{
    (void)p;
    omni_check_param(str(omni_region_global(), "a"), OMNI_ANN_INT, "f", "x", &test_loc);
}
static void raise_long(void *p)
{
    (void)p;
    OVal l = OMNI_NIL;
    for (int i = 0; i < 100; i++)
        l = omni_cons_in(omni_region_global(), omni_fix(i), l);
    omni_b_car(omni_region_global(), NULL, str(omni_region_global(), "0123456789012345678901234567890123456789012345678901234567890123456789"));
}
static int g_inner_result;
static void inner_try(void *p) { (void)p; g_inner_result = omni_try(raise_type, NULL); }
static void set_global(void *p) { (void)p; omni_global_set(omni_global_slot("another-unbound"), omni_fix(1), NULL); }

START_TEST(test_errors)
{
    rewind(g_errs);
    ck_assert_int_eq(omni_try(raise_type, NULL), 1);
    ck_assert_str_eq(omni_last_error(), "car: expected Pair, got 5");
    fflush(g_errs);
    rewind(g_errs);
    char line[256];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, g_errs));
    ck_assert_str_eq(line, "error: car: expected Pair, got 5\n");
    ck_assert_ptr_nonnull(fgets(line, sizeof line, g_errs));
    ck_assert_str_eq(line, "  at t.omni:3:7\n");
    ck_assert_int_eq(omni_try(raise_unbound, NULL), 1);
    ck_assert_str_eq(omni_last_error(), "unbound variable: surely-unbound-name");
    ck_assert_int_eq(omni_try(set_global, NULL), 1);
    ck_assert_str_eq(omni_last_error(), "unbound variable: another-unbound");
    int which = 0;
    ck_assert_int_eq(omni_try(raise_arity, &which), 1);
    ck_assert_str_eq(omni_last_error(), "f: expected 2 arguments, got 3");
    which = 1;
    omni_try(raise_arity, &which);
    ck_assert_str_eq(omni_last_error(), "f: expected 1 argument, got 0");
    which = 2;
    omni_try(raise_arity, &which);
    ck_assert_str_eq(omni_last_error(), "f: expected at least 1 argument, got 0");
    omni_try(raise_not_fn, NULL);
    ck_assert_str_eq(omni_last_error(), "not a function: 5");
    omni_try(raise_param, NULL);
    ck_assert_str_eq(omni_last_error(), "f: parameter x expects Int, got \"a\"");
    omni_try(raise_long, NULL);
    ck_assert_uint_le(strlen(omni_last_error()), strlen("car: expected Pair, got ") + 60);
    ck_assert(strstr(omni_last_error(), "...") != NULL);
    /* Nesting: the inner try catches, the outer sees success. */
    ck_assert_int_eq(omni_try(inner_try, NULL), 0);
    ck_assert_int_eq(g_inner_result, 1);
    ck_assert(!omni_try_active());

    /* Global slots are stable and named. */
    OVal *s1 = omni_global_slot("my-global");
    ck_assert_uint_eq(*s1, OMNI_UNBOUND);
    omni_global_def(s1, omni_fix(4));
    ck_assert_ptr_eq(omni_global_slot("my-global"), s1);
    for (int i = 0; i < 5000; i++) {
        char name[32];
        snprintf(name, sizeof name, "g%d", i);
        omni_global_slot(name);
    }
    ck_assert_ptr_eq(omni_global_slot("my-global"), s1);
    ck_assert_str_eq(omni_global_name(s1), "my-global");
    ck_assert_uint_eq(omni_global_get(s1, NULL), omni_fix(4));
    bool found = false;
    for (size_t i = 0; omni_global_name_at(i); i++)
        found |= strcmp(omni_global_name_at(i), "g4999") == 0;
    ck_assert(found);
    ck_assert_uint_eq(omni_intern("abc", 3), sym("abc"));
    ck_assert_uint_ne(omni_intern("abd", 3), sym("abc"));
}
END_TEST

/* ---- the big stack -------------------------------------------------------------------------- */

/* A non-tail recursion with a frame like a compiled function's. */
__attribute__((noinline)) static int64_t deep(int64_t n, volatile int64_t *sink)
{
    volatile int64_t pad[6];
    pad[0] = n;
    if (n == 0)
        return 0;
    int64_t r = deep(n - 1, sink) + 1;
    *sink += pad[0];
    return r;
}

static int run_deep(void *p)
{
    volatile int64_t sink = 0;
    return deep(*(int64_t *)p, &sink) == *(int64_t *)p ? 42 : 0;
}

/* A stand-in for compiled code: its overflow unwinds at once (rt/stack.c
 * defers a fault in any other C code to a safe point). */
__attribute__((noinline, section("omni_test_code"))) static int64_t forever(int64_t n, volatile int64_t *sink)
{
    volatile char pad[64];
    pad[0] = (char)n;
    if (*sink < 0) /* never: hides the endless recursion from the compiler */
        return 0;
    int64_t r = forever(n + 1, sink) + pad[0];
    *sink += r;
    return r;
}

static void overflow_body(void *p)
{
    (void)p;
    volatile int64_t sink = 0;
    forever(0, &sink);
}
static int run_overflow(void *p) { return omni_try(overflow_body, p) ? 7 : 0; }
static void big_raise(void *p) { (void)p; omni_raise(NULL, "boom %d", 1); }
static int run_raise(void *p) { omni_try(big_raise, p); return omni_try(big_raise, p) + 10; }
static int run_unwind(void *p) { big_raise(p); return 0; }
static void outer_unwind(void *p) { omni_run_with_big_stack(run_unwind, p); }

START_TEST(test_big_stack)
{
    int64_t n = 1000000;
    ck_assert_int_eq(omni_run_with_big_stack(run_deep, &n), 42);
    ck_assert_int_eq(omni_run_with_big_stack(run_overflow, NULL), 7);
    ck_assert_str_eq(omni_last_error(), "");        /* the main thread raised nothing */
    ck_assert_int_eq(omni_run_with_big_stack(run_raise, NULL), 11);
    /* An error not caught on the big stack continues in the caller's try. */
    ck_assert_int_eq(omni_try(outer_unwind, NULL), 1);
    /* After an overflow the next run works again. */
    ck_assert_int_eq(omni_run_with_big_stack(run_overflow, NULL), 7);
    ck_assert_int_eq(omni_run_with_big_stack(run_deep, &n), 42);
}
END_TEST

static int overflow_uncaught(void *p)
{
    volatile int64_t sink = 0;
    (void)p;
    forever(0, &sink);
    return 0;
}

/* No omni_try anywhere: the overflow message, then exit status 1. */
START_TEST(test_overflow_exit)
{
    omni_set_error_stream(NULL);
    omni_run_with_big_stack(overflow_uncaught, NULL);
}
END_TEST

static Suite *rt_suite(void)
{
    Suite *s = suite_create("rt");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_encoding);
    tcase_add_test(tc, test_region_alloc);
    tcase_add_test(tc, test_reclaim_rule);
    tcase_add_test(tc, test_registry);
    tcase_add_test(tc, test_transmigrate);
    tcase_add_test(tc, test_floats);
    tcase_add_test(tc, test_print);
    tcase_add_test(tc, test_equal_hash);
    tcase_add_test(tc, test_dict);
    tcase_add_test(tc, test_arith);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_big_stack);
    tcase_add_exit_test(tc, test_overflow_exit, 1);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(rt_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
