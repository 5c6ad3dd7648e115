/* test_frontend.c — Check suites for the frontend: reader, diagnostics,
 * expander and resolver.
 *
 * Datums and ASTs are compared through their printers (fe_print_datum,
 * fe_print_ast), so the expected strings read like the language; error
 * tests capture the Diag output in memory and match the message text.
 */
#include "frontend.h"
#include "omni.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- helpers */
typedef struct Run {
    FeArena *a;
    Diag d;
    char *diag_text;  /* everything the Diag printed */
    size_t diag_len;
    FILE *diag_out;
    Datum **ds;
    int n;
} Run;

static void run_read(Run *r, const char *src)
{
    r->a = fe_arena_new();
    r->diag_out = open_memstream(&r->diag_text, &r->diag_len);
    fe_diag_init(&r->d, r->diag_out, src, strlen(src));
    r->n = fe_read_all(r->a, &r->d, "t.omni", src, strlen(src), &r->ds);
    fflush(r->diag_out);
}

static void run_free(Run *r)
{
    fclose(r->diag_out);
    free(r->diag_text);
    fe_arena_free(r->a);
}

static char *datum_str(const Datum *d)
{
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    fe_print_datum(f, d);
    fclose(f);
    return buf;
}

/* Reads `src`, which must hold one datum without errors, and compares its
 * printed form. */
#define CHECK_READ(src, want)                                                        \
    do {                                                                             \
        Run r_;                                                                      \
        run_read(&r_, src);                                                          \
        ck_assert_msg(r_.d.nerrors == 0, "errors reading %s: %s", src, r_.diag_text); \
        ck_assert_int_eq(r_.n, 1);                                                   \
        char *s_ = datum_str(r_.ds[0]);                                              \
        ck_assert_str_eq(s_, want);                                                  \
        free(s_);                                                                    \
        run_free(&r_);                                                               \
    } while (0)

/* Reads `src` and expects exactly `nerr` errors, the first containing `msg`. */
#define CHECK_READ_ERR(src, nerr, msg)                                                 \
    do {                                                                               \
        Run r_;                                                                        \
        run_read(&r_, src);                                                            \
        ck_assert_msg(r_.d.nerrors == (nerr), "%s: want %d errors, got %d: %s", src, \
                      (nerr), r_.d.nerrors, r_.diag_text);                             \
        ck_assert_msg(strstr(r_.diag_text, msg), "%s: missing '%s' in: %s", src, msg,  \
                      r_.diag_text);                                                   \
        run_free(&r_);                                                                 \
    } while (0)

/* Expands `src` (read without errors) in session s; returns the printed
 * top-level forms joined by newlines, or "ERROR: <diagnostics>". */
static char *expand_in(FeSession *s, const char *src)
{
    Run r;
    run_read(&r, src);
    ck_assert_msg(r.d.nerrors == 0, "read errors: %s", r.diag_text);
    Ast *unit = fe_expand_unit(r.a, &r.d, s, r.ds, r.n);
    fflush(r.diag_out);
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    if (!unit) {
        fprintf(f, "ERROR: %s", r.diag_text);
    } else {
        ck_assert_int_eq(unit->kind, A_SEQ);
        ck_assert_int_ge(unit->u.seq.n, 1);
        for (int i = 0; i < unit->u.seq.n; i++) {
            if (i)
                fputc('\n', f);
            fe_print_ast(f, unit->u.seq.items[i]);
        }
    }
    fclose(f);
    run_free(&r);
    return buf;
}

static char *expand_str(const char *src)
{
    FeSession *s = fe_session_new();
    char *out = expand_in(s, src);
    fe_session_free(s);
    return out;
}

#define CHECK_EXPAND(src, want)              \
    do {                                     \
        char *s_ = expand_str(src);          \
        ck_assert_str_eq(s_, want);          \
        free(s_);                            \
    } while (0)

#define CHECK_EXPAND_ERR(src, msg)                                                 \
    do {                                                                           \
        char *s_ = expand_str(src);                                                \
        ck_assert_msg(strncmp(s_, "ERROR: ", 7) == 0, "%s: expected an error, got %s", src, s_); \
        ck_assert_msg(strstr(s_, msg), "%s: missing '%s' in: %s", src, msg, s_);   \
        free(s_);                                                                  \
    } while (0)

/* ------------------------------------------------------------- reader */
START_TEST(read_ints)
{
    CHECK_READ("42", "42");
    CHECK_READ("-7", "-7");
    CHECK_READ("+3", "3");
    CHECK_READ("0", "0");
    CHECK_READ("4611686018427387903", "4611686018427387903");
    CHECK_READ("-4611686018427387904", "-4611686018427387904");
    CHECK_READ_ERR("4611686018427387904", 1, "t.omni:1:1: error: integer literal out of range");
    CHECK_READ_ERR("-4611686018427387905", 1, "integer literal out of range");
    CHECK_READ_ERR("99999999999999999999999", 1, "integer literal out of range");
    CHECK_READ_ERR("12abc", 1, "invalid number literal '12abc'");
}
END_TEST

START_TEST(read_floats)
{
    CHECK_READ("3.14", "3.14");
    CHECK_READ(".5", "0.5");
    CHECK_READ("3.", "3.0");
    CHECK_READ("1e10", "10000000000.0");
    CHECK_READ("-2.5e-3", "-0.0025");
    CHECK_READ("1e16", "1e+16");
    CHECK_READ("1e-5", "1e-05");
    CHECK_READ("-.5", "-0.5");
    CHECK_READ_ERR("1.2.3", 1, "invalid number literal");
}
END_TEST

