/* ir.c — the Region IR builder: op tables, modules, functions, registers,
 * blocks and instructions, plus the small shared helpers of ir/.
 *
 * Everything a module owns is allocated from its FeArena, so a module is
 * freed with the arena of its unit and the builder never frees anything:
 * growing an array abandons the old storage to the arena.
 */
#include <stdlib.h>
#include <string.h>

#include "ir_internal.h"

const char *const ir_op_names[RIR__COUNT] = {
#define RIR_OP(id, name, flags) name,
#include "ops.h"
#undef RIR_OP
};

const unsigned ir_op_flags[RIR__COUNT] = {
#define RIR_OP(id, name, flags) flags,
#include "ops.h"
#undef RIR_OP
};

const IrBuiltinInfo ir_builtins[OMNI_BI__COUNT] = {
#define OMNI_BUILTIN(name, cname, kind, min, max, flags) { name, min, max, flags },
#include "../rt/builtins.def"
#undef OMNI_BUILTIN
};

RirInstr **ir_single_defs(const RirFunc *f)
{
    RirInstr **def = ir_xcalloc((size_t)f->nregs + 1, sizeof *def, "single definitions");
    uint8_t *count = ir_xcalloc((size_t)f->nregs + 1, 1, "single definitions");
    for (int bi = 0; bi < f->nblocks; bi++) {
        RirBlock *b = f->blocks[bi];
        for (int i = 0; i < b->n; i++) {
            RirInstr *in = &b->instrs[i];
            if (in->dst < 0 || in->dst >= f->nregs)
                continue;
            if (count[in->dst] < 2)
                count[in->dst]++;
            def[in->dst] = count[in->dst] == 1 ? in : NULL;
        }
    }
    free(count);
    return def;
}

int ir_builtin_lookup(const char *name)
{
    /* ~120 rows: a linear scan costs less than building an index per unit */
    for (int i = 0; i < OMNI_BI__COUNT; i++)
        if (strcmp(ir_builtins[i].name, name) == 0)
            return i;
    return -1;
}

bool ir_builtin_arity_ok(int id, int nargs)
{
    if (id < 0 || id >= OMNI_BI__COUNT)
        return false;
    const IrBuiltinInfo *b = &ir_builtins[id];
    return nargs >= b->min && (b->max < 0 || nargs <= b->max);
}

static void oom(const char *what)
{
    fprintf(stderr, "omni: out of memory (%s)\n", what);
    abort();
}

void *ir_xcalloc(size_t n, size_t size, const char *what)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(what);
    return p;
}

void *ir_xrealloc(void *p, size_t size, const char *what)
{
    void *q = realloc(p, size ? size : 1);
    if (!q)
        oom(what);
    return q;
}

void ir_insert_at(RirFunc *f, RirBlock *b, int pos, const RirInstr *proto)
{
    ir_emit(f, b, proto);
    RirInstr tmp = b->instrs[b->n - 1];
    memmove(&b->instrs[pos + 1], &b->instrs[pos], (size_t)(b->n - 1 - pos) * sizeof *b->instrs);
    b->instrs[pos] = tmp;
}

bool ir_instr_allocates(const RirInstr *in)
{
    if (in->op >= RIR__COUNT)
        return false;
    if (ir_op_flags[in->op] & RF_ALLOC)
        return true;
    return in->op == RIR_PRIM && in->imm >= 0 && in->imm < OMNI_BI__COUNT &&
           (ir_builtins[in->imm].flags & OBF_ALLOC);
}

const char *ir_ann_name(int64_t ann)
{
    static const char *const names[OMNI_ANN__COUNT] = {
        [OMNI_ANN_ANY] = "Any",       [OMNI_ANN_INT] = "Int",     [OMNI_ANN_FLOAT] = "Float",
        [OMNI_ANN_STRING] = "String", [OMNI_ANN_BOOL] = "Bool",   [OMNI_ANN_LIST] = "List",
        [OMNI_ANN_ARRAY] = "Array",   [OMNI_ANN_DICT] = "Dict",   [OMNI_ANN_FN] = "Fn",
        [OMNI_ANN_SYMBOL] = "Symbol", [OMNI_ANN_CHAR] = "Char",
    };
    if (ann < 0 || ann >= OMNI_ANN__COUNT)
        return NULL;
    return names[ann];
}

