/* pass_known_calls.c — guarded known calls of the unit's own top-level
 * functions.
 *
 * A call of a global is an indirect call through its slot: load, unbound
 * check, closure tag and arity tests, code pointer.  When the unit itself
 * defines the name exactly once, at top level (`global.def @f` in the entry
 * of a `closure.new @F()` without free values, F's only closure.new, which
 * nothing uses before the global.def), and nothing in the unit assigns it
 * (`global.set @f`), the slot almost always holds F's closure
 * when a call of `@f` runs.  Such a call `call %g(args)` (with %g =
 * global.get @f, and as many arguments as F takes, F without a rest
 * parameter) becomes `call.known @F %g(args) guarded`: the backend compares
 * %g with the address of F's static closure (a closure without free values
 * is a constant object, see llvm_backend/lb_emit.c) and calls F's body
 * directly when they are equal, else makes the ordinary call.  The guard
 * keeps every case exact — a REPL redefinition, a call before the define
 * ran (global.get still reports the unbound name first), a value stored by
 * another unit — so the conditions above only choose which calls are worth
 * guarding.  Only functions of this unit can be named: the static closure
 * and the body are symbols of this module.
 *
 * The pass runs on the whole module (it needs the entry's definitions while
 * rewriting every function), before the escape analysis, which treats a
 * guarded call.known exactly like the call it replaces.
 */
#include <stdlib.h>
#include <string.h>

#include "ir_internal.h"

/* What the unit does with one global name. */
typedef struct KcName {
    const char *name;
    int ndef;           /* global.def anywhere */
    bool assigned;      /* some global.set */
    int func;           /* F's index when defined once in the entry as closure.new @F(), else -1 */
} KcName;

typedef struct KcTable {
    KcName *ents;
    int cap, n;
} KcTable;

static KcName *kc_find(KcTable *t, const char *name, FeArena *a, bool add)
{
    if (add && (t->n + 1) * 2 > t->cap) {
        KcTable old = *t;
        t->cap = old.cap ? old.cap * 2 : 64;
        t->n = 0;
        t->ents = fe_alloc(a, (size_t)t->cap * sizeof *t->ents);
        for (int i = 0; i < old.cap; i++)
            if (old.ents[i].name)
                *kc_find(t, old.ents[i].name, a, true) = old.ents[i];
    }
    if (!t->cap)
        return NULL;
    size_t mask = (size_t)t->cap - 1;
    for (size_t i = (size_t)fe_str_hash(name) & mask;; i = (i + 1) & mask) {
        KcName *e = &t->ents[i];
        if (!e->name) {
            if (!add)
                return NULL;
            e->name = name;
            e->func = -1;
            t->n++;
            return e;
        }
        if (strcmp(e->name, name) == 0)
            return e;
    }
}

static void scan_names(KcTable *t, FeArena *a, const RirFunc *f)
{
    for (int bi = 0; bi < f->nblocks; bi++) {
        const RirBlock *b = f->blocks[bi];
        for (int i = 0; i < b->n; i++) {
            const RirInstr *in = &b->instrs[i];
            if ((in->op != RIR_GLOBAL_DEF && in->op != RIR_GLOBAL_SET) || !in->name)
                continue;
            KcName *e = kc_find(t, in->name, a, true);
            if (in->op == RIR_GLOBAL_SET)
                e->assigned = true;
            else
                e->ndef++;
        }
    }
}

/* How many closure.new of each function the module holds. */
static int *count_closure_sites(FeArena *a, const RirModule *m, const RirFunc *entry, bool entry_listed)
{
    int *n = fe_alloc(a, (size_t)(m->nfuncs + 1) * sizeof *n);
    for (int fi = 0; fi <= m->nfuncs; fi++) {
        const RirFunc *f = fi < m->nfuncs ? m->funcs[fi] : entry_listed ? NULL : entry;
        for (int bi = 0; f && bi < f->nblocks; bi++)
            for (int i = 0; i < f->blocks[bi]->n; i++) {
                const RirInstr *in = &f->blocks[bi]->instrs[i];
                if (in->op == RIR_CLOSURE_NEW && in->imm >= 0 && in->imm < m->nfuncs)
                    n[in->imm]++;
            }
    }
    return n;
}

