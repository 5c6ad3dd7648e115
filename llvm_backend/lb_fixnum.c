/* lb_fixnum.c — which values are provably fixnums.
 *
 * The hot arithmetic and comparison helpers (rt/hot.c, inlined) first test
 * both operands' fixnum tags.  Where the compiler can prove an operand is a
 * fixnum that test is wasted work, and in a recursion like binary-trees'
 * `(+ 1 (check (car t)) (check (cdr t)))` it is on every call: the callee
 * only ever returns fixnums.  This file proves it, for the registers of a
 * function and for the results of the module's functions, and the backend
 * (lb_emit.c) then tells LLVM through `llvm.assume` that such an operand's
 * tag bit is set: the inlined tag tests fold away, the overflow checks stay
 * (an overflow still calls the generic operation, which reports it with
 * the call's location).
 *
 * A register is a fixnum when every instruction writing it makes one
 * (registers are not SSA): a fixnum constant, a copy of a fixnum, %add2
 * %sub2 %mul2 of fixnums or %neg of one (on fixnums they return a fixnum
 * or raise overflow, never a Float: rt/num.c), a parameter checked {Int},
 * or a call.known of a function whose results are all fixnums.  A guarded
 * call.known counts only in a sealed program: elsewhere a later REPL input
 * may redefine the name and the guard's ordinary call may reach anything;
 * in a sealed one the global holds the known function once its define ran
 * (before, the global.get raises).
 *
 * A function returns fixnums when every `ret` returns a fixnum register.
 * Both are greatest fixpoints (optimistic, then refuted): a recursion whose
 * base case returns 1 and whose other case returns a sum of its own results
 * is proven, which is sound because a value a call returns was computed
 * from values that earlier, finished calls returned.
 */
#include "lb_internal.h"

#include <stdlib.h>

enum { FIX_YES = 1, FIX_NOT_CONST = 2 };

/* Module passes before giving up (then nothing is claimed: still sound). */
enum { FIX_MAX_ROUNDS = 64 };

static bool param_checked_int(const LbFunc *lf, int64_t idx)
{
    for (int i = 0; i < lf->nchecks; i++)
        if (lf->checks[i].param == idx && lf->checks[i].ann == OMNI_ANN_INT)
            return true;
    return false;
}

/* Does instruction `in` (writing a register) make a fixnum, given `fix`? */
static bool makes_fixnum(const LbGen *g, const RirFunc *f, const LbFunc *lf, const uint8_t *fix,
                         const RirInstr *in)
{
    switch ((RirOp)in->op) {
    case RIR_CONST:
        return (in->imm & 1) != 0;
    case RIR_MOV:
        return in->nargs == 1 && in->args[0] >= 0 && in->args[0] < f->nregs && fix[in->args[0]];
    case RIR_PARAM:
        return !f->is_entry && param_checked_int(lf, in->imm);
    case RIR_CHECK_PARAM:
        return in->imm == OMNI_ANN_INT;
    case RIR_PRIM: {
        int id = (int)in->imm;
        int want = id == OMNI_BI_neg ? 1 : 2;
        if ((id != OMNI_BI_add2 && id != OMNI_BI_sub2 && id != OMNI_BI_mul2 && id != OMNI_BI_neg) ||
            in->nargs != want)
            return false;
        for (int a = 0; a < in->nargs; a++)
            if (in->args[a] < 0 || in->args[a] >= f->nregs || !fix[in->args[a]])
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
            if (in->dst >= 0 && in->dst < f->nregs)
                fix[in->dst] = FIX_YES;
        }
    for (bool changed = true; changed;) {
        changed = false;
        for (int k = 0; k < f->nblocks; k++)
            for (int i = 0; i < f->blocks[k]->n; i++) {
                const RirInstr *in = &f->blocks[k]->instrs[i];
                if (in->dst < 0 || in->dst >= f->nregs || !fix[in->dst])
                    continue;
                if (!makes_fixnum(g, f, lf, fix, in)) {
                    fix[in->dst] = 0;
                    changed = true;
                }
            }
    }
    /* constants need no assumption: LLVM sees them */
    for (int k = 0; k < f->nblocks; k++)
        for (int i = 0; i < f->blocks[k]->n; i++) {
            const RirInstr *in = &f->blocks[k]->instrs[i];
            if (in->dst >= 0 && in->dst < f->nregs && fix[in->dst] && in->op != RIR_CONST)
                fix[in->dst] |= FIX_NOT_CONST;
        }
    return fix;
}

bool lb_fixnum_needs_assume(const uint8_t *fix, int reg)
{
    return fix && reg >= 0 && (fix[reg] & (FIX_YES | FIX_NOT_CONST)) == (FIX_YES | FIX_NOT_CONST);
}

static bool returns_only_fixnums(const LbGen *g, const RirFunc *f, const LbFunc *lf)
{
    uint8_t *fix = lb_fixnum_regs(g, f, lf);
    bool ok = true;
    for (int k = 0; k < f->nblocks && ok; k++)
        for (int i = 0; i < f->blocks[k]->n && ok; i++) {
            const RirInstr *in = &f->blocks[k]->instrs[i];
            if (in->op == RIR_RET)
                ok = in->nargs == 1 && in->args[0] >= 0 && in->args[0] < f->nregs && fix[in->args[0]];
        }
    free(fix);
    return ok;
}

void lb_find_fixnum_returns(LbGen *g)
{
    const RirModule *rm = g->rm;
    for (int i = 0; i < rm->nfuncs; i++)
        g->funcs[i].returns_fix = !rm->funcs[i]->is_entry && rm->funcs[i] != rm->entry;
    bool changed = true;
    for (int round = 0; changed && round < FIX_MAX_ROUNDS; round++) {
        changed = false;
        for (int i = 0; i < rm->nfuncs; i++)
            if (g->funcs[i].returns_fix && !returns_only_fixnums(g, rm->funcs[i], &g->funcs[i])) {
                g->funcs[i].returns_fix = false;
                changed = true;
            }
    }
    if (changed) /* not settled: claim nothing */
        for (int i = 0; i < rm->nfuncs; i++)
            g->funcs[i].returns_fix = false;
}

void lb_assume_fixnum(LbGen *g, LLVMValueRef v)
{
    unsigned id = LLVMLookupIntrinsicID("llvm.assume", 11);
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(g->mod, id, NULL, 0);
    LLVMValueRef tag = LLVMBuildAnd(g->b, v, lb_i64(g, 1), "");
    LLVMValueRef cond = LLVMBuildICmp(g->b, LLVMIntNE, tag, lb_i64(g, 0), "");
    LLVMBuildCall2(g->b, LLVMGlobalGetValueType(fn), fn, &cond, 1, "");
}
