/* pass_escape.c — CTRR escape analysis: where may each value go?
 *
 * One function at a time, no callee summaries (a REPL may redefine any
 * global later, so nothing is assumed about what a call does beyond what
 * every call may do).  The analysis is Steensgaard-style: value registers
 * are unified into alias classes, flow-insensitively and in one walk over
 * the instructions, and every class has two content classes — what objects
 * of the class hold as values (a pair's car, an array's elements, a
 * closure's captures) and the rest of their own structure (a pair's cdr),
 * i.e. what is stored into them or loaded from them.
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

#define ESC_CALLOC(n) ir_xcalloc(1, (n), "escape analysis")
#define ESC_REALLOC(p, n) ir_xrealloc((p), (n), "escape analysis")

/* ------------------------------------------------------------ built-ins */

typedef enum {
    PE_UNLISTED = 0, /* no model: result, arguments and all they hold are one class, UNKNOWN */
    PE_PURE,      /* reads its arguments; the result is an immediate, an interned symbol or a
                     fresh number, holding nothing */
    PE_NUM_ALIAS, /* the result is a number that may be one of the arguments ((+ x) is x) */
    PE_FRESH,     /* fresh objects holding only each other (strings, a list of strings) */
    PE_RANGE,     /* fresh list cells holding fixnums (immediates) */
    PE_HOLD,      /* one fresh object holding the arguments (array, dict, atom, make-array) */
    PE_CONS,      /* a fresh pair: car argument 0, cdr argument 1 */
    PE_LIST,      /* fresh list cells: the arguments, and each other as the spine */
    PE_CAR, PE_CDR, PE_CADR, PE_CDDR, PE_CADDR,  /* that part of argument 0 */
    PE_INDEX,     /* an element of argument 0 at some position (list-ref, get, deref, pop!);
                     arguments 2.. (get's default) may be the result */
    PE_TAIL,      /* a tail of argument 0 (list), or a fresh array of its elements */
    PE_LISTIFY,   /* fresh list cells holding the elements of argument 0 */
    PE_COPY,      /* one fresh object holding the elements of argument 0 (list->array) */
    PE_APPEND,    /* fresh cells holding the elements of the arguments; the last is the tail */
    PE_STORE,     /* stores arguments 1.. into argument 0 (put!, push!, reset!, compare-and-set!) */
    PE_FILL,      /* argument 0 (a fresh pair) holding argument 1 as car, 2 as cdr */
    PE_CALLS,     /* calls its function arguments with its result region (map, foldl, ...) */
} PrimEffect;

enum {
    PR_NUMERIC = 1,     /* its arguments must be numbers: a value used here is a number */
    PR_RESULT_ARG1 = 2, /* the result is argument 1 (reset!) */
    PR_STORES_RESULT = 4, /* stores its result into argument 0 (swap!) */
    PR_ON_ARG1 = 8,     /* the effect's "argument 0" is argument 1, and argument 0 is only
                           read (member, assoc: the key comes first, as in Scheme) */
};

typedef struct PrimRow {
    uint8_t effect;   /* PrimEffect */
    uint8_t flags;    /* PR_* */
} PrimRow;

#define ROW(cname, effect, flags) [OMNI_BI_##cname] = { effect, flags }

