/* lb_facts.c — what the backend works out about a function before it
 * emits it: which region registers are lazy (and which of those nothing
 * ever makes), which may hold a pending handle, which global reads are a
 * function's own name; and, over the whole module, which functions put
 * nothing in their result region, which are split into a resolving entry
 * and a body, and which are unrolled one level.  Only reads Region IR;
 * lb_emit.c turns the answers into code.
 */
#include "lb_internal.h"

#include <stdlib.h>
#include <string.h>

/* Region registers that may hold a pending handle: %0 (a compiled
 * function's result region comes from its caller) and plain copies of
 * it.  Lazy registers are cells and answer for themselves. */
void lb_find_maybe_pending(LbGen *g, const RirFunc *f)
{
    g->maybe_pending = calloc((size_t)f->nregs + 1, 1);
    if (!g->maybe_pending) abort();
    g->maybe_pending[0] = !f->is_entry;
    for (bool changed = true; changed;) {
        changed = false;
        for (int k = 0; k < f->nblocks; k++)
            for (int i = 0; i < f->blocks[k]->n; i++) {
                const RirInstr *in = &f->blocks[k]->instrs[i];
                if (in->op == RIR_MOV && in->nargs == 1 && in->dst > 0 && in->dst < f->nregs &&
                    in->args[0] >= 0 && in->args[0] < f->nregs && f->reg_kind[in->dst] == RK_REGION &&
                    g->maybe_pending[in->args[0]] && !g->maybe_pending[in->dst]) {
                    g->maybe_pending[in->dst] = 1;
                    changed = true;
                }
            }
    }
}

/* Which region registers are lazy: those made by `region.new` (of %0, or
 * of a let region's parent), and
 * copies of them (mov, region.carry results), found by a fixpoint. */
void lb_find_lazy_regions(LbGen *g, const RirFunc *f)
{
    g->lazy_new = calloc((size_t)f->nregs, sizeof *g->lazy_new);
    if (!g->lazy_new) abort();
    bool changed = true;
    while (changed) {
        changed = false;
        for (int k = 0; k < f->nblocks; k++)
            for (int i = 0; i < f->blocks[k]->n; i++) {
                const RirInstr *in = &f->blocks[k]->instrs[i];
                const RirInstr *src = NULL;
                if (in->dst <= 0 || in->dst >= f->nregs || f->reg_kind[in->dst] != RK_REGION)
                    continue;
                if (in->op == RIR_REGION_NEW && in->region >= 0)
                    src = in;
                else if (in->op == RIR_MOV && in->nargs == 1 && in->args[0] > 0 && in->args[0] < f->nregs)
                    src = g->lazy_new[in->args[0]];
                else if (in->op == RIR_REGION_CARRY && in->region > 0 && in->region < f->nregs)
                    src = g->lazy_new[in->region];
                if (src && !g->lazy_new[in->dst]) {
                    g->lazy_new[in->dst] = src;
                    changed = true;
                }
            }
    }
    /* a register also written by anything else stays eager */
    for (int k = 0; k < f->nblocks; k++)
        for (int i = 0; i < f->blocks[k]->n; i++) {
            const RirInstr *in = &f->blocks[k]->instrs[i];
            if (in->dst <= 0 || in->dst >= f->nregs || !g->lazy_new[in->dst])
                continue;
            bool ok = (in->op == RIR_REGION_NEW && in->region >= 0) ||
                      (in->op == RIR_MOV && in->nargs == 1 && lb_lazy_region(g, in->args[0])) ||
                      (in->op == RIR_REGION_CARRY && lb_lazy_region(g, in->region));
            if (!ok)
                g->lazy_new[in->dst] = NULL;
        }
}

/* A lazy region that nothing can ever make: its only users are its
 * region.exit and known calls of result-free callees, which are given the
 * caller's %0 instead (build_call_known).  Such a region needs no cell,
 * no handle and no exit test: fib-like code whose calls return numbers
 * into a region they never use pays nothing for it. */
void lb_find_unused_lazy(LbGen *g, const RirFunc *f)
{
    g->unused_lazy = calloc((size_t)f->nregs + 1, 1);
    if (!g->unused_lazy) abort();
    for (int r = 1; r < f->nregs; r++)
        g->unused_lazy[r] = lb_lazy_region(g, r);
    for (int k = 0; k < f->nblocks; k++)
        for (int i = 0; i < f->blocks[k]->n; i++) {
            const RirInstr *in = &f->blocks[k]->instrs[i];
            bool exit = in->op == RIR_REGION_EXIT;
            /* a guarded call's fallback may run any function (a REPL
             * redefinition), which must get the real region: only in a
             * sealed program is that fallback dead */
            bool free_call = in->op == RIR_CALL_KNOWN && in->imm >= 0 && in->imm < g->rm->nfuncs &&
                             g->funcs[in->imm].result_free && !g->rm->funcs[in->imm]->has_rest &&
                             (g->opt->sealed || !(in->flags & RIF_GUARDED));
            int uses[3] = { in->region, in->region2, in->op == RIR_REGION_NEW ? -1 : in->dst };
            for (int u = 0; u < 3; u++)
                if (uses[u] > 0 && uses[u] < f->nregs && !(u == 0 && (exit || free_call)))
                    g->unused_lazy[uses[u]] = 0;
            for (int a = 0; a < in->nargs; a++)
                if (in->args[a] > 0 && in->args[a] < f->nregs && !(exit && a == 0))
                    g->unused_lazy[in->args[a]] = 0;
        }
}

