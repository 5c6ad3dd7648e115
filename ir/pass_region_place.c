/* pass_region_place.c — region placement: which region each allocation
 * site allocates in.
 *
 * An allocation site is an instruction that allocates in its `region`
 * operand: box.new, closure.new, and prim of a built-in flagged OBF_ALLOC.
 * (transmigrate also allocates, but its destination is the decision of the
 * pass that inserts it, so placement leaves it alone.)
 *
 * The decision is made per site by place_site(), from what is known about
 * where the allocated value flows:
 *   - PLACE_RESULT: the caller-provided result region %0.  Always sound:
 *     %0 outlives the function's activation, so anything the value may
 *     reach (the return value, a closure, a global, a container) is
 *     covered, and escapes the analysis cannot see are repaired at run
 *     time by the store barrier.
 *   - (next issue) PLACE_LOCAL / PLACE_SCOPE: a region created by
 *     region.new for the function or for a let/loop body, chosen when
 *     escape analysis proves the value dies with that scope.  Those
 *     passes run before this one in the pipeline and record their facts;
 *     place_site() then reads them instead of answering PLACE_RESULT.
 * In this issue no escape facts exist yet, so every site is PLACE_RESULT
 * and the pass sets (or confirms) `region = 0` everywhere.
 */
#include "ir_internal.h"

typedef enum {
    PLACE_RESULT,   /* %0: the function's result region */
} Placement;

typedef struct PlaceSite {
    const RirFunc *f;
    const RirBlock *b;
    const RirInstr *in;
} PlaceSite;

/* The placement decision for one allocation site, and the region register
 * it names in *reg. */
static Placement place_site(const PlaceSite *s, int32_t *reg)
{
    (void)s;
    /* Without escape facts the only sound choice is the outermost region
     * the function can name: its result region. */
    *reg = 0;
    return PLACE_RESULT;
}

void ir_pass_region_place(RirFunc *f)
{
    for (int bi = 0; bi < f->nblocks; bi++) {
        RirBlock *b = f->blocks[bi];
        for (int i = 0; i < b->n; i++) {
            RirInstr *in = &b->instrs[i];
            if (!ir_instr_allocates(in) || in->op == RIR_TRANSMIGRATE)
                continue;
            PlaceSite site = { f, b, in };
            int32_t reg;
            switch (place_site(&site, &reg)) {
            case PLACE_RESULT:
                in->region = reg;
                break;
            }
        }
    }
}