/* One row per built-in of rt/builtins.def (test_ctrr checks none is
 * missing).  Checked against the runtime: e.g. omni_bv_add returns argv[0]
 * itself for one argument, hence PE_NUM_ALIAS; abs, floor, ... return their
 * argument only when it is a fixnum (an immediate), hence PE_PURE; append
 * shares its last argument; %seq-tail, drop and member share a list's tail;
 * cadddr, last and assoc return an element (assoc: a pair of its list
 * argument); take copies the first cells; iota makes Floats when start or
 * step is one, hence PE_FRESH rather than PE_RANGE; sort copies the
 * elements of its sequence (calls_role) and sort! returns its array. */
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
    ROW(car, PE_CAR, 0),                  ROW(cdr, PE_CDR, 0),
    ROW(cadr, PE_CADR, 0),                ROW(cddr, PE_CDDR, 0),
    ROW(caddr, PE_CADDR, 0),
    ROW(list, PE_LIST, 0),
    ROW(listp, PE_PURE, 0),               ROW(pairp, PE_PURE, 0),
    ROW(nullp, PE_PURE, 0),               ROW(length, PE_PURE, 0),
    ROW(append, PE_APPEND, 0),            ROW(reverse, PE_LISTIFY, 0),
    ROW(list_ref, PE_INDEX, 0),
    ROW(map, PE_CALLS, 0),                ROW(filter, PE_CALLS, 0),
    ROW(foldl, PE_CALLS, 0),              ROW(for_each, PE_CALLS, 0),
    ROW(apply, PE_CALLS, 0),
    ROW(range, PE_RANGE, PR_NUMERIC),
    ROW(cadddr, PE_INDEX, 0),             ROW(last, PE_INDEX, 0),
    ROW(take, PE_LISTIFY, 0),             ROW(drop, PE_TAIL, 0),
    ROW(member, PE_TAIL, PR_ON_ARG1),     ROW(assoc, PE_INDEX, PR_ON_ARG1),
    ROW(iota, PE_FRESH, PR_NUMERIC),
    ROW(list_index, PE_CALLS, 0),         ROW(any, PE_CALLS, 0),
    ROW(every, PE_CALLS, 0),
    ROW(sort, PE_CALLS, 0),               ROW(sort_inplace, PE_CALLS, 0),
    ROW(string_length, PE_PURE, 0),       ROW(string_ref, PE_PURE, 0),
    ROW(substring, PE_FRESH, 0),          ROW(string_append, PE_FRESH, 0),
    ROW(string_eq, PE_PURE, 0),           ROW(string_lt, PE_PURE, 0),
    ROW(str, PE_FRESH, 0),
    ROW(string_to_symbol, PE_PURE, 0),    ROW(symbol_to_string, PE_FRESH, 0),
    ROW(char_to_integer, PE_PURE, 0),     ROW(integer_to_char, PE_PURE, PR_NUMERIC),
    ROW(string_split, PE_FRESH, 0),       ROW(string_join, PE_FRESH, 0),
    ROW(string_to_list, PE_FRESH, 0),     ROW(list_to_string, PE_FRESH, 0),
    ROW(string, PE_FRESH, 0),
    ROW(string_upcase, PE_FRESH, 0),      ROW(string_downcase, PE_FRESH, 0),
    ROW(string_index, PE_PURE, 0),        ROW(string_contains, PE_PURE, 0),
    ROW(string_trim, PE_FRESH, 0),
    ROW(char_alphabeticp, PE_PURE, 0),    ROW(char_numericp, PE_PURE, 0),
    ROW(char_whitespacep, PE_PURE, 0),
    ROW(char_upcase, PE_PURE, 0),         ROW(char_downcase, PE_PURE, 0),
    ROW(format, PE_FRESH, 0),             ROW(repr, PE_FRESH, 0),
    ROW(array, PE_HOLD, 0),               ROW(make_array, PE_HOLD, 0),
    ROW(get, PE_INDEX, 0),                ROW(put, PE_STORE, 0),
    ROW(push, PE_STORE, 0),               ROW(pop, PE_INDEX, 0),
    ROW(array_to_list, PE_LISTIFY, 0),    ROW(list_to_array, PE_COPY, 0),
    ROW(dict, PE_HOLD, 0),                ROW(has, PE_PURE, 0),
    ROW(remove, PE_PURE, 0),
    ROW(keys, PE_LISTIFY, 0),             ROW(values, PE_LISTIFY, 0),
    ROW(atom, PE_HOLD, 0),                ROW(deref, PE_INDEX, 0),
    ROW(reset, PE_STORE, PR_RESULT_ARG1), ROW(swap, PE_CALLS, PR_STORES_RESULT),
    ROW(compare_and_set, PE_STORE, 0),
    ROW(intp, PE_PURE, 0),                ROW(floatp, PE_PURE, 0),
    ROW(numberp, PE_PURE, 0),             ROW(stringp, PE_PURE, 0),
    ROW(charp, PE_PURE, 0),               ROW(symbolp, PE_PURE, 0),
    ROW(boolp, PE_PURE, 0),               ROW(nothingp, PE_PURE, 0),
    ROW(fnp, PE_PURE, 0),                 ROW(arrayp, PE_PURE, 0),
    ROW(dictp, PE_PURE, 0),               ROW(atomp, PE_PURE, 0),
    ROW(errorp, PE_PURE, 0),
    ROW(print, PE_PURE, 0),               ROW(println, PE_PURE, 0),
    ROW(write, PE_PURE, 0),               ROW(newline, PE_PURE, 0),
    ROW(error, PE_PURE, 0),               ROW(time_ms, PE_PURE, 0),
    /* rt/b_sys.c: fresh strings (and a fresh list of them), or immediates */
    ROW(command_line_args, PE_FRESH, 0),  ROW(getenv, PE_FRESH, 0),
    ROW(read_line, PE_FRESH, 0),          ROW(read_file, PE_FRESH, 0),
    ROW(write_file, PE_PURE, 0),          ROW(append_file, PE_PURE, 0),
    ROW(file_existsp, PE_PURE, 0),        ROW(exit, PE_PURE, 0),
    ROW(error_message, PE_CAR, 0),        ROW(error_irritants, PE_CAR, 0),
    ROW(try, PE_CALLS, 0),
    /* rt/thread.c: a hand-off copies its value (nothing of the caller is
     * held by a handle or a message); thread, join and recv run or wait
     * for other code: modelled as calls */
    ROW(thread, PE_CALLS, 0),             ROW(join, PE_CALLS, 0),
    ROW(chan, PE_FRESH, 0),               ROW(send, PE_STORE, 0),
    ROW(recv, PE_CALLS, 0),               ROW(close, PE_STORE, 0),
    ROW(threadp, PE_PURE, 0),             ROW(chanp, PE_PURE, 0),
    ROW(seq_len_eq, PE_PURE, 0),          ROW(seq_len_ge, PE_PURE, 0),
    ROW(pair_reserve, PE_CONS, 0),        ROW(pair_fill, PE_FILL, 0),
    ROW(car_known, PE_CAR, 0),            ROW(cdr_known, PE_CDR, 0),
    ROW(seq_ref, PE_INDEX, 0),            ROW(seq_tail, PE_TAIL, 0),
};
#undef ROW

