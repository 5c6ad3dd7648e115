/* rir.h — the Region IR: data structures, builder, printer, verifier,
 * lowering from the core AST, and the CTRR pass pipeline.
 *
 * A module holds functions; a function holds basic blocks of instructions
 * over numbered virtual registers (%0, %1, ...).  Registers are not SSA: a
 * register may be assigned in several blocks (locals, if-results); the
 * backend gives each an alloca and lets mem2reg/SROA clean up.  Register %0
 * of every function is its result region — the implicit first parameter —
 * and has kind RK_REGION.  Every instruction carries the span of the source
 * it came from.  The textual form is specified in docs/REGION_IR.md.
 *
 * Prefix: ir_ (functions), Rir (types).  Only depends on frontend/ and
 * rt/omni.h (for OVal encodings, built-in ids, type annotations).
 */
#ifndef OMNI_RIR_H
#define OMNI_RIR_H

#include "../frontend/frontend.h"
#include "../rt/omni.h"

enum {
    RF_PURE    = 1 << 0,
    RF_MAYFAIL = 1 << 1,  /* can raise a runtime error (needs its span) */
    RF_BARRIER = 1 << 2,  /* a pointer store through the store barrier */
    RF_ALLOC   = 1 << 3,  /* allocates in its `region` operand */
    RF_CALL    = 1 << 4,
    RF_TERM    = 1 << 5,  /* ends a block */
};

typedef enum {
#define RIR_OP(id, name, flags) RIR_##id,
#include "ops.h"
#undef RIR_OP
    RIR__COUNT
} RirOp;

extern const char *const ir_op_names[RIR__COUNT];
extern const unsigned ir_op_flags[RIR__COUNT];

enum { RIF_TAIL = 1 };   /* RirInstr.flags: call in tail position */
/* RirInstr.flags of call.known: the callee operand is any value (a
 * global.get of a name the unit defines once as F's closure, see
 * ir/pass_known_calls.c); the call is direct only when it is F's static
 * closure, else it is an ordinary `call`. */
enum { RIF_GUARDED = 2 };
/* Loops (ir/pass_loop_carry.c): RIF_BACKEDGE marks the `jmp` of a
 * loopified self tail call and the movs that assign the parameters before
 * it; RIF_SELFTAIL marks the guarded self tail call kept for the case
 * where the guard fails (its arguments are the loop's carried values). */
enum { RIF_BACKEDGE = 4, RIF_SELFTAIL = 8 };


typedef struct RirInstr {
    uint16_t op;        /* RirOp */
    uint16_t flags;     /* RIF_* */
    int32_t dst;        /* result register, -1 if none */
    int32_t nargs;
    int32_t *args;      /* operand registers */
    int32_t region;     /* region operand (alloc `in %r`, transmigrate `to`, region ops; for CALL,
                           CALL_KNOWN and PRIM: the result region passed to the callee), -1 if none (= %0) */
    int32_t region2;    /* transmigrate `from`, -1 if none */
    int64_t imm;        /* CONST: raw OVal; PARAM/ENV_REF: index; PRIM: OmniBuiltinId;
                           CLOSURE_NEW/CALL_KNOWN: function index; CONST_STR/CONST_DATUM:
                           module const index; CHECK_PARAM: OmniAnn */
    double fimm;        /* CONST_FLOAT */
    const char *name;   /* GLOBAL_*: global name; CONST_SYM: symbol; CHECK_PARAM: parameter name */
    int32_t target[2];  /* JMP: target[0]; BR: then, else (block ids) */
    Span span;
    uint8_t escape;     /* CTRR (ir/pass_escape.c): IrEscape of the value an allocation site,
                           call or prim produces, | IR_ESC_CHEAP; 0 (IR_ESC_UNSET) before the pass */
} RirInstr;

typedef struct RirBlock {
    int id;
    RirInstr *instrs;
    int n, cap;
} RirBlock;

typedef enum { RK_VALUE = 0, RK_REGION = 1 } RirRegKind;

