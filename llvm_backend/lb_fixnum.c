/* lb_fixnum.c — which values are provably fixnums.
 *
 * The hot arithmetic and comparison helpers (rt/hot.c, inlined) first test
 * both operands' fixnum tags.  Where the compiler can prove an operand is a
 * fixnum that test is wasted work, and in a recursion like binary-trees'
 * `(+ 1 (check (car t)) (check (cdr t)))` it is on every call: the callee
 * only ever returns fixnums.  This file proves it, for the registers of a
 * function, for the results and (in a sealed program) the parameters of
 * the module's functions and for the module's constant globals, and the
 * backend (lb_emit.c) then tells LLVM through `llvm.assume` that such an
 * operand's tag bit is set: the inlined tag tests fold away, the overflow
 * checks stay (an overflow still calls the generic operation, which
 * reports it with the call's location).
 *
 * A register is a fixnum when every instruction writing it makes one
 * (registers are not SSA): a fixnum constant, a copy of a fixnum, %add2
 * %sub2 %mul2 of fixnums or %neg of one (on fixnums they return a fixnum
 * or raise overflow, never a Float: rt/num.c), a parameter checked {Int}
 * or proven (below), a global.get of a sealed constant (below), or a
 * call.known of a function whose results are all fixnums.  A guarded
 * call.known counts only in a sealed program: elsewhere a later REPL input
 * may redefine the name and the guard's ordinary call may reach anything;
 * in a sealed one the global holds the known function once its define ran
 * (before, the global.get raises).  (region.carry and region.leave also
 * rewrite their operands, with moved copies: a fixnum moves to itself.)
 *
 * A function returns fixnums when every `ret` returns a fixnum register.
 *
 * Sealed programs (LbOptions.sealed: the unit is the whole program, no
 * later input defines or assigns anything) prove two more things:
 *  - a sealed constant: a global the unit defines once, in its entry, as
 *    a fixnum constant, never assigns, and that is not a built-in's name
 *    (those are bound before the program starts).  Its slot holds either
 *    UNBOUND, and global.get raises, or that constant: a global.get of it
 *    returns the constant.
 *  - parameter i of F is a fixnum when F's closure never escapes and every
 *    call.known @F passes a fixnum there.  F's body is entered through its
 *    fast entry (a call of a closure value, or call.known), or its generic
 *    entry (omni_apply, built-ins like map): all but call.known need a
 *    value of F's closure, so if every such value (closure.new @F, `self`
 *    in F, global.get of the name the entry binds to F's closure, copies)
 *    is only the callee of call.known @F, compared by eq? (a loop's guard,
 *    ir/pass_loop_carry.c) or that one global.def, F runs only from its
 *    module's call.known sites.  A guarded one whose compare fails makes
 *    the ordinary call of the same arguments, but of a value that is not
 *    F's closure (F has no free values: its only closure is the static
 *    one, lb_emit.c): F is not entered.  A loop's back edge assigns the
 *    parameter registers with `mov`s, which the register rule covers.
 *
 * All three are one greatest fixpoint over the module (optimistic, then
 * refuted until nothing changes): a recursion whose base case returns 1
 * and whose other case returns a sum of its own results is proven, and so
 * is fib's parameter, given only `(- n 1)` and a constant.  That is sound
 * by induction over the run: a value a call returns, or a call is given,
 * was computed from values that earlier calls returned or were given.  If
 * the fixpoint does not settle within FIX_MAX_ROUNDS nothing is claimed.
 */
#include "lb_internal.h"

#include <stdlib.h>
#include <string.h>

enum { FIX_YES = 1, FIX_NOT_CONST = 2 };

/* Module passes before giving up (then nothing is claimed: still sound). */
enum { FIX_MAX_ROUNDS = 64 };

static bool is_entry_fn(const RirModule *rm, const RirFunc *f)
{
    return f->is_entry || f == rm->entry;
}

static bool reg_in(const RirFunc *f, int r)
{
    return r >= 0 && r < f->nregs;
}

static bool param_checked_int(const LbFunc *lf, int64_t idx)
{
    for (int i = 0; i < lf->nchecks; i++)
        if (lf->checks[i].param == idx && lf->checks[i].ann == OMNI_ANN_INT)
            return true;
    return false;
}

bool lb_fixnum_global(const LbGen *g, const char *name, uint64_t *v)
{
    void *p = name ? lb_map_get(&g->fix_consts, name) : NULL;
    if (!p)
        return false;
    *v = (uint64_t)(uintptr_t)p; /* a fixnum is odd: never NULL */
    return true;
}

