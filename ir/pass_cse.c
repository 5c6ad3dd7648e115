/* pass_cse.c — reuse what a pure built-in already computed.
 *
 * Lisp code reads the same field again and again: `(car placed)` three
 * times in one `and`, `(car a)` in every arm of a `cond`.  Each read is a
 * type check plus a load, and LLVM cannot merge them once a slow path (an
 * out-of-line numeric helper, which may write memory) joins in between.
 * Pairs are immutable, so `(car x)` computed once is `(car x)` for as long
 * as register x keeps its value.  This pass replaces a repeated pure prim
 * by a `mov` of the earlier result.
 *
 * Pure here: the prim neither allocates nor writes and its result depends
 * only on its operands — car/cdr and their compositions (pairs are
 * immutable), the type and equality predicates, the fixnum comparisons.
 * A failing first occurrence raises before the second is reached, so the
 * second never needs its own error.
 *
 * Registers are not SSA, so availability is tracked along extended basic
 * blocks (memory: O(entries * log blocks), see ir_pass_cse): a block and the chain of blocks that have it as their only
 * predecessor (the arms of a cond or an `and` test); an entry is dropped as
 * soon as any of its operands or its result register is assigned again.
 * Copies (`mov`) are followed, so `(car p)` read through a copy of p, or a
 * repeat of a repeat, is found too.  And once a car or cdr of p succeeded,
 * p is a pair: a later car or cdr of it becomes %car-known / %cdr-known,
 * which skip the type check.
 *
 * Fixnum-or-Float arithmetic (%add2 %sub2 %mul2 %neg) is merged too:
 * `(cons (make (- d 1)) (make (- d 1)))` computes d-1 once.  Its result
 * depends only on its operands (a fixnum, or a fresh immutable Float —
 * Floats are values: eq? on them is not promised to tell two equal ones
 * apart, constants already share one object) and a failure (overflow, a
 * non-number) is raised by the first occurrence.  It may allocate, so the
 * region operand is part of what must match; this pass runs before the
 * CTRR passes, when every allocation is still `in %0` (ir/lower.c), and
 * the escape analysis then follows the `mov` like any copy, so the shared
 * result is placed for all its uses.
 *
 * Operands are compared after copies and after constants: registers
 * written once, by the same `const`, are the same operand (lowering gives
 * each literal `1` its own register).
 */
#include <stdlib.h>
#include <string.h>

#include "ir_internal.h"

static bool pure_prim(int64_t id)
{
    switch (id) {
    case OMNI_BI_car: case OMNI_BI_cdr: case OMNI_BI_cadr: case OMNI_BI_cddr: case OMNI_BI_caddr:
    case OMNI_BI_car_known: case OMNI_BI_cdr_known:
    case OMNI_BI_nullp: case OMNI_BI_pairp: case OMNI_BI_listp: case OMNI_BI_eq: case OMNI_BI_not:
    case OMNI_BI_numeq2: case OMNI_BI_lt2: case OMNI_BI_gt2: case OMNI_BI_le2: case OMNI_BI_ge2:
    case OMNI_BI_intp: case OMNI_BI_floatp: case OMNI_BI_numberp: case OMNI_BI_stringp:
    case OMNI_BI_symbolp: case OMNI_BI_charp: case OMNI_BI_boolp: case OMNI_BI_nothingp:
    case OMNI_BI_fnp: case OMNI_BI_arrayp: case OMNI_BI_dictp: case OMNI_BI_atomp:
        return true;
    default:
        return false;
    }
}

/* Arithmetic worth merging: see the top of the file. */
static bool arith_prim(int64_t id)
{
    return id == OMNI_BI_add2 || id == OMNI_BI_sub2 || id == OMNI_BI_mul2 || id == OMNI_BI_neg;
}

/* An available value: prim `imm` of `args` (operands already mapped
 * through copies and constants) in region `region` (-1: none) is in
 * register dst; or, for a copy, dst = mov args[0]. */
