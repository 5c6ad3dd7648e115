/* pass_escape.c — CTRR escape analysis: where may each value go?
 *
 * One function at a time, no callee summaries (a REPL may redefine any
 * global later, so nothing is assumed about what a call does beyond what
 * every call may do).  The analysis is Steensgaard-style: value registers
 * are unified into alias classes, flow-insensitively and in one walk over
 * the instructions, and every class has one "content" class — what objects
 * of the class hold, i.e. what is stored into them or loaded from them.
 * Then escape marks are set on classes (returned, stored in a global,
 * stored into an object from outside, passed to a call) and pushed from
 * each escaping class to its content, since whatever an escaping object
 * holds escapes with it.  The result is written on the instructions that
 * make values (allocation sites, calls, prims) as RirInstr.escape; the
 * scope-region and placement passes read it.  The rules, and why each
 * boundary is sound, are in docs/CTRR.md.
 *
 * The effect of every built-in is one row of prim_rows[] below: what its
 * result may be or hold, what it stores where.  A built-in without a row
 * gets the conservative treatment (everything it touches is one class and
 * escapes as UNKNOWN).
 */
#include <stdlib.h>
#include <string.h>

#include "ir_internal.h"

/* ------------------------------------------------------------ built-ins */

typedef enum {
    PE_UNLISTED = 0, /* no model: result, arguments and all they hold are one class, UNKNOWN */
    PE_PURE,      /* reads its arguments; the result is an immediate, an interned symbol or a
                     fresh number, holding nothing */
    PE_NUM_ALIAS, /* the result is a number that may be one of the arguments ((+ x) is x) */
    PE_FRESH,     /* fresh object(s) holding nothing of the arguments (strings, ranges) */
    PE_CONS,      /* one fresh object holding the arguments (cons, array, dict, atom) */
    PE_LIST,      /* fresh list cells holding the arguments and each other */
    PE_LOAD,      /* an element of argument 0; arguments 2.. (get's default) may be the result */
    PE_LISTIFY,   /* fresh list cells holding the elements of argument 0, or a tail of it */
    PE_COPY,      /* one fresh object holding the elements of argument 0 (list->array) */
    PE_APPEND,    /* fresh cells holding the elements of all arguments; the last is shared */
    PE_STORE,     /* stores arguments 1.. into argument 0 (put!, push!, reset!, compare-and-set!) */
    PE_CALLS,     /* calls its function arguments with its result region (map, foldl, ...) */
} PrimEffect;

enum {
    PR_NUMERIC = 1,     /* its arguments must be numbers: a value used here is a number */
    PR_RESULT_ARG1 = 2, /* the result is argument 1 (reset!) */
    PR_STORES_RESULT = 4, /* stores its result into argument 0 (swap!) */
};

typedef struct PrimRow {
    uint8_t effect;   /* PrimEffect */
    uint8_t flags;    /* PR_* */
} PrimRow;

#define ROW(cname, effect, flags) [OMNI_BI_##cname] = { effect, flags }

/* One row per built-in of rt/builtins.def (test_ctrr checks none is
 * missing).  Checked against the runtime: e.g. omni_bv_add returns argv[0]
 * itself for one argument, hence PE_NUM_ALIAS; abs, floor, ... return their
 * argument only when it is a fixnum (an immediate), hence PE_PURE. */