/* True when the closure.new defining register v is in block b before
 * index i (the global.def) and nothing between them reads v.  With F's
 * only closure.new, F's closure then reaches no code before the
 * global.def has stored it: F's body cannot run while the name is still
 * unbound.  The backend relies on that (lb_emit.c: a self call's callee
 * is loaded without the unbound check; in a sealed program the self call
 * is direct).  It is not so for e.g.
 *     (define f (let [h (lambda (n) ... (f ...))] (h 3) h))
 * where h runs, and calls f, before f is defined. */
static bool defined_at_once(const RirBlock *b, int i, int v)
{
    for (int j = i - 1; j >= 0; j--) {
        const RirInstr *in = &b->instrs[j];
        if (in->dst == v)
            return in->op == RIR_CLOSURE_NEW;
        for (int k = 0; k < in->nargs; k++)
            if (in->args[k] == v)
                return false;
    }
    return false;
}

/* Names the entry defines as a closure of a function without free values. */
static void find_functions(KcTable *t, FeArena *a, const RirModule *m, const RirFunc *entry,
                           const int *sites)
{
    RirInstr **def = ir_single_defs(entry);
    for (int bi = 0; bi < entry->nblocks; bi++) {
        const RirBlock *b = entry->blocks[bi];
        for (int i = 0; i < b->n; i++) {
            const RirInstr *in = &b->instrs[i];
            if (in->op != RIR_GLOBAL_DEF || !in->name || in->nargs != 1 || in->args[0] < 0 ||
                in->args[0] >= entry->nregs)
                continue;
            KcName *e = kc_find(t, in->name, a, false);
            const RirInstr *v = def[in->args[0]];
            if (!e || e->ndef != 1 || e->assigned || !v || v->op != RIR_CLOSURE_NEW || v->nargs != 0 ||
                v->imm < 0 || v->imm >= m->nfuncs || sites[v->imm] != 1 ||
                !defined_at_once(b, i, in->args[0]))
                continue;
            const RirFunc *F = m->funcs[v->imm];
            if (F->is_entry || F == entry || F->has_rest || F->nfree != 0)
                continue;
            e->func = (int)v->imm;
        }
    }
    free(def);
}

static void rewrite_calls(KcTable *t, FeArena *a, const RirModule *m, RirFunc *f)
{
    RirInstr **def = NULL;
    for (int bi = 0; bi < f->nblocks; bi++) {
        RirBlock *b = f->blocks[bi];
        for (int i = 0; i < b->n; i++) {
            RirInstr *in = &b->instrs[i];
            if (in->op != RIR_CALL || in->nargs < 1 || in->args[0] < 0 || in->args[0] >= f->nregs)
                continue;
            if (!def)
                def = ir_single_defs(f);
            const RirInstr *g = def[in->args[0]];
            if (!g || g->op != RIR_GLOBAL_GET || !g->name)
                continue;
            KcName *e = kc_find(t, g->name, a, false);
            if (!e || e->func < 0 || m->funcs[e->func]->nparams != in->nargs - 1)
                continue;
            in->op = RIR_CALL_KNOWN;
            in->imm = e->func;
            in->flags |= RIF_GUARDED;
        }
    }
    free(def);
}

void ir_pass_known_calls(RirModule *m)
{
    const RirFunc *entry = m->entry;
    if (!entry)
        return;
    KcTable t = { 0 };
    bool entry_listed = false;
    for (int i = 0; i < m->nfuncs; i++) {
        scan_names(&t, m->arena, m->funcs[i]);
        entry_listed |= m->funcs[i] == entry;
    }
    if (!entry_listed)
        scan_names(&t, m->arena, entry);
    if (!t.n)
        return;
    find_functions(&t, m->arena, m, entry, count_closure_sites(m->arena, m, entry, entry_listed));
    for (int i = 0; i < m->nfuncs; i++)
        rewrite_calls(&t, m->arena, m, m->funcs[i]);
    if (!entry_listed)
        rewrite_calls(&t, m->arena, m, (RirFunc *)entry);
}
