/* pass_scope_regions.c — a scope region for each function whose own
 * allocations die with it.
 *
 * Reads the escape classes of ir/pass_escape.c.  A function gets a scope
 * region when some allocation site or non-tail call makes a value that dies
 * with the activation (escape none or arg) and is worth a region: number
 * prims (a Float box at most) are not; calls are, even when their result
 * is used only as a number, since a Float result would otherwise stay in
 * %0 until the whole recursion ends.  The backend makes the region lazily
 * and hands callees a pending handle (docs/CTRR.md), so fib on fixnums
 * never makes one.  The pass then
 *   - creates the register %s (f->scope_region) and inserts
 *     `%s = region.new %0` at the latest point that comes before every
 *     instruction that will allocate in %s (region-place puts every local
 *     site and call there once %s exists) and before every return that can
 *     follow one of them: the nearest common dominator D of those blocks,
 *     widened until every exit reachable from D is dominated by D, so
 *     paths that never allocate (a recursion's base case) create nothing;
 *   - inserts `region.exit %s` before every `ret` reachable from D, and
 *     before every tail call there, so a tail-recursive loop ends its
 *     region before it jumps and does not pile regions up (the tail call's
 *     callee and arguments never live in %s: escape marks them RETURN).
 * A loop's back edge (a self tail call made a jump by loopify) counts as
 * an exit: the region ends before it and is made again, at the first
 * local allocation, in the next iteration.  Any other cycle (lowering
 * makes none) puts region.new at the top of bb0, which no branch targets,
 * so it still runs once.
 */
#include <stdlib.h>
#include <string.h>

#include "ir_internal.h"

#define SR_ALLOC(n) ir_xcalloc(1, (n), "scope regions")

/* Instructions that allocate in (or pass on) the scope region once it
 * exists: every local allocation site and every local non-tail call. */
static bool uses_scope(const RirInstr *in)
{
    if (in->escape == IR_ESC_UNSET || !ir_escape_is_local(in->escape))
        return false;
    if (in->op == RIR_CALL || in->op == RIR_CALL_KNOWN)
        return !(in->flags & RIF_TAIL);
    return ir_instr_allocates(in) && in->op != RIR_TRANSMIGRATE;
}

/* Whether the function needs a scope region at all: a local site that is
 * not a cheap number, or a local call (cheap or not: its result may be a
 * Float box). */
static bool wants_scope(const RirFunc *f)
{
    for (int bi = 0; bi < f->nblocks; bi++)
        for (int i = 0; i < f->blocks[bi]->n; i++) {
            const RirInstr *in = &f->blocks[bi]->instrs[i];
            if (uses_scope(in) && (!(in->escape & IR_ESC_CHEAP) || in->op == RIR_CALL ||
                                   in->op == RIR_CALL_KNOWN))
                return true;
        }
    return false;
}

static int nsucc(const RirBlock *b, int32_t *succ)
{
    if (b->n == 0)
        return 0;
    const RirInstr *t = &b->instrs[b->n - 1];
    if (t->op == RIR_JMP && (t->flags & RIF_BACKEDGE))
        return 0;   /* a loop's back edge ends the iteration, like a return */
    int k = t->op == RIR_JMP ? 1 : t->op == RIR_BR ? 2 : 0;
    for (int i = 0; i < k; i++)
        succ[i] = t->target[i];
    return k;
}

/* Blocks ending the activation: a ret (with the tail call before it), or
 * the iteration: a loop's back edge (ir/pass_loop_carry.c). */
static bool is_exit(const RirBlock *b)
{
    if (b->n == 0)
        return false;
    const RirInstr *t = &b->instrs[b->n - 1];
    return t->op == RIR_RET || (t->op == RIR_JMP && (t->flags & RIF_BACKEDGE));
}

