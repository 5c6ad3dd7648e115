/* expand.c — datums → the core AST (frontend.h): the expander.
 *
 * Every derived form becomes one of the 12 core nodes here: let and its
 * variants, named let, cond, when, unless, and, or, match, slot-style and
 * Scheme-style define, internal defines (an A_LETREC with letrec* order),
 * array and dict literals (calls of `array` / `dict`).  Names are resolved
 * lexically while expanding (each binding gets a fresh Var, so expansions
 * can introduce temporaries without capture); a name that is not local
 * becomes an A_GREF that the resolver (resolve.c) checks afterwards, once
 * every top-level define of the unit is known.  Calls in tail position of a
 * lambda body get A_CALL.tail.
 *
 * Special-form names are reserved: they cannot be bound or used as values.
 * Documented extensions: a slot may hold several parameters `[a b c]`, a let
 * slot several bindings `[x 1 y 2]`, Scheme binding lists `((x 1) (y 2))`
 * and Scheme parameter lists `(fn (a b) ...)` are accepted.
 */
#include "fe_internal.h"
#include "omni.h"

#include <string.h>

typedef struct Scope {
    struct Scope *up;
    FeVec vars; /* Var* */
} Scope;

typedef struct Ex {
    FeArena *a;
    Diag *d;
    FeSession *s;
    Scope *scope;
    Ast *lam; /* the lambda whose body is being expanded (NULL: top level) */
    int next_id;
    Datum **forms; /* the unit's top-level forms (foreign_form reads their defines) */
    int nforms;
} Ex;

static Ast *expand(Ex *x, Datum *d, bool tail);
static Ast *expand_body(Ex *x, Datum **items, int n, bool tail, Span sp);

/* ------------------------------------------------------------ builders */
static Ast *mk(Ex *x, AstKind k, Span sp)
{
    Ast *n = fe_alloc(x->a, sizeof *n);
    n->kind = k;
    n->span = sp;
    return n;
}

static Datum *mk_datum(Ex *x, DatumKind k, Span sp)
{
    Datum *d = fe_alloc(x->a, sizeof *d);
    d->kind = k;
    d->span = sp;
    return d;
}

static Ast *mk_const(Ex *x, Datum *d)
{
    Ast *n = mk(x, A_CONST, d->span);
    n->u.konst = d;
    return n;
}

static Ast *mk_nothing(Ex *x, Span sp) { return mk_const(x, mk_datum(x, D_NOTHING, sp)); }

static Ast *mk_bool(Ex *x, bool b, Span sp)
{
    Datum *d = mk_datum(x, D_BOOL, sp);
    d->u.i = b;
    return mk_const(x, d);
}

static Ast *mk_int(Ex *x, int64_t i, Span sp)
{
    Datum *d = mk_datum(x, D_INT, sp);
    d->u.i = i;
    return mk_const(x, d);
}

static Ast *mk_string(Ex *x, const char *s, Span sp)
{
    Datum *d = mk_datum(x, D_STRING, sp);
    d->u.str.s = s;
    d->u.str.len = (int64_t)strlen(s);
    return mk_const(x, d);
}

static Ast *mk_lref(Ex *x, Var *v, Span sp)
{
    Ast *n = mk(x, A_LREF, sp);
    n->u.lref = v;
    return n;
}

static Ast *mk_gref(Ex *x, const char *name, Span sp)
{
    Ast *n = mk(x, A_GREF, sp);
    n->u.gref = name;
    return n;
}

static Ast *mk_call(Ex *x, Ast *fn, Ast **args, int n, bool tail, Span sp)
{
    Ast *c = mk(x, A_CALL, sp);
    c->u.call.fn = fn;
    c->u.call.args = args;
    c->u.call.nargs = n;
    c->u.call.tail = tail;
    return c;
}

/* A call of a global (built-in) with one or two arguments. */
static Ast *mk_gcall(Ex *x, const char *g, Ast *a0, Ast *a1, bool tail, Span sp)
{
    Ast **args = fe_alloc(x->a, 2 * sizeof *args);
    args[0] = a0;
    args[1] = a1;
    return mk_call(x, mk_gref(x, g, sp), args, a1 ? 2 : 1, tail, sp);
}

static Ast *mk_if(Ex *x, Ast *c, Ast *t, Ast *e, Span sp)
{
    Ast *n = mk(x, A_IF, sp);
    n->u.if_.c = c;
    n->u.if_.t = t;
    n->u.if_.e = e;
    return n;
}

static Ast *mk_let(Ex *x, AstKind k, FeVec *vars, FeVec *inits, Ast *body, Span sp)
{
    Ast *n = mk(x, k, sp);
    n->u.let.vars = (Var **)vars->items;
    n->u.let.inits = (Ast **)inits->items;
    n->u.let.n = vars->n;
    n->u.let.body = body;
    return n;
}

static Ast *mk_let1(Ex *x, Var *v, Ast *init, Ast *body, Span sp)
{
    FeVec vars = {0}, inits = {0};
    fe_vec_push(x->a, &vars, v);
    fe_vec_push(x->a, &inits, init);
    return mk_let(x, A_LET, &vars, &inits, body, sp);
}

static Ast *mk_seq(Ex *x, FeVec *items, Span sp)
{
    if (items->n == 0)
        return mk_nothing(x, sp);
    if (items->n == 1)
        return items->items[0];
    Ast *n = mk(x, A_SEQ, sp);
    n->u.seq.items = (Ast **)items->items;
    n->u.seq.n = items->n;
    return n;
}

static Var *new_var(Ex *x, const char *name, Span sp)
{
    Var *v = fe_alloc(x->a, sizeof *v);
    v->name = name;
    v->id = x->next_id++;
    v->owner = x->lam;
    v->span = sp;
    return v;
}

/* ---------------------------------------------------------------- scope */
static void scope_push(Ex *x, Scope *sc)
{
    sc->up = x->scope;
    sc->vars = (FeVec){0};
    x->scope = sc;
}

static void scope_pop(Ex *x) { x->scope = x->scope->up; }

static void scope_bind(Ex *x, Var *v) { fe_vec_push(x->a, &x->scope->vars, v); }

static Var *scope_find(Scope *sc, const char *name)
{
    for (int i = sc->vars.n - 1; i >= 0; i--) {
        Var *v = sc->vars.items[i];
        if (strcmp(v->name, name) == 0)
            return v;
    }
    return NULL;
}

static Var *lookup(Ex *x, const char *name)
{
    for (Scope *sc = x->scope; sc; sc = sc->up) {
        Var *v = scope_find(sc, name);
        if (v)
            return v;
    }
    return NULL;
}

/* ---------------------------------------------------------- predicates */
static bool sym_is(const Datum *d, const char *s)
{
    return d && d->kind == D_SYMBOL && d->u.str.s != fe_path_get_name && strcmp(d->u.str.s, s) == 0;
}

static bool head_is(const Datum *d, const char *s)
{
    return d->kind == D_LIST && d->u.list.n > 0 && !d->u.list.tail && sym_is(d->u.list.items[0], s);
}

static const char *const reserved_names[] = {
    "quote", "if", "do", "begin", "define", "fn", "lambda", "\xce\xbb", "let", "set!",
    "and", "or", "when", "unless", "cond", "match", "let*", "letrec", "letrec*",
    "try",
};