/* Does instruction `in` (writing a register) make a fixnum, given `fix`? */
static bool makes_fixnum(const LbGen *g, const RirFunc *f, const LbFunc *lf, const uint8_t *fix,
                         const RirInstr *in)
{
    uint64_t k;
    switch ((RirOp)in->op) {
    case RIR_CONST:
        return (in->imm & 1) != 0;
    case RIR_MOV: case RIR_ADMIT: /* a fixnum is admitted as it is */
        return in->nargs == 1 && reg_in(f, in->args[0]) && fix[in->args[0]];
    case RIR_PARAM:
        return !f->is_entry && (param_checked_int(lf, in->imm) ||
                                (lf->param_fix && in->imm >= 0 && in->imm < f->nparams &&
                                 lf->param_fix[in->imm]));
    case RIR_CHECK_PARAM:
        return in->imm == OMNI_ANN_INT;
    case RIR_GLOBAL_GET:
        return lb_fixnum_global(g, in->name, &k);
    case RIR_PRIM: {
        int id = (int)in->imm;
        int want = id == OMNI_BI_neg ? 1 : 2;
        if (!lb_fix_arith(id) ||
            in->nargs != want)
            return false;
        for (int a = 0; a < in->nargs; a++)
            if (!reg_in(f, in->args[a]) || !fix[in->args[a]])
                return false;
        return true;
    }
    case RIR_CALL_KNOWN:
        return in->imm >= 0 && in->imm < g->rm->nfuncs && g->funcs[in->imm].returns_fix &&
               (!(in->flags & RIF_GUARDED) || g->opt->sealed);
    default:
        return false;
    }
}

uint8_t *lb_fixnum_regs(const LbGen *g, const RirFunc *f, const LbFunc *lf)
{
    uint8_t *fix = calloc((size_t)f->nregs + 1, 1);
    if (!fix) abort();
    for (int k = 0; k < f->nblocks; k++)
        for (int i = 0; i < f->blocks[k]->n; i++) {
            const RirInstr *in = &f->blocks[k]->instrs[i];
            if (reg_in(f, in->dst))
                fix[in->dst] = FIX_YES;
        }
    for (bool changed = true; changed;) {
        changed = false;
        for (int k = 0; k < f->nblocks; k++)
            for (int i = 0; i < f->blocks[k]->n; i++) {
                const RirInstr *in = &f->blocks[k]->instrs[i];
                if (!reg_in(f, in->dst) || !fix[in->dst])
                    continue;
                if (!makes_fixnum(g, f, lf, fix, in)) {
                    fix[in->dst] = 0;
                    changed = true;
                }
            }
    }
    /* constants need no assumption: LLVM sees them (a sealed constant's
     * global.get is one too: lb_emit.c uses the value, not the load) */
    for (int k = 0; k < f->nblocks; k++)
        for (int i = 0; i < f->blocks[k]->n; i++) {
            const RirInstr *in = &f->blocks[k]->instrs[i];
            if (reg_in(f, in->dst) && fix[in->dst] && in->op != RIR_CONST && in->op != RIR_GLOBAL_GET)
                fix[in->dst] |= FIX_NOT_CONST;
        }
    return fix;
}

bool lb_fixnum_needs_assume(const uint8_t *fix, int reg)
{
    return fix && reg >= 0 && (fix[reg] & (FIX_YES | FIX_NOT_CONST)) == (FIX_YES | FIX_NOT_CONST);
}

/* ------------------------------------------------ sealed globals, escapes */

/* What the unit does with one global name. */
typedef struct FxName {
    int ndef;          /* global.def anywhere */
    bool assigned;     /* some global.set */
    int func;          /* the entry binds it once to a closure.new of this function, else -1 */
} FxName;

typedef struct FxNames {
    LbMap index;       /* name → 1 + position in ents */
    FxName *ents;
    int n, cap;
} FxNames;

static FxName *fx_name(FxNames *t, const char *name, bool add)
{
    uintptr_t i = (uintptr_t)lb_map_get(&t->index, name);
    if (i)
        return &t->ents[i - 1];
    if (!add)
        return NULL;
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 32;
        t->ents = realloc(t->ents, (size_t)t->cap * sizeof *t->ents);
        if (!t->ents) abort();
    }
    t->ents[t->n] = (FxName){ 0, false, -1 };
    lb_map_put(&t->index, name, (void *)(uintptr_t)(t->n + 1));
    return &t->ents[t->n++];
}

/* Counts the definitions and assignments of every name, then reads the
 * entry's single definitions: sealed constants go to g->fix_consts, names
 * bound to a closure.new of one function get FxName.func. */
