/* pass_loop_carry.c — loops written as self tail recursion, and the carry
 * region that keeps their memory bounded (docs/CTRR.md, "Loops").
 *
 * ir_pass_loopify (before escape) turns a self tail call of a function
 * into a jump: the new arguments are evaluated into temporaries, then
 * moved into the parameter registers (a parallel assignment), and a `jmp`
 * flagged RIF_BACKEDGE goes to a loop header placed right after the
 * function's `param` instructions (type checks and parameter boxes run
 * again, as a call would).  A self call is `call.known @F %self(...)` in F,
 * or a guarded `call.known @F %g(...)` of a top-level F without free
 * values: its guard stays a run-time test, `eq? %g self` (F's closure is
 * its static one), and the call itself is kept for the case the global no
 * longer holds F, flagged RIF_SELFTAIL.  The escape analysis then sees
 * `param <- argument` movs and marks what they carry (CARRY).
 *
 * ir_pass_carry_regions (after scope-regions) gives a loop whose body
 * allocates carried values (or, without a scope region, any local value)
 * its carry region: `%k = region.new %0` once in the prologue,
 * `%k = region.carry %k to %0 (params...)` at every back edge (the
 * runtime moves the live carried values to a fresh region when %k has
 * grown enough, see rt/hot.c), `region.exit %k` before every ret and tail
 * call, and `region.leave %k to %0 (args...)` before the kept guarded
 * self call, which moves its arguments out of %k.  region-place then puts
 * every CARRY value (and, without %s, every local one) in %k.
 */
#include <stdlib.h>
#include <string.h>

#include "ir_internal.h"

#define LC_ALLOC(n) ir_xcalloc(1, (n), "loop carry")

/* True if every assignment of register r is `self`. */
static bool only_self(const RirFunc *f, int r)
{
    bool any = false;
    for (int bi = 0; bi < f->nblocks; bi++)
        for (int i = 0; i < f->blocks[bi]->n; i++) {
            const RirInstr *in = &f->blocks[bi]->instrs[i];
            if (in->dst == r) {
                if (in->op != RIR_SELF)
                    return false;
                any = true;
            }
        }
    return any;
}

enum { SELF_NO, SELF_DIRECT, SELF_GUARDED };

/* Is b's end `%d = call.known @F %c(...) tail; ret %d` with F = f? */
static int self_tail(const RirFunc *f, const RirBlock *b)
{
    if (b->n < 2)
        return SELF_NO;
    const RirInstr *c = &b->instrs[b->n - 2], *r = &b->instrs[b->n - 1];
    if (c->op != RIR_CALL_KNOWN || !(c->flags & RIF_TAIL) || (c->flags & RIF_SELFTAIL) ||
        c->imm != f->index || r->op != RIR_RET || r->nargs != 1 || r->args[0] != c->dst ||
        c->nargs != f->nparams + 1)
        return SELF_NO;
    if (!(c->flags & RIF_GUARDED))
        return only_self(f, c->args[0]) ? SELF_DIRECT : SELF_NO;
    return f->nfree == 0 ? SELF_GUARDED : SELF_NO;
}

/* Appends the parallel assignment of the call's arguments to the
 * parameters and the back edge to the header h. */
static void emit_back_edge(RirFunc *f, RirBlock *b, const RirInstr *call, const int32_t *preg, int h)
{
    int n = f->nparams;
    int32_t *tmp = LC_ALLOC((size_t)n * sizeof *tmp);
    for (int i = 0; i < n; i++) {
        RirInstr mv = ir_instr(RIR_MOV, call->span);
        tmp[i] = ir_new_reg(f, RK_VALUE);
        mv.dst = tmp[i];
        mv.nargs = 1;
        mv.args = (int32_t[1]){ call->args[i + 1] };
        ir_emit(f, b, &mv);
    }
    for (int i = 0; i < n; i++) {
        if (preg[i] < 0)
            continue;   /* a parameter nobody reads */
        RirInstr mv = ir_instr(RIR_MOV, call->span);
        mv.dst = preg[i];
        mv.nargs = 1;
        mv.args = (int32_t[1]){ tmp[i] };
        mv.flags = RIF_BACKEDGE;
        ir_emit(f, b, &mv);
    }
    RirInstr j = ir_instr(RIR_JMP, call->span);
    j.target[0] = h;
    j.flags = RIF_BACKEDGE;
    ir_emit(f, b, &j);
    free(tmp);
}