static bool is_reserved(const char *name)
{
    for (size_t i = 0; i < sizeof reserved_names / sizeof reserved_names[0]; i++)
        if (strcmp(reserved_names[i], name) == 0)
            return true;
    return false;
}

/* A name that may be bound by `who`; reports why not otherwise. */
static bool check_bindable(Ex *x, const Datum *name, const char *who, const char *what)
{
    if (name->kind != D_SYMBOL || name->u.str.s == fe_path_get_name || sym_is(name, "&")) {
        fe_error(x->d, name->span, "%s: %s must be a symbol", who, what);
        return false;
    }
    if (is_reserved(name->u.str.s)) {
        fe_error(x->d, name->span, "%s: cannot bind the reserved name %s", who, name->u.str.s);
        return false;
    }
    return true;
}

static const char *const type_names[] = {"Any", "Int", "Float", "String", "Bool", "List",
                                         "Array", "Dict", "Fn", "Symbol", "Char"};

static int ann_of(Ex *x, const Datum *t)
{
    for (int i = 0; i < OMNI_ANN__COUNT; i++)
        if (strcmp(type_names[i], t->u.str.s) == 0)
            return i;
    fe_error(x->d, t->span, "unknown type {%s} (known: Int Float String Bool List Array Dict Fn Symbol Char Any)",
             t->u.str.s);
    return OMNI_ANN_ANY;
}

/* ----------------------------------------------------------- parameters */
typedef struct Params {
    FeVec names, types; /* Datum* (types[i] may be NULL) */
    Datum *rest, *rest_type;
} Params;

static void params_add(Ex *x, Params *p, Datum *name, Datum *type, bool rest, const char *who)
{
    if (!check_bindable(x, name, who, "a parameter"))
        return;
    if (p->rest) {
        fe_error(x->d, name->span, "%s: the rest parameter must come last", who);
        return;
    }
    for (int i = 0; i < p->names.n; i++) {
        if (strcmp(((Datum *)p->names.items[i])->u.str.s, name->u.str.s) == 0) {
            fe_error(x->d, name->span, "%s: duplicate parameter %s", who, name->u.str.s);
            return;
        }
    }
    if (rest) {
        p->rest = name;
        p->rest_type = type;
    } else {
        fe_vec_push(x->a, &p->names, name);
        fe_vec_push(x->a, &p->types, type);
    }
}

/* Parameters written as  name [{Type}] ... [& rest [{Type}]]  (the inside of
 * a slot, or a Scheme parameter list). */
static void params_parse(Ex *x, Params *p, Datum **items, int n, const char *who)
{
    for (int j = 0; j < n;) {
        Datum *it = items[j];
        bool rest = false;
        if (sym_is(it, "&")) {
            if (j + 1 >= n || items[j + 1]->kind != D_SYMBOL) {
                fe_error(x->d, it->span, "%s: expected a parameter name after &", who);
                return;
            }
            rest = true;
            it = items[++j];
        }
        if (it->kind == D_SYMBOL) {
            j++;
            Datum *type = j < n && items[j]->kind == D_TYPE ? items[j++] : NULL;
            params_add(x, p, it, type, rest, who);
        } else if (it->kind == D_ARRAY && !rest) {
            /* a slot inside a Scheme list: (define (f [n {Int}]) ...) */
            params_parse(x, p, it->u.list.items, it->u.list.n, who);
            j++;
        } else if (it->kind == D_TYPE) {
            fe_error(x->d, it->span, "%s: a type annotation must follow a parameter name", who);
            j++;
        } else {
            fe_error(x->d, it->span, "%s: a parameter must be a symbol", who);
            j++;
        }
    }
}

/* Builds the lambda: params bound in a new scope, body in tail position. */
static Ast *make_lambda(Ex *x, const char *name, Params *p, Datum **body, int nbody, Span sp)
{
    Ast *lam = mk(x, A_LAMBDA, sp);
    lam->u.lam.name = name ? name : "lambda";
    Ast *saved = x->lam;
    x->lam = lam;
    Scope sc;
    scope_push(x, &sc);
    lam->u.lam.nparams = p->names.n;
    lam->u.lam.params = fe_alloc(x->a, (size_t)(p->names.n ? p->names.n : 1) * sizeof(Var *));
    for (int i = 0; i < p->names.n; i++) {
        Datum *nd = p->names.items[i], *td = p->types.items[i];
        Var *v = new_var(x, nd->u.str.s, nd->span);
        if (td)
            v->ann = ann_of(x, td);
        lam->u.lam.params[i] = v;
        scope_bind(x, v);
    }
    if (p->rest) {
        Var *v = new_var(x, p->rest->u.str.s, p->rest->span);
        if (p->rest_type)
            v->ann = ann_of(x, p->rest_type);
        lam->u.lam.rest = v;
        scope_bind(x, v);
    }
    lam->u.lam.body = expand_body(x, body, nbody, true, sp);
    scope_pop(x);
    x->lam = saved;
    return lam;
}

/* (fn [x] [y {Int}] [& r] body...)  (fn (x y . r) body...)  (fn args body...) */
static Ast *sf_fn(Ex *x, Datum *f, bool tail)
{
    (void)tail; /* never a call itself */
    Datum **it = f->u.list.items;
    int n = f->u.list.n, i = 1;
    const char *who = it[0]->u.str.s;
    Params p = {0};
    if (n >= 2 && it[1]->kind == D_LIST) {
        params_parse(x, &p, it[1]->u.list.items, it[1]->u.list.n, who);
        if (it[1]->u.list.tail)
            params_add(x, &p, it[1]->u.list.tail, NULL, true, who);
        i = 2;
    } else if (n >= 2 && it[1]->kind == D_SYMBOL) {
        params_add(x, &p, it[1], NULL, true, who);
        i = 2;
    } else if (n >= 2 && it[1]->kind == D_ARRAY) {
        for (; i < n && it[i]->kind == D_ARRAY; i++)
            params_parse(x, &p, it[i]->u.list.items, it[i]->u.list.n, who);
    } else {
        fe_error(x->d, f->span, "%s: expected parameter slots, as in (%s [x] body...)", who, who);
        return mk_nothing(x, f->span);
    }
    return make_lambda(x, NULL, &p, it + i, n - i, f->span);
}

/* --------------------------------------------------------------- define */
typedef struct DefForm {
    Datum *name;
    Datum *value;      /* (define name value) */
    bool is_fn;        /* function forms: */
    Datum **pitems;    /*   Scheme parameter list items (after the name) */
    int npitems;
    Datum *ptail;      /*   its dotted rest */
    Datum **slots;     /*   or slot arrays */
    int nslots;
    Datum **body;
    int nbody;
} DefForm;