static void find_sealed_names(LbGen *g, FxNames *t)
{
    const RirModule *rm = g->rm;
    for (int fi = 0; fi < lb_func_count(rm); fi++) {
        const RirFunc *f = lb_func_at(rm, fi);
        for (int k = 0; k < f->nblocks; k++)
            for (int i = 0; i < f->blocks[k]->n; i++) {
                const RirInstr *in = &f->blocks[k]->instrs[i];
                if ((in->op != RIR_GLOBAL_DEF && in->op != RIR_GLOBAL_SET) || !in->name)
                    continue;
                FxName *e = fx_name(t, in->name, true);
                if (in->op == RIR_GLOBAL_SET)
                    e->assigned = true;
                else
                    e->ndef++;
            }
    }
    const RirFunc *entry = rm->entry;
    const RirInstr **def = (const RirInstr **)ir_single_defs(entry);
    for (int k = 0; k < entry->nblocks; k++)
        for (int i = 0; i < entry->blocks[k]->n; i++) {
            const RirInstr *in = &entry->blocks[k]->instrs[i];
            if (in->op != RIR_GLOBAL_DEF || !in->name || in->nargs != 1 || !reg_in(entry, in->args[0]))
                continue;
            FxName *e = fx_name(t, in->name, false);
            const RirInstr *v = def[in->args[0]];
            if (!e || e->ndef != 1 || e->assigned || !v)
                continue;
            /* a register written once by a constant holds it whenever the
             * define runs, in a loop or a branch as well */
            if (v->op == RIR_CONST && (v->imm & 1) && ir_builtin_lookup(in->name) < 0)
                lb_map_put(&g->fix_consts, in->name, (void *)(uintptr_t)v->imm);
            else if (v->op == RIR_CLOSURE_NEW && v->imm >= 0 && v->imm < rm->nfuncs &&
                     !is_entry_fn(rm, rm->funcs[v->imm]))
                e->func = (int)v->imm;
        }
    free(def);
}

enum { HOLD_NONE = -1, HOLD_MANY = -2 };

/* Register r may (also) hold a closure of function v: *h becomes that, or
 * HOLD_MANY when it may hold closures of two functions, which then both
 * count as escaped (the uses are not attributed: conservative). */
static bool hold_merge(int *h, int v, uint8_t *esc)
{
    if (v == HOLD_NONE || *h == v || *h == HOLD_MANY)
        return false;
    if (*h == HOLD_NONE && v != HOLD_MANY) {
        *h = v;
        return true;
    }
    if (*h >= 0)
        esc[*h] = 1;
    if (v >= 0)
        esc[v] = 1;
    *h = HOLD_MANY;
    return true;
}

/* Which functions' closure values may reach anything but call.known of
 * that function (see the top of the file): esc[i] set.  Every operand use
 * of a register that may hold a closure of F is checked; a value of F's
 * closure is only ever made by closure.new @F, `self` in F, or read back
 * from a place it was stored to — the one global F's name (sealed, so only
 * its own define writes it) or places whose stores count as escapes. */
static void find_escapes(const LbGen *g, FxNames *t, uint8_t *esc)
{
    const RirModule *rm = g->rm;
    for (int fi = 0; fi < lb_func_count(rm); fi++) {
        const RirFunc *f = lb_func_at(rm, fi);
        bool entry = is_entry_fn(rm, f);
        int *hold = malloc(((size_t)f->nregs + 1) * sizeof *hold);
        if (!hold) abort();
        for (int r = 0; r <= f->nregs; r++)
            hold[r] = HOLD_NONE;
        for (bool changed = true; changed;) {
            changed = false;
            for (int k = 0; k < f->nblocks; k++)
                for (int i = 0; i < f->blocks[k]->n; i++) {
                    const RirInstr *in = &f->blocks[k]->instrs[i];
                    if (!reg_in(f, in->dst))
                        continue;
                    int v = HOLD_NONE;
                    const FxName *e;
                    if (in->op == RIR_CLOSURE_NEW && in->imm >= 0 && in->imm < rm->nfuncs)
                        v = (int)in->imm;
                    else if (in->op == RIR_SELF && !entry && f->index >= 0 && f->index < rm->nfuncs &&
                             rm->funcs[f->index] == f)
                        v = f->index;
                    else if (in->op == RIR_SELF && !entry)
                        v = HOLD_MANY; /* not where the module lists it: do not guess */
                    else if (in->op == RIR_GLOBAL_GET && in->name && (e = fx_name(t, in->name, false)) &&
                             e->func >= 0)
                        v = e->func;
                    else if (in->op == RIR_MOV && in->nargs == 1 && reg_in(f, in->args[0]))
                        v = hold[in->args[0]];
                    changed |= hold_merge(&hold[in->dst], v, esc);
                }
        }
        for (int k = 0; k < f->nblocks; k++)
            for (int i = 0; i < f->blocks[k]->n; i++) {
                const RirInstr *in = &f->blocks[k]->instrs[i];
                for (int a = 0; a < in->nargs; a++) {
                    if (!reg_in(f, in->args[a]))
                        continue;
                    int h = hold[in->args[a]];
                    if (h < 0) /* none, or several: those escaped already */
                        continue;
                    const FxName *e;
                    bool ok = in->op == RIR_MOV ||                                   /* followed above */
                              (in->op == RIR_PRIM && in->imm == OMNI_BI_eq) ||       /* a boolean */
                              (in->op == RIR_CALL_KNOWN && a == 0 && in->imm == h) ||
                              (in->op == RIR_GLOBAL_DEF && entry && in->name &&     /* its own name */
                               (e = fx_name(t, in->name, false)) && e->func == h) ||
                              /* moved in place: the register still holds F's closure */
                              in->op == RIR_REGION_CARRY || in->op == RIR_REGION_LEAVE;
                    if (!ok)
                        esc[h] = 1;
                }
            }
        free(hold);
    }
}

