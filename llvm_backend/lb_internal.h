/* lb_internal.h — private state shared by the files of llvm_backend/.
 *
 * One LbGen lives for the translation of one RIR module into one LLVM
 * module: the LLVM handles, cached types, the side tables that map RIR
 * entities (functions, registers, blocks, constants, spans) to LLVM values,
 * and the lists the module initialiser is built from.  RIR structures never
 * hold LLVM values (style rule 8): everything LLVM-side lives here.
 *
 * Files: lb_emit.c (functions and instructions), lb_const.c (constants,
 * locations, names, the module initialiser, map/vector helpers), lb_rt.c
 * (runtime declarations, hot bitcode), lb_fixnum.c (provable fixnums),
 * lb_debug.c (DWARF), lb_target.c (passes, verification, target machines,
 * AOT output), lb_jit.c (ORC LLJIT).
 */
#ifndef OMNI_LB_INTERNAL_H
#define OMNI_LB_INTERNAL_H

#include "lb.h"

#include <llvm-c/Core.h>
#include <llvm-c/DebugInfo.h>
#include <llvm-c/TargetMachine.h>

/* LLVM's `tailcc` (CallingConv::Tail); the C API's enum does not name it. */
enum { LB_TAILCC = 18, LB_PRESERVE_NONE = 21 };   /* llvm::CallingConv::Tail, PreserveNone */
/* Bodies of functions with at most LB_PAD_ARGS parameters (the rest list
 * counted) take exactly LB_PAD_ARGS, unused ones poison, and use the
 * preserve_none convention (lb_emit.c, fast_type). */
enum { LB_PAD_ARGS = OMNI_FAST_PAD_ARGS };   /* rt/omni.h: hot.c calls such entries too */

/* ---- a small string-keyed hash map (keys copied, values opaque) ---- */
typedef struct LbMapEnt { char *key; void *val; } LbMapEnt;
typedef struct LbMap { LbMapEnt *ents; size_t cap, count; } LbMap;
void *lb_map_get(const LbMap *m, const char *key);
void  lb_map_put(LbMap *m, const char *key, void *val);
void  lb_map_free(LbMap *m);

/* ---- a growable array of pointers ---- */
typedef struct LbVec { void **items; size_t n, cap; } LbVec;
void lb_vec_push(LbVec *v, void *p);
void lb_vec_free(LbVec *v);

/* LLVM-side facts about one RIR function. */
/* A parameter type check hoisted out of a body's prologue (lb_emit.c). */
typedef struct LbCheck {
    int param;             /* parameter index (nparams: the rest list) */
    int ann;               /* OmniAnn */
    const char *name;      /* parameter name */
} LbCheck;

typedef struct LbFunc {
    LLVMValueRef body;     /* tailcc body, or the C entry for the module entry */
    LLVMTypeRef body_ty;
    LLVMValueRef generic;  /* C-convention generic wrapper (NULL for the entry) */
    LLVMMetadataRef sp;    /* DISubprogram of body (debug info only) */
    LbCheck *checks;       /* checks done at the entry points, not in the body */
    int nchecks;
    int prologue;          /* leading instructions of block 0 covered by them */
    uint8_t *param_fix;    /* per fixed parameter: every value it is given is a fixnum
                              (sealed programs only; NULL: none proven; lb_fixnum.c) */
    LLVMValueRef static_clo; /* its constant closure (no free values), made on first use */
    bool result_free;      /* puts nothing in its result region %0 (lb_emit.c) */
    bool returns_fix;      /* every value it returns is a fixnum (lb_fixnum.c) */
    LLVMValueRef inner;    /* the body proper when `body` only resolves %0 and jumps to it
                              (self calls handing on a resolved %0 call it), else NULL */
    LLVMValueRef twin;     /* a second, always-inlined copy of the body proper that its
                              non-tail self calls reach (wants_twin), else NULL */
    LLVMMetadataRef twin_sp;
    bool framed;           /* keeps an OmniFrame: makes non-tail calls (rt/omni.h) */
} LbFunc;

