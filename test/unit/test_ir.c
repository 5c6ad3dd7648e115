/* test_ir.c — Check suite for the Region IR: builder and printer (exact
 * text), verifier (each kind of broken IR is caught), passes (simplify,
 * region placement, the pipeline's dump and errors), and lowering of small
 * programs read by the frontend (the ops each construct becomes).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../ir/ir_internal.h"

static const Span SP = { "t.omni", 1, 1 };

/* ------------------------------------------------------------ helpers */

static char *module_text(const RirModule *m)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ir_print_module(f, m);
    fclose(f);
    return buf;
}

/* Runs the verifier; returns its messages (malloc'd) and the count. */
static char *verify_text(const RirModule *m, int *n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    *n = ir_verify_module(f, m);
    fclose(f);
    return buf;
}

static RirModule *new_module(FeArena *a)
{
    RirModule *m = ir_module_new(a, "u1");
    RirFunc *e = ir_func_new(m, "entry", "toplevel", SP);
    e->is_entry = true;
    m->entry = e;
    return m;
}

static void emit_ret(RirFunc *f, RirBlock *b, int r)
{
    int32_t a[1] = { r };
    RirInstr in = ir_instr(RIR_RET, SP);
    in.nargs = 1;
    in.args = a;
    ir_emit(f, b, &in);
}

static int emit_const(RirFunc *f, RirBlock *b, OVal v)
{
    RirInstr in = ir_instr(RIR_CONST, SP);
    in.dst = ir_new_reg(f, RK_VALUE);
    in.imm = (int64_t)v;
    ir_emit(f, b, &in);
    return in.dst;
}

/* entry: %1 = const nothing; ret %1 */
static void fill_entry(RirModule *m)
{
    RirBlock *b = ir_new_block(m->entry);
    emit_ret(m->entry, b, emit_const(m->entry, b, OMNI_NOTHING));
}

/* @fact as in docs/REGION_IR.md, built by hand. */
static RirFunc *build_fact(RirModule *m)
{
    RirFunc *f = ir_func_new(m, "fact", "fact", SP);
    f->nparams = 1;
    RirBlock *b0 = ir_new_block(f), *b1 = ir_new_block(f), *b2 = ir_new_block(f);
    RirInstr in = ir_instr(RIR_PARAM, SP);
    int n = in.dst = ir_new_reg(f, RK_VALUE);
    ir_emit(f, b0, &in);
    int zero = emit_const(f, b0, omni_fix(0));
    int32_t a2[2] = { n, zero };
    in = ir_instr(RIR_PRIM, SP);
    int c = in.dst = ir_new_reg(f, RK_VALUE);
    in.imm = OMNI_BI_numeq2;
    in.nargs = 2;
    in.args = a2;
    ir_emit(f, b0, &in);
    in = ir_instr(RIR_BR, SP);
    in.nargs = 1;
    in.args = &c;
    in.target[0] = b1->id;
    in.target[1] = b2->id;
    ir_emit(f, b0, &in);
    emit_ret(f, b1, emit_const(f, b1, omni_fix(1)));
    /* bb2: %5 = const 1; %6 = prim %sub2(%1, %5) in %0;
     *      %7 = global.get @fact; %8 = call %7(%6); %9 = prim %mul2(%1, %8) in %0; ret %9 */
    int one = emit_const(f, b2, omni_fix(1));
    int32_t s2[2] = { n, one };
    in = ir_instr(RIR_PRIM, SP);
    int sub = in.dst = ir_new_reg(f, RK_VALUE);
    in.imm = OMNI_BI_sub2;
    in.nargs = 2;
    in.args = s2;
    in.region = 0;
    ir_emit(f, b2, &in);
    in = ir_instr(RIR_GLOBAL_GET, SP);
    int g = in.dst = ir_new_reg(f, RK_VALUE);
    in.name = "fact";
    ir_emit(f, b2, &in);
    int32_t ca[2] = { g, sub };
    in = ir_instr(RIR_CALL, SP);
    int call = in.dst = ir_new_reg(f, RK_VALUE);
    in.nargs = 2;
    in.args = ca;
    ir_emit(f, b2, &in);
    int32_t ma[2] = { n, call };
    in = ir_instr(RIR_PRIM, SP);
    int mul = in.dst = ir_new_reg(f, RK_VALUE);
    in.imm = OMNI_BI_mul2;
    in.nargs = 2;
    in.args = ma;
    in.region = 0;
    ir_emit(f, b2, &in);
    emit_ret(f, b2, mul);
    return f;
}

static const char *FACT_TEXT =
    "module \"u1\"\n"
    "\n"
    "fn @entry(%0: region, n: 0, rest: no, free: 0) display \"toplevel\" entry\n"
    "bb0:\n"
    "  %1 = const nothing\n"
    "  ret %1\n"
    "\n"
    "fn @fact(%0: region, n: 1, rest: no, free: 0) display \"fact\"\n"
    "bb0:\n"
    "  %1 = param 0\n"
    "  %2 = const 0\n"
    "  %3 = prim %numeq2(%1, %2)\n"
    "  br %3, bb1, bb2\n"
    "bb1:\n"
    "  %4 = const 1\n"
    "  ret %4\n"
    "bb2:\n"
    "  %5 = const 1\n"
    "  %6 = prim %sub2(%1, %5) in %0\n"
    "  %7 = global.get @fact\n"
    "  %8 = call %7(%6)\n"
    "  %9 = prim %mul2(%1, %8) in %0\n"
    "  ret %9\n";

/* ------------------------------------------------------------ builder */