START_TEST(read_strings)
{
    CHECK_READ("\"hi\"", "\"hi\"");
    CHECK_READ("\"a\\\"b\\\\c\\n\\t\\r\"", "\"a\\\"b\\\\c\\n\\t\\r\"");
    CHECK_READ("\"\\x41;\\x3bb;\"", "\"A\xce\xbb\"");
    CHECK_READ("\"multi\nline\"", "\"multi\\nline\"");
    Run r;
    run_read(&r, "\"a\\0b\"");
    ck_assert_int_eq(r.d.nerrors, 0);
    ck_assert_int_eq(r.ds[0]->kind, D_STRING);
    ck_assert_int_eq(r.ds[0]->u.str.len, 3);
    ck_assert_int_eq(r.ds[0]->u.str.s[1], 0);
    run_free(&r);
    CHECK_READ_ERR("\"bad \\q\"", 1, "t.omni:1:6: error: bad escape '\\q' in string");
    CHECK_READ_ERR("\"\\x41\"", 1, "bad \\x escape");
    CHECK_READ_ERR("\"\\xD800;\"", 1, "not a character");
    CHECK_READ_ERR("\"abc", 1, "t.omni:1:1: error: unterminated string");
}
END_TEST

START_TEST(read_chars)
{
    CHECK_READ("#\\a", "#\\a");
    CHECK_READ("#\\Z", "#\\Z");
    CHECK_READ("#\\space", "#\\space");
    CHECK_READ("#\\newline", "#\\newline");
    CHECK_READ("#\\tab", "#\\tab");
    CHECK_READ("#\\x41", "#\\A");
    CHECK_READ("#\\x", "#\\x");
    CHECK_READ("#\\(", "#\\(");
    CHECK_READ("#\\\xce\xbb", "#\\\xce\xbb");
    Run r;
    run_read(&r, "#\\\xce\xbb");
    ck_assert_int_eq(r.ds[0]->kind, D_CHAR);
    ck_assert_int_eq(r.ds[0]->u.i, 0x3bb);
    run_free(&r);
    CHECK_READ_ERR("#\\foo", 1, "bad character name '#\\foo'");
    CHECK_READ_ERR("#\\xZZ", 1, "bad character name");
    CHECK_READ_ERR("#q", 1, "bad # syntax");
}
END_TEST

START_TEST(read_symbols)
{
    CHECK_READ("foo", "foo");
    CHECK_READ("string->number", "string->number");
    CHECK_READ("null?", "null?");
    CHECK_READ("set!", "set!");
    CHECK_READ("+", "+");
    CHECK_READ("-", "-");
    CHECK_READ("...", "...");
    CHECK_READ("&", "&");
    CHECK_READ("<=", "<=");
    CHECK_READ("*x2*", "*x2*");
    CHECK_READ("%seq-ref", "%seq-ref");
    CHECK_READ("_", "_");
    CHECK_READ("\xce\xbb", "\xce\xbb");
    CHECK_READ("->x", "->x");
    Run r;
    run_read(&r, "true false nothing");
    ck_assert_int_eq(r.n, 3);
    ck_assert_int_eq(r.ds[0]->kind, D_BOOL);
    ck_assert_int_eq(r.ds[0]->u.i, 1);
    ck_assert_int_eq(r.ds[1]->kind, D_BOOL);
    ck_assert_int_eq(r.ds[1]->u.i, 0);
    ck_assert_int_eq(r.ds[2]->kind, D_NOTHING);
    run_free(&r);
    CHECK_READ_ERR("a@b", 1, "unexpected character '@' in symbol");
    CHECK_READ_ERR("a:b", 1, "unexpected character ':' in symbol");
    CHECK_READ_ERR("a&b", 1, "unexpected character '&' in symbol");
}
END_TEST

START_TEST(read_compound)
{
    CHECK_READ("'x", "(quote x)");
    CHECK_READ("' x", "(quote x)");
    CHECK_READ(":name", "(quote name)");
    CHECK_READ("'(1 2)", "(quote (1 2))");
    CHECK_READ("()", "()");
    CHECK_READ("(a (b c) [d])", "(a (b c) [d])");
    CHECK_READ("[1 2 3]", "[1 2 3]");
    CHECK_READ("#{:a 1 \"k\" 2}", "#{(quote a) 1 \"k\" 2}");
    CHECK_READ("{Int}", "{Int}");
    CHECK_READ("{ Float }", "{Float}");
    CHECK_READ("^:seq", "^:seq");
    CHECK_READ("(a . b)", "(a . b)");
    CHECK_READ("(a b . (c))", "(a b . (c))");
    CHECK_READ("; comment\n 1 ; more", "1");
    Run r;
    run_read(&r, "[x {Int}]");
    ck_assert_int_eq(r.ds[0]->kind, D_ARRAY);
    ck_assert_int_eq(r.ds[0]->u.list.items[1]->kind, D_TYPE);
    ck_assert_str_eq(r.ds[0]->u.list.items[1]->u.str.s, "Int");
    run_free(&r);
    run_read(&r, "^:seq");
    ck_assert_int_eq(r.ds[0]->kind, D_META);
    ck_assert_str_eq(r.ds[0]->u.str.s, "seq");
    run_free(&r);
    CHECK_READ_ERR("#{1}", 1, "even number of elements");
    CHECK_READ_ERR("{Int Float}", 1, "bad type annotation");
    CHECK_READ_ERR("(. a)", 1, "bad dotted list");
    CHECK_READ_ERR("(a . b c)", 1, "bad dotted list");
    CHECK_READ_ERR("[a . b]", 1, "unexpected '.'");
    CHECK_READ_ERR("^x", 1, "bad metadata");
    CHECK_READ_ERR(":", 1, "expected a name after ':'");
}
END_TEST

