/* print.c — printers for datums and the core AST.
 *
 * fe_print_datum writes the read-back form of a datum (strings and chars
 * quoted, floats shortest-round-trip with a '.' or exponent).  fe_print_ast
 * writes a one-line s-expression of the core AST for tests and debugging:
 *   local variables     name#id          (binding sites add {Type} and :boxed)
 *   global variables    name
 *   constants           42 "s" #\a 'sym '(1 2)
 *   (call f args...) (tailcall f args...) (if c t e) (do e...)
 *   (set! x#1 v) (set! g v) (define g v)
 *   (fn name (params... & rest) [free x#1 ...] [self f#2] body)
 *   (let ([x#1 init] ...) body) (letrec ([f#2 init] ...) body)
 */
#include "fe_internal.h"
#include "omni.h"

#include <stdlib.h>
#include <string.h>

/* Python-repr style: the shortest digits that read back to the same
 * double, positional when the decimal exponent is in [-4, 16). */
static void print_float(FILE *out, double f)
{
    char buf[64];
    if (f != f) {
        fputs("nan", out);
        return;
    }
    if (f == 1.0 / 0.0 || f == -1.0 / 0.0) {
        fputs(f < 0 ? "-inf" : "inf", out);
        return;
    }
    int prec = 1;
    for (; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, f);
        if (strtod(buf, NULL) == f)
            break;
    }
    /* buf is [-]d[.ddd]e[+-]XX: split into digits and exponent. */
    char digits[32];
    int nd = 0, exp10;
    const char *p = buf;
    bool neg = *p == '-';
    if (neg)
        p++;
    for (; *p != 'e'; p++)
        if (*p != '.')
            digits[nd++] = *p;
    exp10 = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    if (neg)
        fputc('-', out);
    if (exp10 >= -4 && exp10 < 16) {
        if (exp10 < 0) {
            fputs("0.", out);
            for (int i = -1; i > exp10; i--)
                fputc('0', out);
            fwrite(digits, 1, (size_t)nd, out);
        } else {
            for (int i = 0; i <= exp10; i++)
                fputc(i < nd ? digits[i] : '0', out);
            fputc('.', out);
            if (nd > exp10 + 1)
                fwrite(digits + exp10 + 1, 1, (size_t)(nd - exp10 - 1), out);
            else
                fputc('0', out);
        }
    } else {
        fputc(digits[0], out);
        if (nd > 1) {
            fputc('.', out);
            fwrite(digits + 1, 1, (size_t)(nd - 1), out);
        }
        fprintf(out, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    }
}

static void print_char(FILE *out, uint32_t cp)
{
    switch (cp) {
    case ' ': fputs("#\\space", out); return;
    case '\n': fputs("#\\newline", out); return;
    case '\t': fputs("#\\tab", out); return;
    case '\r': fputs("#\\return", out); return;
    case 0: fputs("#\\nul", out); return;
    default: break;
    }
    if (cp < 0x20 || cp == 0x7f) {
        fprintf(out, "#\\x%X", (unsigned)cp);
        return;
    }
    char u8[4];
    fputs("#\\", out);
    fwrite(u8, 1, (size_t)fe_utf8_encode(cp, u8), out);
}

void fe_print_string_lit(FILE *out, const char *s, int64_t len)
{
    fputc('"', out);
    for (int64_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\t': fputs("\\t", out); break;
        case '\r': fputs("\\r", out); break;
        case 0: fputs("\\0", out); break;
        default:
            if (c < 0x20 || c == 0x7f)
                fprintf(out, "\\x%02X;", c);
            else
                fputc(c, out);
        }
    }
    fputc('"', out);
}

static void print_items(FILE *out, const Datum *d)
{
    for (int i = 0; i < d->u.list.n; i++) {
        if (i)
            fputc(' ', out);
        fe_print_datum(out, d->u.list.items[i]);
    }
}

void fe_print_datum(FILE *out, const Datum *d)
{
    if (!d) {
        fputs("#<null>", out);
        return;
    }
    switch (d->kind) {
    case D_INT: fprintf(out, "%lld", (long long)d->u.i); break;
    case D_FLOAT: print_float(out, d->u.f); break;
    case D_STRING: fe_print_string_lit(out, d->u.str.s, d->u.str.len); break;
    case D_CHAR: print_char(out, (uint32_t)d->u.i); break;
    case D_SYMBOL: fwrite(d->u.str.s, 1, (size_t)d->u.str.len, out); break;
    case D_BOOL: fputs(d->u.i ? "true" : "false", out); break;
    case D_NOTHING: fputs("nothing", out); break;
    case D_LIST:
        fputc('(', out);
        print_items(out, d);
        if (d->u.list.tail) {
            fputs(" . ", out);
            fe_print_datum(out, d->u.list.tail);
        }
        fputc(')', out);
        break;
    case D_ARRAY:
        fputc('[', out);
        print_items(out, d);
        fputc(']', out);
        break;
    case D_DICT:
        fputs("#{", out);
        print_items(out, d);
        fputc('}', out);
        break;
    case D_TYPE: fprintf(out, "{%.*s}", (int)d->u.str.len, d->u.str.s); break;
    case D_META: fprintf(out, "^:%.*s", (int)d->u.str.len, d->u.str.s); break;
    }
}

