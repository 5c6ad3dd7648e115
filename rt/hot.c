/* hot.c — the runtime helpers inlined into compiled code.
 *
 * Built twice: by clang-19 -O2 to bitcode that the backend links into every
 * module and inlines, and into libomni_rt.a so that compiled code (and C)
 * can also call each helper out of line.  Every function here has external
 * linkage.  Each one is a short fast path on the tagged representation
 * (fixnum arithmetic without untagging, tag tests) that falls back to an
 * out-of-line slow path in num.c / error.c for floats, overflow and errors.
 * No thread-locals and no heavy includes: this code lands in every module.
 */
#include "rt_internal.h"
#include "region.h"

/* ---- regions, allocation, the store barrier ------------------------------ */

/* region.new / region.exit run once per call of every function with local
 * allocation: inline fast paths (region.h), slow paths in region.c.  In the
 * bitcode they are forced inline (LLVM's cost model declines region.exit,
 * whose fast path is short but sits beside calls to the slow paths). */
#if defined(__clang__)
#define OMNI_HOT_FORCE_INLINE __attribute__((always_inline))
#else
#define OMNI_HOT_FORCE_INLINE
#endif

OMNI_HOT_FORCE_INLINE Region *omni_region_new(Region *parent)
{
    return omni_region_new_inline(parent, (const OmniLoc *)0);
}

OMNI_HOT_FORCE_INLINE Region *omni_region_new_at(Region *parent, const OmniLoc *loc)
{
    return omni_region_new_inline(parent, loc);
}

OMNI_HOT_FORCE_INLINE void omni_region_exit(Region *r)
{
    omni_region_exit_inline(r);
}

/* A handle's real region (omni.h, pending regions): one bit test on the
 * hot path, where the handle is a region already; a pending region made
 * already is one load more. */
OMNI_HOT_FORCE_INLINE Region *omni_region_resolve(Region *h)
{
    if (__builtin_expect(omni_region_is_pending(h), 0)) {
        Region *made = ((OmniPendingRegion *)((uintptr_t)h - 1))->made;
        return made ? made : omni_region_resolve_slow(h);
    }
    return h;
}

/* A loop's back edge (docs/CTRR.md, "Loops"): one compare per iteration;
 * the move is amortised over the allocation that triggered it. */
Region *omni_region_carry(Region *k, Region *parent, int64_t n, OVal *args)
{
    uint64_t live = k->carry_id == k->id ? k->carry_live : 0;
    uint64_t grown = k->bytes_retired + (uint64_t)(k->cur - k->base) - live;
    uint64_t limit = 2 * live > OMNI_CARRY_MIN ? 2 * live : OMNI_CARRY_MIN;
    if (__builtin_expect(grown < limit, 1))
        return k;
    return omni_region_carry_slow(k, parent, n, args);
}

void *omni_alloc(Region *r, size_t n)
{
    return omni_region_alloc_inline(r, n);
}

Region *omni_region_of(OVal v)
{
    return omni_region_of_inline(v);
}

OVal omni_make_float(Region *r, double d)
{
    OFloat *f = omni_region_alloc_inline(r, sizeof(OFloat));
    omni_hdr_init(f, OT_FLOAT);
    f->d = d;
    return OMNI_VAL(f);
}

/* The one choke point for pointer stores into heap objects and global
 * slots (owner == 0 for a global; a static owner counts as the global
 * region too).  A store is left alone when v is not a pointer, is static,
 * or lives in a region that outlives the owner's (ancestor-or-self, or
 * immortal); otherwise the edge would dangle once v's region dies, and
 * omni_store_repair (barrier.c) transmigrates v into the owner's region.
 * Array, dict, atom, box and global stores all come here. */