START_TEST(read_paths)
{
    CHECK_READ("p.name", "(get p (quote name))");
    CHECK_READ("v.[0]", "(get v 0)");
    CHECK_READ("v.[(+ i 1)]", "(get v (+ i 1))");
    CHECK_READ("a.b.c", "(get (get a (quote b)) (quote c))");
    CHECK_READ("p.name.x", "(get (get p (quote name)) (quote x))");
    CHECK_READ("v.[i]", "(get v i)");
    CHECK_READ("v.[0].name", "(get (get v 0) (quote name))");
    CHECK_READ("(println p.name p.age)", "(println (get p (quote name)) (get p (quote age)))");
    CHECK_READ_ERR("p.", 1, "expected a name or [index] after '.'");
    CHECK_READ_ERR("v.[1 2]", 1, "exactly one datum");
}
END_TEST

START_TEST(read_spans)
{
    Run r;
    run_read(&r, "(a\n  bc \"\xce\xbb\" d)\n  'x");
    ck_assert_int_eq(r.d.nerrors, 0);
    ck_assert_int_eq(r.n, 2);
    Datum *l = r.ds[0];
    ck_assert_str_eq(l->span.file, "t.omni");
    ck_assert_int_eq(l->span.line, 1);
    ck_assert_int_eq(l->span.col, 1);
    ck_assert_int_eq(l->u.list.items[1]->span.line, 2);
    ck_assert_int_eq(l->u.list.items[1]->span.col, 3);
    ck_assert_int_eq(l->u.list.items[2]->span.col, 6);
    /* columns count code points: λ is one column */
    ck_assert_int_eq(l->u.list.items[3]->span.col, 10);
    ck_assert_int_eq(r.ds[1]->span.line, 3);
    ck_assert_int_eq(r.ds[1]->span.col, 3);
    ck_assert_ptr_eq(l->span.file, fe_intern_filename("t.omni"));
    run_free(&r);
}
END_TEST

START_TEST(read_errors_recover)
{
    CHECK_READ_ERR(")", 1, "t.omni:1:1: error: unexpected ')'");
    CHECK_READ_ERR("]", 1, "unexpected ']'");
    CHECK_READ_ERR("}", 1, "unexpected '}'");
    CHECK_READ_ERR("(a ]", 1, "mismatched ']'");
    CHECK_READ_ERR("(define x (+ 1 \"a\"", 1, "t.omni:1:11: error: unterminated list");
    CHECK_READ_ERR("[1 2", 1, "unterminated array");
    CHECK_READ_ERR("#{1 2", 1, "unterminated dict");
    /* absurd nesting is an error, not a stack overflow */
    char *deep = malloc(200001);
    memset(deep, '(', 100000);
    memset(deep + 100000, ')', 100000);
    deep[200000] = 0;
    CHECK_READ_ERR(deep, 1, "nesting too deep");
    free(deep);
    /* several errors in one file, and the good datums are still read */
    Run r;
    run_read(&r, "(a ]\n\"\\q\" #\\bogus 1 99999999999999999999\n) (b c)\n(let [x 1) x)");
    ck_assert_int_eq(r.d.nerrors, 6);
    ck_assert_int_eq(r.n, 4); /* (a) 1 (b c) (let [x 1] x) */
    char *s = datum_str(r.ds[3]);
    ck_assert_str_eq(s, "(let [x 1] x)");
    free(s);
    run_free(&r);
}
END_TEST

START_TEST(diag_format)
{
    Run r;
    run_read(&r, "(define x 1)\n(define x (+ 1 \"a\"\n");
    ck_assert_int_eq(r.d.nerrors, 1);
    ck_assert_str_eq(r.diag_text, "t.omni:2:11: error: unterminated list\n"
                                  "(define x (+ 1 \"a\"\n"
                                  "          ^\n");
    run_free(&r);
    /* tabs are kept so the caret lines up */
    run_read(&r, "\t(a ]");
    ck_assert_str_eq(r.diag_text, "t.omni:1:5: error: mismatched ']': expected ')' to close the list opened at 1:2\n"
                                  "\t(a ]\n"
                                  "\t   ^\n");
    run_free(&r);
    /* REPL line offset: spans and messages use the session's line numbers */
    FeArena *a = fe_arena_new();
    char *text;
    size_t len;
    FILE *out = open_memstream(&text, &len);
    Diag d;
    const char *src = "1\n  )";
    fe_diag_init(&d, out, src, strlen(src));
    d.line_offset = 10;
    Datum **ds;
    int n = fe_read_all(a, &d, "<repl>", src, strlen(src), &ds);
    fflush(out);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(ds[0]->span.line, 11);
    ck_assert_str_eq(text, "<repl>:12:3: error: unexpected ')'\n  )\n  ^\n");
    fclose(out);
    free(text);
    fe_arena_free(a);
}
END_TEST

START_TEST(input_complete)
{
    ck_assert(fe_input_complete("", 0));
    ck_assert(fe_input_complete("(+ 1 2)", 7));
    ck_assert(!fe_input_complete("(+ 1", 4));
    ck_assert(!fe_input_complete("(define (f x)\n  (+ x", 19));
    ck_assert(!fe_input_complete("\"abc", 4));
    ck_assert(fe_input_complete("\"a(\"", 4));
    ck_assert(fe_input_complete("\"a\\\"(\"", 6));
    ck_assert(!fe_input_complete("[1 2", 4));
    ck_assert(!fe_input_complete("#{:a 1", 6));
    ck_assert(fe_input_complete("#\\(", 3));
    ck_assert(fe_input_complete("; (\n1", 5));
    ck_assert(fe_input_complete(")", 1));
    ck_assert(fe_input_complete("(a))", 4));
    ck_assert(!fe_input_complete("'", 1));
}
END_TEST