START_TEST(test_op_table)
{
    ck_assert_str_eq(ir_op_names[RIR_CONST], "const");
    ck_assert_str_eq(ir_op_names[RIR_CLOSURE_NEW], "closure.new");
    ck_assert_str_eq(ir_op_names[RIR_RET], "ret");
    ck_assert(ir_op_flags[RIR_BR] & RF_TERM);
    ck_assert(ir_op_flags[RIR_BOX_NEW] & RF_ALLOC);
    ck_assert(!(ir_op_flags[RIR_MOV] & RF_TERM));
    for (int i = 0; i < RIR__COUNT; i++)
        ck_assert_ptr_nonnull(ir_op_names[i]);
}
END_TEST

START_TEST(test_builder_basics)
{
    FeArena *a = fe_arena_new();
    RirModule *m = new_module(a);
    RirFunc *f = ir_func_new(m, "f", "f", SP);
    ck_assert_int_eq(f->index, 1);
    ck_assert_ptr_eq(f->module, m);
    ck_assert_int_eq(f->nregs, 1);
    ck_assert_int_eq(f->reg_kind[0], RK_REGION);
    ck_assert_int_eq(ir_new_reg(f, RK_VALUE), 1);
    ck_assert_int_eq(ir_new_reg(f, RK_REGION), 2);
    RirBlock *b = ir_new_block(f);
    ck_assert_int_eq(b->id, 0);
    ck_assert(!ir_block_terminated(b));
    emit_ret(f, b, emit_const(f, b, OMNI_TRUE));
    ck_assert(ir_block_terminated(b));
    RirInstr p = ir_instr(RIR_MOV, SP);
    ck_assert_int_eq(p.dst, -1);
    ck_assert_int_eq(p.region, -1);
    ck_assert_int_eq(p.region2, -1);
    ck_assert_int_eq(p.target[0], -1);
    /* many registers and instructions: arrays grow */
    for (int i = 0; i < 1000; i++)
        ir_new_reg(f, RK_VALUE);
    ck_assert_int_eq(f->nregs, 1004);
    Datum d = { .kind = D_INT, .span = SP };
    ck_assert_int_eq(ir_add_const(m, &d), 0);
    ck_assert_int_eq(ir_add_const(m, &d), 1);
    fe_arena_free(a);
}
END_TEST

START_TEST(test_print_fact)
{
    FeArena *a = fe_arena_new();
    RirModule *m = new_module(a);
    fill_entry(m);
    build_fact(m);
    char *t = module_text(m);
    ck_assert_str_eq(t, FACT_TEXT);
    free(t);
    int n;
    t = verify_text(m, &n);
    ck_assert_msg(n == 0, "%s", t);
    free(t);
    fe_arena_free(a);
}
END_TEST