typedef struct Cfg {
    int nb;
    int *rpo;        /* reachable blocks in reverse postorder */
    int nrpo;
    int *order;      /* position in rpo, -1 if unreachable */
    int *idom;       /* immediate dominator, -1 if unreachable; idom[0] = 0 */
    int *npred, **pred;
    bool cyclic;
} Cfg;

static void cfg_build(const RirFunc *f, Cfg *g)
{
    int nb = f->nblocks;
    g->nb = nb;
    g->rpo = SR_ALLOC((size_t)nb * sizeof *g->rpo);
    g->order = SR_ALLOC((size_t)nb * sizeof *g->order);
    g->idom = SR_ALLOC((size_t)nb * sizeof *g->idom);
    g->npred = SR_ALLOC((size_t)nb * sizeof *g->npred);
    g->pred = SR_ALLOC((size_t)nb * sizeof *g->pred);
    g->cyclic = false;
    for (int b = 0; b < nb; b++)
        g->order[b] = g->idom[b] = -1;

    /* iterative DFS for the postorder; a successor still on the stack is
     * a back edge */
    int *state = SR_ALLOC((size_t)nb * sizeof *state);     /* 0 new, 1 on stack, 2 done */
    int *stack = SR_ALLOC((size_t)nb * sizeof *stack), *next = SR_ALLOC((size_t)nb * sizeof *next);
    int *post = SR_ALLOC((size_t)nb * sizeof *post), npost = 0, sp = 0;
    stack[sp++] = 0;
    state[0] = 1;
    while (sp > 0) {
        int b = stack[sp - 1];
        int32_t succ[2];
        int k = nsucc(f->blocks[b], succ);
        if (next[b] < k) {
            int s = succ[next[b]++];
            if (s < 0 || s >= nb)
                continue;
            if (state[s] == 1)
                g->cyclic = true;
            else if (state[s] == 0) {
                state[s] = 1;
                stack[sp++] = s;
            }
            continue;
        }
        state[b] = 2;
        post[npost++] = b;
        sp--;
    }
    g->nrpo = npost;
    for (int i = 0; i < npost; i++) {
        g->rpo[i] = post[npost - 1 - i];
        g->order[g->rpo[i]] = i;
    }
    /* predecessors among reachable blocks: count, then fill */
    for (int pass = 0; pass < 2; pass++) {
        for (int b = 0; pass == 1 && b < nb; b++) {
            g->pred[b] = SR_ALLOC((size_t)(g->npred[b] + 1) * sizeof **g->pred);
            g->npred[b] = 0;
        }
        for (int i = 0; i < npost; i++) {
            int b = g->rpo[i];
            int32_t succ[2];
            int k = nsucc(f->blocks[b], succ);
            for (int j = 0; j < k; j++) {
                if (succ[j] < 0 || succ[j] >= nb)
                    continue;
                if (pass == 1)
                    g->pred[succ[j]][g->npred[succ[j]]] = b;
                g->npred[succ[j]]++;
            }
        }
    }
    free(state);
    free(stack);
    free(next);
    free(post);

    /* dominators: Cooper, Harvey and Kennedy's iteration over the RPO */
    g->idom[0] = 0;
    for (bool changed = true; changed;) {
        changed = false;
        for (int i = 1; i < g->nrpo; i++) {
            int b = g->rpo[i], nd = -1;
            for (int p = 0; p < g->npred[b]; p++) {
                int q = g->pred[b][p];
                if (g->idom[q] < 0)
                    continue;
                if (nd < 0) {
                    nd = q;
                    continue;
                }
                int x = q, y = nd;
                while (x != y) {
                    while (g->order[x] > g->order[y]) x = g->idom[x];
                    while (g->order[y] > g->order[x]) y = g->idom[y];
                }
                nd = x;
            }
            if (nd >= 0 && g->idom[b] != nd) {
                g->idom[b] = nd;
                changed = true;
            }
        }
    }
}

static void cfg_free(Cfg *g)
{
    for (int b = 0; b < g->nb; b++)
        free(g->pred[b]);
    free(g->pred);
    free(g->npred);
    free(g->rpo);
    free(g->order);
    free(g->idom);
}