/* ----------------------------------------------------------- expander */
START_TEST(expand_basic)
{
    CHECK_EXPAND("42", "42");
    CHECK_EXPAND("\"s\" #\\a 1.5 true nothing ()", "\"s\"\n#\\a\n1.5\ntrue\nnothing\n'()");
    CHECK_EXPAND("'x", "'x");
    CHECK_EXPAND(":x", "'x");
    CHECK_EXPAND("'(1 2)", "'(1 2)");
    CHECK_EXPAND("(quote [a b])", "'[a b]");
    CHECK_EXPAND("(+ 1 2)", "(call + 1 2)");
    CHECK_EXPAND("(if 1 2 3)", "(if 1 2 3)");
    CHECK_EXPAND("(if 1 2)", "(if 1 2 nothing)");
    CHECK_EXPAND("(do 1 2)", "1\n2"); /* top-level do splices */
    CHECK_EXPAND("(fn [] (do 1 2))", "(fn lambda () (do 1 2))");
    CHECK_EXPAND("(begin)", "nothing");
    CHECK_EXPAND("[1 (+ 1 1)]", "(call array 1 (call + 1 1))");
    CHECK_EXPAND("#{:a 1}", "(call dict 'a 1)");
    CHECK_EXPAND("(define v [1 2])", "(define v (call array 1 2))");
    CHECK_EXPAND("(define x 42) x", "(define x 42)\nx");
    CHECK_EXPAND("x (define x 42)", "x\n(define x 42)");
    CHECK_EXPAND("(do (define y 1) y)", "(define y 1)\ny");
    CHECK_EXPAND("(1 2)", "(call 1 2)");
    CHECK_EXPAND("(let [get 1] (define p 2) p.x)",
                 "(let ([get#0 1]) (letrec ([p#1 2]) (call get p#1 'x)))");
}
END_TEST

START_TEST(expand_define)
{
    CHECK_EXPAND("(define (f a b) (+ a b))", "(define f (fn f (a#0 b#1) (tailcall + a#0 b#1)))");
    CHECK_EXPAND("(define f [a] [b] (+ a b))", "(define f (fn f (a#0 b#1) (tailcall + a#0 b#1)))");
    CHECK_EXPAND("(define f [a b c] a)", "(define f (fn f (a#0 b#1 c#2) a#0))");
    CHECK_EXPAND("(define f [] 1)", "(define f (fn f () 1))");
    CHECK_EXPAND("(define (f a & r) r)", "(define f (fn f (a#0 & r#1) r#1))");
    CHECK_EXPAND("(define (f a . r) r)", "(define f (fn f (a#0 & r#1) r#1))");
    CHECK_EXPAND("(define f [x {Int}] [& r {List}] x)", "(define f (fn f (x#0{Int} & r#1{List}) x#0))");
    CHECK_EXPAND("(define (f [x {Float}]) x)", "(define f (fn f (x#0{Float}) x#0))");
    CHECK_EXPAND("(define f (fn [x] x))", "(define f (fn f (x#0) x#0))");
    CHECK_EXPAND("(fn [] 1)", "(fn lambda () 1)");
    CHECK_EXPAND("(lambda (x) x)", "(fn lambda (x#0) x#0)");
    CHECK_EXPAND("(\xce\xbb [x] x)", "(fn lambda (x#0) x#0)");
    CHECK_EXPAND("(fn args args)", "(fn lambda (& args#0) args#0)");
    CHECK_EXPAND("(fn [x] [& r] r)", "(fn lambda (x#0 & r#1) r#1)");
    /* recursion through the global: no self for top-level defines */
    CHECK_EXPAND("(define (f n) (f n))", "(define f (fn f (n#0) (tailcall f n#0)))");
}
END_TEST

START_TEST(expand_let)
{
    CHECK_EXPAND("(let [x 1] [y 2] (+ x y))", "(let ([x#0 1] [y#1 2]) (call + x#0 y#1))");
    CHECK_EXPAND("(let [x 1 y 2] x)", "(let ([x#0 1] [y#1 2]) x#0)");
    CHECK_EXPAND("(let ((x 1) (y 2)) y)", "(let ([x#0 1] [y#1 2]) y#1)");
    CHECK_EXPAND("(let [x {Int} 1] x)", "(let ([x#0{Int} 1]) x#0)");
    CHECK_EXPAND("(let [] 1)", "1");
    /* parallel: the init sees the outer x */
    CHECK_EXPAND("(let [x 1] (let [x 2] [y x] y))",
                 "(let ([x#0 1]) (let ([x#1 2] [y#2 x#0]) y#2))");
    CHECK_EXPAND("(let ^:seq [x 1] [y (+ x 1)] y)",
                 "(let ([x#0 1]) (let ([y#1 (call + x#0 1)]) y#1))");
    CHECK_EXPAND("(let loop [i 0] [acc ()] (if (> i 3) acc (loop (+ i 1) (cons i acc))))",
                 "(letrec ([loop#0 (fn loop (i#1 acc#2) [self loop#0] (if (call > i#1 3) acc#2 "
                 "(tailcall loop#0 (call + i#1 1) (call cons i#1 acc#2))))]) (call loop#0 0 '()))");
    /* named let inits are outside the loop's scope */
    CHECK_EXPAND("(let [loop 5] (let loop [i loop] i))",
                 "(let ([loop#0 5]) (letrec ([loop#1 (fn loop (i#2) [self loop#1] i#2)]) (call loop#1 loop#0)))");
    CHECK_EXPAND("(let [f (fn [] 1)] f)", "(let ([f#0 (fn f () 1)]) f#0)");
}
END_TEST

