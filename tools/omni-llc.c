/* omni-llc.c — the ahead-of-time compiler: an OmniLisp file becomes an
 * executable (linked with libomni_rt_main.a and libomni_rt.a by the system C
 * compiler), an object, assembly, LLVM IR (text or bitcode) or Region IR.
 *
 * Options and messages follow clang and llc so the tool fits into build
 * scripts: `-c`, `-S`, `--emit-llvm`, `-o FILE` (`-o -` is standard output),
 * `omni-llc: error: ...` and exit status 1.  Temporary files are removed on
 * every path out, including a fatal signal.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../llvm_backend/lb.h"
#include "driver.h"

#ifndef OMNI_RT_LIB
#error "build omni-llc through CMake: OMNI_RT_LIB names libomni_rt.a"
#endif
#ifndef OMNI_RT_MAIN_LIB
#error "build omni-llc through CMake: OMNI_RT_MAIN_LIB names libomni_rt_main.a"
#endif
#ifndef OMNI_SANITIZE_LINK
#define OMNI_SANITIZE_LINK "" /* the sanitizer flags the tools were built with */
#endif

#define TOOL "omni-llc"

extern char **environ;

typedef enum { OUT_EXE, OUT_OBJ, OUT_ASM, OUT_LL, OUT_BC, OUT_RIR } OutKind;

/* ------------------------------------------------------------ temp files */

/* At most one temporary exists at a time; a signal handler may remove it,
 * so its name lives in a static buffer. */
static char temp_path[4096];

static void temp_remove(void)
{
    if (temp_path[0]) {
        unlink(temp_path);
        temp_path[0] = '\0';
    }
}

static void on_fatal_signal(int sig)
{
    if (temp_path[0])
        unlink(temp_path);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Creates an empty temporary file ending in `suffix`; returns its path. */
static const char *temp_create(const char *suffix)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    int n = snprintf(temp_path, sizeof temp_path, "%s/omni-llc-XXXXXX%s", dir, suffix);
    if (n < 0 || (size_t)n >= sizeof temp_path) {
        temp_path[0] = '\0';
        drv_error(TOOL, "temporary directory name too long: %s", dir);
        return NULL;
    }
    int fd = mkstemps(temp_path, (int)strlen(suffix));
    if (fd < 0) {
        drv_error(TOOL, "cannot create a temporary file in '%s': %s", dir, strerror(errno));
        temp_path[0] = '\0';
        return NULL;
    }
    close(fd);
    return temp_path;
}

static bool copy_to_stdout(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        drv_error(TOOL, "cannot open '%s': %s", path, strerror(errno));
        return false;
    }
    char buf[1 << 15];
    size_t n;
    bool ok = true;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        if (fwrite(buf, 1, n, stdout) != n) {
            ok = false;
            break;
        }
    fclose(f);
    if (fflush(stdout) != 0)
        ok = false;
    if (!ok)
        drv_error(TOOL, "cannot write to standard output: %s", strerror(errno));
    return ok;
}

/* ------------------------------------------------------------ linking */

/* $OMNI_CC may hold a command with options ("clang-19 -fuse-ld=lld"). */
static int split_words(char *s, char **out, int max)
{
    int n = 0;
    for (char *p = strtok(s, " \t"); p && n < max; p = strtok(NULL, " \t"))
        out[n++] = p;
    return n;
}

