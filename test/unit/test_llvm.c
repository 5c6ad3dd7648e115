/* test_llvm.c — Check suite for the LLVM backend (llvm_backend/lb.h).
 *
 * Modules are written by hand with the RIR builder, so each op's lowering is
 * tested without the frontend: compiled with the JIT at -O0..-O3 and run, or
 * emitted as files.  Also: tail calls in constant stack at every level,
 * runtime errors unwinding out of JIT code to omni_try with the caller's
 * location, and malformed RIR reported as an internal error, not a crash.
 */
#include "lb.h"
#include "rt_internal.h"
#include "capture_error.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------- building */

static RirFunc *F;
static RirBlock *B;
static int modno;

static Span S(int line) { return (Span){ "unit.omni", line, 3 }; }
static int V(void) { return ir_new_reg(F, RK_VALUE); }

static int emit(RirInstr in)
{
    ir_emit(F, B, &in);
    return in.dst;
}
static int op(RirOp o, int n, const int32_t *args, int64_t imm)
{
    RirInstr in = ir_instr(o, S(2));
    in.dst = V();
    in.nargs = n;
    in.args = (int32_t *)args;
    in.imm = imm;
    return emit(in);
}
static int cnst(OVal v) { return op(RIR_CONST, 0, NULL, (int64_t)v); }
static int param(int i) { return op(RIR_PARAM, 0, NULL, i); }
static int prim(int id, int n, const int32_t *args)
{
    RirInstr in = ir_instr(RIR_PRIM, S(7));
    in.dst = V();
    in.nargs = n;
    in.args = (int32_t *)args;
    in.imm = id;
    /* only built-ins that allocate take a region (the RIR verifier insists) */
    static const uint8_t flags[] = {
#define OMNI_BUILTIN(name, cname, kind, min, max, flags) flags,
#include "builtins.def"
#undef OMNI_BUILTIN
    };
    in.region = (flags[id] & OBF_ALLOC) ? 0 : -1;
    return emit(in);
}
static int gget(const char *name)
{
    RirInstr in = ir_instr(RIR_GLOBAL_GET, S(3));
    in.dst = V();
    in.name = name;
    return emit(in);
}
static void gdef(const char *name, int v)
{
    RirInstr in = ir_instr(RIR_GLOBAL_DEF, S(4));
    in.name = name;
    in.nargs = 1;
    in.args = (int32_t[]){ v };
    emit(in);
}
static int call(int f, int n, const int32_t *args, bool tail)
{
    int32_t a[8] = { f };
    memcpy(a + 1, args, (size_t)n * sizeof *a);
    RirInstr in = ir_instr(RIR_CALL, S(5));
    in.dst = V();
    in.nargs = n + 1;
    in.args = a;
    in.flags = tail ? RIF_TAIL : 0;
    return emit(in);
}
static void ret(int v)
{
    RirInstr in = ir_instr(RIR_RET, S(6));
    in.nargs = 1;
    in.args = (int32_t[]){ v };
    emit(in);
}
static void br(int c, RirBlock *t, RirBlock *e)
{
    RirInstr in = ir_instr(RIR_BR, S(6));
    in.nargs = 1;
    in.args = (int32_t[]){ c };
    in.target[0] = t->id;
    in.target[1] = e->id;
    emit(in);
}
static int closure(RirFunc *g, int n, const int32_t *fr)
{
    RirInstr in = ir_instr(RIR_CLOSURE_NEW, S(9));
    in.dst = V();
    in.imm = g->index;
    in.nargs = n;
    in.args = (int32_t *)fr;
    in.region = 0;
    return emit(in);
}

static RirModule *module(FeArena *a)
{
    char name[32];
    snprintf(name, sizeof name, "ut%d", modno++);
    RirModule *m = ir_module_new(a, name);
    RirFunc *e = ir_func_new(m, "entry", "toplevel", S(1));
    e->is_entry = true;
    m->entry = e;
    return m;
}
static RirFunc *func(RirModule *m, const char *name, int nparams)
{
    F = ir_func_new(m, name, name, S(10));
    F->nparams = nparams;
    B = ir_new_block(F);
    return F;
}
static void at_entry(RirModule *m)
{
    F = m->entry;
    B = F->nblocks ? F->blocks[0] : ir_new_block(F);
}