START_TEST(expand_forms)
{
    CHECK_EXPAND("(set! x 1) (define x 0)", "(set! x 1)\n(define x 0)");
    CHECK_EXPAND("(let [x 1] (set! x 2))", "(let ([x#0 1]) (set! x#0 2))");
    CHECK_EXPAND("(and)", "true");
    CHECK_EXPAND("(or)", "false");
    CHECK_EXPAND("(and 1)", "1");
    CHECK_EXPAND("(and (f) 2) (define (f) 1)",
                 "(let ([tmp#0 (call f)]) (if tmp#0 2 tmp#0))\n(define f (fn f () 1))");
    CHECK_EXPAND("(or (f) 2) (define (f) 1)",
                 "(let ([tmp#0 (call f)]) (if tmp#0 tmp#0 2))\n(define f (fn f () 1))");
    CHECK_EXPAND("(let [a 1] (and a 2 3))", "(let ([a#0 1]) (if a#0 (if 2 3 2) a#0))");
    CHECK_EXPAND("(when 1 2 3)", "(if 1 (do 2 3) nothing)");
    CHECK_EXPAND("(unless 1 2)", "(if 1 nothing 2)");
    CHECK_EXPAND("(cond)", "nothing");
    CHECK_EXPAND("(cond [1 2] (3 4) [else 5])", "(if 1 2 (if 3 4 5))");
    CHECK_EXPAND("(cond [1 2])", "(if 1 2 nothing)");
    CHECK_EXPAND("(cond [(f)] [else 5]) (define (f) 1)",
                 "(let ([tmp#0 (call f)]) (if tmp#0 tmp#0 5))\n(define f (fn f () 1))");
}
END_TEST

START_TEST(expand_internal_define)
{
    CHECK_EXPAND("(define (f x) (define y (+ x 1)) (define (g) y) (g))",
                 "(define f (fn f (x#0) (letrec ([y#1 (call + x#0 1)] [g#2 (fn g () [free y#1] [self g#2] y#1)]) "
                 "(tailcall g#2))))");
    /* expressions between defines keep their order as dummy bindings */
    CHECK_EXPAND("(fn [] (println 1) (define a 2) a)",
                 "(fn lambda () (letrec ([_#1 (call println 1)] [a#0 2]) a#0))");
    CHECK_EXPAND("(let [x 1] (define y x) y)", "(let ([x#0 1]) (letrec ([y#1 x#0]) y#1))");
    CHECK_EXPAND("(when 1 (define z 2) z)", "(if 1 (letrec ([z#0 2]) z#0) nothing)");
    CHECK_EXPAND("(fn [] (do (define q 1) q))", "(fn lambda () (letrec ([q#0 1]) q#0))");
    CHECK_EXPAND("(fn [] (define q 1))", "(fn lambda () (letrec ([q#0 1]) nothing))");
}
END_TEST

START_TEST(expand_match)
{
    CHECK_EXPAND("(match 1 1 \"one\" _ \"other\")",
                 "(let ([match-value#0 1]) (if (call equal? match-value#0 1) \"one\" \"other\"))");
    CHECK_EXPAND("(match 1 :red 1 'blue 2 () 3)",
                 "(let ([match-value#0 1]) (if (call eq? match-value#0 'red) 1 (if (call eq? match-value#0 'blue) 2 "
                 "(if (call null? match-value#0) 3 (call error \"match: no pattern matched\" match-value#0)))))");
    CHECK_EXPAND("(match 1 x x)", "(let ([match-value#0 1]) (let ([x#1 match-value#0]) x#1))");
    CHECK_EXPAND("(match 1 [x y] (+ x y))",
                 "(let ([match-value#0 1]) (if (call %seq-len= match-value#0 2) "
                 "(let ([x#1 (call %seq-ref match-value#0 0)]) (let ([y#2 (call %seq-ref match-value#0 1)]) "
                 "(call + x#1 y#2))) (call error \"match: no pattern matched\" match-value#0)))");
    CHECK_EXPAND("(match 1 [h & t] t)",
                 "(let ([match-value#0 1]) (if (call %seq-len>= match-value#0 1) "
                 "(let ([h#1 (call %seq-ref match-value#0 0)]) (let ([t#2 (call %seq-tail match-value#0 1)]) t#2)) "
                 "(call error \"match: no pattern matched\" match-value#0)))");
    /* nested patterns: a sub-test on a temporary, then bindings through it */
    CHECK_EXPAND("(match 1 [[a 2] _] a)",
                 "(let ([match-value#0 1]) (if (if (call %seq-len= match-value#0 2) "
                 "(let ([elt#1 (call %seq-ref match-value#0 0)]) (if (call %seq-len= elt#1 2) "
                 "(let ([elt#2 (call %seq-ref elt#1 1)]) (call equal? elt#2 2)) false)) false) "
                 "(let ([elt#3 (call %seq-ref match-value#0 0)]) (let ([a#4 (call %seq-ref elt#3 0)]) a#4)) "
                 "(call error \"match: no pattern matched\" match-value#0)))");
    /* tail position inside a lambda */
    CHECK_EXPAND("(fn [v] (match v 0 (v) _ (v 1)))",
                 "(fn lambda (v#0) (let ([match-value#1 v#0]) (if (call equal? match-value#1 0) (tailcall v#0) "
                 "(tailcall v#0 1))))");
}
END_TEST