/* Which target the module is built for decides how global slots are
 * reached: the JIT runs in the compiling process, so a slot's address is a
 * constant; an object file looks it up once in its initialiser. */
typedef enum { LB_FOR_JIT, LB_FOR_AOT } LbTarget;

typedef struct LbGen {
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMBuilderRef b;
    const RirModule *rm;
    const LbOptions *opt;
    LbTarget target;

    /* cached types */
    LLVMTypeRef t_void, t_i1, t_i8, t_i32, t_i64, t_ptr, t_f64, t_loc;
    LLVMTypeRef t_generic;       /* i64 (ptr, ptr, ptr, i64, ptr) */
    LLVMTypeRef t_fast_pad;      /* i64 (ptr, ptr, i64 x LB_PAD_ARGS): every body of <= LB_PAD_ARGS params */

    LbFunc *funcs;               /* per RIR function (by index) */

    /* constants and names, deduplicated */
    LbMap cstrings;              /* C string text → private [n x i8] global */
    LbMap locs;                  /* "file\x1fline\x1fcol" → OmniLoc constant */
    LbMap floats;                /* bit pattern → static OFloat global */
    LbMap syms;                  /* symbol name → i64 global filled by init */
    LbMap slots;                 /* AOT: global name → ptr global filled by init */
    LLVMValueRef *const_vals;    /* per module const: i64 constant or global */
    LbVec sym_list, slot_list;   /* names, in first-use order, for the init */
    LbVec datum_list;            /* const indices needing construction in the init */
    LbMap fix_consts;            /* sealed: global name → the fixnum OVal it is only ever
                                    bound to (lb_fixnum.c) */

    LLVMValueRef init_fn;        /* private void <module>.init() */
    LLVMValueRef init_guard;     /* i8: set once the init ran */
    LLVMValueRef init_call;      /* its call in the entry */

    /* state of the function being emitted */
    const RirFunc *cur;
    LLVMValueRef cur_fn;
    bool cur_is_body;            /* tailcc body (musttail allowed) vs C entry */
    bool in_twin;                /* emitting a function's twin (its self calls go back to it) */
    LLVMValueRef *regs;          /* alloca per register */
    LLVMTypeRef t_pending;       /* OmniPendingRegion { ptr made, ptr parent, ptr loc } */
    uint8_t *maybe_pending;      /* per region register: may hold a pending handle (rt/omni.h) */
    bool in_tail_call;           /* emitting a tail call: no handle of this frame's cells */
    uint8_t *unused_lazy;        /* per lazy region register: nothing ever needs it made */
    const RirInstr **lazy_new;   /* per region register: the region.new it is created
                                    by on first use (NULL: an ordinary register) */
    const RirInstr **callee_get; /* per register: the global.get it holds when that value
                                    is only the callee of the function's own guarded
                                    self calls (or compared with `self`): loaded
                                    without the unbound check (lb_emit.c) */
    uint8_t *guard_only;         /* per register: used only as the callee of guarded
                                    call.known (a global.get of it needs no load
                                    note but on the guard's fallback path) */
    uint8_t *callee_self;        /* per register: such a global.get that is the callee of
                                    a self call in a sealed program: the function's
                                    static closure, and those calls are direct */
    uint8_t *fix_reg;            /* per register: provably a fixnum (lb_fixnum.c) */
    LLVMBasicBlockRef *bbs;      /* LLVM block per RIR block id */
    int nbbs;
    LLVMValueRef frame;          /* its OmniFrame alloca when the function keeps one */
    bool frame_linked;           /* ... linked in the block being emitted (lb_emit.c) */
    LLVMValueRef frame_site;     /* ... the site last stored there in this block */
    uint8_t *frame_in, *frame_keep; /* per block id: entered linked / stays linked (plan_frame) */
    LLVMValueRef frames_head;    /* where omni_tl_frames is (a ptr, addrspace 257 on x86-64 JIT) */
    const char *loc_fn;          /* the function new locations are in (lb_loc), or NULL */
    bool loc_framed;             /* ... and whether it keeps an OmniFrame */
    LLVMValueRef argv_buf;       /* [argv_cap x i64] alloca shared by the calls */
    int argv_cap;

    /* debug info (opt->debug_info) */
    LLVMDIBuilderRef dib;
    LLVMMetadataRef di_cu, di_fnty;
    LbMap di_files;              /* file name → DIFile */
    LLVMMetadataRef cur_sp;

    char *err;                   /* first internal error, malloc'd */
} LbGen;