typedef struct RirFunc {
    const char *name;     /* unique in the module and valid as a symbol, e.g. "fact", "lambda.3" */
    const char *display;  /* what #<fn ...> prints */
    int index;            /* position in module->funcs */
    int nparams;          /* required value parameters */
    bool has_rest;        /* one more parameter: the list of the rest */
    int nfree;            /* captured values (env.ref 0..nfree-1) */
    bool is_entry;        /* the unit's top-level code: takes only the region, C convention */
    int nregs, regcap;
    uint8_t *reg_kind;    /* RirRegKind per register */
    RirBlock **blocks;    /* blocks[0] is the entry block */
    int nblocks, blockcap;
    Span span;
    struct RirModule *module; /* owner (set by ir_func_new): its arena, functions, consts */
    int32_t scope_region; /* CTRR (ir/pass_scope_regions.c): the register of the function's
                             scope region (region.new %0), 0 if it has none */
    int32_t carry_region; /* CTRR (ir/pass_loop_carry.c): the register of the loop carry
                             region %k, 0 if it has none */
    uint8_t *param_global; /* CTRR summary (ir/pass_escape.c): per parameter (the rest list
                              last), 1 if it may be stored in a global, or be held by a
                              value that is; NULL before the summaries ran */
} RirFunc;

typedef struct RirModule {
    FeArena *arena;       /* everything of the module lives here */
    const char *name;     /* unique per unit; prefix of every emitted symbol */
    RirFunc **funcs;
    int nfuncs, funccap;
    Datum **consts;       /* quoted data and string literals */
    int nconsts, constcap;
    RirFunc *entry;
} RirModule;

/* ---------------------------------------------------------------- builder */
RirModule *ir_module_new(FeArena *a, const char *name);
RirFunc   *ir_func_new(RirModule *m, const char *name, const char *display, Span span);
int        ir_new_reg(RirFunc *f, RirRegKind kind);
RirBlock  *ir_new_block(RirFunc *f);
/* Appends an instruction (copied) to block b; returns a pointer to it. */
RirInstr  *ir_emit(RirFunc *f, RirBlock *b, const RirInstr *proto);
/* An instruction prototype with dst/region/region2/targets = -1. */
RirInstr   ir_instr(RirOp op, Span span);
int        ir_add_const(RirModule *m, Datum *d);
bool       ir_block_terminated(const RirBlock *b);
/* The one instruction that writes each register of f (NULL when none or
 * several: registers are not SSA).  malloc'd, nregs + 1 entries. */
RirInstr **ir_single_defs(const RirFunc *f);
/* The built-in named `name` (an OmniBuiltinId), or -1. */
int        ir_builtin_lookup(const char *name);

/* ---------------------------------------------------------------- printer */
void ir_print_module(FILE *out, const RirModule *m);
void ir_print_func(FILE *out, const RirModule *m, const RirFunc *f);
/* Same, with IR_PRINT_* flags: IR_PRINT_SPANS appends "; file:line:col"
 * to every instruction (off in the plain functions so FileCheck tests stay
 * simple). */
enum { IR_PRINT_SPANS = 1 };
void ir_print_module_ex(FILE *out, const RirModule *m, unsigned flags);
void ir_print_func_ex(FILE *out, const RirModule *m, const RirFunc *f, unsigned flags);

/* ---------------------------------------------------------------- verifier */
/* Checks structural invariants (every block terminated, operands defined in
 * range and of the right kind, targets valid, ...).  Prints each violation
 * as "rir verify: @func bbN: ..." to `out`; returns the number found. */
int ir_verify_module(FILE *out, const RirModule *m);

/* ---------------------------------------------------------------- lowering */
/* Lowers one expanded unit (the A_SEQ from fe_expand_unit) into a module
 * whose entry function runs the top-level forms in order and returns the
 * value of the last one.  The session tells which built-in names the user
 * has redefined (those are called as globals, not as built-ins). */
RirModule *ir_lower_unit(FeArena *a, FeSession *s, const Ast *unit, const char *module_name);

