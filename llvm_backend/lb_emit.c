/* lb_emit.c — Region IR functions and instructions → LLVM IR.
 *
 * Each non-entry RIR function becomes an internal `tailcc` body
 *     i64 <module>.<f>(ptr region, ptr self, i64 x nparams [, i64 rest])
 * plus a C-convention generic wrapper <module>.<f>.generic that checks the
 * argument count, builds the rest list and calls the body.  The entry
 * becomes an external C function <module>.entry(ptr region) -> i64 (or
 * LbOptions.entry_symbol) that first runs the module initialiser.
 *
 * RIR registers are not SSA: each gets an alloca in the entry block and
 * mem2reg/SROA turn them into SSA values.  Calls to function values try the
 * closure's fast entry (a direct tailcc call when the arity matches) and
 * fall back to omni_apply; calls in tail position are `musttail`, which
 * LLVM accepts between tailcc functions of different prototypes, so every
 * tail call — self, mutual or through an unknown closure — runs in
 * constant stack (a tail call that falls back to omni_apply cannot be one:
 * its argument array lives in the caller's frame).  A closure without free
 * values is a constant object (static_closure), so a guarded call.known
 * of a top-level function compares the global's value with its address
 * and calls the body directly when they match (a self call in a sealed,
 * whole program needs no compare: see find_callee_gets).  Functions with
 * annotated parameters check them at their entry points (see "parameter
 * checks" below) so the error names the caller's location.
 */
#include "lb_internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ types */

static void init_types(LbGen *g)
{
    LLVMContextRef c = g->ctx;
    g->t_void = LLVMVoidTypeInContext(c);
    g->t_i1 = LLVMInt1TypeInContext(c);
    g->t_i8 = LLVMInt8TypeInContext(c);
    g->t_i32 = LLVMInt32TypeInContext(c);
    g->t_i64 = LLVMInt64TypeInContext(c);
    g->t_ptr = LLVMPointerTypeInContext(c, 0);
    g->t_f64 = LLVMDoubleTypeInContext(c);
    LLVMTypeRef loc[5] = { g->t_ptr, g->t_i32, g->t_i32, g->t_ptr, g->t_i32 };
    g->t_loc = LLVMGetTypeByName2(c, "OmniLoc");
    if (!g->t_loc) {
        g->t_loc = LLVMStructCreateNamed(c, "OmniLoc");
        LLVMStructSetBody(g->t_loc, loc, 5, false);
    }
    LLVMTypeRef gen[5] = { g->t_ptr, g->t_ptr, g->t_ptr, g->t_i64, g->t_ptr };
    g->t_generic = LLVMFunctionType(g->t_i64, gen, 5, false);
    LLVMTypeRef cell[3] = { g->t_ptr, g->t_ptr, g->t_ptr }; /* rt/omni.h OmniPendingRegion */
    g->t_pending = LLVMStructTypeInContext(c, cell, 3, false);
}

/* The fast entry of a function body: i64 (ptr region, ptr self, i64 x n).
 * A body of n <= LB_PAD_ARGS parameters takes exactly LB_PAD_ARGS (the
 * unused ones poison) in the preserve_none convention: nothing is
 * callee-saved, so a path that makes no call — the base case of a
 * recursion — pushes and pops no register (under the usual conventions
 * LLVM's shrink-wrapping cannot keep the prologue off such paths once a
 * parameter lives across a call), and since all such bodies share one
 * prototype every tail call between them can be `musttail`.  preserve_none
 * passes up to 12 values in registers, so the padding costs nothing; 8
 * arguments (10 registers) leave room for an indirect call's target, which
 * -O0's fast register allocator cannot find with all 12 taken.
 * Bodies with more parameters keep tailcc with their own arity, whose tail
 * calls are guaranteed among themselves (tailcc's callee-pop). */
static int fast_arity(int n) { return n <= LB_PAD_ARGS ? LB_PAD_ARGS : n; }

static unsigned fast_cc(int n) { return n <= LB_PAD_ARGS ? LB_PRESERVE_NONE : LB_TAILCC; }

static LLVMTypeRef fast_type(LbGen *g, int n)
{
    if (n <= LB_PAD_ARGS && g->t_fast_pad) return g->t_fast_pad;
    int m = fast_arity(n);
    LLVMTypeRef *p = malloc((size_t)(m + 2) * sizeof *p);
    if (!p) abort();
    p[0] = p[1] = g->t_ptr;
    for (int i = 0; i < m; i++) p[i + 2] = g->t_i64;
    LLVMTypeRef t = LLVMFunctionType(g->t_i64, p, (unsigned)m + 2, false);
    free(p);
    if (n <= LB_PAD_ARGS) g->t_fast_pad = t;
    return t;
}

/* Pads the argument array vals (region, self, n values; room for
 * fast_arity(n) + 2) with poison; returns the count to pass. */
static unsigned fast_args(LbGen *g, LLVMValueRef *vals, int n)
{
    int m = fast_arity(n);
    for (int i = n; i < m; i++) vals[i + 2] = LLVMGetPoison(g->t_i64);
    return (unsigned)m + 2;
}

/* A fast-entry call of a function of n parameters: its convention; and
 * whether a tail call from the current body can be musttail (the same
 * convention; for preserve_none that is also the same padded prototype,
 * for tailcc prototypes may differ). */
static void fast_call_conv(LLVMValueRef call, int n)
{
    LLVMSetInstructionCallConv(call, fast_cc(n));
}

static bool fast_musttail_ok(LbGen *g, int n)
{
    if (!g->cur_is_body) return false;
    int m = g->cur->nparams + (g->cur->has_rest ? 1 : 0);
    return fast_cc(m) == fast_cc(n);
}

char *lb_entry_name(const RirModule *rm, const LbOptions *opt)
{
    if (opt && opt->entry_symbol) return lb_strdup(opt->entry_symbol);
    return lb_fmt("%s.entry", rm->name);
}

/* ------------------------------------------------------------ registers */

static LLVMTypeRef reg_type(LbGen *g, int reg)
{
    return g->cur->reg_kind[reg] == RK_REGION ? g->t_ptr : g->t_i64;
}

static bool reg_ok(LbGen *g, int reg)
{
    if (reg >= 0 && reg < g->cur->nregs) return true;
    lb_fail(g, "@%s: register %%%d out of range", g->cur->name, reg);
    return false;
}

/* The value of a register as an OVal. */
static LLVMValueRef val(LbGen *g, int reg)
{
    if (!reg_ok(g, reg)) return lb_i64(g, OMNI_NOTHING);
    LLVMValueRef v = LLVMBuildLoad2(g->b, reg_type(g, reg), g->regs[reg], "");
    return g->cur->reg_kind[reg] == RK_REGION ? LLVMBuildPtrToInt(g->b, v, g->t_i64, "") : v;
}

/* The value of a region register (a Region *). */
static LLVMValueRef region(LbGen *g, int reg)
{
    if (!reg_ok(g, reg)) reg = 0;
    LLVMValueRef v = LLVMBuildLoad2(g->b, reg_type(g, reg), g->regs[reg], "");
    return g->cur->reg_kind[reg] == RK_REGION ? v : LLVMBuildIntToPtr(g->b, v, g->t_ptr, "");
}

/* Scope regions are created lazily.  A `region.new %0` only fills the
 * register's cell (an OmniPendingRegion in the frame: made = NULL, the
 * parent's handle, the location); the region is made at the first use
 * that needs it (an allocation `in %r`, a transmigration into it, a C
 * call given it).  A compiled call given %r as result region gets the
 * region if it is made, else the pending handle (the cell's address + 1,
 * rt/omni.h): the callee makes it only if it allocates there.  Exits,
 * carries and transmigrations *from* it skip a region that was never
 * made.  So a function that enters its scope but takes a path that
 * allocates nothing there (a loop carrying only fixnums, a base case, a
 * call returning a fixnum) pays a null test instead of region.new +
 * region.exit. */

/* The pending handle of lazy region register reg: its cell's address + 1. */
static LLVMValueRef pending_handle(LbGen *g, int reg)
{
    return LLVMBuildGEP2(g->b, g->t_i8, g->regs[reg], (LLVMValueRef[]){ lb_i64(g, 1) }, 1, "pending");
}

/* The handle of region register reg for a compiled callee: the region,
 * or for a lazy one its pending handle, made or not (the callee reads
 * `made` itself only if it needs the region, which most calls do not). */
static LLVMValueRef region_handle(LbGen *g, int reg)
{
    if (!lb_lazy_region(g, reg))
        return region(g, reg);
    if (g->unused_lazy && g->unused_lazy[reg])
        return region(g, 0); /* e.g. a guarded call's fallback: %0 outlives it */
    if (g->in_tail_call) { /* the frame, and the cell with it, is gone during a tail call */
        lb_fail(g, "@%s: a tail call given a scope region of its own frame", g->cur->name);
        return region(g, 0);
    }
    return pending_handle(g, reg);
}

/* The region of register reg, made now if it is lazy and not made yet,
 * or resolved if it may be a pending handle (then written back, so later
 * uses on this path see the region). */
