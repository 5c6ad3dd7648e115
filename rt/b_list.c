/* b_list.c — list built-ins (list, list?, length, append, reverse,
 * list-ref, range, cadddr, last, take, drop, member, assoc, iota), equal?,
 * the higher-order built-ins that call function values (map, filter, foldl,
 * for-each, apply, list-index, any, every, sort, sort!) and the hidden
 * helpers the `match` expansion uses on lists and arrays alike (%seq-*).
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

/* ---- cadddr last take drop member assoc iota ---- */

OVal omni_b_cadddr(Region *r, const OmniLoc *loc, OVal a)
{
    for (int k = 0; k < 3; k++)
        a = omni_want_pair(loc, "cadddr", a)->cdr;
    return omni_want_pair(loc, "cadddr", a)->car;
}

/* The last element, in one walk. */
OVal omni_b_last(Region *r, const OmniLoc *loc, OVal xs)
{
    if (xs == OMNI_NIL)
        omni_raise(loc, "last: list is empty");
    OVal p = xs;
    while (omni_is_type(p, OT_PAIR) && omni_is_type(OMNI_PAIR(p)->cdr, OT_PAIR))
        p = OMNI_PAIR(p)->cdr;
    if (!omni_is_type(p, OT_PAIR) || OMNI_PAIR(p)->cdr != OMNI_NIL)
        omni_err_type(loc, "last", "List", xs);
    return OMNI_PAIR(p)->car;
}

/* The n-th tail of xs for (take xs n) / (drop xs n), n in [0, length].
 * Only the first n cells are read, so taking a few elements of a long list
 * costs a few steps; the whole list is measured only for the message. */
static OVal nth_tail(const OmniLoc *loc, const char *who, OVal xs, OVal nv, int64_t *np)
{
    if (!omni_is_list_head(xs))
        omni_err_type(loc, who, "List", xs);
    int64_t n = omni_want_fix(loc, who, nv), k = 0;
    OVal p = xs;
    for (; k < n && omni_is_type(p, OT_PAIR); k++)
        p = OMNI_PAIR(p)->cdr;
    if (n < 0 || k < n)
        omni_raise(loc, "%s: count %lld out of range for list of length %lld", who, (long long)n,
                   (long long)want_list_length(loc, who, xs));
    *np = n;
    return p;
}

OVal omni_b_take(Region *r, const OmniLoc *loc, OVal xs, OVal nv)
{
    int64_t n;
    nth_tail(loc, "take", xs, nv, &n);
    OmniListBuild b;
    omni_lbuild_init(&b);
    for (OVal p = xs; n-- > 0; p = OMNI_PAIR(p)->cdr)
        omni_lbuild_push(r, &b, OMNI_PAIR(p)->car);
    return b.head;
}

/* The tail itself, shared (as list-tail in Scheme). */
OVal omni_b_drop(Region *r, const OmniLoc *loc, OVal xs, OVal nv)
{
    int64_t n;
    return nth_tail(loc, "drop", xs, nv, &n);
}

/* (member x xs): the tail of xs whose car is equal? to x, or nothing. */
OVal omni_b_member(Region *r, const OmniLoc *loc, OVal x, OVal xs)
{
    OVal p = xs;
    for (; omni_is_type(p, OT_PAIR); p = OMNI_PAIR(p)->cdr)
        if (omni_equal(x, OMNI_PAIR(p)->car))
            return p;
    if (p != OMNI_NIL)
        omni_err_type(loc, "member", "List", xs);
    return OMNI_NOTHING;
}

/* (assoc key alist): the first pair of alist whose car is equal? to key,
 * or nothing.  Every element up to the match must be a pair. */
OVal omni_b_assoc(Region *r, const OmniLoc *loc, OVal key, OVal alist)
{
    OVal p = alist;
    for (; omni_is_type(p, OT_PAIR); p = OMNI_PAIR(p)->cdr) {
        OPair *e = omni_want_pair(loc, "assoc", OMNI_PAIR(p)->car);
        if (omni_equal(key, e->car))
            return OMNI_PAIR(p)->car;
    }
    if (p != OMNI_NIL)
        omni_err_type(loc, "assoc", "List", alist);
    return OMNI_NOTHING;
}

/* (iota n [start [step]]): n numbers from start (0) by step (1).  Ints when
 * start and step are Ints (an element past the Int range is an overflow
 * error, checked at the last one: the elements are monotonic); otherwise
 * Floats, each computed as start + i*step so rounding does not accumulate. */
