/* pass_admit.c — admission: the edges no store barrier sees.
 *
 * The invariant (docs/CTRR.md, "The invariant"): a value held by an object
 * of region R — and a value handed to a call as an argument, or returned
 * — lives at least as long as R (it is an immediate, static data, or in a
 * region that outlives R, or one kept alive by a count that outlives R).
 * Stores into existing objects go through the barrier (rt/hot.c
 * omni_store).  Three kinds of edges do not, and this pass covers them:
 *
 *  1. initialising stores: a constructor (cons, list, array, dict, atom,
 *     box.new, closure.new, append, map ...) placed in %0 or in the global
 *     region writes its fields directly;
 *  2. calls: the lifetime calling convention says that the callee value
 *     and every argument of a call given result region C live at least as
 *     long as C (so a callee may take its parameters, its closure and what
 *     they hold as living as long as its %0);
 *  3. returns: a function's result lives at least as long as its %0 (so a
 *     caller may take a call's result as living as long as the region it
 *     gave the call).
 *
 * A constructor placed in one of the activation's own regions (%s, a let's
 * %L, a loop's %k) needs nothing: whatever the activation can name lives
 * at least as long as its own regions (parameters and call results by the
 * convention, its own values by the escape classes that place holders
 * with what they hold).
 *
 * Each operand of those three kinds that the pass cannot prove is passed
 * through `%t = admit %v in %r` first, and %t is used instead.  At run time
 * (rt/hot.c omni_admit) an immediate, static data or a value in a region
 * that outlives %r in the region tree is returned as it is — a compare or
 * two — and anything else is repaired exactly as a store would be
 * (rt/barrier.c): transmigrated into %r when what it reaches there is
 * immutable, else its regions are retained.
 *
 * The proof is a lifetime bound per register: the youngest region of the
 * function's region tree (static < global < %0 < %s, %k < %L ...) the
 * value is known to outlive, or unknown.  Constants are static; a global's
 * value is global; a parameter, `self` and a captured value outlive %0
 * (convention); an object made in region A, a call given A, an admit into
 * A outlive A; a field loaded from an object outlives what the object
 * outlives (the invariant); a value that may be any of several (an if's
 * result, a loop variable, `get` with a default) takes the meet of their
 * bounds.  Registers written more than once get the meet over all their
 * definitions: a greatest fixpoint.  v is proven for region P when its
 * bound is P or an ancestor of P.
 */
#include <stdlib.h>

#include "ir_internal.h"

/* Bounds: a region register of f (>= 0; 0 is %0), or one of these. */
enum { B_TOP = -1, B_STATIC = -2, B_GLOBAL = -3, B_UNKNOWN = -4 };

typedef struct Ad {
    RirFunc *f;
    RirInstr **defs;   /* single definitions (region registers' parents) */
    int32_t *parent;   /* per region register: the bound of its parent region, or B_UNKNOWN */
    int32_t *bound;    /* per value register */
    int32_t *left;     /* per value register: stamp of the region.leave that moved it to %0 */
    uint8_t *global;   /* per register: written only by region.global (region-place
                          writes one register once per block that needs it) */
    int stamp;         /* the current block's stamp */
    int nregs;
} Ad;

static bool is_region(const Ad *a, int r) { return r >= 0 && r < a->nregs && a->f->reg_kind[r] == RK_REGION; }

/* The bound of region operand r (-1 is %0). */
static int region_bound(const Ad *a, int r)
{
    if (r < 0)
        r = 0;
    if (r == 0)
        return a->f->is_entry ? B_GLOBAL : 0;
    if (!is_region(a, r))
        return B_UNKNOWN;
    const RirInstr *d = a->defs[r];
    if ((d && d->op == RIR_REGION_GLOBAL) || a->global[r])
        return B_GLOBAL;
    return r;
}