START_TEST(expand_tail)
{
    CHECK_EXPAND("(fn [f] (f 1) (f 2))", "(fn lambda (f#0) (do (call f#0 1) (tailcall f#0 2)))");
    CHECK_EXPAND("(fn [f] (if (f) (f 1) (f 2)))", "(fn lambda (f#0) (if (call f#0) (tailcall f#0 1) (tailcall f#0 2)))");
    CHECK_EXPAND("(fn [f] (let [x (f)] (f x)))", "(fn lambda (f#0) (let ([x#1 (call f#0)]) (tailcall f#0 x#1)))");
    CHECK_EXPAND("(fn [f] (when 1 (f)))", "(fn lambda (f#0) (if 1 (tailcall f#0) nothing))");
    CHECK_EXPAND("(fn [f] (or (f) (f)))",
                 "(fn lambda (f#0) (let ([tmp#1 (call f#0)]) (if tmp#1 tmp#1 (tailcall f#0))))");
    CHECK_EXPAND("(fn [f] (cond [(f) (f 1)] [else (f 2)]))",
                 "(fn lambda (f#0) (if (call f#0) (tailcall f#0 1) (tailcall f#0 2)))");
    CHECK_EXPAND("(fn [f] (set! f (f)))", "(fn lambda (f#0) (set! f#0 (call f#0)))");
    /* top-level calls are never tail calls */
    CHECK_EXPAND("(println 1)", "(call println 1)");
}
END_TEST

/* ----------------------------------------------------------- resolver */
/* Expands `src`, returns the unit (the arena and session stay alive until
 * resolve_done). */
typedef struct Resolved {
    Run r;
    FeSession *s;
    Ast *unit;
} Resolved;

static void resolve_src(Resolved *rs, const char *src)
{
    run_read(&rs->r, src);
    ck_assert_int_eq(rs->r.d.nerrors, 0);
    rs->s = fe_session_new();
    rs->unit = fe_expand_unit(rs->r.a, &rs->r.d, rs->s, rs->r.ds, rs->r.n);
    fflush(rs->r.diag_out);
    ck_assert_msg(rs->unit != NULL, "errors: %s", rs->r.diag_text);
}

static void resolve_done(Resolved *rs)
{
    fe_session_free(rs->s);
    run_free(&rs->r);
}

START_TEST(resolve_free_and_boxed)
{
    /* make-counter: n is captured and assigned → boxed */
    CHECK_EXPAND("(define (make-counter) (let [n 0] (fn [] (set! n (+ n 1)) n)))",
                 "(define make-counter (fn make-counter () (let ([n#0:boxed 0]) (fn lambda () [free n#0] "
                 "(do (set! n#0 (call + n#0 1)) n#0)))))");
    /* captured, never assigned → not boxed */
    CHECK_EXPAND("(fn [x] (fn [] x))", "(fn lambda (x#0) (fn lambda () [free x#0] x#0))");
    /* assigned, not captured → not boxed */
    CHECK_EXPAND("(fn [x] (set! x 1) x)", "(fn lambda (x#0) (do (set! x#0 1) x#0))");
    /* transitively free, first-use order */
    CHECK_EXPAND("(fn [a b] (fn [] (fn [] (+ b a))))",
                 "(fn lambda (a#0 b#1) (fn lambda () [free b#1 a#0] (fn lambda () [free b#1 a#0] "
                 "(tailcall + b#1 a#0))))");
    /* a middle lambda's own variable is free only below it */
    CHECK_EXPAND("(fn [a] (fn [b] (fn [] (+ a b))))",
                 "(fn lambda (a#0) (fn lambda (b#1) [free a#0] (fn lambda () [free a#0 b#1] (tailcall + a#0 b#1))))");
    /* top-level let variables captured by a lambda are free in it */
    CHECK_EXPAND("(let [x 1] (fn [] x))", "(let ([x#0 1]) (fn lambda () [free x#0] x#0))");

    Resolved rs;
    resolve_src(&rs, "(fn [x y z] (set! z 1) (fn [] (set! x 2) y))");
    Ast *outer = rs.unit->u.seq.items[0];
    ck_assert_int_eq(outer->kind, A_LAMBDA);
    Var *x = outer->u.lam.params[0], *y = outer->u.lam.params[1], *z = outer->u.lam.params[2];
    ck_assert_uint_eq(x->flags, V_CAPTURED | V_ASSIGNED | V_BOXED);
    ck_assert_uint_eq(y->flags, V_CAPTURED);
    ck_assert_uint_eq(z->flags, V_ASSIGNED);
    ck_assert_ptr_eq(x->owner, outer);
    ck_assert(x->id != y->id && y->id != z->id);
    ck_assert_int_eq(outer->u.lam.nfree, 0);
    resolve_done(&rs);
}
END_TEST