void *ir_grow(FeArena *a, void *old, int n, int *cap, size_t elem)
{
    if (n < *cap)
        return old;
    int ncap = *cap ? *cap * 2 : 8;
    void *p = fe_alloc(a, (size_t)ncap * elem);
    if (old && n > 0)
        memcpy(p, old, (size_t)n * elem);
    *cap = ncap;
    return p;
}

RirModule *ir_module_new(FeArena *a, const char *name)
{
    RirModule *m = fe_alloc(a, sizeof *m);
    m->arena = a;
    m->name = fe_strdup(a, name, strlen(name));
    return m;
}

RirFunc *ir_func_new(RirModule *m, const char *name, const char *display, Span span)
{
    RirFunc *f = fe_alloc(m->arena, sizeof *f);
    f->name = fe_strdup(m->arena, name, strlen(name));
    f->display = fe_strdup(m->arena, display, strlen(display));
    f->span = span;
    f->module = m;
    f->index = m->nfuncs;
    m->funcs = ir_grow(m->arena, m->funcs, m->nfuncs, &m->funccap, sizeof *m->funcs);
    m->funcs[m->nfuncs++] = f;
    /* %0: the result region, the implicit first parameter of every function */
    ir_new_reg(f, RK_REGION);
    return f;
}

int ir_new_reg(RirFunc *f, RirRegKind kind)
{
    FeArena *a = f->module->arena;
    int cap = f->regcap;
    f->reg_kind = ir_grow(a, f->reg_kind, f->nregs, &cap, sizeof *f->reg_kind);
    f->regcap = cap;
    f->reg_kind[f->nregs] = (uint8_t)kind;
    return f->nregs++;
}

RirBlock *ir_new_block(RirFunc *f)
{
    FeArena *a = f->module->arena;
    RirBlock *b = fe_alloc(a, sizeof *b);
    b->id = f->nblocks;
    f->blocks = ir_grow(a, f->blocks, f->nblocks, &f->blockcap, sizeof *f->blocks);
    f->blocks[f->nblocks++] = b;
    return b;
}

RirInstr ir_instr(RirOp op, Span span)
{
    RirInstr in;
    memset(&in, 0, sizeof in);
    in.op = (uint16_t)op;
    in.dst = -1;
    in.region = -1;
    in.region2 = -1;
    in.target[0] = in.target[1] = -1;
    in.span = span;
    return in;
}

RirInstr *ir_emit(RirFunc *f, RirBlock *b, const RirInstr *proto)
{
    FeArena *a = f->module->arena;
    b->instrs = ir_grow(a, b->instrs, b->n, &b->cap, sizeof *b->instrs);
    RirInstr *in = &b->instrs[b->n++];
    *in = *proto;
    /* the operand array of a prototype is often on the caller's stack */
    if (proto->nargs > 0) {
        in->args = fe_alloc(a, (size_t)proto->nargs * sizeof *in->args);
        memcpy(in->args, proto->args, (size_t)proto->nargs * sizeof *in->args);
    } else {
        in->args = NULL;
        in->nargs = 0;
    }
    return in;
}

int ir_add_const(RirModule *m, Datum *d)
{
    m->consts = ir_grow(m->arena, m->consts, m->nconsts, &m->constcap, sizeof *m->consts);
    m->consts[m->nconsts] = d;
    return m->nconsts++;
}

bool ir_block_terminated(const RirBlock *b)
{
    return b->n > 0 && b->instrs[b->n - 1].op < RIR__COUNT &&
           (ir_op_flags[b->instrs[b->n - 1].op] & RF_TERM);
}
