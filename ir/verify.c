/* verify.c — structural checks of Region IR.
 *
 * Run after lowering and (in debug builds) between passes, so a broken
 * invariant is reported at the pass that broke it instead of as a crash or
 * a miscompile in the backend.  Checks: function shapes (entry function,
 * register %0, block ids), block termination, operand shapes per op,
 * register ranges and kinds (region vs value), branch targets, parameter /
 * environment / function / constant / built-in indices and arities, tail
 * calls, and that every register used has been assigned on every path to
 * the use.  Each violation prints one line
 *     rir verify: @func bbN: message
 * and the caller gets the count.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ir_internal.h"

typedef struct VCtx {
    FILE *out;
    const RirModule *m;
    const RirFunc *f;
    int bb;        /* current block id, -1 for function-level problems */
    int nerr;
} VCtx;

static void verr(VCtx *c, const char *fmt, ...)
{
    va_list ap;
    c->nerr++;
    if (!c->out)
        return;
    fprintf(c->out, "rir verify: @%s", c->f && c->f->name ? c->f->name : "?");
    if (c->bb >= 0)
        fprintf(c->out, " bb%d", c->bb);
    fputs(": ", c->out);
    va_start(ap, fmt);
    vfprintf(c->out, fmt, ap);
    va_end(ap);
    fputc('\n', c->out);
}

static const char *opname(const RirInstr *in)
{
    return in->op < RIR__COUNT ? ir_op_names[in->op] : "?";
}

/* A register read as `kind`. */
static void use_reg(VCtx *c, const RirInstr *in, int32_t r, RirRegKind kind, const char *what)
{
    if (r < 0 || r >= c->f->nregs) {
        verr(c, "%s: %s register %%%d out of range (%d registers)", opname(in), what, (int)r,
             c->f->nregs);
        return;
    }
    if (c->f->reg_kind[r] != kind)
        verr(c, "%s: %s %%%d is a %s register, expected a %s", opname(in), what, (int)r,
             c->f->reg_kind[r] == RK_REGION ? "region" : "value",
             kind == RK_REGION ? "region" : "value");
}

static void check_target(VCtx *c, const RirInstr *in, int32_t t)
{
    if (t < 0 || t >= c->f->nblocks)
        verr(c, "%s: branch target bb%d does not exist", opname(in), (int)t);
    else if (t == 0)
        verr(c, "%s: branch to the entry block bb0", opname(in));
}

static const RirFunc *func_at(VCtx *c, const RirInstr *in)
{
    if (in->imm < 0 || in->imm >= c->m->nfuncs) {
        verr(c, "%s: function index %lld out of range", opname(in), (long long)in->imm);
        return NULL;
    }
    const RirFunc *g = c->m->funcs[in->imm];
    if (g->is_entry) {
        verr(c, "%s: @%s is the entry function", opname(in), g->name);
        return NULL;
    }
    return g;
}

/* Operand shape of one instruction: which of dst / args / region / region2
 * / name / targets it has, and the op-specific index checks. */