static PrimRow prim_row(int64_t id)
{
    if (id < 0 || id >= OMNI_BI__COUNT)
        return (PrimRow){ PE_UNLISTED, 0 };
    return prim_rows[id];
}

/* Whether a call of built-in id may store into an existing object (or
 * call functions that may): a barrier could then keep a region of the
 * caller alive past its scope.  From the same rows; unlisted: may. */
bool ir_builtin_may_store(int64_t id)
{
    PrimRow row = prim_row(id);
    return row.effect == PE_STORE || row.effect == PE_CALLS || row.effect == PE_UNLISTED ||
           (row.flags & PR_STORES_RESULT);
}

/* For ir/pass_admit.c, from the same rows. */
IrPrimInit ir_prim_init(int64_t id)
{
    switch ((PrimEffect)prim_row(id).effect) {
    case PE_PURE: case PE_NUM_ALIAS: case PE_FRESH: case PE_RANGE: case PE_CAR: case PE_CDR:
    case PE_CADR: case PE_CDDR: case PE_CADDR: case PE_INDEX: case PE_STORE:
        return IR_INIT_NONE;   /* builds nothing that holds an argument (stores: the barrier) */
    case PE_FILL:
        return IR_INIT_FILL;
    case PE_HOLD: case PE_CONS: case PE_LIST: case PE_LISTIFY: case PE_COPY: case PE_APPEND:
    case PE_TAIL: case PE_CALLS: case PE_UNLISTED:
        break;
    }
    return IR_INIT_ARGS;
}

IrPrimResult ir_prim_result(int64_t id)
{
    /* map and filter build new list cells in their region (what the cells
     * hold is whatever the function returns) */
    if (id == OMNI_BI_map || id == OMNI_BI_filter)
        return IR_RES_FRESH;
    PrimRow row = prim_row(id);
    if (row.flags & (PR_RESULT_ARG1 | PR_ON_ARG1))
        return IR_RES_ARGS;   /* (PART0 would name the wrong argument) */
    switch ((PrimEffect)row.effect) {
    case PE_PURE: case PE_FRESH: case PE_RANGE: case PE_HOLD: case PE_CONS: case PE_LIST:
    case PE_LISTIFY: case PE_COPY: case PE_STORE:
        return IR_RES_FRESH;
    case PE_CAR: case PE_CDR: case PE_CADR: case PE_CDDR: case PE_CADDR: case PE_TAIL:
        return IR_RES_PART0;
    case PE_NUM_ALIAS: case PE_INDEX: case PE_APPEND: case PE_FILL: case PE_CALLS:
        return IR_RES_ARGS;
    case PE_UNLISTED:
        break;
    }
    return IR_RES_UNKNOWN;
}

/* Loads and stores allocate nothing in their region (put!/push! grow the
 * container in its own region); numeric built-ins at most a Float box. */
static bool prim_cheap(PrimRow row)
{
    switch ((PrimEffect)row.effect) {
    case PE_PURE: case PE_NUM_ALIAS: case PE_STORE: case PE_CAR: case PE_CDR: case PE_CADR:
    case PE_CDDR: case PE_CADDR: case PE_INDEX:
        return true;
    default:
        return false;
    }
}

/* ------------------------------------------------------------ union-find */

enum {
    /* class flags */
    CF_EXTERNAL = 1,  /* holds values this activation did not allocate */
    CF_CLOSURE = 2,   /* holds a closure made here (its content is what it captured) */
    CF_MADE = 4,      /* holds objects made by this activation (allocated, or returned by a
                         call into a region this activation names) */
    CF_GLOBAL = 8,    /* holds a global's value or what one holds: the store barrier keeps
                         all of that in the global region (or static data) */
    /* escape bits (direct marks and inherited ones) */
    EB_ARG = 1, EB_RETURN = 2, EB_GLOBAL = 4, EB_CONTAINER = 8, EB_UNKNOWN = 16, EB_CAPTURE = 32,
    EB_OUT = EB_RETURN | EB_GLOBAL | EB_CONTAINER | EB_UNKNOWN | EB_CAPTURE,
    /* carried to a loop's next iteration (a back-edge mov into a
     * parameter): not an escape, it only keeps the value past the scope
     * region's end at the back edge (docs/CTRR.md, "Loops") */
    EB_CARRY = 64,
};

/* The two content fields of a class: what its objects hold as values, and
 * the rest of their own structure (a list's spine).  Keeping them apart
 * keeps the cells of a list out of the class of its elements. */
enum { ELEM = 0, LINK = 1, NFIELDS = 2 };

typedef struct Node {
    int32_t parent;
    int32_t field[NFIELDS]; /* nodes of the content classes, -1 if none yet (valid at a root) */
    uint8_t rank;
    uint8_t flags;     /* CF_*, at a root */
    uint8_t direct;    /* EB_* set on the class itself, at a root */
    uint8_t inherited; /* EB_* pushed from a class that holds this one, at a root */
} Node;

typedef struct Store {
    int32_t container, value;
} Store;