OVal omni_bv_iota(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    int64_t n = omni_want_fix(loc, "iota", argv[0]);
    OVal start = argc > 1 ? argv[1] : omni_fix(0), step = argc > 2 ? argv[2] : omni_fix(1);
    if (n < 0)
        omni_raise(loc, "iota: count must not be negative, got %lld", (long long)n);
    if (n > OMNI_MAX_ELEMENTS)
        omni_raise(loc, "iota: %lld elements is more than the limit of %lld",
                   (long long)n, (long long)OMNI_MAX_ELEMENTS);
    OVal out = OMNI_NIL;
    if (omni_is_fix(start) && omni_is_fix(step)) {
        int64_t a = omni_fixval(start), s = omni_fixval(step), last = a;
        if (n > 0 && (__builtin_mul_overflow(n - 1, s, &last) || __builtin_add_overflow(a, last, &last) ||
                      last < OMNI_FIX_MIN || last > OMNI_FIX_MAX))
            omni_err_overflow(loc, "iota");
        for (int64_t i = n - 1; i >= 0; i--)
            out = omni_cons_in(r, omni_fix(a + i * s), out);
        return out;
    }
    double a = omni_want_double(loc, "iota", start), s = omni_want_double(loc, "iota", step);
    for (int64_t i = n - 1; i >= 0; i--)
        out = omni_cons_in(r, omni_make_float(r, a + (double)i * s), out);
    return out;
}

/* ---- list-index any every: a predicate over a list or an array ---- */

static void want_pred_seq(const OmniLoc *loc, const char *who, OVal f, OVal xs, OmniSeq *s)
{
    omni_want_fn(loc, who, f);
    if (!omni_seq_init(s, xs))
        omni_err_type(loc, who, "List or Array", xs);
}

/* The index of the first element that satisfies f, or nothing. */
OVal omni_b_list_index(Region *r, const OmniLoc *loc, OVal f, OVal xs)
{
    OmniSeq s;
    want_pred_seq(loc, "list-index", f, xs, &s);
    OVal x;
    for (int64_t i = 0; omni_seq_next(loc, "list-index", &s, &x); i++)
        if (omni_truthy(omni_apply(r, loc, f, 1, &x)))
            return omni_fix(i);
    return OMNI_NOTHING;
}

/* The first true result of f, or false (SRFI-1's any). */
OVal omni_b_any(Region *r, const OmniLoc *loc, OVal f, OVal xs)
{
    OmniSeq s;
    want_pred_seq(loc, "any", f, xs, &s);
    OVal x;
    while (omni_seq_next(loc, "any", &s, &x)) {
        OVal y = omni_apply(r, loc, f, 1, &x);
        if (omni_truthy(y))
            return y;
    }
    return OMNI_FALSE;
}

/* false at the first element f rejects, else f's last result (true for
 * no elements), as SRFI-1's every. */
OVal omni_b_every(Region *r, const OmniLoc *loc, OVal f, OVal xs)
{
    OmniSeq s;
    want_pred_seq(loc, "every", f, xs, &s);
    OVal x, y = OMNI_TRUE;
    while (omni_seq_next(loc, "every", &s, &x)) {
        y = omni_apply(r, loc, f, 1, &x);
        if (!omni_truthy(y))
            return OMNI_FALSE;
    }
    return y;
}

/* ---- sort sort! ---- */

/* A stable merge sort of v[0..n) by less?, bottom up, ping-ponging with
 * tmp[0..n); returns the buffer that holds the result.  Stable because an
 * element of the right run goes first only when (less? right left) is
 * true: equal keys keep their order.  Two runs already in order (the last
 * of the left not after the first of the right) are copied after that one
 * call, so sorted input costs n calls.  less? is called through omni_apply
 * with the result region r, like map's function; whatever it answers, the
 * output is a permutation of the input. */
static OVal *merge_sort(Region *r, const OmniLoc *loc, OVal less, OVal *v, OVal *tmp, int64_t n)
{
    for (int64_t w = 1; w < n; w *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * w) {
            int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            int64_t i = lo, j = mid, k = lo;
            if (j < hi) {
                OVal args[2] = { v[j], v[j - 1] };
                if (!omni_truthy(omni_apply(r, loc, less, 2, args)))
                    i = mid; /* in order: the left run is copied as it is */
            }
            if (i == mid) {
                memcpy(tmp + lo, v + lo, (size_t)(hi - lo) * sizeof(OVal));
                continue;
            }
            while (i < mid && j < hi) {
                OVal args[2] = { v[j], v[i] };
                tmp[k++] = omni_truthy(omni_apply(r, loc, less, 2, args)) ? v[j++] : v[i++];
            }
            memcpy(tmp + k, v + i, (size_t)(mid - i) * sizeof(OVal));
            k += mid - i;
            memcpy(tmp + k, v + j, (size_t)(hi - j) * sizeof(OVal));
        }
        OVal *t = v;
        v = tmp;
        tmp = t;
    }
    return v;
}