/* A function's own global is bound while its body runs: known-calls
 * (ir/pass_known_calls.c) makes a call.known @f only for a name the unit
 * defines once, as f's closure, and that closure cannot run before the
 * global.def that follows its closure.new; a global is never unbound
 * again.  So a global.get whose value only feeds f's own guarded self
 * calls as their callee (or the `eq?` with `self` of a loop's guard) needs
 * no unbound check: it is loaded plainly.
 *
 * In a sealed program (LbOptions.sealed: the unit is the whole program)
 * nothing else ever defines or assigns that name, so while f runs its
 * global holds f's static closure: such a global.get that feeds at least
 * one self call (g->callee_self) is that constant, not a load, and the
 * self calls are direct (emit_call_known). */
void lb_find_callee_gets(LbGen *g, const RirFunc *f)
{
    g->callee_get = calloc((size_t)f->nregs, sizeof *g->callee_get);
    g->callee_self = calloc((size_t)f->nregs, 1);
    g->guard_only = calloc((size_t)f->nregs, 1);
    uint8_t *other_use = calloc((size_t)f->nregs, 1);
    if (!g->guard_only || !other_use) abort();
    uint8_t *bad = calloc((size_t)f->nregs, 1), *is_self = calloc((size_t)f->nregs, 1);
    int *defs = calloc((size_t)f->nregs, sizeof *defs);
    if (!g->callee_get || !g->callee_self || !bad || !is_self || !defs) abort();
    for (int k = 0; k < f->nblocks; k++)
        for (int i = 0; i < f->blocks[k]->n; i++) {
            const RirInstr *in = &f->blocks[k]->instrs[i];
            if (in->dst > 0 && in->dst < f->nregs) {
                defs[in->dst]++;
                if (in->op == RIR_GLOBAL_GET)
                    g->callee_get[in->dst] = in;
                if (in->op == RIR_SELF)
                    is_self[in->dst] = 1;
            }
            bool guard_eq = in->op == RIR_PRIM && in->imm == OMNI_BI_eq && in->nargs == 2;
            for (int a = 0; a < in->nargs; a++) {
                int r = in->args[a];
                if (r <= 0 || r >= f->nregs)
                    continue;
                bool guarded_callee = in->op == RIR_CALL_KNOWN && (in->flags & RIF_GUARDED) && a == 0;
                if (!guarded_callee)
                    other_use[r] = 1;
                bool self_call = guarded_callee && in->imm == f->index;
                if (!self_call && !guard_eq)
                    bad[r] = 1;
                if (self_call)
                    g->callee_self[r] = 1;
            }
        }
    /* the eq? must compare with `self` */
    for (int k = 0; k < f->nblocks; k++)
        for (int i = 0; i < f->blocks[k]->n; i++) {
            const RirInstr *in = &f->blocks[k]->instrs[i];
            if (!(in->op == RIR_PRIM && in->imm == OMNI_BI_eq && in->nargs == 2))
                continue;
            for (int a = 0; a < 2; a++) {
                int r = in->args[a], o = in->args[1 - a];
                bool other_self = o > 0 && o < f->nregs && is_self[o] && defs[o] == 1;
                if (r > 0 && r < f->nregs && !other_self)
                    bad[r] = 1;
            }
        }
    for (int r = 0; r < f->nregs; r++) {
        g->guard_only[r] = !other_use[r] && defs[r] == 1;
        if (bad[r] || defs[r] != 1)
            g->callee_get[r] = NULL;
        if (!g->callee_get[r] || !g->opt->sealed || f->is_entry)
            g->callee_self[r] = 0;
    }
    free(bad);
    free(other_use);
    free(is_self);
    free(defs);
}

/* A function whose %0 may be a pending handle resolves it before it
 * allocates there: one bit test per activation.  A recursion that builds
 * its result (binary-trees' make) pays it at every level, though after the
 * first level it only ever hands its own, resolved, %0 to itself.  Such a
 * function is split: `body` (what every other caller, the closure and the
 * generic entry reach) resolves %0 and jumps (musttail) to `inner`, the
 * body proper, where %0 is known to be a region; self calls handing on %0
 * call `inner` directly.  Split: a function that calls itself with %0 and
 * allocates in %0 on every path to its returns (else the resolving entry
 * would cost the paths that never needed %0, deriv's leaves). */
