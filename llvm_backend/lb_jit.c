/* lb_jit.c — the ORC LLJIT behind omni-jit.
 *
 * One LLJIT and one thread-safe LLVM context per LbJit (the tool makes one
 * per process).  Runtime symbols come from the process itself (the tools
 * export them).  Each lb_jit_add compiles one RIR module (a REPL input or a
 * whole file) into one LLVM module, links in (above -O0) a clone of the
 * hot bitcode parsed once for the context, optimises it, adds it under its
 * own resource tracker and looks up its entry, which makes ORC compile it
 * right away.  Per-module overhead dominates REPL latency, so everything
 * that can be done once (target machine, bitcode parse) is done in
 * lb_jit_new.  -O0 is omni-jit's default, the quick tier: no hot bitcode,
 * FastISel, the small code model (docs/ARCHITECTURE.md, "The JIT").
 * With LbOptions.jit_debugger or perf_map, ORC's debugger support plugin
 * hands a copy of every linked object, its sections patched to their load
 * addresses, to the GDB JIT interface (__jit_debug_descriptor, defined in
 * libLLVM); the perf map is read from those same copies.
 * With OMNI_LB_TIMES set in the environment, each add prints the CPU time
 * of its phases on stderr (CPU, not wall: the numbers stay meaningful on a
 * loaded machine).
 */
#include "lb_internal.h"

#include <llvm-c/BitReader.h>
#include <llvm-c/BitWriter.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/LLJITUtils.h>
#include <llvm-c/Object.h>
#include <llvm-c/Orc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The GDB JIT interface (gdb/jit.h): a list of in-memory object files,
 * newest first; ORC's registrar (in libLLVM) owns the descriptor. */
struct jit_code_entry {
    struct jit_code_entry *next_entry, *prev_entry;
    const char *symfile_addr;
    uint64_t symfile_size;
};
struct jit_descriptor {
    uint32_t version, action_flag;
    struct jit_code_entry *relevant_entry, *first_entry;
};
extern struct jit_descriptor __jit_debug_descriptor;

struct LbJit {
    LbOptions opt;
    LLVMOrcLLJITRef jit;
    LLVMOrcThreadSafeContextRef tsctx;
    LLVMContextRef ctx;
    LLVMTargetMachineRef tm;   /* for the optimisation pipeline's cost model */
    char *triple, *layout;
    LbHot *hot;
    LLVMMemoryBufferRef last_bc; /* bitcode of the last module, for lb_jit_last_ir */
    bool keep_ir;              /* keep last_bc (lb_jit_keep_ir) */
    bool times;                /* OMNI_LB_TIMES set: per-phase times on stderr */
    LLVMOrcResourceTrackerRef *rts;
    size_t nrts, caprts;
    FILE *perf_map;            /* /tmp/perf-PID.map, or NULL */
    struct jit_code_entry *perf_seen; /* newest object already in the map */
};

static double ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static char *take_error(LLVMErrorRef e, const char *what)
{
    char *msg = LLVMGetErrorMessage(e);
    char *s = lb_fmt("internal error: llvm backend: %s: %s", what, msg);
    LLVMDisposeErrorMessage(msg);
    return s;
}

