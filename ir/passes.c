/* passes.c — the Region IR pass pipeline, listed in order.
 *
 * Every pass has the signature void ir_pass_<name>(RirFunc *) (or, for a
 * pass that needs the whole module, void ir_pass_<name>(RirModule *)) and
 * lives in ir/pass_<name>.c; this table is the single place that says which
 * passes run and in which order.  known-calls (a module pass: it reads the
 * entry's definitions) turns calls of the unit's own top-level functions
 * into guarded direct calls; loopify turns self tail calls into loops
 * (ir/pass_loop_carry.c).  The CTRR passes (docs/CTRR.md) follow:
 * the escape analysis writes a class on every value-making instruction,
 * scope-regions and region-place turn it into region operations and
 * operands, transmigrate checks what leaves the activation.  alloc-order
 * then moves the allocation of list cells ahead of the calls that compute
 * their fields, so trees are laid out in pre-order.  (Tethering
 * needs no pass: see docs/CTRR.md.)
 * Between passes the verifier can run (verify_each, on in debug builds), so
 * a pass that breaks an invariant is named; dump_after prints the module
 * after one pass (or "all") for FileCheck tests and debugging.
 */
#include <string.h>

#include "ir_internal.h"

typedef struct IrPass {
    const char *name;
    void (*run)(RirFunc *f);
    void (*run_module)(RirModule *m);   /* instead of run: a pass over the whole module */
} IrPass;

static const IrPass pipeline[] = {
    { "simplify",      ir_pass_simplify, NULL },       /* CFG clean-up after lowering */
    { "known-calls",   NULL, ir_pass_known_calls }, /* guarded direct calls of the unit's functions */
    { "loopify",       ir_pass_loopify, NULL },        /* self tail calls become loops (back edges) */
    { "cse",           ir_pass_cse, NULL },            /* a repeated pure prim (car, a predicate, d-1) reuses the first */
    { "escape",        NULL, ir_pass_escape_module },         /* CTRR: where each value may go (analysis) */
    { "scope-regions", ir_pass_scope_regions, NULL },  /* CTRR: region.new / region.exit per function */
    { "carry-regions", ir_pass_carry_regions, NULL },  /* CTRR: a loop's carry region and its moves */
    { "region-place",  ir_pass_region_place, NULL },   /* CTRR: a region for every allocation site and call */
    { "let-regions",   ir_pass_let_regions, NULL },    /* CTRR: what a non-tail let drops dies with the let */
    { "transmigrate",  ir_pass_transmigrate, NULL },   /* CTRR: repair values leaving for %0 (docs/CTRR.md) */
    { "admit",         ir_pass_admit, NULL },          /* CTRR: unproven fields, arguments and results are admitted */
    { "alloc-order",   ir_pass_alloc_order, NULL },    /* list cells allocated before the calls filling them */
};

enum { NPASSES = sizeof pipeline / sizeof pipeline[0] };

int ir_run_passes(RirModule *m, const IrPassOptions *opt)
{
    IrPassOptions none = { 0 };
    if (!opt)
        opt = &none;
    FILE *dump = opt->dump_out ? opt->dump_out : stderr;
    const char *want = opt->dump_after && opt->dump_after[0] ? opt->dump_after : NULL;
    if (want && strcmp(want, "all") != 0) {
        bool known = false;
        for (int p = 0; p < NPASSES; p++)
            known |= strcmp(pipeline[p].name, want) == 0;
        if (!known) {
            fprintf(stderr, "rir: unknown pass '%s' for --dump-after (passes:", want);
            for (int p = 0; p < NPASSES; p++)
                fprintf(stderr, " %s%s", pipeline[p].name, p + 1 < NPASSES ? "," : "; or all)\n");
            return 1;
        }
    }
    for (int p = 0; p < NPASSES; p++) {
        if (pipeline[p].run_module)
            pipeline[p].run_module(m);
        else
            for (int i = 0; i < m->nfuncs; i++)
                pipeline[p].run(m->funcs[i]);
        if (opt->verify_each && ir_verify_module(stderr, m) != 0) {
            fprintf(stderr, "rir: invalid Region IR after pass '%s':\n", pipeline[p].name);
            ir_print_module(stderr, m);
            return 1;
        }
        if (want && (strcmp(want, "all") == 0 || strcmp(want, pipeline[p].name) == 0)) {
            fprintf(dump, "; after %s\n", pipeline[p].name);
            ir_print_module(dump, m);
        }
    }
    return 0;
}