/* Does a value that outlives region x outlive region y (x ancestor-or-self of y)? */
static bool outlives(const Ad *a, int x, int y)
{
    if (x == B_TOP || x == B_STATIC || y == B_TOP)
        return true;
    if (x == B_UNKNOWN || y == B_UNKNOWN || y == B_STATIC)
        return false;
    if (x == B_GLOBAL)
        return true;
    for (int depth = 0; depth < 64 && y >= 0; depth++) {
        if (x == y)
            return true;
        if (y == 0)
            return false;
        y = a->parent[y];
    }
    return false;
}

/* A bound both x and y respect: the younger of the two, if one outlives the other. */
static int meet(const Ad *a, int x, int y)
{
    if (outlives(a, x, y))
        return y;
    if (outlives(a, y, x))
        return x;
    return B_UNKNOWN;
}

static int bound_of(const Ad *a, int v)
{
    if (v < 0 || v >= a->nregs || a->f->reg_kind[v] != RK_VALUE)
        return B_UNKNOWN;
    return a->bound[v];
}

/* The bound instruction `in` gives the register it writes. */
static int instr_bound(const Ad *a, const RirInstr *in)
{
    switch ((RirOp)in->op) {
    case RIR_CONST: case RIR_CONST_FLOAT: case RIR_CONST_STR: case RIR_CONST_SYM:
    case RIR_CONST_DATUM:
        return B_STATIC;
    case RIR_MOV: case RIR_BOX_GET:
        return in->nargs == 1 ? bound_of(a, in->args[0]) : B_UNKNOWN;
    case RIR_PARAM: case RIR_SELF: case RIR_ENV_REF:
        return a->f->is_entry ? B_UNKNOWN : 0; /* the calling convention */
    case RIR_GLOBAL_GET:
        /* the barrier keeps what a global holds in the global region or in
         * regions it retains, which are never released (docs/CTRR.md) */
        return B_GLOBAL;
    case RIR_BOX_NEW: case RIR_CLOSURE_NEW: case RIR_TRANSMIGRATE: case RIR_ADMIT:
        return region_bound(a, in->region);
    case RIR_CALL: case RIR_CALL_KNOWN:
        return region_bound(a, (in->flags & RIF_TAIL) ? 0 : in->region);
    case RIR_PRIM: {
        int b = ir_instr_allocates(in) ? region_bound(a, in->region) : B_STATIC;
        switch (ir_prim_result(in->imm)) {
        case IR_RES_FRESH:
            return b;
        case IR_RES_PART0:
            return in->nargs > 0 ? meet(a, b, bound_of(a, in->args[0])) : b;
        case IR_RES_ARGS:
            for (int k = 0; k < in->nargs; k++)
                b = meet(a, b, bound_of(a, in->args[k]));
            return b;
        case IR_RES_UNKNOWN:
            break;
        }
        return B_UNKNOWN;
    }
    default:
        return B_UNKNOWN;
    }
}

/* The greatest fixpoint of the bounds of f's value registers. */
static void compute_bounds(Ad *a)
{
    RirFunc *f = a->f;
    for (int r = 0; r < a->nregs; r++) {
        a->bound[r] = f->reg_kind[r] == RK_VALUE ? B_TOP : B_UNKNOWN;
        a->parent[r] = B_UNKNOWN;
    }
    /* the region tree: each local region's parent from its region.new */
    for (int bi = 0; bi < f->nblocks; bi++)
        for (int i = 0; i < f->blocks[bi]->n; i++) {
            const RirInstr *in = &f->blocks[bi]->instrs[i];
            if (in->op == RIR_REGION_NEW && is_region(a, in->dst) && in->dst > 0) {
                int p = region_bound(a, in->region);
                a->parent[in->dst] = p >= 0 && p != in->dst ? p : B_UNKNOWN;
            }
        }
    /* a value register never written keeps TOP: never read either */
    for (bool changed = true; changed;) {
        changed = false;
        for (int bi = 0; bi < f->nblocks; bi++)
            for (int i = 0; i < f->blocks[bi]->n; i++) {
                const RirInstr *in = &f->blocks[bi]->instrs[i];
                int d = in->dst;
                if (d < 0 || d >= a->nregs || f->reg_kind[d] != RK_VALUE)
                    continue;
                int nb = meet(a, a->bound[d], instr_bound(a, in));
                if (nb != a->bound[d]) {
                    a->bound[d] = nb;
                    changed = true;
                }
            }
    }
}

