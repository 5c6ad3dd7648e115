/* lb_debug.c — DWARF line information from RIR spans.
 *
 * With LbOptions.debug_info, each function gets a DISubprogram in the file
 * of its span and every instruction the line/column of the RIR instruction
 * it came from, so gdb and perf name OmniLisp source lines.  Line tables
 * only (no variable or type info): values are untyped words anyway.
 * Without debug_info every function here is a no-op.
 */
#include "lb_internal.h"

#include <stdlib.h>
#include <string.h>

static LLVMMetadataRef di_file(LbGen *g, const char *path)
{
    if (!path) path = "<unknown>";
    LLVMMetadataRef f = lb_map_get(&g->di_files, path);
    if (f) return f;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t dirlen = slash ? (size_t)(slash - path) : 1;
    f = LLVMDIBuilderCreateFile(g->dib, base, strlen(base), slash ? path : ".", dirlen);
    lb_map_put(&g->di_files, path, f);
    return f;
}

void lb_di_begin(LbGen *g)
{
    if (!g->opt || !g->opt->debug_info) return;
    g->dib = LLVMCreateDIBuilder(g->mod);
    const char *file = g->rm->entry && g->rm->entry->span.file ? g->rm->entry->span.file : g->rm->name;
    LLVMMetadataRef f = di_file(g, file);
    const char *producer = "OmniLisp";
    g->di_cu = LLVMDIBuilderCreateCompileUnit(g->dib, LLVMDWARFSourceLanguageC, f,
        producer, strlen(producer), g->opt->opt_level > 0, "", 0, 0, "", 0,
        LLVMDWARFEmissionLineTablesOnly, 0, false, false, "", 0, "", 0);
    g->di_fnty = LLVMDIBuilderCreateSubroutineType(g->dib, f, NULL, 0, LLVMDIFlagZero);
    LLVMAddModuleFlag(g->mod, LLVMModuleFlagBehaviorWarning, "Debug Info Version", 18,
        LLVMValueAsMetadata(LLVMConstInt(g->t_i32, LLVMDebugMetadataVersion(), false)));
    LLVMAddModuleFlag(g->mod, LLVMModuleFlagBehaviorWarning, "Dwarf Version", 13,
        LLVMValueAsMetadata(LLVMConstInt(g->t_i32, 5, false)));
}

void lb_di_func(LbGen *g, LbFunc *lf, const char *name, const char *linkage, Span sp)
{
    if (!g->dib) return;
    LLVMMetadataRef f = di_file(g, sp.file);
    unsigned line = sp.line > 0 ? (unsigned)sp.line : 0;
    lf->sp = LLVMDIBuilderCreateFunction(g->dib, f, name, strlen(name), linkage, strlen(linkage),
        f, line, g->di_fnty, true, true, line, LLVMDIFlagZero, g->opt->opt_level > 0);
    LLVMSetSubprogram(lf->body, lf->sp);
}

/* Sets the location of what the builder emits next.  Outside a function
 * with a subprogram (the initialiser) the location is cleared. */
void lb_di_set_loc(LbGen *g, Span sp)
{
    if (!g->dib) return;
    if (!g->cur_sp) {
        LLVMSetCurrentDebugLocation2(g->b, NULL);
        return;
    }
    LLVMMetadataRef loc = LLVMDIBuilderCreateDebugLocation(g->ctx, sp.line > 0 ? (unsigned)sp.line : 0,
        sp.col > 0 ? (unsigned)sp.col : 0, g->cur_sp, NULL);
    LLVMSetCurrentDebugLocation2(g->b, loc);
}

void lb_di_finish(LbGen *g)
{
    if (!g->dib) return;
    LLVMDIBuilderFinalize(g->dib);
    LLVMDisposeDIBuilder(g->dib);
    g->dib = NULL;
    lb_map_free(&g->di_files);
}
