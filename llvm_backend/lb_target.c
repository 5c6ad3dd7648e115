/* lb_target.c — from a built module to optimised code: verification, the
 * hot bitcode link, the new-pass-manager pipeline, host target machines and
 * AOT output (object, assembly, LLVM IR text, bitcode).
 *
 * The pipeline: "globaldce" first drops the hot helpers a module does not
 * use (so nothing downstream spends time on them), then default<O1..O3>.
 * At -O0 only the always-inliner runs, and the hot helpers are marked
 * alwaysinline (lb_hot_link): the tag checks, bump allocation and fixnum
 * fast paths are inline at every level, and -O0 still compiles fastest.
 */
#include "lb_internal.h"

#include <llvm-c/Analysis.h>
#include <llvm-c/BitWriter.h>
#include <llvm-c/Support.h>
#include <llvm-c/Target.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_once_t llvm_once = PTHREAD_ONCE_INIT;

/* LLVM options for every compilation of the process.  X86 Domain
 * Reassignment (AVX-512 hosts only: moves GPR chains to mask registers) is
 * super-linear in a function's size: on a 800-statement body it was 1.8 s
 * of 2.3 s of code generation (test/bench/README.md, "Compile time"), for
 * code that gains nothing measurable from it here. */
static void init_native(void)
{
    LLVMInitializeNativeTarget();
    LLVMInitializeNativeAsmPrinter();
    static const char *const argv[] = { "omnilisp", "-disable-x86-domain-reassignment" };
    LLVMParseCommandLineOptions(2, argv, "");
}

void lb_init_llvm(void) { pthread_once(&llvm_once, init_native); }

static LLVMCodeGenOptLevel cg_level(int o)
{
    return o <= 0 ? LLVMCodeGenLevelNone : o == 1 ? LLVMCodeGenLevelLess
         : o == 2 ? LLVMCodeGenLevelDefault : LLVMCodeGenLevelAggressive;
}

LLVMTargetMachineRef lb_host_tm(int opt_level, bool jit, char **err)
{
    lb_init_llvm();
    char *triple = LLVMGetDefaultTargetTriple();
    char *msg = NULL;
    LLVMTargetRef target;
    if (LLVMGetTargetFromTriple(triple, &target, &msg)) {
        *err = lb_fmt("internal error: llvm backend: no target for %s: %s", triple, msg ? msg : "?");
        LLVMDisposeMessage(msg);
        LLVMDisposeMessage(triple);
        return NULL;
    }
    char *cpu = LLVMGetHostCPUName(), *features = LLVMGetHostCPUFeatures();
    LLVMTargetMachineRef tm = LLVMCreateTargetMachine(target, triple, cpu, features, cg_level(opt_level),
        LLVMRelocPIC, jit ? LLVMCodeModelJITDefault : LLVMCodeModelDefault);
    LLVMDisposeMessage(cpu);
    LLVMDisposeMessage(features);
    LLVMDisposeMessage(triple);
    if (!tm) *err = lb_strdup("internal error: llvm backend: cannot create a target machine for the host");
    return tm;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

bool lb_verify(LLVMModuleRef mod, const char *when, char **err)
{
    char *msg = NULL;
    if (!LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg)) {
        LLVMDisposeMessage(msg);
        return true;
    }
    size_t len;
    const char *name = LLVMGetModuleIdentifier(mod, &len);
    fprintf(stderr, "internal error: LLVM module '%.*s' is invalid %s:\n%s\n--- module dump ---\n",
            (int)len, name, when, msg ? msg : "");
    LLVMDumpModule(mod);
    fprintf(stderr, "--- end of module dump ---\n");
    *err = lb_fmt("internal error: llvm backend produced an invalid module %s: %s", when, msg ? msg : "");
    LLVMDisposeMessage(msg);
    return false;
}

