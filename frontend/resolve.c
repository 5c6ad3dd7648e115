/* resolve.c — the resolver: global checks, free variables, capture flags.
 *
 * Runs on the expanded unit (expand.c has already bound every local name to
 * its Var).  Three walks:
 *   1. collect the unit's global defines, mark V_ASSIGNED (set! targets) and
 *      which Vars are letrec-bound;
 *   2. check every global reference (unknown name → "unbound variable: x",
 *      except in a REPL session inside a lambda body, where the runtime
 *      checks), and compute each lambda's free variables in first-use order:
 *      a Var used in lambda L_k and bound outside the chain L_1 ⊃ ... ⊃ L_k
 *      is free in all of them;
 *   3. V_BOXED = captured && assigned.
 * Letrec rules the IR lowering relies on:
 *   - a lambda that is the init of a letrec binding has lam.self = that Var;
 *     when the Var is never assigned nor boxed, uses of it inside that lambda are not
 *     free variables of it (the lowering uses the `self` op), and lambdas
 *     nested inside it capture it from there without a box;
 *   - a letrec Var captured by a closure that may be created before the Var
 *     is initialised (a lambda in its own or an earlier init, e.g. f ↔ g
 *     mutual recursion) is V_BOXED: the closure is made before the value
 *     exists.  Captures in later inits or in the body see the final value;
 *   - a plain (non-lambda) use of a letrec Var before its init has run is a
 *     compile error.
 */
#include "fe_internal.h"

#include <string.h>

typedef struct VarInfo {
    bool letrec;  /* bound by an A_LETREC */
    bool pending; /* inside its letrec, its init has not finished yet */
} VarInfo;

typedef struct Res {
    FeArena *a;
    Diag *d;
    FeSession *s;
    FeVec lams;          /* stack of enclosing A_LAMBDA nodes */
    VarInfo *info;       /* indexed by Var.id */
    int nvars;
    FeVec vars;          /* every binding site's Var */
    const char **defs;   /* hash set of the unit's global defines */
    size_t defs_cap;
} Res;

/* ---------------------------------------------------------- define set */
static const char **defs_slot(Res *r, const char *name)
{
    size_t mask = r->defs_cap - 1;
    for (size_t i = fe_str_hash(name) & mask;; i = (i + 1) & mask)
        if (!r->defs[i] || strcmp(r->defs[i], name) == 0)
            return &r->defs[i];
}

static bool is_unit_def(Res *r, const char *name) { return *defs_slot(r, name) != NULL; }

/* ---------------------------------------------------------- first walk */
static void note_binder(Res *r, Var *v, bool letrec)
{
    fe_vec_push(r->a, &r->vars, v);
    if (v->id >= 0 && v->id < r->nvars)
        r->info[v->id].letrec = letrec;
}

static void walk_mark(Res *r, Ast *n, FeVec *defs)
{
    switch (n->kind) {
    case A_CONST: case A_LREF: case A_GREF:
        break;
    case A_LSET:
        n->u.lset.var->flags |= V_ASSIGNED;
        walk_mark(r, n->u.lset.val, defs);
        break;
    case A_GDEF:
        fe_vec_push(r->a, defs, (void *)n->u.gset.name);
        walk_mark(r, n->u.gset.val, defs);
        break;
    case A_GSET:
        walk_mark(r, n->u.gset.val, defs);
        break;
    case A_IF:
        walk_mark(r, n->u.if_.c, defs);
        walk_mark(r, n->u.if_.t, defs);
        walk_mark(r, n->u.if_.e, defs);
        break;
    case A_SEQ:
        for (int i = 0; i < n->u.seq.n; i++)
            walk_mark(r, n->u.seq.items[i], defs);
        break;
    case A_LAMBDA:
        for (int i = 0; i < n->u.lam.nparams; i++)
            note_binder(r, n->u.lam.params[i], false);
        if (n->u.lam.rest)
            note_binder(r, n->u.lam.rest, false);
        walk_mark(r, n->u.lam.body, defs);
        break;
    case A_CALL:
        walk_mark(r, n->u.call.fn, defs);
        for (int i = 0; i < n->u.call.nargs; i++)
            walk_mark(r, n->u.call.args[i], defs);
        break;
    case A_LET:
    case A_LETREC:
        for (int i = 0; i < n->u.let.n; i++) {
            note_binder(r, n->u.let.vars[i], n->kind == A_LETREC);
            walk_mark(r, n->u.let.inits[i], defs);
        }
        walk_mark(r, n->u.let.body, defs);
        break;
    }
}

/* --------------------------------------------------------- second walk */
static void add_free(Res *r, Ast *lam, Var *v)
{
    int n = lam->u.lam.nfree;
    for (int i = 0; i < n; i++)
        if (lam->u.lam.free[i] == v)
            return;
    /* Capacity is implicit: grow when n reaches a power of two (>= 4). */
    if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) {
        int cap = n == 0 ? 4 : n * 2;
        Var **f = fe_alloc(r->a, (size_t)cap * sizeof *f);
        if (n)
            memcpy(f, lam->u.lam.free, (size_t)n * sizeof *f);
        lam->u.lam.free = f;
    }
    lam->u.lam.free[lam->u.lam.nfree++] = v;
}

