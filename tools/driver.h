/* driver.h — the compilation pipeline shared by omni-jit and omni-llc.
 *
 * Source text → fe_read_all → fe_expand_unit → ir_lower_unit → ir_run_passes
 * → RirModule.  A DrvUnit owns the FeArena of one compilation unit (a file,
 * an -e expression, or one REPL input); the RIR modules compiled from it
 * live in that arena, so the unit is freed only after the backend is done
 * with them.  The driver also holds what both tools parse the same way
 * (-O, -g, --dump-after) and their error-message and file-reading helpers.
 * Prefix: drv_.
 */
#ifndef OMNI_DRIVER_H
#define OMNI_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../frontend/frontend.h"
#include "../ir/rir.h"

#define OMNI_VERSION "0.1.0"

typedef struct DrvOptions {
    const char *tool;        /* program name used in messages ("omni-jit") */
    int opt_level;           /* 0..3, or -1 while no -O was given */
    bool debug_info;         /* -g */
    int backtrace;           /* --backtrace 1, --no-backtrace 0, -1 unset: on at -O0/-O1
                                or with -g (drv_backtrace) */
    const char *dump_after;  /* --dump-after=PASS|all, or NULL */
    bool verify;             /* verifier after every pass (on in OMNI_DEBUG builds) */
} DrvOptions;

void drv_options_init(DrvOptions *o, const char *tool);
/* Whether compiled code keeps backtrace frames: as asked, else at -O0/-O1
 * or with -g.  Off by default at -O2/-O3, where the frames cost up to +46%
 * on call-bound code (docs/RUNTIME.md, "Backtraces").  After opt_level is set. */
bool drv_backtrace(const DrvOptions *o);

typedef enum { DRV_ARG_NONE, DRV_ARG_USED, DRV_ARG_ERROR } DrvArgResult;
/* Tries argv[*i] as an option common to both tools (-O0..-O3, -g,
 * --dump-after=PASS).  On DRV_ARG_USED *i is advanced past it; on
 * DRV_ARG_ERROR the message has been printed. */
DrvArgResult drv_parse_common(DrvOptions *o, int argc, char **argv, int *i);

/* "<tool>: error: <message>" on stderr. */
void drv_error(const char *tool, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void drv_print_version(const char *tool);

/* Reads a whole file ("-" is standard input) into a malloc'd, NUL-terminated
 * buffer.  On failure prints "<tool>: error: cannot open 'x': <reason>" and
 * returns NULL. */
char *drv_read_file(const char *tool, const char *path, size_t *len);
/* Reads a stream to its end (malloc'd, NUL-terminated); NULL on a read error. */
char *drv_read_stream(FILE *f, size_t *len);

/* What survives from unit to unit: the frontend session (known globals) and
 * the counter that keeps module names unique in the process. */
typedef struct DrvCompiler {
    DrvOptions opt;
    FeSession *session;
    int counter;
    char **stems;            /* module names already derived from file names */
    int nstems;
} DrvCompiler;

void drv_compiler_init(DrvCompiler *c, const DrvOptions *o, bool repl);
void drv_compiler_fini(DrvCompiler *c);

/* One compilation unit: its arena, diagnostics and the datums read. */
typedef struct DrvUnit {
    FeArena *arena;
    Diag diag;
    Datum **forms;
    int nforms;
} DrvUnit;

/* Reads `src` (named `file` in spans; `line_offset` is added to its line
 * numbers, for REPL and piped input).  `src` must outlive the unit.
 * Returns false if the reader reported errors (the unit must still be freed). */
bool drv_unit_read(DrvUnit *u, const char *file, const char *src, size_t len, int line_offset);
/* Expands, lowers and optimises forms[first .. first+n) into one module
 * allocated in the unit's arena.  `stem` (a file name) seeds the module name;
 * NULL gives "u1", "u2", ...  Returns NULL after reporting errors. */
RirModule *drv_unit_compile(DrvCompiler *c, DrvUnit *u, int first, int n, const char *stem);
void drv_unit_free(DrvUnit *u);

/* The printed Region IR of a module, malloc'd. */
char *drv_module_text(const RirModule *m);

/* Monotonic clock in seconds, for the latency measurements. */
double drv_now(void);

#endif