/* ---- lb_util (in lb_const.c) ---- */
char *lb_strdup(const char *s);
char *lb_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Records the first internal error (later ones are dropped). */
void  lb_fail(LbGen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- lb_const.c ---- */
LLVMValueRef lb_i64(LbGen *g, uint64_t v);
LLVMValueRef lb_i32(LbGen *g, int32_t v);
LLVMValueRef lb_cstring(LbGen *g, const char *s, size_t len);
LLVMValueRef lb_loc(LbGen *g, Span sp);
LLVMValueRef lb_const_float(LbGen *g, double d);          /* i64 (ptrtoint) */
LLVMValueRef lb_const_string(LbGen *g, const char *s, int64_t len); /* i64 */
LLVMValueRef lb_const_index(LbGen *g, int64_t idx);       /* CONST_STR / CONST_DATUM: i64 */
LLVMValueRef lb_symbol(LbGen *g, const char *name);       /* i64, loaded */
LLVMValueRef lb_global_slot(LbGen *g, const char *name);  /* ptr to the OVal slot */
void         lb_init_begin(LbGen *g);
void         lb_init_finish(LbGen *g);
void         lb_gen_free_consts(LbGen *g);

/* ---- lb_rt.c: runtime functions and the hot bitcode ---- */
/* The declaration of runtime function `name` (added on first use). */
LLVMValueRef lb_rt_fn(LbGen *g, const char *name);
LLVMValueRef lb_rt_call(LbGen *g, const char *name, LLVMValueRef *args, unsigned n);
/* Built-in `id`: its C function (omni_b_* or omni_bv_*), declared on use. */
LLVMValueRef lb_builtin_fn(LbGen *g, int id, bool *variadic, int *arity);
const char  *lb_builtin_name(int id);
unsigned     lb_builtin_flags(int id);  /* OBF_* */

/* Parsed hot bitcode: parsed once per context, copied (pruned) per module. */
typedef struct LbHot LbHot;
LbHot *lb_hot_new(LLVMContextRef ctx, const char *triple, const char *layout, char **err);
void   lb_hot_free(LbHot *h);
/* Links a copy of the hot helpers mod calls into mod, then internalises
 * them (and marks them alwaysinline when opt_level == 0).  0 on success. */
int    lb_hot_link(LbHot *h, LLVMModuleRef mod, int opt_level, char **err);

/* ---- lb_emit.c ---- */
/* Builds the LLVM module for rm in ctx (no hot helpers, no optimisation).
 * Returns NULL and sets *err on an internal error. */
LLVMModuleRef lb_build_module(LLVMContextRef ctx, const RirModule *rm, const LbOptions *opt,
                              LbTarget target, const char *triple, const char *layout,
                              char **err);
/* The symbol of the module entry. malloc'd. */
char *lb_entry_name(const RirModule *rm, const LbOptions *opt);

/* ---- lb_fixnum.c: provable fixnums ---- */
/* Sets funcs[i].returns_fix, funcs[i].param_fix and fix_consts (after
 * declare_funcs: parameter checks known). */
void     lb_find_fixnum_returns(LbGen *g);
/* Frees what lb_find_fixnum_returns allocated. */
void     lb_fixnum_free(LbGen *g);
/* A sealed global constant (see fix_consts): true and *v its value. */
bool     lb_fixnum_global(const LbGen *g, const char *name, uint64_t *v);
/* Per register of f: nonzero when provably a fixnum. malloc'd. */
uint8_t *lb_fixnum_regs(const LbGen *g, const RirFunc *f, const LbFunc *lf);
/* A provable fixnum that is not a constant: worth an assumption. */
bool     lb_fixnum_needs_assume(const uint8_t *fix, int reg);
/* llvm.assume that v's fixnum tag bit is set. */
void     lb_assume_fixnum(LbGen *g, LLVMValueRef v);

/* ---- lb_facts.c: what is known before a function is emitted ---- */
/* Per function, into g (freed by the emitter): lazy_new, unused_lazy,
 * maybe_pending, callee_get / callee_self. */
void lb_find_lazy_regions(LbGen *g, const RirFunc *f);
void lb_find_unused_lazy(LbGen *g, const RirFunc *f);
void lb_find_maybe_pending(LbGen *g, const RirFunc *f);
void lb_find_callee_gets(LbGen *g, const RirFunc *f);
/* Over the module, into g->funcs[].result_free. */
void lb_find_result_free(LbGen *g);
/* Split into a resolving entry and its body / unrolled one level. */
bool lb_wants_inner(const RirModule *rm, const RirFunc *f, int idx);
bool lb_wants_twin(const LbGen *g, const RirFunc *f, int idx);

/* The functions of a module to emit: its own, plus the entry if the
 * module does not list it among them (it then takes the slot nfuncs). */
static inline int lb_func_count(const RirModule *rm)
{
    for (int i = 0; i < rm->nfuncs; i++)
        if (rm->funcs[i] == rm->entry)
            return rm->nfuncs;
    return rm->nfuncs + 1;
}

static inline const RirFunc *lb_func_at(const RirModule *rm, int i)
{
    return i < rm->nfuncs ? rm->funcs[i] : rm->entry;
}

/* Is region register reg of the function being emitted made lazily? */
static inline bool lb_lazy_region(const LbGen *g, int reg)
{
    return g->lazy_new && reg >= 0 && reg < g->cur->nregs && g->lazy_new[reg] != NULL;
}

/* + - * and negation: on fixnums they make a fixnum or raise overflow,
 * allocating nothing. */
static inline bool lb_fix_arith(int64_t id)
{
    return id == OMNI_BI_add2 || id == OMNI_BI_sub2 || id == OMNI_BI_mul2 || id == OMNI_BI_neg;
}

/* ---- lb_debug.c ---- */
void lb_di_begin(LbGen *g);
void lb_di_func(LbGen *g, LbFunc *lf, const char *name, const char *linkage, Span sp);
void lb_di_set_loc(LbGen *g, Span sp);
void lb_di_finish(LbGen *g);

/* ---- lb_target.c ---- */
void lb_init_llvm(void);
/* A TargetMachine for the host at the given -O level (PIC). */
LLVMTargetMachineRef lb_host_tm(int opt_level, bool jit, char **err);
/* Verify (if asked), link the hot helpers, run the O-level pipeline. */
int lb_finish_module(LLVMModuleRef mod, LbHot *hot, LLVMTargetMachineRef tm,
                     const LbOptions *opt, char **err);
/* True if mod is valid; else dumps it to stderr under an "internal error"
 * line and sets *err. */
bool lb_verify(LLVMModuleRef mod, const char *when, char **err);


/* lb_frames.c: backtrace frames (shadow OmniFrame chain). */
bool lb_returns_reg(const RirFunc *f, const RirBlock *b, int idx, int v); /* lb_emit.c */
bool lb_is_tail_call(const RirFunc *f, const RirBlock *b, int i);
const RirInstr *lb_first_framed_call(const RirFunc *f, const RirBlock *b);
void lb_plan_frame(LbGen *g, const RirFunc *f);
bool lb_wants_frame(const RirFunc *f);
void lb_frame_alloc(LbGen *g);
void lb_frame_push(LbGen *g, const RirInstr *first);
void lb_frame_pop(LbGen *g);
void lb_frame_site(LbGen *g, const RirInstr *in);

#endif