static bool parse_define(Ex *x, Datum *f, DefForm *df)
{
    Datum **it = f->u.list.items;
    int n = f->u.list.n;
    memset(df, 0, sizeof *df);
    if (n >= 2 && it[1]->kind == D_LIST) {
        Datum *sig = it[1];
        if (sig->u.list.n == 0 || sig->u.list.items[0]->kind != D_SYMBOL) {
            fe_error(x->d, sig->span, "define: expected (define (name params...) body...)");
            return false;
        }
        df->name = sig->u.list.items[0];
        df->is_fn = true;
        df->pitems = sig->u.list.items + 1;
        df->npitems = sig->u.list.n - 1;
        df->ptail = sig->u.list.tail;
        df->body = it + 2;
        df->nbody = n - 2;
    } else if (n == 3 && it[1]->kind == D_SYMBOL) {
        df->name = it[1];
        df->value = it[2];
    } else if (n > 3 && it[1]->kind == D_SYMBOL && it[2]->kind == D_ARRAY) {
        df->name = it[1];
        df->is_fn = true;
        df->slots = it + 2;
        int i = 2;
        while (i < n && it[i]->kind == D_ARRAY)
            i++;
        df->nslots = i - 2;
        df->body = it + i;
        df->nbody = n - i;
        if (df->nbody == 0) {
            fe_error(x->d, f->span, "define: expected a body after the parameter slots");
            return false;
        }
    } else {
        fe_error(x->d, f->span, "define: expected (define name value), (define (name params...) body...) "
                                "or (define name [param]... body...)");
        return false;
    }
    return check_bindable(x, df->name, "define", "the name");
}

/* The value of a define: a lambda named after the variable, or the
 * expanded value expression (an anonymous lambda takes the name too). */
static Ast *define_value(Ex *x, DefForm *df, Span sp)
{
    const char *name = df->name->u.str.s;
    if (df->is_fn) {
        Params p = {0};
        if (df->slots) {
            for (int i = 0; i < df->nslots; i++)
                params_parse(x, &p, df->slots[i]->u.list.items, df->slots[i]->u.list.n, "define");
        } else {
            params_parse(x, &p, df->pitems, df->npitems, "define");
            if (df->ptail)
                params_add(x, &p, df->ptail, NULL, true, "define");
        }
        return make_lambda(x, name, &p, df->body, df->nbody, sp);
    }
    Ast *v = expand(x, df->value, false);
    if (v->kind == A_LAMBDA && strcmp(v->u.lam.name, "lambda") == 0)
        v->u.lam.name = name;
    return v;
}

/* ----------------------------------------------------------------- body */
/* A body: expressions, possibly with defines anywhere.  With defines, every
 * form up to the last define becomes a letrec* binding (expressions bind a
 * dummy `_`, keeping their order) and the rest is the letrec body; every
 * defined name is in scope in all the inits and the body. */
static Ast *expand_body(Ex *x, Datum **items, int n, bool tail, Span sp)
{
    int last_def = -1;
    for (int i = 0; i < n; i++)
        if (head_is(items[i], "define"))
            last_def = i;
    FeVec seq = {0};
    if (last_def < 0) {
        for (int i = 0; i < n; i++)
            fe_vec_push(x->a, &seq, expand(x, items[i], tail && i == n - 1));
        return mk_seq(x, &seq, sp);
    }
    Scope sc;
    scope_push(x, &sc);
    DefForm *dfs = fe_alloc(x->a, (size_t)(last_def + 1) * sizeof *dfs);
    Var **dvars = fe_alloc(x->a, (size_t)(last_def + 1) * sizeof *dvars);
    for (int i = 0; i <= last_def; i++) {
        if (!head_is(items[i], "define") || !parse_define(x, items[i], &dfs[i]))
            continue;
        const char *name = dfs[i].name->u.str.s;
        if (scope_find(&sc, name)) {
            fe_error(x->d, dfs[i].name->span, "define: %s is defined twice in this body", name);
            continue;
        }
        dvars[i] = new_var(x, name, dfs[i].name->span);
        scope_bind(x, dvars[i]);
    }
    FeVec vars = {0}, inits = {0};
    for (int i = 0; i <= last_def; i++) {
        if (head_is(items[i], "define")) {
            if (!dvars[i])
                continue;
            Ast *init = define_value(x, &dfs[i], items[i]->span);
            if (init->kind == A_LAMBDA)
                init->u.lam.self = dvars[i];
            fe_vec_push(x->a, &vars, dvars[i]);
            fe_vec_push(x->a, &inits, init);
        } else {
            fe_vec_push(x->a, &vars, new_var(x, "_", items[i]->span));
            fe_vec_push(x->a, &inits, expand(x, items[i], false));
        }
    }
    for (int i = last_def + 1; i < n; i++)
        fe_vec_push(x->a, &seq, expand(x, items[i], tail && i == n - 1));
    Ast *body = mk_seq(x, &seq, n > last_def + 1 ? items[last_def + 1]->span : sp);
    scope_pop(x);
    if (vars.n == 0)
        return body;
    return mk_let(x, A_LETREC, &vars, &inits, body, sp);
}

/* -------------------------------------------------------- simple forms */
static Ast *sf_quote(Ex *x, Datum *f, bool tail)
{
    (void)tail; /* never a call itself */
    if (f->u.list.n != 2) {
        fe_error(x->d, f->span, "quote: expected (quote datum)");
        return mk_nothing(x, f->span);
    }
    return mk_const(x, f->u.list.items[1]);
}

static Ast *sf_if(Ex *x, Datum *f, bool tail)
{
    int n = f->u.list.n;
    Datum **it = f->u.list.items;
    if (n != 3 && n != 4) {
        fe_error(x->d, f->span, "if: expected (if test then [else])");
        return mk_nothing(x, f->span);
    }
    Ast *c = expand(x, it[1], false);
    Ast *t = expand(x, it[2], tail);
    Ast *e = n == 4 ? expand(x, it[3], tail) : mk_nothing(x, f->span);
    return mk_if(x, c, t, e, f->span);
}

static Ast *sf_do(Ex *x, Datum *f, bool tail)
{
    return expand_body(x, f->u.list.items + 1, f->u.list.n - 1, tail, f->span);
}

static Ast *sf_set(Ex *x, Datum *f, bool tail)
{
    (void)tail; /* never a call itself */
    Datum **it = f->u.list.items;
    if (f->u.list.n != 3) {
        fe_error(x->d, f->span, "set!: expected (set! name value)");
        return mk_nothing(x, f->span);
    }
    if (it[1]->kind != D_SYMBOL || it[1]->u.str.s == fe_path_get_name || sym_is(it[1], "&")) {
        fe_error(x->d, it[1]->span, "set!: expected a variable name");
        return mk_nothing(x, f->span);
    }
    const char *name = it[1]->u.str.s;
    if (is_reserved(name)) {
        fe_error(x->d, it[1]->span, "set!: cannot assign the reserved name %s", name);
        return mk_nothing(x, f->span);
    }
    Ast *val = expand(x, it[2], false);
    Var *v = lookup(x, name);
    Ast *n;
    if (v) {
        n = mk(x, A_LSET, f->span);
        n->u.lset.var = v;
        n->u.lset.val = val;
    } else {
        n = mk(x, A_GSET, it[1]->span);
        n->u.gset.name = name;
        n->u.gset.val = val;
    }
    return n;
}

/* Makes `e` usable twice: returns a reference to it, binding a temporary
 * (through *tmp) unless it is a constant or a variable reference. */
static Ast *reusable(Ex *x, Ast *e, Var **tmp)
{
    *tmp = NULL;
    if (e->kind == A_CONST || e->kind == A_LREF || e->kind == A_GREF)
        return e;
    *tmp = new_var(x, "tmp", e->span);
    return mk_lref(x, *tmp, e->span);
}

/* (and) → true; (and a) → a; (and a b...) → (let [t a] (if t (and b...) t)).
 * Built from the end without recursion: a long and/or is a long chain. */