/* ---------------------------------------------------------------- passes */
typedef struct IrPassOptions {
    bool verify_each;        /* run the verifier after every pass (debug builds) */
    const char *dump_after;  /* print the module after the pass of this name, or "all" */
    FILE *dump_out;
} IrPassOptions;
/* Runs the CTRR pipeline in order (see ir/passes.c). Returns 0 on success. */
int ir_run_passes(RirModule *m, const IrPassOptions *opt);

/* ---------------------------------------------------------------- CTRR */
/* Where the value of an allocation site, call or prim may go, as decided by
 * the escape analysis (docs/CTRR.md).  NONE and ARG values die with the
 * function's activation (placed in its scope region); the others outlive it
 * (RETURN, CAPTURE, CONTAINER, UNKNOWN: the result region %0; GLOBAL: the
 * global region). */
typedef enum {
    IR_ESC_UNSET = 0,   /* no analysis ran: placement treats it as UNKNOWN */
    IR_ESC_NONE,        /* dies with the scope */
    IR_ESC_ARG,         /* only borrowed by non-tail calls */
    IR_ESC_RETURN,      /* returned, passed to a tail call, or reachable from such a value */
    IR_ESC_CAPTURE,     /* captured by a closure that escapes */
    IR_ESC_GLOBAL,      /* stored in a global (or reachable from a value that is) */
    IR_ESC_CONTAINER,   /* stored into an object allocated outside this activation */
    IR_ESC_UNKNOWN,     /* flows where the analysis has no model (a built-in without an effect row) */
    IR_ESC_CARRY,       /* carried by a loop's back edge to its next iteration, and nowhere out */
    IR_ESC__COUNT
} IrEscape;
enum {
    IR_ESC_MASK  = 0x0f,
    /* The value is a number or is consumed only as one: allocating it costs
     * at most a Float box, not worth a scope region of its own. */
    IR_ESC_CHEAP = 0x80,
};
/* "none", "arg", "return", "capture", "global", "container", "unknown" ("?" if unset). */
const char *ir_escape_name(int escape);
/* True if the class dies with the activation (NONE or ARG). */
bool ir_escape_is_local(int escape);
/* A call of built-in id may store into an existing object (or call
 * functions that may): llvm_backend/lb_facts.c, result-free functions. */
bool ir_builtin_may_store(int64_t id);

/* The alias classes the escape analysis works on, recomputed for f as it
 * is now (unification-based, see docs/CTRR.md): cls[r] is the class of
 * value register r (-1 for region registers); elem[c] is the class of the
 * values objects of class c hold (a pair's car, an array's or dict's
 * entries, a box's value, a closure's captures), link[c] the class of the
 * rest of their structure (a pair's cdr); -1 where nothing is known to be
 * held.  Class ids are < nclasses.  Used by the passes after ir_pass_escape
 * that must follow a value to everything it reaches
 * (ir/pass_transmigrate.c). */
typedef struct IrAliasClasses {
    int nregs, nclasses;
    int32_t *cls;       /* nregs entries */
    int32_t *elem;      /* nclasses entries */
    int32_t *link;      /* nclasses entries */
} IrAliasClasses;
void ir_alias_classes(const RirFunc *f, IrAliasClasses *out);
void ir_alias_classes_free(IrAliasClasses *c);

/* The CTRR passes, in pipeline order (ir/passes.c); each works on one
 * function and may be run alone by tests. */
void ir_pass_escape(RirFunc *f);          /* ir/pass_escape.c: classify every value */
/* The module form the pipeline runs: parameter summaries of every function
 * (a few rounds towards their fixpoint), then ir_pass_escape on each. */
void ir_pass_escape_module(RirModule *m);
void ir_pass_scope_regions(RirFunc *f);   /* ir/pass_scope_regions.c: region.new / region.exit */
/* ir_pass_region_place (ir/pass_region_place.c) follows: region operands */
void ir_pass_transmigrate(RirFunc *f);    /* ir/pass_transmigrate.c: repair at ret / tail calls */
void ir_pass_loopify(RirFunc *f);         /* ir/pass_loop_carry.c: self tail calls become loops */
void ir_pass_carry_regions(RirFunc *f);   /* ir/pass_loop_carry.c: the carry region of a loop */

#endif
