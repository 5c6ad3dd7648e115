/* pass_region_place.c — region placement: which region each allocation
 * site allocates in, and which result region each call passes on.
 *
 * An allocation site is an instruction that allocates in its `region`
 * operand: box.new, closure.new, and prim of a built-in flagged OBF_ALLOC.
 * (transmigrate also allocates, but its destination is the decision of the
 * pass that inserts it, so placement leaves it alone.)  A call's `region`
 * is the result region the callee gets: where it allocates what it
 * returns.
 *
 * The decision is made per instruction by place(), from the escape class
 * ir/pass_escape.c wrote on it (docs/CTRR.md, "Placement"):
 *   - PLACE_SCOPE: none / arg — the value dies with the activation: the
 *     function's scope region %s (ir/pass_scope_regions.c), or %0 when the
 *     function has none (its only local values are numbers).
 *   - PLACE_RESULT: return / capture / container / unknown — the value
 *     outlives the activation: the caller-provided result region %0,
 *     allocated there directly (allocate-into-outliving-region: nothing
 *     is copied at the return).  Also the answer without escape facts
 *     (IR_ESC_UNSET): %0 outlives the activation, so anything the value may
 *     reach is covered, and escapes into older objects are repaired at run
 *     time by the store barrier.
 *   - PLACE_GLOBAL: global — stored in a global: the global region, which
 *     is never reclaimed.  `%g = region.global` is inserted in the block
 *     before its first use there.  The entry function is called with the
 *     global region as %0 (omni-jit, rt/aot_main.c), so it uses %0.
 * Tail calls always pass %0: the callee's result is this function's result.
 * A call's region -1 means %0, and is what calls placed in %0 keep, so the
 * printed form of those calls does not change.
 */
#include <string.h>

#include "ir_internal.h"

typedef enum {
    PLACE_SCOPE,    /* the scope region %s (or %0 without one) */
    PLACE_RESULT,   /* %0: the function's result region */
    PLACE_GLOBAL,   /* the global region */
    PLACE_CARRY,    /* a loop's carry region %k (or %0 without one) */
} Placement;

static Placement place(const RirInstr *in)
{
    if (in->escape == IR_ESC_UNSET)
        return PLACE_RESULT;
    if (ir_escape_is_local(in->escape))
        return PLACE_SCOPE;
    if ((in->escape & IR_ESC_MASK) == IR_ESC_GLOBAL)
        return PLACE_GLOBAL;
    if ((in->escape & IR_ESC_MASK) == IR_ESC_CARRY)
        return PLACE_CARRY;
    return PLACE_RESULT;
}

void ir_pass_region_place(RirFunc *f)
{
    int greg = -1;      /* register of region.global, once one is needed */
    for (int bi = 0; bi < f->nblocks; bi++) {
        RirBlock *b = f->blocks[bi];
        bool have_global = false;   /* region.global already set in this block */
        for (int i = 0; i < b->n; i++) {
            RirInstr *in = &b->instrs[i];
            bool call = in->op == RIR_CALL || in->op == RIR_CALL_KNOWN;
            bool site = ir_instr_allocates(in) && in->op != RIR_TRANSMIGRATE;
            if (!call && !site)
                continue;
            if (call && (in->flags & RIF_TAIL)) {
                in->region = -1;
                continue;
            }
            int32_t reg = 0;
            switch (place(in)) {
            case PLACE_SCOPE:
                /* in a loop without %s, locals die in %k at the next carry
                 * instead of piling up in %0 */
                reg = f->scope_region > 0 ? f->scope_region : f->carry_region > 0 ? f->carry_region : 0;
                break;
            case PLACE_CARRY:
                reg = f->carry_region > 0 ? f->carry_region : 0;
                break;
            case PLACE_RESULT:
                reg = 0;
                break;
            case PLACE_GLOBAL:
                if (f->is_entry)
                    break;
                if (greg < 0)
                    greg = ir_new_reg(f, RK_REGION);
                if (!have_global) {
                    RirInstr g = ir_instr(RIR_REGION_GLOBAL, in->span);
                    g.dst = greg;
                    ir_insert_at(f, b, i, &g);
                    in = &b->instrs[++i];   /* the site moved one down */
                    have_global = true;
                }
                reg = greg;
                break;
            }
            in->region = call && reg == 0 ? -1 : reg;
        }
    }
}
