/* b_list.c — list built-ins (list, list?, length, append, reverse,
 * list-ref, range), equal?, the higher-order built-ins that call function
 * values (map, filter, foldl, for-each, apply) and the hidden helpers the
 * `match` expansion uses on lists and arrays alike (%seq-*).
 * Lists can have millions of elements: everything here loops, nothing
 * recurses on a list's length, and lists are built front to back.
 * Function values are always called through omni_apply with the result
 * region `r`, so what they return lands where our result lands.
 */
#include "b_common.h"

#include <string.h>

OVal omni_b_equal(Region *r, const OmniLoc *loc, OVal a, OVal b)
{
    return omni_bool(omni_equal(a, b));
}

OVal omni_bv_list(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    return omni_list_from(r, argc, argv);
}

OVal omni_b_listp(Region *r, const OmniLoc *loc, OVal v)
{
    return omni_bool(omni_list_length(v) >= 0);
}

/* Length of a proper list, else a type error naming `who`. */
static int64_t want_list_length(const OmniLoc *loc, const char *who, OVal v)
{
    int64_t n = omni_list_length(v);
    if (n < 0)
        omni_err_type(loc, who, "List", v);
    return n;
}

OVal omni_b_length(Region *r, const OmniLoc *loc, OVal v)
{
    if (omni_is_list_head(v))
        return omni_fix(want_list_length(loc, "length", v));
    if (omni_is_ptr(v)) {
        switch (omni_type_of_ptr(v)) {
        case OT_ARRAY:  return omni_fix(OMNI_PTR(OArray, v)->len);
        case OT_DICT:   return omni_fix(OMNI_PTR(ODict, v)->count);
        case OT_STRING: {
            OString *s = OMNI_PTR(OString, v);
            return omni_fix(omni_utf8_length(s->data, s->len));
        }
        default: break;
        }
    }
    omni_err_type(loc, "length", "List, Array, Dict or String", v);
}

/* Copies every argument but the last, which becomes the shared tail and may
 * be any value (as in Scheme: (append '(1) 2) is (1 . 2)). */
OVal omni_bv_append(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    if (argc == 0)
        return OMNI_NIL;
    for (int64_t i = 0; i + 1 < argc; i++)
        want_list_length(loc, "append", argv[i]);
    OmniListBuild b;
    omni_lbuild_init(&b);
    for (int64_t i = 0; i + 1 < argc; i++)
        for (OVal p = argv[i]; p != OMNI_NIL; p = OMNI_PAIR(p)->cdr)
            omni_lbuild_push(r, &b, OMNI_PAIR(p)->car);
    if (!b.tail)
        return argv[argc - 1];
    OMNI_PAIR(b.tail)->cdr = argv[argc - 1];
    return b.head;
}

OVal omni_b_reverse(Region *r, const OmniLoc *loc, OVal xs)
{
    want_list_length(loc, "reverse", xs);
    OVal out = OMNI_NIL;
    for (OVal p = xs; p != OMNI_NIL; p = OMNI_PAIR(p)->cdr)
        out = omni_cons_in(r, OMNI_PAIR(p)->car, out);
    return out;
}

OVal omni_b_list_ref(Region *r, const OmniLoc *loc, OVal xs, OVal iv)
{
    int64_t n = want_list_length(loc, "list-ref", xs);
    int64_t i = omni_want_fix(loc, "list-ref", iv);
    if (i < 0 || i >= n)
        omni_raise(loc, "list-ref: index %lld out of range for list of length %lld",
                   (long long)i, (long long)n);
    OVal p = xs;
    while (i-- > 0)
        p = OMNI_PAIR(p)->cdr;
    return OMNI_PAIR(p)->car;
}

/* ---- higher-order: map filter foldl for-each apply ---- */

/* Cursors for the sequence arguments argv[1..argc-1] of map / for-each. */
static OmniSeq *seq_args(Region *r, const OmniLoc *loc, const char *who, OmniSeq *stackbuf,
                         int64_t stackn, int64_t argc, OVal *argv)
{
    int64_t n = argc - 1;
    OmniSeq *s = n <= stackn ? stackbuf : (OmniSeq *)omni_alloc(r, (size_t)n * sizeof(OmniSeq));
    for (int64_t k = 0; k < n; k++)
        if (!omni_seq_init(&s[k], argv[k + 1]))
            omni_err_type(loc, who, "List or Array", argv[k + 1]);
    return s;
}