static const PrimRow prim_rows[OMNI_BI__COUNT] = {
    ROW(add, PE_NUM_ALIAS, PR_NUMERIC),   ROW(sub, PE_PURE, PR_NUMERIC),
    ROW(mul, PE_NUM_ALIAS, PR_NUMERIC),   ROW(div, PE_PURE, PR_NUMERIC),
    ROW(numeq, PE_PURE, PR_NUMERIC),      ROW(lt, PE_PURE, PR_NUMERIC),
    ROW(gt, PE_PURE, PR_NUMERIC),         ROW(le, PE_PURE, PR_NUMERIC),
    ROW(ge, PE_PURE, PR_NUMERIC),
    ROW(add2, PE_PURE, PR_NUMERIC),       ROW(sub2, PE_PURE, PR_NUMERIC),
    ROW(mul2, PE_PURE, PR_NUMERIC),       ROW(div2, PE_PURE, PR_NUMERIC),
    ROW(neg, PE_PURE, PR_NUMERIC),
    ROW(numeq2, PE_PURE, PR_NUMERIC),     ROW(lt2, PE_PURE, PR_NUMERIC),
    ROW(gt2, PE_PURE, PR_NUMERIC),        ROW(le2, PE_PURE, PR_NUMERIC),
    ROW(ge2, PE_PURE, PR_NUMERIC),
    ROW(quot, PE_PURE, PR_NUMERIC),       ROW(rem, PE_PURE, PR_NUMERIC),
    ROW(mod, PE_PURE, PR_NUMERIC),        ROW(abs, PE_PURE, PR_NUMERIC),
    ROW(min, PE_NUM_ALIAS, PR_NUMERIC),   ROW(max, PE_NUM_ALIAS, PR_NUMERIC),
    ROW(sqrt, PE_PURE, PR_NUMERIC),       ROW(exp, PE_PURE, PR_NUMERIC),
    ROW(log, PE_PURE, PR_NUMERIC),        ROW(sin, PE_PURE, PR_NUMERIC),
    ROW(cos, PE_PURE, PR_NUMERIC),        ROW(floor, PE_PURE, PR_NUMERIC),
    ROW(ceil, PE_PURE, PR_NUMERIC),       ROW(round, PE_PURE, PR_NUMERIC),
    ROW(float, PE_NUM_ALIAS, PR_NUMERIC), ROW(int, PE_PURE, PR_NUMERIC),
    ROW(number_to_string, PE_FRESH, PR_NUMERIC),
    ROW(string_to_number, PE_PURE, 0),
    ROW(eq, PE_PURE, 0),                  ROW(equal, PE_PURE, 0),
    ROW(not, PE_PURE, 0),
    ROW(cons, PE_CONS, 0),
    ROW(car, PE_LOAD, 0),                 ROW(cdr, PE_LOAD, 0),
    ROW(cadr, PE_LOAD, 0),                ROW(cddr, PE_LOAD, 0),
    ROW(caddr, PE_LOAD, 0),
    ROW(list, PE_LIST, 0),
    ROW(listp, PE_PURE, 0),               ROW(pairp, PE_PURE, 0),
    ROW(nullp, PE_PURE, 0),               ROW(length, PE_PURE, 0),
    ROW(append, PE_APPEND, 0),            ROW(reverse, PE_LISTIFY, 0),
    ROW(list_ref, PE_LOAD, 0),
    ROW(map, PE_CALLS, 0),                ROW(filter, PE_CALLS, 0),
    ROW(foldl, PE_CALLS, 0),              ROW(for_each, PE_CALLS, 0),
    ROW(apply, PE_CALLS, 0),
    ROW(range, PE_FRESH, PR_NUMERIC),
    ROW(string_length, PE_PURE, 0),       ROW(string_ref, PE_PURE, 0),
    ROW(substring, PE_FRESH, 0),          ROW(string_append, PE_FRESH, 0),
    ROW(string_eq, PE_PURE, 0),           ROW(string_lt, PE_PURE, 0),
    ROW(str, PE_FRESH, 0),
    ROW(string_to_symbol, PE_PURE, 0),    ROW(symbol_to_string, PE_FRESH, 0),
    ROW(char_to_integer, PE_PURE, 0),     ROW(integer_to_char, PE_PURE, PR_NUMERIC),
    ROW(string_split, PE_FRESH, 0),       ROW(string_join, PE_FRESH, 0),
    ROW(array, PE_CONS, 0),               ROW(make_array, PE_CONS, 0),
    ROW(get, PE_LOAD, 0),                 ROW(put, PE_STORE, 0),
    ROW(push, PE_STORE, 0),               ROW(pop, PE_LOAD, 0),
    ROW(array_to_list, PE_LISTIFY, 0),    ROW(list_to_array, PE_COPY, 0),
    ROW(dict, PE_CONS, 0),                ROW(has, PE_PURE, 0),
    ROW(remove, PE_PURE, 0),
    ROW(keys, PE_LISTIFY, 0),             ROW(values, PE_LISTIFY, 0),
    ROW(atom, PE_CONS, 0),                ROW(deref, PE_LOAD, 0),
    ROW(reset, PE_STORE, PR_RESULT_ARG1), ROW(swap, PE_CALLS, PR_STORES_RESULT),
    ROW(compare_and_set, PE_STORE, 0),
    ROW(intp, PE_PURE, 0),                ROW(floatp, PE_PURE, 0),
    ROW(numberp, PE_PURE, 0),             ROW(stringp, PE_PURE, 0),
    ROW(charp, PE_PURE, 0),               ROW(symbolp, PE_PURE, 0),
    ROW(boolp, PE_PURE, 0),               ROW(nothingp, PE_PURE, 0),
    ROW(fnp, PE_PURE, 0),                 ROW(arrayp, PE_PURE, 0),
    ROW(dictp, PE_PURE, 0),               ROW(atomp, PE_PURE, 0),
    ROW(print, PE_PURE, 0),               ROW(println, PE_PURE, 0),
    ROW(write, PE_PURE, 0),               ROW(newline, PE_PURE, 0),
    ROW(error, PE_PURE, 0),               ROW(time_ms, PE_PURE, 0),
    ROW(seq_len_eq, PE_PURE, 0),          ROW(seq_len_ge, PE_PURE, 0),
    ROW(seq_ref, PE_LOAD, 0),             ROW(seq_tail, PE_LISTIFY, 0),
};
#undef ROW