START_TEST(resolve_self_and_letrec)
{
    /* self reference: not free, not captured, not boxed */
    Resolved rs;
    resolve_src(&rs, "(define (f) (define (loop i) (loop i)) (loop 0))");
    Ast *f = rs.unit->u.seq.items[0]->u.gset.val;
    Ast *lr = f->u.lam.body;
    ck_assert_int_eq(lr->kind, A_LETREC);
    Var *loop = lr->u.let.vars[0];
    Ast *lam = lr->u.let.inits[0];
    ck_assert_ptr_eq(lam->u.lam.self, loop);
    ck_assert_int_eq(lam->u.lam.nfree, 0);
    ck_assert_uint_eq(loop->flags, 0);
    ck_assert_ptr_eq(loop->owner, f);
    resolve_done(&rs);

    /* named let: same */
    resolve_src(&rs, "(fn [n] (let loop [i 0] (if (< i n) (loop (+ i 1)) i)))");
    lr = rs.unit->u.seq.items[0]->u.lam.body;
    ck_assert_int_eq(lr->kind, A_LETREC);
    ck_assert_uint_eq(lr->u.let.vars[0]->flags, 0);
    ck_assert_int_eq(lr->u.let.inits[0]->u.lam.nfree, 1); /* n */
    ck_assert(lr->u.let.body->u.call.tail);
    resolve_done(&rs);

    /* mutual recursion: g is captured by f before g exists → boxed */
    CHECK_EXPAND("(fn [] (define (f) (g)) (define (g) (f)) (f))",
                 "(fn lambda () (letrec ([f#0 (fn f () [free g#1] [self f#0] (tailcall g#1))] "
                 "[g#1:boxed (fn g () [free f#0] [self g#1] (tailcall f#0))]) (tailcall f#0)))");
    /* a boxed self name is an ordinary free variable of its own lambda */
    CHECK_EXPAND("(fn [] (define (f) (g)) (define (g) (g) (f)) (f))",
                 "(fn lambda () (letrec ([f#0 (fn f () [free g#1] [self f#0] (tailcall g#1))] "
                 "[g#1:boxed (fn g () [free g#1 f#0] [self g#1] (do (call g#1) (tailcall f#0)))]) (tailcall f#0)))");
    /* a lambda nested in the self lambda gets it without a box */
    CHECK_EXPAND("(fn [] (define (f) (fn [] (f))) f)",
                 "(fn lambda () (letrec ([f#0 (fn f () [self f#0] (fn lambda () [free f#0] (tailcall f#0)))]) f#0))");
    /* captured in a later init or the body: already initialised, no box */
    CHECK_EXPAND("(fn [] (define a 1) (define (g) a) (fn [] g))",
                 "(fn lambda () (letrec ([a#0 1] [g#1 (fn g () [free a#0] [self g#1] a#0)]) "
                 "(fn lambda () [free g#1] g#1)))");
    /* a lambda in an earlier init capturing a later var → boxed */
    CHECK_EXPAND("(fn [] (define h (fn [] b)) (define b 2) h)",
                 "(fn lambda () (letrec ([h#0 (fn h () [free b#1] [self h#0] b#1)] [b#1:boxed 2]) h#0))");
    /* an assigned self var is an ordinary captured variable */
    resolve_src(&rs, "(fn [] (define (f) (set! f 1) f) f)");
    lr = rs.unit->u.seq.items[0]->u.lam.body;
    Var *fv = lr->u.let.vars[0];
    ck_assert_uint_eq(fv->flags, V_CAPTURED | V_ASSIGNED | V_BOXED);
    ck_assert_int_eq(lr->u.let.inits[0]->u.lam.nfree, 1);
    resolve_done(&rs);
}
END_TEST

START_TEST(resolve_globals)
{
    CHECK_EXPAND_ERR("(foo 1)", "t.omni:1:2: error: unbound variable: foo");
    CHECK_EXPAND_ERR("(fn [] undefined-x)", "unbound variable: undefined-x");
    CHECK_EXPAND_ERR("(set! nope 1)", "unbound variable: nope");
    CHECK_EXPAND_ERR("(set! car 1)", "set!: cannot assign the built-in car");
    CHECK_EXPAND_ERR("%seq-ref", "unbound variable: %seq-ref");
    CHECK_EXPAND_ERR("(fn [] (define a b) (define b 1) a)", "b is used before its definition");
    CHECK_EXPAND("(define car 1) (set! car 2)", "(define car 1)\n(set! car 2)");
    CHECK_EXPAND("(fn [] (later)) (define (later) 1)", "(fn lambda () (tailcall later))\n(define later (fn later () 1))");
    CHECK_EXPAND("(let [x 1] (let [x 2] x))", "(let ([x#0 1]) (let ([x#1 2]) x#1))");
    CHECK_EXPAND("(fn [list] (list 1))", "(fn lambda (list#0) (tailcall list#0 1))");

    /* a session remembers the user's globals; a REPL allows forward
     * references inside lambda bodies only */
    FeSession *s = fe_session_new();
    size_t n0 = fe_session_global_count(s);
    ck_assert(n0 > 80);
    bool has_map = false;
    for (size_t i = 0; i < n0; i++) {
        ck_assert(fe_session_global_at(s, i)[0] != '%');
        if (strcmp(fe_session_global_at(s, i), "map") == 0)
            has_map = true;
    }
    ck_assert(has_map);
    char *out = expand_in(s, "(define (sq x) (* x x))");
    free(out);
    ck_assert(fe_session_is_user_global(s, "sq"));
    ck_assert(!fe_session_is_user_global(s, "map"));
    ck_assert_uint_eq(fe_session_global_count(s), n0 + 1);
    out = expand_in(s, "(sq 3)");
    ck_assert_str_eq(out, "(call sq 3)");
    free(out);
    out = expand_in(s, "(define (g) (fwd)) (fwd)");
    ck_assert(strstr(out, "unbound variable: fwd"));
    free(out);
    ck_assert(!fe_session_is_user_global(s, "g")); /* failed units define nothing */
    fe_session_set_repl(s, true);
    out = expand_in(s, "(define (g) (fwd) (set! fwd2 1))");
    ck_assert_str_eq(out, "(define g (fn g () (do (call fwd) (set! fwd2 1))))");
    free(out);
    out = expand_in(s, "(fwd)");
    ck_assert(strstr(out, "unbound variable: fwd"));
    free(out);
    fe_session_free(s);
}
END_TEST