/* The operands of allocation site `in` that its new object may hold. */
static bool holds_operand(const RirInstr *in, int k)
{
    switch ((RirOp)in->op) {
    case RIR_BOX_NEW: case RIR_CLOSURE_NEW:
        return true;
    case RIR_PRIM:
        switch (ir_prim_init(in->imm)) {
        case IR_INIT_NONE: return false;
        case IR_INIT_FILL: return k >= 1;
        case IR_INIT_ARGS: return true;
        }
        return true;
    default:
        return false;
    }
}

/* The region operand k of `in` must be admitted into, or -2 if none:
 * the rules 1-3 of the header. */
static int admit_region(const Ad *a, const RirInstr *in, int k)
{
    const RirFunc *f = a->f;
    switch ((RirOp)in->op) {
    case RIR_RET:
        return f->is_entry ? -2 : 0;
    case RIR_CALL: case RIR_CALL_KNOWN:
        return (in->flags & RIF_TAIL) || in->region < 0 ? 0 : in->region;
    default:
        break;
    }
    if (!ir_instr_allocates(in) || in->op == RIR_TRANSMIGRATE || in->op == RIR_ADMIT)
        return -2;
    int rb = region_bound(a, in->region);
    bool outer = rb == B_GLOBAL || rb == 0;
    /* built-ins that call functions hand them their region and what the
     * sequences hold: the calling convention, wherever they are placed */
    bool calls = in->op == RIR_PRIM && (ir_builtins[in->imm].flags & OBF_CALLS);
    if ((!outer && !calls) || (!calls && !holds_operand(in, k)))
        return -2;
    return in->region < 0 ? 0 : in->region;
}

/* Walking a block: region.leave %k to %0 (args) has just moved its
 * arguments to %0 for the loop's kept self call (docs/CTRR.md, "Loops");
 * what they hold outside %k lives as long as %k does, so at least as long
 * as %0. */
static void note_leave(Ad *a, const RirInstr *in)
{
    if (in->op != RIR_REGION_LEAVE || in->region2 > 0)
        return;
    for (int k = 0; k < in->nargs; k++)
        if (in->args[k] > 0 && in->args[k] < a->nregs)
            a->left[in->args[k]] = a->stamp;
}

static bool needs_admit(const Ad *a, const RirInstr *in, int k, int *P)
{
    int v = in->args[k];
    if (v <= 0 || v >= a->nregs || a->f->reg_kind[v] != RK_VALUE)
        return false;
    if ((in->flags & RIF_SELFTAIL) && k > 0 && a->left[v] == a->stamp)
        return false;
    int r = admit_region(a, in, k);
    if (r == -2)
        return false;
    for (int j = 0; j < k; j++)
        if (in->args[j] == v && admit_region(a, in, j) == r)
            return false; /* one admit per value, region and instruction */
    *P = r;
    return !outlives(a, bound_of(a, v), region_bound(a, r));
}

/* Emits admit `ad` for instruction `in` at the end of block b.  A value
 * leaving by `ret` or a tail call is admitted before the region.exits that
 * precede them, while what it may reach is still alive. */
static void emit_admit(RirFunc *f, RirBlock *b, const RirInstr *ad, const RirInstr *in)
{
    bool leaving = in->op == RIR_RET ||
                   ((in->op == RIR_CALL || in->op == RIR_CALL_KNOWN) && (in->flags & RIF_TAIL));
    int at = b->n;
    while (leaving && at > 0 && b->instrs[at - 1].op == RIR_REGION_EXIT)
        at--;
    ir_insert_at(f, b, at, ad);
}