/* map_like over one list, the common case: the closure's generic entry is
 * called directly and the list is walked without the sequence machinery.
 * Errors are the ones map_like gives. */
static OVal map_list1(Region *r, const OmniLoc *loc, const char *who, bool collect, OVal f, OVal xs)
{
    OClosure *c = OMNI_PTR(OClosure, f);
    OmniGenericFn gen = c->generic;
    OmniListBuild b;
    omni_lbuild_init(&b);
    OVal p = xs;
    while (omni_is_type(p, OT_PAIR)) {
        OVal x = OMNI_PAIR(p)->car;
        OVal y = gen(r, c, loc, 1, &x);
        if (collect)
            omni_lbuild_push(r, &b, y);
        p = OMNI_PAIR(p)->cdr;
    }
    if (p != OMNI_NIL)
        omni_err_type(loc, who, "List", xs);
    return collect ? b.head : OMNI_NOTHING;
}

/* Calls f on successive elements of all sequences until the shortest ends;
 * collects the results into a list when `collect`. */
static OVal map_like(Region *r, const OmniLoc *loc, const char *who, bool collect,
                     int64_t argc, OVal *argv)
{
    OVal f = argv[0];
    omni_want_fn(loc, who, f);
    if (argc == 2 && omni_is_list_head(argv[1]))
        return map_list1(r, loc, who, collect, f, argv[1]);
    OmniSeq seqbuf[4];
    OVal argbuf[4];
    int64_t n = argc - 1;
    OmniSeq *s = seq_args(r, loc, who, seqbuf, 4, argc, argv);
    OVal *args = omni_scratch(r, argbuf, 4, n);
    OmniListBuild b;
    omni_lbuild_init(&b);
    for (;;) {
        for (int64_t k = 0; k < n; k++)
            if (!omni_seq_next(loc, who, &s[k], &args[k]))
                return collect ? b.head : OMNI_NOTHING;
        OVal y = omni_apply(r, loc, f, n, args);
        if (collect)
            omni_lbuild_push(r, &b, y);
    }
}

/* map in general (any sequences, any function value); rt/hot.c's
 * omni_bv_map runs the common one-list case itself in compiled code. */
OVal omni_map_general(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    return map_like(r, loc, "map", true, argc, argv);
}

OVal omni_bv_for_each(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    return map_like(r, loc, "for-each", false, argc, argv);
}

OVal omni_b_filter(Region *r, const OmniLoc *loc, OVal f, OVal xs)
{
    omni_want_fn(loc, "filter", f);
    OmniSeq s;
    if (!omni_seq_init(&s, xs))
        omni_err_type(loc, "filter", "List or Array", xs);
    OmniListBuild b;
    omni_lbuild_init(&b);
    OVal x;
    while (omni_seq_next(loc, "filter", &s, &x))
        if (omni_truthy(omni_apply(r, loc, f, 1, &x)))
            omni_lbuild_push(r, &b, x);
    return b.head;
}

OVal omni_b_foldl(Region *r, const OmniLoc *loc, OVal f, OVal init, OVal xs)
{
    omni_want_fn(loc, "foldl", f);
    OmniSeq s;
    if (!omni_seq_init(&s, xs))
        omni_err_type(loc, "foldl", "List or Array", xs);
    OVal args[2] = { init, 0 };
    while (omni_seq_next(loc, "foldl", &s, &args[1]))
        args[0] = omni_apply(r, loc, f, 2, args);
    return args[0];
}

/* (apply f a ... xs): the leading arguments, then the elements of xs. */
OVal omni_bv_apply(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    OVal f = argv[0], last = argv[argc - 1];
    int64_t nlead = argc - 2, ntail;
    if (omni_is_type(last, OT_ARRAY))
        ntail = OMNI_PTR(OArray, last)->len;
    else if ((ntail = omni_list_length(last)) < 0)
        omni_err_type(loc, "apply", "List or Array", last);
    OVal buf[8];
    OVal *args = omni_scratch(r, buf, 8, nlead + ntail);
    memcpy(args, argv + 1, (size_t)nlead * sizeof(OVal));
    OmniSeq s;
    omni_seq_init(&s, last);
    for (int64_t k = nlead; k < nlead + ntail; k++)
        omni_seq_next(loc, "apply", &s, &args[k]);
    return omni_apply(r, loc, f, nlead + ntail, args);
}

