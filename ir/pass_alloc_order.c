/* pass_alloc_order.c — allocate list cells before the calls that fill
 * them, so structures are laid out in the order they are walked.
 *
 * `(cons (make l) (make r))` computes both fields first and allocates the
 * cell last: a tree built that way lies in memory in post-order (children
 * before parents), while code walks it parent first.  A pre-order walk
 * over a post-order layout defeats the hardware prefetcher; on the
 * binary-trees benchmark the same C program runs about 35% slower with
 * its nodes allocated after their children.  So this pass, last in the
 * pipeline (placement has decided every region), splits such a cons into
 *     %c = prim %pair-reserve() in %r     ; before the first call feeding it
 *     ...                                 ; the calls computing a and d
 *     %v = prim %pair-fill(%c, %a, %d)    ; where the cons was; %v is %c
 * The reserved cell has its header but no fields until it is filled, and
 * is unreachable until then (nothing walks region memory but pointers),
 * so the fill initialises it (no store barrier, see rt/hot.c) and
 * its fields obey the same placement rule as the cons had: they are the
 * same values, in the same region %r.  A short `(list a ...)` whose
 * elements come from calls becomes such cells too (one reserve per
 * element, filled back to front).  (The backend allocates the other short
 * lists inline in the same order, see llvm_backend/lb_emit.c.)
 *
 * The reserve moves only within its block and only over instructions that
 * cannot make %r unusable: no region operation, transmigration or
 * redefinition of %r lies between the two halves.  Calls may run there;
 * a callee never frees or moves the objects of a region it did not
 * create (its scope and carry regions are its own children), and an
 * error raised in between leaves a cell nothing points to.
 */
#include <stdlib.h>
#include <string.h>

#include "ir_internal.h"

enum { MAX_LIST_CELLS = 8 };   /* longer `list` calls keep the built-in */

static bool is_call(const RirInstr *in)
{
    return (in->op == RIR_CALL || in->op == RIR_CALL_KNOWN) && !(in->flags & RIF_TAIL);
}

/* Marks in `slice` the instructions of b before `before` that compute
 * register r (its last definition there, and recursively its operands). */
static void mark_slice(const RirBlock *b, int r, int before, bool *slice, int depth)
{
    if (r < 0 || depth > 64)
        return;
    for (int d = before - 1; d >= 0; d--) {
        const RirInstr *in = &b->instrs[d];
        if (in->dst != r)
            continue;
        if (slice[d])
            return;
        slice[d] = true;
        for (int k = 0; k < in->nargs; k++)
            mark_slice(b, in->args[k], d, slice, depth + 1);
        return;
    }
}

/* Whether the reserve of a cell in region `reg` may move from `j` up to `p`. */
static bool may_hoist(const RirBlock *b, int p, int j, int reg)
{
    for (int i = p; i < j; i++) {
        const RirInstr *in = &b->instrs[i];
        switch ((RirOp)in->op) {
        case RIR_REGION_NEW: case RIR_REGION_EXIT: case RIR_TRANSMIGRATE: case RIR_RETAIN:
        case RIR_RELEASE: case RIR_TETHER: case RIR_UNTETHER: case RIR_REGION_GLOBAL:
        case RIR_REGION_CARRY: case RIR_REGION_LEAVE:
            return false;
        default:
            break;
        }
        if (reg > 0 && in->dst == reg)
            return false;
    }
    return true;
}

/* Where the reserve of instruction j goes: before the earliest call that
 * feeds its operands, or at j itself when none does (or it may not move). */
static int reserve_point(const RirBlock *b, int j)
{
    bool *slice = ir_xcalloc((size_t)b->n + 1, 1, "alloc order");
    const RirInstr *in = &b->instrs[j];
    for (int k = 0; k < in->nargs; k++)
        mark_slice(b, in->args[k], j, slice, 0);
    int p = j;
    for (int i = 0; i < j; i++)
        if (slice[i] && is_call(&b->instrs[i])) {
            p = i;
            break;
        }
    free(slice);
    return p < j && may_hoist(b, p, j, b->instrs[j].region) ? p : j;
}

static RirInstr prim(int id, const RirInstr *like)
{
    RirInstr in = ir_instr(RIR_PRIM, like->span);
    in.imm = id;
    in.escape = like->escape;
    return in;
}

/* Splits the cons or list at b->instrs[j]; returns the index of the
 * instruction after the last one it leaves there. */
static int split(RirFunc *f, RirBlock *b, int j)
{
    RirInstr orig = b->instrs[j];
    int n = orig.nargs;
    bool is_cons = orig.imm == OMNI_BI_cons;
    int p = reserve_point(b, j);
    if (p == j)
        return j + 1;           /* nothing to reorder: keep the cons or list */
    int ncells = is_cons ? 1 : n;
    int32_t cells[MAX_LIST_CELLS];
    for (int k = 0; k < ncells; k++) {
        RirInstr rv = prim(OMNI_BI_pair_reserve, &orig);
        rv.region = orig.region;
        rv.dst = cells[k] = ir_new_reg(f, RK_VALUE);
        ir_insert_at(f, b, p + k, &rv);
    }
    j += ncells;                /* the original moved down */
    /* remove the original, then put the fills (and for a list, its ()) there */
    memmove(&b->instrs[j], &b->instrs[j + 1], (size_t)(b->n - j - 1) * sizeof *b->instrs);
    b->n--;
    int at = j;
    int32_t nil = -1;
    if (!is_cons) {
        RirInstr c = ir_instr(RIR_CONST, orig.span);
        c.imm = (int64_t)OMNI_NIL;
        c.dst = nil = ir_new_reg(f, RK_VALUE);
        ir_insert_at(f, b, at++, &c);
    }
    for (int k = ncells - 1; k >= 0; k--) {
        RirInstr fl = prim(OMNI_BI_pair_fill, &orig);
        int32_t args[3];
        args[0] = cells[k];
        args[1] = orig.args[k];
        args[2] = is_cons ? orig.args[1] : k + 1 < n ? cells[k + 1] : nil;
        fl.nargs = 3;
        fl.args = args;
        fl.dst = k == 0 && orig.dst >= 0 ? orig.dst : ir_new_reg(f, RK_VALUE);
        ir_insert_at(f, b, at++, &fl);  /* ir_emit copies the operands */
    }
    return at;
}

void ir_pass_alloc_order(RirFunc *f)
{
    for (int bi = 0; bi < f->nblocks; bi++) {
        RirBlock *b = f->blocks[bi];
        for (int i = 0; i < b->n;) {
            const RirInstr *in = &b->instrs[i];
            bool cons = in->op == RIR_PRIM && in->imm == OMNI_BI_cons && in->nargs == 2;
            bool list = in->op == RIR_PRIM && in->imm == OMNI_BI_list && in->nargs >= 1 &&
                        in->nargs <= MAX_LIST_CELLS;
            i = cons || list ? split(f, b, i) : i + 1;
        }
    }
}
