/* print.c — the textual form of the Region IR.
 *
 * The format is specified in docs/REGION_IR.md and is what lit tests CHECK,
 * so it must stay stable: one instruction per line, operands in a fixed
 * order, registers as %N, blocks as bbN, functions and globals as @name,
 * module constants as #N.  The printer never fails on malformed IR (it is
 * what the verifier's caller dumps), printing `?` for what it cannot name.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ir_internal.h"

/* Shortest text that reads back to the same double, always with a `.` or
 * an exponent so it cannot be mistaken for an integer. */
static void print_float(FILE *out, double d)
{
    if (isnan(d)) { fputs("nan", out); return; }
    if (isinf(d)) { fputs(d < 0 ? "-inf" : "inf", out); return; }
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    fputs(buf, out);
    if (!strpbrk(buf, ".eE"))
        fputs(".0", out);
}

static void print_char(FILE *out, uint32_t c)
{
    switch (c) {
    case ' ':  fputs("#\\space", out); return;
    case '\n': fputs("#\\newline", out); return;
    case '\t': fputs("#\\tab", out); return;
    }
    if (c > 0x20 && c < 0x7f)
        fprintf(out, "#\\%c", (char)c);
    else
        fprintf(out, "#\\x%X", (unsigned)c);
}

static void print_datum(FILE *out, const Datum *d)
{
    if (!d) { fputs("?", out); return; }
    switch (d->kind) {
    case D_INT:     fprintf(out, "%lld", (long long)d->u.i); break;
    case D_FLOAT:   print_float(out, d->u.f); break;
    case D_STRING:  fe_print_string_lit(out, d->u.str.s, d->u.str.len); break;
    case D_CHAR:    print_char(out, (uint32_t)d->u.i); break;
    case D_SYMBOL:  fwrite(d->u.str.s, 1, (size_t)d->u.str.len, out); break;
    case D_BOOL:    fputs(d->u.i ? "true" : "false", out); break;
    case D_NOTHING: fputs("nothing", out); break;
    case D_TYPE:
        fputc('{', out);
        fwrite(d->u.str.s, 1, (size_t)d->u.str.len, out);
        fputc('}', out);
        break;
    case D_META:
        fputs("^:", out);
        fwrite(d->u.str.s, 1, (size_t)d->u.str.len, out);
        break;
    case D_LIST: case D_ARRAY: case D_DICT: {
        const char *open = d->kind == D_LIST ? "(" : d->kind == D_ARRAY ? "[" : "#{";
        const char *close = d->kind == D_LIST ? ")" : d->kind == D_ARRAY ? "]" : "}";
        fputs(open, out);
        for (int i = 0; i < d->u.list.n; i++) {
            if (i) fputc(' ', out);
            print_datum(out, d->u.list.items[i]);
        }
        if (d->kind == D_LIST && d->u.list.tail) {
            fputs(" . ", out);
            print_datum(out, d->u.list.tail);
        }
        fputs(close, out);
        break;
    }
    default: fputs("?", out);
    }
}

/* An immediate OVal as the literal that produces it. */
static void print_imm(FILE *out, OVal v)
{
    if (omni_is_fix(v))           fprintf(out, "%lld", (long long)omni_fixval(v));
    else if (omni_is_char(v))     print_char(out, omni_charval(v));
    else if (v == OMNI_FALSE)     fputs("false", out);
    else if (v == OMNI_TRUE)      fputs("true", out);
    else if (v == OMNI_NIL)       fputs("()", out);
    else if (v == OMNI_NOTHING)   fputs("nothing", out);
    else if (v == OMNI_UNBOUND)   fputs("unbound", out);
    else                          fprintf(out, "raw 0x%llx", (unsigned long long)v);
}

static void print_reg(FILE *out, int32_t r)
{
    if (r < 0) fputs("%?", out);
    else fprintf(out, "%%%d", (int)r);
}

static void print_block_ref(FILE *out, int32_t b)
{
    if (b < 0) fputs("bb?", out);
    else fprintf(out, "bb%d", (int)b);
}

static void print_func_ref(FILE *out, const RirModule *m, int64_t idx)
{
    if (m && idx >= 0 && idx < m->nfuncs && m->funcs[idx])
        fprintf(out, "@%s", m->funcs[idx]->name);
    else
        fprintf(out, "@#%lld", (long long)idx);
}