/* (range n) (range a b) (range a b step): Ints, b exclusive. */
OVal omni_bv_range(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    int64_t a = 0, b, step = 1;
    if (argc == 1) {
        b = omni_want_fix(loc, "range", argv[0]);
    } else {
        a = omni_want_fix(loc, "range", argv[0]);
        b = omni_want_fix(loc, "range", argv[1]);
        if (argc == 3)
            step = omni_want_fix(loc, "range", argv[2]);
    }
    if (step == 0)
        omni_raise(loc, "range: step must not be 0");
    /* fixnums are 63-bit, so b - a cannot overflow int64 */
    int64_t n = 0;
    if (step > 0 && b > a)
        n = (b - a + step - 1) / step;
    else if (step < 0 && b < a)
        n = (a - b - step - 1) / -step;
    if (n > OMNI_MAX_ELEMENTS)
        omni_raise(loc, "range: %lld elements is more than the limit of %lld",
                   (long long)n, (long long)OMNI_MAX_ELEMENTS);
    /* built back to front: no mutation needed */
    OVal out = OMNI_NIL;
    for (int64_t i = n - 1; i >= 0; i--)
        out = omni_cons_in(r, omni_fix(a + i * step), out);
    return out;
}

/* ---- %seq-*: targets of `match` on list or array patterns ---- */

/* True iff v is a list with exactly n elements (ending in ()) or an array
 * of length n.  Walks at most n+1 pairs, whatever the list's length. */
OVal omni_b_seq_len_eq(Region *r, const OmniLoc *loc, OVal v, OVal nv)
{
    int64_t n = omni_want_fix(loc, "%seq-len=", nv);
    if (omni_is_type(v, OT_ARRAY))
        return omni_bool(OMNI_PTR(OArray, v)->len == n);
    while (n > 0 && omni_is_type(v, OT_PAIR)) {
        v = OMNI_PAIR(v)->cdr;
        n--;
    }
    return omni_bool(n == 0 && v == OMNI_NIL);
}

/* True iff v is an array of length >= n, or a list whose first n cells are
 * pairs.  The rest of the list is not inspected, so matching [h & t]
 * against a long list in a loop stays linear overall. */
OVal omni_b_seq_len_ge(Region *r, const OmniLoc *loc, OVal v, OVal nv)
{
    int64_t n = omni_want_fix(loc, "%seq-len>=", nv);
    if (omni_is_type(v, OT_ARRAY))
        return omni_bool(OMNI_PTR(OArray, v)->len >= n);
    if (!omni_is_list_head(v))
        return OMNI_FALSE;
    while (n > 0 && omni_is_type(v, OT_PAIR)) {
        v = OMNI_PAIR(v)->cdr;
        n--;
    }
    return omni_bool(n <= 0);
}

OVal omni_b_seq_ref(Region *r, const OmniLoc *loc, OVal v, OVal iv)
{
    int64_t i = omni_want_fix(loc, "%seq-ref", iv);
    if (omni_is_type(v, OT_ARRAY)) {
        OArray *a = OMNI_PTR(OArray, v);
        if (i < 0 || i >= a->len)
            omni_raise(loc, "%%seq-ref: index %lld out of range for array of length %lld",
                       (long long)i, (long long)a->len);
        return a->items[i];
    }
    OVal p = v;
    for (int64_t k = 0; k < i && omni_is_type(p, OT_PAIR); k++)
        p = OMNI_PAIR(p)->cdr;
    if (i < 0 || !omni_is_type(p, OT_PAIR))
        omni_err_type(loc, "%seq-ref", "List or Array", v);
    return OMNI_PAIR(p)->car;
}

/* List: the k-th tail (shared, no copy).  Array: a new array of the
 * elements from k on. */
OVal omni_b_seq_tail(Region *r, const OmniLoc *loc, OVal v, OVal kv)
{
    int64_t k = omni_want_fix(loc, "%seq-tail", kv);
    if (omni_is_type(v, OT_ARRAY)) {
        OArray *a = OMNI_PTR(OArray, v);
        int64_t from = k < 0 ? 0 : (k > a->len ? a->len : k);
        OVal out = omni_array_new(r, a->len - from);
        for (int64_t i = from; i < a->len; i++)
            omni_array_push(out, a->items[i]);
        return out;
    }
    OVal p = v;
    for (int64_t i = 0; i < k; i++) {
        if (!omni_is_type(p, OT_PAIR))
            omni_err_type(loc, "%seq-tail", "List or Array", v);
        p = OMNI_PAIR(p)->cdr;
    }
    return p;
}