static Ast *expand_and_or(Ex *x, Datum **it, int n, bool is_and, bool tail, Span sp)
{
    if (n == 0)
        return mk_bool(x, is_and, sp);
    Ast **e = fe_alloc(x->a, (size_t)n * sizeof *e);
    Ast **refs = fe_alloc(x->a, (size_t)n * sizeof *refs);
    Var **tmps = fe_alloc(x->a, (size_t)n * sizeof *tmps);
    for (int i = 0; i < n; i++) {
        e[i] = expand(x, it[i], tail && i == n - 1);
        if (i < n - 1)
            refs[i] = reusable(x, e[i], &tmps[i]);
    }
    Ast *acc = e[n - 1];
    for (int i = n - 2; i >= 0; i--) {
        Ast *again = tmps[i] ? mk_lref(x, tmps[i], e[i]->span) : refs[i];
        Ast *res = is_and ? mk_if(x, refs[i], acc, again, sp) : mk_if(x, refs[i], again, acc, sp);
        acc = tmps[i] ? mk_let1(x, tmps[i], e[i], res, sp) : res;
    }
    return acc;
}

/* Chains of if nodes as deep as a form has clauses: bounded so that no
 * later recursive pass can run out of stack on absurd input. */
enum { FE_MAX_CLAUSES = 10000 };

static bool too_many(Ex *x, Datum *f, int n)
{
    if (n <= FE_MAX_CLAUSES)
        return false;
    fe_error(x->d, f->span, "%s: too many clauses or operands (more than %d)", f->u.list.items[0]->u.str.s,
             FE_MAX_CLAUSES);
    return true;
}

static Ast *sf_and(Ex *x, Datum *f, bool tail)
{
    if (too_many(x, f, f->u.list.n - 1))
        return mk_nothing(x, f->span);
    return expand_and_or(x, f->u.list.items + 1, f->u.list.n - 1, true, tail, f->span);
}

static Ast *sf_or(Ex *x, Datum *f, bool tail)
{
    if (too_many(x, f, f->u.list.n - 1))
        return mk_nothing(x, f->span);
    return expand_and_or(x, f->u.list.items + 1, f->u.list.n - 1, false, tail, f->span);
}

static Ast *sf_when_unless(Ex *x, Datum *f, bool tail)
{
    const char *who = f->u.list.items[0]->u.str.s;
    if (f->u.list.n < 2) {
        fe_error(x->d, f->span, "%s: expected (%s test body...)", who, who);
        return mk_nothing(x, f->span);
    }
    Ast *c = expand(x, f->u.list.items[1], false);
    Ast *body = expand_body(x, f->u.list.items + 2, f->u.list.n - 2, tail, f->span);
    Ast *none = mk_nothing(x, f->span);
    return strcmp(who, "when") == 0 ? mk_if(x, c, body, none, f->span) : mk_if(x, c, none, body, f->span);
}

/* (cond [test body...] ... [else body...]); a clause of just a test yields
 * the test's value; no clause taken → nothing. */
static Ast *sf_cond(Ex *x, Datum *f, bool tail)
{
    int n = f->u.list.n - 1;
    Datum **cl = f->u.list.items + 1;
    if (too_many(x, f, n))
        return mk_nothing(x, f->span);
    Ast **tests = fe_alloc(x->a, (size_t)(n + 1) * sizeof *tests);
    Ast **bodies = fe_alloc(x->a, (size_t)(n + 1) * sizeof *bodies);
    Var **tmps = fe_alloc(x->a, (size_t)(n + 1) * sizeof *tmps);
    int m = 0;
    bool has_else = false;
    for (int i = 0; i < n; i++) {
        Datum *c = cl[i];
        if ((c->kind != D_ARRAY && c->kind != D_LIST) || c->u.list.n == 0 || c->u.list.tail) {
            fe_error(x->d, c->span, "cond: a clause must be [test body...]");
            continue;
        }
        Datum **ci = c->u.list.items;
        int cn = c->u.list.n;
        if (sym_is(ci[0], "else")) {
            if (i != n - 1)
                fe_error(x->d, c->span, "cond: else must be the last clause");
            tests[m] = NULL;
            bodies[m++] = expand_body(x, ci + 1, cn - 1, tail, c->span);
            has_else = true;
            continue;
        }
        Ast *t = expand(x, ci[0], false);
        if (cn == 1) {
            Ast *ref = reusable(x, t, &tmps[m]);
            tests[m] = t;
            bodies[m++] = ref;
        } else {
            tests[m] = t;
            bodies[m++] = expand_body(x, ci + 1, cn - 1, tail, c->span);
        }
    }
    Ast *acc = has_else ? NULL : mk_nothing(x, f->span);
    for (int i = m - 1; i >= 0; i--) {
        if (!tests[i]) {
            acc = bodies[i];
        } else if (tmps[i]) {
            Ast *ref = mk_lref(x, tmps[i], tests[i]->span);
            acc = mk_let1(x, tmps[i], tests[i], mk_if(x, ref, bodies[i], acc, tests[i]->span), tests[i]->span);
        } else {
            acc = mk_if(x, tests[i], bodies[i], acc, tests[i]->span);
        }
    }
    return acc ? acc : mk_nothing(x, f->span);
}

/* ------------------------------------------------------------------ let */
typedef struct Binding {
    Datum *name, *type, *init;
} Binding;

static void add_binding(Ex *x, FeVec *bs, Datum *name, Datum *type, Datum *init)
{
    Binding *b = fe_alloc(x->a, sizeof *b);
    b->name = name;
    b->type = type;
    b->init = init;
    fe_vec_push(x->a, bs, b);
}

/* The inside of one binding slot or Scheme pair: name [{Type}] value ...
 * (`who`: let, let* or letrec, for the messages) */
static void parse_bindings(Ex *x, FeVec *bs, Datum *slot, const char *who)
{
    Datum **it = slot->u.list.items;
    int n = slot->u.list.n;
    if (slot->u.list.tail) {
        fe_error(x->d, slot->span, "%s: a binding must be [name value]", who);
        return;
    }
    for (int j = 0; j < n;) {
        if (it[j]->kind != D_SYMBOL) {
            fe_error(x->d, it[j]->span, "%s: a binding must be [name value]", who);
            return;
        }
        if (!check_bindable(x, it[j], who, "a binding name"))
            return;
        Datum *name = it[j++];
        Datum *type = j < n && it[j]->kind == D_TYPE ? it[j++] : NULL;
        if (j >= n) {
            fe_error(x->d, slot->span, "%s: a binding must be [name value]", who);
            return;
        }
        add_binding(x, bs, name, type, it[j++]);
    }
}

/* The bindings of a let-like form from it[i]: one Scheme list of pairs or
 * slots `((x 1) [y 2])`, or slots `[x 1] [y 2 z 3]`.  Returns the index of
 * the first body form. */
static int parse_binding_forms(Ex *x, FeVec *bs, Datum **it, int n, int i, const char *who)
{
    if (i < n && it[i]->kind == D_LIST) {
        Datum *l = it[i++];
        for (int j = 0; j < l->u.list.n; j++) {
            Datum *b = l->u.list.items[j];
            if (b->kind != D_LIST && b->kind != D_ARRAY) {
                fe_error(x->d, b->span, "%s: a binding must be [name value]", who);
                continue;
            }
            parse_bindings(x, bs, b, who);
        }
        return i;
    }
    for (; i < n && it[i]->kind == D_ARRAY; i++)
        parse_bindings(x, bs, it[i], who);
    return i;
}