static LLVMValueRef region_use(LbGen *g, int reg)
{
    if (lb_lazy_region(g, reg) && g->unused_lazy && g->unused_lazy[reg])
        return region_use(g, 0); /* no cell: %0 outlives it (a guarded call's fallback) */
    if (!lb_lazy_region(g, reg)) {
        LLVMValueRef v = region(g, reg);
        if (!g->maybe_pending || !reg_ok(g, reg) || !g->maybe_pending[reg])
            return v;
        v = lb_rt_call(g, "omni_region_resolve", &v, 1);
        LLVMBuildStore(g->b, v, g->regs[reg]);
        return v;
    }
    LLVMValueRef cur = LLVMBuildLoad2(g->b, g->t_ptr, g->regs[reg], "");
    LLVMBasicBlockRef mk = LLVMAppendBasicBlockInContext(g->ctx, g->cur_fn, "mkregion");
    LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(g->ctx, g->cur_fn, "");
    LLVMBuildCondBr(g->b, LLVMBuildIsNull(g->b, cur, ""), mk, done);
    LLVMPositionBuilderAtEnd(g->b, mk);
    /* the runtime makes it from the cell (and a pending parent first, a
     * let region's lazy scope region) and records it there */
    LLVMValueRef h = pending_handle(g, reg);
    lb_rt_call(g, "omni_region_resolve_slow", &h, 1);
    LLVMBuildBr(g->b, done);
    LLVMPositionBuilderAtEnd(g->b, done);
    return LLVMBuildLoad2(g->b, g->t_ptr, g->regs[reg], "");
}

/* Field k of lazy region register reg's cell. */
static LLVMValueRef cell_field(LbGen *g, int reg, unsigned k)
{
    return LLVMBuildStructGEP2(g->b, g->t_pending, g->regs[reg], k, "");
}

/* A lazy region.new: its cell, not made yet. */
static void lazy_region_new(LbGen *g, const RirInstr *in)
{
    int parent = in->region >= 0 ? in->region : 0;
    LLVMBuildStore(g->b, LLVMConstNull(g->t_ptr), cell_field(g, in->dst, 0));
    LLVMBuildStore(g->b, region_handle(g, parent), cell_field(g, in->dst, 1));
    LLVMBuildStore(g->b, lb_loc(g, in->span), cell_field(g, in->dst, 2));
}

/* dst = src between lazy region registers: the whole cell. */
static void copy_cell(LbGen *g, int dst, int src)
{
    for (unsigned k = 0; k < 3; k++)
        LLVMBuildStore(g->b, LLVMBuildLoad2(g->b, g->t_ptr, cell_field(g, src, k), ""), cell_field(g, dst, k));
}

/* Emits a branch on "region register `reg` holds a region": the builder
 * ends up in the block where it does; *skip is the block to join after. */
static void if_region_made(LbGen *g, int reg, LLVMBasicBlockRef *skip)
{
    *skip = NULL;
    if (!lb_lazy_region(g, reg))
        return;
    LLVMValueRef cur = LLVMBuildLoad2(g->b, g->t_ptr, g->regs[reg], "");
    LLVMBasicBlockRef yes = LLVMAppendBasicBlockInContext(g->ctx, g->cur_fn, "");
    *skip = LLVMAppendBasicBlockInContext(g->ctx, g->cur_fn, "");
    LLVMBuildCondBr(g->b, LLVMBuildIsNull(g->b, cur, ""), *skip, yes);
    LLVMPositionBuilderAtEnd(g->b, yes);
}

static void end_if_region_made(LbGen *g, LLVMBasicBlockRef skip)
{
    if (!skip)
        return;
    LLVMBuildBr(g->b, skip);
    LLVMPositionBuilderAtEnd(g->b, skip);
}

static void set(LbGen *g, int reg, LLVMValueRef v)
{
    if (reg < 0) return; /* result unused */
    if (!reg_ok(g, reg)) return;
    bool want_ptr = g->cur->reg_kind[reg] == RK_REGION;
    bool is_ptr = LLVMGetTypeKind(LLVMTypeOf(v)) == LLVMPointerTypeKind;
    if (want_ptr && !is_ptr) v = LLVMBuildIntToPtr(g->b, v, g->t_ptr, "");
    if (!want_ptr && is_ptr) v = LLVMBuildPtrToInt(g->b, v, g->t_i64, "");
    LLVMBuildStore(g->b, v, g->regs[reg]);
}

/* The region an instruction allocates in / passes on: its region operand,
 * else the function's result region %0. */
static LLVMValueRef instr_region(LbGen *g, const RirInstr *in)
{
    if (in->op == RIR_PRIM && in->region < 0 && (lb_builtin_flags((int)in->imm) & OBF_NOREGION))
        return LLVMConstNull(g->t_ptr); /* never read: nothing to make or resolve */
    return region_use(g, in->region >= 0 ? in->region : 0);
}

/* Region operand of a region op: the `region` field, or the first operand. */
static LLVMValueRef region_operand(LbGen *g, const RirInstr *in)
{
    if (in->region >= 0) return region(g, in->region);
    if (in->nargs > 0) return region(g, in->args[0]);
    lb_fail(g, "@%s: %s without a region operand", g->cur->name, ir_op_names[in->op]);
    return region(g, 0);
}

static LLVMValueRef as_ptr(LbGen *g, LLVMValueRef v)
{
    return LLVMBuildIntToPtr(g->b, v, g->t_ptr, "");
}

/* Stores vals[0..n-1] into the shared argument buffer; returns it. */
static LLVMValueRef fill_argv(LbGen *g, LLVMValueRef *vals, int n)
{
    if (n == 0) return LLVMConstNull(g->t_ptr);
    if (n > g->argv_cap) {
        lb_fail(g, "@%s: argument buffer too small", g->cur->name);
        return LLVMConstNull(g->t_ptr);
    }
    for (int i = 0; i < n; i++) {
        LLVMValueRef idx = lb_i64(g, (uint64_t)i);
        LLVMBuildStore(g->b, vals[i], LLVMBuildGEP2(g->b, g->t_i64, g->argv_buf, &idx, 1, ""));
    }
    return g->argv_buf;
}

/* ------------------------------------------------------------ tail position */

/* Is the value of register `v`, produced by the instruction at in[idx],
 * returned unchanged on every path from here?  Follows movs and jumps
 * (bounded) so `call; mov; jmp join; join: ret` still counts.  Only then
 * may the call become a tail call: anything else after it (a region exit,
 * a store) must run after the callee returns. */
bool lb_returns_reg(const RirFunc *f, const RirBlock *b, int idx, int v)
{
    for (int hops = 0; hops < 8; hops++) {
        const RirBlock *next = NULL;
        for (int i = idx; i < b->n && !next; i++) {
            const RirInstr *in = &b->instrs[i];
            if (in->op == RIR_MOV && in->nargs == 1 && in->args[0] == v) { v = in->dst; continue; }
            if (in->op == RIR_RET) return in->nargs == 1 && in->args[0] == v;
            if (in->op != RIR_JMP) return false;
            for (int k = 0; k < f->nblocks; k++)
                if (f->blocks[k]->id == in->target[0]) next = f->blocks[k];
            if (!next) return false;
        }
        if (!next) return false;
        b = next;
        idx = 0;
    }
    return false;
}

static LLVMValueRef mark_tail(LLVMValueRef call, bool must)
{
    LLVMSetTailCallKind(call, must ? LLVMTailCallKindMustTail : LLVMTailCallKindTail);
    return call;
}

/* A conditional branch that expects `likely`: keeps slow paths out of line. */
static void br_expect(LbGen *g, LLVMValueRef cond, LLVMBasicBlockRef likely, LLVMBasicBlockRef unlikely)
{
    LLVMValueRef br = LLVMBuildCondBr(g->b, cond, likely, unlikely);
    LLVMMetadataRef w[3] = {
        LLVMMDStringInContext2(g->ctx, "branch_weights", 14),
        LLVMValueAsMetadata(lb_i32(g, 2000)), LLVMValueAsMetadata(lb_i32(g, 1)),
    };
    LLVMSetMetadata(br, LLVMGetMDKindIDInContext(g->ctx, "prof", 4),
                    LLVMMetadataAsValue(g->ctx, LLVMMDNodeInContext2(g->ctx, w, 3)));
}

static void emit_ret(LbGen *g, LLVMValueRef v)
{
    lb_frame_pop(g);
    LLVMBuildRet(g->b, v);
}

/* ------------------------------------------------------- parameter checks
 *
 * A parameter annotation is checked where the function is entered, so the
 * error names the caller's location like an arity error does: the generic
 * wrapper checks with the `loc` it is given, call.known checks at its call
 * site, and a closure of such a function offers no fast entry (code NULL),
 * so every other call reaches the generic wrapper.  The body's prologue
 * checks are then not emitted.  The tests are inline; omni_check_param
 * (which raises the error) is only called when one fails. */

static OmniType ann_type(int ann)
{
    switch (ann) {
    case OMNI_ANN_FLOAT: return OT_FLOAT;
    case OMNI_ANN_STRING: return OT_STRING;
    case OMNI_ANN_ARRAY: return OT_ARRAY;
    case OMNI_ANN_DICT: return OT_DICT;
    case OMNI_ANN_FN: return OT_CLOSURE;
    case OMNI_ANN_SYMBOL: return OT_SYMBOL;
    case OMNI_ANN_LIST: return OT_PAIR;
    default: return OT__COUNT;
    }
}