static void check_instr(VCtx *c, const RirInstr *in)
{
    const RirFunc *f = c->f;
    if (in->op >= RIR__COUNT) {
        verr(c, "unknown op %u", (unsigned)in->op);
        return;
    }
    RirOp op = (RirOp)in->op;
    int want_args = 0;          /* exact count, or -1: checked below */
    int want_dst = 1;           /* 1: value dst, 2: region dst, 0: none */
    int want_region = 0;        /* 1: required, 0: forbidden, 2: optional */
    bool want_region2 = false;

    switch (op) {
    case RIR_CONST: case RIR_CONST_FLOAT: case RIR_SELF: case RIR_GLOBAL_GET:
    case RIR_CONST_SYM: case RIR_CONST_STR: case RIR_CONST_DATUM: case RIR_PARAM:
    case RIR_ENV_REF:
        break;
    case RIR_MOV: case RIR_BOX_GET:
        want_args = 1;
        break;
    case RIR_GLOBAL_SET: case RIR_GLOBAL_DEF: case RIR_CHECK_PARAM: case RIR_RET:
        want_args = 1, want_dst = 0;
        break;
    case RIR_BOX_NEW: case RIR_ADMIT:
        want_args = 1, want_region = 1;
        break;
    case RIR_BOX_SET:
        want_args = 2, want_dst = 0;
        break;
    case RIR_CLOSURE_NEW:
    case RIR_CALL: case RIR_CALL_KNOWN: case RIR_PRIM:
        want_args = -1;
        want_region = op == RIR_CLOSURE_NEW || (op == RIR_PRIM && ir_instr_allocates(in));
        if (op == RIR_CALL || op == RIR_CALL_KNOWN)
            want_region = 2;    /* the callee's result region; -1 is %0 */
        break;
    case RIR_REGION_NEW:
        want_dst = 2, want_region = 1;
        break;
    case RIR_REGION_GLOBAL:
        want_dst = 2;
        break;
    case RIR_REGION_EXIT: case RIR_RETAIN: case RIR_RELEASE: case RIR_TETHER:
    case RIR_UNTETHER:
        want_dst = 0, want_region = 1;
        break;
    case RIR_TRANSMIGRATE:
        want_args = 1, want_region = 1, want_region2 = true;
        break;
    case RIR_REGION_CARRY:
        want_args = -1, want_dst = 2, want_region = 1, want_region2 = true;
        break;
    case RIR_REGION_LEAVE:
        want_args = -1, want_dst = 0, want_region = 1, want_region2 = true;
        break;
    case RIR_JMP:
        want_dst = 0;
        break;
    case RIR_BR:
        want_args = 1, want_dst = 0;
        break;
    case RIR_SCOPE_BEGIN: case RIR_SCOPE_END:   /* let markers: the id only */
        want_dst = 0;
        break;
    case RIR__COUNT:
        break;
    }

    /* result */
    if (want_dst && in->dst < 0)
        verr(c, "%s: missing result register", opname(in));
    else if (!want_dst && in->dst >= 0)
        verr(c, "%s: has a result register %%%d but produces no value", opname(in), (int)in->dst);
    else if (in->dst == 0)
        verr(c, "%s: assigns %%0, the result region parameter", opname(in));
    else if (in->dst >= f->nregs)
        verr(c, "%s: result register %%%d out of range (%d registers)", opname(in), (int)in->dst,
             f->nregs);
    else if (in->dst > 0 && f->reg_kind[in->dst] != (want_dst == 2 ? RK_REGION : RK_VALUE))
        verr(c, "%s: result %%%d is a %s register, expected a %s", opname(in), (int)in->dst,
             f->reg_kind[in->dst] == RK_REGION ? "region" : "value",
             want_dst == 2 ? "region" : "value");

    /* value operands */
    if (in->nargs < 0 || (in->nargs > 0 && !in->args)) {
        verr(c, "%s: bad operand array", opname(in));
        return;
    }
    if (want_args >= 0 && in->nargs != want_args)
        verr(c, "%s: expects %d operand(s), has %d", opname(in), want_args, (int)in->nargs);
    for (int i = 0; i < in->nargs; i++)
        use_reg(c, in, in->args[i], RK_VALUE, "operand");

    /* region operands */
    if (want_region == 1 && in->region < 0)
        verr(c, "%s: missing region operand", opname(in));
    else if (!want_region && in->region >= 0)
        verr(c, "%s: unexpected region operand %%%d", opname(in), (int)in->region);
    else if (in->region >= 0)
        use_reg(c, in, in->region, RK_REGION, "region");
    if (want_region2 && in->region2 < 0)
        verr(c, "%s: missing source region operand", opname(in));
    else if (!want_region2 && in->region2 >= 0)
        verr(c, "%s: unexpected second region operand %%%d", opname(in), (int)in->region2);
    else if (in->region2 >= 0)
        use_reg(c, in, in->region2, RK_REGION, "source region");

    /* flags */
    if ((in->flags & RIF_TAIL) && op != RIR_CALL && op != RIR_CALL_KNOWN)
        verr(c, "%s: only calls can be tail calls", opname(in));
    if ((in->flags & RIF_GUARDED) && op != RIR_CALL_KNOWN)
        verr(c, "%s: only call.known can be guarded", opname(in));
    if ((in->flags & RIF_BACKEDGE) && op != RIR_JMP && op != RIR_MOV)
        verr(c, "%s: only jmp and mov can be a back edge", opname(in));
    if ((in->flags & RIF_SELFTAIL) && (op != RIR_CALL_KNOWN || !(in->flags & RIF_TAIL)))
        verr(c, "%s: only a tail call.known can be a loop's kept self call", opname(in));
    if ((in->flags & RIF_TAIL) && f->is_entry)
        verr(c, "%s: tail call in the entry function", opname(in));
    if ((in->flags & RIF_TAIL) && in->region > 0)
        verr(c, "%s: a tail call passes on %%0, not region %%%d", opname(in), (int)in->region);

    /* op-specific */
    switch (op) {
    case RIR_CONST_STR: case RIR_CONST_DATUM:
        if (in->imm < 0 || in->imm >= c->m->nconsts)
            verr(c, "%s: constant #%lld out of range (%d constants)", opname(in),
                 (long long)in->imm, c->m->nconsts);
        else if (op == RIR_CONST_STR && (!c->m->consts[in->imm] || c->m->consts[in->imm]->kind != D_STRING))
            verr(c, "const.str: constant #%lld is not a string", (long long)in->imm);
        break;
    case RIR_CONST_SYM: case RIR_GLOBAL_GET: case RIR_GLOBAL_SET: case RIR_GLOBAL_DEF:
    case RIR_CHECK_PARAM:
        if (!in->name || !in->name[0])
            verr(c, "%s: missing name", opname(in));
        if (op == RIR_CHECK_PARAM && (in->imm <= OMNI_ANN_ANY || in->imm >= OMNI_ANN__COUNT))
            verr(c, "check.param: bad annotation %lld", (long long)in->imm);
        break;
    case RIR_PARAM: {
        int64_t n = f->nparams + (f->has_rest ? 1 : 0);
        if (in->imm < 0 || in->imm >= n)
            verr(c, "param %lld: the function has %lld parameter(s)", (long long)in->imm, (long long)n);
        break;
    }
    case RIR_ENV_REF:
        if (in->imm < 0 || in->imm >= f->nfree)
            verr(c, "env.ref %lld: the function has %d free slot(s)", (long long)in->imm, f->nfree);
        break;
    case RIR_SELF:
        if (f->is_entry)
            verr(c, "self: the entry function is not a closure");
        break;
    case RIR_CLOSURE_NEW: {
        const RirFunc *g = func_at(c, in);
        if (g && in->nargs != g->nfree)
            verr(c, "closure.new @%s: %d free value(s) given, the function has %d", g->name,
                 (int)in->nargs, g->nfree);
        break;
    }
    case RIR_CALL:
        if (in->nargs < 1)
            verr(c, "call: missing callee");
        break;
    case RIR_CALL_KNOWN: {
        if (in->nargs < 1) {
            verr(c, "call.known: missing closure operand");
            break;
        }
        const RirFunc *g = func_at(c, in);
        if (g && (g->has_rest || in->nargs - 1 != g->nparams))
            verr(c, "call.known @%s: %d argument(s) for %d parameter(s)%s", g->name,
                 (int)in->nargs - 1, g->nparams, g->has_rest ? " and a rest list" : "");
        /* the guard compares with g's static closure, which only a
         * function without free values has */
        if (g && (in->flags & RIF_GUARDED) && g->nfree != 0)
            verr(c, "call.known @%s guarded: the function has %d free value(s)", g->name, g->nfree);
        break;
    }
    case RIR_PRIM:
        if (in->imm < 0 || in->imm >= OMNI_BI__COUNT)
            verr(c, "prim: built-in id %lld out of range", (long long)in->imm);
        else if (!ir_builtin_arity_ok((int)in->imm, in->nargs))
            verr(c, "prim %s: %d argument(s), arity is %d..%d", ir_builtins[in->imm].name,
                 (int)in->nargs, ir_builtins[in->imm].min, ir_builtins[in->imm].max);
        break;
    case RIR_REGION_EXIT:
        if (in->region == 0)
            verr(c, "region.exit: %%0 is the caller's region");
        break;
    case RIR_REGION_CARRY: case RIR_REGION_LEAVE:
        if (in->region == 0)
            verr(c, "%s: %%0 is the caller's region", opname(in));
        if (op == RIR_REGION_CARRY && in->dst != in->region)
            verr(c, "region.carry: assigns %%%d, not its region %%%d", (int)in->dst, (int)in->region);
        break;
    case RIR_JMP:
        check_target(c, in, in->target[0]);
        break;
    case RIR_BR:
        check_target(c, in, in->target[0]);
        check_target(c, in, in->target[1]);
        break;
    default:
        break;
    }
}