typedef struct Avail {
    bool copy;
    int64_t imm;
    int nargs;
    int32_t args[3];
    int32_t region;
    int32_t dst;
} Avail;

typedef struct Table {
    Avail *a;
    int n, cap;
    const int32_t *crep;   /* per register: the one its constant is keyed by (else itself) */
    int nregs;
} Table;

enum { MAX_ARGS = 3 };

/* The register r stands for: the source of a live copy, else the first
 * register holding the same constant, else r. */
static int32_t canon(const Table *t, int32_t r)
{
    for (int i = 0; i < t->n; i++)
        if (t->a[i].copy && t->a[i].dst == r)
            return t->a[i].args[0];
    return r >= 0 && r < t->nregs ? t->crep[r] : r;
}

/* Register r is assigned: forget what used it or lived in it. */
static void kill(Table *t, int32_t r)
{
    if (r < 0)
        return;
    for (int i = 0; i < t->n;) {
        const Avail *v = &t->a[i];
        bool dead = v->dst == r || v->region == r;
        for (int k = 0; k < v->nargs && !dead; k++)
            dead = v->args[k] == r;
        if (dead)
            t->a[i] = t->a[--t->n];
        else
            i++;
    }
}

static void add(Table *t, Avail v)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 16;
        t->a = ir_xrealloc(t->a, (size_t)t->cap * sizeof *t->a, "cse");
    }
    t->a[t->n++] = v;
}

/* The op whose value an op computes: %car-known is car, %cdr-known cdr. */
static int64_t same_value_op(int64_t id)
{
    return id == OMNI_BI_car_known ? OMNI_BI_car : id == OMNI_BI_cdr_known ? OMNI_BI_cdr : id;
}

/* An available car or cdr of r: r is a pair (pairs stay pairs). */
static bool known_pair(const Table *t, int32_t r)
{
    for (int i = 0; i < t->n; i++) {
        const Avail *v = &t->a[i];
        if (!v->copy && v->nargs == 1 && v->args[0] == r &&
            (v->imm == OMNI_BI_car || v->imm == OMNI_BI_cdr))
            return true;
    }
    return false;
}

static void cse_block(RirFunc *f, RirBlock *b, Table *t)
{
    for (int i = 0; i < b->n; i++) {
        RirInstr *in = &b->instrs[i];
        if (in->op == RIR_PRIM && in->dst >= 0 && (pure_prim(in->imm) || arith_prim(in->imm)) &&
            in->nargs <= MAX_ARGS) {
            Avail v = { .copy = false, .imm = in->imm, .nargs = in->nargs, .dst = in->dst,
                        .region = in->region >= 0 ? in->region : -1 };
            for (int k = 0; k < in->nargs; k++)
                v.args[k] = canon(t, in->args[k]);
            v.imm = same_value_op(v.imm);
            int32_t hit = -1;
            for (int k = 0; k < t->n && hit < 0; k++) {
                const Avail *w = &t->a[k];
                if (w->copy || w->imm != v.imm || w->nargs != v.nargs || w->region != v.region)
                    continue;
                bool same = true;
                for (int j = 0; j < v.nargs; j++)
                    same &= w->args[j] == v.args[j];
                if (same)
                    hit = w->dst;
            }
            /* not computed yet, but a car or cdr of the operand already
             * succeeded: it is a pair, skip the check */
            if (hit < 0 && (in->imm == OMNI_BI_car || in->imm == OMNI_BI_cdr) && known_pair(t, v.args[0]))
                in->imm = in->imm == OMNI_BI_car ? OMNI_BI_car_known : OMNI_BI_cdr_known;
            kill(t, in->dst);
            if (hit >= 0 && hit != in->dst) {
                RirInstr mv = ir_instr(RIR_MOV, in->span);
                mv.dst = in->dst;
                mv.nargs = 1;
                mv.args = fe_alloc(f->module->arena, sizeof *mv.args);
                mv.args[0] = hit;
                *in = mv;
                add(t, (Avail){ .copy = true, .nargs = 1, .args = { hit }, .region = -1, .dst = in->dst });
                continue;
            }
            bool self_ref = v.region == v.dst;
            for (int k = 0; k < v.nargs; k++)
                self_ref |= v.args[k] == v.dst;
            if (!self_ref)
                add(t, v);
            continue;
        }
        if (in->op == RIR_MOV && in->nargs == 1 && in->dst >= 0 && f->reg_kind[in->dst] == RK_VALUE) {
            int32_t src = canon(t, in->args[0]);
            kill(t, in->dst);
            if (src != in->dst)
                add(t, (Avail){ .copy = true, .nargs = 1, .args = { src }, .region = -1, .dst = in->dst });
            continue;
        }
        kill(t, in->dst);
    }
}