static Var *binding_var(Ex *x, Binding *b)
{
    Var *v = new_var(x, b->name->u.str.s, b->name->span);
    if (b->type)
        v->ann = ann_of(x, b->type);
    return v;
}

static void name_lambda(Ast *init, Var *v)
{
    if (init->kind == A_LAMBDA && strcmp(init->u.lam.name, "lambda") == 0)
        init->u.lam.name = v->name;
}

/* (let [x 1] [y 2] body...)  (let ^:seq [x 1] [y x] body...)
 * (let loop [i 0] body...)   (let ((x 1)) body...)  (let [x 1 y 2] body...)
 * (let* ((x 1) (y x)) body...) is (let ^:seq ...), in any of the spellings. */
static Ast *sf_let(Ex *x, Datum *f, bool tail)
{
    Datum **it = f->u.list.items;
    int n = f->u.list.n, i = 1;
    bool star = sym_is(it[0], "let*"), seq = star;
    const char *who = star ? "let*" : "let";
    Datum *loop = NULL;
    if (n == 1) {
        fe_error(x->d, f->span, "%s: expected bindings and a body, as in (%s [x 1] body...)", who, who);
        return NULL;
    }
    if (i < n && it[i]->kind == D_META && !star) {
        if (strcmp(it[i]->u.str.s, "seq") != 0)
            fe_error(x->d, it[i]->span, "let: unknown metadata ^:%s (expected ^:seq)", it[i]->u.str.s);
        seq = true;
        i++;
    }
    if (i < n && it[i]->kind == D_SYMBOL && star) {
        fe_error(x->d, it[i]->span, "let*: a named loop is spelled (let name [x 1] body...)");
        return mk_nothing(x, f->span);
    }
    if (i < n && it[i]->kind == D_SYMBOL) {
        loop = it[i++];
        if (!check_bindable(x, loop, "let", "a loop name"))
            loop = NULL;
        if (seq)
            fe_error(x->d, f->span, "let: ^:seq cannot be used with a named let");
    }
    FeVec bs = {0};
    i = parse_binding_forms(x, &bs, it, n, i, who);
    Datum **body = it + i;
    int nbody = n - i;

    if (loop) {
        /* Named let: (letrec [loop (fn [params] body)] (loop inits...)); the
         * inits are expanded outside the loop's scope. */
        Ast **args = fe_alloc(x->a, (size_t)(bs.n ? bs.n : 1) * sizeof *args);
        Params p = {0};
        for (int k = 0; k < bs.n; k++) {
            Binding *b = bs.items[k];
            args[k] = expand(x, b->init, false);
            params_add(x, &p, b->name, b->type, false, "let");
        }
        Scope sc;
        scope_push(x, &sc);
        Var *lv = new_var(x, loop->u.str.s, loop->span);
        scope_bind(x, lv);
        Ast *lam = make_lambda(x, lv->name, &p, body, nbody, f->span);
        lam->u.lam.self = lv;
        Ast *call = mk_call(x, mk_lref(x, lv, f->span), args, bs.n, tail, f->span);
        scope_pop(x);
        FeVec vars = {0}, inits = {0};
        fe_vec_push(x->a, &vars, lv);
        fe_vec_push(x->a, &inits, lam);
        return mk_let(x, A_LETREC, &vars, &inits, call, f->span);
    }

    if (seq) {
        /* Each binding sees the previous ones: nested single lets. */
        Scope *scopes = fe_alloc(x->a, (size_t)(bs.n ? bs.n : 1) * sizeof *scopes);
        Var **vars = fe_alloc(x->a, (size_t)(bs.n ? bs.n : 1) * sizeof *vars);
        Ast **inits = fe_alloc(x->a, (size_t)(bs.n ? bs.n : 1) * sizeof *inits);
        for (int k = 0; k < bs.n; k++) {
            Binding *b = bs.items[k];
            inits[k] = expand(x, b->init, false);
            vars[k] = binding_var(x, b);
            name_lambda(inits[k], vars[k]);
            scope_push(x, &scopes[k]);
            scope_bind(x, vars[k]);
        }
        Ast *res = expand_body(x, body, nbody, tail, f->span);
        for (int k = bs.n - 1; k >= 0; k--) {
            scope_pop(x);
            res = mk_let1(x, vars[k], inits[k], res, ((Binding *)bs.items[k])->name->span);
        }
        return res;
    }

    FeVec vars = {0}, inits = {0};
    for (int k = 0; k < bs.n; k++) {
        Binding *b = bs.items[k];
        fe_vec_push(x->a, &inits, expand(x, b->init, false));
    }
    Scope sc;
    scope_push(x, &sc);
    for (int k = 0; k < bs.n; k++) {
        Binding *b = bs.items[k];
        if (scope_find(&sc, b->name->u.str.s)) {
            fe_error(x->d, b->name->span, "let: duplicate binding %s", b->name->u.str.s);
            continue;
        }
        Var *v = binding_var(x, b);
        name_lambda(inits.items[k], v);
        fe_vec_push(x->a, &vars, v);
        scope_bind(x, v);
    }
    Ast *res = expand_body(x, body, nbody, tail, f->span);
    scope_pop(x);
    if (bs.n == 0 || vars.n != inits.n)
        return res;
    return mk_let(x, A_LET, &vars, &inits, res, f->span);
}

/* (letrec ((f (fn ...)) (g ...)) body...), also spelled letrec* and with
 * let's slots: every name is in scope in every init and in the body.  The
 * same A_LETREC as internal defines, whose inits run in order, so letrec
 * and letrec* are one form; a name used before its init has run is the
 * resolver's compile error, a lambda that calls a later sibling is fine. */
static Ast *sf_letrec(Ex *x, Datum *f, bool tail)
{
    Datum **it = f->u.list.items;
    int n = f->u.list.n;
    const char *who = it[0]->u.str.s;
    if (n == 1 || (it[1]->kind != D_LIST && it[1]->kind != D_ARRAY)) {
        fe_error(x->d, f->span, "%s: expected bindings and a body, as in (%s ((f (fn [x] ...))) body...)",
                 who, who);
        return mk_nothing(x, f->span);
    }
    FeVec bs = {0};
    int i = parse_binding_forms(x, &bs, it, n, 1, who);
    Scope sc;
    scope_push(x, &sc);
    Var **bvars = fe_alloc(x->a, (size_t)(bs.n ? bs.n : 1) * sizeof *bvars);
    for (int k = 0; k < bs.n; k++) {
        Binding *b = bs.items[k];
        if (scope_find(&sc, b->name->u.str.s)) {
            fe_error(x->d, b->name->span, "%s: duplicate binding %s", who, b->name->u.str.s);
            bvars[k] = NULL;
            continue;
        }
        bvars[k] = binding_var(x, b);
        scope_bind(x, bvars[k]);
    }
    FeVec vars = {0}, inits = {0};
    for (int k = 0; k < bs.n; k++) {
        if (!bvars[k])
            continue;
        Ast *init = expand(x, ((Binding *)bs.items[k])->init, false);
        name_lambda(init, bvars[k]);
        if (init->kind == A_LAMBDA)
            init->u.lam.self = bvars[k];
        fe_vec_push(x->a, &vars, bvars[k]);
        fe_vec_push(x->a, &inits, init);
    }
    Ast *body = expand_body(x, it + i, n - i, tail, f->span);
    scope_pop(x);
    if (vars.n == 0)
        return body;
    return mk_let(x, A_LETREC, &vars, &inits, body, f->span);
}