static void emit_param_check(LbGen *g, LLVMValueRef v, int ann, const char *fn, const char *pname,
                             LLVMValueRef loc)
{
    if (ann == OMNI_ANN_ANY) return;
    LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(g->ctx, g->cur_fn, "");
    LLVMBasicBlockRef bad = LLVMAppendBasicBlockInContext(g->ctx, g->cur_fn, "badparam");
    LLVMValueRef lo3 = LLVMBuildAnd(g->b, v, lb_i64(g, 7), "");
    OmniType t = ann_type(ann);
    if (ann == OMNI_ANN_INT) {
        br_expect(g, LLVMBuildTrunc(g->b, v, g->t_i1, ""), ok, bad);
    } else if (ann == OMNI_ANN_CHAR) {
        br_expect(g, LLVMBuildICmp(g->b, LLVMIntEQ, lo3, lb_i64(g, 6), ""), ok, bad); /* rt/omni.h tags */
    } else if (ann == OMNI_ANN_BOOL) {
        LLVMValueRef c = LLVMBuildOr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, v, lb_i64(g, OMNI_TRUE), ""),
                                     LLVMBuildICmp(g->b, LLVMIntEQ, v, lb_i64(g, OMNI_FALSE), ""), "");
        br_expect(g, c, ok, bad);
    } else if (ann == OMNI_ANN_LIST) { /* () or a pair (tag 100); the spine is not walked */
        LLVMValueRef c = LLVMBuildOr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, v, lb_i64(g, OMNI_NIL), ""),
                                     LLVMBuildICmp(g->b, LLVMIntEQ, lo3, lb_i64(g, OMNI_PAIR_TAG), ""), "");
        br_expect(g, c, ok, bad);
    } else if (t != OT__COUNT) {
        LLVMBasicBlockRef hdr = LLVMAppendBasicBlockInContext(g->ctx, g->cur_fn, "");
        br_expect(g, LLVMBuildICmp(g->b, LLVMIntEQ, lo3, lb_i64(g, 0), ""), hdr, bad);
        LLVMPositionBuilderAtEnd(g->b, hdr);
        LLVMValueRef ty = LLVMBuildLoad2(g->b, g->t_i32, LLVMBuildIntToPtr(g->b, v, g->t_ptr, ""), "");
        br_expect(g, LLVMBuildICmp(g->b, LLVMIntEQ, ty, lb_i32(g, (int32_t)t), ""), ok, bad);
    } else {
        LLVMBuildBr(g->b, bad); /* an annotation this file does not know: ask the runtime */
    }
    LLVMPositionBuilderAtEnd(g->b, bad);
    LLVMValueRef a[5] = { v, lb_i32(g, ann), lb_cstring(g, fn, strlen(fn)),
                          lb_cstring(g, pname, strlen(pname)), loc };
    lb_rt_call(g, "omni_check_param", a, 5); /* raises: the inline test failed */
    LLVMBuildBr(g->b, ok);
    LLVMPositionBuilderAtEnd(g->b, ok);
}

static const char *display_of(const RirFunc *f) { return f->display ? f->display : f->name; }

/* Checks of f's parameters on the values in vals[0..] (parameter order). */
static void emit_entry_checks(LbGen *g, const RirFunc *f, const LbFunc *lf, LLVMValueRef *vals,
                              LLVMValueRef loc)
{
    for (int i = 0; i < lf->nchecks; i++)
        emit_param_check(g, vals[lf->checks[i].param], lf->checks[i].ann, display_of(f),
                         lf->checks[i].name, loc);
}

/* Finds the checks of f's prologue (block 0: params, then their checks)
 * that can move to the entry points. */
static void scan_checks(const RirFunc *f, LbFunc *lf)
{
    if (f->is_entry || f->nblocks < 1) return;
    const RirBlock *b = f->blocks[0];
    int *param_of = malloc((size_t)f->nregs * sizeof *param_of);
    if (!param_of) abort();
    for (int r = 0; r < f->nregs; r++) param_of[r] = -1;
    int nparams = f->nparams + (f->has_rest ? 1 : 0), i;
    for (i = 0; i < b->n; i++) {
        const RirInstr *in = &b->instrs[i];
        if (in->op == RIR_PARAM && in->dst >= 0 && in->dst < f->nregs && in->imm >= 0 && in->imm < nparams) {
            param_of[in->dst] = (int)in->imm;
            continue;
        }
        if (in->op != RIR_CHECK_PARAM || in->nargs != 1 || in->dst >= 0 || in->args[0] < 0 ||
            in->args[0] >= f->nregs || param_of[in->args[0]] < 0)
            break;
        lf->checks = realloc(lf->checks, (size_t)(lf->nchecks + 1) * sizeof *lf->checks);
        if (!lf->checks) abort();
        lf->checks[lf->nchecks++] = (LbCheck){ param_of[in->args[0]], (int)in->imm, in->name ? in->name : "?" };
    }
    lf->prologue = i;
    free(param_of);
}

/* ------------------------------------------------------------ calls */

/* Two arms end in blocks a_end (value va) and b_end (value vb), neither
 * terminated yet: both jump to a new block, where the builder is left, and
 * the value there is the phi of the two. */
static LLVMValueRef join2(LbGen *g, LLVMValueRef va, LLVMBasicBlockRef a_end, LLVMValueRef vb,
                          LLVMBasicBlockRef b_end)
{
    LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(g->ctx, g->cur_fn, "");
    LLVMPositionBuilderAtEnd(g->b, a_end);
    LLVMBuildBr(g->b, join);
    LLVMPositionBuilderAtEnd(g->b, b_end);
    LLVMBuildBr(g->b, join);
    LLVMPositionBuilderAtEnd(g->b, join);
    LLVMValueRef phi = LLVMBuildPhi(g->b, g->t_i64, "");
    LLVMValueRef iv[2] = { va, vb };
    LLVMBasicBlockRef ib[2] = { a_end, b_end };
    LLVMAddIncoming(phi, iv, ib, 2);
    return phi;
}

/* call %f(args...): fast entry if the closure takes exactly n arguments,
 * else omni_apply (which checks fn-ness and arity and reports at loc).
 * Returns the result, or NULL when it was a tail call (the block ended
 * with returns). */
static LLVMValueRef build_call(LbGen *g, const RirInstr *in, LLVMValueRef f, bool tail)
{
    int n = in->nargs - 1;
    LLVMValueRef *vals = malloc((size_t)(fast_arity(n) + 2) * sizeof *vals);
    if (!vals) abort();
    /* a compiled fast entry takes a pending handle; omni_apply (C) the region */
    g->in_tail_call = tail;
    LLVMValueRef r = region_handle(g, in->region >= 0 ? in->region : 0);
    g->in_tail_call = false;
    for (int i = 0; i < n; i++) vals[i + 2] = val(g, in->args[i + 1]);
    LLVMValueRef fc[2] = { f, lb_i32(g, n) };
    LLVMValueRef code = lb_rt_call(g, "omni_fast_code", fc, 2);
    LLVMBasicBlockRef fast = LLVMAppendBasicBlockInContext(g->ctx, g->cur_fn, "fast");
    LLVMBasicBlockRef slow = LLVMAppendBasicBlockInContext(g->ctx, g->cur_fn, "slow");
    br_expect(g, LLVMBuildIsNotNull(g->b, code, ""), fast, slow);

    LLVMPositionBuilderAtEnd(g->b, fast);
    vals[0] = r;
    vals[1] = as_ptr(g, f);
    if (tail)
        lb_frame_pop(g); /* the callee takes this frame's place */
    LLVMValueRef fr = LLVMBuildCall2(g->b, fast_type(g, n), code, vals, fast_args(g, vals, n), "");
    fast_call_conv(fr, n);
    if (tail) {
        mark_tail(fr, fast_musttail_ok(g, n));
        LLVMBuildRet(g->b, fr);
    }
    LLVMBasicBlockRef fast_end = LLVMGetInsertBlock(g->b);

    LLVMPositionBuilderAtEnd(g->b, slow);
    if (tail)
        lb_frame_site(g, in); /* not a real tail call: this frame stays */
    LLVMValueRef ap[5] = { instr_region(g, in), lb_loc(g, in->span), f, lb_i64(g, (uint64_t)n),
                           fill_argv(g, vals + 2, n) };
    LLVMValueRef sr = lb_rt_call(g, "omni_apply", ap, 5);
    free(vals);
    if (tail) {
        emit_ret(g, sr); /* argv lives in this frame: no tail marker */
        return NULL;
    }
    return join2(g, fr, fast_end, sr, LLVMGetInsertBlock(g->b));
}

static bool emit_call(LbGen *g, const RirInstr *in, bool tail)
{
    if (!tail)
        lb_frame_site(g, in);
    LLVMValueRef v = build_call(g, in, val(g, in->args[0]), tail);
    if (!v) return true;
    set(g, in->dst, v);
    return false;
}

/* The direct call of a module function `callee` with closure `self`; the
 * lowering guarantees the argument count fits.  Returns the result, or
 * NULL when it was a tail call (the block ended with its return). */