int lb_finish_module(LLVMModuleRef mod, LbHot *hot, LLVMTargetMachineRef tm,
                     const LbOptions *opt, char **err)
{
    int level = opt->opt_level < 0 ? 0 : opt->opt_level > 3 ? 3 : opt->opt_level;
    if (opt->verify && !lb_verify(mod, "after code generation", err)) return -1;
    double t0 = getenv("OMNI_LB_TIMES") ? now_ms() : 0;
    if (hot && lb_hot_link(hot, mod, level, err)) return -1;
    if (t0) fprintf(stderr, "lb: cpu hot link %.2f ms\n", now_ms() - t0);

    char passes[64];
    if (level == 0) snprintf(passes, sizeof passes, "globaldce,always-inline,function(mem2reg)");
    else snprintf(passes, sizeof passes, "globaldce,default<O%d>", level);
    LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
    LLVMErrorRef e = LLVMRunPasses(mod, passes, tm, po);
    LLVMDisposePassBuilderOptions(po);
    if (e) {
        char *msg = LLVMGetErrorMessage(e);
        *err = lb_fmt("internal error: llvm backend: pass pipeline '%s' failed: %s", passes, msg);
        LLVMDisposeErrorMessage(msg);
        return -1;
    }
    if (opt->verify && !lb_verify(mod, "after optimisation", err)) return -1;
    return 0;
}

/* ------------------------------------------------------------ AOT */

typedef struct Aot {
    LLVMContextRef ctx;
    LLVMTargetMachineRef tm;
    LLVMModuleRef mod;
} Aot;

static void aot_free(Aot *a)
{
    if (a->mod) LLVMDisposeModule(a->mod);
    if (a->tm) LLVMDisposeTargetMachine(a->tm);
    if (a->ctx) LLVMContextDispose(a->ctx);
}

/* A fresh context per AOT module: nothing outlives the call. */
static int aot_build(const RirModule *m, const LbOptions *opt, Aot *a, char **err)
{
    memset(a, 0, sizeof *a);
    a->tm = lb_host_tm(opt->opt_level, false, err);
    if (!a->tm) return -1;
    a->ctx = LLVMContextCreate();
    char *triple = LLVMGetTargetMachineTriple(a->tm);
    LLVMTargetDataRef td = LLVMCreateTargetDataLayout(a->tm);
    char *layout = LLVMCopyStringRepOfTargetData(td);
    LLVMDisposeTargetData(td);
    int rc = -1;
    LbHot *hot = lb_hot_new(a->ctx, triple, layout, err);
    if (hot) {
        a->mod = lb_build_module(a->ctx, m, opt, LB_FOR_AOT, triple, layout, err);
        if (a->mod) rc = lb_finish_module(a->mod, hot, a->tm, opt, err);
        lb_hot_free(hot);
    }
    LLVMDisposeMessage(triple);
    LLVMDisposeMessage(layout);
    if (rc) aot_free(a);
    return rc;
}

static int write_out(const char *path, const char *data, size_t n, char **err)
{
    bool to_stdout = strcmp(path, "-") == 0;
    FILE *f = to_stdout ? stdout : fopen(path, "wb");
    if (!f) {
        *err = lb_fmt("cannot open %s for writing", path);
        return -1;
    }
    size_t w = fwrite(data, 1, n, f);
    int bad = w != n || (to_stdout ? fflush(f) : fclose(f)) != 0;
    if (bad) *err = lb_fmt("cannot write %s", path);
    return bad ? -1 : 0;
}

int lb_emit_file(const RirModule *m, const LbOptions *opt, const char *path,
                 LbFileKind kind, char **err)
{
    Aot a;
    if (aot_build(m, opt, &a, err)) return -1;
    int rc = -1;
    if (kind == LB_FILE_LL) {
        char *text = LLVMPrintModuleToString(a.mod);
        rc = write_out(path, text, strlen(text), err);
        LLVMDisposeMessage(text);
    } else {
        LLVMMemoryBufferRef buf = NULL;
        char *msg = NULL;
        if (kind == LB_FILE_BC) {
            buf = LLVMWriteBitcodeToMemoryBuffer(a.mod);
        } else if (LLVMTargetMachineEmitToMemoryBuffer(a.tm, a.mod,
                       kind == LB_FILE_ASM ? LLVMAssemblyFile : LLVMObjectFile, &msg, &buf)) {
            *err = lb_fmt("internal error: llvm backend: code generation failed: %s", msg ? msg : "?");
            LLVMDisposeMessage(msg);
            buf = NULL;
        }
        if (buf) {
            rc = write_out(path, LLVMGetBufferStart(buf), LLVMGetBufferSize(buf), err);
            LLVMDisposeMemoryBuffer(buf);
        }
    }
    aot_free(&a);
    return rc;
}

char *lb_module_to_text(const RirModule *m, const LbOptions *opt, char **err)
{
    Aot a;
    if (aot_build(m, opt, &a, err)) return NULL;
    char *text = LLVMPrintModuleToString(a.mod);
    char *out = lb_strdup(text);
    LLVMDisposeMessage(text);
    aot_free(&a);
    return out;
}