/* ---------------------------------------------------------------- match */
static bool pat_is_literal(const Datum *p)
{
    return p->kind == D_INT || p->kind == D_FLOAT || p->kind == D_STRING || p->kind == D_CHAR ||
           p->kind == D_BOOL || p->kind == D_NOTHING;
}

/* Splits a sequence pattern [p1 ... pk & rest]: returns k, sets *rest. */
static int pat_seq_split(Datum *p, Datum **rest)
{
    Datum **it = p->u.list.items;
    int n = p->u.list.n;
    *rest = NULL;
    for (int i = 0; i < n; i++) {
        if (sym_is(it[i], "&")) {
            *rest = it[n - 1];
            return i;
        }
    }
    return n;
}

static bool pat_binds(const Datum *p)
{
    if (p->kind == D_SYMBOL)
        return !sym_is(p, "_") && !sym_is(p, "&");
    if (p->kind == D_ARRAY)
        for (int i = 0; i < p->u.list.n; i++)
            if (pat_binds(p->u.list.items[i]))
                return true;
    return false;
}

static bool pat_ok(Ex *x, Datum *p)
{
    if (pat_is_literal(p) || p->kind == D_SYMBOL)
        return true;
    if (p->kind == D_LIST && !p->u.list.tail && (p->u.list.n == 0 || (head_is(p, "quote") && p->u.list.n == 2)))
        return true;
    if (p->kind == D_ARRAY) {
        bool ok = true;
        for (int i = 0; i < p->u.list.n; i++) {
            Datum *sub = p->u.list.items[i];
            if (sym_is(sub, "&")) {
                if (i != p->u.list.n - 2) {
                    fe_error(x->d, sub->span, "match: '&' must be followed by exactly one pattern");
                    return false;
                }
            } else if (!pat_ok(x, sub)) {
                ok = false;
            }
        }
        return ok;
    }
    fe_error(x->d, p->span, "match: bad pattern (expected a literal, :symbol, (), _, a name or [p ... & rest])");
    return false;
}

/* The test that `v` matches `p` (NULL: always matches).  Pure: binds only
 * temporaries; pattern names are bound afterwards by pat_bind. */
static Ast *pat_test(Ex *x, Datum *p, Var *v)
{
    Span sp = p->span;
    if (pat_is_literal(p))
        return mk_gcall(x, "equal?", mk_lref(x, v, sp), mk_const(x, p), false, sp);
    if (p->kind == D_SYMBOL)
        return NULL;
    if (p->kind == D_LIST) {
        if (p->u.list.n == 0)
            return mk_gcall(x, "null?", mk_lref(x, v, sp), NULL, false, sp);
        Datum *q = p->u.list.items[1];
        return mk_gcall(x, q->kind == D_SYMBOL ? "eq?" : "equal?", mk_lref(x, v, sp), mk_const(x, q), false, sp);
    }
    /* [p1 ... pk] or [p1 ... pk & rest] */
    Datum *rest;
    int k = pat_seq_split(p, &rest);
    Ast *test = mk_gcall(x, rest ? "%seq-len>=" : "%seq-len=", mk_lref(x, v, sp), mk_int(x, k, sp), false, sp);
    FeVec subs = {0};
    for (int i = 0; i <= k; i++) {
        Datum *sub = i < k ? p->u.list.items[i] : rest;
        if (!sub || sub->kind == D_SYMBOL)
            continue;
        Var *t = new_var(x, "elt", sub->span);
        Ast *inner = pat_test(x, sub, t);
        if (!inner)
            continue;
        Ast *get = i < k ? mk_gcall(x, "%seq-ref", mk_lref(x, v, sub->span), mk_int(x, i, sub->span), false, sub->span)
                         : mk_gcall(x, "%seq-tail", mk_lref(x, v, sub->span), mk_int(x, k, sub->span), false,
                                    sub->span);
        fe_vec_push(x->a, &subs, mk_let1(x, t, get, inner, sub->span));
    }
    /* test && sub1 && ... as nested ifs (the tests yield booleans) */
    Ast *acc = NULL;
    for (int i = subs.n - 1; i >= 0; i--)
        acc = acc ? mk_if(x, subs.items[i], acc, mk_bool(x, false, sp), sp) : subs.items[i];
    return acc ? mk_if(x, test, acc, mk_bool(x, false, sp), sp) : test;
}

/* Binds the names of `p` (matched against v) in order: each binding is a
 * (var, init) pair; inits only use v and earlier temporaries. */
static void pat_bind(Ex *x, Datum *p, Var *v, FeVec *vars, FeVec *inits, Scope *sc)
{
    if (p->kind == D_SYMBOL) {
        if (sym_is(p, "_"))
            return;
        if (!check_bindable(x, p, "match", "a pattern variable"))
            return;
        if (scope_find(sc, p->u.str.s)) {
            fe_error(x->d, p->span, "match: %s is bound twice in this pattern", p->u.str.s);
            return;
        }
        Var *b = new_var(x, p->u.str.s, p->span);
        scope_bind(x, b);
        fe_vec_push(x->a, vars, b);
        fe_vec_push(x->a, inits, mk_lref(x, v, p->span));
        return;
    }
    if (p->kind != D_ARRAY || !pat_binds(p))
        return;
    Datum *rest;
    int k = pat_seq_split(p, &rest);
    for (int i = 0; i <= k; i++) {
        Datum *sub = i < k ? p->u.list.items[i] : rest;
        if (!sub || !pat_binds(sub))
            continue;
        Span ss = sub->span;
        Ast *get = i < k ? mk_gcall(x, "%seq-ref", mk_lref(x, v, ss), mk_int(x, i, ss), false, ss)
                         : mk_gcall(x, "%seq-tail", mk_lref(x, v, ss), mk_int(x, k, ss), false, ss);
        if (sub->kind == D_SYMBOL) {
            if (!check_bindable(x, sub, "match", "a pattern variable"))
                continue;
            if (scope_find(sc, sub->u.str.s)) {
                fe_error(x->d, ss, "match: %s is bound twice in this pattern", sub->u.str.s);
                continue;
            }
            Var *b = new_var(x, sub->u.str.s, ss);
            scope_bind(x, b);
            fe_vec_push(x->a, vars, b);
            fe_vec_push(x->a, inits, get);
        } else {
            Var *t = new_var(x, "elt", ss);
            fe_vec_push(x->a, vars, t);
            fe_vec_push(x->a, inits, get);
            pat_bind(x, sub, t, vars, inits, sc);
        }
    }
}

/* (match v pat res ...) →
 *   (let [t v] (if test1 (let binds1 res1) (if test2 ... (error "match: no pattern matched" t)))) */