void omni_store(OVal owner, OVal *slot, OVal v)
{
    /* the slot may hold a counted edge (remember.c): released after the store */
    if (omni_is_ref(*slot) && __builtin_expect(omni_load_relaxed_u64(&omni_rs_slots_live) != 0, 0)) {
        omni_store_counted(owner, slot, v);
        return;
    }
    if (omni_is_ref(v)) {
        Region *vr = omni_region_of_inline(v);
        if (vr && !vr->immortal) {
            Region *or = owner ? omni_region_of_inline(owner) : (Region *)0;
            if (__builtin_expect(!omni_region_outlives_inline(vr, or), 0)) {
                omni_store_repair(owner, slot, v, vr, or);
                return;
            }
        }
    }
    *slot = v;
}

/* Admission: v is about to become a field of a new object of r (the
 * compiler's `admit`, ir/pass_admit.c: a constructor placed in %0 or the
 * global region given a value it cannot prove outlives that region).
 * Returns v when it is an immediate, static, or lives in a region that
 * outlives r; else its repair (barrier.c), exactly as a store would. */
OVal omni_admit(Region *r, OVal v)
{
    if (omni_is_ref(v)) {
        Region *vr = omni_region_of_inline(v);
        if (vr && vr != r && !vr->immortal && __builtin_expect(!omni_region_outlives_inline(vr, r), 0))
            return omni_admit_slow(r, v);
    }
    return v;
}

/* get / put! on an array with an Int index in range, inline; everything
 * else (dicts, lists, strings, defaults, errors) in rt/b_coll.c.  The
 * store goes through the barrier like every other. */
OVal omni_bv_get(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    OVal c = argv[0], k = argv[1];
    if (__builtin_expect(argc == 2 && omni_is_type(c, OT_ARRAY) && omni_is_fix(k), 1)) {
        const OArray *a = OMNI_PTR(OArray, c);
        int64_t i = omni_fixval(k);
        if (__builtin_expect((uint64_t)i < (uint64_t)a->len, 1)) {
            OVal v = a->items[i];
            omni_rs_note_load(v);
            return v;
        }
    }
    return omni_get_general(r, loc, argc, argv);
}

OVal omni_b_put(Region *r, const OmniLoc *loc, OVal c, OVal k, OVal v)
{
    if (__builtin_expect(omni_is_type(c, OT_ARRAY) && omni_is_fix(k), 1)) {
        OArray *a = OMNI_PTR(OArray, c);
        int64_t i = omni_fixval(k);
        if (__builtin_expect((uint64_t)i < (uint64_t)a->len, 1)) {
            omni_store(c, &a->items[i], v);
            return OMNI_NOTHING;
        }
    }
    return omni_put_general(r, loc, c, k, v);
}

OVal omni_box_new(Region *r, OVal v)
{
    OBox *b = omni_region_alloc_inline(r, sizeof(OBox));
    omni_hdr_init(b, OT_BOX);
    b->val = v;
    return OMNI_VAL(b);
}

OVal omni_box_get(OVal box)
{
    OVal v = OMNI_PTR(OBox, box)->val;
    omni_rs_note_load(v);
    return v;
}

void omni_box_set(OVal box, OVal v)
{
    omni_store(box, &OMNI_PTR(OBox, box)->val, v);
}

/* ---- globals and calls ---------------------------------------------------- */

OVal omni_global_get(OVal *slot, const OmniLoc *loc)
{
    OVal v = *slot;
    if (__builtin_expect(v == OMNI_UNBOUND, 0))
        omni_err_unbound(loc, omni_global_name(slot));
    omni_rs_note_load(v);
    return v;
}

/* A global read whose value is only the callee of guarded known calls
 * (llvm_backend/lb_facts.c, guard_only): when the guard holds it is a
 * static closure, so the load is noted only on the fallback path
 * (omni_note_load before the ordinary call). */
OVal omni_global_get_callee(OVal *slot, const OmniLoc *loc)
{
    OVal v = *slot;
    if (__builtin_expect(v == OMNI_UNBOUND, 0))
        omni_err_unbound(loc, omni_global_name(slot));
    return v;
}