static PrimRow prim_row(int64_t id)
{
    if (id < 0 || id >= OMNI_BI__COUNT)
        return (PrimRow){ PE_UNLISTED, 0 };
    return prim_rows[id];
}

/* A prim whose allocation in its region is at most a number box (or
 * nothing at all: put!/push! grow the container in its own region). */
static bool prim_cheap(PrimRow row)
{
    return row.effect == PE_PURE || row.effect == PE_NUM_ALIAS || row.effect == PE_STORE ||
           row.effect == PE_LOAD;
}

/* ------------------------------------------------------------ union-find */

enum {
    /* class flags */
    CF_EXTERNAL = 1,  /* holds values this activation did not allocate */
    CF_CLOSURE = 2,   /* holds a closure made here (its content is what it captured) */
    /* escape bits (direct marks and inherited ones) */
    EB_ARG = 1, EB_RETURN = 2, EB_GLOBAL = 4, EB_CONTAINER = 8, EB_UNKNOWN = 16, EB_CAPTURE = 32,
    EB_OUT = EB_RETURN | EB_GLOBAL | EB_CONTAINER | EB_UNKNOWN | EB_CAPTURE,
};

typedef struct Node {
    int32_t parent;
    int32_t content;   /* node of the content class, -1 if none yet (valid at a root) */
    uint8_t rank;
    uint8_t flags;     /* CF_*, at a root */
    uint8_t direct;    /* EB_* set on the class itself, at a root */
    uint8_t inherited; /* EB_* pushed from a class that holds this one, at a root */
} Node;

typedef struct Store {
    int32_t container, value;
} Store;

typedef struct Esc {
    const RirFunc *f;
    Node *n;
    int nn, cap;
    int32_t *work;     /* pending unifications, pairs */
    int nwork, capwork;
    Store *stores;     /* stores into objects, checked once classes are final */
    int nstores, capstores;
} Esc;

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fputs("omni: out of memory (escape analysis)\n", stderr);
        abort();
    }
    return q;
}

static void *xcalloc(size_t n)
{
    void *p = calloc(n ? n : 1, 1);
    if (!p) {
        fputs("omni: out of memory (escape analysis)\n", stderr);
        abort();
    }
    return p;
}

static int new_node(Esc *e)
{
    if (e->nn == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 64;
        e->n = xrealloc(e->n, (size_t)e->cap * sizeof *e->n);
    }
    e->n[e->nn] = (Node){ .parent = e->nn, .content = -1 };
    return e->nn++;
}

static int find(Esc *e, int x)
{
    while (e->n[x].parent != x) {
        e->n[x].parent = e->n[e->n[x].parent].parent;   /* path halving */
        x = e->n[x].parent;
    }
    return x;
}

/* Unifies the classes of a and b, and then (through the work list, not
 * recursion: content chains can be long) their contents. */