static LLVMValueRef build_call_known(LbGen *g, const RirInstr *in, int callee_idx, LLVMValueRef self,
                                     bool tail)
{
    const RirFunc *callee = g->rm->funcs[callee_idx];
    LbFunc *lf = &g->funcs[callee_idx];
    int given = in->nargs - 1, fixed = callee->nparams;
    int n = fixed + (callee->has_rest ? 1 : 0);
    LLVMValueRef *vals = malloc((size_t)(fast_arity(n) + 2 + given) * sizeof *vals);
    if (!vals) abort();
    /* the callee is compiled: it takes a pending handle (and a result-free
     * one does not allocate in it at all: the caller's %0 does) */
    g->in_tail_call = tail;
    bool passes_0 = in->region <= 0 ||
                    (lf->result_free && !callee->has_rest && lb_lazy_region(g, in->region));
    LLVMValueRef r = passes_0 ? region(g, 0) : region_handle(g, in->region);
    g->in_tail_call = false;
    vals[0] = r;
    vals[1] = self;
    for (int i = 0; i < fixed; i++) vals[i + 2] = val(g, in->args[i + 1]);
    if (callee->has_rest) {
        int extra = given - fixed;
        LLVMValueRef *ev = vals + fast_arity(n) + 2;
        for (int i = 0; i < extra; i++) ev[i] = val(g, in->args[fixed + 1 + i]);
        if (extra == 0) {
            vals[n + 1] = lb_i64(g, OMNI_NIL);
        } else {
            bool va; int ar;
            LLVMValueRef lf2 = lb_builtin_fn(g, OMNI_BI_list, &va, &ar);
            LLVMValueRef la[4] = { instr_region(g, in), lb_loc(g, in->span), lb_i64(g, (uint64_t)extra),
                                   fill_argv(g, ev, extra) };
            /* the list lives in r; the callee never sees the argv buffer,
             * so the call below may still be musttail */
            vals[n + 1] = LLVMBuildCall2(g->b, LLVMGlobalGetValueType(lf2), lf2, la, 4, "");
        }
    }
    emit_entry_checks(g, callee, lf, vals + 2, lb_loc(g, in->span));
    /* a self call handing on this body's own %0 (resolved by the entry
     * that wraps it, wants_inner) skips that entry; a non-tail one goes
     * to the twin (wants_twin), whose own self calls come back */
    LLVMValueRef target = lf->inner && callee == g->cur && passes_0 ? lf->inner : lf->body;
    if (callee == g->cur && lf->twin && !g->in_twin && !tail && (target == lf->inner || !lf->inner))
        target = lf->twin;
    if (tail)
        lb_frame_pop(g); /* after the checks: their errors name this frame's call */
    LLVMValueRef c = LLVMBuildCall2(g->b, lf->body_ty, target, vals, fast_args(g, vals, n), "");
    fast_call_conv(c, n);
    free(vals);
    if (tail) {
        mark_tail(c, fast_musttail_ok(g, n));
        LLVMBuildRet(g->b, c);
        return NULL;
    }
    return c;
}

/* The constant closure of function `idx`, which has no free values: laid
 * out exactly as OClosure, flagged OHF_STATIC (region_of is NULL, nothing
 * copies or frees it), so closure.new of such a function allocates
 * nothing and every evaluation yields the same object — the address a
 * guarded call.known compares with. */
static LLVMValueRef static_closure(LbGen *g, int idx)
{
    LbFunc *lf = &g->funcs[idx];
    if (lf->static_clo) return lf->static_clo;
    const RirFunc *t = g->rm->funcs[idx];
    const char *disp = display_of(t);
    /* as omni_make_closure: no fast entry for checked parameters (code
     * NULL: every call then reaches the generic entry, which checks) nor
     * with a rest parameter */
    bool fast = !t->has_rest && lf->nchecks == 0;
    LLVMValueRef f[10] = {
        lb_i32(g, OT_CLOSURE), lb_i32(g, OHF_STATIC),
        lf->nchecks ? LLVMConstNull(g->t_ptr) : lf->body, lf->generic,
        lb_i32(g, fast ? t->nparams : -1), lb_i32(g, t->nparams), lb_i32(g, t->has_rest), lb_i32(g, 0),
        lb_cstring(g, disp, strlen(disp)), LLVMConstNull(g->t_ptr),
    };
    LLVMValueRef init = LLVMConstStructInContext(g->ctx, f, 10, false);
    char *name = lb_fmt("%s.%s.clo", g->rm->name, t->name);
    LLVMValueRef gv = LLVMAddGlobal(g->mod, LLVMTypeOf(init), name);
    free(name);
    LLVMSetInitializer(gv, init);
    LLVMSetGlobalConstant(gv, true);
    LLVMSetLinkage(gv, LLVMPrivateLinkage);
    LLVMSetAlignment(gv, 8);
    lf->static_clo = gv;
    return gv;
}

static bool known_target_ok(LbGen *g, const RirInstr *in)
{
    if (in->imm < 0 || in->imm >= g->rm->nfuncs || g->rm->funcs[in->imm]->is_entry || in->nargs < 1) {
        lb_fail(g, "@%s: bad call.known target %lld", g->cur->name, (long long)in->imm);
        return false;
    }
    const RirFunc *callee = g->rm->funcs[in->imm];
    int given = in->nargs - 1, fixed = callee->nparams;
    if (given < fixed || (given > fixed && !callee->has_rest) ||
        ((in->flags & RIF_GUARDED) && (callee->has_rest || callee->nfree != 0 || given != fixed))) {
        lb_fail(g, "@%s: call.known @%s with %d arguments", g->cur->name, callee->name, given);
        return false;
    }
    return true;
}

/* call.known @g %clo(args...): a direct call of a function of this module.
 * Guarded: %clo is any value; the direct call runs only when it is g's
 * static closure (then it is exactly what the call would reach through
 * the closure's fast or generic entry), else the ordinary call does.
 * A guarded self call in a sealed program needs no guard: %clo is then
 * g's own global, which holds g's static closure while g runs
 * (find_callee_gets). */
static bool emit_call_known(LbGen *g, const RirInstr *in, bool tail)
{
    if (!known_target_ok(g, in)) return false;
    if (!tail)
        lb_frame_site(g, in);
    int idx = (int)in->imm;
    bool sealed_self = (in->flags & RIF_GUARDED) && g->callee_self && reg_ok(g, in->args[0]) &&
                       g->callee_self[in->args[0]];
    if (!(in->flags & RIF_GUARDED) || sealed_self) {
        LLVMValueRef self = sealed_self ? static_closure(g, idx) : as_ptr(g, val(g, in->args[0]));
        LLVMValueRef v = build_call_known(g, in, idx, self, tail);
        if (!v) return true;
        set(g, in->dst, v);
        return false;
    }
    LLVMValueRef f = val(g, in->args[0]);
    LLVMValueRef clo = static_closure(g, idx);
    LLVMBasicBlockRef known = LLVMAppendBasicBlockInContext(g->ctx, g->cur_fn, "known");
    LLVMBasicBlockRef other = LLVMAppendBasicBlockInContext(g->ctx, g->cur_fn, "other");
    br_expect(g, LLVMBuildICmp(g->b, LLVMIntEQ, f, LLVMConstPtrToInt(clo, g->t_i64), ""), known, other);

    LLVMPositionBuilderAtEnd(g->b, known);
    LLVMValueRef kv = build_call_known(g, in, idx, clo, tail);
    LLVMBasicBlockRef known_end = LLVMGetInsertBlock(g->b);
    LLVMPositionBuilderAtEnd(g->b, other);
    /* a value loaded from a global: noted here, not at the load
     * (guard_only, lb_facts.c; rt/remember.c "Borrowed") */
    LLVMValueRef nl[1] = { f };
    lb_rt_call(g, "omni_note_load", nl, 1);
    LLVMValueRef ov = build_call(g, in, f, tail);
    if (tail) return true; /* both arms returned */

    set(g, in->dst, join2(g, kv, known_end, ov, LLVMGetInsertBlock(g->b)));
    return false;
}

/* Fixnum + - * and negation allocate only when an operand is a Float (on
 * fixnums they return a fixnum or raise overflow), so a lazy scope region
 * is made (or a pending %0 resolved) for them only when an operand is not
 * a fixnum: a loop counting with fixnums never creates its region.  On fixnums the region passed is
 * NULL, which those helpers never touch. */
static bool fix_only_prim(LbGen *g, const RirInstr *in)
{
    int id = (int)in->imm;
    int r = in->region >= 0 ? in->region : 0;
    return lb_fix_arith(id) &&
           in->nargs >= 1 && (lb_lazy_region(g, r) || (g->maybe_pending && g->maybe_pending[r]));
}

/* Emits the call of a fixed-arity built-in with region argument r. */
static LLVMValueRef fixed_prim_call(LbGen *g, const RirInstr *in, LLVMValueRef fn, LLVMValueRef r)
{
    LLVMValueRef a[8];   /* fixed-arity built-ins take at most 3 (rt/builtins.def) */
    if (in->nargs > 6) {
        lb_fail(g, "@%s: prim %s with %d arguments", g->cur->name, lb_builtin_name((int)in->imm), in->nargs);
        return LLVMGetPoison(g->t_i64);
    }
    a[0] = r;
    a[1] = lb_loc(g, in->span);
    for (int i = 0; i < in->nargs; i++) a[i + 2] = val(g, in->args[i]);
    return LLVMBuildCall2(g->b, LLVMGlobalGetValueType(fn), fn, a, (unsigned)in->nargs + 2, "");
}

/* A fixnum-only prim (see above) in a lazy region: two copies of the
 * inlined helper, one for all-fixnum operands given no region at all (it
 * never touches it: the result is a fixnum or an overflow error), one
 * that makes the region first.  The hot path then tests no region. */