void omni_note_load(OVal v)
{
    omni_rs_note_load(v);
}

void omni_global_set(OVal *slot, OVal v, const OmniLoc *loc)
{
    if (__builtin_expect(*slot == OMNI_UNBOUND, 0))
        omni_err_unbound(loc, omni_global_name(slot));
    omni_store(0, slot, v);
}

void omni_global_def(OVal *slot, OVal v)
{
    omni_store(0, slot, v);
}

void *omni_fast_code(OVal f, int32_t argc)
{
    if (omni_is_type(f, OT_CLOSURE)) {
        OClosure *c = OMNI_PTR(OClosure, f);
        if (c->fast_arity == argc)
            return c->code;
    }
    return (void *)0;
}

/* ---- map over one list ---------------------------------------------------- */

/* Compiled into programs (this file is their bitcode), map over one list
 * with a compiled function of one parameter calls its fast entry directly:
 * no generic wrapper, no argument array, no C frame per element.  The entry
 * convention is the backend's (rt/omni.h, OClosure): preserve_none, padded
 * to OMNI_FAST_PAD_ARGS values; where the compiler of this file cannot
 * name that convention (the C runtime's own copy), omni_map_general does
 * the work.  Each cell is allocated before its element is computed, so the
 * spine precedes what the elements hold, in the order a walk reads them;
 * linking a fresh cell of r into the previous fresh cell of r is
 * initialisation, as in omni_lbuild_push. */
#if defined(__clang__) && defined(__has_attribute)
#if __has_attribute(preserve_none) && defined(__x86_64__)
#define OMNI_HOT_FAST_CALLS 1
typedef OVal (__attribute__((preserve_none)) *OmniFastPad)(Region *, OClosure *, OVal, OVal, OVal, OVal,
                                                           OVal, OVal, OVal, OVal);
_Static_assert(OMNI_FAST_PAD_ARGS == 8, "OmniFastPad lists OMNI_FAST_PAD_ARGS values");
#endif
#endif

OVal omni_bv_map(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
#ifdef OMNI_HOT_FAST_CALLS
    OVal f = argv[0], xs = argc == 2 ? argv[1] : OMNI_NIL;
    if (argc == 2 && omni_is_type(f, OT_CLOSURE) && OMNI_PTR(OClosure, f)->fast_arity == 1 &&
        (xs == OMNI_NIL || omni_is_type(xs, OT_PAIR))) {
        OClosure *c = OMNI_PTR(OClosure, f);
        OmniFastPad code = (OmniFastPad)c->code;

        OVal head = OMNI_NIL;
        OPair *last = (OPair *)0;
        OVal p = xs;
        while (omni_is_type(p, OT_PAIR)) {
            OPair *cell = omni_pair_new_inline(r, OMNI_NIL, OMNI_NIL);
            if (last)
                last->cdr = OMNI_PAIR_VAL(cell);
            else
                head = OMNI_PAIR_VAL(cell);
            last = cell;
            cell->car = code(r, c, OMNI_PAIR(p)->car, 0, 0, 0, 0, 0, 0, 0); /* padding: unread */
            p = OMNI_PAIR(p)->cdr;
        }
        if (p != OMNI_NIL)
            omni_err_type(loc, "map", "List", xs);
        return head;
    }
#endif
    return omni_map_general(r, loc, argc, argv);
}

/* ---- arithmetic: tagged fixnums, a = 2x+1 -------------------------------- */

/* Two numbers, not both fixnums, as doubles (an Int converts, as in
 * rt/num.c): the Float case of + - * inline, with the box bump-allocated
 * in r; anything else (two fixnums that overflowed, a non-number) goes to
 * the generic operation, which raises. */
static inline bool hot_double(OVal v, double *d)
{
    if (omni_is_fix(v))
        *d = (double)omni_fixval(v);
    else if (omni_is_type(v, OT_FLOAT))
        *d = omni_float_val(v);
    else
        return false;
    return true;
}