START_TEST(test_print_ops)
{
    FeArena *a = fe_arena_new();
    RirModule *m = new_module(a);
    fill_entry(m);
    RirFunc *g = ir_func_new(m, "lambda.1", "lambda", SP);
    g->nfree = 1;
    g->has_rest = true;
    RirBlock *gb = ir_new_block(g);
    emit_ret(g, gb, emit_const(g, gb, omni_char('a')));
    RirFunc *f = ir_func_new(m, "ops", "ops?", SP);
    f->nparams = 1;
    f->nfree = 1;
    RirBlock *b = ir_new_block(f);
    Datum str = { .kind = D_STRING, .span = SP };
    str.u.str.s = "hi \"x\"\n";
    str.u.str.len = 7;
    Datum sym = { .kind = D_SYMBOL, .span = SP };
    sym.u.str.s = "b";
    sym.u.str.len = 1;
    Datum one = { .kind = D_INT, .span = SP, .u.i = 1 };
    Datum *items[2] = { &one, &sym };
    Datum lst = { .kind = D_LIST, .span = SP };
    lst.u.list.items = items;
    lst.u.list.n = 2;
    ir_add_const(m, &str);
    ir_add_const(m, &lst);

    RirInstr in;
#define R() ir_new_reg(f, RK_VALUE)
    int r[16];
    in = ir_instr(RIR_CONST_FLOAT, SP); in.dst = r[0] = R(); in.fimm = 0.1; ir_emit(f, b, &in);
    in = ir_instr(RIR_CONST_STR, SP); in.dst = r[1] = R(); in.imm = 0; ir_emit(f, b, &in);
    in = ir_instr(RIR_CONST_SYM, SP); in.dst = r[2] = R(); in.name = "foo"; ir_emit(f, b, &in);
    in = ir_instr(RIR_CONST_DATUM, SP); in.dst = r[3] = R(); in.imm = 1; ir_emit(f, b, &in);
    in = ir_instr(RIR_SELF, SP); in.dst = r[4] = R(); ir_emit(f, b, &in);
    in = ir_instr(RIR_ENV_REF, SP); in.dst = r[5] = R(); in.imm = 0; ir_emit(f, b, &in);
    in = ir_instr(RIR_BOX_NEW, SP); in.dst = r[6] = R(); in.nargs = 1; in.args = &r[5]; in.region = 0; ir_emit(f, b, &in);
    in = ir_instr(RIR_BOX_GET, SP); in.dst = r[7] = R(); in.nargs = 1; in.args = &r[6]; ir_emit(f, b, &in);
    int32_t bs[2] = { r[6], r[7] };
    in = ir_instr(RIR_BOX_SET, SP); in.nargs = 2; in.args = bs; ir_emit(f, b, &in);
    in = ir_instr(RIR_GLOBAL_SET, SP); in.name = "x"; in.nargs = 1; in.args = &r[7]; ir_emit(f, b, &in);
    in = ir_instr(RIR_GLOBAL_DEF, SP); in.name = "string->number"; in.nargs = 1; in.args = &r[7]; ir_emit(f, b, &in);
    in = ir_instr(RIR_CLOSURE_NEW, SP); in.dst = r[8] = R(); in.imm = 1; in.nargs = 1; in.args = &r[6]; in.region = 0; ir_emit(f, b, &in);
    in = ir_instr(RIR_PARAM, SP); in.dst = r[9] = R(); in.imm = 0; ir_emit(f, b, &in);
    in = ir_instr(RIR_CHECK_PARAM, SP); in.nargs = 1; in.args = &r[9]; in.imm = OMNI_ANN_INT; in.name = "n"; ir_emit(f, b, &in);
    int rr = ir_new_reg(f, RK_REGION);
    in = ir_instr(RIR_REGION_NEW, SP); in.dst = rr; in.region = 0; ir_emit(f, b, &in);
    in = ir_instr(RIR_TRANSMIGRATE, SP); in.dst = r[10] = R(); in.nargs = 1; in.args = &r[7]; in.region2 = rr; in.region = 0; ir_emit(f, b, &in);
    in = ir_instr(RIR_RETAIN, SP); in.region = rr; ir_emit(f, b, &in);
    in = ir_instr(RIR_RELEASE, SP); in.region = rr; ir_emit(f, b, &in);
    in = ir_instr(RIR_TETHER, SP); in.region = rr; ir_emit(f, b, &in);
    in = ir_instr(RIR_UNTETHER, SP); in.region = rr; ir_emit(f, b, &in);
    in = ir_instr(RIR_REGION_EXIT, SP); in.region = rr; ir_emit(f, b, &in);
    int32_t ca[3] = { r[8], r[9], r[10] };
    in = ir_instr(RIR_CALL, SP); in.dst = r[11] = R(); in.nargs = 3; in.args = ca; ir_emit(f, b, &in);
    in = ir_instr(RIR_PRIM, SP); in.dst = r[12] = R(); in.imm = OMNI_BI_list; in.nargs = 0; in.region = 0; ir_emit(f, b, &in);
    in = ir_instr(RIR_MOV, SP); in.dst = r[13] = R(); in.nargs = 1; in.args = &r[12]; ir_emit(f, b, &in);
    int32_t ka[1] = { r[4] };
    in = ir_instr(RIR_CALL_KNOWN, SP); in.dst = r[14] = R(); in.imm = 2; in.nargs = 1; in.args = ka; ir_emit(f, b, &in);
    in = ir_instr(RIR_JMP, SP); in.target[0] = 1; ir_emit(f, b, &in);
    RirBlock *b1 = ir_new_block(f);
    in = ir_instr(RIR_CALL, SP); in.dst = r[15] = R(); in.nargs = 1; in.args = &r[8]; in.flags = RIF_TAIL; ir_emit(f, b1, &in);
    emit_ret(f, b1, r[15]);
#undef R
    const char *want_f =
        "fn @ops(%0: region, n: 1, rest: no, free: 1) display \"ops?\"\n"
        "bb0:\n"
        "  %1 = const.float 0.1\n"
        "  %2 = const.str #0\n"
        "  %3 = const.sym foo\n"
        "  %4 = const.datum #1\n"
        "  %5 = self\n"
        "  %6 = env.ref 0\n"
        "  %7 = box.new %6 in %0\n"
        "  %8 = box.get %7\n"
        "  box.set %7, %8\n"
        "  global.set @x, %8\n"
        "  global.def @string->number, %8\n"
        "  %9 = closure.new @lambda.1(%7) in %0\n"
        "  %10 = param 0\n"
        "  check.param %10, Int, \"n\"\n"
        "  %11 = region.new %0\n"
        "  %12 = transmigrate %8 from %11 to %0\n"
        "  retain %11\n"
        "  release %11\n"
        "  tether %11\n"
        "  untether %11\n"
        "  region.exit %11\n"
        "  %13 = call %9(%10, %12)\n"
        "  %14 = prim list() in %0\n"
        "  %15 = mov %14\n"
        "  %16 = call.known @ops %5()\n"
        "  jmp bb1\n"
        "bb1:\n"
        "  %17 = call %9() tail\n"
        "  ret %17\n";
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ir_print_func(out, m, f);
    fclose(out);
    ck_assert_str_eq(buf, want_f);
    free(buf);
    char *t = module_text(m);
    ck_assert_ptr_nonnull(strstr(t, "const #0 = \"hi \\\"x\\\"\\n\"\n"));
    ck_assert_ptr_nonnull(strstr(t, "const #1 = (1 b)\n"));
    ck_assert_ptr_nonnull(strstr(t, "fn @lambda.1(%0: region, n: 0, rest: yes, free: 1) display \"lambda\"\n"
                                    "bb0:\n  %1 = const #\\a\n  ret %1\n"));
    free(t);
    /* the only problem: call.known @ops with 0 arguments for 1 parameter */
    int n;
    t = verify_text(m, &n);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(t, "rir verify: @ops bb0: call.known @ops: 0 argument(s) for 1 parameter(s)\n");
    free(t);

    /* spans on request */
    buf = NULL;
    out = open_memstream(&buf, &len);
    ir_print_module_ex(out, m, IR_PRINT_SPANS);
    fclose(out);
    ck_assert_msg(strstr(buf, "  %10 = param 0" "                           ; t.omni:1:1\n") != NULL, "%s", buf);
    ck_assert_ptr_nonnull(strstr(buf, "; t.omni:1:1\n"));
    free(buf);
    fe_arena_free(a);
}
END_TEST