static LLVMValueRef emit_fix_prim(LbGen *g, const RirInstr *in, LLVMValueRef fn)
{
    LLVMValueRef tags = val(g, in->args[0]);
    for (int i = 1; i < in->nargs; i++)
        tags = LLVMBuildAnd(g->b, tags, val(g, in->args[i]), "");
    /* the form the helpers test ((a & b & 1) != 0), so that the inlined
     * helper's own test folds into this one */
    LLVMValueRef all_fix = LLVMBuildICmp(g->b, LLVMIntNE, LLVMBuildAnd(g->b, tags, lb_i64(g, 1), ""),
                                         lb_i64(g, 0), "");
    LLVMBasicBlockRef fast = LLVMAppendBasicBlockInContext(g->ctx, g->cur_fn, "fix");
    LLVMBasicBlockRef slow = LLVMAppendBasicBlockInContext(g->ctx, g->cur_fn, "");
    br_expect(g, all_fix, fast, slow);   /* fixnums expected, as the helpers themselves do */
    LLVMPositionBuilderAtEnd(g->b, fast);
    LLVMValueRef v1 = fixed_prim_call(g, in, fn, LLVMConstNull(g->t_ptr));
    LLVMBasicBlockRef fast_end = LLVMGetInsertBlock(g->b);
    LLVMPositionBuilderAtEnd(g->b, slow);
    /* not all fixnums: Floats inline (the box bump-allocated in the
     * region), the rest the generic operation (rt/hot.c, *_nonfix) */
    int id = (int)in->imm;
    const char *nonfix = id == OMNI_BI_add2 ? "omni_add2_nonfix" : id == OMNI_BI_sub2 ? "omni_sub2_nonfix"
                       : id == OMNI_BI_mul2 ? "omni_mul2_nonfix" : NULL;
    LLVMValueRef v2;
    if (nonfix && in->nargs == 2) {
        LLVMValueRef a[4] = { instr_region(g, in), lb_loc(g, in->span), val(g, in->args[0]),
                              val(g, in->args[1]) };
        v2 = lb_rt_call(g, nonfix, a, 4);
    } else {
        v2 = fixed_prim_call(g, in, fn, instr_region(g, in));
    }
    return join2(g, v1, fast_end, v2, LLVMGetInsertBlock(g->b));
}

/* A short `(list a ...)` is allocated inline rather than by the variadic
 * built-in: its cells are reserved in order (so the spine lies in memory in
 * the order it is walked) in one bump, then filled back to front, exactly
 * what %pair-reserve / %pair-fill do for ir/pass_alloc_order.c. */
enum { LB_INLINE_LIST_MAX = 8 };

/* n fresh list cells in region reg, one bump (omni_pairs_reserve): cell
 * k is the first + 16 k bytes (tagged values: the tag carries over). */
static void reserve_cells(LbGen *g, LLVMValueRef reg, int n, LLVMValueRef *cells)
{
    LLVMValueRef a[2] = { reg, lb_i64(g, (uint64_t)n) };
    LLVMValueRef base = lb_rt_call(g, "omni_pairs_reserve", a, 2);
    for (int k = 0; k < n; k++)
        cells[k] = k == 0 ? base : LLVMBuildAdd(g->b, base, lb_i64(g, (uint64_t)k * sizeof(OPair)), "");
}

static bool emit_inline_list(LbGen *g, const RirInstr *in)
{
    int n = in->nargs;
    if (in->imm != OMNI_BI_list || n < 1 || n > LB_INLINE_LIST_MAX)
        return false;
    bool variadic;
    int arity;
    LLVMValueRef ff = lb_builtin_fn(g, OMNI_BI_pair_fill, &variadic, &arity);
    LLVMValueRef reg = instr_region(g, in), loc = lb_loc(g, in->span);
    LLVMValueRef cells[LB_INLINE_LIST_MAX];
    reserve_cells(g, reg, n, cells);
    LLVMValueRef next = lb_i64(g, OMNI_NIL);
    for (int k = n - 1; k >= 0; k--) {
        LLVMValueRef a[5] = { reg, loc, cells[k], val(g, in->args[k]), next };
        next = LLVMBuildCall2(g->b, LLVMGlobalGetValueType(ff), ff, a, 5, "");
    }
    set(g, in->dst, next);
    return true;
}

static void emit_prim(LbGen *g, const RirInstr *in);

/* A run of `%pair-reserve` in one region (ir/pass_alloc_order.c reserves a
 * list's cells back to back) is one bump of 24 n bytes: omni_pairs_reserve,
 * cell k at the first + 16 k.  Returns how many instructions after b[i] it
 * consumed; other prims are emitted one by one. */
static int emit_reserve_run(LbGen *g, const RirBlock *b, int i)
{
    const RirInstr *in = &b->instrs[i];
    if (in->imm != OMNI_BI_pair_reserve) {
        emit_prim(g, in);
        return 0;
    }
    enum { RUN_MAX = 16 };
    int n = 1;
    while (n < RUN_MAX && i + n < b->n && b->instrs[i + n].op == RIR_PRIM &&
           b->instrs[i + n].imm == OMNI_BI_pair_reserve && b->instrs[i + n].region == in->region)
        n++;
    LLVMValueRef cells[RUN_MAX];
    reserve_cells(g, instr_region(g, in), n, cells);
    for (int k = 0; k < n; k++)
        set(g, b->instrs[i + k].dst, cells[k]);
    return n - 1;
}

/* The prims whose inlined helpers test their operands' fixnum tags: an
 * operand proven a fixnum (lb_fixnum.c) is declared one to LLVM, which
 * then folds the test away; the overflow checks stay. */
static void assume_fixnum_operands(LbGen *g, const RirInstr *in)
{
    switch ((int)in->imm) {
    case OMNI_BI_add2: case OMNI_BI_sub2: case OMNI_BI_mul2: case OMNI_BI_div2: case OMNI_BI_neg:
    case OMNI_BI_numeq2: case OMNI_BI_lt2: case OMNI_BI_gt2: case OMNI_BI_le2: case OMNI_BI_ge2:
        for (int a = 0; a < in->nargs; a++)
            if (lb_fixnum_needs_assume(g->fix_reg, in->args[a]) && reg_ok(g, in->args[a]))
                lb_assume_fixnum(g, val(g, in->args[a]));
        break;
    default:
        break;
    }
}

static void emit_prim(LbGen *g, const RirInstr *in)
{
    if (lb_builtin_flags((int)in->imm) & OBF_CALLS)
        lb_frame_site(g, in); /* map, apply, ...: the functions they call link below */
    if (emit_inline_list(g, in))
        return;
    assume_fixnum_operands(g, in);
    bool variadic;
    int arity;
    LLVMValueRef fn = lb_builtin_fn(g, (int)in->imm, &variadic, &arity);
    LLVMTypeRef ty = LLVMGlobalGetValueType(fn);
    int n = in->nargs;
    if (!variadic && n == arity && fix_only_prim(g, in)) {
        set(g, in->dst, emit_fix_prim(g, in, fn));
        return;
    }
    if (!variadic) {
        if (n != arity)
            lb_fail(g, "@%s: prim %s with %d arguments (takes %d)", g->cur->name,
                    lb_builtin_name((int)in->imm), n, arity);
        else
            set(g, in->dst, fixed_prim_call(g, in, fn, instr_region(g, in)));
        return;
    }
    LLVMValueRef *vals = malloc((size_t)(n + 1) * sizeof *vals);
    if (!vals) abort();
    for (int i = 0; i < n; i++) vals[i] = val(g, in->args[i]);
    LLVMValueRef v[4] = { instr_region(g, in), lb_loc(g, in->span), lb_i64(g, (uint64_t)n), fill_argv(g, vals, n) };
    free(vals);
    set(g, in->dst, LLVMBuildCall2(g->b, ty, fn, v, 4, ""));
}

/* closure.new @g(free...) in %r */
static void emit_closure(LbGen *g, const RirInstr *in)
{
    if (in->imm < 0 || in->imm >= g->rm->nfuncs || g->rm->funcs[in->imm]->is_entry) {
        lb_fail(g, "@%s: bad closure.new target %lld", g->cur->name, (long long)in->imm);
        return;
    }
    const RirFunc *t = g->rm->funcs[in->imm];
    LbFunc *lf = &g->funcs[in->imm];
    if (in->nargs != t->nfree) {
        lb_fail(g, "@%s: closure.new @%s with %d free values (needs %d)", g->cur->name, t->name,
                in->nargs, t->nfree);
        return;
    }
    if (t->nfree == 0) { /* a constant object: nothing to allocate */
        set(g, in->dst, LLVMConstPtrToInt(static_closure(g, (int)in->imm), g->t_i64));
        return;
    }
    const char *disp = t->display ? t->display : t->name;
    LLVMValueRef a[7] = {
        instr_region(g, in), lf->nchecks ? LLVMConstNull(g->t_ptr) : lf->body, lf->generic, lb_i32(g, t->nparams), lb_i32(g, t->has_rest),
        lb_cstring(g, disp, strlen(disp)), lb_i32(g, t->nfree),
    };
    LLVMValueRef clo = lb_rt_call(g, "omni_make_closure", a, 7);
    if (in->nargs > 0) {
        LLVMValueRef p = as_ptr(g, clo);
        for (int i = 0; i < in->nargs; i++) {
            /* The closure was allocated just above and nothing else can see
             * it yet: these initialising stores need no store barrier. */
            LLVMValueRef off = lb_i64(g, offsetof(OClosure, free) + 8 * (size_t)i);
            LLVMBuildStore(g->b, val(g, in->args[i]), LLVMBuildInBoundsGEP2(g->b, g->t_i8, p, &off, 1, ""));
        }
    }
    set(g, in->dst, clo);
}