static void unify(Esc *e, int a, int b)
{
    int base = e->nwork;
    if (e->nwork + 2 > e->capwork) {
        e->capwork = e->capwork ? e->capwork * 2 : 64;
        e->work = xrealloc(e->work, (size_t)e->capwork * sizeof *e->work);
    }
    e->work[e->nwork++] = a;
    e->work[e->nwork++] = b;
    while (e->nwork > base) {
        int y = find(e, e->work[--e->nwork]);
        int x = find(e, e->work[--e->nwork]);
        if (x == y)
            continue;
        if (e->n[x].rank < e->n[y].rank) {
            int t = x; x = y; y = t;
        }
        if (e->n[x].rank == e->n[y].rank)
            e->n[x].rank++;
        e->n[y].parent = x;
        e->n[x].flags |= e->n[y].flags;
        e->n[x].direct |= e->n[y].direct;
        e->n[x].inherited |= e->n[y].inherited;
        int cx = e->n[x].content, cy = e->n[y].content;
        if (cx < 0) {
            e->n[x].content = cy;
        } else if (cy >= 0) {
            if (e->nwork + 2 > e->capwork) {
                e->capwork = e->capwork ? e->capwork * 2 : 64;
                e->work = xrealloc(e->work, (size_t)e->capwork * sizeof *e->work);
            }
            e->work[e->nwork++] = cx;
            e->work[e->nwork++] = cy;
        }
    }
}

/* The content class of x's class, created on first use. */
static int content_of(Esc *e, int x)
{
    int r = find(e, x);
    if (e->n[r].content < 0) {
        int c = new_node(e);    /* may move e->n: index again below */
        e->n[r].content = c;
    }
    return find(e, e->n[r].content);
}

static void set_flag(Esc *e, int x, uint8_t fl) { e->n[find(e, x)].flags |= fl; }
static void mark(Esc *e, int x, uint8_t eb) { e->n[find(e, x)].direct |= eb; }

static void add_store(Esc *e, int container, int value)
{
    if (e->nstores == e->capstores) {
        e->capstores = e->capstores ? e->capstores * 2 : 16;
        e->stores = xrealloc(e->stores, (size_t)e->capstores * sizeof *e->stores);
    }
    e->stores[e->nstores++] = (Store){ container, value };
}

/* Objects that build structures out of themselves (list cells pointing to
 * cells made by the same site, a callee's fresh result) hold their own
 * class: whatever is loaded from them may be one of them. */
static void self_content(Esc *e, int x)
{
    unify(e, content_of(e, x), x);
}

/* ------------------------------------------------------------ constraints */

static void prim_constraints(Esc *e, const RirInstr *in)
{
    PrimRow row = prim_row(in->imm);
    int d = in->dst, n = in->nargs;
    const int32_t *a = in->args;
    switch ((PrimEffect)row.effect) {
    case PE_PURE:
        break;
    case PE_NUM_ALIAS:
        for (int i = 0; i < n; i++)
            unify(e, d, a[i]);
        break;
    case PE_FRESH:
        self_content(e, d);
        break;
    case PE_CONS:
        for (int i = 0; i < n; i++)
            unify(e, content_of(e, d), a[i]);
        break;
    case PE_LIST:
        for (int i = 0; i < n; i++)
            unify(e, content_of(e, d), a[i]);
        self_content(e, d);
        break;
    case PE_LOAD:
        if (n > 0)
            unify(e, d, content_of(e, a[0]));
        for (int i = 2; i < n; i++)
            unify(e, d, a[i]);
        break;
    case PE_LISTIFY:
        if (n > 0)
            unify(e, content_of(e, d), content_of(e, a[0]));
        self_content(e, d);
        break;
    case PE_COPY:
        if (n > 0)
            unify(e, content_of(e, d), content_of(e, a[0]));
        break;
    case PE_APPEND:
        for (int i = 0; i < n; i++)
            unify(e, content_of(e, d), content_of(e, a[i]));
        if (n > 0)
            unify(e, d, a[n - 1]);
        self_content(e, d);
        break;
    case PE_STORE:
        for (int i = 1; i < n; i++) {
            unify(e, content_of(e, a[0]), a[i]);
            add_store(e, a[0], a[i]);
        }
        if ((row.flags & PR_RESULT_ARG1) && n > 1)
            unify(e, d, a[1]);
        break;
    case PE_CALLS:
        /* like a call of each function argument with the others: the
         * result may be or hold any argument or anything they hold */
        for (int i = 0; i < n; i++) {
            unify(e, d, a[i]);
            unify(e, d, content_of(e, a[i]));
            mark(e, a[i], EB_ARG);
        }
        self_content(e, d);
        if ((row.flags & PR_STORES_RESULT) && n > 0)
            add_store(e, a[0], d);
        break;
    case PE_UNLISTED:
        for (int i = 0; i < n; i++) {
            unify(e, d, a[i]);
            unify(e, d, content_of(e, a[i]));
        }
        self_content(e, d);
        mark(e, d, EB_UNKNOWN);
        break;
    }
}

