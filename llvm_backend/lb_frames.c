/* lb_frames.c — backtrace frames: the shadow OmniFrame chain compiled
 * functions keep for runtime errors' backtraces (docs/RUNTIME.md,
 * "Backtraces"), when LbOptions.backtrace is on.  Split from lb_emit.c. */
#include "lb_internal.h"

#include <stdlib.h>
#include <string.h>

/*
 * A function that makes non-tail calls (or calls a built-in that calls
 * function values) keeps an OmniFrame { prev, site } (rt/omni.h) in its
 * stack frame, linked into the thread's list (omni_tl_frames) only on the
 * paths that make such calls (shrink-wrapped per Region IR block, see
 * plan_frame: the base case of a recursion pays nothing): linked at the
 * start of the first block that calls, with the site of that call, `site`
 * set to the call's constant OmniLoc before each later one, and unlinked
 * before a return, a tail call (whose callee takes this frame's place) or
 * a jump to a block that is also entered unlinked (a loop's back edge).
 * The locations in linked code say so (OmniLoc.framed): an error there
 * skips the frame's stale site.  Leaf and tail-calling-only functions keep
 * no frame at all. */

bool lb_is_tail_call(const RirFunc *f, const RirBlock *b, int i)
{
    const RirInstr *in = &b->instrs[i];
    return !f->is_entry && (in->flags & RIF_TAIL) && in->dst >= 0 && lb_returns_reg(f, b, i + 1, in->dst);
}

/* The first instruction of block b that needs the frame linked (a
 * non-tail call, a built-in that calls functions), or NULL. */
const RirInstr *lb_first_framed_call(const RirFunc *f, const RirBlock *b)
{
    for (int i = 0; i < b->n; i++) {
        const RirInstr *in = &b->instrs[i];
        if ((in->op == RIR_CALL || in->op == RIR_CALL_KNOWN) && !lb_is_tail_call(f, b, i))
            return in;
        if (in->op == RIR_PRIM && (lb_builtin_flags((int)in->imm) & OBF_CALLS))
            return in;
    }
    return NULL;
}

/* Which blocks run with the frame linked (g->frame_in, by block id) and
 * which stay linked across their jump or branch (g->frame_keep).  A block
 * is entered linked when every predecessor leaves it linked; a block that
 * calls and was entered unlinked links itself; a linked block stays linked
 * when all its successors are entered linked, else it unlinks before its
 * jump.  The greatest such solution (from "all linked" down), so a join
 * after calls on every path links once. */
void lb_plan_frame(LbGen *g, const RirFunc *f)
{
    int n = g->nbbs;
    g->frame_in = calloc((size_t)n, 1);
    g->frame_keep = calloc((size_t)n, 1);
    uint8_t *need = calloc((size_t)n, 1), *haspred = calloc((size_t)n, 1);
    if (!g->frame_in || !g->frame_keep || !need || !haspred) abort();
    for (int k = 0; k < f->nblocks; k++) {
        const RirBlock *b = f->blocks[k];
        if (b->id < 0 || b->id >= n) continue;
        need[b->id] = lb_first_framed_call(f, b) != NULL;
        g->frame_in[b->id] = g->frame_keep[b->id] = 1;
        const RirInstr *t = b->n ? &b->instrs[b->n - 1] : NULL;
        for (int j = 0; t && (t->op == RIR_JMP || t->op == RIR_BR) && j < (t->op == RIR_BR ? 2 : 1); j++)
            if (t->target[j] >= 0 && t->target[j] < n) haspred[t->target[j]] = 1;
    }
    for (int id = 0; id < n; id++)
        if (!haspred[id]) g->frame_in[id] = 0;
    if (f->nblocks > 0 && f->blocks[0]->id >= 0 && f->blocks[0]->id < n)
        g->frame_in[f->blocks[0]->id] = 0;       /* the function is entered unlinked */
    for (bool changed = true; changed;) {
        changed = false;
        for (int k = 0; k < f->nblocks; k++) {
            const RirBlock *b = f->blocks[k];
            if (b->id < 0 || b->id >= n || !b->n) continue;
            const RirInstr *t = &b->instrs[b->n - 1];
            int ns = t->op == RIR_BR ? 2 : t->op == RIR_JMP ? 1 : 0;
            bool keep = g->frame_in[b->id] || need[b->id];
            for (int j = 0; j < ns; j++)
                if (t->target[j] < 0 || t->target[j] >= n || !g->frame_in[t->target[j]]) keep = false;
            if (keep != g->frame_keep[b->id]) {
                g->frame_keep[b->id] = keep;
                changed = true;
            }
            for (int j = 0; j < ns && !keep; j++) /* this block leaves unlinked */
                if (t->target[j] >= 0 && t->target[j] < n && g->frame_in[t->target[j]]) {
                    g->frame_in[t->target[j]] = 0;
                    changed = true;
                }
        }
    }
    free(need);
    free(haspred);
}