/* ------------------------------------------------ the module fixpoint */

static void claim_nothing(LbGen *g)
{
    const RirModule *rm = g->rm;
    for (int i = 0; i < rm->nfuncs; i++) {
        g->funcs[i].returns_fix = false;
        free(g->funcs[i].param_fix);
        g->funcs[i].param_fix = NULL;
    }
}

/* One pass over f with the current claims: refutes f's result claim if a
 * `ret` is not a fixnum, and the parameter claims of every callee of
 * f's call.known that is given a value not proven a fixnum there. */
static bool refute(LbGen *g, int fi)
{
    const RirModule *rm = g->rm;
    const RirFunc *f = lb_func_at(rm, fi);
    uint8_t *fix = lb_fixnum_regs(g, f, &g->funcs[fi]);
    bool changed = false;
    for (int k = 0; k < f->nblocks; k++)
        for (int i = 0; i < f->blocks[k]->n; i++) {
            const RirInstr *in = &f->blocks[k]->instrs[i];
            if (in->op == RIR_RET && fi < rm->nfuncs && g->funcs[fi].returns_fix &&
                !(in->nargs == 1 && reg_in(f, in->args[0]) && fix[in->args[0]])) {
                g->funcs[fi].returns_fix = false;
                changed = true;
            }
            if (in->op != RIR_CALL_KNOWN || in->imm < 0 || in->imm >= rm->nfuncs)
                continue;
            uint8_t *pf = g->funcs[in->imm].param_fix;
            for (int p = 0; pf && p < rm->funcs[in->imm]->nparams; p++) {
                int r = p + 1 < in->nargs ? in->args[p + 1] : -1;
                if (pf[p] && !(reg_in(f, r) && fix[r])) {
                    pf[p] = 0;
                    changed = true;
                }
            }
        }
    free(fix);
    return changed;
}

void lb_find_fixnum_returns(LbGen *g)
{
    const RirModule *rm = g->rm;
    uint8_t *esc = calloc((size_t)rm->nfuncs + 1, 1);
    if (!esc) abort();
    if (g->opt->sealed) {
        FxNames t = { 0 };
        find_sealed_names(g, &t);
        find_escapes(g, &t, esc);
        lb_map_free(&t.index);
        free(t.ents);
    }
    for (int i = 0; i < rm->nfuncs; i++) {
        const RirFunc *f = rm->funcs[i];
        g->funcs[i].returns_fix = !is_entry_fn(rm, f);
        /* optimistic for the parameters of a function only call.known can
         * enter (never claimed outside a sealed program) */
        if (g->opt->sealed && !is_entry_fn(rm, f) && !esc[i] && f->nparams > 0) {
            g->funcs[i].param_fix = malloc((size_t)f->nparams);
            if (!g->funcs[i].param_fix) abort();
            memset(g->funcs[i].param_fix, 1, (size_t)f->nparams);
        }
    }
    free(esc);
    bool changed = true;
    for (int round = 0; changed && round < FIX_MAX_ROUNDS; round++) {
        changed = false;
        for (int fi = 0; fi < lb_func_count(rm); fi++)
            changed |= refute(g, fi);
    }
    if (changed) /* not settled: claim nothing */
        claim_nothing(g);
}

void lb_fixnum_free(LbGen *g)
{
    if (g->funcs)
        claim_nothing(g);
    lb_map_free(&g->fix_consts);
}

void lb_assume_fixnum(LbGen *g, LLVMValueRef v)
{
    unsigned id = LLVMLookupIntrinsicID("llvm.assume", 11);
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(g->mod, id, NULL, 0);
    LLVMValueRef tag = LLVMBuildAnd(g->b, v, lb_i64(g, 1), "");
    LLVMValueRef cond = LLVMBuildICmp(g->b, LLVMIntNE, tag, lb_i64(g, 0), "");
    LLVMBuildCall2(g->b, LLVMGlobalGetValueType(fn), fn, &cond, 1, "");
}