/* "The result of a call may be `from`", or anything the closure `from`
 * captured (LK_CAPTURES), or an element of the sequence `from` (LK_ELEMS),
 * applied only once that class holds objects made here: see link_calls. */
enum { LK_VALUE, LK_CAPTURES, LK_ELEMS };
typedef struct Link {
    int32_t result, from;
    uint8_t kind;
} Link;

typedef struct Esc {
    const RirFunc *f;
    Node *n;
    int nn, cap;
    int32_t *work;     /* pending unifications, pairs */
    int nwork, capwork;
    Store *stores;     /* stores into objects, checked once classes are final */
    int nstores, capstores;
    Link *links;       /* call results that may be their arguments */
    int nlinks, caplinks;
} Esc;

static int new_node(Esc *e)
{
    if (e->nn == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 64;
        e->n = ESC_REALLOC(e->n, (size_t)e->cap * sizeof *e->n);
    }
    e->n[e->nn] = (Node){ .parent = e->nn, .field = { -1, -1 } };
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

static void push_pair(Esc *e, int a, int b)
{
    if (e->nwork + 2 > e->capwork) {
        e->capwork = e->capwork ? e->capwork * 2 : 64;
        e->work = ESC_REALLOC(e->work, (size_t)e->capwork * sizeof *e->work);
    }
    e->work[e->nwork++] = a;
    e->work[e->nwork++] = b;
}

/* Unifies the classes of a and b, and then (through the work list, not
 * recursion: content chains can be long) their content fields. */
static void unify(Esc *e, int a, int b)
{
    int base = e->nwork;
    push_pair(e, a, b);
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
        for (int k = 0; k < NFIELDS; k++) {
            int cx = e->n[x].field[k], cy = e->n[y].field[k];
            if (cx < 0)
                e->n[x].field[k] = cy;
            else if (cy >= 0)
                push_pair(e, cx, cy);
        }
    }
}

/* Content field k of x's class, created on first use. */
static int field(Esc *e, int x, int k)
{
    int r = find(e, x);
    if (e->n[r].field[k] < 0) {
        int c = new_node(e);    /* may move e->n: index again below */
        e->n[r].field[k] = c;
    }
    return find(e, e->n[r].field[k]);
}

static int elem(Esc *e, int x) { return field(e, x, ELEM); }
static int link_of(Esc *e, int x) { return field(e, x, LINK); }

static void set_flag(Esc *e, int x, uint8_t fl) { e->n[find(e, x)].flags |= fl; }
static void mark(Esc *e, int x, uint8_t eb) { e->n[find(e, x)].direct |= eb; }

static void add_store(Esc *e, int container, int value)
{
    if (e->nstores == e->capstores) {
        e->capstores = e->capstores ? e->capstores * 2 : 16;
        e->stores = ESC_REALLOC(e->stores, (size_t)e->capstores * sizeof *e->stores);
    }
    e->stores[e->nstores++] = (Store){ container, value };
}

static void add_link(Esc *e, int result, int from, uint8_t kind)
{
    if (e->nlinks == e->caplinks) {
        e->caplinks = e->caplinks ? e->caplinks * 2 : 16;
        e->links = ESC_REALLOC(e->links, (size_t)e->caplinks * sizeof *e->links);
    }
    e->links[e->nlinks++] = (Link){ result, from, kind };
}

/* What argument i (of n) of a built-in that calls functions is to the
 * functions it calls: the function (LK_CAPTURES: its captures may come
 * back; the closure itself may too, see the call rule), a value passed to
 * it (LK_VALUE), or a sequence whose elements are passed to it (LK_ELEMS:
 * the elements may come back, the sequence's own cells never do). */
static uint8_t calls_role(int64_t id, int i, int n)
{
    switch (id) {
    case OMNI_BI_map: case OMNI_BI_for_each: case OMNI_BI_filter:
    case OMNI_BI_list_index: case OMNI_BI_any: case OMNI_BI_every:
        return i == 0 ? LK_CAPTURES : LK_ELEMS;
    case OMNI_BI_sort:          /* (sort xs less?): new cells holding xs's elements */
        return i == 0 ? LK_ELEMS : LK_CAPTURES;
    case OMNI_BI_sort_inplace:  /* (sort! arr less?) returns arr itself */
        return i == 0 ? LK_VALUE : LK_CAPTURES;
    case OMNI_BI_foldl:
        return i == 0 ? LK_CAPTURES : i == 1 ? LK_VALUE : LK_ELEMS;
    case OMNI_BI_apply:
        return i == 0 ? LK_CAPTURES : i == n - 1 ? LK_ELEMS : LK_VALUE;
    case OMNI_BI_swap:
        return i == 0 ? LK_ELEMS : i == 1 ? LK_CAPTURES : LK_VALUE;
    case OMNI_BI_try: /* (%try thunk handler): both are called */
        return LK_CAPTURES;
    default:
        return LK_VALUE;
    }
}

/* A structure whose shape is not known (a callee's fresh result, a list of
 * fresh strings): everything its objects hold may be one of them. */
static void opaque(Esc *e, int x)
{
    unify(e, elem(e, x), x);
    unify(e, link_of(e, x), x);
}

/* A list whose position is not known is reached through its whole spine:
 * fold the spine into one class. */