/* ------------------------------------------------------------ instructions */

static LLVMValueRef param(LbGen *g, int64_t i)
{
    int n = g->cur->nparams + (g->cur->has_rest ? 1 : 0);
    if (!g->cur_is_body || i < 0 || i >= n) {
        lb_fail(g, "@%s: param %lld out of range", g->cur->name, (long long)i);
        return lb_i64(g, OMNI_NOTHING);
    }
    return LLVMGetParam(g->cur_fn, (unsigned)i + 2);
}

/* Emits the instructions of block b.  Stops early after a tail call,
 * which already returned. */
static void emit_block(LbGen *g, const RirBlock *b, int skip_checks)
{
    bool planned = g->frame && b->id >= 0 && b->id < g->nbbs;
    bool in = planned && g->frame_in[b->id];
    const RirInstr *first = planned && !in ? lb_first_framed_call(g->cur, b) : NULL;
    g->frame_linked = in;
    g->loc_framed = in;
    g->frame_site = NULL; /* whatever an earlier block stored */
    if (first)
        lb_frame_push(g, first);
    bool keep = g->frame_linked && g->frame_keep[b->id]; /* across its jump or branch */
    for (int i = 0; i < b->n && !g->err; i++) {
        const RirInstr *in = &b->instrs[i];
        if (i < skip_checks && in->op == RIR_CHECK_PARAM) continue; /* done on entry */
        lb_di_set_loc(g, in->span);
        bool tail = g->cur_is_body && lb_is_tail_call(g->cur, b, i);
        switch ((RirOp)in->op) {
        case RIR_CONST: set(g, in->dst, lb_i64(g, (uint64_t)in->imm)); break;
        case RIR_CONST_FLOAT: set(g, in->dst, lb_const_float(g, in->fimm)); break;
        case RIR_CONST_STR:
        case RIR_CONST_DATUM: set(g, in->dst, lb_const_index(g, in->imm)); break;
        case RIR_CONST_SYM: set(g, in->dst, lb_symbol(g, in->name ? in->name : "")); break;
        case RIR_MOV:
            if (reg_ok(g, in->args[0]) && reg_ok(g, in->dst) &&
                g->cur->reg_kind[in->dst] == RK_REGION) {
                if (lb_lazy_region(g, in->dst) && lb_lazy_region(g, in->args[0]))
                    copy_cell(g, in->dst, in->args[0]);
                else
                    set(g, in->dst, lb_lazy_region(g, in->dst) ? region(g, in->args[0]) : region_handle(g, in->args[0]));
            }
            else
                set(g, in->dst, val(g, in->args[0]));
            break;
        case RIR_PARAM: set(g, in->dst, param(g, in->imm)); break;
        case RIR_SELF:
            /* Without free values the closure is the static one: closure.new
             * never makes another (emit_closure), so a constant the loop
             * guard's eq? can fold against (find_callee_gets) */
            if (g->cur_is_body && g->cur->nfree == 0 && !g->cur->is_entry)
                set(g, in->dst, LLVMConstPtrToInt(static_closure(g, g->cur->index), g->t_i64));
            else
                set(g, in->dst, g->cur_is_body ? LLVMBuildPtrToInt(g->b, LLVMGetParam(g->cur_fn, 1), g->t_i64, "")
                                               : lb_i64(g, OMNI_NOTHING));
            break;
        case RIR_ENV_REF: {
            if (!g->cur_is_body || in->imm < 0 || in->imm >= g->cur->nfree) {
                lb_fail(g, "@%s: env.ref %lld out of range", g->cur->name, (long long)in->imm);
                break;
            }
            LLVMValueRef off = lb_i64(g, offsetof(OClosure, free) + 8 * (uint64_t)in->imm);
            LLVMValueRef p = LLVMBuildInBoundsGEP2(g->b, g->t_i8, LLVMGetParam(g->cur_fn, 1), &off, 1, "");
            set(g, in->dst, LLVMBuildLoad2(g->b, g->t_i64, p, ""));
            break;
        }
        case RIR_GLOBAL_GET: {
            if (g->callee_get && reg_ok(g, in->dst) && g->callee_get[in->dst] == in) {
                set(g, in->dst, g->callee_self[in->dst]
                                    ? LLVMConstPtrToInt(static_closure(g, g->cur->index), g->t_i64)
                                    : LLVMBuildLoad2(g->b, g->t_i64, lb_global_slot(g, in->name), ""));
                break;
            }
            LLVMValueRef a[2] = { lb_global_slot(g, in->name), lb_loc(g, in->span) };
            bool callee_only = g->guard_only && reg_ok(g, in->dst) && g->guard_only[in->dst];
            LLVMValueRef got = lb_rt_call(g, callee_only ? "omni_global_get_callee" : "omni_global_get", a, 2);
            uint64_t k; /* a sealed constant: bound to it, or the get raised (lb_fixnum.c) */
            set(g, in->dst, lb_fixnum_global(g, in->name, &k) ? lb_i64(g, k) : got);
            break;
        }
        case RIR_GLOBAL_SET: {
            LLVMValueRef a[3] = { lb_global_slot(g, in->name), val(g, in->args[0]), lb_loc(g, in->span) };
            lb_rt_call(g, "omni_global_set", a, 3);
            set(g, in->dst, lb_i64(g, OMNI_NOTHING));
            break;
        }
        case RIR_GLOBAL_DEF: {
            LLVMValueRef a[2] = { lb_global_slot(g, in->name), val(g, in->args[0]) };
            lb_rt_call(g, "omni_global_def", a, 2);
            set(g, in->dst, lb_i64(g, OMNI_NOTHING));
            break;
        }
        case RIR_BOX_NEW: {
            LLVMValueRef a[2] = { instr_region(g, in), val(g, in->args[0]) };
            set(g, in->dst, lb_rt_call(g, "omni_box_new", a, 2));
            break;
        }
        case RIR_ADMIT: {
            /* a proven fixnum needs no check (docs/CTRR.md, "Admission") */
            if (g->fix_reg && reg_ok(g, in->args[0]) && g->fix_reg[in->args[0]]) {
                set(g, in->dst, val(g, in->args[0]));
                break;
            }
            LLVMValueRef a[2] = { instr_region(g, in), val(g, in->args[0]) };
            set(g, in->dst, lb_rt_call(g, "omni_admit", a, 2));
            break;
        }
        case RIR_BOX_GET: {
            LLVMValueRef a[1] = { val(g, in->args[0]) };
            set(g, in->dst, lb_rt_call(g, "omni_box_get", a, 1));
            break;
        }
        case RIR_BOX_SET: {
            LLVMValueRef a[2] = { val(g, in->args[0]), val(g, in->args[1]) };
            lb_rt_call(g, "omni_box_set", a, 2);
            set(g, in->dst, lb_i64(g, OMNI_NOTHING));
            break;
        }
        case RIR_CLOSURE_NEW: emit_closure(g, in); break;
        case RIR_CALL:
            if (in->nargs < 1) { lb_fail(g, "@%s: call without a callee", g->cur->name); break; }
            if (emit_call(g, in, tail)) return;
            break;
        case RIR_CALL_KNOWN:
            if (emit_call_known(g, in, tail)) return;
            break;
        case RIR_PRIM:
            i += emit_reserve_run(g, b, i);
            break;
        case RIR_CHECK_PARAM: { /* one the prologue scan could not hoist */
            LLVMValueRef v = val(g, in->args[0]);
            emit_param_check(g, v, (int)in->imm, display_of(g->cur), in->name ? in->name : "?",
                             lb_loc(g, in->span));
            set(g, in->dst, v);
            break;
        }
        case RIR_REGION_NEW: {
            if (lb_lazy_region(g, in->dst)) { /* made at its first use, if any */
                if (!g->unused_lazy[in->dst])
                    lazy_region_new(g, in);
                break;
            }
            /* the location names the region-creating site in --region-stats */
            LLVMValueRef a[2] = { region_use(g, in->region >= 0 ? in->region : in->nargs > 0 ? in->args[0] : 0),
                                  lb_loc(g, in->span) };
            set(g, in->dst, lb_rt_call(g, "omni_region_new_at", a, 2));
            break;
        }
        case RIR_REGION_EXIT: case RIR_RETAIN: case RIR_RELEASE: case RIR_TETHER: case RIR_UNTETHER: {
            static const char *const fns[] = {
                [RIR_REGION_EXIT] = "omni_region_exit", [RIR_RETAIN] = "omni_region_retain",
                [RIR_RELEASE] = "omni_region_release", [RIR_TETHER] = "omni_region_tether",
                [RIR_UNTETHER] = "omni_region_untether",
            };
            int rr = in->region >= 0 ? in->region : (in->nargs > 0 ? in->args[0] : 0);
            if (in->op == RIR_REGION_EXIT && rr > 0 && rr < g->cur->nregs && g->unused_lazy[rr])
                break;                             /* never made: no cell at all */
            LLVMBasicBlockRef skip = NULL;
            if (in->op == RIR_REGION_EXIT)
                if_region_made(g, rr, &skip);      /* never made: nothing to exit */
            LLVMValueRef a[1] = { in->op == RIR_REGION_EXIT ? region_operand(g, in) : region_use(g, rr) };
            lb_rt_call(g, fns[in->op], a, 1);
            end_if_region_made(g, skip);
            break;
        }
        case RIR_REGION_GLOBAL:
            set(g, in->dst, lb_rt_call(g, "omni_region_global", NULL, 0));
            break;
        case RIR_TRANSMIGRATE: {
            if (in->region < 0 || in->region2 < 0 || in->nargs < 1) {
                lb_fail(g, "@%s: transmigrate needs a value, from and to", g->cur->name);
                break;
            }
            /* from a region never made: nothing to move */
            set(g, in->dst, val(g, in->args[0]));
            LLVMBasicBlockRef skip;
            if_region_made(g, in->region2, &skip);
            LLVMValueRef a[3] = { val(g, in->args[0]), region(g, in->region2), region_use(g, in->region) };
            set(g, in->dst, lb_rt_call(g, "omni_transmigrate", a, 3));
            end_if_region_made(g, skip);
            break;
        }
        case RIR_REGION_CARRY: case RIR_REGION_LEAVE: {
            /* a carry region never made holds nothing to carry or leave */
            int kr = in->region >= 0 ? in->region : (in->nargs > 0 ? in->args[0] : 0);
            if (in->op == RIR_REGION_CARRY && in->dst >= 0 && in->dst != kr) {
                if (lb_lazy_region(g, in->dst) && lb_lazy_region(g, kr))
                    copy_cell(g, in->dst, kr);
                else
                    set(g, in->dst, region(g, kr));
            }
            LLVMBasicBlockRef skip;
            if_region_made(g, kr, &skip);
            /* the values go through the argument buffer, which the runtime
             * rewrites in place with their moved copies */
            LLVMValueRef *vals = malloc(((size_t)in->nargs + 1) * sizeof *vals);
            if (!vals) abort();
            for (int i = 0; i < in->nargs; i++) vals[i] = val(g, in->args[i]);
            LLVMValueRef argv = fill_argv(g, vals, in->nargs);
            free(vals);
            LLVMValueRef a[4] = { region_operand(g, in), region_use(g, in->region2), lb_i64(g, (uint64_t)in->nargs),
                                  argv };
            if (in->op == RIR_REGION_CARRY)
                set(g, in->dst, lb_rt_call(g, "omni_region_carry", a, 4));
            else
                lb_rt_call(g, "omni_region_leave", a, 4);
            for (int i = 0; i < in->nargs; i++) {
                LLVMValueRef idx = lb_i64(g, (uint64_t)i);
                set(g, in->args[i], LLVMBuildLoad2(g->b, g->t_i64,
                    LLVMBuildGEP2(g->b, g->t_i64, g->argv_buf, &idx, 1, ""), ""));
            }
            end_if_region_made(g, skip);
            break;
        }
        case RIR_JMP: {
            int t = in->target[0];
            if (t < 0 || t >= g->nbbs || !g->bbs[t]) { lb_fail(g, "@%s: bad jump target", g->cur->name); return; }
            if (!keep)
                lb_frame_pop(g);
            LLVMBuildBr(g->b, g->bbs[t]);
            return;
        }
        case RIR_BR: {
            int t = in->target[0], e = in->target[1];
            if (t < 0 || t >= g->nbbs || !g->bbs[t] || e < 0 || e >= g->nbbs || !g->bbs[e]) {
                lb_fail(g, "@%s: bad branch target", g->cur->name);
                return;
            }
            /* truthy: neither false nor nothing */
            LLVMValueRef v = val(g, in->args[0]);
            LLVMValueRef c = LLVMBuildAnd(g->b,
                LLVMBuildICmp(g->b, LLVMIntNE, v, lb_i64(g, OMNI_FALSE), ""),
                LLVMBuildICmp(g->b, LLVMIntNE, v, lb_i64(g, OMNI_NOTHING), ""), "");
            if (!keep)
                lb_frame_pop(g);
            LLVMBuildCondBr(g->b, c, g->bbs[t], g->bbs[e]);
            return;
        }
        case RIR_RET:
            emit_ret(g, in->nargs > 0 ? val(g, in->args[0]) : lb_i64(g, OMNI_NOTHING));
            return;
        default:
            lb_fail(g, "@%s: unknown op %d", g->cur->name, (int)in->op);
            return;
        }
    }
    lb_fail(g, "@%s: block bb%d does not end in a terminator", g->cur->name, b->id);
}