/* The constraints of one instruction. */
static void constraints(Esc *e, const RirInstr *in)
{
    const int32_t *a = in->args;
    switch ((RirOp)in->op) {
    case RIR_CONST:
        break;
    case RIR_CONST_FLOAT: case RIR_CONST_STR: case RIR_CONST_SYM: case RIR_CONST_DATUM:
        /* static data: no region, immortal; a store into a quoted array
         * is a store into an object from outside */
    case RIR_PARAM: case RIR_SELF: case RIR_ENV_REF: case RIR_GLOBAL_GET:
        set_flag(e, in->dst, CF_EXTERNAL);
        break;
    case RIR_MOV:
        unify(e, in->dst, a[0]);
        break;
    case RIR_GLOBAL_SET: case RIR_GLOBAL_DEF:
        mark(e, a[0], EB_GLOBAL);
        break;
    case RIR_BOX_NEW:
        unify(e, content_of(e, in->dst), a[0]);
        break;
    case RIR_BOX_GET:
        unify(e, in->dst, content_of(e, a[0]));
        break;
    case RIR_BOX_SET:
        unify(e, content_of(e, a[0]), a[1]);
        add_store(e, a[0], a[1]);
        break;
    case RIR_CLOSURE_NEW:
        set_flag(e, in->dst, CF_CLOSURE);
        for (int i = 0; i < in->nargs; i++)
            unify(e, content_of(e, in->dst), a[i]);
        break;
    case RIR_CALL: case RIR_CALL_KNOWN: {
        /* No summaries: the result may be or hold any argument and
         * anything the callee's closure holds, and the callee may build
         * any structure of fresh objects in the region it is given. */
        bool tail = (in->flags & RIF_TAIL) != 0;
        for (int i = 1; i < in->nargs; i++)
            unify(e, in->dst, a[i]);
        if (in->nargs > 0)
            unify(e, in->dst, content_of(e, a[0]));
        self_content(e, in->dst);
        /* tail call: the callee runs after this activation's scope ended
         * and shares its result region, so it and its arguments escape */
        for (int i = 0; i < in->nargs; i++)
            mark(e, a[i], tail ? EB_RETURN : EB_ARG);
        break;
    }
    case RIR_PRIM:
        prim_constraints(e, in);
        break;
    case RIR_TRANSMIGRATE:
        unify(e, in->dst, a[0]);
        break;
    case RIR_RET:
        mark(e, a[0], EB_RETURN);
        break;
    case RIR_CHECK_PARAM: case RIR_REGION_NEW: case RIR_REGION_EXIT: case RIR_RETAIN:
    case RIR_RELEASE: case RIR_TETHER: case RIR_UNTETHER: case RIR_REGION_GLOBAL:
    case RIR_JMP: case RIR_BR: case RIR__COUNT:
        break;
    }
}

static void esc_build(Esc *e, const RirFunc *f)
{
    memset(e, 0, sizeof *e);
    e->f = f;
    for (int r = 0; r < f->nregs; r++)
        new_node(e);
    for (int bi = 0; bi < f->nblocks; bi++) {
        const RirBlock *b = f->blocks[bi];
        for (int i = 0; i < b->n; i++)
            if (b->instrs[i].op < RIR__COUNT)
                constraints(e, &b->instrs[i]);
    }
}

static void esc_free(Esc *e)
{
    free(e->n);
    free(e->work);
    free(e->stores);
}

/* ------------------------------------------------------------ escapes */

/* Pushes a property from every class to its content until nothing
 * changes: EXTERNAL (what an outside object holds is outside too) or, with
 * `escapes`, the escape bits (what an escaping object holds escapes; what
 * an escaping closure holds is CAPTURE). */
static void propagate(Esc *e, bool escapes)
{
    int32_t *stack = xrealloc(NULL, (size_t)e->nn * sizeof *stack);
    int sp = 0;
    for (int x = 0; x < e->nn; x++)
        if (find(e, x) == x)
            stack[sp++] = x;
    while (sp > 0) {
        int x = find(e, stack[--sp]);
        if (e->n[x].content < 0)
            continue;
        int c = find(e, e->n[x].content);
        if (!escapes) {
            if ((e->n[x].flags & CF_EXTERNAL) && !(e->n[c].flags & CF_EXTERNAL)) {
                e->n[c].flags |= CF_EXTERNAL;
                stack[sp++] = c;
            }
            continue;
        }
        uint8_t out = (e->n[x].direct | e->n[x].inherited) & EB_OUT;
        if (!out)
            continue;
        if (e->n[x].flags & CF_CLOSURE)
            out |= EB_CAPTURE;
        if ((e->n[c].inherited | out) != e->n[c].inherited) {
            e->n[c].inherited |= out;
            stack[sp++] = c;
        }
    }
    free(stack);
}