/* (define (loop n acc) (if (= n 0) acc (loop (- n 1) (+ acc 1)))), global */
static RirFunc *def_loop(RirModule *m, const char *gname)
{
    RirFunc *f = func(m, gname, 2);
    RirBlock *done = ir_new_block(f), *more = ir_new_block(f);
    int n = param(0), acc = param(1);
    br(prim(OMNI_BI_numeq2, 2, (int32_t[]){ n, cnst(omni_fix(0)) }), done, more);
    B = done;
    ret(acc);
    B = more;
    int n1 = prim(OMNI_BI_sub2, 2, (int32_t[]){ n, cnst(omni_fix(1)) });
    int a1 = prim(OMNI_BI_add2, 2, (int32_t[]){ acc, cnst(omni_fix(1)) });
    ret(call(gget(gname), 2, (int32_t[]){ n1, a1 }, true));
    return f;
}

/* ---------------------------------------------------------------- running */

static LbJit *J[4];

static LbJit *jit(int level)
{
    if (!J[level]) {
        LbOptions o = { .opt_level = level, .verify = true, .debug_info = level == 1 };
        char *err = NULL;
        J[level] = lb_jit_new(&o, &err);
        ck_assert_msg(J[level] != NULL, "lb_jit_new: %s", err ? err : "?");
    }
    return J[level];
}

static OVal run(RirModule *m, int level)
{
    char *err = NULL;
    ck_assert_int_eq(ir_verify_module(stderr, m), 0);
    LbEntryFn e = lb_jit_add(jit(level), m, &err);
    ck_assert_msg(e != NULL, "lb_jit_add: %s", err ? err : "?");
    return e(omni_region_global());
}

static void ck_write(OVal v, const char *want)
{
    char *got = omni_to_cstring(v, true);
    ck_assert_msg(strcmp(got, want) == 0, "got '%s', want '%s'", got, want);
    free(got);
}

/* Runs an entry that must raise; captures stderr into errtext. */
static char errtext[2048];
static LbEntryFn pending;
static void run_pending(void *arg)
{
    (void)arg;
    pending(omni_region_global());
}
static int run_failing(LbEntryFn e)
{
    pending = e;
    return capture_error(run_pending, NULL, errtext, sizeof errtext);
}

/* ---------------------------------------------------------------- tests */

START_TEST(test_recursion_every_level)
{
    /* (define (fact n) (if (< n 2) 1 (* n (fact (- n 1))))) (fact 20) */
    FeArena *a = fe_arena_new();
    RirModule *m = module(a);
    RirFunc *f = func(m, "fact", 1);
    RirBlock *base = ir_new_block(f), *rec = ir_new_block(f);
    int n = param(0);
    br(prim(OMNI_BI_lt2, 2, (int32_t[]){ n, cnst(omni_fix(2)) }), base, rec);
    B = base;
    ret(cnst(omni_fix(1)));
    B = rec;
    int n1 = prim(OMNI_BI_sub2, 2, (int32_t[]){ n, cnst(omni_fix(1)) });
    int r = call(gget("ut-fact"), 1, (int32_t[]){ n1 }, false);
    ret(prim(OMNI_BI_mul2, 2, (int32_t[]){ n, r }));
    at_entry(m);
    gdef("ut-fact", closure(f, 0, NULL));
    ret(call(gget("ut-fact"), 1, (int32_t[]){ cnst(omni_fix(20)) }, false));
    for (int level = 0; level <= 3; level++) {
        char name[32]; /* a fresh module name per JIT add: its symbols are global */
        snprintf(name, sizeof name, "fact%d_%d", level, modno++);
        m->name = fe_strdup(a, name, strlen(name));
        ck_assert_uint_eq(run(m, level), omni_fix(2432902008176640000));
    }
    fe_arena_free(a);
}
END_TEST

START_TEST(test_tail_calls_constant_stack)
{
    /* ten million self calls through a global: only musttail survives it */
    for (int level = 0; level <= 3; level += 3) {
        FeArena *a = fe_arena_new();
        RirModule *m = module(a);
        char g[32];
        snprintf(g, sizeof g, "ut_loop%d", level);
        RirFunc *f = def_loop(m, fe_strdup(a, g, strlen(g)));
        at_entry(m);
        gdef(f->name, closure(f, 0, NULL));
        ret(call(gget(f->name), 2, (int32_t[]){ cnst(omni_fix(10000000)), cnst(omni_fix(0)) }, false));
        ck_assert_uint_eq(run(m, level), omni_fix(10000000));
        fe_arena_free(a);
    }
}
END_TEST