static void spine(Esc *e, int x)
{
    unify(e, link_of(e, x), x);
}

/* ------------------------------------------------------------ constraints */

static void prim_constraints(Esc *e, const RirInstr *in)
{
    PrimRow row = prim_row(in->imm);
    int d = in->dst, n = in->nargs;
    const int32_t *a = in->args;
    if ((row.flags & PR_ON_ARG1) && n > 0) {
        a++;   /* argument 0 (a key) is compared, never held nor returned */
        n--;
    }
    switch ((PrimEffect)row.effect) {
    case PE_PURE:
        break;
    case PE_NUM_ALIAS:
        for (int i = 0; i < n; i++)
            unify(e, d, a[i]);
        break;
    case PE_FRESH:
        opaque(e, d);
        break;
    case PE_RANGE:
        spine(e, d);
        break;
    case PE_HOLD:
        for (int i = 0; i < n; i++)
            unify(e, elem(e, d), a[i]);
        break;
    case PE_CONS:
        if (n == 2) {
            unify(e, elem(e, d), a[0]);
            unify(e, link_of(e, d), a[1]);
        }
        break;
    case PE_LIST:
        for (int i = 0; i < n; i++)
            unify(e, elem(e, d), a[i]);
        spine(e, d);
        break;
    case PE_CAR:
        unify(e, d, elem(e, a[0]));
        break;
    case PE_CDR:
        unify(e, d, link_of(e, a[0]));
        break;
    case PE_CADR:
        unify(e, d, elem(e, link_of(e, a[0])));
        break;
    case PE_CDDR:
        unify(e, d, link_of(e, link_of(e, a[0])));
        break;
    case PE_CADDR:
        unify(e, d, elem(e, link_of(e, link_of(e, a[0]))));
        break;
    case PE_INDEX:
        spine(e, a[0]);
        unify(e, d, elem(e, a[0]));
        for (int i = 2; i < n; i++)
            unify(e, d, a[i]);
        break;
    case PE_TAIL:
        spine(e, a[0]);
        unify(e, d, a[0]);
        break;
    case PE_LISTIFY:
        spine(e, a[0]);
        unify(e, elem(e, d), elem(e, a[0]));
        spine(e, d);
        break;
    case PE_COPY:
        spine(e, a[0]);
        unify(e, elem(e, d), elem(e, a[0]));
        break;
    case PE_APPEND:
        for (int i = 0; i + 1 < n; i++) {
            spine(e, a[i]);
            unify(e, elem(e, d), elem(e, a[i]));
        }
        spine(e, d);
        if (n > 0)
            unify(e, d, a[n - 1]);
        break;
    case PE_STORE:
        for (int i = 1; i < n; i++) {
            unify(e, elem(e, a[0]), a[i]);
            add_store(e, a[0], a[i]);
        }
        if ((row.flags & PR_RESULT_ARG1) && n > 1)
            unify(e, d, a[1]);
        break;
    case PE_FILL:
        if (n == 3) {
            unify(e, d, a[0]);
            unify(e, elem(e, d), a[1]);
            unify(e, link_of(e, d), a[2]);
        }
        break;
    case PE_CALLS:
        /* like a call of each function argument with the others: the
         * result may be or hold any argument or anything they hold */
        for (int i = 0; i < n; i++) {
            uint8_t role = calls_role(in->imm, i, n);
            add_link(e, d, a[i], role);
            if (role == LK_CAPTURES)
                add_link(e, d, a[i], LK_VALUE);
            mark(e, a[i], EB_ARG);
        }
        opaque(e, d);
        if ((row.flags & PR_STORES_RESULT) && n > 0) {
            unify(e, elem(e, a[0]), d);
            add_store(e, a[0], d);
        }
        break;
    case PE_UNLISTED:
        for (int i = 0; i < n; i++)
            unify(e, d, a[i]);
        opaque(e, d);
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
    case RIR_PARAM: case RIR_SELF: case RIR_ENV_REF:
        set_flag(e, in->dst, CF_EXTERNAL);
        break;
    case RIR_GLOBAL_GET:
        set_flag(e, in->dst, CF_EXTERNAL | CF_GLOBAL);
        break;
    case RIR_MOV:
        unify(e, in->dst, a[0]);
        if (in->flags & RIF_BACKEDGE)
            mark(e, a[0], EB_CARRY);
        break;
    case RIR_GLOBAL_SET: case RIR_GLOBAL_DEF:
        mark(e, a[0], EB_GLOBAL);
        break;
    case RIR_BOX_NEW:
        unify(e, elem(e, in->dst), a[0]);
        break;
    case RIR_BOX_GET:
        unify(e, in->dst, elem(e, a[0]));
        break;
    case RIR_BOX_SET:
        unify(e, elem(e, a[0]), a[1]);
        add_store(e, a[0], a[1]);
        break;
    case RIR_CLOSURE_NEW:
        set_flag(e, in->dst, CF_CLOSURE);
        for (int i = 0; i < in->nargs; i++)
            unify(e, elem(e, in->dst), a[i]);
        break;
    case RIR_CALL: case RIR_CALL_KNOWN: {
        /* No summaries: the result may be or hold any argument, the
         * callee's closure itself (through `self`) and anything it holds,
         * and the callee may build any structure of fresh objects in the
         * region it is given. */
        bool tail = (in->flags & RIF_TAIL) != 0;
        if (in->flags & RIF_SELFTAIL) {
            /* a loop's self call kept for a failed guard: region.leave
             * moves its arguments out of the carry region into %0 first,
             * so they are carried values, and the result (in %0) needs no
             * link to them */
            opaque(e, in->dst);
            mark(e, a[0], EB_RETURN);
            for (int i = 1; i < in->nargs; i++)
                mark(e, a[i], EB_CARRY);
            break;
        }
        for (int i = 0; i < in->nargs; i++)
            add_link(e, in->dst, a[i], LK_VALUE);   /* a closure may return itself (self) */
        if (in->nargs > 0)
            add_link(e, in->dst, a[0], LK_CAPTURES);
        opaque(e, in->dst);
        /* tail call: the callee runs after this activation's scope ended
         * and shares its result region, so it and its arguments escape */
        for (int i = 0; i < in->nargs; i++)
            mark(e, a[i], tail ? EB_RETURN : EB_ARG);
        /* a known callee's summary: an argument it may store in a global
         * is allocated there (no copy by the barrier, and eq? with what the
         * global holds stays true); if the guard fails the barrier repairs */
        if (in->op == RIR_CALL_KNOWN && in->imm >= 0 && in->imm < e->f->module->nfuncs) {
            const RirFunc *g = e->f->module->funcs[in->imm];
            int np = g->nparams + (g->has_rest ? 1 : 0);
            for (int i = 1; i < in->nargs && g->param_global; i++)
                if (g->param_global[i - 1 < np ? i - 1 : np - 1])
                    mark(e, a[i], EB_GLOBAL);
        }
        break;
    }
    case RIR_PRIM:
        prim_constraints(e, in);
        break;
    case RIR_TRANSMIGRATE: case RIR_ADMIT:
        unify(e, in->dst, a[0]);
        break;
    case RIR_RET:
        mark(e, a[0], EB_RETURN);
        break;
    case RIR_CHECK_PARAM: case RIR_REGION_NEW: case RIR_REGION_EXIT: case RIR_RETAIN:
    case RIR_RELEASE: case RIR_TETHER: case RIR_UNTETHER: case RIR_REGION_GLOBAL:
    case RIR_REGION_CARRY: case RIR_REGION_LEAVE: /* the values keep their classes */
    case RIR_SCOPE_BEGIN: case RIR_SCOPE_END:
    case RIR_JMP: case RIR_BR: case RIR__COUNT:
        break;
    }
}