LbJit *lb_jit_new(const LbOptions *opt, char **err)
{
    LbJit *j = calloc(1, sizeof *j);
    if (!j) abort();
    j->opt = *opt;
    j->opt.entry_symbol = NULL; /* JIT entries are always <module>.entry */
    j->times = getenv("OMNI_LB_TIMES") != NULL;
    j->keep_ir = true;

    /* The small code model, as LLJIT picks for JITLink when left alone:
     * JITLink puts an object's sections in one slab and reaches the
     * process's runtime through GOT entries and stubs.  The large model
     * would make FastISel give every call to SelectionDAG, which doubles
     * the -O0 code generation time of the REPL. */
    LLVMTargetMachineRef jtm = lb_host_tm(opt->opt_level, false, err);
    if (!jtm) goto fail;
    LLVMOrcLLJITBuilderRef builder = LLVMOrcCreateLLJITBuilder();
    LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(builder,
        LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(jtm)); /* takes jtm */
    LLVMErrorRef e = LLVMOrcCreateLLJIT(&j->jit, builder);         /* takes builder */
    if (e) { *err = take_error(e, "cannot create the JIT"); j->jit = NULL; goto fail; }

    LLVMOrcDefinitionGeneratorRef gen;
    e = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(&gen, LLVMOrcLLJITGetGlobalPrefix(j->jit),
                                                             NULL, NULL);
    if (e) { *err = take_error(e, "cannot search the process for runtime symbols"); goto fail; }
    LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(j->jit), gen);
    if (opt->jit_debugger || opt->perf_map) {
        e = LLVMOrcLLJITEnableDebugSupport(j->jit);
        if (e) { *err = take_error(e, "cannot register JIT code with debuggers"); goto fail; }
        j->perf_seen = __jit_debug_descriptor.first_entry; /* objects from before are not ours */
    }
    if (opt->perf_map) {
        j->perf_map = fopen(opt->perf_map, "w");
        if (!j->perf_map) { *err = lb_fmt("cannot write %s", opt->perf_map); goto fail; }
    }

    j->tsctx = LLVMOrcCreateNewThreadSafeContext();
    j->ctx = LLVMOrcThreadSafeContextGetContext(j->tsctx);
    LLVMContextSetDiscardValueNames(j->ctx, true); /* nobody reads local names */
    j->triple = lb_strdup(LLVMOrcLLJITGetTripleString(j->jit));
    j->layout = lb_strdup(LLVMOrcLLJITGetDataLayoutStr(j->jit));
    j->tm = lb_host_tm(opt->opt_level, false, err);
    if (!j->tm) goto fail;
    if (opt->opt_level > 0) { /* -O0 modules call the runtime's copies (lb_jit_add) */
        j->hot = lb_hot_new(j->ctx, j->triple, j->layout, err);
        if (!j->hot) goto fail;
    }
    return j;
fail:
    lb_jit_free(j);
    return NULL;
}

void lb_jit_free(LbJit *j)
{
    if (!j) return;
    for (size_t i = 0; i < j->nrts; i++) LLVMOrcReleaseResourceTracker(j->rts[i]);
    free(j->rts);
    if (j->jit) {
        LLVMErrorRef e = LLVMOrcDisposeLLJIT(j->jit);
        if (e) LLVMConsumeError(e);
    }
    lb_hot_free(j->hot); /* lives in the context: before the context goes */
    if (j->tsctx) LLVMOrcDisposeThreadSafeContext(j->tsctx);
    if (j->tm) LLVMDisposeTargetMachine(j->tm);
    free(j->triple);
    free(j->layout);
    if (j->last_bc) LLVMDisposeMemoryBuffer(j->last_bc);
    if (j->perf_map) fclose(j->perf_map);
    free(j);
}

/* One object's functions (symbols in executable sections) as perf map
 * lines "ADDR SIZE NAME".  For a relocatable object the symbol address is
 * its offset plus its section's sh_addr, which the debug plugin has set to
 * where the section was loaded. */
static void perf_map_object(FILE *out, const char *data, uint64_t size)
{
    LLVMMemoryBufferRef buf = LLVMCreateMemoryBufferWithMemoryRange(data, (size_t)size, "jit-object", false);
    char *msg = NULL;
    LLVMBinaryRef bin = LLVMCreateBinary(buf, NULL, &msg);
    if (!bin) {
        LLVMDisposeMessage(msg);
        LLVMDisposeMemoryBuffer(buf);
        return;
    }
    LLVMSectionIteratorRef sec = LLVMObjectFileCopySectionIterator(bin);
    LLVMSymbolIteratorRef sym = LLVMObjectFileCopySymbolIterator(bin);
    for (; !LLVMObjectFileIsSymbolIteratorAtEnd(bin, sym); LLVMMoveToNextSymbol(sym)) {
        const char *name = LLVMGetSymbolName(sym);
        uint64_t addr = LLVMGetSymbolAddress(sym), len = LLVMGetSymbolSize(sym);
        if (!name || !*name || len == 0) continue;
        LLVMMoveToContainingSection(sec, sym);
        if (LLVMObjectFileIsSectionIteratorAtEnd(bin, sec)) continue;
        const char *sname = LLVMGetSectionName(sec);
        if (!sname || strncmp(sname, ".text", 5) != 0) continue;
        fprintf(out, "%llx %llx %s\n", (unsigned long long)addr, (unsigned long long)len, name);
    }
    LLVMDisposeSymbolIterator(sym);
    LLVMDisposeSectionIterator(sec);
    LLVMDisposeBinary(bin);
    LLVMDisposeMemoryBuffer(buf);
}