static bool allocs_in_0(const RirInstr *in)
{
    if (in->region > 0)
        return false;
    if (in->op == RIR_BOX_NEW)
        return true;
    /* + - * resolve only off the fixnum path */
    return in->op == RIR_PRIM && (lb_builtin_flags((int)in->imm) & OBF_ALLOC) && !lb_fix_arith(in->imm);
}

bool lb_wants_inner(const RirModule *rm, const RirFunc *f, int idx)
{
    if (f->is_entry || f == rm->entry || f->has_rest || f->nblocks < 1)
        return false;
    bool self = false;
    int maxid = 0;
    for (int k = 0; k < f->nblocks; k++) {
        if (f->blocks[k]->id > maxid)
            maxid = f->blocks[k]->id;
        for (int i = 0; i < f->blocks[k]->n; i++) {
            const RirInstr *in = &f->blocks[k]->instrs[i];
            self |= in->op == RIR_CALL_KNOWN && in->imm == idx && in->region <= 0;
        }
    }
    if (!self)
        return false;
    /* must[b]: every path from the entry to b's end allocated in %0 (a
     * greatest fixpoint: optimistic, refuted along the edges) */
    int nb = maxid + 1;
    uint8_t *must = malloc((size_t)nb), *in_ok = malloc((size_t)nb);
    if (!must || !in_ok) abort();
    memset(must, 1, (size_t)nb);
    for (bool changed = true; changed;) {
        changed = false;
        memset(in_ok, 1, (size_t)nb);
        in_ok[f->blocks[0]->id >= 0 ? f->blocks[0]->id : 0] = 0; /* nothing before the entry */
        for (int k = 0; k < f->nblocks; k++) {
            const RirBlock *b = f->blocks[k];
            if (b->n == 0 || b->id < 0)
                continue;
            const RirInstr *t = &b->instrs[b->n - 1];
            int ns = t->op == RIR_JMP ? 1 : t->op == RIR_BR ? 2 : 0;
            for (int s = 0; s < ns; s++)
                if (t->target[s] >= 0 && t->target[s] < nb && !must[b->id])
                    in_ok[t->target[s]] = 0;
        }
        for (int k = 0; k < f->nblocks; k++) {
            const RirBlock *b = f->blocks[k];
            if (b->id < 0)
                continue;
            bool m = in_ok[b->id];
            for (int i = 0; i < b->n && !m; i++)
                m = allocs_in_0(&b->instrs[i]);
            if (!m && must[b->id]) {
                must[b->id] = 0;
                changed = true;
            }
        }
    }
    bool all = true;
    for (int k = 0; k < f->nblocks && all; k++) {
        const RirBlock *b = f->blocks[k];
        if (b->n > 0 && b->id >= 0 && b->instrs[b->n - 1].op == RIR_RET)
            all = must[b->id];
    }
    free(must);
    free(in_ok);
    return all;
}

/* A small recursion that calls itself other than in tail position
 * (binary-trees' make and check, fib) pays a call, a frame and the spills
 * around it at every level; unrolling one level halves that.  LLVM does
 * not inline a function into itself, so the body is emitted twice: its
 * non-tail self calls reach the twin, an always-inlined copy whose own
 * self calls come back to the main copy.  Only in sealed compiles at -O2
 * and above (a REPL input stays small and quick to compile), and only
 * for bodies of a few dozen instructions. */
enum { LB_TWIN_MAX_INSTRS = 80 };

bool lb_wants_twin(const LbGen *g, const RirFunc *f, int idx)
{
    if (!g->opt || !g->opt->sealed || g->opt->opt_level < 2 || f->is_entry || f == g->rm->entry ||
        f->has_rest)
        return false;
    int n = 0;
    bool self = false;
    for (int k = 0; k < f->nblocks; k++) {
        n += f->blocks[k]->n;
        for (int i = 0; i < f->blocks[k]->n; i++) {
            const RirInstr *in = &f->blocks[k]->instrs[i];
            self |= in->op == RIR_CALL_KNOWN && in->imm == idx && !(in->flags & RIF_TAIL);
        }
    }
    return self && n <= LB_TWIN_MAX_INSTRS;
}

/* Which functions put nothing in their result region %0: no allocation,
 * transmigration or region.leave into %0, no built-in that calls function
 * values with %0, and every call handing on %0 is a known call of such a
 * function (a greatest fixpoint over the module).  A direct call of one
 * whose result would go to a lazily made scope region passes the caller's
 * %0 instead (build_call_known): the callee only parents its own scope
 * regions there, so the caller's region need not be made for it.
 * (Letting callees that leave only numbers in %0 have it too would be
 * unbounded: in a recursion every level's Float results would pile up in
 * the outermost caller's region, e.g. a float-summing tree recursion.) */