void ir_pass_loopify(RirFunc *f)
{
    if (f->is_entry || f->has_rest || f->nblocks == 0)
        return;
    bool any = false;
    for (int bi = 0; bi < f->nblocks && !any; bi++)
        any = self_tail(f, f->blocks[bi]) != SELF_NO;
    if (!any)
        return;
    /* the prologue: bb0's leading params, each read-only register */
    RirBlock *b0 = f->blocks[0];
    int np = 0;
    int32_t *preg = LC_ALLOC((size_t)(f->nparams + 1) * sizeof *preg);
    for (int i = 0; i < f->nparams; i++)
        preg[i] = -1;
    while (np < b0->n && b0->instrs[np].op == RIR_PARAM) {
        const RirInstr *p = &b0->instrs[np];
        if (p->imm >= 0 && p->imm < f->nparams && preg[p->imm] < 0)
            preg[p->imm] = p->dst;
        else {
            free(preg);
            return;     /* an unusual prologue: leave the function alone */
        }
        np++;
    }
    /* split bb0: the rest becomes the loop header */
    RirBlock *h = ir_new_block(f);
    b0 = f->blocks[0];
    for (int i = np; i < b0->n; i++)
        ir_emit(f, h, &b0->instrs[i]);
    b0->n = np;
    RirInstr j = ir_instr(RIR_JMP, f->span);
    j.target[0] = h->id;
    ir_emit(f, b0, &j);

    int nb = f->nblocks;
    for (int bi = 1; bi < nb; bi++) {
        RirBlock *b = f->blocks[bi];
        int kind = self_tail(f, b);
        if (kind == SELF_NO)
            continue;
        RirInstr call = b->instrs[b->n - 2], ret = b->instrs[b->n - 1];
        call.args = memcpy(LC_ALLOC((size_t)call.nargs * sizeof *call.args), call.args,
                           (size_t)call.nargs * sizeof *call.args);
        b->n -= 2;
        if (kind == SELF_DIRECT) {
            emit_back_edge(f, b, &call, preg, h->id);
            free(call.args);
            continue;
        }
        /* guarded: loop only while the global still holds this function */
        RirInstr s = ir_instr(RIR_SELF, call.span);
        s.dst = ir_new_reg(f, RK_VALUE);
        ir_emit(f, b, &s);
        RirInstr eq = ir_instr(RIR_PRIM, call.span);
        eq.imm = OMNI_BI_eq;
        eq.dst = ir_new_reg(f, RK_VALUE);
        eq.nargs = 2;
        eq.args = (int32_t[2]){ call.args[0], s.dst };
        ir_emit(f, b, &eq);
        RirBlock *loop = ir_new_block(f), *slow = ir_new_block(f);
        b = f->blocks[bi];
        RirInstr br = ir_instr(RIR_BR, call.span);
        br.nargs = 1;
        br.args = (int32_t[1]){ eq.dst };
        br.target[0] = loop->id;
        br.target[1] = slow->id;
        ir_emit(f, b, &br);
        emit_back_edge(f, loop, &call, preg, h->id);
        call.flags |= RIF_SELFTAIL;
        ir_emit(f, slow, &call);
        ir_emit(f, slow, &ret);
        free(call.args);
    }
    free(preg);
}

/* ------------------------------------------------------------ carry region */

static bool is_back_edge(const RirBlock *b)
{
    return b->n > 0 && b->instrs[b->n - 1].op == RIR_JMP && (b->instrs[b->n - 1].flags & RIF_BACKEDGE);
}

/* Instructions region-place will put in %k. */
static bool in_carry(const RirFunc *f, const RirInstr *in)
{
    bool call = in->op == RIR_CALL || in->op == RIR_CALL_KNOWN;
    bool site = ir_instr_allocates(in) && in->op != RIR_TRANSMIGRATE;
    if ((!call && !site) || (call && (in->flags & RIF_TAIL)) || in->escape == IR_ESC_UNSET)
        return false;
    if ((in->escape & IR_ESC_MASK) == IR_ESC_CARRY)
        return true;
    return ir_escape_is_local(in->escape) && f->scope_region <= 0;
}

/* Copies to out[] the registers among vals[0..n) whose class may reach an
 * object placed in %k (the others need no move); returns their count. */
static int filter_carried(const IrAliasClasses *ac, const uint8_t *reaches, const int32_t *vals, int n,
                          int32_t *out)
{
    int m = 0;
    for (int i = 0; i < n; i++) {
        int v = vals[i];
        if (v >= 0 && v < ac->nregs && ac->cls[v] >= 0 && reaches[ac->cls[v]])
            out[m++] = v;
    }
    return m;
}