/* Registers written once, by a `const`, keyed by the first register
 * written once by the same constant (a hash of the values seen: one pass,
 * however many literals the function holds). */
static int32_t *const_reps(const RirFunc *f)
{
    int n = f->nregs;
    int32_t *rep = ir_xcalloc((size_t)n + 1, sizeof *rep, "cse");
    uint8_t *ndef = ir_xcalloc((size_t)n + 1, 1, "cse");
    const RirInstr **def = ir_xcalloc((size_t)n + 1, sizeof *def, "cse");
    for (int bi = 0; bi < f->nblocks; bi++)
        for (int i = 0; i < f->blocks[bi]->n; i++) {
            const RirInstr *in = &f->blocks[bi]->instrs[i];
            if (in->dst < 0 || in->dst >= n)
                continue;
            if (ndef[in->dst] < 2)
                ndef[in->dst]++;
            def[in->dst] = in;
        }
    size_t cap = 16;
    while (cap < 2 * (size_t)n)
        cap *= 2;
    int32_t *slot = ir_xcalloc(cap, sizeof *slot, "cse");   /* register + 1, 0: empty */
    for (int r = 0; r < n; r++) {
        rep[r] = r;
        if (ndef[r] != 1 || def[r]->op != RIR_CONST || f->reg_kind[r] != RK_VALUE)
            continue;
        uint64_t h = (uint64_t)def[r]->imm * 0x9E3779B97F4A7C15u;
        for (size_t i = (size_t)(h >> 32) & (cap - 1);; i = (i + 1) & (cap - 1)) {
            if (!slot[i]) {
                slot[i] = r + 1;
                break;
            }
            if (def[slot[i] - 1]->imm == def[r]->imm) {
                rep[r] = slot[i] - 1;
                break;
            }
        }
    }
    free(slot);
    free(ndef);
    free(def);
    return rep;
}

/* The successors of block bi that continue its extended block (their
 * only predecessor is bi), in terminator order; returns how many (0-2). */
static int tree_kids(const RirFunc *f, const int *npred, int bi, int kids[2])
{
    const RirBlock *b = f->blocks[bi];
    int nb = f->nblocks, nk = 0;
    if (b->n == 0)
        return 0;
    const RirInstr *t = &b->instrs[b->n - 1];
    int ns = t->op == RIR_JMP ? 1 : t->op == RIR_BR ? 2 : 0;
    for (int s = 0; s < ns; s++) {
        int c = t->target[s];
        if (c <= 0 || c >= nb || npred[c] != 1 || (s == 1 && t->target[1] == t->target[0]))
            continue;
        kids[nk++] = c;
    }
    return nk;
}

/* Per block, the number of blocks in its subtree of extended blocks (the
 * single-predecessor edges form a forest), by one post-order walk. */
