/* pass_admit.c — admission: the initialising stores of constructors whose
 * object outlives the activation.
 *
 * The invariant (docs/CTRR.md, "The invariant"): an object of region R
 * holds only immediates, static data, pointers into regions that outlive
 * R, or pointers counted by Region-RC.  A constructor (cons, list, array,
 * dict, atom, box.new, closure.new, append, map ...) writes its fields
 * without the store barrier.  Placed in the activation's own regions (%s,
 * a let's %L, a loop's %k) that is safe for any value the activation can
 * name: whatever was made outside the activation outlives it, and what it
 * made itself is placed by the escape classes together with the objects
 * holding it.  Placed in %0 or in the global region, the object outlives
 * the activation, and a value whose region is not known (a parameter, a
 * captured value, a global's value, a call result, anything loaded from
 * them) may live in a region that dies first: the field would dangle.
 *
 * So every such operand the pass cannot prove safe is passed through
 * `%t = admit %v in %r` before the constructor, which uses %t instead.
 * At run time (rt/hot.c omni_admit) an immediate, static data or a value
 * in a region that outlives %r is returned as it is (one compare in the
 * common cases), anything else is repaired exactly like a store through
 * the barrier (rt/barrier.c): transmigrated into %r when what it reaches
 * there is immutable, else its regions are retained.
 *
 * Proven (no admit): constants; an object allocated in %r itself or in
 * the global region; an admitted value; the result of an allocating
 * built-in whose result is fresh (ir_prim_result_fresh) made in %r or the
 * global region; the result of a known call given %r whose callee is
 * fresh-result.  A function is fresh-result when everything it returns is
 * proven relative to its own %0 and its tail calls go to fresh-result
 * functions directly: its result then lives in the region it is given or
 * one that outlives it.  That is a greatest fixpoint over the module.  A
 * guarded call.known relied on this way is flagged RIF_ADMIT_RESULT: when
 * its guard fails (the global was redefined), the ordinary call's result
 * is admitted by the backend, so the fact holds on both arms.
 */
#include <stdlib.h>

#include "ir_internal.h"

typedef struct Ad {
    const RirModule *m;
    uint8_t *fresh;       /* per function: fresh-result (greatest fixpoint) */
    int nregs;            /* registers of the function being rewritten before its admits */
} Ad;

static int norm(int r) { return r < 0 ? 0 : r; }

/* Does region register r of f hold the global region? */
static bool is_global_reg(const RirFunc *f, RirInstr **defs, int r)
{
    if (r == 0)
        return f->is_entry; /* the entry runs with the global region as %0 */
    return r > 0 && r < f->nregs && defs[r] && defs[r]->op == RIR_REGION_GLOBAL;
}

/* Does an object of region register `have` outlive one of `want`? */
static bool region_ok(const RirFunc *f, RirInstr **defs, int have, int want)
{
    have = norm(have), want = norm(want);
    return have == want || is_global_reg(f, defs, have);
}

/* Is register v, where it is read, provably an immediate, static, or in a
 * region that outlives region register P?  mark: flag the guarded calls
 * relied on. */
static bool proven(Ad *a, const RirFunc *f, RirInstr **defs, int v, int P, bool mark, int depth)
{
    if (v <= 0 || v >= f->nregs || depth > 32)
        return false;
    RirInstr *d = defs[v];
    if (!d)
        return false; /* several definitions (an if's result, a loop variable) or none */
    switch ((RirOp)d->op) {
    case RIR_CONST: case RIR_CONST_FLOAT: case RIR_CONST_STR: case RIR_CONST_SYM:
    case RIR_CONST_DATUM:
        return true;
    case RIR_MOV:
        return d->nargs == 1 && proven(a, f, defs, d->args[0], P, mark, depth + 1);
    case RIR_BOX_NEW: case RIR_CLOSURE_NEW: case RIR_TRANSMIGRATE: case RIR_ADMIT:
        return region_ok(f, defs, d->region, P);
    case RIR_PRIM:
        if (!ir_prim_result_fresh(d->imm))
            return false;
        return !ir_instr_allocates(d) || region_ok(f, defs, d->region, P);
    case RIR_CALL_KNOWN:
        if ((d->flags & RIF_TAIL) || d->imm < 0 || d->imm >= a->m->nfuncs || !a->fresh[d->imm] ||
            !region_ok(f, defs, d->region, P))
            return false;
        if (mark && (d->flags & RIF_GUARDED))
            d->flags |= RIF_ADMIT_RESULT;
        return true;
    default:
        return false; /* parameters, captures, globals, loads, unknown calls */
    }
}