static void print_name(FILE *out, const char *name)
{
    fprintf(out, "@%s", name ? name : "?");
}

/* "(%a, %b, ...)" over args[from..] */
static void print_arglist(FILE *out, const RirInstr *in, int from)
{
    fputc('(', out);
    for (int i = from; i < in->nargs; i++) {
        if (i > from) fputs(", ", out);
        print_reg(out, in->args[i]);
    }
    fputc(')', out);
}

static int32_t arg(const RirInstr *in, int i)
{
    return in->args && i < in->nargs ? in->args[i] : -1;
}

static void print_in_region(FILE *out, const RirInstr *in)
{
    if (in->region >= 0) {
        fputs(" in ", out);
        print_reg(out, in->region);
    }
}

/* Prints the instruction without indentation or newline. */
static void print_instr_body(FILE *out, const RirModule *m, const RirInstr *in)
{
    if (in->dst >= 0) {
        print_reg(out, in->dst);
        fputs(" = ", out);
    }
    if (in->op >= RIR__COUNT) {
        fprintf(out, "?op%u", (unsigned)in->op);
        return;
    }
    fputs(ir_op_names[in->op], out);
    switch ((RirOp)in->op) {
    case RIR_CONST:
        fputc(' ', out);
        print_imm(out, (OVal)in->imm);
        break;
    case RIR_CONST_FLOAT:
        fputc(' ', out);
        print_float(out, in->fimm);
        break;
    case RIR_CONST_STR:
    case RIR_CONST_DATUM:
        fprintf(out, " #%lld", (long long)in->imm);
        break;
    case RIR_CONST_SYM:
        fprintf(out, " %s", in->name ? in->name : "?");
        break;
    case RIR_PARAM:
    case RIR_ENV_REF:
        fprintf(out, " %lld", (long long)in->imm);
        break;
    case RIR_SELF:
        break;
    case RIR_GLOBAL_GET:
        fputc(' ', out);
        print_name(out, in->name);
        break;
    case RIR_GLOBAL_SET:
    case RIR_GLOBAL_DEF:
        fputc(' ', out);
        print_name(out, in->name);
        fputs(", ", out);
        print_reg(out, arg(in, 0));
        break;
    case RIR_MOV:
    case RIR_BOX_GET:
    case RIR_RET:
        fputc(' ', out);
        print_reg(out, arg(in, 0));
        break;
    case RIR_BOX_NEW:
    case RIR_ADMIT:
        fputc(' ', out);
        print_reg(out, arg(in, 0));
        print_in_region(out, in);
        break;
    case RIR_BOX_SET:
        fputc(' ', out);
        print_reg(out, arg(in, 0));
        fputs(", ", out);
        print_reg(out, arg(in, 1));
        break;
    case RIR_CLOSURE_NEW:
        fputc(' ', out);
        print_func_ref(out, m, in->imm);
        print_arglist(out, in, 0);
        print_in_region(out, in);
        break;
    case RIR_CALL:
        fputc(' ', out);
        print_reg(out, arg(in, 0));
        print_arglist(out, in, 1);
        print_in_region(out, in);   /* the callee's result region, when not %0 */
        if (in->flags & RIF_TAIL) fputs(" tail", out);
        break;
    case RIR_CALL_KNOWN:
        fputc(' ', out);
        print_func_ref(out, m, in->imm);
        fputc(' ', out);
        print_reg(out, arg(in, 0));
        print_arglist(out, in, 1);
        print_in_region(out, in);
        if (in->flags & RIF_GUARDED) fputs(" guarded", out);
        if (in->flags & RIF_TAIL) fputs(" tail", out);
        break;
    case RIR_PRIM:
        if (in->imm >= 0 && in->imm < OMNI_BI__COUNT)
            fprintf(out, " %s", ir_builtins[in->imm].name);
        else
            fprintf(out, " #%lld", (long long)in->imm);
        print_arglist(out, in, 0);
        print_in_region(out, in);
        break;
    case RIR_CHECK_PARAM: {
        const char *ann = ir_ann_name(in->imm);
        fputc(' ', out);
        print_reg(out, arg(in, 0));
        if (ann) fprintf(out, ", %s, ", ann);
        else fprintf(out, ", #%lld, ", (long long)in->imm);
        const char *n = in->name ? in->name : "?";
        fe_print_string_lit(out, n, (int64_t)strlen(n));
        break;
    }
    case RIR_REGION_GLOBAL:
        break;
    case RIR_REGION_NEW:
    case RIR_REGION_EXIT:
    case RIR_RETAIN:
    case RIR_RELEASE:
    case RIR_TETHER:
    case RIR_UNTETHER:
        fputc(' ', out);
        print_reg(out, in->region);
        break;
    case RIR_REGION_CARRY:
    case RIR_REGION_LEAVE:
        fputc(' ', out);
        print_reg(out, in->region);
        fputs(" to ", out);
        print_reg(out, in->region2);
        fputs(" (", out);
        for (int i = 0; i < in->nargs; i++) {
            if (i)
                fputs(", ", out);
            print_reg(out, in->args[i]);
        }
        fputc(')', out);
        break;
    case RIR_TRANSMIGRATE:
        fputc(' ', out);
        print_reg(out, arg(in, 0));
        fputs(" from ", out);
        print_reg(out, in->region2);
        fputs(" to ", out);
        print_reg(out, in->region);
        break;
    case RIR_SCOPE_BEGIN:
    case RIR_SCOPE_END:
        fprintf(out, " %lld", (long long)in->imm);
        break;
    case RIR_JMP:
        fputc(' ', out);
        print_block_ref(out, in->target[0]);
        break;
    case RIR_BR:
        fputc(' ', out);
        print_reg(out, arg(in, 0));
        fputs(", ", out);
        print_block_ref(out, in->target[0]);
        fputs(", ", out);
        print_block_ref(out, in->target[1]);
        break;
    case RIR__COUNT:
        break;
    }
    /* the CTRR escape class of an allocation site (set by ir/pass_escape.c),
     * so the placement decision can be read next to it */
    if (in->escape != IR_ESC_UNSET && ir_instr_allocates(in) && in->op != RIR_TRANSMIGRATE &&
        in->op != RIR_ADMIT)
        fprintf(out, "  ; escape=%s%s", ir_escape_name(in->escape),
                (in->escape & IR_ESC_CHEAP) ? " cheap" : "");
}