/* Adds the objects registered since the last call (the list is newest
 * first; registration happens while the lookup links the module). */
static void perf_map_update(LbJit *j)
{
    struct jit_code_entry *stop = j->perf_seen;
    for (struct jit_code_entry *e = __jit_debug_descriptor.first_entry; e && e != stop; e = e->next_entry)
        perf_map_object(j->perf_map, e->symfile_addr, e->symfile_size);
    j->perf_seen = __jit_debug_descriptor.first_entry;
    fflush(j->perf_map);
}

LbEntryFn lb_jit_add(LbJit *j, const RirModule *m, char **err)
{
    *err = NULL;
    double t0 = j->times ? ms_now() : 0;
    LLVMModuleRef mod = lb_build_module(j->ctx, m, &j->opt, LB_FOR_JIT, j->triple, j->layout, err);
    if (!mod) return NULL;
    double t1 = j->times ? ms_now() : 0;
    /* -O0 is the quick tier: the hot helpers stay calls into the runtime
     * (the process exports them), so nothing is parsed, cloned, linked or
     * inlined, and FastISel has far less code to select */
    if (lb_finish_module(mod, j->hot, j->tm, &j->opt, err)) {
        LLVMDisposeModule(mod);
        return NULL;
    }
    double t2 = j->times ? ms_now() : 0;
    /* :llvm is rare: bitcode is several times cheaper to write than text,
     * which lb_jit_last_ir makes only when asked */
    if (j->last_bc) LLVMDisposeMemoryBuffer(j->last_bc);
    j->last_bc = j->keep_ir ? LLVMWriteBitcodeToMemoryBuffer(mod) : NULL;
    double t3 = j->times ? ms_now() : 0;

    LLVMOrcResourceTrackerRef rt = LLVMOrcJITDylibCreateResourceTracker(LLVMOrcLLJITGetMainJITDylib(j->jit));
    LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(mod, j->tsctx);
    LLVMErrorRef e = LLVMOrcLLJITAddLLVMIRModuleWithRT(j->jit, rt, tsm);
    if (e) {
        LLVMOrcDisposeThreadSafeModule(tsm);
        LLVMOrcReleaseResourceTracker(rt);
        *err = take_error(e, "cannot add the module to the JIT");
        return NULL;
    }
    char *name = lb_entry_name(m, &j->opt);
    LLVMOrcExecutorAddress addr = 0;
    e = LLVMOrcLLJITLookup(j->jit, &addr, name); /* compiles the module */
    free(name);
    if (j->times)
        fprintf(stderr, "lb: %s: cpu build %.2f ms, link+opt %.2f ms, bitcode %.2f ms, codegen %.2f ms\n",
                m->name, t1 - t0, t2 - t1, t3 - t2, ms_now() - t3);
    if (e || !addr) {
        *err = e ? take_error(e, "cannot compile the module") :
                   lb_strdup("internal error: llvm backend: module entry not found");
        LLVMErrorRef e2 = LLVMOrcResourceTrackerRemove(rt); /* drop the broken module */
        if (e2) LLVMConsumeError(e2);
        LLVMOrcReleaseResourceTracker(rt);
        return NULL;
    }
    if (j->nrts == j->caprts) {
        j->caprts = j->caprts ? 2 * j->caprts : 16;
        j->rts = realloc(j->rts, j->caprts * sizeof *j->rts);
        if (!j->rts) abort();
    }
    j->rts[j->nrts++] = rt;
    if (j->perf_map) perf_map_update(j);
    return (LbEntryFn)(uintptr_t)addr;
}

void lb_jit_keep_ir(LbJit *j, bool on)
{
    j->keep_ir = on;
}

char *lb_jit_last_ir(LbJit *j)
{
    if (!j->last_bc) return NULL;
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = NULL;
    char *out = NULL;
    if (!LLVMParseBitcodeInContext2(ctx, j->last_bc, &mod)) {
        char *text = LLVMPrintModuleToString(mod);
        out = lb_strdup(text);
        LLVMDisposeMessage(text);
        LLVMDisposeModule(mod);
    }
    LLVMContextDispose(ctx);
    return out;
}