static inline bool hot_two_doubles(OVal a, OVal b, double *x, double *y)
{
    return (a & b & 1) == 0 && hot_double(a, x) && hot_double(b, y);
}

/* The not-all-fixnums arm of compiled + - * (llvm_backend/lb_emit.c,
 * emit_fix_prim): Floats inline, the rest generic.  Kept apart from
 * omni_b_add2 and co., whose fixnum path must stay small enough to be
 * inlined everywhere. */
OMNI_HOT_FORCE_INLINE OVal omni_add2_nonfix(Region *r, const OmniLoc *loc, OVal a, OVal b)
{
    double x, y;
    if (hot_two_doubles(a, b, &x, &y))
        return omni_make_float(r, x + y);
    return omni_num_add(r, loc, a, b);
}

OMNI_HOT_FORCE_INLINE OVal omni_sub2_nonfix(Region *r, const OmniLoc *loc, OVal a, OVal b)
{
    double x, y;
    if (hot_two_doubles(a, b, &x, &y))
        return omni_make_float(r, x - y);
    return omni_num_sub(r, loc, a, b);
}

OMNI_HOT_FORCE_INLINE OVal omni_mul2_nonfix(Region *r, const OmniLoc *loc, OVal a, OVal b)
{
    double x, y;
    if (hot_two_doubles(a, b, &x, &y))
        return omni_make_float(r, x * y);
    return omni_num_mul(r, loc, a, b);
}

OVal omni_b_add2(Region *r, const OmniLoc *loc, OVal a, OVal b)
{
    int64_t s;
    if (__builtin_expect((a & b & 1) != 0, 1) &&
        !__builtin_add_overflow((int64_t)a, (int64_t)(b - 1), &s))
        return (OVal)s; /* 2x+1 + 2y = 2(x+y)+1 */
    return omni_num_add(r, loc, a, b);
}

OVal omni_b_sub2(Region *r, const OmniLoc *loc, OVal a, OVal b)
{
    int64_t s;
    if (__builtin_expect((a & b & 1) != 0, 1) &&
        !__builtin_sub_overflow((int64_t)a, (int64_t)(b - 1), &s))
        return (OVal)s; /* 2x+1 - 2y = 2(x-y)+1 */
    return omni_num_sub(r, loc, a, b);
}

OVal omni_b_mul2(Region *r, const OmniLoc *loc, OVal a, OVal b)
{
    int64_t p;
    if (__builtin_expect((a & b & 1) != 0, 1) &&
        !__builtin_mul_overflow(omni_fixval(a), (int64_t)(b - 1), &p))
        return (OVal)p + 1; /* x * 2y = 2xy, even, so +1 cannot overflow */
    return omni_num_mul(r, loc, a, b);
}

OVal omni_b_div2(Region *r, const OmniLoc *loc, OVal a, OVal b)
{
    if (__builtin_expect((a & b & 1) != 0, 1)) {
        int64_t x = omni_fixval(a), y = omni_fixval(b);
        /* y == -1 may overflow (FIX_MIN / -1): leave it to the slow path. */
        if (y != 0 && y != -1 && x % y == 0)
            return omni_fix(x / y);
    }
    return omni_num_div(r, loc, a, b);
}

OVal omni_b_neg(Region *r, const OmniLoc *loc, OVal a)
{
    int64_t s;
    if (__builtin_expect(omni_is_fix(a), 1) && !__builtin_sub_overflow((int64_t)2, (int64_t)a, &s))
        return (OVal)s; /* -(2x+1) + 2 = 2(-x)+1 */
    if (omni_is_type(a, OT_FLOAT)) /* not 0 - a: (- 0.0) is -0.0 */
        return omni_make_float(r, -OMNI_PTR(OFloat, a)->d);
    return omni_num_sub(r, loc, omni_fix(0), a);
}