/* One fixpoint step for f: is it still fresh-result? */
static bool still_fresh(Ad *a, const RirFunc *f, RirInstr **defs)
{
    for (int bi = 0; bi < f->nblocks; bi++) {
        const RirBlock *b = f->blocks[bi];
        for (int i = 0; i < b->n; i++) {
            const RirInstr *in = &b->instrs[i];
            if (in->op == RIR_RET && !proven(a, f, defs, in->nargs ? in->args[0] : -1, 0, false, 0))
                return false;
            if ((in->op == RIR_CALL || in->op == RIR_CALL_KNOWN) && (in->flags & RIF_TAIL) &&
                (in->op == RIR_CALL || (in->flags & RIF_GUARDED) || in->imm < 0 ||
                 in->imm >= a->m->nfuncs || !a->fresh[in->imm]))
                return false;
        }
    }
    return true;
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

/* Does site `in` need admission of operand k (region P)?  Flags the
 * guarded calls relied on. */
static bool needs_admit(Ad *a, const RirFunc *f, RirInstr **defs, const RirInstr *in, int k, int P)
{
    int v = in->args[k];
    if (!holds_operand(in, k) || v <= 0 || v >= a->nregs || f->reg_kind[v] != RK_VALUE)
        return false;
    for (int j = 0; j < k; j++)
        if (in->args[j] == v && holds_operand(in, j))
            return false; /* one admit per value and site */
    return !proven(a, f, defs, v, P, true, 0);
}

/* The region an allocation site outside the activation's own regions
 * allocates in (its register), or -1 for the activation's own. */
static int outer_region(const RirFunc *f, RirInstr **defs, const RirInstr *in)
{
    if (!ir_instr_allocates(in) || in->op == RIR_TRANSMIGRATE || in->op == RIR_ADMIT)
        return -1;
    int P = norm(in->region);
    return P == 0 || is_global_reg(f, defs, P) ? P : -1;
}

static void admit_func(Ad *a, RirFunc *f)
{
    RirInstr **defs = ir_single_defs(f);
    a->nregs = f->nregs; /* an admit's own register is never admitted again */
    /* decide everything first (defs point into the blocks), then rebuild
     * each block that gets admits once: linear in the function */
    int nblocks = f->nblocks;
    int *count = ir_xcalloc((size_t)nblocks + 1, sizeof *count, "admission");
    uint8_t **need = ir_xcalloc((size_t)nblocks + 1, sizeof *need, "admission");
    for (int bi = 0; bi < nblocks; bi++) {
        RirBlock *b = f->blocks[bi];
        for (int i = 0; i < b->n; i++) {
            RirInstr *in = &b->instrs[i];
            int P = outer_region(f, defs, in);
            if (P < 0)
                continue;
            for (int k = 0; k < in->nargs; k++)
                if (needs_admit(a, f, defs, in, k, P)) {
                    if (!need[bi])
                        need[bi] = ir_xcalloc((size_t)b->n, 1, "admission");
                    need[bi][i] = 1;
                    count[bi]++;
                }
        }
    }
    for (int bi = 0; bi < nblocks; bi++) {
        if (!count[bi])
            continue;
        RirBlock *b = f->blocks[bi];
        int n = b->n;
        RirInstr *old = b->instrs;
        b->instrs = NULL, b->n = 0, b->cap = 0;
        /* admits made in this block: a value written once (its one
         * definition dominates every read) is admitted once per region */
        int (*made)[3] = ir_xcalloc((size_t)count[bi] + 1, sizeof *made, "admission");
        int nmade = 0;
        for (int i = 0; i < n; i++) {
            RirInstr *in = &old[i];
            if (need[bi][i]) {
                int P = outer_region(f, defs, in);
                for (int k = 0; k < in->nargs; k++) {
                    if (!needs_admit(a, f, defs, in, k, P))
                        continue;
                    int v = in->args[k], t = -1;
                    for (int m = 0; m < nmade && t < 0; m++)
                        if (made[m][0] == v && made[m][1] == P)
                            t = made[m][2];
                    if (t >= 0) {
                        for (int j = k; j < in->nargs; j++)
                            if (in->args[j] == v && holds_operand(in, j))
                                in->args[j] = t;
                        continue;
                    }
                    int32_t arg[1] = { v };
                    RirInstr ad = ir_instr(RIR_ADMIT, in->span);
                    ad.dst = ir_new_reg(f, RK_VALUE);
                    ad.region = P;
                    ad.args = arg;
                    ad.nargs = 1;
                    ir_emit(f, b, &ad);
                    if (defs[v]) {
                        made[nmade][0] = v, made[nmade][1] = P, made[nmade][2] = ad.dst;
                        nmade++;
                    }
                    for (int j = k; j < in->nargs; j++)
                        if (in->args[j] == v && holds_operand(in, j))
                            in->args[j] = ad.dst;
                }
            }
            RirInstr copy = *in;
            RirInstr *e = ir_emit(f, b, &copy);
            e->args = in->args; /* keep the operand array (already in the arena) */
        }
        free(made);
        free(need[bi]);
    }
    free(need);
    free(count);
    free(defs);
}

void ir_pass_admit(RirModule *m)
{
    Ad a = { .m = m, .fresh = ir_xcalloc((size_t)m->nfuncs + 1, 1, "admission") };
    RirInstr ***defs = ir_xcalloc((size_t)m->nfuncs + 1, sizeof *defs, "admission");
    for (int i = 0; i < m->nfuncs; i++) {
        a.fresh[i] = !m->funcs[i]->is_entry;
        defs[i] = ir_single_defs(m->funcs[i]);
    }
    for (bool changed = true; changed;) {
        changed = false;
        for (int i = 0; i < m->nfuncs; i++)
            if (a.fresh[i] && !still_fresh(&a, m->funcs[i], defs[i])) {
                a.fresh[i] = 0;
                changed = true;
            }
    }
    for (int i = 0; i < m->nfuncs; i++)
        free(defs[i]);
    free(defs);
    for (int i = 0; i < m->nfuncs; i++)
        admit_func(&a, m->funcs[i]);
    free(a.fresh);
}