/* ------------------------------------------------------------------ AST */
static const char *const ann_names[] = {"Any", "Int", "Float", "String", "Bool", "List",
                                        "Array", "Dict", "Fn", "Symbol", "Char"};

static void print_var(FILE *out, const Var *v) { fprintf(out, "%s#%d", v->name, v->id); }

static void print_binder(FILE *out, const Var *v)
{
    print_var(out, v);
    if (v->ann > 0 && v->ann < OMNI_ANN__COUNT)
        fprintf(out, "{%s}", ann_names[v->ann]);
    if (v->flags & V_BOXED)
        fputs(":boxed", out);
}

static void print_bindings(FILE *out, const Ast *ast)
{
    fputs(" (", out);
    for (int i = 0; i < ast->u.let.n; i++) {
        if (i)
            fputc(' ', out);
        fputc('[', out);
        print_binder(out, ast->u.let.vars[i]);
        fputc(' ', out);
        fe_print_ast(out, ast->u.let.inits[i]);
        fputc(']', out);
    }
    fputs(") ", out);
}

void fe_print_ast(FILE *out, const Ast *ast)
{
    if (!ast) {
        fputs("#<null>", out);
        return;
    }
    switch (ast->kind) {
    case A_CONST: {
        const Datum *d = ast->u.konst;
        if (d->kind == D_SYMBOL || d->kind == D_LIST || d->kind == D_ARRAY || d->kind == D_DICT ||
            d->kind == D_TYPE || d->kind == D_META)
            fputc('\'', out);
        fe_print_datum(out, d);
        break;
    }
    case A_LREF: print_var(out, ast->u.lref); break;
    case A_GREF: fputs(ast->u.gref, out); break;
    case A_LSET:
        fputs("(set! ", out);
        print_var(out, ast->u.lset.var);
        fputc(' ', out);
        fe_print_ast(out, ast->u.lset.val);
        fputc(')', out);
        break;
    case A_GSET:
    case A_GDEF:
        fprintf(out, "(%s %s ", ast->kind == A_GSET ? "set!" : "define", ast->u.gset.name);
        fe_print_ast(out, ast->u.gset.val);
        fputc(')', out);
        break;
    case A_IF:
        fputs("(if ", out);
        fe_print_ast(out, ast->u.if_.c);
        fputc(' ', out);
        fe_print_ast(out, ast->u.if_.t);
        fputc(' ', out);
        fe_print_ast(out, ast->u.if_.e);
        fputc(')', out);
        break;
    case A_SEQ:
        fputs("(do", out);
        for (int i = 0; i < ast->u.seq.n; i++) {
            fputc(' ', out);
            fe_print_ast(out, ast->u.seq.items[i]);
        }
        fputc(')', out);
        break;
    case A_LAMBDA:
        fprintf(out, "(fn %s (", ast->u.lam.name ? ast->u.lam.name : "lambda");
        for (int i = 0; i < ast->u.lam.nparams; i++) {
            if (i)
                fputc(' ', out);
            print_binder(out, ast->u.lam.params[i]);
        }
        if (ast->u.lam.rest) {
            fputs(ast->u.lam.nparams ? " & " : "& ", out);
            print_binder(out, ast->u.lam.rest);
        }
        fputc(')', out);
        if (ast->u.lam.nfree) {
            fputs(" [free", out);
            for (int i = 0; i < ast->u.lam.nfree; i++) {
                fputc(' ', out);
                print_var(out, ast->u.lam.free[i]);
            }
            fputc(']', out);
        }
        if (ast->u.lam.self) {
            fputs(" [self ", out);
            print_var(out, ast->u.lam.self);
            fputc(']', out);
        }
        fputc(' ', out);
        fe_print_ast(out, ast->u.lam.body);
        fputc(')', out);
        break;
    case A_CALL:
        fputs(ast->u.call.tail ? "(tailcall " : "(call ", out);
        fe_print_ast(out, ast->u.call.fn);
        for (int i = 0; i < ast->u.call.nargs; i++) {
            fputc(' ', out);
            fe_print_ast(out, ast->u.call.args[i]);
        }
        fputc(')', out);
        break;
    case A_LET:
    case A_LETREC:
        fputs(ast->kind == A_LET ? "(let" : "(letrec", out);
        print_bindings(out, ast);
        fe_print_ast(out, ast->u.let.body);
        fputc(')', out);
        break;
    }
}
