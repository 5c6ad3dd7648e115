/* driver.c — the front half of both tools: options they share, reading
 * source files, and one compilation unit from text to optimised Region IR.
 *
 * Each unit gets its own FeArena (QBE-style: the compiler's memory for a
 * top-level unit is released in one go), while the FeSession lives as long
 * as the tool so later units (REPL inputs) know earlier definitions.
 */
#include "driver.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void drv_options_init(DrvOptions *o, const char *tool)
{
    memset(o, 0, sizeof *o);
    o->tool = tool;
    o->opt_level = -1;
    o->backtrace = -1;
#ifdef OMNI_DEBUG
    o->verify = true;
#endif
}

void drv_error(const char *tool, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: error: ", tool);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void drv_print_version(const char *tool)
{
    printf("%s (OmniLisp) %s\n", tool, OMNI_VERSION);
    printf("LLVM 19 backend; %s build\n",
#ifdef OMNI_DEBUG
           "debug"
#else
           "release"
#endif
    );
}

bool drv_backtrace(const DrvOptions *o)
{
    if (o->backtrace >= 0)
        return o->backtrace != 0;
    return o->opt_level <= 1 || o->debug_info;
}

DrvArgResult drv_parse_common(DrvOptions *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    (void)argc;
    if (strncmp(a, "-O", 2) == 0) {
        if (a[2] >= '0' && a[2] <= '3' && a[3] == '\0') {
            o->opt_level = a[2] - '0';
            (*i)++;
            return DRV_ARG_USED;
        }
        drv_error(o->tool, "invalid optimization level '%s' (use -O0, -O1, -O2 or -O3)", a);
        return DRV_ARG_ERROR;
    }
    if (strcmp(a, "--backtrace") == 0 || strcmp(a, "--no-backtrace") == 0) {
        o->backtrace = a[2] == 'b';
        (*i)++;
        return DRV_ARG_USED;
    }
    if (strcmp(a, "-g") == 0) {
        o->debug_info = true;
        (*i)++;
        return DRV_ARG_USED;
    }
    if (strncmp(a, "--dump-after", 12) == 0 && (a[12] == '=' || a[12] == '\0')) {
        if (a[12] == '\0' || a[13] == '\0') {
            drv_error(o->tool, "'--dump-after' needs a pass name: --dump-after=PASS or --dump-after=all");
            return DRV_ARG_ERROR;
        }
        o->dump_after = a + 13;
        (*i)++;
        return DRV_ARG_USED;
    }
    return DRV_ARG_NONE;
}

char *drv_read_stream(FILE *f, size_t *len)
{
    size_t cap = 1 << 14, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    for (;;) {
        if (cap - n < 4096) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                free(buf);
                return NULL;
            }
            break;
        }
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

char *drv_read_file(const char *tool, const char *path, size_t *len)
{
    if (strcmp(path, "-") == 0) {
        char *s = drv_read_stream(stdin, len);
        if (!s)
            drv_error(tool, "cannot read standard input: %s", strerror(errno));
        return s;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        drv_error(tool, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    /* fopen succeeds on a directory; reading it would fail less clearly */
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        drv_error(tool, "cannot open '%s': %s", path, strerror(EISDIR));
        fclose(f);
        return NULL;
    }
    char *s = drv_read_stream(f, len);
    if (!s)
        drv_error(tool, "cannot read '%s': %s", path, strerror(errno));
    fclose(f);
    return s;
}

/* ------------------------------------------------------------ compiler */

void drv_compiler_init(DrvCompiler *c, const DrvOptions *o, bool repl)
{
    memset(c, 0, sizeof *c);
    c->opt = *o;
    c->session = fe_session_new();
    fe_session_set_repl(c->session, repl);
}

void drv_compiler_fini(DrvCompiler *c)
{
    for (int i = 0; i < c->nstems; i++)
        free(c->stems[i]);
    free(c->stems);
    if (c->session)
        fe_session_free(c->session);
    memset(c, 0, sizeof *c);
}

/* A module name is the prefix of every symbol the backend emits, so it must
 * be a valid identifier and unique within the process (one JIT holds every
 * module of a session).  Files give "<stem>" (then "<stem>_2", ...); REPL
 * inputs and -e give "u1", "u2", ... */
static const char *module_name(DrvCompiler *c, FeArena *a, const char *stem)
{
    char buf[96];
    c->counter++;
    if (!stem) {
        snprintf(buf, sizeof buf, "u%d", c->counter);
        return fe_strdup(a, buf, strlen(buf));
    }
    const char *base = strrchr(stem, '/');
    base = base ? base + 1 : stem;
    size_t n = 0;
    if (!((base[0] >= 'a' && base[0] <= 'z') || (base[0] >= 'A' && base[0] <= 'Z') || base[0] == '_'))
        buf[n++] = 'm';
    for (const char *p = base; *p && *p != '.' && n < 64; p++) {
        char ch = *p;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_';
        buf[n++] = ok ? ch : '_';
    }
    buf[n] = '\0';
    int uses = 0;
    for (int i = 0; i < c->nstems; i++)
        if (strcmp(c->stems[i], buf) == 0)
            uses++;
    char **ns = realloc(c->stems, (size_t)(c->nstems + 1) * sizeof *ns);
    if (ns) {
        c->stems = ns;
        c->stems[c->nstems] = strdup(buf);
        if (c->stems[c->nstems])
            c->nstems++;
    }
    if (uses > 0)
        snprintf(buf + n, sizeof buf - n, "_%d", uses + 1);
    return fe_strdup(a, buf, strlen(buf));
}

bool drv_unit_read(DrvUnit *u, const char *file, const char *src, size_t len, int line_offset)
{
    memset(u, 0, sizeof *u);
    u->arena = fe_arena_new();
    fe_diag_init(&u->diag, stderr, src, len);
    u->diag.line_offset = line_offset;
    u->nforms = fe_read_all(u->arena, &u->diag, fe_intern_filename(file), src, len, &u->forms);
    if (u->nforms < 0)
        u->nforms = 0;
    return u->diag.nerrors == 0;
}

RirModule *drv_unit_compile(DrvCompiler *c, DrvUnit *u, int first, int n, const char *stem)
{
    int before = u->diag.nerrors;
    Ast *ast = fe_expand_unit(u->arena, &u->diag, c->session, u->forms + first, n);
    if (!ast || u->diag.nerrors > before)
        return NULL;
    const char *name = module_name(c, u->arena, stem);
    RirModule *m = ir_lower_unit(u->arena, c->session, ast, name);
    if (!m) {
        drv_error(c->opt.tool, "internal compiler error: lowering module '%s' failed", name);
        return NULL;
    }
    /* the lowering's own output is checked too, so a broken module is
     * blamed on the lowering rather than on the first pass */
    if (c->opt.verify && ir_verify_module(stderr, m) != 0) {
        drv_error(c->opt.tool, "internal compiler error: invalid Region IR from lowering (module '%s')", name);
        return NULL;
    }
    IrPassOptions po = {
        .verify_each = c->opt.verify,
        .dump_after = c->opt.dump_after,
        .dump_out = stderr,
    };
    if (ir_run_passes(m, &po) != 0) {
        drv_error(c->opt.tool, "internal compiler error: Region IR passes failed (module '%s')", name);
        return NULL;
    }
    return m;
}

void drv_unit_free(DrvUnit *u)
{
    if (u->arena)
        fe_arena_free(u->arena);
    memset(u, 0, sizeof *u);
}

char *drv_module_text(const RirModule *m)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    ir_print_module(f, m);
    fclose(f);
    return text;
}

double drv_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