START_TEST(test_closures_rest_and_known_calls)
{
    FeArena *a = fe_arena_new();
    RirModule *m = module(a);
    /* (fn [x] (+ x k)) with k free */
    RirFunc *lam = func(m, "lambda.1", 1);
    lam->nfree = 1;
    int x = param(0);
    int k = op(RIR_ENV_REF, 0, NULL, 0);
    ret(prim(OMNI_BI_add2, 2, (int32_t[]){ x, k }));
    /* (define (lst a . xs) (cons a xs)); call.known never targets a rest
     * function (the RIR verifier forbids it), so it is reached through
     * its generic entry */
    RirFunc *lst = func(m, "lst", 1);
    lst->has_rest = true;
    ret(prim(OMNI_BI_cons, 2, (int32_t[]){ param(0), param(1) }));
    at_entry(m);
    int add5 = closure(lam, 1, (int32_t[]){ cnst(omni_fix(5)) });
    int s = call(add5, 1, (int32_t[]){ cnst(omni_fix(37)) }, false);           /* fast entry */
    RirInstr kn = ir_instr(RIR_CALL_KNOWN, S(11));                            /* direct */
    kn.dst = V();
    kn.imm = lam->index;
    kn.nargs = 2;
    kn.args = (int32_t[]){ add5, cnst(omni_fix(1)) };
    int s2 = emit(kn);
    int l = closure(lst, 0, NULL);
    ret(call(l, 3, (int32_t[]){ s, s2, cnst(OMNI_TRUE) }, false));           /* generic + rest */
    for (int level = 0; level <= 2; level += 2) {
        char name[32];
        snprintf(name, sizeof name, "clo%d_%d", level, modno++);
        m->name = fe_strdup(a, name, strlen(name));
        ck_write(run(m, level), "(42 6 true)");
    }
    fe_arena_free(a);
}
END_TEST

START_TEST(test_constants)
{
    FeArena *a = fe_arena_new();
    RirModule *m = module(a);
    /* '(foo "bar" 2.5 [1 #\a] #{x nothing} . #t) */
    Datum *items[5], *arr[2], *kv[2];
    for (int i = 0; i < 5; i++) items[i] = fe_alloc(a, sizeof(Datum));
    items[0]->kind = D_SYMBOL; items[0]->u.str.s = "foo"; items[0]->u.str.len = 3;
    items[1]->kind = D_STRING; items[1]->u.str.s = "bar"; items[1]->u.str.len = 3;
    items[2]->kind = D_FLOAT; items[2]->u.f = 2.5;
    arr[0] = fe_alloc(a, sizeof(Datum)); arr[0]->kind = D_INT; arr[0]->u.i = 1;
    arr[1] = fe_alloc(a, sizeof(Datum)); arr[1]->kind = D_CHAR; arr[1]->u.i = 'a';
    items[3]->kind = D_ARRAY; items[3]->u.list.items = arr; items[3]->u.list.n = 2;
    kv[0] = fe_alloc(a, sizeof(Datum)); kv[0]->kind = D_SYMBOL; kv[0]->u.str.s = "x"; kv[0]->u.str.len = 1;
    kv[1] = fe_alloc(a, sizeof(Datum)); kv[1]->kind = D_NOTHING;
    items[4]->kind = D_DICT; items[4]->u.list.items = kv; items[4]->u.list.n = 2;
    Datum *tail = fe_alloc(a, sizeof(Datum));
    tail->kind = D_BOOL; tail->u.i = 1;
    Datum *d = fe_alloc(a, sizeof(Datum));
    d->kind = D_LIST; d->u.list.items = items; d->u.list.n = 5; d->u.list.tail = tail;
    Datum *str = fe_alloc(a, sizeof(Datum));
    str->kind = D_STRING; str->u.str.s = "hi"; str->u.str.len = 2;
    at_entry(m);
    int q = op(RIR_CONST_DATUM, 0, NULL, ir_add_const(m, d));
    int s = op(RIR_CONST_STR, 0, NULL, ir_add_const(m, str));
    RirInstr in = ir_instr(RIR_CONST_SYM, S(2));
    in.dst = V();
    in.name = "foo";
    int sym = emit(in);
    in = ir_instr(RIR_CONST_FLOAT, S(2));
    in.dst = V();
    in.fimm = -0.5;
    int fl = emit(in);
    int same = prim(OMNI_BI_eq, 2, (int32_t[]){ sym, prim(OMNI_BI_car, 1, (int32_t[]){ q }) });
    int l = prim(OMNI_BI_cons, 2, (int32_t[]){ fl, q });
    l = prim(OMNI_BI_cons, 2, (int32_t[]){ s, l });
    ret(prim(OMNI_BI_cons, 2, (int32_t[]){ same, l }));
    OVal v = run(m, 1);
    ck_write(v, "(true \"hi\" -0.5 foo \"bar\" 2.5 [1 #\\a] #{:x nothing} . true)");
    /* literal strings are static objects: no region owns them */
    ck_assert_ptr_null(omni_region_of(omni_b_car(omni_region_global(), NULL, omni_b_cdr(NULL, NULL, v))));
    fe_arena_free(a);
}
END_TEST