START_TEST(test_print_consts)
{
    FeArena *a = fe_arena_new();
    RirModule *m = new_module(a);
    RirBlock *b = ir_new_block(m->entry);
    OVal vals[] = { omni_fix(-42), omni_char(' '), omni_char('\n'), omni_char(0x3bb), OMNI_TRUE,
                    OMNI_FALSE, OMNI_NIL };
    int last = 0;
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        last = emit_const(m->entry, b, vals[i]);
    double fl[] = { 1.0, 1e16, 2.5e-3, -0.0 };
    for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++) {
        RirInstr in = ir_instr(RIR_CONST_FLOAT, SP);
        in.dst = ir_new_reg(m->entry, RK_VALUE);
        in.fimm = fl[i];
        ir_emit(m->entry, b, &in);
    }
    emit_ret(m->entry, b, last);
    char *t = module_text(m);
    ck_assert_str_eq(t,
        "module \"u1\"\n\n"
        "fn @entry(%0: region, n: 0, rest: no, free: 0) display \"toplevel\" entry\n"
        "bb0:\n"
        "  %1 = const -42\n"
        "  %2 = const #\\space\n"
        "  %3 = const #\\newline\n"
        "  %4 = const #\\x3BB\n"
        "  %5 = const true\n"
        "  %6 = const false\n"
        "  %7 = const ()\n"
        "  %8 = const.float 1.0\n"
        "  %9 = const.float 1e+16\n"
        "  %10 = const.float 0.0025\n"
        "  %11 = const.float -0.0\n"
        "  ret %7\n");
    free(t);
    fe_arena_free(a);
}
END_TEST

/* ------------------------------------------------------------ verifier */

/* A fresh module with a valid entry and @fact; each test breaks one thing. */
static RirModule *fact_module(FeArena *a, RirFunc **fact)
{
    RirModule *m = new_module(a);
    fill_entry(m);
    *fact = build_fact(m);
    return m;
}

static void expect_verify(RirModule *m, const char *msg)
{
    int n;
    char *t = verify_text(m, &n);
    ck_assert_msg(n >= 1, "verifier found nothing, expected: %s", msg);
    ck_assert_msg(strstr(t, msg) != NULL, "expected \"%s\" in:\n%s", msg, t);
    free(t);
}

START_TEST(test_verify_unterminated)
{
    FeArena *a = fe_arena_new();
    RirFunc *f;
    RirModule *m = fact_module(a, &f);
    f->blocks[1]->n--;      /* drop bb1's ret */
    expect_verify(m, "rir verify: @fact bb1: block does not end with a terminator (last: const)");
    f->blocks[1]->n = 0;
    expect_verify(m, "rir verify: @fact bb1: empty block");
    fe_arena_free(a);
}
END_TEST

START_TEST(test_verify_term_in_middle)
{
    FeArena *a = fe_arena_new();
    RirFunc *f;
    RirModule *m = fact_module(a, &f);
    /* bb1: ret %4 ; ret %4 — the first is in the middle */
    emit_ret(f, f->blocks[1], 4);
    expect_verify(m, "rir verify: @fact bb1: terminator ret in the middle of the block");
    fe_arena_free(a);
}
END_TEST

START_TEST(test_verify_bad_register)
{
    FeArena *a = fe_arena_new();
    RirFunc *f;
    RirModule *m = fact_module(a, &f);
    f->blocks[0]->instrs[2].args[1] = 99;
    expect_verify(m, "rir verify: @fact bb0: prim: operand register %99 out of range (10 registers)");
    f->blocks[0]->instrs[2].args[1] = 2;
    f->blocks[0]->instrs[1].dst = 0;
    expect_verify(m, "const: assigns %0, the result region parameter");
    fe_arena_free(a);
}
END_TEST

START_TEST(test_verify_bad_target)
{
    FeArena *a = fe_arena_new();
    RirFunc *f;
    RirModule *m = fact_module(a, &f);
    f->blocks[0]->instrs[3].target[1] = 7;
    expect_verify(m, "rir verify: @fact bb0: br: branch target bb7 does not exist");
    f->blocks[0]->instrs[3].target[1] = 0;
    expect_verify(m, "br: branch to the entry block bb0");
    fe_arena_free(a);
}
END_TEST

START_TEST(test_verify_wrong_kind)
{
    FeArena *a = fe_arena_new();
    RirFunc *f;
    RirModule *m = fact_module(a, &f);
    /* %0 (a region) as a value operand */
    f->blocks[0]->instrs[2].args[0] = 0;
    expect_verify(m, "rir verify: @fact bb0: prim: operand %0 is a region register, expected a value");
    f->blocks[0]->instrs[2].args[0] = 1;
    /* a value register as the allocation region */
    f->blocks[2]->instrs[1].region = 1;
    expect_verify(m, "rir verify: @fact bb2: prim: region %1 is a value register, expected a region");
    /* an allocating prim without region, a non-allocating one with */
    f->blocks[2]->instrs[1].region = -1;
    expect_verify(m, "prim: missing region operand");
    f->blocks[2]->instrs[1].region = 0;
    f->blocks[0]->instrs[2].region = 0;
    expect_verify(m, "prim: unexpected region operand %0");
    fe_arena_free(a);
}
END_TEST

START_TEST(test_verify_indices)
{
    FeArena *a = fe_arena_new();
    RirFunc *f;
    RirModule *m = fact_module(a, &f);
    f->blocks[0]->instrs[0].imm = 1;       /* param 1 of a 1-parameter function */
    expect_verify(m, "param 1: the function has 1 parameter(s)");
    f->blocks[0]->instrs[0].imm = 0;
    f->blocks[0]->instrs[0].op = RIR_ENV_REF;
    expect_verify(m, "env.ref 0: the function has 0 free slot(s)");
    f->blocks[0]->instrs[0].op = RIR_PARAM;
    f->blocks[0]->instrs[2].imm = OMNI_BI__COUNT;
    expect_verify(m, "prim: built-in id");
    f->blocks[0]->instrs[2].imm = OMNI_BI_car;   /* car takes 1 */
    expect_verify(m, "prim car: 2 argument(s), arity is 1..1");
    fe_arena_free(a);
}
END_TEST