/* Upper bound of the argument buffer one function needs. */
static int argv_need(const RirFunc *f)
{
    int need = 0;
    for (int k = 0; k < f->nblocks; k++)
        for (int i = 0; i < f->blocks[k]->n; i++) {
            const RirInstr *in = &f->blocks[k]->instrs[i];
            if (in->op == RIR_CALL || in->op == RIR_CALL_KNOWN || in->op == RIR_PRIM ||
                in->op == RIR_REGION_CARRY || in->op == RIR_REGION_LEAVE)
                if (in->nargs > need) need = in->nargs;
        }
    return need;
}

/* The resolving entry of a split function (wants_inner). */
static void emit_resolving_entry(LbGen *g, const RirFunc *f, LbFunc *lf)
{
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(g->ctx, lf->body, "entry");
    LLVMPositionBuilderAtEnd(g->b, entry);
    LLVMSetCurrentDebugLocation2(g->b, NULL);
    int total = f->nparams + (f->has_rest ? 1 : 0);
    unsigned n = LLVMCountParams(lf->body);
    LLVMValueRef *a = malloc((size_t)n * sizeof *a);
    if (!a) abort();
    for (unsigned i = 0; i < n; i++)
        a[i] = LLVMGetParam(lf->body, i);
    a[0] = lb_rt_call(g, "omni_region_resolve", a, 1);
    LLVMValueRef c = LLVMBuildCall2(g->b, lf->body_ty, lf->inner, a, n, "");
    fast_call_conv(c, total);
    mark_tail(c, true);
    LLVMBuildRet(g->b, c);
    free(a);
}

static void emit_body(LbGen *g, const RirFunc *f, LbFunc *lf, LLVMValueRef fn, LLVMMetadataRef sp);

static void emit_func(LbGen *g, const RirFunc *f, LbFunc *lf)
{
    g->cur = f;
    g->cur_is_body = !f->is_entry;
    if (f->nregs < 1 || f->nblocks < 1) {
        lb_fail(g, "@%s: no registers or no blocks", f->name);
        return;
    }
    /* top-level code: the entry and the wrappers of top-level forms (ir/lower.c) */
    g->loc_fn = f->is_entry || f == g->rm->entry || strcmp(display_of(f), "toplevel") == 0
                    ? "<top>" : display_of(f);
    g->loc_framed = false;
    if (lf->inner) {
        g->cur_sp = NULL;
        emit_resolving_entry(g, f, lf);
    }
    emit_body(g, f, lf, lf->inner ? lf->inner : lf->body, lf->sp);
    if (lf->twin && !g->err) {
        g->in_twin = true;
        emit_body(g, f, lf, lf->twin, lf->twin_sp);
        g->in_twin = false;
    }
}

/* The body proper of f into fn (its main copy, or its twin). */
static void emit_body(LbGen *g, const RirFunc *f, LbFunc *lf, LLVMValueRef fn, LLVMMetadataRef sp)
{
    g->cur_fn = fn;
    g->cur_sp = sp;
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(g->ctx, g->cur_fn, "entry");
    LLVMPositionBuilderAtEnd(g->b, entry);
    lb_di_set_loc(g, f->span);

    g->nbbs = 0;
    for (int k = 0; k < f->nblocks; k++)
        if (f->blocks[k]->id + 1 > g->nbbs) g->nbbs = f->blocks[k]->id + 1;
    g->bbs = calloc((size_t)g->nbbs, sizeof *g->bbs);
    g->regs = calloc((size_t)f->nregs, sizeof *g->regs);
    if (!g->bbs || !g->regs) abort();
    lb_find_lazy_regions(g, f);
    lb_find_unused_lazy(g, f);
    lb_find_maybe_pending(g, f);
    if (lf->inner)
        g->maybe_pending[0] = 0; /* resolved by the entry that wraps this body */
    lb_find_callee_gets(g, f);
    g->fix_reg = lb_fixnum_regs(g, f, lf);
    for (int k = 0; k < f->nblocks; k++)
        if (f->blocks[k]->id >= 0) g->bbs[f->blocks[k]->id] = LLVMAppendBasicBlockInContext(g->ctx, g->cur_fn, "");

    for (int r = 0; r < f->nregs; r++)
        g->regs[r] = LLVMBuildAlloca(g->b, lb_lazy_region(g, r) ? g->t_pending
                                           : f->reg_kind[r] == RK_REGION ? g->t_ptr : g->t_i64, "");
    g->argv_cap = argv_need(f);
    g->argv_buf = g->argv_cap ? LLVMBuildArrayAlloca(g->b, g->t_i64, lb_i64(g, (uint64_t)g->argv_cap), "argv") : NULL;
    LLVMBuildStore(g->b, LLVMGetParam(g->cur_fn, 0), g->regs[0]);
    g->frame = NULL;
    if (lf->framed) {
        lb_frame_alloc(g);
        lb_plan_frame(g, f);
    }
    if (f->is_entry) /* the module's symbols, data and slots exist from here on */
        g->init_call = LLVMBuildCall2(g->b, LLVMGlobalGetValueType(g->init_fn), g->init_fn, NULL, 0, "");
    LLVMBuildBr(g->b, g->bbs[f->blocks[0]->id]);

    for (int k = 0; k < f->nblocks && !g->err; k++) {
        LLVMPositionBuilderAtEnd(g->b, g->bbs[f->blocks[k]->id]);
        emit_block(g, f->blocks[k], k == 0 ? lf->prologue : 0);
    }
    free(g->bbs);
    free(g->regs);
    free(g->lazy_new);
    free(g->maybe_pending);
    g->maybe_pending = NULL;
    free(g->unused_lazy);
    g->unused_lazy = NULL;
    free(g->callee_get);
    free(g->guard_only);
    g->guard_only = NULL;
    free(g->callee_self);
    free(g->fix_reg);
    g->fix_reg = NULL;
    g->callee_get = NULL;
    g->callee_self = NULL;
    g->bbs = NULL;
    g->regs = NULL;
    g->lazy_new = NULL;
    g->frame = NULL;
    g->frame_linked = false;
    g->loc_framed = false;
    free(g->frame_in);
    free(g->frame_keep);
    g->frame_in = g->frame_keep = NULL;
}