/* ---------------------------------------------------- definedness */

typedef uint64_t Word;
#define WBITS 64

static bool bit_get(const Word *s, int i) { return (s[i / WBITS] >> (i % WBITS)) & 1; }
static void bit_set(Word *s, int i) { s[i / WBITS] |= (Word)1 << (i % WBITS); }

/* Forward "assigned on every path" analysis: in(b) = ∩ out(pred),
 * out(b) = in(b) ∪ assigned(b).  Registers are not SSA, so this is the
 * invariant that matters: the backend's per-register slot must be written
 * before it is read.  Unreachable blocks keep the full set and are not
 * checked (the simplify pass removes them). */
static void check_defined(VCtx *c)
{
    const RirFunc *f = c->f;
    int nw = (f->nregs + WBITS - 1) / WBITS;
    int nb = f->nblocks;
    Word *out = malloc((size_t)nb * nw * sizeof(Word));
    Word *cur = malloc((size_t)nw * sizeof(Word));
    bool *reach = calloc((size_t)nb, 1);
    int *stack = malloc((size_t)nb * sizeof(int));
    int *pstart = calloc((size_t)nb + 1, sizeof(int));   /* preds of b: pred[pstart[b] .. pstart[b+1]) */
    int *pred = malloc((size_t)(2 * nb + 1) * sizeof(int));
    if (!out || !cur || !reach || !stack || !pstart || !pred)
        goto done;

    int sp = 0;
    reach[0] = true;
    stack[sp++] = 0;
    while (sp > 0) {
        const RirBlock *b = f->blocks[stack[--sp]];
        const RirInstr *t = &b->instrs[b->n - 1];
        int nt = t->op == RIR_JMP ? 1 : t->op == RIR_BR ? 2 : 0;
        for (int k = 0; k < nt; k++)
            if (!reach[t->target[k]]) {
                reach[t->target[k]] = true;
                stack[sp++] = t->target[k];
            }
    }
    /* predecessor lists of the reachable blocks (counting sort by target) */
    for (int pass = 0; pass < 2; pass++) {
        int *fill = pass ? stack : NULL;
        if (pass) {
            for (int b = 0; b < nb; b++)
                pstart[b + 1] += pstart[b];
            for (int b = 0; b < nb; b++)
                fill[b] = pstart[b];
        }
        for (int bi = 0; bi < nb; bi++) {
            if (!reach[bi])
                continue;
            const RirInstr *t = &f->blocks[bi]->instrs[f->blocks[bi]->n - 1];
            int nt = t->op == RIR_JMP ? 1 : t->op == RIR_BR ? 2 : 0;
            for (int k = 0; k < nt; k++) {
                if (pass)
                    pred[fill[t->target[k]]++] = bi;
                else
                    pstart[t->target[k] + 1]++;
            }
        }
    }
    memset(out, 0xff, (size_t)nb * nw * sizeof(Word));

    /* in(b) into cur: %0 at bb0, else the meet over predecessors */
#define IN_OF(bi)                                                              \
    do {                                                                       \
        memset(cur, (bi) == 0 ? 0 : 0xff, (size_t)nw * sizeof(Word));          \
        if ((bi) == 0)                                                         \
            bit_set(cur, 0);                                                   \
        for (int q = pstart[bi]; q < pstart[(bi) + 1]; q++)                    \
            for (int w = 0; w < nw; w++)                                       \
                cur[w] &= out[(size_t)pred[q] * nw + w];                       \
    } while (0)

    /* iterate to the fixpoint in block order (lowering emits blocks roughly
     * in reverse postorder, so this converges in a few rounds) */
    for (bool changed = true; changed;) {
        changed = false;
        for (int bi = 0; bi < nb; bi++) {
            if (!reach[bi])
                continue;
            IN_OF(bi);
            const RirBlock *b = f->blocks[bi];
            for (int i = 0; i < b->n; i++)
                if (b->instrs[i].dst >= 0)
                    bit_set(cur, b->instrs[i].dst);
            if (memcmp(cur, &out[(size_t)bi * nw], (size_t)nw * sizeof(Word)) != 0) {
                memcpy(&out[(size_t)bi * nw], cur, (size_t)nw * sizeof(Word));
                changed = true;
            }
        }
    }

    /* now check each use against what is assigned at that point */
    for (int bi = 0; bi < nb; bi++) {
        if (!reach[bi])
            continue;
        c->bb = bi;
        IN_OF(bi);
        const RirBlock *b = f->blocks[bi];
        for (int i = 0; i < b->n; i++) {
            const RirInstr *in = &b->instrs[i];
            for (int a = 0; a < in->nargs; a++)
                if (!bit_get(cur, in->args[a]))
                    verr(c, "%s: %%%d may be used before it is assigned", opname(in), (int)in->args[a]);
            if (in->region >= 0 && !bit_get(cur, in->region))
                verr(c, "%s: region %%%d may be used before it is assigned", opname(in), (int)in->region);
            if (in->region2 >= 0 && !bit_get(cur, in->region2))
                verr(c, "%s: region %%%d may be used before it is assigned", opname(in), (int)in->region2);
            if (in->dst >= 0)
                bit_set(cur, in->dst);
        }
    }
#undef IN_OF
done:
    free(out); free(cur); free(reach); free(stack); free(pstart); free(pred);
}