START_TEST(test_verify_calls)
{
    FeArena *a = fe_arena_new();
    RirFunc *f;
    RirModule *m = fact_module(a, &f);
    RirInstr *call = &f->blocks[2]->instrs[3];
    call->flags = RIF_TAIL;     /* not followed by ret of its result */
    expect_verify(m, "call: a tail call must be followed by ret of its result");
    call->flags = 0;
    call->op = RIR_CALL_KNOWN;
    call->imm = 5;
    expect_verify(m, "call.known: function index 5 out of range");
    call->imm = 0;
    expect_verify(m, "call.known: @entry is the entry function");
    call->imm = 1;
    call->nargs = 1;
    expect_verify(m, "call.known @fact: 0 argument(s) for 1 parameter(s)");
    call->nargs = 2;
    ck_assert_int_eq(ir_verify_module(NULL, m), 0);
    /* closure.new with the wrong number of free values */
    call->op = RIR_CLOSURE_NEW;
    call->region = 0;
    expect_verify(m, "closure.new @fact: 2 free value(s) given, the function has 0");
    fe_arena_free(a);
}
END_TEST

START_TEST(test_verify_use_before_assign)
{
    FeArena *a = fe_arena_new();
    RirFunc *f;
    RirModule *m = fact_module(a, &f);
    /* bb1 returns %9, assigned only in bb2 */
    f->blocks[1]->instrs[1].args[0] = 9;
    expect_verify(m, "rir verify: @fact bb1: ret: %9 may be used before it is assigned");
    fe_arena_free(a);
}
END_TEST

START_TEST(test_verify_entry_shape)
{
    FeArena *a = fe_arena_new();
    RirFunc *f;
    RirModule *m = fact_module(a, &f);
    m->entry->nparams = 1;
    expect_verify(m, "rir verify: @entry: the entry function takes no parameters");
    m->entry->nparams = 0;
    m->entry = NULL;
    expect_verify(m, "needs exactly one entry function");
    m->entry = m->funcs[0];
    f->name = "not-a-symbol";
    expect_verify(m, "name is not a valid symbol");
    f->name = "entry";
    expect_verify(m, "name used by another function");
    fe_arena_free(a);
}
END_TEST

/* ------------------------------------------------------------ passes */

START_TEST(test_simplify)
{
    FeArena *a = fe_arena_new();
    RirModule *m = new_module(a);
    fill_entry(m);
    RirFunc *f = ir_func_new(m, "g", "g", SP);
    f->nparams = 1;
    /* bb0: br p, bb1, bb2; bb1: jmp bb3; bb2: jmp bb3; bb3: jmp bb4;
     * bb4: ret; bb5 (unreachable): ret */
    RirBlock *b[6];
    for (int i = 0; i < 6; i++)
        b[i] = ir_new_block(f);
    RirInstr in = ir_instr(RIR_PARAM, SP);
    int p = in.dst = ir_new_reg(f, RK_VALUE);
    ir_emit(f, b[0], &in);
    in = ir_instr(RIR_BR, SP);
    in.nargs = 1;
    in.args = &p;
    in.target[0] = 1;
    in.target[1] = 2;
    ir_emit(f, b[0], &in);
    int dests[3] = { 3, 3, 4 };
    for (int i = 1; i <= 3; i++) {
        in = ir_instr(RIR_JMP, SP);
        in.target[0] = dests[i - 1];
        ir_emit(f, b[i], &in);
    }
    emit_ret(f, b[4], p);
    emit_ret(f, b[5], p);
    ck_assert_int_eq(ir_verify_module(NULL, m), 0);
    ir_pass_simplify(f);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ir_print_func(out, m, f);
    fclose(out);
    /* both arms thread to bb4, the br becomes a jmp, bb4 merges into bb0 */
    ck_assert_str_eq(buf,
        "fn @g(%0: region, n: 1, rest: no, free: 0) display \"g\"\n"
        "bb0:\n"
        "  %1 = param 0\n"
        "  ret %1\n");
    free(buf);
    ck_assert_int_eq(ir_verify_module(NULL, m), 0);
    fe_arena_free(a);
}
END_TEST

START_TEST(test_simplify_keeps_diamond)
{
    FeArena *a = fe_arena_new();
    RirFunc *f;
    RirModule *m = fact_module(a, &f);
    ir_pass_simplify(f);
    char *t = module_text(m);
    ck_assert_str_eq(t, FACT_TEXT);
    free(t);
    fe_arena_free(a);
}
END_TEST

START_TEST(test_region_place)
{
    FeArena *a = fe_arena_new();
    RirFunc *f;
    RirModule *m = fact_module(a, &f);
    int rr = ir_new_reg(f, RK_REGION);
    f->blocks[2]->instrs[1].region = rr;    /* placed elsewhere: pass puts it in %0 */
    ir_pass_region_place(f);
    ck_assert_int_eq(f->blocks[2]->instrs[1].region, 0);
    ck_assert_int_eq(f->blocks[2]->instrs[4].region, 0);
    ck_assert_int_eq(f->blocks[0]->instrs[2].region, -1);  /* %numeq2 does not allocate */
    ck_assert_int_eq(ir_verify_module(NULL, m), 0);
    fe_arena_free(a);
}
END_TEST