static bool link_executable(const char *obj, const char *out, bool verbose)
{
    const char *cc_env = getenv("OMNI_CC");
    char *cc = strdup(cc_env && *cc_env ? cc_env : "cc");
    if (!cc)
        return false;
    char *args[64];
    int n = split_words(cc, args, 40);
    if (n == 0) {
        drv_error(TOOL, "$OMNI_CC is empty");
        free(cc);
        return false;
    }
    args[n++] = "-o";
    args[n++] = (char *)out;
    args[n++] = OMNI_CODE_BEGIN_OBJ; /* around the module: its code range (rt/stack.c) */
    args[n++] = (char *)obj;
    args[n++] = OMNI_CODE_END_OBJ;
    args[n++] = OMNI_RT_MAIN_LIB;
    args[n++] = OMNI_RT_LIB;
    if (OMNI_SANITIZE_LINK[0])
        args[n++] = OMNI_SANITIZE_LINK;
    args[n++] = "-lurcu-cds"; /* the runtime's lock-free tables (rt/smr.h) */
    args[n++] = "-lurcu-qsbr";
    args[n++] = "-lurcu-common";
    args[n++] = "-lm";
    args[n++] = "-lpthread";
    args[n] = NULL;
    if (verbose) {
        for (int i = 0; i < n; i++)
            fprintf(stderr, "%s%s", i ? " " : "", args[i]);
        fputc('\n', stderr);
    }
    pid_t pid;
    int err = posix_spawnp(&pid, args[0], NULL, NULL, args, environ);
    if (err != 0) {
        drv_error(TOOL, "cannot run the linker '%s': %s", args[0], strerror(err));
        free(cc);
        return false;
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    if (!ok) {
        if (WIFEXITED(st))
            drv_error(TOOL, "linker command failed with exit code %d (use -v to see invocation)",
                      WEXITSTATUS(st));
        else
            drv_error(TOOL, "linker command was killed by signal %d (use -v to see invocation)",
                      WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    }
    free(cc);
    return ok;
}

/* ------------------------------------------------------------ outputs */

static const char *out_suffix(OutKind k)
{
    switch (k) {
    case OUT_OBJ: return ".o";
    case OUT_ASM: return ".s";
    case OUT_LL:  return ".ll";
    case OUT_BC:  return ".bc";
    case OUT_RIR: return ".rir";
    case OUT_EXE: return "";
    }
    return "";
}

/* Like clang: the input's base name with the output's extension, in the
 * current directory ("dir/prog.omni" -c → "prog.o"). */
static char *default_output(const char *input, OutKind k)
{
    if (k == OUT_EXE)
        return strdup("a.out");
    const char *base = strcmp(input, "-") == 0 ? "stdin" : input;
    const char *slash = strrchr(base, '/');
    if (slash)
        base = slash + 1;
    const char *dot = strrchr(base, '.');
    size_t stem = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    const char *suf = out_suffix(k);
    char *s = malloc(stem + strlen(suf) + 1);
    if (s) {
        memcpy(s, base, stem);
        strcpy(s + stem, suf);
    }
    return s;
}

static bool write_rir(const RirModule *m, const char *out)
{
    FILE *f = strcmp(out, "-") == 0 ? stdout : fopen(out, "w");
    if (!f) {
        drv_error(TOOL, "cannot open '%s' for writing: %s", out, strerror(errno));
        return false;
    }
    ir_print_module(f, m);
    bool ok = fflush(f) == 0 && !ferror(f);
    if (f != stdout)
        ok = fclose(f) == 0 && ok;
    if (!ok)
        drv_error(TOOL, "cannot write '%s': %s", out, strerror(errno));
    return ok;
}

/* Emits through the backend to `path`; a failed emission leaves no file. */
static bool emit(const RirModule *m, const LbOptions *lo, const char *path, LbFileKind kind)
{
    char *err = NULL;
    if (lb_emit_file(m, lo, path, kind, &err) != 0) {
        drv_error(TOOL, "%s", err ? err : "code generation failed");
        free(err);
        unlink(path);
        return false;
    }
    return true;
}

static bool produce(const RirModule *m, const LbOptions *lo, OutKind kind, const char *out, bool verbose)
{
    if (kind == OUT_RIR)
        return write_rir(m, out);
    bool to_stdout = strcmp(out, "-") == 0;
    if (kind == OUT_EXE) {
        if (to_stdout) {
            drv_error(TOOL, "cannot write an executable to standard output (use -c or -S)");
            return false;
        }
        const char *obj = temp_create(".o");
        if (!obj)
            return false;
        bool ok = emit(m, lo, obj, LB_FILE_OBJ) && link_executable(obj, out, verbose);
        temp_remove();
        return ok;
    }
    LbFileKind lk = kind == OUT_OBJ ? LB_FILE_OBJ : kind == OUT_ASM ? LB_FILE_ASM
                  : kind == OUT_LL  ? LB_FILE_LL  : LB_FILE_BC;
    if (!to_stdout)
        return emit(m, lo, out, lk);
    const char *tmp = temp_create(out_suffix(kind));
    if (!tmp)
        return false;
    bool ok = emit(m, lo, tmp, lk) && copy_to_stdout(tmp);
    temp_remove();
    return ok;
}

/* ------------------------------------------------------------ main */

static void usage(void)
{
    printf("usage: omni-llc [options] FILE\n"
           "Compiles an OmniLisp program ahead of time (FILE '-' reads standard input).\n"
           "Options:\n"
           "  -o OUT              output file ('-' for standard output; default a.out,\n"
           "                      or FILE's base name with the output's extension)\n"
           "  -c                  write an object file (.o)\n"
           "  -S                  write assembly (.s)\n"
           "  --emit-llvm         write LLVM IR text (.ll); with -c, bitcode (.bc)\n"
           "  --emit-rir          write the Region IR after the CTRR passes (.rir)\n"
           "  -O0 -O1 -O2 -O3     optimisation level (default -O2)\n"
           "  -g                  emit DWARF line information\n"
           "  --backtrace         runtime errors list the calls that led to them (the\n"
           "                      default at -O0/-O1 and with -g; --no-backtrace: off)\n"
           "  --dump-after=PASS   print the Region IR after PASS (or 'all') on stderr\n"
           "  --no-seal           compile as the REPL compiles one input: a function's\n"
           "                      calls of itself keep their guard (by default the file\n"
           "                      is the whole program and they are direct)\n"
           "  -v                  print the link command\n"
           "  --help              this text\n"
           "  --version           version information\n"
           "Executables are linked by $OMNI_CC (default cc) with the OmniLisp runtime.\n");
}

int main(int argc, char **argv)
{
    DrvOptions opt;
    drv_options_init(&opt, TOOL);
    const char *input = NULL, *output = NULL;
    bool c_flag = false, s_flag = false, emit_llvm = false, emit_rir = false, verbose = false;
    bool sealed = true;   /* the file is the whole program (see LbOptions.sealed) */

    for (int i = 1; i < argc;) {
        const char *a = argv[i];
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            if (input) {
                drv_error(TOOL, "only one input file is supported (got '%s' and '%s')", input, a);
                return 1;
            }
            input = a;
            i++;
            continue;
        }
        if (strcmp(a, "-o") == 0) {
            if (i + 1 >= argc) {
                drv_error(TOOL, "argument to '-o' is missing (expected 1 value)");
                return 1;
            }
            output = argv[i + 1];
            i += 2;
            continue;
        }
        if (strncmp(a, "-o", 2) == 0) {     /* -oFILE, as cc accepts */
            output = a + 2;
            i++;
            continue;
        }
        if (strcmp(a, "-c") == 0)
            c_flag = true;
        else if (strcmp(a, "-S") == 0)
            s_flag = true;
        else if (strcmp(a, "--emit-llvm") == 0 || strcmp(a, "-emit-llvm") == 0)
            emit_llvm = true;
        else if (strcmp(a, "--emit-rir") == 0)
            emit_rir = true;
        else if (strcmp(a, "-v") == 0)
            verbose = true;
        else if (strcmp(a, "--no-seal") == 0)
            sealed = false;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage();
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            drv_print_version(TOOL);
            return 0;
        } else {
            DrvArgResult r = drv_parse_common(&opt, argc, argv, &i);
            if (r == DRV_ARG_ERROR)
                return 1;
            if (r == DRV_ARG_NONE) {
                drv_error(TOOL, "unknown option '%s'", a);
                return 1;
            }
            continue;
        }
        i++;
    }
    if (!input) {
        drv_error(TOOL, "no input file");
        return 1;
    }
    if (opt.opt_level < 0)
        opt.opt_level = 2;

    /* like clang, -S wins over -c */
    OutKind kind = emit_rir ? OUT_RIR
                 : emit_llvm ? (s_flag ? OUT_LL : c_flag ? OUT_BC : OUT_LL)
                 : s_flag ? OUT_ASM : c_flag ? OUT_OBJ : OUT_EXE;
    char *out = output ? strdup(output) : default_output(input, kind);
    if (!out)
        return 1;

    signal(SIGINT, on_fatal_signal);
    signal(SIGTERM, on_fatal_signal);
    signal(SIGHUP, on_fatal_signal);

    size_t len = 0;
    char *src = drv_read_file(TOOL, input, &len);
    if (!src) {
        free(out);
        return 1;
    }
    const char *file = strcmp(input, "-") == 0 ? "<stdin>" : input;
    DrvCompiler comp;
    drv_compiler_init(&comp, &opt, false);
    DrvUnit u;
    bool ok = drv_unit_read(&u, file, src, len, 0);
    RirModule *m = ok ? drv_unit_compile(&comp, &u, 0, u.nforms, strcmp(input, "-") == 0 ? "stdin" : input)
                      : NULL;
    if (m) {
        LbOptions lo = {
            .opt_level = opt.opt_level,
            .verify = opt.verify,
            .debug_info = opt.debug_info,
            .backtrace = drv_backtrace(&opt),
            .entry_symbol = "omni_program_entry",
            .sealed = sealed,
        };
        ok = produce(m, &lo, kind, out, verbose);
    } else {
        ok = false;
    }
    drv_unit_free(&u);
    drv_compiler_fini(&comp);
    free(src);
    free(out);
    temp_remove();
    return ok ? 0 : 1;
}