/* Every definition of register r makes a number (escape marked cheap),
 * following copies; `seen` (one byte per register, zeroed) stops the walk
 * on the mov cycles loops make (%1 = mov %23 ... %23 = mov %1). */
static bool numbers_from(const RirFunc *f, int r, uint8_t *seen)
{
    if (r < 0 || r >= f->nregs || seen[r])
        return true;
    seen[r] = 1;
    for (int k = 0; k < f->nblocks; k++)
        for (int j = 0; j < f->blocks[k]->n; j++) {
            const RirInstr *d = &f->blocks[k]->instrs[j];
            if (d->dst != r)
                continue;
            if (d->op == RIR_MOV && d->nargs == 1) {
                if (!numbers_from(f, d->args[0], seen))
                    return false;
            } else if (d->op != RIR_CONST && !(d->escape & IR_ESC_CHEAP)) {
                return false;
            }
        }
    return true;
}

static bool only_numbers(const RirFunc *f, int r)
{
    uint8_t *seen = calloc((size_t)f->nregs + 1, 1);
    if (!seen) abort();
    bool ok = numbers_from(f, r, seen);
    free(seen);
    return ok;
}

/* fix: f's provably fixnum registers (lb_fixnum.c).
 *
 * A result-free callee is given its caller's %0 instead of the region the
 * call names, so its scope region is a child of that %0, not of the
 * region its arguments may live in.  That is sound only while nothing
 * keeps the callee's scope region past its scope: no store into an
 * existing object or a global (the barrier could retain the region, whose
 * objects may point into the caller's younger regions without a count),
 * and no call that may do one (an unknown function, a built-in that calls
 * functions or stores).  So result-free also means store-free. */
static bool instr_result_free(const LbGen *g, const RirFunc *f, const uint8_t *fix, const RirInstr *in)
{
    bool in0 = in->region <= 0;
    switch ((RirOp)in->op) {
    case RIR_GLOBAL_SET: case RIR_GLOBAL_DEF: case RIR_BOX_SET:
        return false;
    case RIR_REGION_LEAVE:  /* into region2; numbers leaving cost a Float box at most */
        if (in->region2 > 0)
            return true;
        for (int a = 0; a < in->nargs; a++)
            if (!only_numbers(f, in->args[a]))
                return false;
        return true;
    case RIR_CALL:
        return false;
    case RIR_CALL_KNOWN:
        return in->imm >= 0 && in->imm < g->rm->nfuncs && g->funcs[in->imm].result_free;
    case RIR_PRIM: {
        unsigned fl = lb_builtin_flags((int)in->imm);
        if (ir_builtin_may_store(in->imm))
            return false;
        if (fl & OBF_CALLS)
            return !in0;
        if (fl & OBF_ALLOC) {
            if (!in0 || in->imm == OMNI_BI_pair_fill)
                return true;
            /* + - * and negation of proven fixnums make a fixnum or raise
             * overflow: they allocate nothing */
            int id = (int)in->imm;
            if (!lb_fix_arith(id))
                return false;
            for (int a = 0; a < in->nargs; a++)
                if (in->args[a] < 0 || in->args[a] >= f->nregs || !fix[in->args[a]])
                    return false;
            return true;
        }
        return true;
    }
    case RIR_BOX_NEW: case RIR_CLOSURE_NEW: case RIR_TRANSMIGRATE: case RIR_ADMIT:
        return !in0;
    default:
        return true;
    }
}

void lb_find_result_free(LbGen *g)
{
    const RirModule *rm = g->rm;
    /* fixnum registers do not depend on the answer: worked out once */
    uint8_t **fix = calloc((size_t)rm->nfuncs + 1, sizeof *fix);
    if (!fix) abort();
    for (int i = 0; i < rm->nfuncs; i++) {
        g->funcs[i].result_free = !rm->funcs[i]->is_entry;
        if (g->funcs[i].result_free)
            fix[i] = lb_fixnum_regs(g, rm->funcs[i], &g->funcs[i]);
    }
    for (bool changed = true; changed;) {
        changed = false;
        for (int i = 0; i < rm->nfuncs; i++) {
            const RirFunc *f = rm->funcs[i];
            for (int k = 0; k < f->nblocks && g->funcs[i].result_free; k++)
                for (int j = 0; j < f->blocks[k]->n; j++)
                    if (!instr_result_free(g, f, fix[i], &f->blocks[k]->instrs[j])) {
                        g->funcs[i].result_free = false;
                        changed = true;
                        break;
                    }
        }
    }
    for (int i = 0; i < rm->nfuncs; i++)
        free(fix[i]);
    free(fix);
}