/* ---------------------------------------------------- scope regions */

enum { SC_LIVE = 1, SC_DEAD = 2 };  /* may be live / may be not created or exited */

/* CTRR scope discipline (docs/CTRR.md) for the region registers made by
 * region.new: each is made by exactly one region.new and nothing else
 * assigns it; on every path it is created before anything allocates in it
 * or passes it on, exited at most once, exited before every ret and tail
 * call, and not used after its exit.  A forward "may" dataflow over two
 * bits per region: live, dead (not yet created, or exited). */
static void check_scopes(VCtx *c)
{
    const RirFunc *f = c->f;
    int nb = f->nblocks, nr = f->nregs;
    int *slot = malloc((size_t)nr * sizeof *slot);     /* region register -> index, or -1 */
    int ns = 0, before = c->nerr;
    if (!slot)
        return;
    for (int r = 0; r < nr; r++)
        slot[r] = -1;
    for (int bi = 0; bi < nb; bi++)
        for (int i = 0; i < f->blocks[bi]->n; i++) {
            const RirInstr *in = &f->blocks[bi]->instrs[i];
            if (in->op == RIR_REGION_NEW && in->dst > 0 && in->dst < nr) {
                c->bb = bi;
                if (slot[in->dst] >= 0)
                    verr(c, "region.new: scope region %%%d is made more than once", (int)in->dst);
                else
                    slot[in->dst] = ns++;
            }
        }
    for (int bi = 0; bi < nb; bi++)
        for (int i = 0; i < f->blocks[bi]->n; i++) {
            const RirInstr *in = &f->blocks[bi]->instrs[i];
            /* region.carry re-assigns its own live region: the same scope */
            if (in->op != RIR_REGION_NEW && in->op != RIR_REGION_CARRY && in->dst > 0 && in->dst < nr &&
                slot[in->dst] >= 0) {
                c->bb = bi;
                verr(c, "%s: assigns scope region %%%d, which region.new makes", opname(in), (int)in->dst);
            }
        }
    if (ns == 0 || c->nerr > before) {
        free(slot);
        return;
    }
    uint8_t *in_st = calloc((size_t)nb * ns, 1), *cur = malloc((size_t)ns);
    bool *reach = calloc((size_t)nb, 1);
    if (!in_st || !cur || !reach)
        goto done;
    reach[0] = true;
    for (int k = 0; k < ns; k++)
        in_st[k] = SC_DEAD;
    for (bool changed = true; changed;) {
        changed = false;
        for (int bi = 0; bi < nb; bi++) {
            if (!reach[bi])
                continue;
            const RirBlock *b = f->blocks[bi];
            memcpy(cur, &in_st[(size_t)bi * ns], (size_t)ns);
            for (int i = 0; i < b->n; i++) {
                const RirInstr *in = &b->instrs[i];
                if (in->op == RIR_REGION_NEW && slot[in->dst] >= 0)
                    cur[slot[in->dst]] = SC_LIVE;
                else if ((in->op == RIR_REGION_EXIT || in->op == RIR_REGION_LEAVE) && in->region > 0 &&
                         slot[in->region] >= 0)
                    cur[slot[in->region]] = SC_DEAD;
            }
            const RirInstr *t = &b->instrs[b->n - 1];
            int nt = t->op == RIR_JMP ? 1 : t->op == RIR_BR ? 2 : 0;
            for (int k = 0; k < nt; k++) {
                uint8_t *to = &in_st[(size_t)t->target[k] * ns];
                for (int j = 0; j < ns; j++)
                    if ((to[j] | cur[j]) != to[j] || !reach[t->target[k]]) {
                        to[j] |= cur[j];
                        changed = true;
                    }
                reach[t->target[k]] = true;
            }
        }
    }
    /* check every instruction against the state before it */
    for (int bi = 0; bi < nb; bi++) {
        if (!reach[bi])
            continue;
        c->bb = bi;
        const RirBlock *b = f->blocks[bi];
        memcpy(cur, &in_st[(size_t)bi * ns], (size_t)ns);
        for (int i = 0; i < b->n; i++) {
            const RirInstr *in = &b->instrs[i];
            int32_t used[2] = { in->region, in->region2 };
            bool lifecycle = in->op == RIR_REGION_EXIT || in->op == RIR_REGION_LEAVE || in->op == RIR_RETAIN ||
                             in->op == RIR_RELEASE || in->op == RIR_TETHER || in->op == RIR_UNTETHER;
            for (int k = 0; k < 2 && !lifecycle; k++)
                if (used[k] > 0 && used[k] < nr && slot[used[k]] >= 0 && cur[slot[used[k]]] != SC_LIVE)
                    verr(c, "%s: scope region %%%d may be used outside its scope", opname(in), (int)used[k]);
            if (in->op == RIR_REGION_NEW && slot[in->dst] >= 0) {
                if (cur[slot[in->dst]] & SC_LIVE)
                    verr(c, "region.new: scope region %%%d may already be live", (int)in->dst);
                cur[slot[in->dst]] = SC_LIVE;
            } else if ((in->op == RIR_REGION_EXIT || in->op == RIR_REGION_LEAVE) && in->region > 0 &&
                       slot[in->region] >= 0) {
                if (cur[slot[in->region]] != SC_LIVE)
                    verr(c, "%s: scope region %%%d may not be live here", opname(in), (int)in->region);
                cur[slot[in->region]] = SC_DEAD;
            } else if (in->op == RIR_RET || (in->flags & RIF_TAIL)) {
                for (int r = 1; r < nr; r++)
                    if (slot[r] >= 0 && (cur[slot[r]] & SC_LIVE))
                        verr(c, "%s: scope region %%%d may still be live (no region.exit before it)",
                             opname(in), r);
            }
        }
    }
done:
    free(slot);
    free(in_st);
    free(cur);
    free(reach);
}