/* Whether the instruction makes objects in a region of this activation:
 * an allocation site, a call (the callee allocates its result in the
 * region it is given), a built-in that builds objects. */
static bool makes_objects(const RirInstr *in)
{
    if (in->dst < 0)
        return false;
    if (in->op == RIR_CALL || in->op == RIR_CALL_KNOWN || ir_instr_allocates(in))
        return true;
    return in->op == RIR_PRIM && !prim_cheap(prim_row(in->imm));
}

/* A call's result may be one of its arguments, or hold anything its
 * callee captured.  That link only matters for arguments whose class
 * holds objects made here: a value that comes from outside (a parameter,
 * a global, what such values hold) is placed by whoever made it, and
 * whatever this activation stored into such a value is already CONTAINER
 * (placed in %0).  Not linking them keeps, e.g., a loop's parameter that
 * is passed on by the tail call from dragging every call result it was
 * given to into RETURN.  Links are applied until no class changes, since
 * applying one can make another argument's class hold made objects; the
 * results of the links left over are marked EXTERNAL. */
static void link_calls(Esc *e)
{
    for (bool changed = true; changed;) {
        changed = false;
        for (int i = 0; i < e->nlinks; i++) {
            Link *l = &e->links[i];
            if (l->from < 0)
                continue;
            /* the class that may come back: the argument, or what it holds */
            int src = l->kind == LK_VALUE ? find(e, l->from) : e->n[find(e, l->from)].field[ELEM];
            if (src < 0 || !(e->n[find(e, src)].flags & CF_MADE))
                continue;
            if (l->kind == LK_ELEMS)
                spine(e, l->from);
            unify(e, l->result, l->kind == LK_VALUE ? l->from : elem(e, l->from));
            l->from = -1;
            changed = true;
        }
    }
    /* a result that may be (or hold) a value from outside is one: a store
     * into it is a store into an object this activation did not make */
    for (int i = 0; i < e->nlinks; i++)
        if (e->links[i].from >= 0)
            set_flag(e, e->links[i].result, CF_EXTERNAL);
}

/* Reads of the same environment slot, or of the same global, are the same
 * value (lowering emits one read per use): one class. */