static void use_var(Res *r, Var *v, Span at)
{
    VarInfo *vi = v->id >= 0 && v->id < r->nvars ? &r->info[v->id] : NULL;
    Ast **lams = (Ast **)r->lams.items;
    int j = r->lams.n - 1;
    while (j >= 0 && lams[j] != v->owner)
        j--;
    int first = j + 1; /* lams[first..] are the lambdas between the use and the binder */
    if (first >= r->lams.n) {
        if (vi && vi->pending)
            fe_error(r->d, at, "%s is used before its definition", v->name);
        return;
    }
    int k = first;
    /* The lambda reaches itself through `self` unless the name can change:
     * assigned, or boxed because an earlier init captured it (that capture
     * was walked before this lambda, so the flag is already final here). */
    if (lams[first]->u.lam.self == v && !(v->flags & (V_ASSIGNED | V_BOXED)))
        k = first + 1;
    else if (vi && vi->pending)
        v->flags |= V_BOXED; /* captured before its value exists */
    for (int i = k; i < r->lams.n; i++)
        add_free(r, lams[i], v);
    if (k < r->lams.n)
        v->flags |= V_CAPTURED;
}

static void check_global(Res *r, const char *name, Span at, bool is_set)
{
    bool builtin = fe_builtin_flags(name) >= 0;
    bool user = is_unit_def(r, name) || fe_session_is_user_global(r->s, name);
    if (!builtin && !user) {
        if (fe_session_is_repl(r->s) && r->lams.n > 0)
            return; /* forward reference: checked when it runs */
        fe_error(r->d, at, "unbound variable: %s", name);
        return;
    }
    if (is_set && !user)
        fe_error(r->d, at, "set!: cannot assign the built-in %s (define it first)", name);
}

static void walk(Res *r, Ast *n)
{
    switch (n->kind) {
    case A_CONST:
        break;
    case A_LREF:
        use_var(r, n->u.lref, n->span);
        break;
    case A_GREF:
        check_global(r, n->u.gref, n->span, false);
        break;
    case A_LSET:
        walk(r, n->u.lset.val);
        use_var(r, n->u.lset.var, n->span);
        break;
    case A_GSET:
        walk(r, n->u.gset.val);
        check_global(r, n->u.gset.name, n->span, true);
        break;
    case A_GDEF:
        walk(r, n->u.gset.val);
        break;
    case A_IF:
        walk(r, n->u.if_.c);
        walk(r, n->u.if_.t);
        walk(r, n->u.if_.e);
        break;
    case A_SEQ:
        for (int i = 0; i < n->u.seq.n; i++)
            walk(r, n->u.seq.items[i]);
        break;
    case A_LAMBDA:
        fe_vec_push(r->a, &r->lams, n);
        walk(r, n->u.lam.body);
        r->lams.n--;
        break;
    case A_CALL:
        walk(r, n->u.call.fn);
        for (int i = 0; i < n->u.call.nargs; i++)
            walk(r, n->u.call.args[i]);
        break;
    case A_LET:
        for (int i = 0; i < n->u.let.n; i++)
            walk(r, n->u.let.inits[i]);
        walk(r, n->u.let.body);
        break;
    case A_LETREC:
        for (int i = 0; i < n->u.let.n; i++) {
            Var *v = n->u.let.vars[i];
            if (v->id >= 0 && v->id < r->nvars)
                r->info[v->id].pending = true;
        }
        for (int i = 0; i < n->u.let.n; i++) {
            walk(r, n->u.let.inits[i]);
            Var *v = n->u.let.vars[i];
            if (v->id >= 0 && v->id < r->nvars)
                r->info[v->id].pending = false;
        }
        walk(r, n->u.let.body);
        break;
    }
}

void fe_resolve_unit(FeArena *a, Diag *d, FeSession *s, Ast *unit, int nvars)
{
    Res r = {a, d, s, {0}, NULL, nvars, {0}, NULL, 0};
    r.info = fe_alloc(a, (size_t)(nvars > 0 ? nvars : 1) * sizeof *r.info);
    FeVec defs = {0};
    walk_mark(&r, unit, &defs);
    r.defs_cap = 16;
    while (r.defs_cap < (size_t)defs.n * 2 + 2)
        r.defs_cap *= 2;
    r.defs = fe_alloc(a, r.defs_cap * sizeof *r.defs);
    for (int i = 0; i < defs.n; i++)
        *defs_slot(&r, defs.items[i]) = defs.items[i];
    walk(&r, unit);
    for (int i = 0; i < r.vars.n; i++) {
        Var *v = r.vars.items[i];
        if ((v->flags & V_CAPTURED) && (v->flags & V_ASSIGNED))
            v->flags |= V_BOXED;
    }
}
