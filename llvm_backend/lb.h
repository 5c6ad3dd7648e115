/* lb.h — the LLVM backend: Region IR → LLVM IR → JIT code or files.
 *
 * The only public face of llvm_backend/: nothing here mentions LLVM types,
 * so tools/ and tests include it without LLVM headers.  Inside, each RIR
 * module becomes one LLVM module; the runtime's hot helpers (rt/hot.c,
 * compiled to bitcode at build time and embedded) are linked in, given
 * internal linkage and inlined; then the new pass manager runs at -O0..-O3.
 * Prefix: lb_.
 */
#ifndef OMNI_LB_H
#define OMNI_LB_H

#include "../ir/rir.h"

typedef OVal (*LbEntryFn)(Region *r);

typedef enum { LB_FILE_OBJ, LB_FILE_ASM, LB_FILE_LL, LB_FILE_BC } LbFileKind;

typedef struct LbOptions {
    int opt_level;             /* 0..3 */
    bool verify;               /* LLVMVerifyModule; dump the module on failure */
    bool debug_info;           /* DWARF line info from spans */
    bool backtrace;            /* keep backtrace frames (lb_emit.c, "backtrace frames");
                                  off: errors name only their own location */
    const char *entry_symbol;  /* AOT: name given to the entry (e.g. "omni_program_entry") */
    bool sealed;               /* the module is the whole program: no later code can
                                  define or assign its globals (omni-llc, omni-jit FILE
                                  and -e; never REPL input), so a function's calls of
                                  itself need no guard (lb_emit.c, docs/CTRR.md) */
    bool jit_debugger;         /* JIT: register every object with the GDB JIT
                                  interface (gdb names functions; with
                                  debug_info, source lines too) */
    const char *perf_map;      /* JIT: a file to write each function's address,
                                  size and name to, as perf reads them from
                                  /tmp/perf-PID.map; NULL: none */
} LbOptions;

/* ---- JIT (ORC LLJIT) ---- */
typedef struct LbJit LbJit;
LbJit    *lb_jit_new(const LbOptions *opt, char **err);
void      lb_jit_free(LbJit *j);
/* Compiles m, adds it to the JIT and returns its entry (C convention).
 * On failure returns NULL and sets *err (malloc'd). */
LbEntryFn lb_jit_add(LbJit *j, const RirModule *m, char **err);
/* LLVM IR text of the last module added (after optimisation), malloc'd;
 * NULL if none or if keeping it is off.  Keeping it (on by default) costs
 * a bitcode copy of every module: a tool without a way to show it turns
 * it off. */
char     *lb_jit_last_ir(LbJit *j);
void      lb_jit_keep_ir(LbJit *j, bool on);

/* ---- AOT ---- */
/* Writes m as an object, assembly, LLVM IR text or bitcode. 0 on success. */
int   lb_emit_file(const RirModule *m, const LbOptions *opt, const char *path,
                   LbFileKind kind, char **err);
/* LLVM IR text after optimisation, malloc'd (NULL + *err on failure). */
char *lb_module_to_text(const RirModule *m, const LbOptions *opt, char **err);

#endif