void ir_pass_carry_regions(RirFunc *f)
{
    if (f->carry_region > 0)
        return;
    bool loop = false, wants = false;
    for (int bi = 0; bi < f->nblocks; bi++) {
        const RirBlock *b = f->blocks[bi];
        loop |= is_back_edge(b);
        for (int i = 0; i < b->n; i++)
            wants |= in_carry(f, &b->instrs[i]);
    }
    if (!loop || !wants)
        return;

    /* the classes that may reach what %k will hold */
    IrAliasClasses ac;
    ir_alias_classes(f, &ac);
    uint8_t *reaches = LC_ALLOC((size_t)ac.nclasses + 1);
    for (int bi = 0; bi < f->nblocks; bi++)
        for (int i = 0; i < f->blocks[bi]->n; i++) {
            const RirInstr *in = &f->blocks[bi]->instrs[i];
            if (in_carry(f, in) && in->dst >= 0 && in->dst < ac.nregs && ac.cls[in->dst] >= 0)
                reaches[ac.cls[in->dst]] = 1;
        }
    for (bool changed = true; changed;) {
        changed = false;
        for (int c = 0; c < ac.nclasses; c++) {
            int e = ac.elem[c], l = ac.link[c];
            if (!reaches[c] && ((e >= 0 && reaches[e]) || (l >= 0 && reaches[l])))
                reaches[c] = changed = 1;
        }
    }

    int k = ir_new_reg(f, RK_REGION);
    f->carry_region = k;
    RirBlock *b0 = f->blocks[0];
    RirInstr rn = ir_instr(RIR_REGION_NEW, f->span);
    rn.dst = k;
    rn.region = 0;
    ir_insert_at(f, b0, b0->n - 1, &rn);
    /* %s becomes a child of %k (made in each iteration, after the
     * prologue made %k): an object of %s (or of a let region under it)
     * may hold a carried value, and with %k its ancestor that edge is a
     * tree edge, which keeps %k alive for as long as a barrier keeps %s
     * (docs/CTRR.md, "The invariant": the tree form is then exact). */
    for (int bi = 1; bi < f->nblocks; bi++) {
        RirBlock *b = f->blocks[bi];
        for (int i = 0; i < b->n; i++) {
            RirInstr *in = &b->instrs[i];
            if (in->op == RIR_REGION_NEW && in->dst == f->scope_region && in->region == 0)
                in->region = k;
        }
    }

    int32_t *vals = LC_ALLOC(((size_t)f->nregs + 1) * sizeof *vals);
    for (int bi = 0; bi < f->nblocks; bi++) {
        RirBlock *b = f->blocks[bi];
        if (b->n == 0)
            continue;
        if (is_back_edge(b)) {
            /* the parameters this back edge assigns */
            int n = 0;
            for (int i = 0; i < b->n - 1; i++)
                if (b->instrs[i].op == RIR_MOV && (b->instrs[i].flags & RIF_BACKEDGE))
                    vals[n++] = b->instrs[i].dst;
            n = filter_carried(&ac, reaches, vals, n, vals);
            RirInstr rc = ir_instr(RIR_REGION_CARRY, b->instrs[b->n - 1].span);
            rc.dst = k;
            rc.region = k;
            rc.region2 = 0;
            rc.nargs = n;
            rc.args = vals;
            ir_insert_at(f, b, b->n - 1, &rc);
            continue;
        }
        if (b->instrs[b->n - 1].op != RIR_RET)
            continue;
        int at = b->n - 1;
        const RirInstr *tail = NULL;
        if (at > 0 && (b->instrs[at - 1].flags & RIF_TAIL))
            tail = &b->instrs[--at];
        /* before the exit of %s: the transmigrate pass expects that exit
         * right before the leaving instruction */
        if (at > 0 && b->instrs[at - 1].op == RIR_REGION_EXIT && b->instrs[at - 1].region == f->scope_region)
            at--;
        if (tail && (tail->flags & RIF_SELFTAIL)) {
            int n = filter_carried(&ac, reaches, tail->args + 1, tail->nargs - 1, vals);
            RirInstr lv = ir_instr(RIR_REGION_LEAVE, tail->span);
            lv.region = k;
            lv.region2 = 0;
            lv.nargs = n;
            lv.args = vals;
            ir_insert_at(f, b, at, &lv);
        } else {
            RirInstr rx = ir_instr(RIR_REGION_EXIT, b->instrs[at].span);
            rx.region = k;
            ir_insert_at(f, b, at, &rx);
        }
    }
    free(vals);
    free(reaches);
    ir_alias_classes_free(&ac);
}