START_TEST(test_errors_unwind_with_location)
{
    FeArena *a = fe_arena_new();
    RirModule *m = module(a);
    /* (define f [x {Int}] x) (f "s") */
    RirFunc *f = func(m, "f", 1);
    int x = param(0);
    RirInstr ck = ir_instr(RIR_CHECK_PARAM, S(10));
    ck.nargs = 1;
    ck.args = (int32_t[]){ x };
    ck.imm = OMNI_ANN_INT;
    ck.name = "x";
    emit(ck);
    ret(x);
    at_entry(m);
    gdef("ut-f", closure(f, 0, NULL));
    Datum *str = fe_alloc(a, sizeof(Datum));
    str->kind = D_STRING; str->u.str.s = "s"; str->u.str.len = 1;
    RirInstr c = ir_instr(RIR_CALL, (Span){ "unit.omni", 42, 7 });
    c.dst = V();
    c.nargs = 2;
    c.args = (int32_t[]){ gget("ut-f"), op(RIR_CONST_STR, 0, NULL, ir_add_const(m, str)) };
    ret(emit(c));
    char *err = NULL;
    LbEntryFn e = lb_jit_add(jit(2), m, &err);
    ck_assert_msg(e != NULL, "%s", err ? err : "?");
    ck_assert_int_eq(run_failing(e), 1);
    ck_assert_msg(strstr(errtext, "f: parameter x expects Int") != NULL, "%s", errtext);
    ck_assert_msg(strstr(errtext, "unit.omni:42:7") != NULL, "caller's location: %s", errtext);
    /* the JIT is still usable afterwards */
    char *ir = lb_jit_last_ir(jit(2));
    ck_assert_ptr_nonnull(strstr(ir, "define"));
    free(ir);
    fe_arena_free(a);
}
END_TEST

/* A JIT with the debugger registration and a perf map: the map names the
 * module's functions with their load addresses; without keeping IR,
 * lb_jit_last_ir has nothing to give. */
START_TEST(test_perf_map_and_keep_ir)
{
    char path[] = "/tmp/omni-test-perf-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    LbOptions o = { .opt_level = 0, .verify = true, .jit_debugger = true, .perf_map = path };
    char *err = NULL;
    LbJit *j = lb_jit_new(&o, &err);
    ck_assert_msg(j != NULL, "lb_jit_new: %s", err ? err : "?");
    lb_jit_keep_ir(j, false);
    FeArena *a = fe_arena_new();
    RirModule *m = module(a);
    RirFunc *loopf = def_loop(m, "ut-perf-loop");
    at_entry(m);
    gdef("ut-perf-loop", closure(loopf, 0, NULL));
    ret(call(gget("ut-perf-loop"), 2, (int32_t[]){ cnst(omni_fix(1000)), cnst(omni_fix(0)) }, false));
    LbEntryFn e = lb_jit_add(j, m, &err);
    ck_assert_msg(e != NULL, "lb_jit_add: %s", err ? err : "?");
    ck_assert_uint_eq(e(omni_region_global()), omni_fix(1000));
    ck_assert_ptr_null(lb_jit_last_ir(j));
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[256], want[64];
    snprintf(want, sizeof want, " %s.entry\n", m->name);
    bool found = false;
    unsigned long long addr = 0, size = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, want) && sscanf(line, "%llx %llx", &addr, &size) == 2)
            found = true;
    fclose(f);
    unlink(path);
    ck_assert_msg(found, "no line for %s.entry in the perf map", m->name);
    ck_assert_uint_eq(addr, (unsigned long long)(uintptr_t)e);
    ck_assert_uint_gt(size, 0);
    lb_jit_free(j);
    fe_arena_free(a);
}
END_TEST