static void print_instr(FILE *out, const RirModule *m, const RirInstr *in, unsigned flags)
{
    fputs("  ", out);
    if (!(flags & IR_PRINT_SPANS)) {
        print_instr_body(out, m, in);
        fputc('\n', out);
        return;
    }
    /* measure the body to align the span comments in one column */
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (mem) {
        print_instr_body(mem, m, in);
        fclose(mem);
        fputs(buf, out);
        free(buf);
    } else {
        print_instr_body(out, m, in);
    }
    for (size_t i = len; i < 38; i++)
        fputc(' ', out);
    fprintf(out, "  ; %s:%d:%d\n", in->span.file ? in->span.file : "?",
            (int)in->span.line, (int)in->span.col);
}

void ir_print_func_ex(FILE *out, const RirModule *m, const RirFunc *f, unsigned flags)
{
    fprintf(out, "fn @%s(%%0: region, n: %d, rest: %s, free: %d) display ",
            f->name ? f->name : "?", f->nparams, f->has_rest ? "yes" : "no", f->nfree);
    const char *disp = f->display ? f->display : "";
    fe_print_string_lit(out, disp, (int64_t)strlen(disp));
    if (f->is_entry)
        fputs(" entry", out);
    fputc('\n', out);
    for (int b = 0; b < f->nblocks; b++) {
        const RirBlock *blk = f->blocks[b];
        fprintf(out, "bb%d:\n", blk->id);
        for (int i = 0; i < blk->n; i++)
            print_instr(out, m, &blk->instrs[i], flags);
    }
}

void ir_print_module_ex(FILE *out, const RirModule *m, unsigned flags)
{
    fputs("module ", out);
    fe_print_string_lit(out, m->name, (int64_t)strlen(m->name));
    fputc('\n', out);
    for (int i = 0; i < m->nconsts; i++) {
        fprintf(out, "const #%d = ", i);
        print_datum(out, m->consts[i]);
        fputc('\n', out);
    }
    for (int i = 0; i < m->nfuncs; i++) {
        fputc('\n', out);
        ir_print_func_ex(out, m, m->funcs[i], flags);
    }
}

void ir_print_func(FILE *out, const RirModule *m, const RirFunc *f)
{
    ir_print_func_ex(out, m, f, 0);
}

void ir_print_module(FILE *out, const RirModule *m)
{
    ir_print_module_ex(out, m, 0);
}