bool lb_wants_frame(const RirFunc *f)
{
    for (int k = 0; k < f->nblocks; k++)
        if (lb_first_framed_call(f, f->blocks[k]))
            return true;
    return false;
}

/* Where omni_tl_frames is: an object file names the runtime's variable
 * (local-exec TLS, one instruction: the module and the runtime library
 * always end up in one executable); JIT code, which runs in this process, adds the
 * variable's offset to the thread pointer (fs-relative address space 257
 * on x86-64: one instruction) — no TLS relocation for the JIT to resolve. */
static LLVMValueRef frames_head(LbGen *g)
{
    if (g->target == LB_FOR_AOT) {
        LLVMValueRef gv = LLVMGetNamedGlobal(g->mod, "omni_tl_frames");
        if (!gv) {
            gv = LLVMAddGlobal(g->mod, g->t_ptr, "omni_tl_frames");
            LLVMSetThreadLocal(gv, 1);
            LLVMSetThreadLocalMode(gv, LLVMLocalExecTLSModel);
        }
        return gv;
    }
    LLVMValueRef off = lb_i64(g, (uint64_t)omni_frames_tls_offset());
    const char *triple = LLVMGetTarget(g->mod);
    if (strncmp(triple, "x86_64", 6) == 0)
        return LLVMConstIntToPtr(off, LLVMPointerTypeInContext(g->ctx, 257));
    unsigned id = LLVMLookupIntrinsicID("llvm.thread.pointer", 19);
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(g->mod, id, NULL, 0);
    LLVMValueRef tp = LLVMBuildCall2(g->b, LLVMGlobalGetValueType(fn), fn, NULL, 0, "tp");
    return LLVMBuildGEP2(g->b, g->t_i8, tp, &off, 1, "frames");
}

static LLVMValueRef frame_field(LbGen *g, unsigned k)
{
    LLVMTypeRef t[2] = { g->t_ptr, g->t_ptr };
    return LLVMBuildStructGEP2(g->b, LLVMStructTypeInContext(g->ctx, t, 2, false), g->frame, k, "");
}

/* In the entry block: the frame's memory. */
void lb_frame_alloc(LbGen *g)
{
    LLVMTypeRef t[2] = { g->t_ptr, g->t_ptr };
    g->frame = LLVMBuildAlloca(g->b, LLVMStructTypeInContext(g->ctx, t, 2, false), "frame");
    g->frames_head = frames_head(g);
}

/* At the start of a block that makes calls: the frame linked, its site
 * the block's first call.  The release store keeps the frame's own stores
 * before it, so a stack overflow faulting on them finds the list still
 * ending at the caller's frame. */
void lb_frame_push(LbGen *g, const RirInstr *first)
{
    g->frame_linked = true;
    g->loc_framed = true;
    g->frame_site = lb_loc(g, first->span);
    LLVMBuildStore(g->b, LLVMBuildLoad2(g->b, g->t_ptr, g->frames_head, "prev"), frame_field(g, 0));
    LLVMBuildStore(g->b, g->frame_site, frame_field(g, 1));
    LLVMValueRef st = LLVMBuildStore(g->b, g->frame, g->frames_head);
    LLVMSetOrdering(st, LLVMAtomicOrderingRelease);
    LLVMSetAlignment(st, 8);
}

/* Before the block's exits (the block ends after it: no state change). */
void lb_frame_pop(LbGen *g)
{
    if (g->frame_linked)
        LLVMBuildStore(g->b, LLVMBuildLoad2(g->b, g->t_ptr, frame_field(g, 0), ""), g->frames_head);
}

/* Before a non-tail call: the call this frame is making. */
void lb_frame_site(LbGen *g, const RirInstr *in)
{
    if (!g->frame_linked)
        return;
    LLVMValueRef loc = lb_loc(g, in->span);
    if (loc != g->frame_site)
        LLVMBuildStore(g->b, loc, frame_field(g, 1));
    g->frame_site = loc;
}