START_TEST(test_bad_rir_is_internal_error)
{
    FeArena *a = fe_arena_new();
    RirModule *m = module(a);
    at_entry(m);
    cnst(omni_fix(1)); /* no terminator */
    char *err = NULL;
    ck_assert_ptr_null(lb_jit_add(jit(0), m, &err));
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strncmp(err, "internal error", 14) == 0, "%s", err);
    ck_assert_ptr_nonnull(strstr(err, "terminator"));
    free(err);

    RirModule *m2 = module(a);
    at_entry(m2);
    RirInstr kn = ir_instr(RIR_CALL_KNOWN, S(1));
    kn.dst = V();
    kn.imm = 99;
    kn.nargs = 1;
    kn.args = (int32_t[]){ cnst(OMNI_NIL) };
    ret(emit(kn));
    err = NULL;
    ck_assert_ptr_null(lb_jit_add(jit(0), m2, &err));
    ck_assert_ptr_nonnull(strstr(err, "call.known"));
    free(err);
    fe_arena_free(a);
}
END_TEST

static bool file_starts(const char *path, const char *magic, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    char buf[16] = { 0 };
    size_t got = fread(buf, 1, n, f);
    fclose(f);
    return got == n && memcmp(buf, magic, n) == 0;
}

START_TEST(test_aot_files)
{
    FeArena *a = fe_arena_new();
    RirModule *m = module(a);
    RirFunc *f = def_loop(m, "aot_loop");
    at_entry(m);
    gdef(f->name, closure(f, 0, NULL));
    ret(cnst(OMNI_NOTHING));
    LbOptions o = { .opt_level = 2, .verify = true, .debug_info = true, .entry_symbol = "omni_program_entry" };
    char dir[] = "/tmp/omni_lb_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    static const char *const ext[] = { "o", "s", "ll", "bc" };
    char path[4][64];
    for (int k = 0; k < 4; k++) {
        snprintf(path[k], sizeof path[k], "%s/p.%s", dir, ext[k]);
        char *err = NULL;
        ck_assert_msg(lb_emit_file(m, &o, path[k], (LbFileKind)k, &err) == 0, "%s", err ? err : "?");
    }
    ck_assert(file_starts(path[0], "\177ELF", 4));
    ck_assert(file_starts(path[2], "; ModuleID", 10));
    ck_assert(file_starts(path[3], "BC\xc0\xde", 4));
    char *err = NULL;
    char *text = lb_module_to_text(m, &o, &err);
    ck_assert_ptr_nonnull(text);
    ck_assert_ptr_nonnull(strstr(text, "define noundef i64 @omni_program_entry(ptr"));
    ck_assert_ptr_nonnull(strstr(text, "musttail call preserve_nonecc i64"));
    ck_assert_ptr_nonnull(strstr(text, "call ptr @omni_global_slot("));
    ck_assert_ptr_nonnull(strstr(text, "!DISubprogram(name: \"aot_loop\""));
    free(text);
    err = NULL;
    ck_assert_int_ne(lb_emit_file(m, &o, "/nonexistent-dir/x.o", LB_FILE_OBJ, &err), 0);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent-dir/x.o"));
    free(err);
    for (int k = 0; k < 4; k++) unlink(path[k]);
    rmdir(dir);
    fe_arena_free(a);
}
END_TEST

static void setup(void) { omni_rt_init(0, NULL); }

static void teardown_all(void)
{
    for (int i = 0; i < 4; i++) {
        lb_jit_free(J[i]);
        J[i] = NULL;
    }
}

int main(void)
{
    setup();
    Suite *s = suite_create("llvm");
    TCase *tc = tcase_create("backend");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_recursion_every_level);
    tcase_add_test(tc, test_tail_calls_constant_stack);
    tcase_add_test(tc, test_closures_rest_and_known_calls);
    tcase_add_test(tc, test_constants);
    tcase_add_test(tc, test_errors_unwind_with_location);
    tcase_add_test(tc, test_bad_rir_is_internal_error);
    tcase_add_test(tc, test_perf_map_and_keep_ir);
    tcase_add_test(tc, test_aot_files);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK); /* one JIT per level, shared by the tests */
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    teardown_all();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