/* The generic entry: C convention, any argument count. */
static void emit_generic(LbGen *g, const RirFunc *f, LbFunc *lf)
{
    LLVMValueRef fn = lf->generic;
    g->cur = f;
    g->cur_fn = fn; /* the checks add blocks to it */
    LLVMValueRef r = LLVMGetParam(fn, 0), self = LLVMGetParam(fn, 1), loc = LLVMGetParam(fn, 2);
    LLVMValueRef argc = LLVMGetParam(fn, 3), argv = LLVMGetParam(fn, 4);
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(g->ctx, fn, "");
    LLVMBasicBlockRef bad = LLVMAppendBasicBlockInContext(g->ctx, fn, "arity");
    LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(g->ctx, fn, "");
    LLVMPositionBuilderAtEnd(g->b, entry);
    g->cur_sp = NULL; /* no subprogram of its own: a thin shim, no line info */
    lb_di_set_loc(g, f->span);
    LLVMValueRef n = lb_i64(g, (uint64_t)f->nparams);
    LLVMValueRef good = LLVMBuildICmp(g->b, f->has_rest ? LLVMIntSGE : LLVMIntEQ, argc, n, "");
    LLVMBuildCondBr(g->b, good, ok, bad);

    LLVMPositionBuilderAtEnd(g->b, bad);
    LLVMValueRef ea[3] = { loc, LLVMBuildPtrToInt(g->b, self, g->t_i64, ""), argc };
    lb_rt_call(g, "omni_err_arity", ea, 3);
    LLVMBuildUnreachable(g->b);

    LLVMPositionBuilderAtEnd(g->b, ok);
    int total = f->nparams + (f->has_rest ? 1 : 0);
    LLVMValueRef *a = malloc((size_t)(fast_arity(total) + 2) * sizeof *a);
    if (!a) abort();
    a[0] = r;
    a[1] = self;
    for (int i = 0; i < f->nparams; i++) {
        LLVMValueRef idx = lb_i64(g, (uint64_t)i);
        a[i + 2] = LLVMBuildLoad2(g->b, g->t_i64, LLVMBuildGEP2(g->b, g->t_i64, argv, &idx, 1, ""), "");
    }
    if (f->has_rest) {
        bool va; int ar;
        LLVMValueRef lf2 = lb_builtin_fn(g, OMNI_BI_list, &va, &ar);
        LLVMValueRef la[4] = { r, loc, LLVMBuildSub(g->b, argc, n, ""),
                               LLVMBuildGEP2(g->b, g->t_i64, argv, &n, 1, "") };
        a[total + 1] = LLVMBuildCall2(g->b, LLVMGlobalGetValueType(lf2), lf2, la, 4, "");
    }
    emit_entry_checks(g, f, lf, a + 2, loc);
    LLVMValueRef c = LLVMBuildCall2(g->b, lf->body_ty, lf->body, a, fast_args(g, a, total), "");
    fast_call_conv(c, total);
    /* Keep the body out of the wrapper: a copy of every body would double
     * what the optimiser and code generator chew through, and the generic
     * path (apply, map, ...) pays a direct call only. */
    LLVMAddCallSiteAttribute(c, LLVMAttributeFunctionIndex,
        LLVMCreateEnumAttribute(g->ctx, LLVMGetEnumAttributeKindForName("noinline", 8), 0));
    LLVMBuildRet(g->b, c);
    free(a);
}

static void declare_funcs(LbGen *g, const char *entry_name)
{
    const RirModule *rm = g->rm;
    for (int i = 0; i < lb_func_count(rm); i++) {
        const RirFunc *f = lb_func_at(rm, i);
        LbFunc *lf = &g->funcs[i];
        lf->framed = g->opt && g->opt->backtrace && lb_wants_frame(f);
        if (f->is_entry || f == rm->entry) {
            LLVMTypeRef p[1] = { g->t_ptr };
            lf->body_ty = LLVMFunctionType(g->t_i64, p, 1, false);
            lf->body = LLVMAddFunction(g->mod, entry_name, lf->body_ty);
            lb_di_func(g, lf, f->display ? f->display : f->name, entry_name, f->span);
            continue;
        }
        scan_checks(f, lf);
        char *name = lb_fmt("%s.%s", rm->name, f->name);
        lf->body_ty = fast_type(g, f->nparams + (f->has_rest ? 1 : 0));
        lf->body = LLVMAddFunction(g->mod, name, lf->body_ty);
        LLVMSetFunctionCallConv(lf->body, fast_cc(f->nparams + (f->has_rest ? 1 : 0)));
        LLVMSetLinkage(lf->body, LLVMInternalLinkage);
        char *gname = lb_fmt("%s.generic", name);
        lf->generic = LLVMAddFunction(g->mod, gname, g->t_generic);
        LLVMSetLinkage(lf->generic, LLVMInternalLinkage);
        LLVMValueRef outer = lf->body;
        if (lb_wants_inner(rm, f, i)) {
            char *iname = lb_fmt("%s.inner", name);
            lf->inner = LLVMAddFunction(g->mod, iname, lf->body_ty);
            LLVMSetFunctionCallConv(lf->inner, fast_cc(f->nparams + (f->has_rest ? 1 : 0)));
            LLVMSetLinkage(lf->inner, LLVMInternalLinkage);
            free(iname);
            lf->body = lf->inner; /* the subprogram goes with the code */
        }
        lb_di_func(g, lf, f->display ? f->display : f->name, name, f->span);
        if (lb_wants_twin(g, f, i)) {
            LLVMMetadataRef sp = lf->sp;
            char *tname = lb_fmt("%s.twin", name);
            lf->twin = LLVMAddFunction(g->mod, tname, lf->body_ty);
            LLVMSetFunctionCallConv(lf->twin, fast_cc(f->nparams + (f->has_rest ? 1 : 0)));
            LLVMSetLinkage(lf->twin, LLVMInternalLinkage);
            LLVMAddAttributeAtIndex(lf->twin, LLVMAttributeFunctionIndex,
                LLVMCreateEnumAttribute(g->ctx, LLVMGetEnumAttributeKindForName("alwaysinline", 12), 0));
            lf->body = lf->twin;
            lb_di_func(g, lf, f->display ? f->display : f->name, tname, f->span);
            lf->twin_sp = lf->sp;
            lf->sp = sp;
            free(tname);
        }
        lf->body = outer;
        free(gname);
        free(name);
    }
}

LLVMModuleRef lb_build_module(LLVMContextRef ctx, const RirModule *rm, const LbOptions *opt,
                              LbTarget target, const char *triple, const char *layout,
                              char **err)
{
    LbGen gen, *g = &gen;
    memset(g, 0, sizeof *g);
    g->ctx = ctx;
    g->rm = rm;
    g->opt = opt;
    g->target = target;
    init_types(g);
    if (!rm->entry) {
        *err = lb_strdup("internal error: llvm backend: module has no entry function");
        return NULL;
    }
    g->mod = LLVMModuleCreateWithNameInContext(rm->name, ctx);
    LLVMSetTarget(g->mod, triple);
    LLVMSetDataLayout(g->mod, layout);
    g->b = LLVMCreateBuilderInContext(ctx);
    g->funcs = calloc((size_t)rm->nfuncs + 1, sizeof *g->funcs);
    g->const_vals = calloc((size_t)rm->nconsts + 1, sizeof *g->const_vals);
    if (!g->funcs || !g->const_vals) abort();

    lb_di_begin(g);
    char *entry_name = lb_entry_name(rm, opt);
    declare_funcs(g, entry_name);
    free(entry_name);
    lb_find_fixnum_returns(g);
    lb_find_result_free(g);
    lb_init_begin(g);
    for (int i = 0; i < lb_func_count(rm) && !g->err; i++) {
        const RirFunc *f = lb_func_at(rm, i);
        emit_func(g, f, &g->funcs[i]);
        if (!f->is_entry && f != rm->entry && !g->err) emit_generic(g, f, &g->funcs[i]);
    }
    g->loc_fn = NULL;
    g->loc_framed = false;
    if (!g->err) {
        lb_di_set_loc(g, (Span){ 0 });
        g->cur_sp = NULL;
        lb_init_finish(g);
    }
    lb_di_finish(g);

    LLVMDisposeBuilder(g->b);
    lb_gen_free_consts(g);
    lb_fixnum_free(g);
    for (int i = 0; i < lb_func_count(rm); i++) free(g->funcs[i].checks);
    free(g->funcs);
    if (g->err) {
        LLVMDisposeModule(g->mod);
        *err = g->err;
        return NULL;
    }
    return g->mod;
}