static void same_sources(Esc *e, const RirFunc *f)
{
    int32_t *slot = ESC_REALLOC(NULL, ((size_t)f->nfree + 1) * sizeof *slot);
    for (int i = 0; i < f->nfree; i++)
        slot[i] = -1;
    const RirInstr **globals = NULL;
    int ng = 0, capg = 0;
    for (int bi = 0; bi < f->nblocks; bi++)
        for (int i = 0; i < f->blocks[bi]->n; i++) {
            const RirInstr *in = &f->blocks[bi]->instrs[i];
            if (in->dst < 0 || in->dst >= f->nregs)
                continue;
            if (in->op == RIR_ENV_REF && in->imm >= 0 && in->imm < f->nfree) {
                if (slot[in->imm] < 0)
                    slot[in->imm] = in->dst;
                else
                    unify(e, slot[in->imm], in->dst);
            } else if (in->op == RIR_GLOBAL_GET && in->name) {
                int k = 0;
                while (k < ng && strcmp(globals[k]->name, in->name) != 0)
                    k++;
                if (k < ng) {
                    unify(e, globals[k]->dst, in->dst);
                } else {
                    if (ng == capg) {
                        capg = capg ? capg * 2 : 16;
                        globals = ESC_REALLOC(globals, (size_t)capg * sizeof *globals);
                    }
                    globals[ng++] = in;
                }
            }
        }
    free(slot);
    free(globals);
}

static void esc_build(Esc *e, const RirFunc *f)
{
    memset(e, 0, sizeof *e);
    e->f = f;
    for (int r = 0; r < f->nregs; r++)
        new_node(e);
    same_sources(e, f);
    for (int bi = 0; bi < f->nblocks; bi++) {
        const RirBlock *b = f->blocks[bi];
        for (int i = 0; i < b->n; i++) {
            const RirInstr *in = &b->instrs[i];
            if (in->op >= RIR__COUNT)
                continue;
            constraints(e, in);
            if (makes_objects(in) && in->dst < f->nregs)
                set_flag(e, in->dst, CF_MADE);
        }
    }
    link_calls(e);
}

static void esc_free(Esc *e)
{
    free(e->n);
    free(e->work);
    free(e->stores);
    free(e->links);
}

/* ------------------------------------------------------------ escapes */

/* Pushes a property from every class to its content fields until nothing
 * changes: EXTERNAL and GLOBAL (what an outside object holds is outside
 * too, what a global's value holds is in the global region) or, with
 * `escapes`, the escape bits (what an escaping object holds escapes; what
 * an escaping closure holds is CAPTURE). */
static void propagate(Esc *e, bool escapes)
{
    int32_t *stack = ESC_REALLOC(NULL, ((size_t)e->nn * NFIELDS + 1) * sizeof *stack);
    int sp = 0;
    for (int x = 0; x < e->nn; x++)
        if (find(e, x) == x)
            stack[sp++] = x;
    while (sp > 0) {
        int x = find(e, stack[--sp]);
        for (int k = 0; k < NFIELDS; k++) {
            if (e->n[x].field[k] < 0)
                continue;
            int c = find(e, e->n[x].field[k]);
            if (!escapes) {
                uint8_t fl = e->n[x].flags & (CF_EXTERNAL | CF_GLOBAL);
                if ((e->n[c].flags | fl) != e->n[c].flags) {
                    e->n[c].flags |= fl;
                    stack[sp++] = c;
                }
                continue;
            }
            uint8_t out = (e->n[x].direct | e->n[x].inherited) & (EB_OUT | EB_CARRY);
            if (!out)
                continue;
            if ((e->n[x].flags & CF_CLOSURE) && (out & EB_OUT))
                out |= EB_CAPTURE;
            if ((e->n[c].inherited | out) != e->n[c].inherited) {
                e->n[c].inherited |= out;
                stack[sp++] = c;
            }
        }
    }
    free(stack);
}

static void esc_solve(Esc *e)
{
    propagate(e, false);
    /* a store into an object from outside: the stored value must live as
     * long as that object, which this activation cannot bound; if the
     * object may be reachable from a global it lives in the global region,
     * where the barrier would copy the value: allocate it there instead
     * (no copy, and a mutable value keeps its identity) */
    for (int i = 0; i < e->nstores; i++) {
        uint8_t fl = e->n[find(e, e->stores[i].container)].flags;
        if (fl & CF_GLOBAL)
            mark(e, e->stores[i].value, EB_GLOBAL);
        else if (fl & CF_EXTERNAL)
            mark(e, e->stores[i].value, EB_CONTAINER);
    }
    propagate(e, true);
}

/* The classification of a class: where it goes first (the region it needs
 * is the outermost of its reasons), then why.  GLOBAL comes first in the
 * entry function (the top level: a definition's value goes to the global
 * region, its %0) and for a mutable object (`mutable_site`: an array,
 * dict, atom or box made here), which the barrier could only retain with
 * its whole region — everything else the activation made there.
 * Elsewhere a value stored in a global is placed as if it were not: the
 * store barrier keeps it by a counted edge or copies it into a store
 * region, given back when the global is overwritten — the global region
 * is no sink for immutable values that are overwritten (docs/CTRR.md,
 * "Globals").  A value that only goes to a global is then local (`none`). */