START_TEST(test_pipeline_dump)
{
    FeArena *a = fe_arena_new();
    RirFunc *f;
    RirModule *m = fact_module(a, &f);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    IrPassOptions o = { .verify_each = true, .dump_after = "all", .dump_out = out };
    ck_assert_int_eq(ir_run_passes(m, &o), 0);
    fclose(out);
    ck_assert(strncmp(buf, "; after simplify\nmodule \"u1\"\n", 29) == 0);
    ck_assert_ptr_nonnull(strstr(buf, "; after region-place\nmodule \"u1\"\n"));
    free(buf);

    buf = NULL;
    out = open_memstream(&buf, &len);
    o.dump_after = "region-place";
    o.dump_out = out;
    ck_assert_int_eq(ir_run_passes(m, &o), 0);
    fclose(out);
    ck_assert(strncmp(buf, "; after region-place\n", 21) == 0);
    ck_assert_ptr_null(strstr(buf, "; after simplify"));
    free(buf);

    o.dump_after = "no-such-pass";
    ck_assert_int_ne(ir_run_passes(m, &o), 0);
    ck_assert_int_eq(ir_run_passes(m, NULL), 0);
    fe_arena_free(a);
}
END_TEST

/* ------------------------------------------------------------ lowering */

/* Drops the CTRR escape notes ("  ; escape=..." at the end of allocation
 * sites, ir/print.c) so these tests see the lowering alone; the placement
 * decisions are test_ctrr's business. */
static void strip_escape_notes(char *t)
{
    char *w = t;
    for (const char *r = t; *r;) {
        if (strncmp(r, "  ; escape=", 11) == 0) {
            while (*r && *r != '\n')
                r++;
            continue;
        }
        *w++ = *r++;
    }
    *w = 0;
}

/* Reads, expands and lowers src; returns the printed module (before the
 * passes when `passes` is false), malloc'd.  Fails the test on any error. */
static char *lower_src_opt(const char *src, bool passes)
{
    FeArena *a = fe_arena_new();
    FeSession *s = fe_session_new();
    Diag d;
    fe_diag_init(&d, stderr, src, strlen(src));
    Datum **forms = NULL;
    int n = fe_read_all(a, &d, fe_intern_filename("t.omni"), src, strlen(src), &forms);
    ck_assert_int_eq(d.nerrors, 0);
    Ast *ast = fe_expand_unit(a, &d, s, forms, n);
    ck_assert_msg(ast != NULL && d.nerrors == 0, "frontend errors in: %s", src);
    RirModule *m = ir_lower_unit(a, s, ast, "u1");
    ck_assert_ptr_nonnull(m);
    int nerr;
    char *v = verify_text(m, &nerr);
    if (nerr) {
        char *t = module_text(m);
        ck_abort_msg("verifier:\n%s\nin:\n%s", v, t);
    }
    free(v);
    if (passes) {
        IrPassOptions o = { .verify_each = true };
        ck_assert_int_eq(ir_run_passes(m, &o), 0);
    }
    char *t = module_text(m);
    strip_escape_notes(t);
    fe_session_free(s);
    fe_arena_free(a);
    return t;
}

static char *lower_src(const char *src)
{
    return lower_src_opt(src, true);
}

#define HAS(t, s) ck_assert_msg(strstr((t), (s)) != NULL, "expected \"%s\" in:\n%s", (s), (t))
#define HASNT(t, s) ck_assert_msg(strstr((t), (s)) == NULL, "unexpected \"%s\" in:\n%s", (s), (t))

START_TEST(test_lower_toplevel)
{
    char *t = lower_src("(define x 42)\n(println \"hi\" 'sym '(1 2) 2.5 #\\a)\nx\n");
    ck_assert_str_eq(t,
        "module \"u1\"\n"
        "const #0 = \"hi\"\n"
        "const #1 = (1 2)\n"
        "\n"
        "fn @entry(%0: region, n: 0, rest: no, free: 0) display \"toplevel\" entry\n"
        "bb0:\n"
        "  %1 = const 42\n"
        "  global.def @x, %1\n"
        "  %5 = region.new %0\n"
        "  %2 = closure.new @toplevel() in %5\n"
        "  %3 = call.known @toplevel %2() in %5\n"
        "  %4 = global.get @x\n"
        "  region.exit %5\n"
        "  ret %4\n"
        "\n"
        "fn @toplevel(%0: region, n: 0, rest: no, free: 0) display \"toplevel\"\n"
        "bb0:\n"
        "  %1 = const.str #0\n"
        "  %2 = const.sym sym\n"
        "  %3 = const.datum #1\n"
        "  %4 = const.float 2.5\n"
        "  %5 = const #\\a\n"
        "  %6 = prim println(%1, %2, %3, %4, %5)\n"
        "  ret %6\n");
    free(t);
    t = lower_src("(define y 1)");
    HAS(t, "  global.def @y, %1\n  %2 = const nothing\n  ret %2\n");
    free(t);
}
END_TEST

START_TEST(test_lower_fact)
{
    char *t = lower_src("(define (fact n) (if (= n 0) 1 (* n (fact (- n 1)))))");
    ck_assert_str_eq(t,
        "module \"u1\"\n"
        "\n"
        "fn @entry(%0: region, n: 0, rest: no, free: 0) display \"toplevel\" entry\n"
        "bb0:\n"
        "  %1 = closure.new @fact() in %0\n"
        "  global.def @fact, %1\n"
        "  %2 = const nothing\n"
        "  ret %2\n"
        "\n"
        "fn @fact(%0: region, n: 1, rest: no, free: 0) display \"fact\"\n"
        "bb0:\n"
        "  %1 = param 0\n"
        "  %2 = const 0\n"
        "  %3 = prim %numeq2(%1, %2)\n"
        "  br %3, bb1, bb2\n"
        "bb1:\n"
        "  %4 = const 1\n"
        "  ret %4\n"
        "bb2:\n"
        "  %5 = global.get @fact\n"
        "  %6 = const 1\n"
        "  %10 = region.new %0\n"
        "  %7 = prim %sub2(%1, %6) in %10\n"
        "  %8 = call.known @fact %5(%7) in %10 guarded\n"
        "  %9 = prim %mul2(%1, %8) in %0\n"
        "  region.exit %10\n"
        "  ret %9\n");
    free(t);
}
END_TEST