/* Nearest common dominator of two reachable blocks. */
static int nca(const Cfg *g, int x, int y)
{
    while (x != y) {
        while (g->order[x] > g->order[y]) x = g->idom[x];
        while (g->order[y] > g->order[x]) y = g->idom[y];
    }
    return x;
}

static bool dominates(const Cfg *g, int d, int b)
{
    for (;;) {
        if (b == d)
            return true;
        if (b == 0 || g->idom[b] < 0)
            return false;
        b = g->idom[b];
    }
}

/* Marks the blocks reachable from d (d included). */
static void reach_from(const RirFunc *f, int d, bool *seen)
{
    int nb = f->nblocks, sp = 0;
    int *stack = SR_ALLOC((size_t)nb * sizeof *stack);
    memset(seen, 0, (size_t)nb);
    seen[d] = true;
    stack[sp++] = d;
    while (sp > 0) {
        int b = stack[--sp];
        int32_t succ[2];
        int k = nsucc(f->blocks[b], succ);
        for (int j = 0; j < k; j++)
            if (succ[j] >= 0 && succ[j] < nb && !seen[succ[j]]) {
                seen[succ[j]] = true;
                stack[sp++] = succ[j];
            }
    }
    free(stack);
}

/* The block where the region starts (see the file comment). */
static int start_block(const RirFunc *f, const Cfg *g)
{
    if (g->cyclic)
        return 0;
    int d = -1;
    for (int bi = 0; bi < f->nblocks; bi++) {
        if (g->order[bi] < 0)
            continue;
        const RirBlock *b = f->blocks[bi];
        for (int i = 0; i < b->n; i++)
            if (uses_scope(&b->instrs[i])) {
                d = d < 0 ? bi : nca(g, d, bi);
                break;
            }
    }
    if (d < 0)
        return 0;
    bool *seen = SR_ALLOC((size_t)f->nblocks);
    for (bool moved = true; moved && d != 0;) {
        moved = false;
        reach_from(f, d, seen);
        for (int bi = 0; bi < f->nblocks; bi++)
            if (seen[bi] && !dominates(g, d, bi)) {
                d = nca(g, d, bi);
                moved = true;
                break;
            }
    }
    free(seen);
    return d;
}

void ir_pass_scope_regions(RirFunc *f)
{
    if (f->scope_region > 0 || f->nblocks == 0 || !wants_scope(f))
        return;
    Cfg g;
    cfg_build(f, &g);
    int d = start_block(f, &g);
    int s = ir_new_reg(f, RK_REGION);
    f->scope_region = s;

    /* region.new: before the first instruction of D that uses %s, else
     * before D's terminator (D then only branches to the users; D is
     * never an exit block without a use, having no successors) */
    RirBlock *db = f->blocks[d];
    int pos = db->n - 1;
    for (int i = 0; i < db->n; i++)
        if (uses_scope(&db->instrs[i])) {
            pos = i;
            break;
        }
    RirInstr rn = ir_instr(RIR_REGION_NEW, f->span);
    rn.dst = s;
    rn.region = 0;
    ir_insert_at(f, db, pos, &rn);

    /* region.exit before every ret (and its tail call) reachable from D */
    bool *seen = SR_ALLOC((size_t)f->nblocks);
    reach_from(f, d, seen);
    for (int bi = 0; bi < f->nblocks; bi++) {
        RirBlock *b = f->blocks[bi];
        if (!seen[bi] || !is_exit(b))
            continue;
        int at = b->n - 1;
        if (at > 0 && (b->instrs[at - 1].flags & RIF_TAIL))
            at--;
        RirInstr rx = ir_instr(RIR_REGION_EXIT, b->instrs[at].span);
        rx.region = s;
        ir_insert_at(f, b, at, &rx);
    }
    free(seen);
    cfg_free(&g);
}