/* (sort xs less?): a new list of a list's elements, or a new array of an
 * array's, in order.  The input is copied first, so a less? that changes
 * the input array does not change what is sorted. */
OVal omni_b_sort(Region *r, const OmniLoc *loc, OVal xs, OVal less)
{
    bool is_array = omni_is_type(xs, OT_ARRAY);
    if (!is_array && !omni_is_list_head(xs))
        omni_err_type(loc, "sort", "List or Array", xs);
    int64_t n = is_array ? OMNI_PTR(OArray, xs)->len : want_list_length(loc, "sort", xs);
    omni_want_fn(loc, "sort", less);
    OVal buf[16], tbuf[16];
    OVal *tmp = omni_scratch(r, tbuf, 16, n);
    if (is_array) {
        /* initialisation of a new array (as omni_bv_array): it holds
         * elements of xs, which the compiler admitted for r (the row) */
        OVal out = omni_array_new(r, n);
        OArray *o = OMNI_PTR(OArray, out);
        if (n == 0)
            return out;
        memcpy(o->items, OMNI_PTR(OArray, xs)->items, (size_t)n * sizeof(OVal));
        for (int64_t i = 0; i < n; i++)
            omni_rs_note_load(o->items[i]);
        OVal *s = merge_sort(r, loc, less, o->items, tmp, n);
        if (s != o->items)
            memcpy(o->items, s, (size_t)n * sizeof(OVal));
        o->len = n;
        return out;
    }
    OVal *v = omni_scratch(r, buf, 16, n);
    int64_t k = 0;
    for (OVal p = xs; p != OMNI_NIL; p = OMNI_PAIR(p)->cdr)
        v[k++] = OMNI_PAIR(p)->car;
    return omni_list_from(r, n, merge_sort(r, loc, less, v, tmp, n));
}

/* (sort! arr less?): sorts the array in place and returns it. */
OVal omni_b_sort_inplace(Region *r, const OmniLoc *loc, OVal av, OVal less)
{
    OArray *a = omni_want_array(loc, "sort!", av);
    omni_want_fn(loc, "sort!", less);
    int64_t n = a->len;
    if (n < 2)
        return av;
    OVal obuf[16], buf[16], tbuf[16];
    OVal *orig = omni_scratch(r, obuf, 16, n), *v = omni_scratch(r, buf, 16, n);
    OVal *tmp = omni_scratch(r, tbuf, 16, n);
    memcpy(orig, a->items, (size_t)n * sizeof(OVal));
    memcpy(v, a->items, (size_t)n * sizeof(OVal));
    OVal *s = merge_sort(r, loc, less, v, tmp, n);
    /* less? may have changed the array (push!, pop!, put!); writing the
     * old values back would undo that, or write past a shrunk array */
    if (a->len != n || memcmp(a->items, orig, (size_t)n * sizeof(OVal)) != 0)
        omni_raise(loc, "sort!: the array was changed during the sort");
    /* No store barrier: s is a permutation of the values the array holds
     * right now, each of which already lives as long as the array (it was
     * stored through the barrier, or admitted when the array was made).
     * Moving a value to another slot of the same array adds no edge from
     * the array to anything, and removes none: the set of edges the barrier
     * keeps sound (and would count) is unchanged.  Counted edges are keyed
     * by slot (remember.c): they become holds of the array's region. */
    Region *o = omni_rs_owner_region(av);
    if (omni_load_relaxed_u64(&omni_rs_slots_live) && (!omni_is_mt() || omni_region_mine(o))) {
        for (int64_t i = 0; i < n; i++) {
            omni_rs_note_load(a->items[i]);
            omni_rs_unslot(o, &a->items[i]);
        }
    }
    memcpy(a->items, s, (size_t)n * sizeof(OVal));
    return av;
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
        omni_rs_note_load(a->items[i]);
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
        for (int64_t i = from; i < a->len; i++) {
            omni_rs_note_load(a->items[i]);
            omni_array_push(out, a->items[i]);
        }
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