START_TEST(test_lower_arith)
{
    char *t = lower_src("(define (f a b c) (+ a b))");
    HAS(t, "prim %add2(%1, %2) in %0");
    free(t);
    t = lower_src("(define (f a b c) (+ a b c))");
    HAS(t, "  %4 = prim %add2(%1, %2) in %0\n  %5 = prim %add2(%4, %3) in %0\n  ret %5\n");
    free(t);
    t = lower_src("(define (f a b c) (list (- a) (- a b c) (* a b) (/ a b) (/ a) (+) (< a b) (< a b c)))");
    HAS(t, "prim %neg(%1) in %0");
    HAS(t, "prim %sub2(%1, %2) in %0");
    HAS(t, "prim %mul2(%1, %2) in %0");
    HAS(t, "prim %div2(%1, %2) in %0");
    HAS(t, "prim /(%1) in %0");
    HAS(t, "prim +() in %0");
    HAS(t, "prim %lt2(%1, %2)\n");
    HAS(t, "prim <(%1, %2, %3)\n");
    HAS(t, "prim list(");
    free(t);
    /* wrong argument count: an ordinary call of the global */
    t = lower_src("(define (f a) (car a a))");
    HAS(t, "global.get @car");
    HAS(t, "call %2(%1, %1) tail");
    free(t);
    /* a redefined built-in is called as a global */
    t = lower_src("(define (car x) x)\n(car 1)");
    HAS(t, "global.get @car");
    HASNT(t, "prim car");
    free(t);
}
END_TEST

START_TEST(test_lower_tail)
{
    char *t = lower_src("(define (f g x) (g x))");
    HAS(t, "  %3 = call %1(%2) tail\n  ret %3\n");
    free(t);
    /* not in tail position: no flag; top level: never */
    t = lower_src("(define (f g x) (+ 1 (g x)))\n(f car 1)");
    HASNT(t, " tail");
    free(t);
}
END_TEST

START_TEST(test_lower_closure)
{
    char *t = lower_src("(define (adder n) (fn [x] (+ x n)))");
    HAS(t, "fn @adder(%0: region, n: 1, rest: no, free: 0) display \"adder\"\n"
           "bb0:\n"
           "  %1 = param 0\n"
           "  %2 = closure.new @lambda(%1) in %0\n"
           "  ret %2\n");
    HAS(t, "fn @lambda(%0: region, n: 1, rest: no, free: 1) display \"lambda\"\n"
           "bb0:\n"
           "  %1 = param 0\n"
           "  %2 = env.ref 0\n"
           "  %3 = prim %add2(%1, %2) in %0\n"
           "  ret %3\n");
    free(t);
    /* unique names */
    t = lower_src("(define a (list (fn [] 1) (fn [] 2)))\n(define (entry) 3)");
    HAS(t, "fn @lambda(");
    HAS(t, "fn @lambda.1(");
    HAS(t, "fn @entry.1(%0: region, n: 0, rest: no, free: 0) display \"entry\"");
    free(t);
}
END_TEST

START_TEST(test_lower_box)
{
    char *t = lower_src("(define (make-counter)\n"
                        "  (let [n 0]\n"
                        "    (fn [] (set! n (+ n 1)) n)))");
    HAS(t, "fn @make_counter(");
    HAS(t, "  %1 = const 0\n  %2 = box.new %1 in %0\n  %3 = closure.new @lambda(%2) in %0\n");
    HAS(t, "  %1 = env.ref 0\n  %2 = box.get %1\n  %3 = const 1\n  %4 = prim %add2(%2, %3) in %0\n"
           "  %5 = env.ref 0\n  box.set %5, %4\n  %6 = env.ref 0\n  %7 = box.get %6\n  ret %7\n");
    free(t);
    /* assigned but not captured: a register, copied when read */
    t = lower_src("(define (f x) (set! x (+ x 1)) x)");
    HASNT(t, "box.");
    HAS(t, "  %1 = param 0\n  %2 = mov %1\n  %3 = const 1\n  %4 = prim %add2(%2, %3) in %0\n"
           "  %1 = mov %4\n  ret %1\n");
    free(t);
}
END_TEST

START_TEST(test_lower_self_call)
{
    char *t = lower_src("(define (sum n)\n"
                        "  (let loop [i 0] [acc 0]\n"
                        "    (if (> i n) acc (loop (+ i 1) (+ acc i)))))");
    HAS(t, "call.known @loop %");
    HAS(t, "fn @loop(%0: region, n: 2, rest: no, free: 1) display \"loop\"");
    /* inside loop: self + call.known tail */
    HAS(t, " = self\n");
    HAS(t, ") tail\n");
    HASNT(t, "box.new");
    free(t);
    /* internal defines that call each other */
    t = lower_src("(define (f n)\n"
                  "  (define (ev? k) (if (= k 0) true (od? (- k 1))))\n"
                  "  (define (od? k) (if (= k 0) false (ev? (- k 1))))\n"
                  "  (ev? n))");
    HAS(t, "call.known @ev_ ");
    HAS(t, "call.known @od_ ");
    free(t);
}
END_TEST