static IrEscape class_escape(Esc *e, int x, bool mutable_site)
{
    const Node *n = &e->n[find(e, x)];
    uint8_t all = n->direct | n->inherited;
    if ((all & EB_GLOBAL) && (e->f->is_entry || mutable_site)) return IR_ESC_GLOBAL;
    if (n->direct & EB_RETURN)           return IR_ESC_RETURN;
    if (n->direct & EB_CONTAINER)        return IR_ESC_CONTAINER;
    if (n->direct & EB_UNKNOWN)          return IR_ESC_UNKNOWN;
    if (n->inherited & EB_CAPTURE)       return IR_ESC_CAPTURE;
    if (n->inherited & EB_RETURN)        return IR_ESC_RETURN;
    if (n->inherited & EB_CONTAINER)     return IR_ESC_CONTAINER;
    if (n->inherited & EB_UNKNOWN)       return IR_ESC_UNKNOWN;
    if (all & EB_CARRY)                  return IR_ESC_CARRY;
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
    u->kind = ESC_CALLOC((size_t)nr + 1);
    u->seen = ESC_CALLOC(((size_t)nr + 1) * sizeof *u->seen);
    u->stack = ESC_REALLOC(NULL, ((size_t)nr + 1) * sizeof *u->stack);
    u->stamp = 0;
    u->mov_next = ESC_REALLOC(NULL, ((size_t)nr + 1) * sizeof *u->mov_next);
    u->edge_to = ESC_REALLOC(NULL, ((size_t)ne + 1) * sizeof *u->edge_to);
    u->edge_next = ESC_REALLOC(NULL, ((size_t)ne + 1) * sizeof *u->edge_next);
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
        [IR_ESC_UNKNOWN] = "unknown",  [IR_ESC_CARRY] = "carry",
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
            bool mutable_site = in->op == RIR_BOX_NEW ||
                                (in->op == RIR_PRIM &&
                                 (in->imm == OMNI_BI_array || in->imm == OMNI_BI_make_array ||
                                  in->imm == OMNI_BI_dict || in->imm == OMNI_BI_atom ||
                                  in->imm == OMNI_BI_list_to_array));
            uint8_t esc = (uint8_t)class_escape(&e, in->dst, mutable_site);
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

/* f's parameter summary from its solved classes; true if it changed. */
static bool summarise(RirFunc *f)
{
    int np = f->nparams + (f->has_rest ? 1 : 0);
    if (np == 0 || f->is_entry)
        return false;
    Esc e;
    esc_build(&e, f);
    esc_solve(&e);
    bool changed = false;
    if (!f->param_global)
        f->param_global = fe_alloc(f->module->arena, (size_t)np);
    for (int bi = 0; bi < f->nblocks; bi++) {
        const RirBlock *b = f->blocks[bi];
        for (int i = 0; i < b->n; i++) {
            const RirInstr *in = &b->instrs[i];
            if (in->op != RIR_PARAM || in->imm < 0 || in->imm >= np || in->dst < 0 || in->dst >= f->nregs)
                continue;
            const Node *n = &e.n[find(&e, in->dst)];
            if (((n->direct | n->inherited) & EB_GLOBAL) && !f->param_global[in->imm]) {
                f->param_global[in->imm] = 1;
                changed = true;
            }
        }
    }
    esc_free(&e);
    return changed;
}

/* Summaries only add constraints (an argument becomes GLOBAL), so every
 * round is sound and the rounds only grow them; a chain of callers deeper
 * than the rounds keeps an under-approximation, which costs a barrier
 * repair at run time, never correctness. */
enum { SUMMARY_ROUNDS = 3 };

void ir_pass_escape_module(RirModule *m)
{
    for (int round = 0; round < SUMMARY_ROUNDS; round++) {
        bool changed = false;
        for (int i = 0; i < m->nfuncs; i++)
            changed |= summarise(m->funcs[i]);
        if (!changed)
            break;
    }
    for (int i = 0; i < m->nfuncs; i++)
        ir_pass_escape(m->funcs[i]);
}

void ir_alias_classes(const RirFunc *f, IrAliasClasses *out)
{
    Esc e;
    esc_build(&e, f);
    /* number the roots densely */
    int32_t *id = ESC_REALLOC(NULL, ((size_t)e.nn + 1) * sizeof *id);
    int nc = 0;
    for (int x = 0; x < e.nn; x++)
        id[x] = find(&e, x) == x ? nc++ : -1;
    out->nregs = f->nregs;
    out->nclasses = nc;
    out->cls = ESC_REALLOC(NULL, ((size_t)f->nregs + 1) * sizeof *out->cls);
    out->elem = ESC_REALLOC(NULL, ((size_t)nc + 1) * sizeof *out->elem);
    out->link = ESC_REALLOC(NULL, ((size_t)nc + 1) * sizeof *out->link);
    for (int r = 0; r < f->nregs; r++)
        out->cls[r] = f->reg_kind[r] == RK_VALUE ? id[find(&e, r)] : -1;
    for (int x = 0; x < e.nn; x++) {
        if (id[x] < 0)
            continue;
        int fe = e.n[x].field[ELEM], fl = e.n[x].field[LINK];
        out->elem[id[x]] = fe >= 0 ? id[find(&e, fe)] : -1;
        out->link[id[x]] = fl >= 0 ? id[find(&e, fl)] : -1;
    }
    free(id);
    esc_free(&e);
}

void ir_alias_classes_free(IrAliasClasses *c)
{
    free(c->cls);
    free(c->elem);
    free(c->link);
    c->cls = c->elem = c->link = NULL;
}