/* Tagging is monotonic, so tagged fixnums compare like their values. */
#define OMNI_HOT_REL(cname, op, rel, who)                                       \
    OVal omni_b_##cname(Region *r, const OmniLoc *loc, OVal a, OVal b)          \
    {                                                                           \
        (void)r;                                                                \
        if (__builtin_expect((a & b & 1) != 0, 1))                              \
            return omni_bool((int64_t)a op (int64_t)b);                         \
        return omni_bool(omni_num_rel(loc, who, rel, a, b));                    \
    }
OMNI_HOT_REL(numeq2, ==, OMNI_REL_EQ, "=")
OMNI_HOT_REL(lt2, <, OMNI_REL_LT, "<")
OMNI_HOT_REL(gt2, >, OMNI_REL_GT, ">")
OMNI_HOT_REL(le2, <=, OMNI_REL_LE, "<=")
OMNI_HOT_REL(ge2, >=, OMNI_REL_GE, ">=")
#undef OMNI_HOT_REL

/* x / y with y ∉ {0, -1} cannot overflow; the slow path handles those. */
OVal omni_b_quot(Region *r, const OmniLoc *loc, OVal a, OVal b)
{
    if (__builtin_expect((a & b & 1) != 0, 1)) {
        int64_t y = omni_fixval(b);
        if (y != 0 && y != -1)
            return omni_fix(omni_fixval(a) / y);
    }
    return omni_num_quot(r, loc, a, b);
}

OVal omni_b_rem(Region *r, const OmniLoc *loc, OVal a, OVal b)
{
    if (__builtin_expect((a & b & 1) != 0, 1)) {
        int64_t y = omni_fixval(b);
        if (y != 0 && y != -1)
            return omni_fix(omni_fixval(a) % y);
    }
    return omni_num_rem(r, loc, a, b);
}

OVal omni_b_mod(Region *r, const OmniLoc *loc, OVal a, OVal b)
{
    if (__builtin_expect((a & b & 1) != 0, 1)) {
        int64_t y = omni_fixval(b);
        if (y != 0 && y != -1) {
            int64_t m = omni_fixval(a) % y;
            if (m != 0 && ((m ^ y) < 0))
                m += y; /* take the divisor's sign */
            return omni_fix(m);
        }
    }
    return omni_num_mod(r, loc, a, b);
}

/* ---- equality, lists ------------------------------------------------------ */

OVal omni_b_eq(Region *r, const OmniLoc *loc, OVal a, OVal b)
{
    (void)r, (void)loc;
    return omni_bool(a == b);
}

OVal omni_b_not(Region *r, const OmniLoc *loc, OVal a)
{
    (void)r, (void)loc;
    return omni_bool(!omni_truthy(a));
}

OVal omni_b_cons(Region *r, const OmniLoc *loc, OVal a, OVal b)
{
    (void)loc;
    return OMNI_PAIR_VAL(omni_pair_new_inline(r, a, b));
}

/* %pair-reserve / %pair-fill: a `cons` split in two by ir/pass_alloc_order.c
 * so the cell is allocated before the calls that compute its fields (a
 * tree is then laid out in the order it is walked).  Nothing can reach the
 * reserved cell before %pair-fill returns it, and nothing walks a region's
 * memory except from pointers (transmigration and printing follow roots;
 * there are no heap scans), so its fields are left unset until the fill,
 * which is their initialisation, not a store through the barrier; they
 * meet the same placement rule as cons's.  An error between the two halves
 * leaves an unreachable cell. */
/* n reserved cells in one bump (the backend's run of %pair-reserve in one
 * region, llvm_backend/lb_emit.c): cell k is the first + 16 k bytes (a
 * pair has no header, so a reserved cell is only its tagged address). */
OMNI_HOT_FORCE_INLINE OVal omni_pairs_reserve(Region *r, int64_t n)
{
    return OMNI_PAIR_VAL(omni_region_alloc_inline(r, (size_t)n * sizeof(OPair)));
}