static Ast *sf_match(Ex *x, Datum *f, bool tail)
{
    Datum **it = f->u.list.items;
    int n = f->u.list.n;
    if (n < 2) {
        fe_error(x->d, f->span, "match: expected (match value pattern result ...)");
        return mk_nothing(x, f->span);
    }
    if ((n - 2) % 2 != 0) {
        fe_error(x->d, it[n - 1]->span, "match: expected pattern/result pairs (this pattern has no result)");
        return mk_nothing(x, f->span);
    }
    if (too_many(x, f, (n - 2) / 2))
        return mk_nothing(x, f->span);
    Ast *init = expand(x, it[1], false);
    Var *v = new_var(x, "match-value", it[1]->span);
    int nc = (n - 2) / 2;
    Ast **tests = fe_alloc(x->a, (size_t)(nc + 1) * sizeof *tests);
    Ast **bodies = fe_alloc(x->a, (size_t)(nc + 1) * sizeof *bodies);
    for (int c = 0; c < nc; c++) {
        Datum *pat = it[2 + 2 * c], *res = it[3 + 2 * c];
        if (!pat_ok(x, pat)) {
            tests[c] = mk_bool(x, false, pat->span);
            bodies[c] = mk_nothing(x, pat->span);
            continue;
        }
        tests[c] = pat_test(x, pat, v);
        FeVec vars = {0}, inits = {0};
        Scope sc;
        scope_push(x, &sc);
        pat_bind(x, pat, v, &vars, &inits, &sc);
        Ast *body = expand(x, res, tail);
        scope_pop(x);
        for (int k = vars.n - 1; k >= 0; k--)
            body = mk_let1(x, vars.items[k], inits.items[k], body, pat->span);
        bodies[c] = body;
    }
    Ast **eargs = fe_alloc(x->a, 2 * sizeof *eargs);
    eargs[0] = mk_string(x, "match: no pattern matched", f->span);
    eargs[1] = mk_lref(x, v, f->span);
    Ast *acc = mk_call(x, mk_gref(x, "error", f->span), eargs, 2, tail, f->span);
    for (int c = nc - 1; c >= 0; c--)
        acc = tests[c] ? mk_if(x, tests[c], bodies[c], acc, it[2 + 2 * c]->span) : bodies[c];
    return mk_let1(x, v, init, acc, f->span);
}

/* (try body... (catch e handler...)) →
 *   (%try (fn [] body...) (fn [e] handler...))
 * %try (rt/b_error.c) calls the thunk in a catching frame and, when an
 * error lands there, the handler with the error value.  Neither body is in
 * tail position of the enclosing function (they are bodies of their own
 * lambdas); the %try call itself is an ordinary call, in tail position or
 * not. */
static Ast *sf_try(Ex *x, Datum *f, bool tail)
{
    Datum **it = f->u.list.items;
    int n = f->u.list.n;
    Datum *clause = n >= 2 ? it[n - 1] : NULL;
    if (!clause || !head_is(clause, "catch")) {
        for (int i = 1; i < n - 1; i++)
            if (head_is(it[i], "catch")) {
                fe_error(x->d, it[i]->span, "try: the (catch e handler...) clause must come last");
                return mk_nothing(x, f->span);
            }
        fe_error(x->d, f->span, "try: expected (try expr (catch e handler...))");
        return mk_nothing(x, f->span);
    }
    if (n < 3) {
        fe_error(x->d, f->span, "try: expected an expression before (catch e handler...)");
        return mk_nothing(x, f->span);
    }
    Datum **ct = clause->u.list.items;
    int cn = clause->u.list.n;
    if (cn < 2) {
        fe_error(x->d, clause->span, "catch: expected (catch e handler...)");
        return mk_nothing(x, f->span);
    }
    if (!check_bindable(x, ct[1], "catch", "the error name"))
        return mk_nothing(x, f->span);
    Params none = {0}, pe = {0};
    params_add(x, &pe, ct[1], NULL, false, "catch");
    Ast **args = fe_alloc(x->a, 2 * sizeof *args);
    args[0] = make_lambda(x, "try", &none, it + 1, n - 2, f->span);
    args[1] = make_lambda(x, "catch", &pe, ct + 2, cn - 2, clause->span);
    return mk_call(x, mk_gref(x, "%try", f->span), args, 2, tail, f->span);
}

/* ---------------------------------------------------------- expressions */
typedef Ast *(*SpecialFn)(Ex *, Datum *, bool);
static const struct {
    const char *name;
    SpecialFn fn;
} special_forms[] = {
    {"quote", sf_quote}, {"if", sf_if},         {"do", sf_do},        {"begin", sf_do},
    {"fn", sf_fn},       {"lambda", sf_fn},     {"\xce\xbb", sf_fn},  {"let", sf_let},
    {"set!", sf_set},    {"and", sf_and},       {"or", sf_or},        {"when", sf_when_unless},
    {"unless", sf_when_unless}, {"cond", sf_cond}, {"match", sf_match},
    {"let*", sf_let},    {"letrec", sf_letrec}, {"letrec*", sf_letrec},
    {"try", sf_try},
};

/* ------------------------------------------------ forms of other Lisps */
/* Special forms of Scheme, Common Lisp and Clojure that OmniLisp spells
 * otherwise (or lacks).  At the head of a form, while the name is unbound,
 * one error names the OmniLisp way, instead of an "unbound variable" for
 * the head and for every name its arguments bind. */
#define NO_VALUES "there are no multiple values: return a list or an array and take it " \
                  "apart with match, as in (match (f) [a b] (+ a b))"
#define NO_MACROS "there are no macros: write a function"
#define DEFINE_FN "define a function with (define (name params...) body...)"
#define LOCAL_FNS "local functions are internal defines, or (letrec ((f (fn [x] ...))) body...)"
#define NAMED_LET "loop with a named let: (let loop [i 0] (when (< i n) ... (loop (+ i 1))))"
static const struct {
    const char *name, *hint;
} foreign_forms[] = {
    {"let-values", NO_VALUES},  {"let*-values", NO_VALUES},  {"define-values", NO_VALUES},
    {"receive", NO_VALUES},     {"multiple-value-bind", NO_VALUES},
    {"define-syntax", NO_MACROS}, {"let-syntax", NO_MACROS}, {"letrec-syntax", NO_MACROS},
    {"syntax-rules", NO_MACROS}, {"defmacro", NO_MACROS},    {"define-macro", NO_MACROS},
    {"case-lambda", "take the arguments as a list and match on them: "
                    "(fn [& args] (match args [x] ... [x y] ...))"},
    {"case", "use match, whose literal patterns compare like case: (match x 1 \"one\" 2 \"two\" _ \"more\")"},
    {"define-record-type", "use a dict, as in #{:name n :age a}, and paths like p.name"},
    {"defstruct", "use a dict, as in #{:name n :age a}, and paths like p.name"},
    {"defrecord", "use a dict, as in #{:name n :age a}, and paths like p.name"},
    {"named-lambda", DEFINE_FN}, {"defun", DEFINE_FN},       {"defn", DEFINE_FN},
    {"def", "define a variable with (define name value)"},
    {"defvar", "define a variable with (define name value)"},
    {"defparameter", "define a variable with (define name value)"},
    {"setq", "assign with (set! name value)"},
    {"setf", "assign a variable with set!, an array element or a dict entry with put!"},
    {"progn", "sequence with (do e1 e2 ...)"},
    {"labels", LOCAL_FNS},      {"flet", LOCAL_FNS},          {"letfn", LOCAL_FNS},
    {"loop", NAMED_LET},        {"recur", NAMED_LET},         {"dotimes", NAMED_LET},
    {"dolist", "walk a list with (for-each (fn [x] ...) xs)"},
    {"doseq", "walk a list with (for-each (fn [x] ...) xs)"},
    {"if-let", "bind with let, then test: (let [x e] (if x ...))"},
    {"when-let", "bind with let, then test: (let [x e] (when x ...))"},
};