static int *tree_sizes(const RirFunc *f, const int *npred, int *stack)
{
    int nb = f->nblocks;
    int *size = ir_xcalloc((size_t)nb + 1, sizeof *size, "cse");
    int *order = ir_xcalloc((size_t)nb + 1, sizeof *order, "cse");
    int no = 0;
    for (int root = 0; root < nb; root++) {
        if (npred[root] == 1 && root != 0)
            continue;
        int sp = 0;
        stack[sp++] = root;
        while (sp > 0) {
            int bi = stack[--sp], kids[2];
            order[no++] = bi;
            int nk = tree_kids(f, npred, bi, kids);
            for (int s = 0; s < nk; s++)
                stack[sp++] = kids[s];
        }
    }
    /* children come after their parent in `order`: sum backwards */
    for (int i = no - 1; i >= 0; i--) {
        int bi = order[i], kids[2];
        size[bi] += 1;
        int nk = tree_kids(f, npred, bi, kids);
        for (int s = 0; s < nk; s++)
            size[bi] += size[kids[s]];
    }
    free(order);
    return size;
}

void ir_pass_cse(RirFunc *f)
{
    int nb = f->nblocks;
    int32_t *crep = const_reps(f);
    int *npred = ir_xcalloc((size_t)nb + 1, sizeof *npred, "cse");
    for (int bi = 0; bi < nb; bi++) {
        const RirBlock *b = f->blocks[bi];
        if (b->n == 0)
            continue;
        const RirInstr *t = &b->instrs[b->n - 1];
        int ns = t->op == RIR_JMP ? 1 : t->op == RIR_BR ? 2 : 0;
        for (int s = 0; s < ns; s++)
            if (t->target[s] >= 0 && t->target[s] < nb && !(s == 1 && t->target[1] == t->target[0]))
                npred[t->target[s]]++;
    }
    npred[0]++;   /* the entry is also entered from outside */
    /* Each extended block starts at a block with several (or no single)
     * predecessors and goes depth first into single-predecessor successors,
     * each branch with the table its predecessor left (see below). */
    int *stack = ir_xcalloc((size_t)nb + 1, sizeof *stack, "cse");
    Table *tables = ir_xcalloc((size_t)nb + 1, sizeof *tables, "cse");
    for (int bi = 0; bi <= nb; bi++) {
        tables[bi].crep = crep;
        tables[bi].nregs = f->nregs;
    }
    int *size = tree_sizes(f, npred, stack);
    for (int root = 0; root < nb; root++) {
        if (npred[root] == 1 && root != 0)
            continue;
        int sp = 0;
        stack[sp++] = root;
        tables[root].n = 0;
        while (sp > 0) {
            int bi = stack[--sp];
            RirBlock *b = f->blocks[bi];
            cse_block(f, b, &tables[bi]);
            int kids[2], nk = tree_kids(f, npred, bi, kids);
            /* The smaller subtree is walked first and takes this block's
             * table over; only the larger waits on the stack with a copy.
             * Along any path at most log2(blocks) copies wait, so a chain
             * of N arms (a long cond) keeps O(N) entries alive, not N^2. */
            if (nk == 2 && size[kids[0]] < size[kids[1]]) {
                int k = kids[0];
                kids[0] = kids[1];
                kids[1] = k;
            }
            for (int s = 0; s < nk; s++) {
                Table *ct = &tables[kids[s]];
                ct->n = 0;
                if (s == nk - 1) {
                    free(ct->a);
                    ct->a = tables[bi].a;
                    ct->n = tables[bi].n;
                    ct->cap = tables[bi].cap;
                    tables[bi].a = NULL;
                    tables[bi].n = tables[bi].cap = 0;
                } else {
                    for (int k = 0; k < tables[bi].n; k++)
                        add(ct, tables[bi].a[k]);
                }
                stack[sp++] = kids[s];
            }
            free(tables[bi].a);
            tables[bi].a = NULL;
            tables[bi].n = tables[bi].cap = 0;
        }
    }
    free(size);
    for (int bi = 0; bi <= nb; bi++)
        free(tables[bi].a);
    free(tables);
    free(stack);
    free(npred);
    free(crep);
}