OVal omni_b_pair_reserve(Region *r, const OmniLoc *loc)
{
    (void)loc;
    return omni_pairs_reserve(r, 1);
}

OVal omni_b_pair_fill(Region *r, const OmniLoc *loc, OVal p, OVal a, OVal b)
{
    (void)r;
    (void)loc;
    OPair *c = OMNI_PAIR(p);
    c->car = a;
    c->cdr = b;
    return p;
}

static inline OPair *hot_pair(const OmniLoc *loc, const char *who, OVal v)
{
    if (__builtin_expect(!omni_is_type(v, OT_PAIR), 0))
        omni_err_type(loc, who, "Pair", v);
    return OMNI_PAIR(v);
}

OVal omni_b_car(Region *r, const OmniLoc *loc, OVal a)
{
    (void)r;
    return hot_pair(loc, "car", a)->car;
}

OVal omni_b_cdr(Region *r, const OmniLoc *loc, OVal a)
{
    (void)r;
    return hot_pair(loc, "cdr", a)->cdr;
}
/* The compiler proved a a pair (an earlier car or cdr of it succeeded). */
OVal omni_b_car_known(Region *r, const OmniLoc *loc, OVal a)
{
    (void)r;
    (void)loc;
    return OMNI_PAIR(a)->car;
}
OVal omni_b_cdr_known(Region *r, const OmniLoc *loc, OVal a)
{
    (void)r;
    (void)loc;
    return OMNI_PAIR(a)->cdr;
}

OVal omni_b_cadr(Region *r, const OmniLoc *loc, OVal a)
{
    (void)r;
    return hot_pair(loc, "cadr", hot_pair(loc, "cadr", a)->cdr)->car;
}

OVal omni_b_cddr(Region *r, const OmniLoc *loc, OVal a)
{
    (void)r;
    return hot_pair(loc, "cddr", hot_pair(loc, "cddr", a)->cdr)->cdr;
}

OVal omni_b_caddr(Region *r, const OmniLoc *loc, OVal a)
{
    (void)r;
    OVal d = hot_pair(loc, "caddr", hot_pair(loc, "caddr", a)->cdr)->cdr;
    return hot_pair(loc, "caddr", d)->car;
}

/* ---- type predicates -------------------------------------------------------- */

#define OMNI_HOT_PRED(cname, test)                                   \
    OVal omni_b_##cname(Region *r, const OmniLoc *loc, OVal v)       \
    {                                                                \
        (void)r, (void)loc;                                          \
        return omni_bool(test);                                      \
    }
OMNI_HOT_PRED(pairp, omni_is_type(v, OT_PAIR))
OMNI_HOT_PRED(nullp, v == OMNI_NIL)
OMNI_HOT_PRED(intp, omni_is_fix(v))
OMNI_HOT_PRED(floatp, omni_is_type(v, OT_FLOAT))
OMNI_HOT_PRED(numberp, omni_is_fix(v) || omni_is_type(v, OT_FLOAT))
OMNI_HOT_PRED(stringp, omni_is_type(v, OT_STRING))
OMNI_HOT_PRED(charp, omni_is_char(v))
OMNI_HOT_PRED(symbolp, omni_is_type(v, OT_SYMBOL))
OMNI_HOT_PRED(boolp, v == OMNI_TRUE || v == OMNI_FALSE)
OMNI_HOT_PRED(nothingp, v == OMNI_NOTHING)
OMNI_HOT_PRED(fnp, omni_is_type(v, OT_CLOSURE))
OMNI_HOT_PRED(arrayp, omni_is_type(v, OT_ARRAY))
OMNI_HOT_PRED(dictp, omni_is_type(v, OT_DICT))
OMNI_HOT_PRED(atomp, omni_is_type(v, OT_ATOM))
OMNI_HOT_PRED(errorp, omni_is_type(v, OT_ERROR))
#undef OMNI_HOT_PRED