START_TEST(expand_errors)
{
    CHECK_EXPAND_ERR("(if 1)", "t.omni:1:1: error: if: expected (if test then [else])");
    CHECK_EXPAND_ERR("(if 1 2 3 4)", "if: expected (if test then [else])");
    CHECK_EXPAND_ERR("(let [x] x)", "let: a binding must be [name value]");
    CHECK_EXPAND_ERR("(let [1 2] 3)", "let: a binding must be [name value]");
    CHECK_EXPAND_ERR("(let ((x)) 3)", "let: a binding must be [name value]");
    CHECK_EXPAND_ERR("(let [x 1] [x 2] x)", "let: duplicate binding x");
    CHECK_EXPAND_ERR("(let ^:foo [x 1] x)", "unknown metadata");
    CHECK_EXPAND_ERR("(set! 5 1)", "set!: expected a variable name");
    CHECK_EXPAND_ERR("(set! x)", "set!: expected (set! name value)");
    CHECK_EXPAND_ERR("(fn [1] 1)", "fn: a parameter must be a symbol");
    CHECK_EXPAND_ERR("(fn [x x] 1)", "fn: duplicate parameter x");
    CHECK_EXPAND_ERR("(fn [& r] [y] 1)", "fn: the rest parameter must come last");
    CHECK_EXPAND_ERR("(fn [x {Intt}] x)", "unknown type {Intt}");
    CHECK_EXPAND_ERR("(fn 5)", "fn: expected parameter slots");
    CHECK_EXPAND_ERR("{Int}", "unexpected {Int} outside a parameter slot");
    CHECK_EXPAND_ERR("^:seq", "unexpected ^:seq");
    CHECK_EXPAND_ERR("(+ 1 (define x 2))", "define: not allowed here");
    CHECK_EXPAND_ERR("(define)", "define: expected");
    CHECK_EXPAND_ERR("(define 5 1)", "define: expected");
    CHECK_EXPAND_ERR("(define f [x])  (define g [a] [b])", "define: expected a body after the parameter slots");
    CHECK_EXPAND_ERR("(define if 1)", "define: cannot bind the reserved name if");
    CHECK_EXPAND_ERR("(define %seq-ref 1)", "cannot redefine the internal name %seq-ref");
    CHECK_EXPAND_ERR("(fn [] (define a 1) (define a 2) a)", "define: a is defined twice");
    CHECK_EXPAND_ERR("(let [if 1] 2)", "let: cannot bind the reserved name if");
    CHECK_EXPAND_ERR("(map if '())", "if is a special form, not a value");
    CHECK_EXPAND_ERR("(quote)", "quote: expected (quote datum)");
    CHECK_EXPAND_ERR("(when)", "when: expected (when test body...)");
    CHECK_EXPAND_ERR("(cond 1)", "cond: a clause must be [test body...]");
    CHECK_EXPAND_ERR("(cond [else 1] [2 3])", "cond: else must be the last clause");
    CHECK_EXPAND_ERR("(match 1 2)", "match: expected pattern/result pairs");
    CHECK_EXPAND_ERR("(match 1 [a & b c] 1)", "match: '&' must be followed by exactly one pattern");
    CHECK_EXPAND_ERR("(match 1 [x x] 1)", "match: x is bound twice");
    CHECK_EXPAND_ERR("(match 1 #{1 2} 1)", "match: bad pattern");
    CHECK_EXPAND_ERR("(a . b)", "unexpected dotted list");
    CHECK_EXPAND_ERR("(list &)", "unexpected '&' outside a parameter slot");
    CHECK_EXPAND("(and 1 2 3)", "(if 1 (if 2 3 2) 1)");
    CHECK_EXPAND("(or 1 2 3)", "(if 1 1 (if 2 2 3))");
    /* several errors are reported from one unit */
    char *s = expand_str("(if) (let [x] 1) (fn [1] 2)");
    ck_assert(strstr(s, "if: expected"));
    ck_assert(strstr(s, "let: a binding"));
    ck_assert(strstr(s, "fn: a parameter"));
    free(s);
}
END_TEST

START_TEST(arena_and_names)
{
    FeArena *a = fe_arena_new();
    for (int i = 0; i < 10000; i++) {
        char *p = fe_alloc(a, (size_t)(i % 97) + 1);
        ck_assert(((uintptr_t)p & 7) == 0);
        ck_assert_int_eq(p[0], 0);
        p[0] = 1;
    }
    char *big = fe_alloc(a, 1 << 20);
    ck_assert_int_eq(big[(1 << 20) - 1], 0);
    char *s = fe_strdup(a, "hello world", 5);
    ck_assert_str_eq(s, "hello");
    fe_arena_free(a);
    ck_assert_ptr_eq(fe_intern_filename("x.omni"), fe_intern_filename("x.omni"));
    ck_assert_ptr_ne(fe_intern_filename("x.omni"), fe_intern_filename("y.omni"));
}
END_TEST

static Suite *frontend_suite(void)
{
    Suite *s = suite_create("frontend");
    TCase *rd = tcase_create("reader");
    tcase_add_test(rd, read_ints);
    tcase_add_test(rd, read_floats);
    tcase_add_test(rd, read_strings);
    tcase_add_test(rd, read_chars);
    tcase_add_test(rd, read_symbols);
    tcase_add_test(rd, read_compound);
    tcase_add_test(rd, read_paths);
    tcase_add_test(rd, read_spans);
    tcase_add_test(rd, read_errors_recover);
    tcase_add_test(rd, diag_format);
    tcase_add_test(rd, input_complete);
    tcase_add_test(rd, arena_and_names);
    suite_add_tcase(s, rd);
    TCase *ex = tcase_create("expander");
    tcase_add_test(ex, expand_basic);
    tcase_add_test(ex, expand_define);
    tcase_add_test(ex, expand_let);
    tcase_add_test(ex, expand_forms);
    tcase_add_test(ex, expand_internal_define);
    tcase_add_test(ex, expand_match);
    tcase_add_test(ex, expand_tail);
    tcase_add_test(ex, expand_errors);
    suite_add_tcase(s, ex);
    TCase *rs = tcase_create("resolver");
    tcase_add_test(rs, resolve_free_and_boxed);
    tcase_add_test(rs, resolve_self_and_letrec);
    tcase_add_test(rs, resolve_globals);
    suite_add_tcase(s, rs);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(frontend_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
