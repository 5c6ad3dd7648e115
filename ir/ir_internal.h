/* ir_internal.h — helpers shared by the files of ir/ (not part of the
 * public contract in rir.h).
 *
 * The built-in table is rebuilt here from rt/builtins.def, so the compiler
 * knows every built-in's name, arity and flags without linking the runtime
 * (omni_builtins[] lives in libomni_rt, which the compiler library does not
 * depend on).  Prefix: ir_.
 */
#ifndef OMNI_IR_INTERNAL_H
#define OMNI_IR_INTERNAL_H

#include "rir.h"

typedef struct IrBuiltinInfo {
    const char *name;   /* OmniLisp name ("cons", "%add2") */
    int16_t min, max;   /* arity; max == -1: unbounded */
    uint8_t flags;      /* OBF_* */
} IrBuiltinInfo;

extern const IrBuiltinInfo ir_builtins[OMNI_BI__COUNT];

/* The id of the built-in called `name`, or -1. */
/* True if `nargs` arguments fit the built-in's arity. */
bool ir_builtin_arity_ok(int id, int nargs);

/* True if the instruction allocates in its `region` operand: RF_ALLOC ops
 * and prims of OBF_ALLOC built-ins. */
bool ir_instr_allocates(const RirInstr *in);

/* calloc / realloc for the passes' side tables: on failure they print
 * "omni: out of memory (<what>)" and abort (the compiler has no way on). */
void *ir_xcalloc(size_t n, size_t size, const char *what);
void *ir_xrealloc(void *p, size_t size, const char *what);

/* Inserts a copy of proto into block b before position pos (pos == b->n
 * appends); pointers into b->instrs are invalid afterwards. */
void ir_insert_at(RirFunc *f, RirBlock *b, int pos, const RirInstr *proto);

/* Printed name of an OmniAnn ("Int"), or NULL if out of range. */
const char *ir_ann_name(int64_t ann);

/* Growable arrays in the module arena (old storage is abandoned to the
 * arena, which frees everything at once). */
void *ir_grow(FeArena *a, void *old, int n, int *cap, size_t elem);

/* What a built-in's new objects hold (ir/pass_escape.c's effect rows, for
 * ir/pass_admit.c): nothing an argument reaches (IR_INIT_NONE: numbers,
 * fresh strings, loads, stores through the barrier), its arguments or
 * what they reach (IR_INIT_ARGS: cons, list, array, dict, atom, append,
 * map ... and any built-in without a row), or arguments 1.. (IR_INIT_FILL:
 * %pair-fill). */
typedef enum { IR_INIT_NONE, IR_INIT_ARGS, IR_INIT_FILL } IrPrimInit;
IrPrimInit ir_prim_init(int64_t id);
/* What a built-in's result may be (same rows): an immediate, an interned
 * symbol or a fresh object in the region it is given (IR_RES_FRESH); that,
 * or a part of argument 0 (IR_RES_PART0: car, cdr, a list's tail); that, or
 * any argument or part of one (IR_RES_ARGS: get, deref, append, foldl,
 * reset!, (+ x) ...); anything (IR_RES_UNKNOWN: no row). */
typedef enum { IR_RES_FRESH, IR_RES_PART0, IR_RES_ARGS, IR_RES_UNKNOWN } IrPrimResult;
IrPrimResult ir_prim_result(int64_t id);

/* The passes of the pipeline (ir/passes.c lists them in order), one file
 * each: ir/pass_<name>.c. */
void ir_pass_simplify(RirFunc *f);
void ir_pass_region_place(RirFunc *f);
void ir_pass_alloc_order(RirFunc *f);
void ir_pass_cse(RirFunc *f);
void ir_pass_let_regions(RirFunc *f);   /* regions for what non-tail lets drop (ir/pass_let_regions.c) */
/* Module pass (needs every function at once): guarded known calls of the
 * unit's own top-level functions (ir/pass_known_calls.c). */
void ir_pass_known_calls(RirModule *m);
/* Admission of the values that constructors in %0 or the global region,
 * calls and returns cannot prove live long enough (ir/pass_admit.c). */
void ir_pass_admit(RirFunc *f);

#endif