static bool symbol_safe(const char *s)
{
    if (!s || !*s || (*s >= '0' && *s <= '9'))
        return false;
    for (; *s; s++) {
        char ch = *s;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '.'))
            return false;
    }
    return true;
}

static void verify_func(VCtx *c, const RirFunc *f, int pos)
{
    c->f = f;
    c->bb = -1;
    int before = c->nerr;
    if (f->index != pos)
        verr(c, "index %d but at position %d of the module", f->index, pos);
    if (f->module && f->module != c->m)
        verr(c, "belongs to another module");
    if (!symbol_safe(f->name))
        verr(c, "name is not a valid symbol ([A-Za-z_][A-Za-z0-9_.]*)");
    if (f->nparams < 0 || f->nfree < 0)
        verr(c, "negative parameter or free count");
    if (f->nregs < 1 || !f->reg_kind || f->reg_kind[0] != RK_REGION) {
        verr(c, "%%0 must be the result region");
        return;
    }
    if (f->nblocks < 1) {
        verr(c, "has no blocks");
        return;
    }
    for (int bi = 0; bi < f->nblocks; bi++) {
        const RirBlock *b = f->blocks[bi];
        c->bb = bi;
        if (b->id != bi) {
            verr(c, "block at position %d has id %d", bi, b->id);
            continue;
        }
        if (b->n == 0) {
            verr(c, "empty block (no terminator)");
            continue;
        }
        for (int i = 0; i < b->n; i++) {
            const RirInstr *in = &b->instrs[i];
            bool term = in->op < RIR__COUNT && (ir_op_flags[in->op] & RF_TERM);
            if (term && i != b->n - 1)
                verr(c, "terminator %s in the middle of the block", opname(in));
            if (!term && i == b->n - 1)
                verr(c, "block does not end with a terminator (last: %s)", opname(in));
            check_instr(c, in);
            if (in->flags & RIF_TAIL) {
                const RirInstr *nx = i + 1 < b->n ? &b->instrs[i + 1] : NULL;
                if (!nx || nx->op != RIR_RET || nx->nargs != 1 || !nx->args || nx->args[0] != in->dst)
                    verr(c, "%s: a tail call must be followed by ret of its result", opname(in));
            }
        }
    }
    /* definedness needs sound targets and operands */
    if (c->nerr == before)
        check_defined(c);
    if (c->nerr == before)
        check_scopes(c);
}

