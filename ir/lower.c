/* lower.c — core AST → Region IR.
 *
 * One RirFunc per A_LAMBDA plus the unit's entry function, which runs the
 * top-level forms in order and returns the last value.  Variables live in
 * registers; a variable that is captured and assigned (or, inside a letrec,
 * captured before its initialiser ran) lives in a box instead, and the
 * register holds the box.  Inside a lambda, a captured variable is read
 * from the closure's environment (env.ref) and the lambda's own letrec name
 * is `self`.  Calls of built-ins the user has not redefined become `prim`
 * ops; calls of a variable known to hold a particular lambda become
 * `call.known`.  Every allocation is placed in %0 here; the region passes
 * decide placement afterwards (ir/pass_region_place.c).
 *
 * Lowering is a single recursive walk.  Each expression is lowered in one
 * of three contexts: its value is discarded, its value is needed, or it is
 * in tail position (the code returns the value itself, by `ret` or by a
 * tail call followed by `ret`).
 */
#include <stdarg.h>
#include <string.h>

#include "ir_internal.h"

/* ------------------------------------------------------------ small maps */

/* Open addressing over pointer keys (Var*, lambda Ast*). */
typedef struct PtrMap {
    const void **keys;
    void **vals;
    int n, cap;
} PtrMap;

static size_t ptr_hash(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

static void *ptrmap_get(const PtrMap *m, const void *k)
{
    if (!m->cap)
        return NULL;
    for (size_t i = ptr_hash(k) & (size_t)(m->cap - 1);; i = (i + 1) & (size_t)(m->cap - 1)) {
        if (!m->keys[i])
            return NULL;
        if (m->keys[i] == k)
            return m->vals[i];
    }
}

static void ptrmap_put(FeArena *a, PtrMap *m, const void *k, void *v)
{
    if ((m->n + 1) * 2 > m->cap) {
        PtrMap old = *m;
        m->cap = old.cap ? old.cap * 2 : 64;
        m->n = 0;
        m->keys = fe_alloc(a, (size_t)m->cap * sizeof *m->keys);
        m->vals = fe_alloc(a, (size_t)m->cap * sizeof *m->vals);
        for (int i = 0; i < old.cap; i++)
            if (old.keys[i])
                ptrmap_put(a, m, old.keys[i], old.vals[i]);
    }
    size_t i = ptr_hash(k) & (size_t)(m->cap - 1);
    while (m->keys[i] && m->keys[i] != k)
        i = (i + 1) & (size_t)(m->cap - 1);
    if (!m->keys[i])
        m->n++;
    m->keys[i] = k;
    m->vals[i] = v;
}

/* Function base names → next numeric suffix, to keep names unique. */
typedef struct NameSet {
    const char **keys;
    int *next;
    int n, cap;
} NameSet;

/* Returns the slot of `k` (inserting it with next = 0 if absent). */
static int *nameset_slot(FeArena *a, NameSet *s, const char *k)
{
    if ((s->n + 1) * 2 > s->cap) {
        NameSet old = *s;
        s->cap = old.cap ? old.cap * 2 : 64;
        s->n = 0;
        s->keys = fe_alloc(a, (size_t)s->cap * sizeof *s->keys);
        s->next = fe_alloc(a, (size_t)s->cap * sizeof *s->next);
        for (int i = 0; i < old.cap; i++)
            if (old.keys[i])
                *nameset_slot(a, s, old.keys[i]) = old.next[i];
    }
    size_t i = (size_t)fe_str_hash(k) & (size_t)(s->cap - 1);
    while (s->keys[i] && strcmp(s->keys[i], k) != 0)
        i = (i + 1) & (size_t)(s->cap - 1);
    if (!s->keys[i]) {
        s->keys[i] = k;
        s->next[i] = 0;
        s->n++;
    }
    return &s->next[i];
}

/* ---------------------------------------------------------- lowering state */

typedef struct FnCtx FnCtx;

typedef struct VarInfo {
    Var *var;
    FnCtx *fn;          /* the function whose register holds it */
    int reg;            /* its home register there (the box if boxed); -1 before binding */
    bool boxed;
    int known_fn;       /* index of the function it is bound to (never assigned), or -1 */
    const Ast *letrec;  /* the letrec being analysed that binds it (see lower_letrec) */
    int letrec_pos;
} VarInfo;

struct FnCtx {
    RirFunc *f;
    const Ast *lam;     /* NULL for the entry function */
    Var **free;         /* environment slots: lam.free without the self name */
    int nfree;
    Var *self;          /* references to this variable read `self`, or NULL */
    RirBlock *cur;      /* the block being filled */
    uint8_t *home;      /* per register: 1 if it is some variable's home */
    int homecap;
    int nscopes;        /* let scope markers emitted so far (their ids) */
};

typedef struct Lower {
    FeArena *a;
    FeSession *s;
    RirModule *m;
    PtrMap vars;        /* Var* → VarInfo* */
    PtrMap lams;        /* A_LAMBDA Ast* → RirFunc* */
    NameSet names;
    int nerrors;
} Lower;

typedef enum { W_DISCARD, W_VALUE, W_TAIL } Want;

enum { R_NONE = -1, R_DONE = -2 };

static int lower(Lower *L, FnCtx *fc, const Ast *e, Want w);

static void lower_error(Lower *L, Span sp, const char *fmt, ...)
{
    va_list ap;
    L->nerrors++;
    fprintf(stderr, "%s:%d:%d: error: ", sp.file ? sp.file : "?", (int)sp.line, (int)sp.col);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* ------------------------------------------------------------- emission */

static int new_val(FnCtx *fc)
{
    int r = ir_new_reg(fc->f, RK_VALUE);
    while (r >= fc->homecap)
        fc->home = ir_grow(fc->f->module->arena, fc->home, fc->homecap, &fc->homecap, 1);
    return r;
}

static bool is_home(const FnCtx *fc, int r)
{
    return r == 0 || (r < fc->homecap && fc->home[r]);
}

static RirInstr *emit(FnCtx *fc, RirInstr in)
{
    return ir_emit(fc->f, fc->cur, &in);
}

/* dst = op with no operands (const, param, self, env.ref, global.get) */
static int emit0(FnCtx *fc, RirOp op, Span sp, int64_t imm, const char *name)
{
    RirInstr in = ir_instr(op, sp);
    in.dst = new_val(fc);
    in.imm = imm;
    in.name = name;
    emit(fc, in);
    return in.dst;
}

/* op with operands; dst < 0: none.  Returns dst. */
static int emitn(FnCtx *fc, RirOp op, Span sp, int dst, int nargs, int32_t *args)
{
    RirInstr in = ir_instr(op, sp);
    in.dst = dst;
    in.nargs = nargs;
    in.args = args;
    emit(fc, in);
    return dst;
}

static int emit_const(FnCtx *fc, Span sp, OVal v)
{
    return emit0(fc, RIR_CONST, sp, (int64_t)v, NULL);
}

static void emit_mov(FnCtx *fc, Span sp, int dst, int src)
{
    int32_t a[1] = { src };
    emitn(fc, RIR_MOV, sp, dst, 1, a);
}

static void emit_ret(FnCtx *fc, Span sp, int r)
{
    int32_t a[1] = { r };
    emitn(fc, RIR_RET, sp, -1, 1, a);
}

static int emit_box_new(FnCtx *fc, Span sp, int v)
{
    RirInstr in = ir_instr(RIR_BOX_NEW, sp);
    int32_t a[1] = { v };
    in.dst = new_val(fc);
    in.nargs = 1;
    in.args = a;
    in.region = 0;
    emit(fc, in);
    return in.dst;
}

/* Ends a lowering in context w with the value in r. */
static int finish(FnCtx *fc, Span sp, int r, Want w)
{
    if (w == W_TAIL) {
        emit_ret(fc, sp, r);
        return R_DONE;
    }
    return r;
}

/* The value of statements (define, set!) when it is used: nothing. */
static int finish_nothing(FnCtx *fc, Span sp, Want w)
{
    if (w == W_DISCARD)
        return R_NONE;
    return finish(fc, sp, emit_const(fc, sp, OMNI_NOTHING), w);
}

static const char *adup(Lower *L, const char *s, size_t n)
{
    return fe_strdup(L->a, s, n);
}

static const char *adups(Lower *L, const char *s)
{
    return s ? fe_strdup(L->a, s, strlen(s)) : NULL;
}

/* The module keeps its own copy of quoted data, so it does not depend on
 * the arena the AST came from. */
static Datum *copy_datum(Lower *L, const Datum *d)
{
    if (!d)
        return NULL;
    Datum *c = fe_alloc(L->a, sizeof *c);
    *c = *d;
    switch (d->kind) {
    case D_STRING: case D_SYMBOL: case D_TYPE: case D_META:
        c->u.str.s = adup(L, d->u.str.s, (size_t)d->u.str.len);
        break;
    case D_LIST: case D_ARRAY: case D_DICT:
        c->u.list.items = fe_alloc(L->a, (size_t)(d->u.list.n ? d->u.list.n : 1) * sizeof(Datum *));
        for (int i = 0; i < d->u.list.n; i++)
            c->u.list.items[i] = copy_datum(L, d->u.list.items[i]);
        c->u.list.tail = copy_datum(L, d->u.list.tail);
        break;
    default:
        break;
    }
    return c;
}

/* ------------------------------------------------------------- functions */

/* A function name that is unique in the module and valid as a symbol:
 * the lambda's name with every character outside [A-Za-z0-9_] turned into
 * '_', plus ".N" when the name is taken. */
static const char *func_name(Lower *L, const char *want)
{
    size_t n = want ? strlen(want) : 0;
    char *base = fe_alloc(L->a, n + 3);
    size_t k = 0;
    if (n == 0 || (want[0] >= '0' && want[0] <= '9'))
        base[k++] = 'f', base[k++] = '_';
    for (size_t i = 0; i < n; i++) {
        char ch = want[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
        base[k++] = ok ? ch : '_';
    }
    base[k] = 0;
    /* suffixed names contain '.', which no base has, so they never clash */
    int *next = nameset_slot(L->a, &L->names, base);
    if ((*next)++ == 0)
        return base;
    char *name = fe_alloc(L->a, k + 16);
    snprintf(name, k + 16, "%s.%d", base, *next - 1);
    return name;
}

static RirFunc *func_for_lambda(Lower *L, const Ast *lam)
{
    RirFunc *g = ptrmap_get(&L->lams, lam);
    if (g)
        return g;
    const char *disp = lam->u.lam.name ? lam->u.lam.name : "lambda";
    g = ir_func_new(L->m, func_name(L, disp), disp, lam->span);
    g->nparams = lam->u.lam.nparams;
    g->has_rest = lam->u.lam.rest != NULL;
    ptrmap_put(L->a, &L->lams, lam, g);
    return g;
}

/* ------------------------------------------------------------- variables */

static VarInfo *var_info(Lower *L, Var *v)
{
    return ptrmap_get(&L->vars, v);
}

static VarInfo *var_new(Lower *L, FnCtx *fc, Var *v)
{
    VarInfo *vi = fe_alloc(L->a, sizeof *vi);
    vi->var = v;
    vi->fn = fc;
    vi->reg = -1;
    vi->boxed = (v->flags & V_BOXED) || (v->flags & (V_CAPTURED | V_ASSIGNED)) == (V_CAPTURED | V_ASSIGNED);
    vi->known_fn = -1;
    ptrmap_put(L->a, &L->vars, v, vi);
    return vi;
}

static void set_home(FnCtx *fc, VarInfo *vi, int r)
{
    vi->reg = r;
    fc->home[r] = 1;
}

/* Binds v (already described by vi) to the value in r: a box holding it, r
 * itself when r is a temporary nobody else names, or a copy. */
static void bind_value(FnCtx *fc, VarInfo *vi, int r, Span sp)
{
    if (vi->boxed) {
        set_home(fc, vi, emit_box_new(fc, sp, r));
    } else if (!is_home(fc, r)) {
        set_home(fc, vi, r);
    } else {
        int h = new_val(fc);
        emit_mov(fc, sp, h, r);
        set_home(fc, vi, h);
    }
}

/* Whether references to a lambda's self name can read `self`: the name
 * must never change, so it is not assigned and not boxed. */
static bool self_usable(Lower *L, const Var *self)
{
    if (!self || (self->flags & (V_ASSIGNED | V_BOXED)))
        return false;
    VarInfo *vi = var_info(L, (Var *)self);
    return !vi || !vi->boxed;
}

/* The register that holds v's storage in fc: its value, or its box. */
static int var_storage(Lower *L, FnCtx *fc, Var *v, Span sp)
{
    VarInfo *vi = var_info(L, v);
    if (vi && vi->fn == fc) {
        if (vi->reg >= 0)
            return vi->reg;
    } else if (v == fc->self) {
        return emit0(fc, RIR_SELF, sp, 0, NULL);
    } else if (vi) {
        for (int i = 0; i < fc->nfree; i++)
            if (fc->free[i] == v)
                return emit0(fc, RIR_ENV_REF, sp, i, NULL);
    }
    lower_error(L, sp, "internal error: variable '%s' is not bound here", v->name ? v->name : "?");
    return emit_const(fc, sp, OMNI_NOTHING);
}

static int read_var(Lower *L, FnCtx *fc, Var *v, Span sp, Want w)
{
    VarInfo *vi = var_info(L, v);
    int st = var_storage(L, fc, v, sp);
    if (vi && vi->boxed) {
        int32_t a[1] = { st };
        return emitn(fc, RIR_BOX_GET, sp, new_val(fc), 1, a);
    }
    /* an assigned register variable can change before the value is used
     * (the next argument may set! it): take a copy */
    if (w == W_VALUE && (v->flags & V_ASSIGNED) && vi && vi->fn == fc) {
        int t = new_val(fc);
        emit_mov(fc, sp, t, st);
        return t;
    }
    return st;
}

static void assign_var(Lower *L, FnCtx *fc, Var *v, int r, Span sp)
{
    VarInfo *vi = var_info(L, v);
    if (vi && vi->boxed) {
        int32_t a[2] = { var_storage(L, fc, v, sp), r };
        emitn(fc, RIR_BOX_SET, sp, -1, 2, a);
    } else if (vi && vi->fn == fc) {
        if (vi->reg < 0) {
            int h = new_val(fc);
            set_home(fc, vi, h);
        }
        emit_mov(fc, sp, vi->reg, r);
    } else {
        lower_error(L, sp, "internal error: assignment to captured variable '%s' that is not boxed",
                    v->name ? v->name : "?");
    }
}

/* ------------------------------------------------------------- constants */

static int lower_const(Lower *L, FnCtx *fc, const Ast *e, Want w)
{
    const Datum *d = e->u.konst;
    Span sp = e->span;
    if (w == W_DISCARD)
        return R_NONE;
    int r;
    switch (d->kind) {
    case D_INT:
        if (d->u.i < OMNI_FIX_MIN || d->u.i > OMNI_FIX_MAX) {
            lower_error(L, d->span, "integer literal out of range");
            r = emit_const(fc, sp, OMNI_NOTHING);
        } else {
            r = emit_const(fc, sp, omni_fix(d->u.i));
        }
        break;
    case D_CHAR:    r = emit_const(fc, sp, omni_char((uint32_t)d->u.i)); break;
    case D_BOOL:    r = emit_const(fc, sp, omni_bool(d->u.i != 0)); break;
    case D_NOTHING: r = emit_const(fc, sp, OMNI_NOTHING); break;
    case D_FLOAT: {
        RirInstr in = ir_instr(RIR_CONST_FLOAT, sp);
        in.dst = r = new_val(fc);
        in.fimm = d->u.f;
        emit(fc, in);
        break;
    }
    case D_STRING:
        r = emit0(fc, RIR_CONST_STR, sp, ir_add_const(L->m, copy_datum(L, d)), NULL);
        break;
    case D_SYMBOL:
        r = emit0(fc, RIR_CONST_SYM, sp, 0, adup(L, d->u.str.s, (size_t)d->u.str.len));
        break;
    case D_LIST:
        if (d->u.list.n == 0 && !d->u.list.tail)
            r = emit_const(fc, sp, OMNI_NIL);
        else
            r = emit0(fc, RIR_CONST_DATUM, sp, ir_add_const(L->m, copy_datum(L, d)), NULL);
        break;
    default:    /* quoted arrays, dicts, types: static data */
        r = emit0(fc, RIR_CONST_DATUM, sp, ir_add_const(L->m, copy_datum(L, d)), NULL);
        break;
    }
    return finish(fc, sp, r, w);
}

/* ------------------------------------------------------------- lambdas */

static FnCtx *fnctx_new(Lower *L, RirFunc *f, const Ast *lam)
{
    /* in the arena, not on the stack: VarInfo.fn keeps pointing at it */
    FnCtx *fc = fe_alloc(L->a, sizeof *fc);
    fc->f = f;
    fc->lam = lam;
    fc->home = ir_grow(L->a, NULL, 0, &fc->homecap, 1);
    fc->cur = ir_new_block(f);
    return fc;
}

/* The function of a lambda: parameters (param, then check.param for
 * annotated ones, then boxes for boxed ones), then the body in tail
 * position. */
static void lower_body(Lower *L, RirFunc *g, const Ast *lam, Var *self, Var **free, int nfree)
{
    FnCtx *in = fnctx_new(L, g, lam);
    in->self = self;
    in->free = free;
    in->nfree = nfree;
    g->nfree = nfree;
    /* parameters: all params first, then the type checks, then boxes */
    int np = lam->u.lam.nparams + (lam->u.lam.rest ? 1 : 0);
    int *pr = fe_alloc(L->a, (size_t)(np + 1) * sizeof *pr);
    for (int i = 0; i < np; i++) {
        Var *v = i < lam->u.lam.nparams ? lam->u.lam.params[i] : lam->u.lam.rest;
        pr[i] = emit0(in, RIR_PARAM, v->span, i, NULL);
    }
    for (int i = 0; i < np; i++) {
        Var *v = i < lam->u.lam.nparams ? lam->u.lam.params[i] : lam->u.lam.rest;
        if (v->ann > OMNI_ANN_ANY && v->ann < OMNI_ANN__COUNT) {
            RirInstr ci = ir_instr(RIR_CHECK_PARAM, v->span);
            int32_t a[1] = { pr[i] };
            ci.nargs = 1;
            ci.args = a;
            ci.imm = v->ann;
            ci.name = adups(L, v->name ? v->name : "?");
            emit(in, ci);
        }
    }
    for (int i = 0; i < np; i++) {
        Var *v = i < lam->u.lam.nparams ? lam->u.lam.params[i] : lam->u.lam.rest;
        bind_value(in, var_new(L, in, v), pr[i], v->span);
    }
    lower(L, in, lam->u.lam.body, W_TAIL);
}

/* Lowers the lambda's body into its own function and emits its creation
 * in fc: closure.new @f(free values) in %0.  Returns the closure register
 * and the function in *gout. */
static int lower_lambda(Lower *L, FnCtx *fc, const Ast *lam, RirFunc **gout)
{
    RirFunc *g = func_for_lambda(L, lam);
    Var *self = self_usable(L, lam->u.lam.self) ? lam->u.lam.self : NULL;
    int nfree = 0;
    Var **free = fe_alloc(L->a, (size_t)(lam->u.lam.nfree + 1) * sizeof *free);
    for (int i = 0; i < lam->u.lam.nfree; i++)
        if (lam->u.lam.free[i] != self)
            free[nfree++] = lam->u.lam.free[i];
    if (g->nblocks == 0)    /* not lowered yet (an AST shared twice is lowered once) */
        lower_body(L, g, lam, self, free, nfree);

    /* the creation site */
    int32_t *fa = fe_alloc(L->a, (size_t)(nfree + 1) * sizeof *fa);
    for (int i = 0; i < nfree; i++)
        fa[i] = var_storage(L, fc, free[i], lam->span);
    RirInstr ci = ir_instr(RIR_CLOSURE_NEW, lam->span);
    ci.dst = new_val(fc);
    ci.imm = g->index;
    ci.nargs = nfree;
    ci.args = fa;
    ci.region = 0;
    emit(fc, ci);
    if (gout)
        *gout = g;
    return ci.dst;
}

/* ------------------------------------------------------------- calls */

typedef struct Special {
    const char *name;
    int nargs;          /* exact count, or 3: "3 or more" (a left fold) */
    int prim;           /* OmniBuiltinId */
} Special;

/* Arithmetic and comparisons with a fixed small count go to the hot
 * two-operand built-ins, which the backend inlines. */
static const Special specials[] = {
    { "+", 2, OMNI_BI_add2 }, { "+", 3, OMNI_BI_add2 },
    { "-", 1, OMNI_BI_neg },  { "-", 2, OMNI_BI_sub2 }, { "-", 3, OMNI_BI_sub2 },
    { "*", 2, OMNI_BI_mul2 }, { "*", 3, OMNI_BI_mul2 },
    { "/", 2, OMNI_BI_div2 },
    { "=", 2, OMNI_BI_numeq2 }, { "<", 2, OMNI_BI_lt2 }, { ">", 2, OMNI_BI_gt2 },
    { "<=", 2, OMNI_BI_le2 }, { ">=", 2, OMNI_BI_ge2 },
};

static int emit_prim(FnCtx *fc, Span sp, int id, int nargs, int32_t *args)
{
    RirInstr in = ir_instr(RIR_PRIM, sp);
    in.dst = new_val(fc);
    in.imm = id;
    in.nargs = nargs;
    in.args = args;
    in.region = (ir_builtins[id].flags & OBF_ALLOC) ? 0 : -1;
    emit(fc, in);
    return in.dst;
}

static int32_t *lower_args(Lower *L, FnCtx *fc, const Ast *e, int first)
{
    int n = e->u.call.nargs;
    int32_t *a = fe_alloc(L->a, (size_t)(n + first + 1) * sizeof *a);
    for (int i = 0; i < n; i++)
        a[first + i] = lower(L, fc, e->u.call.args[i], W_VALUE);
    return a;
}

/* A call of a built-in by its global name; false when it must be an
 * ordinary call (redefined by the user, unknown, or wrong argument count:
 * the runtime then reports the arity error). */
static bool try_prim(Lower *L, FnCtx *fc, const Ast *e, Want w, int *out)
{
    const Ast *fn = e->u.call.fn;
    if (fn->kind != A_GREF)
        return false;
    const char *name = fn->u.gref;
    int id = ir_builtin_lookup(name);
    if (id < 0 || (L->s && fe_session_is_user_global(L->s, name)))
        return false;
    int n = e->u.call.nargs;
    const Special *sp = NULL;
    for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++)
        if (strcmp(specials[i].name, name) == 0 &&
            (specials[i].nargs == n || (specials[i].nargs == 3 && n > 3)))
            sp = &specials[i];
    if (!sp && !ir_builtin_arity_ok(id, n))
        return false;

    /* all arguments first, as the variadic built-in would see them */
    int32_t *a = lower_args(L, fc, e, 0);
    int r;
    if (!sp) {
        r = emit_prim(fc, e->span, id, n, a);
    } else if (n <= 2) {
        r = emit_prim(fc, e->span, sp->prim, n, a);
    } else {
        r = a[0];
        for (int i = 1; i < n; i++) {
            int32_t pair[2] = { r, a[i] };
            r = emit_prim(fc, e->span, sp->prim, 2, pair);
        }
    }
    *out = finish(fc, e->span, r, w);
    return true;
}

static int lower_call(Lower *L, FnCtx *fc, const Ast *e, Want w)
{
    int r;
    if (try_prim(L, fc, e, w, &r))
        return r;

    const Ast *fn = e->u.call.fn;
    int n = e->u.call.nargs;
    RirFunc *known = NULL;
    int clo;
    if (fn->kind == A_LREF) {
        Var *v = fn->u.lref;
        VarInfo *vi = var_info(L, v);
        if (v == fc->self)
            known = fc->f;      /* `self` is always this function's closure */
        else if (vi && vi->known_fn >= 0)
            known = L->m->funcs[vi->known_fn];
        clo = read_var(L, fc, v, fn->span, W_VALUE);
    } else if (fn->kind == A_LAMBDA) {
        clo = lower_lambda(L, fc, fn, &known);
    } else {
        clo = lower(L, fc, fn, W_VALUE);
    }
    if (known && (known->has_rest || known->nparams != n))
        known = NULL;

    int32_t *a = lower_args(L, fc, e, 1);
    a[0] = clo;
    RirInstr in = ir_instr(known ? RIR_CALL_KNOWN : RIR_CALL, e->span);
    in.dst = new_val(fc);
    in.nargs = n + 1;
    in.args = a;
    if (known)
        in.imm = known->index;
    /* a proper tail call: only where both the frontend and this walk agree
     * the call is in tail position, and never in the entry function, which
     * is called with the C convention */
    if (w == W_TAIL && e->u.call.tail && !fc->f->is_entry)
        in.flags |= RIF_TAIL;
    emit(fc, in);
    return finish(fc, e->span, in.dst, w);
}

/* ------------------------------------------------------------- control */

static RirInstr *block_last(RirBlock *b)
{
    return &b->instrs[b->n - 1];
}

static int lower_if(Lower *L, FnCtx *fc, const Ast *e, Want w)
{
    Span sp = e->span;
    int c = lower(L, fc, e->u.if_.c, W_VALUE);
    int32_t a[1] = { c };
    RirBlock *from = fc->cur;
    emitn(fc, RIR_BR, sp, -1, 1, a);
    int br_at = from->n - 1;

    /* In tail position each arm returns by itself: no join block. */
    int res = w == W_VALUE ? new_val(fc) : -1;
    RirBlock *ends[2] = { NULL, NULL };   /* arms that fall through to the join */
    const Ast *arms[2] = { e->u.if_.t, e->u.if_.e };
    for (int k = 0; k < 2; k++) {
        RirBlock *b = ir_new_block(fc->f);
        from->instrs[br_at].target[k] = b->id;
        fc->cur = b;
        int r = lower(L, fc, arms[k], w);
        if (w == W_TAIL)
            continue;
        if (w == W_VALUE)
            emit_mov(fc, arms[k]->span, res, r);
        RirInstr j = ir_instr(RIR_JMP, arms[k]->span);
        emit(fc, j);
        ends[k] = fc->cur;
    }
    if (w == W_TAIL)
        return R_DONE;
    RirBlock *join = ir_new_block(fc->f);
    for (int k = 0; k < 2; k++)
        block_last(ends[k])->target[0] = join->id;
    fc->cur = join;
    return w == W_VALUE ? res : R_NONE;
}

static int lower_seq(Lower *L, FnCtx *fc, const Ast *e, Want w)
{
    int n = e->u.seq.n;
    if (n == 0)
        return finish_nothing(fc, e->span, w);
    for (int i = 0; i < n - 1; i++)
        lower(L, fc, e->u.seq.items[i], W_DISCARD);
    return lower(L, fc, e->u.seq.items[n - 1], w);
}

static int lower_let(Lower *L, FnCtx *fc, const Ast *e, Want w)
{
    int n = e->u.let.n;
    int *r = fe_alloc(L->a, (size_t)(n + 1) * sizeof *r);
    for (int i = 0; i < n; i++)
        r[i] = lower(L, fc, e->u.let.inits[i], W_VALUE);
    for (int i = 0; i < n; i++) {
        Var *v = e->u.let.vars[i];
        VarInfo *vi = var_new(L, fc, v);
        const Ast *init = e->u.let.inits[i];
        if (init->kind == A_LAMBDA && !(v->flags & V_ASSIGNED)) {
            RirFunc *g = ptrmap_get(&L->lams, init);
            if (g)
                vi->known_fn = g->index;
        }
        bind_value(fc, vi, r[i], v->span);
    }
    return lower(L, fc, e->u.let.body, w);
}

/* Letrec analysis: which of its variables are referenced before their
 * initialiser has run.  A reference from inside a lambda created before
 * the variable is bound (captured early) needs a box, so the closure can
 * hold the box and see the later binding; a direct early read needs the
 * register to hold `nothing` rather than garbage.  References from the
 * variable's own lambda through its self name are not early. */
enum { EARLY_DIRECT = 1, EARLY_CAPTURED = 2 };

static void mark_early(Lower *L, const Ast *letrec, int pos, const Ast *own_lam, int depth,
                       const Ast *e, uint8_t *early)
{
    if (!e)
        return;
    Var *v = NULL;
    switch (e->kind) {
    case A_LREF: v = e->u.lref; break;
    case A_LSET: v = e->u.lset.var; break;
    default: break;
    }
    if (v) {
        VarInfo *vi = var_info(L, v);
        if (vi && vi->letrec == letrec && vi->letrec_pos >= pos) {
            /* its own lambda reads it as `self` (see self_usable) */
            bool own = own_lam && vi->letrec_pos == pos && own_lam->u.lam.self == v &&
                       !(v->flags & (V_ASSIGNED | V_BOXED));
            if (!own)
                early[vi->letrec_pos] |= depth > 0 ? EARLY_CAPTURED : EARLY_DIRECT;
        }
    }
    switch (e->kind) {
    case A_CONST: case A_LREF: case A_GREF:
        break;
    case A_LSET: mark_early(L, letrec, pos, own_lam, depth, e->u.lset.val, early); break;
    case A_GSET: case A_GDEF: mark_early(L, letrec, pos, own_lam, depth, e->u.gset.val, early); break;
    case A_IF:
        mark_early(L, letrec, pos, own_lam, depth, e->u.if_.c, early);
        mark_early(L, letrec, pos, own_lam, depth, e->u.if_.t, early);
        mark_early(L, letrec, pos, own_lam, depth, e->u.if_.e, early);
        break;
    case A_SEQ:
        for (int i = 0; i < e->u.seq.n; i++)
            mark_early(L, letrec, pos, own_lam, depth, e->u.seq.items[i], early);
        break;
    case A_LAMBDA:
        mark_early(L, letrec, pos, own_lam, depth + 1, e->u.lam.body, early);
        break;
    case A_CALL:
        mark_early(L, letrec, pos, own_lam, depth, e->u.call.fn, early);
        for (int i = 0; i < e->u.call.nargs; i++)
            mark_early(L, letrec, pos, own_lam, depth, e->u.call.args[i], early);
        break;
    case A_LET: case A_LETREC:
        for (int i = 0; i < e->u.let.n; i++)
            mark_early(L, letrec, pos, own_lam, depth, e->u.let.inits[i], early);
        mark_early(L, letrec, pos, own_lam, depth, e->u.let.body, early);
        break;
    }
}

/* Whether evaluating e may run code that could call a closure (anything
 * but a lambda, a literal or a variable read). */
static bool runs_code(const Ast *e)
{
    return e->kind != A_LAMBDA && e->kind != A_CONST && e->kind != A_LREF && e->kind != A_GREF;
}

static int lower_letrec(Lower *L, FnCtx *fc, const Ast *e, Want w)
{
    int n = e->u.let.n;
    VarInfo **vi = fe_alloc(L->a, (size_t)(n + 1) * sizeof *vi);
    uint8_t *early = fe_alloc(L->a, (size_t)n + 1);
    for (int i = 0; i < n; i++) {
        vi[i] = var_new(L, fc, e->u.let.vars[i]);
        vi[i]->letrec = e;
        vi[i]->letrec_pos = i;
    }
    for (int i = 0; i < n; i++) {
        const Ast *init = e->u.let.inits[i];
        mark_early(L, e, i, init->kind == A_LAMBDA ? init : NULL, 0, init, early);
    }

    /* a variable referenced early gets its box (or register) holding
     * nothing before any initialiser runs; the others are bound as their
     * initialiser finishes, like let.  Lambdas get their functions now so
     * that calls between them are known. */
    int nothing = -1;
    int quiet_upto = 0;     /* initialisers 0 .. quiet_upto-1 run no code */
    for (int i = 0; i < n; i++) {
        Var *v = e->u.let.vars[i];
        if (early[i] & EARLY_CAPTURED)
            vi[i]->boxed = true;
        if (early[i]) {
            if (nothing < 0)
                nothing = emit_const(fc, e->span, OMNI_NOTHING);
            if (vi[i]->boxed) {
                set_home(fc, vi[i], emit_box_new(fc, v->span, nothing));
            } else {
                int h = new_val(fc);
                emit_mov(fc, v->span, h, nothing);
                set_home(fc, vi[i], h);
            }
        }
        /* A call through the name is direct (call.known) unless the name
         * may still hold `nothing` when the call runs: referenced early
         * while some initialiser up to its own runs code (and so could
         * call a closure that reads the name). */
        const Ast *init = e->u.let.inits[i];
        if (quiet_upto == i && !runs_code(init))
            quiet_upto = i + 1;
        bool safe = !early[i] || quiet_upto > i;
        if (init->kind == A_LAMBDA && !(v->flags & V_ASSIGNED) && safe)
            vi[i]->known_fn = func_for_lambda(L, init)->index;
    }
    for (int i = 0; i < n; i++) {
        Var *v = e->u.let.vars[i];
        int r = lower(L, fc, e->u.let.inits[i], W_VALUE);
        if (vi[i]->reg >= 0)
            assign_var(L, fc, v, r, v->span);
        else
            bind_value(fc, vi[i], r, v->span);
        vi[i]->letrec = NULL;
    }
    return lower(L, fc, e->u.let.body, w);
}

/* A let or letrec.  When it is not in tail position its code is framed
 * by `scope.begin N` / `scope.end N` (N unique in the function): what it
 * allocates and drops may then live in a region of its own, reclaimed
 * where the let ends (ir/pass_let_regions.c decides, and removes the
 * markers it does not use).  A let in tail position ends with the
 * function, whose scope region already covers it. */
static int lower_scope(Lower *L, FnCtx *fc, const Ast *e, Want w)
{
    if (w == W_TAIL)
        return e->kind == A_LET ? lower_let(L, fc, e, w) : lower_letrec(L, fc, e, w);
    RirInstr mk = ir_instr(RIR_SCOPE_BEGIN, e->span);
    mk.imm = fc->nscopes++;
    emit(fc, mk);
    int r = e->kind == A_LET ? lower_let(L, fc, e, w) : lower_letrec(L, fc, e, w);
    mk.op = RIR_SCOPE_END;
    emit(fc, mk);
    return r;
}

/* ------------------------------------------------------------- dispatch */

static int lower(Lower *L, FnCtx *fc, const Ast *e, Want w)
{
    Span sp = e->span;
    switch (e->kind) {
    case A_CONST:
        return lower_const(L, fc, e, w);
    case A_LREF:
        /* reading a variable cannot fail: a discarded read does nothing */
        if (w == W_DISCARD)
            return R_NONE;
        return finish(fc, sp, read_var(L, fc, e->u.lref, sp, w), w);
    case A_GREF: {
        /* kept even when discarded: an unbound global is an error */
        int r = emit0(fc, RIR_GLOBAL_GET, sp, 0, adups(L, e->u.gref));
        return finish(fc, sp, r, w);
    }
    case A_LSET: {
        int r = lower(L, fc, e->u.lset.val, W_VALUE);
        assign_var(L, fc, e->u.lset.var, r, sp);
        return finish_nothing(fc, sp, w);
    }
    case A_GSET:
    case A_GDEF: {
        int32_t a[1] = { lower(L, fc, e->u.gset.val, W_VALUE) };
        RirInstr in = ir_instr(e->kind == A_GSET ? RIR_GLOBAL_SET : RIR_GLOBAL_DEF, sp);
        in.nargs = 1;
        in.args = a;
        in.name = adups(L, e->u.gset.name);
        emit(fc, in);
        return finish_nothing(fc, sp, w);
    }
    case A_IF:
        return lower_if(L, fc, e, w);
    case A_SEQ:
        return lower_seq(L, fc, e, w);
    case A_LAMBDA:
        if (w == W_DISCARD)
            return R_NONE;
        return finish(fc, sp, lower_lambda(L, fc, e, NULL), w);
    case A_CALL:
        return lower_call(L, fc, e, w);
    case A_LET:
    case A_LETREC:
        return lower_scope(L, fc, e, w);
    }
    lower_error(L, sp, "internal error: unknown AST node kind %d", (int)e->kind);
    return finish_nothing(fc, sp, w == W_DISCARD ? W_VALUE : w);
}

/* A top-level expression form that may allocate, wrapped as the call of a
 * nullary lambda `((fn [] form))`; definitions, constants and references
 * stay as they are.  Top-level forms bind no locals of the entry, so the
 * lambda captures nothing. */
static const Ast *toplevel_form(Lower *L, const Ast *form)
{
    switch (form->kind) {
    case A_CALL: case A_LET: case A_LETREC: case A_IF: case A_SEQ:
        break;
    default:
        return form;
    }
    Ast *lam = fe_alloc(L->a, sizeof *lam);
    lam->kind = A_LAMBDA;
    lam->span = form->span;
    lam->u.lam.body = (Ast *)form;
    lam->u.lam.name = "toplevel";
    Ast *call = fe_alloc(L->a, sizeof *call);
    call->kind = A_CALL;
    call->span = form->span;
    call->u.call.fn = lam;
    return call;
}

RirModule *ir_lower_unit(FeArena *a, FeSession *s, const Ast *unit, const char *module_name)
{
    Lower L = { .a = a, .s = s };
    L.m = ir_module_new(a, module_name ? module_name : "unit");
    Span sp = unit ? unit->span : (Span){ NULL, 0, 0 };

    /* the entry's name is taken first: a user function called `entry`
     * becomes entry.1 */
    RirFunc *entry = ir_func_new(L.m, func_name(&L, "entry"), "toplevel", sp);
    entry->is_entry = true;
    L.m->entry = entry;

    FnCtx *fc = fnctx_new(&L, entry, NULL);
    if (unit && unit->kind == A_SEQ && unit->u.seq.n > 1) {
        /* Every top-level form but the last runs as its own nullary
         * function: what a form allocates and drops then lives in that
         * function's scope region and is reclaimed when the form is done,
         * instead of staying in the entry's scope until the whole unit
         * ends (a statement-level region end). */
        int n = unit->u.seq.n;
        for (int i = 0; i < n - 1; i++)
            lower(&L, fc, toplevel_form(&L, unit->u.seq.items[i]), W_DISCARD);
        lower(&L, fc, unit->u.seq.items[n - 1], W_TAIL);
    } else if (unit) {
        lower(&L, fc, unit, W_TAIL);
    } else {
        finish_nothing(fc, sp, W_TAIL);
    }
    return L.nerrors ? NULL : L.m;
}
