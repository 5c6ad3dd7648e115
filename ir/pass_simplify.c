/* pass_simplify.c — control-flow clean-up: the first pass of the pipeline.
 *
 * Lowering produces simple but wordy control flow (join blocks reached by
 * one jump, blocks made only of a jump, branches whose arms both returned).
 * This pass, per function:
 *   1. turns `br %c, bbX, bbX` into `jmp bbX`;
 *   2. threads jumps through blocks that hold only `jmp` (a target that is
 *      such a block is replaced by where it jumps, following chains);
 *   3. merges a block into its predecessor when the predecessor ends in a
 *      `jmp` to it and is its only predecessor;
 *   4. removes unreachable blocks and renumbers the rest in order, so block
 *      ids stay equal to their positions.
 * Preconditions: the function verifies.  bb0 (the entry block) is never a
 * branch target, so it is never threaded, merged away or removed.
 * Registers are not touched: no instruction changes except terminators.
 */
#include <stdlib.h>
#include <string.h>

#include "ir_internal.h"

static RirInstr *term(RirBlock *b)
{
    /* an empty block (invalid IR) has no successors rather than a crash */
    static RirInstr none = { .op = RIR__COUNT };
    return b->n > 0 ? &b->instrs[b->n - 1] : &none;
}

static int nsucc(const RirInstr *t)
{
    return t->op == RIR_JMP ? 1 : t->op == RIR_BR ? 2 : 0;
}

static bool jump_only(const RirBlock *b)
{
    return b->n == 1 && b->instrs[0].op == RIR_JMP;
}

/* Where a jump to `t` ends up after skipping jump-only blocks. */
static int32_t thread_target(const RirFunc *f, int32_t t)
{
    /* a cycle of jump-only blocks would loop forever: bound the hops */
    for (int hops = 0; hops < f->nblocks && t > 0 && jump_only(f->blocks[t]); hops++) {
        int32_t next = f->blocks[t]->instrs[0].target[0];
        if (next == t)
            break;
        t = next;
    }
    return t;
}

/* Drops blocks not reachable from bb0; renumbers the others in their
 * current order and rewrites every target. */
static void remove_unreachable(RirFunc *f)
{
    int nb = f->nblocks;
    int *newid = malloc((size_t)nb * sizeof *newid);
    int *stack = malloc((size_t)nb * sizeof *stack);
    if (!newid || !stack) {
        free(newid);
        free(stack);
        return;
    }
    for (int i = 0; i < nb; i++)
        newid[i] = -1;
    int sp = 0;
    newid[0] = 0;
    stack[sp++] = 0;
    while (sp > 0) {
        RirInstr *t = term(f->blocks[stack[--sp]]);
        for (int k = 0; k < nsucc(t); k++)
            if (newid[t->target[k]] < 0) {
                newid[t->target[k]] = 0;
                stack[sp++] = t->target[k];
            }
    }
    int n = 0;
    for (int i = 0; i < nb; i++)
        if (newid[i] >= 0) {
            newid[i] = n;
            f->blocks[n] = f->blocks[i];
            f->blocks[n]->id = n;
            n++;
        }
    f->nblocks = n;
    for (int i = 0; i < n; i++) {
        RirInstr *t = term(f->blocks[i]);
        for (int k = 0; k < nsucc(t); k++)
            t->target[k] = newid[t->target[k]];
    }
    free(newid);
    free(stack);
}

static void merge_blocks(RirFunc *f)
{
    int nb = f->nblocks;
    int *npred = calloc((size_t)nb, sizeof *npred);
    if (!npred)
        return;
    for (int i = 0; i < nb; i++) {
        RirInstr *t = term(f->blocks[i]);
        for (int k = 0; k < nsucc(t); k++)
            npred[t->target[k]]++;
    }
    for (int i = 0; i < nb; i++) {
        RirBlock *b = f->blocks[i];
        if (b->n == 0)
            continue;       /* merged away already */
        /* absorb a chain: b → c → d ... while each has b as its only way in */
        for (;;) {
            RirInstr *t = term(b);
            if (t->op != RIR_JMP)
                break;
            int32_t c = t->target[0];
            if (c == 0 || c == i || npred[c] != 1 || f->blocks[c]->n == 0)
                break;
            RirBlock *cb = f->blocks[c];
            int n = b->n - 1 + cb->n;
            RirInstr *ins = fe_alloc(f->module->arena, (size_t)n * sizeof *ins);
            memcpy(ins, b->instrs, (size_t)(b->n - 1) * sizeof *ins);
            memcpy(ins + b->n - 1, cb->instrs, (size_t)cb->n * sizeof *ins);
            b->instrs = ins;
            b->n = b->cap = n;
            /* c is now unreachable; leave it empty so nothing merges it again */
            cb->instrs = NULL;
            cb->n = cb->cap = 0;
            npred[c] = 0;
        }
    }
    free(npred);
    /* drop the emptied blocks: they are unreachable, and remove_unreachable
     * never looks at an unreachable block */
    remove_unreachable(f);
}

void ir_pass_simplify(RirFunc *f)
{
    if (f->nblocks == 0)
        return;
    remove_unreachable(f);
    for (int i = 0; i < f->nblocks; i++) {
        RirInstr *t = term(f->blocks[i]);
        for (int k = 0; k < nsucc(t); k++)
            t->target[k] = thread_target(f, t->target[k]);
        if (t->op == RIR_BR && t->target[0] == t->target[1]) {
            /* both arms go to one place: the condition no longer matters */
            t->op = RIR_JMP;
            t->nargs = 0;
            t->args = NULL;
            t->target[1] = -1;
        }
    }
    remove_unreachable(f);
    merge_blocks(f);
}