/* Whether the unit's top-level forms (through top-level do/begin) define
 * `name`. */
static bool unit_defines(Datum **forms, int n, const char *name)
{
    for (int i = 0; i < n; i++) {
        Datum *f = forms[i];
        if (head_is(f, "do") || head_is(f, "begin")) {
            if (unit_defines(f->u.list.items + 1, f->u.list.n - 1, name))
                return true;
        } else if (head_is(f, "define") && f->u.list.n >= 2) {
            Datum *t = f->u.list.items[1];
            if (t->kind == D_LIST && t->u.list.n > 0)
                t = t->u.list.items[0];
            if (sym_is(t, name))
                return true;
        }
    }
    return false;
}

/* The hint for a form whose head is a foreign special form that is unbound
 * here, as the resolver would find it: not local, not a built-in, not a
 * global of the session or the unit, and not in a function body of a REPL
 * input (a later input may define it).  NULL otherwise. */
static const char *foreign_form(Ex *x, const char *name)
{
    const char *hint = NULL;
    for (size_t i = 0; i < sizeof foreign_forms / sizeof foreign_forms[0] && !hint; i++)
        if (strcmp(foreign_forms[i].name, name) == 0)
            hint = foreign_forms[i].hint;
    if (!hint || lookup(x, name) || fe_builtin_flags(name) >= 0 || fe_session_is_user_global(x->s, name) ||
        (fe_session_is_repl(x->s) && x->lam) || unit_defines(x->forms, x->nforms, name))
        return NULL;
    return hint;
}

static Ast *expand_symbol(Ex *x, Datum *d)
{
    const char *name = d->u.str.s;
    if (name == fe_path_get_name)
        return mk_gref(x, "get", d->span);
    if (is_reserved(name)) {
        fe_error(x->d, d->span, "%s is a special form, not a value", name);
        return mk_nothing(x, d->span);
    }
    if (strcmp(name, "&") == 0) {
        fe_error(x->d, d->span, "unexpected '&' outside a parameter slot");
        return mk_nothing(x, d->span);
    }
    Var *v = lookup(x, name);
    if (v)
        return mk_lref(x, v, d->span);
    int fl = fe_builtin_flags(name);
    if (fl >= 0 && (fl & OBF_HIDDEN)) {
        fe_error(x->d, d->span, "unbound variable: %s", name);
        return mk_nothing(x, d->span);
    }
    return mk_gref(x, name, d->span);
}

static Ast *expand_seq_literal(Ex *x, Datum *d, const char *ctor)
{
    int n = d->u.list.n;
    Ast **args = fe_alloc(x->a, (size_t)(n ? n : 1) * sizeof *args);
    for (int i = 0; i < n; i++)
        args[i] = expand(x, d->u.list.items[i], false);
    return mk_call(x, mk_gref(x, ctor, d->span), args, n, false, d->span);
}

static Ast *expand(Ex *x, Datum *d, bool tail)
{
    switch (d->kind) {
    case D_INT: case D_FLOAT: case D_STRING: case D_CHAR: case D_BOOL: case D_NOTHING:
        return mk_const(x, d);
    case D_SYMBOL:
        return expand_symbol(x, d);
    case D_ARRAY:
        return expand_seq_literal(x, d, "array");
    case D_DICT:
        return expand_seq_literal(x, d, "dict");
    case D_TYPE:
        fe_error(x->d, d->span, "unexpected {%s} outside a parameter slot", d->u.str.s);
        return mk_nothing(x, d->span);
    case D_META:
        fe_error(x->d, d->span, "unexpected ^:%s (it belongs right after let)", d->u.str.s);
        return mk_nothing(x, d->span);
    case D_LIST:
        break;
    }
    if (d->u.list.tail) {
        fe_error(x->d, d->span, "unexpected dotted list in an expression (quote it for a pair)");
        return mk_nothing(x, d->span);
    }
    int n = d->u.list.n;
    if (n == 0)
        return mk_const(x, d);
    Datum *head = d->u.list.items[0];
    if (head->kind == D_SYMBOL && head->u.str.s != fe_path_get_name) {
        for (size_t i = 0; i < sizeof special_forms / sizeof special_forms[0]; i++)
            if (strcmp(special_forms[i].name, head->u.str.s) == 0)
                return special_forms[i].fn(x, d, tail);
        if (sym_is(head, "define")) {
            fe_error(x->d, d->span, "define: not allowed here (only at top level or in a body)");
            return mk_nothing(x, d->span);
        }
        const char *hint = foreign_form(x, head->u.str.s);
        if (hint) {
            fe_error(x->d, head->span, "%s is not an OmniLisp form; %s", head->u.str.s, hint);
            return mk_nothing(x, d->span);
        }
    }
    Ast *fn = expand(x, head, false);
    Ast **args = fe_alloc(x->a, (size_t)n * sizeof *args);
    for (int i = 1; i < n; i++)
        args[i - 1] = expand(x, d->u.list.items[i], false);
    return mk_call(x, fn, args, n - 1, tail, d->span);
}

/* --------------------------------------------------------------- unit */
static void expand_top(Ex *x, Datum *f, FeVec *out)
{
    if (head_is(f, "do") || head_is(f, "begin")) {
        /* A top-level do splices: its defines are global. */
        if (f->u.list.n == 1)
            fe_vec_push(x->a, out, mk_nothing(x, f->span));
        for (int i = 1; i < f->u.list.n; i++)
            expand_top(x, f->u.list.items[i], out);
        return;
    }
    if (!head_is(f, "define")) {
        fe_vec_push(x->a, out, expand(x, f, false));
        return;
    }
    DefForm df;
    if (!parse_define(x, f, &df))
        return;
    const char *name = df.name->u.str.s;
    int fl = fe_builtin_flags(name);
    if (fl >= 0 && (fl & OBF_HIDDEN)) {
        fe_error(x->d, df.name->span, "define: cannot redefine the internal name %s", name);
        return;
    }
    Ast *g = mk(x, A_GDEF, f->span);
    g->u.gset.name = name;
    g->u.gset.val = define_value(x, &df, f->span);
    fe_vec_push(x->a, out, g);
}

Ast *fe_expand_unit(FeArena *a, Diag *d, FeSession *s, Datum **forms, int n)
{
    Ex x = {a, d, s, NULL, NULL, 0, forms, n};
    int errors0 = d->nerrors;
    FeVec top = {0};
    for (int i = 0; i < n; i++)
        expand_top(&x, forms[i], &top);
    Span sp = n > 0 ? forms[0]->span : (Span){fe_intern_filename(NULL), 1, 1};
    Ast *unit = mk(&x, A_SEQ, sp);
    if (top.n == 0)
        fe_vec_push(a, &top, mk_nothing(&x, sp));
    unit->u.seq.items = (Ast **)top.items;
    unit->u.seq.n = top.n;
    /* After expansion errors the resolver would mostly report their echoes
     * (e.g. a name whose binding was malformed), so it runs only on clean
     * expansions. */
    if (d->nerrors == errors0)
        fe_resolve_unit(a, d, s, unit, x.next_id);
    if (d->nerrors != errors0)
        return NULL;
    for (int i = 0; i < top.n; i++)
        if (unit->u.seq.items[i]->kind == A_GDEF)
            fe_session_add_user_global(s, unit->u.seq.items[i]->u.gset.name);
    return unit;
}