static void esc_solve(Esc *e)
{
    propagate(e, false);
    /* a store into an object from outside: the stored value must live as
     * long as that object, which this activation cannot bound */
    for (int i = 0; i < e->nstores; i++)
        if (e->n[find(e, e->stores[i].container)].flags & CF_EXTERNAL)
            mark(e, e->stores[i].value, EB_CONTAINER);
    propagate(e, true);
}

/* The classification of a class: where it goes first (the region it needs
 * is the outermost of its reasons), then why. */
static IrEscape class_escape(Esc *e, int x)
{
    const Node *n = &e->n[find(e, x)];
    uint8_t all = n->direct | n->inherited;
    if (all & EB_GLOBAL)                 return IR_ESC_GLOBAL;
    if (n->direct & EB_RETURN)           return IR_ESC_RETURN;
    if (n->direct & EB_CONTAINER)        return IR_ESC_CONTAINER;
    if (n->direct & EB_UNKNOWN)          return IR_ESC_UNKNOWN;
    if (n->inherited & EB_CAPTURE)       return IR_ESC_CAPTURE;
    if (n->inherited & EB_RETURN)        return IR_ESC_RETURN;
    if (n->inherited & EB_CONTAINER)     return IR_ESC_CONTAINER;
    if (n->inherited & EB_UNKNOWN)       return IR_ESC_UNKNOWN;
    if (n->direct & EB_ARG)              return IR_ESC_ARG;
    return IR_ESC_NONE;
}

/* ------------------------------------------------------------ cheap calls */

enum { USE_NUMERIC = 1, USE_OTHER = 2 };

/* How each register is used: only as a number (an operand of a numeric
 * built-in, or a branch condition), or otherwise; movs pass uses on. */
typedef struct Uses {
    uint8_t *kind;      /* USE_* per register */
    int32_t *mov_next;  /* chain of movs out of each register: first edge index or -1 */
    int32_t *edge_to, *edge_next;
    int nedges;
    int32_t *seen, *stack;  /* scratch of used_only_as_number */
    int32_t stamp;
} Uses;

static void uses_build(const RirFunc *f, Uses *u)
{
    int nr = f->nregs, ne = 0;
    for (int bi = 0; bi < f->nblocks; bi++)
        for (int i = 0; i < f->blocks[bi]->n; i++)
            ne += f->blocks[bi]->instrs[i].op == RIR_MOV;
    u->kind = xcalloc((size_t)nr + 1);
    u->seen = xcalloc(((size_t)nr + 1) * sizeof *u->seen);
    u->stack = xrealloc(NULL, ((size_t)nr + 1) * sizeof *u->stack);
    u->stamp = 0;
    u->mov_next = xrealloc(NULL, ((size_t)nr + 1) * sizeof *u->mov_next);
    u->edge_to = xrealloc(NULL, ((size_t)ne + 1) * sizeof *u->edge_to);
    u->edge_next = xrealloc(NULL, ((size_t)ne + 1) * sizeof *u->edge_next);
    for (int r = 0; r < nr; r++)
        u->mov_next[r] = -1;
    u->nedges = 0;
    for (int bi = 0; bi < f->nblocks; bi++) {
        const RirBlock *b = f->blocks[bi];
        for (int i = 0; i < b->n; i++) {
            const RirInstr *in = &b->instrs[i];
            uint8_t k = USE_OTHER;
            if (in->op == RIR_BR ||
                (in->op == RIR_PRIM && (prim_row(in->imm).flags & PR_NUMERIC)))
                k = USE_NUMERIC;
            for (int j = 0; j < in->nargs; j++) {
                int r = in->args[j];
                if (r < 0 || r >= nr)
                    continue;
                if (in->op == RIR_MOV) {
                    u->edge_to[u->nedges] = in->dst;
                    u->edge_next[u->nedges] = u->mov_next[r];
                    u->mov_next[r] = u->nedges++;
                } else {
                    u->kind[r] |= k;
                }
            }
        }
    }
}

