/* pass_transmigrate.c — the compile-time half of escape repair: values that
 * leave the activation must not reach its scope region.
 *
 * After placement, a value leaves the activation in two ways the compiler
 * sees: `ret %v`, and the callee and arguments of a tail call (they run
 * after `region.exit %s`).  For each such operand this pass follows the
 * alias classes of the escape analysis (ir_alias_classes) from the
 * operand's class through everything its objects may hold, and asks
 * whether any of those classes has a member made in %s (an allocation site
 * placed in %s, a call given %s as its result region, a transmigrate into
 * %s).  If so it inserts, before the `region.exit`,
 *     %t = transmigrate %v from %s to %0
 * and uses %t instead: the runtime copies what %v reaches in %s into %0
 * (metadata-driven, sharing preserved; pointers elsewhere are kept).
 *
 * With the placement rules of today this never fires: the escape analysis
 * marks every class a ret or tail call can reach as RETURN (through its
 * content too), and placement puts every RETURN member in %0.  The pass is
 * the check that keeps the contract if placement ever gets bolder (nested
 * let-body regions, summaries), and it documents the only place the
 * compiler would insert transmigrate.  Stores into objects from outside
 * (containers, globals, boxes reached through the environment) are not its
 * business: every such store goes through the runtime store barrier.
 * No tether is inserted either (docs/CTRR.md, "Tethering").
 */
#include <stdlib.h>
#include <string.h>

#include "ir_internal.h"

typedef struct Repair {
    RirFunc *f;
    int32_t s;              /* the scope region */
    IrAliasClasses ac;
    uint8_t *reaches;       /* per class: its objects, or what they hold, may be in %s */
    uint8_t *copied;        /* per register: the result of a transmigrate out of %s */
} Repair;

static bool made_in_scope(const RirInstr *in, int32_t s)
{
    if (in->dst < 0)
        return false;
    bool call = in->op == RIR_CALL || in->op == RIR_CALL_KNOWN;
    bool site = ir_instr_allocates(in) || (in->op == RIR_PRIM && in->region >= 0);
    return (call || site) && in->region == s;
}

/* reaches[c] = some member of c is made in %s, or reaches[elem[c]], or
 * reaches[link[c]]: the least fixpoint, by iteration (the content graph
 * may have cycles: a list's spine holds itself). */
static void compute_reaches(Repair *r)
{
    const RirFunc *f = r->f;
    for (int bi = 0; bi < f->nblocks; bi++)
        for (int i = 0; i < f->blocks[bi]->n; i++) {
            const RirInstr *in = &f->blocks[bi]->instrs[i];
            if (made_in_scope(in, r->s) && in->dst < r->ac.nregs && r->ac.cls[in->dst] >= 0)
                r->reaches[r->ac.cls[in->dst]] = 1;
        }
    for (bool changed = true; changed;) {
        changed = false;
        for (int c = 0; c < r->ac.nclasses; c++) {
            if (r->reaches[c])
                continue;
            int e = r->ac.elem[c], l = r->ac.link[c];
            if ((e >= 0 && r->reaches[e]) || (l >= 0 && r->reaches[l])) {
                r->reaches[c] = 1;
                changed = true;
            }
        }
    }
}

/* Rewrites operand k of b->instrs[use] to a transmigrated copy inserted
 * before position `at`; returns the new position of the use. */
static int repair_operand(Repair *r, RirBlock *b, int at, int use, int k)
{
    RirInstr *u = &b->instrs[use];
    int v = u->args[k];
    int t = ir_new_reg(r->f, RK_VALUE);
    RirInstr tm = ir_instr(RIR_TRANSMIGRATE, u->span);
    int32_t a[1] = { v };
    tm.dst = t;
    tm.nargs = 1;
    tm.args = a;
    tm.region2 = r->s;
    tm.region = 0;
    tm.escape = IR_ESC_RETURN;
    ir_emit(r->f, b, &tm);
    RirInstr tmp = b->instrs[b->n - 1];
    memmove(&b->instrs[at + 1], &b->instrs[at], (size_t)(b->n - 1 - at) * sizeof *b->instrs);
    b->instrs[at] = tmp;
    use++;
    b->instrs[use].args[k] = t;
    return use;
}

/* A value needs a copy if its class may reach %s, unless it is itself
 * such a copy (the analysis merges a copy with its source, but nothing the
 * copy reaches is in %s). */
static bool needs_repair(Repair *r, int v)
{
    if (v < 0 || v >= r->ac.nregs || r->ac.cls[v] < 0 || r->copied[v])
        return false;
    return r->reaches[r->ac.cls[v]] != 0;
}

void ir_pass_transmigrate(RirFunc *f)
{
    if (f->scope_region <= 0)
        return;
    Repair r = { .f = f, .s = f->scope_region };
    ir_alias_classes(f, &r.ac);
    r.reaches = ir_xcalloc((size_t)r.ac.nclasses + 1, 1, "transmigrate pass");
    r.copied = ir_xcalloc((size_t)f->nregs + 1, 1, "transmigrate pass");
    compute_reaches(&r);
    /* registers assigned only by transmigrates out of %s are copies
     * (bit 1: assigned by one, bit 2: assigned by anything else) */
    for (int bi = 0; bi < f->nblocks; bi++)
        for (int i = 0; i < f->blocks[bi]->n; i++) {
            const RirInstr *in = &f->blocks[bi]->instrs[i];
            if (in->dst > 0 && in->dst < f->nregs)
                r.copied[in->dst] |= in->op == RIR_TRANSMIGRATE && in->region2 == r.s ? 1 : 2;
        }
    for (int v = 0; v < f->nregs; v++)
        r.copied[v] = r.copied[v] == 1;

    for (int bi = 0; bi < f->nblocks; bi++) {
        RirBlock *b = f->blocks[bi];
        if (b->n == 0 || b->instrs[b->n - 1].op != RIR_RET)
            continue;
        /* the leaving instruction: the tail call, else the ret; the
         * region.exit of the scope region comes right before it */
        int use = b->n - 1;
        if (use > 0 && (b->instrs[use - 1].flags & RIF_TAIL))
            use--;
        int exit = use - 1;
        if (exit < 0 || b->instrs[exit].op != RIR_REGION_EXIT || b->instrs[exit].region != r.s)
            continue;   /* %s is not live here */
        for (int k = 0; k < b->instrs[use].nargs; k++)
            if (needs_repair(&r, b->instrs[use].args[k])) {
                use = repair_operand(&r, b, exit, use, k);
                exit++;
            }
    }
    free(r.reaches);
    free(r.copied);
    ir_alias_classes_free(&r.ac);
}