int ir_verify_module(FILE *out, const RirModule *m)
{
    VCtx c = { .out = out, .m = m, .f = NULL, .bb = -1, .nerr = 0 };
    int nentry = 0;
    for (int i = 0; i < m->nfuncs; i++) {
        const RirFunc *f = m->funcs[i];
        c.f = f;
        c.bb = -1;
        if (!f) {
            c.nerr++;
            if (out) fprintf(out, "rir verify: function %d is missing\n", i);
            continue;
        }
        if (f->is_entry) {
            nentry++;
            if (f != m->entry)
                verr(&c, "marked as entry but the module's entry is another function");
            if (f->nparams != 0 || f->has_rest || f->nfree != 0)
                verr(&c, "the entry function takes no parameters and captures nothing");
        }
        for (int j = 0; j < i; j++)
            if (m->funcs[j] && f->name && m->funcs[j]->name && strcmp(m->funcs[j]->name, f->name) == 0)
                verr(&c, "name used by another function of the module");
        verify_func(&c, f, i);
    }
    if (!m->entry || nentry != 1 || !m->entry->is_entry) {
        c.nerr++;
        if (out)
            fprintf(out, "rir verify: module \"%s\": needs exactly one entry function (has %d)\n",
                    m->name ? m->name : "?", nentry);
    }
    return c.nerr;
}