static void uses_free(Uses *u)
{
    free(u->kind);
    free(u->mov_next);
    free(u->edge_to);
    free(u->edge_next);
    free(u->seen);
    free(u->stack);
}

/* True if the value of r (and of every register it is moved to) is used,
 * and only as a number. */
static bool used_only_as_number(const RirFunc *f, Uses *u, int r)
{
    u->stamp++;
    int sp = 0;
    uint8_t kinds = 0;
    u->stack[sp++] = r;
    u->seen[r] = u->stamp;
    while (sp > 0) {
        int x = u->stack[--sp];
        kinds |= u->kind[x];
        for (int ed = u->mov_next[x]; ed >= 0; ed = u->edge_next[ed]) {
            int t = u->edge_to[ed];
            if (t >= 0 && t < f->nregs && u->seen[t] != u->stamp) {
                u->seen[t] = u->stamp;
                u->stack[sp++] = t;
            }
        }
    }
    return kinds == USE_NUMERIC;
}

/* ------------------------------------------------------------ the pass */

const char *ir_escape_name(int escape)
{
    static const char *const names[IR_ESC__COUNT] = {
        [IR_ESC_UNSET] = "?",          [IR_ESC_NONE] = "none",     [IR_ESC_ARG] = "arg",
        [IR_ESC_RETURN] = "return",    [IR_ESC_CAPTURE] = "capture",
        [IR_ESC_GLOBAL] = "global",    [IR_ESC_CONTAINER] = "container",
        [IR_ESC_UNKNOWN] = "unknown",
    };
    int k = escape & IR_ESC_MASK;
    return k < IR_ESC__COUNT ? names[k] : "?";
}

bool ir_escape_is_local(int escape)
{
    int k = escape & IR_ESC_MASK;
    return k == IR_ESC_NONE || k == IR_ESC_ARG;
}

void ir_pass_escape(RirFunc *f)
{
    Esc e;
    esc_build(&e, f);
    esc_solve(&e);
    Uses u;
    uses_build(f, &u);
    for (int bi = 0; bi < f->nblocks; bi++) {
        RirBlock *b = f->blocks[bi];
        for (int i = 0; i < b->n; i++) {
            RirInstr *in = &b->instrs[i];
            bool call = in->op == RIR_CALL || in->op == RIR_CALL_KNOWN;
            bool site = ir_instr_allocates(in) && in->op != RIR_TRANSMIGRATE;
            if (!(call || site || in->op == RIR_PRIM) || in->dst < 0 || in->dst >= f->nregs) {
                in->escape = IR_ESC_UNSET;
                continue;
            }
            uint8_t esc = (uint8_t)class_escape(&e, in->dst);
            if (in->op == RIR_PRIM && prim_cheap(prim_row(in->imm)))
                esc |= IR_ESC_CHEAP;
            else if (call && used_only_as_number(f, &u, in->dst))
                esc |= IR_ESC_CHEAP;
            in->escape = esc;
        }
    }
    uses_free(&u);
    esc_free(&e);
}

void ir_alias_classes(const RirFunc *f, IrAliasClasses *out)
{
    Esc e;
    esc_build(&e, f);
    /* number the roots densely */
    int32_t *id = xrealloc(NULL, ((size_t)e.nn + 1) * sizeof *id);
    int nc = 0;
    for (int x = 0; x < e.nn; x++)
        id[x] = find(&e, x) == x ? nc++ : -1;
    out->nregs = f->nregs;
    out->nclasses = nc;
    out->cls = xrealloc(NULL, ((size_t)f->nregs + 1) * sizeof *out->cls);
    out->content = xrealloc(NULL, ((size_t)nc + 1) * sizeof *out->content);
    for (int r = 0; r < f->nregs; r++)
        out->cls[r] = f->reg_kind[r] == RK_VALUE ? id[find(&e, r)] : -1;
    for (int x = 0; x < e.nn; x++)
        if (id[x] >= 0)
            out->content[id[x]] = e.n[x].content >= 0 ? id[find(&e, e.n[x].content)] : -1;
    free(id);
    esc_free(&e);
}

void ir_alias_classes_free(IrAliasClasses *c)
{
    free(c->cls);
    free(c->content);
    c->cls = c->content = NULL;
}