static void admit_func(RirFunc *f)
{
    Ad a = { .f = f, .nregs = f->nregs };
    a.defs = ir_single_defs(f);
    a.parent = ir_xcalloc((size_t)f->nregs + 1, sizeof *a.parent, "admission");
    a.bound = ir_xcalloc((size_t)f->nregs + 1, sizeof *a.bound, "admission");
    a.left = ir_xcalloc((size_t)f->nregs + 1, sizeof *a.left, "admission");
    a.global = ir_xcalloc((size_t)f->nregs + 1, 1, "admission");
    uint8_t *other = ir_xcalloc((size_t)f->nregs + 1, 1, "admission");
    for (int bi = 0; bi < f->nblocks; bi++)
        for (int i = 0; i < f->blocks[bi]->n; i++) {
            const RirInstr *in = &f->blocks[bi]->instrs[i];
            if (in->dst > 0 && in->dst < f->nregs) {
                if (in->op == RIR_REGION_GLOBAL)
                    a.global[in->dst] = 1;
                else
                    other[in->dst] = 1;
            }
        }
    for (int r = 0; r < f->nregs; r++)
        if (other[r])
            a.global[r] = 0;
    free(other);
    compute_bounds(&a);
    for (int bi = 0; bi < f->nblocks; bi++) {
        RirBlock *b = f->blocks[bi];
        int need = 0, P;
        a.stamp = 2 * bi + 1;
        for (int i = 0; i < b->n && !need; i++) {
            for (int k = 0; k < b->instrs[i].nargs && !need; k++)
                need = needs_admit(&a, &b->instrs[i], k, &P);
            note_leave(&a, &b->instrs[i]);
        }
        if (!need)
            continue;
        /* rebuild the block once: linear in its size */
        int n = b->n;
        RirInstr *old = b->instrs;
        b->instrs = NULL, b->n = 0, b->cap = 0;
        /* admits made in this block, reused for a value written once (its
         * one definition dominates every read) and the same region */
        int (*made)[3] = NULL;
        int nmade = 0, capmade = 0;
        a.stamp = 2 * bi + 2;
        for (int i = 0; i < n; i++) {
            RirInstr *in = &old[i];
            for (int k = 0; k < in->nargs; k++) {
                if (!needs_admit(&a, in, k, &P))
                    continue;
                int v = in->args[k], t = -1;
                for (int m = 0; m < nmade && t < 0; m++)
                    if (made[m][0] == v && made[m][1] == P)
                        t = made[m][2];
                if (t < 0) {
                    int32_t arg[1] = { v };
                    RirInstr ad = ir_instr(RIR_ADMIT, in->span);
                    ad.dst = t = ir_new_reg(f, RK_VALUE);
                    ad.region = P;
                    ad.args = arg;
                    ad.nargs = 1;
                    emit_admit(f, b, &ad, in);
                    if (a.defs[v]) {
                        if (nmade == capmade) {
                            capmade = capmade ? 2 * capmade : 8;
                            made = ir_xrealloc(made, (size_t)capmade * sizeof *made, "admission");
                        }
                        made[nmade][0] = v, made[nmade][1] = P, made[nmade][2] = t;
                        nmade++;
                    }
                }
                for (int j = k; j < in->nargs; j++)
                    if (in->args[j] == v && admit_region(&a, in, j) == P)
                        in->args[j] = t;
            }
            note_leave(&a, in);
            RirInstr copy = *in;
            RirInstr *e = ir_emit(f, b, &copy);
            e->args = in->args; /* keep the operand array (already in the arena) */
        }
        free(made);
    }
    free(a.bound);
    free(a.left);
    free(a.global);
    free(a.parent);
    free(a.defs);
}

void ir_pass_admit(RirFunc *f)
{
    admit_func(f);
}