START_TEST(test_lower_letrec_early)
{
    /* h captures f before f is bound and x runs h during the
     * initialisation: f gets an early box, and the call through it is an
     * ordinary call (f may still be nothing), not call.known */
    char *t = lower_src("(define (g) (define (h) (f)) (define x (h)) (define (f) 1) x)");
    HAS(t, "  %1 = const nothing\n  %2 = box.new %1 in %0\n  %3 = closure.new @h(%2) in %0\n"
           "  %4 = call.known @h %3()\n  %5 = closure.new @f() in %0\n  box.set %2, %5\n  ret %4\n");
    HAS(t, "  %1 = env.ref 0\n  %2 = box.get %1\n  %3 = call %2() tail\n");
    free(t);
    /* a let-bound lambda and a lambda called where it is written */
    t = lower_src("(define (k) (let [sq (fn [x] (* x x))] (sq 3)))\n((fn [y] y) 1)");
    HAS(t, "call.known @sq %");
    HAS(t, "call.known @lambda %");
    free(t);
}
END_TEST

START_TEST(test_lower_let_if)
{
    char *t = lower_src("(define (f a) (let [x (if a 1 2)] [y 3] (+ x y)))");
    HAS(t, "  br %1, bb1, bb2\nbb1:\n  %3 = const 1\n  %2 = mov %3\n  jmp bb3\n"
           "bb2:\n  %4 = const 2\n  %2 = mov %4\n  jmp bb3\n"
           "bb3:\n  %5 = const 3\n  %6 = prim %add2(%2, %5) in %0\n  ret %6\n");
    free(t);
    /* in tail position each arm returns */
    t = lower_src("(define (f a) (if a 1 (f a)))");
    HAS(t, "bb1:\n  %2 = const 1\n  ret %2\nbb2:\n");
    HAS(t, "call.known @f %3(%1) guarded tail\n  ret %4\n");
    free(t);
}
END_TEST

START_TEST(test_lower_params)
{
    char *t = lower_src("(define f [n {Int}] [s {String}] [& more] (list n s more))");
    HAS(t, "fn @f(%0: region, n: 2, rest: yes, free: 0) display \"f\"\n"
           "bb0:\n"
           "  %1 = param 0\n"
           "  %2 = param 1\n"
           "  %3 = param 2\n"
           "  check.param %1, Int, \"n\"\n"
           "  check.param %2, String, \"s\"\n");
    free(t);
    /* a captured and assigned parameter is boxed at entry */
    t = lower_src("(define (f x) (fn [] (set! x 1)))");
    HAS(t, "  %1 = param 0\n  %2 = box.new %1 in %0\n  %3 = closure.new @lambda(%2) in %0\n");
    free(t);
}
END_TEST

START_TEST(test_lower_spans)
{
    FeArena *a = fe_arena_new();
    FeSession *s = fe_session_new();
    const char *src = "(define (f x)\n  (car x))";
    Diag d;
    fe_diag_init(&d, stderr, src, strlen(src));
    Datum **forms = NULL;
    int n = fe_read_all(a, &d, fe_intern_filename("t.omni"), src, strlen(src), &forms);
    Ast *ast = fe_expand_unit(a, &d, s, forms, n);
    RirModule *m = ir_lower_unit(a, s, ast, "u1");
    ck_assert_ptr_nonnull(m);
    RirFunc *f = m->funcs[1];
    const RirInstr *car = &f->blocks[0]->instrs[1];
    ck_assert_int_eq(car->op, RIR_PRIM);
    ck_assert_int_eq(car->span.line, 2);
    ck_assert_int_eq(car->span.col, 3);
    ck_assert_str_eq(car->span.file, "t.omni");
    fe_session_free(s);
    fe_arena_free(a);
}
END_TEST

/* ------------------------------------------------------------ main */

int main(void)
{
    Suite *s = suite_create("ir");
    TCase *b = tcase_create("builder+printer");
    tcase_add_test(b, test_op_table);
    tcase_add_test(b, test_builder_basics);
    tcase_add_test(b, test_print_fact);
    tcase_add_test(b, test_print_ops);
    tcase_add_test(b, test_print_consts);
    suite_add_tcase(s, b);
    TCase *v = tcase_create("verifier");
    tcase_add_test(v, test_verify_unterminated);
    tcase_add_test(v, test_verify_term_in_middle);
    tcase_add_test(v, test_verify_bad_register);
    tcase_add_test(v, test_verify_bad_target);
    tcase_add_test(v, test_verify_wrong_kind);
    tcase_add_test(v, test_verify_indices);
    tcase_add_test(v, test_verify_calls);
    tcase_add_test(v, test_verify_use_before_assign);
    tcase_add_test(v, test_verify_entry_shape);
    suite_add_tcase(s, v);
    TCase *p = tcase_create("passes");
    tcase_add_test(p, test_simplify);
    tcase_add_test(p, test_simplify_keeps_diamond);
    tcase_add_test(p, test_region_place);
    tcase_add_test(p, test_pipeline_dump);
    suite_add_tcase(s, p);
    TCase *l = tcase_create("lowering");
    tcase_add_test(l, test_lower_toplevel);
    tcase_add_test(l, test_lower_fact);
    tcase_add_test(l, test_lower_arith);
    tcase_add_test(l, test_lower_tail);
    tcase_add_test(l, test_lower_closure);
    tcase_add_test(l, test_lower_box);
    tcase_add_test(l, test_lower_self_call);
    tcase_add_test(l, test_lower_letrec_early);
    tcase_add_test(l, test_lower_let_if);
    tcase_add_test(l, test_lower_params);
    tcase_add_test(l, test_lower_spans);
    suite_add_tcase(s, l);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
