/* test_builtins.c — Check suite for the built-in functions of rt/b_*.c and
 * the registry/adapter of rt/builtins.c.  Built-ins are called directly
 * through their C ABI, and also as first-class values through omni_apply
 * (which exercises the generic adapter and its arity check).  Expected
 * errors run under omni_try with stderr captured, so the message text is
 * checked too.
 */
#include "rt_internal.h"
#include "capture_error.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const OmniLoc L = { "test.omni", 1, 1, NULL, 0 };
#define R omni_region_global()

#define NARGS(...) ((int64_t)(sizeof((OVal[]){ __VA_ARGS__ }) / sizeof(OVal)))
#define V(fn, ...) omni_bv_##fn(R, &L, NARGS(__VA_ARGS__), (OVal[]){ __VA_ARGS__ })
#define V0(fn) omni_bv_##fn(R, &L, 0, NULL)
#define I(n) omni_fix(n)
#define F(d) omni_make_float(R, d)
#define S(s) omni_make_string(R, s, (int64_t)strlen(s))
#define SYM(s) omni_intern(s, (int64_t)strlen(s))
#define LIST(...) omni_list_from(R, NARGS(__VA_ARGS__), (OVal[]){ __VA_ARGS__ })
#define GLOBAL(name) (*omni_global_slot(name))
/* call a built-in as a function value, through the generic adapter */
#define APPLY(name, ...) omni_apply(R, &L, GLOBAL(name), NARGS(__VA_ARGS__), (OVal[]){ __VA_ARGS__ })

static void ck_form(OVal v, bool write_form, const char *want)
{
    char *got = omni_to_cstring(v, write_form);
    ck_assert_msg(strcmp(got, want) == 0, "got '%s', want '%s'", got, want);
    free(got);
}
#define DISP(v, want) ck_form(v, false, want)
#define WRITE(v, want) ck_form(v, true, want)

/* ---- running a call that must fail, capturing its message ---- */
typedef struct { OVal fn; int64_t argc; OVal *argv; } Call;
static char errtext[4096];

static void call_thunk(void *p)
{
    Call *c = p;
    omni_apply(R, &L, c->fn, c->argc, c->argv);
}

static int run_captured(void (*fn)(void *), void *arg)
{
    return capture_error(fn, arg, errtext, sizeof errtext);
}

static void expect_err(const char *want, OVal fn, int64_t argc, OVal *argv)
{
    Call c = { fn, argc, argv };
    int rc = run_captured(call_thunk, &c);
    ck_assert_msg(rc == 1, "expected an error containing '%s'", want);
    ck_assert_msg(strstr(errtext, want) != NULL, "error text '%s' lacks '%s'", errtext, want);
}
#define ERR(want, name, ...) expect_err(want, GLOBAL(name), NARGS(__VA_ARGS__), (OVal[]){ __VA_ARGS__ })

/* a C-defined function value: (fn [x] (* x x)) */
static OVal sq_generic(Region *r, OClosure *self, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    if (argc != 1)
        omni_err_arity(loc, OMNI_VAL(self), argc);
    return omni_num_mul(r, loc, argv[0], argv[0]);
}
static OVal make_sq(void)
{
    OVal f = omni_make_closure(R, NULL, sq_generic, 1, 0, "sq", 0);
    OMNI_PTR(OClosure, f)->fast_arity = -1;
    return f;
}

/* ---- registry and install ---- */

START_TEST(t_registry)
{
    int visible = 0;
    for (int i = 0; i < OMNI_BI__COUNT; i++) {
        const OmniBuiltin *b = &omni_builtins[i];
        ck_assert_ptr_nonnull(b->fn);
        ck_assert(b->kind == OB_FIXED ? (b->min == b->max && b->min <= 3) : 1);
        ck_assert(strncmp(b->cname, b->kind == OB_FIXED ? "omni_b_" : "omni_bv_",
                          b->kind == OB_FIXED ? 7 : 8) == 0);
        OVal g = GLOBAL(b->name);
        if (b->flags & OBF_HIDDEN) {
            ck_assert(g == OMNI_UNBOUND);
            continue;
        }
        visible++;
        ck_assert(omni_is_type(g, OT_CLOSURE));
        OClosure *c = OMNI_PTR(OClosure, g);
        ck_assert_ptr_eq(c->builtin, b);
        ck_assert_int_eq(c->fast_arity, -1);
        ck_assert_str_eq(c->name, b->name);
    }
    ck_assert_int_gt(visible, 90);
    ck_assert_ptr_eq(omni_builtins[OMNI_BI_string_length].fn, (void *)omni_b_string_length);
    ck_assert_ptr_eq(omni_builtins[OMNI_BI_add].fn, (void *)omni_bv_add);
    DISP(GLOBAL("car"), "#<fn car>");
}
END_TEST

START_TEST(t_adapter)
{
    DISP(APPLY("+", I(1), I(2), I(3)), "6");
    DISP(APPLY("string-length", S("héllo")), "5");
    DISP(APPLY("substring", S("hello"), I(1)), "ello");
    DISP(APPLY("cons", I(1), I(2)), "(1 . 2)"); /* a hot built-in as a value */
    DISP(APPLY("newline"), "nothing");
    ERR("string-length", "string-length", I(1), I(2));
    ERR("substring", "substring", S("a"), I(0), I(1), I(1));
    ERR("-", "-");
}
END_TEST

/* ---- numbers ---- */

START_TEST(t_arith)
{
    DISP(V0(add), "0");
    DISP(V0(mul), "1");
    DISP(V(add, I(1), I(2), I(3)), "6");
    DISP(V(add, I(1), F(0.5)), "1.5");
    DISP(V(sub, I(5)), "-5");
    DISP(V(sub, F(0.0)), "-0.0");
    DISP(V(sub, I(10), I(1), I(2)), "7");
    DISP(V(mul, I(2), I(3), I(4)), "24");
    DISP(V(div, I(2)), "0.5");
    DISP(V(div, I(12), I(2), I(3)), "2");
    DISP(V(div, I(1), I(4)), "0.25");
    ERR("+: expected Number", "+", S("a"));
    ERR("+", "+", I(1), S("a"));
    ERR("division by zero", "/", I(1), I(0));
    ERR("overflow", "*", I(OMNI_FIX_MAX), I(2));
}
END_TEST

START_TEST(t_compare)
{
    ck_assert(V(lt, I(1), I(2), I(3)) == OMNI_TRUE);
    ck_assert(V(lt, I(1), I(3), I(2)) == OMNI_FALSE);
    ck_assert(V(le, I(1), I(1), F(2.0)) == OMNI_TRUE);
    ck_assert(V(gt, I(3), I(2), I(1)) == OMNI_TRUE);
    ck_assert(V(ge, I(3), I(3), I(4)) == OMNI_FALSE);
    ck_assert(V(numeq, I(2), F(2.0), I(2)) == OMNI_TRUE);
    ck_assert(V(numeq, I(2), I(3)) == OMNI_FALSE);
    ERR("<", "<", I(2), I(1), SYM("a"));
}
END_TEST

START_TEST(t_num_fns)
{
    DISP(omni_b_abs(R, &L, I(-4)), "4");
    DISP(omni_b_abs(R, &L, F(-2.5)), "2.5");
    DISP(V(min, I(3), I(1), I(2)), "1");
    DISP(V(max, I(3), I(1), I(2)), "3");
    DISP(V(max, I(1), F(2.0), I(3)), "3.0");
    DISP(V(min, F(1.5), I(3)), "1.5");
    DISP(omni_b_sqrt(R, &L, I(16)), "4.0");
    DISP(omni_b_exp(R, &L, I(0)), "1.0");
    DISP(omni_b_log(R, &L, I(1)), "0.0");
    DISP(omni_b_sin(R, &L, I(0)), "0.0");
    DISP(omni_b_cos(R, &L, I(0)), "1.0");
    DISP(omni_b_floor(R, &L, F(2.7)), "2.0");
    DISP(omni_b_floor(R, &L, F(-2.5)), "-3.0");
    DISP(omni_b_ceil(R, &L, F(2.1)), "3.0");
    DISP(omni_b_floor(R, &L, I(7)), "7");
    DISP(omni_b_round(R, &L, F(2.5)), "2.0");
    DISP(omni_b_round(R, &L, F(3.5)), "4.0");
    DISP(omni_b_round(R, &L, F(-2.5)), "-2.0");
    DISP(omni_b_round(R, &L, I(3)), "3");
    DISP(omni_b_float(R, &L, I(3)), "3.0");
    DISP(omni_b_int(R, &L, F(3.9)), "3");
    DISP(omni_b_int(R, &L, F(-3.9)), "-3");
    DISP(omni_b_int(R, &L, I(5)), "5");
    ERR("int: cannot convert nan", "int", F(0.0 / 0.0));
    ERR("int: 1e+300 is out of Int range", "int", F(1e300));
    ERR("sqrt: expected", "sqrt", S("x"));
    ERR("abs: expected Number, got", "abs", S("x"));
}
END_TEST

START_TEST(t_num_strings)
{
    WRITE(V(number_to_string, I(-42)), "\"-42\"");
    WRITE(V(number_to_string, F(0.1)), "\"0.1\"");
    WRITE(V(number_to_string, F(1e16)), "\"1e+16\"");
    DISP(omni_b_string_to_number(R, &L, S("42")), "42");
    DISP(omni_b_string_to_number(R, &L, S("+3")), "3");
    DISP(omni_b_string_to_number(R, &L, S("-7")), "-7");
    DISP(omni_b_string_to_number(R, &L, S("3.14")), "3.14");
    DISP(omni_b_string_to_number(R, &L, S(".5")), "0.5");
    DISP(omni_b_string_to_number(R, &L, S("3.")), "3.0");
    DISP(omni_b_string_to_number(R, &L, S("1e10")), "10000000000.0");
    DISP(omni_b_string_to_number(R, &L, S("-2.5e-3")), "-0.0025");
    DISP(omni_b_string_to_number(R, &L, S("-4611686018427387904")), "-4611686018427387904");
    const char *bad[] = { "", "+", "-", ".", "abc", "1x", " 1", "1e", "1e+", "e5",
                          "4611686018427387904", "99999999999999999999999", "nan" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(omni_b_string_to_number(R, &L, S(bad[i])) == OMNI_NOTHING, "%s", bad[i]);
    ERR("string->number: expected String", "string->number", I(1));
}
END_TEST

/* ---- lists ---- */

START_TEST(t_lists)
{
    ck_assert(omni_b_equal(R, &L, LIST(I(1), S("a")), LIST(I(1), S("a"))) == OMNI_TRUE);
    ck_assert(omni_b_equal(R, &L, LIST(I(1)), LIST(I(2))) == OMNI_FALSE);
    DISP(V0(list), "()");
    DISP(V(list, I(1), I(2)), "(1 2)");
    ck_assert(omni_b_listp(R, &L, OMNI_NIL) == OMNI_TRUE);
    ck_assert(omni_b_listp(R, &L, LIST(I(1))) == OMNI_TRUE);
    ck_assert(omni_b_listp(R, &L, omni_cons_in(R, I(1), I(2))) == OMNI_FALSE);
    ck_assert(omni_b_listp(R, &L, I(1)) == OMNI_FALSE);
    DISP(omni_b_length(R, &L, LIST(I(1), I(2), I(3))), "3");
    DISP(omni_b_length(R, &L, OMNI_NIL), "0");
    DISP(omni_b_length(R, &L, S("héllo")), "5");
    DISP(omni_b_length(R, &L, V(array, I(1), I(2))), "2");
    DISP(omni_b_length(R, &L, V(dict, SYM("a"), I(1))), "1");
    ERR("length: expected List", "length", omni_cons_in(R, I(1), I(2)));
    ERR("length: expected", "length", I(5));
    DISP(V0(append), "()");
    DISP(V(append, LIST(I(1), I(2)), LIST(I(3)), OMNI_NIL, LIST(I(4))), "(1 2 3 4)");
    DISP(V(append, LIST(I(1)), I(2)), "(1 . 2)");
    DISP(V(append, OMNI_NIL, LIST(I(5))), "(5)");
    OVal shared = LIST(I(9));
    ck_assert(OMNI_PAIR(V(append, LIST(I(1)), shared))->cdr == shared);
    ERR("append: expected List", "append", I(1), LIST(I(2)));
    DISP(omni_b_reverse(R, &L, LIST(I(1), I(2), I(3))), "(3 2 1)");
    DISP(omni_b_reverse(R, &L, OMNI_NIL), "()");
    ERR("reverse: expected List", "reverse", I(3));
    DISP(omni_b_list_ref(R, &L, LIST(I(1), I(2), I(3)), I(2)), "3");
    ERR("list-ref: index 5 out of range for list of length 3", "list-ref",
        LIST(I(1), I(2), I(3)), I(5));
    ERR("list-ref: index -1 out of range", "list-ref", LIST(I(1)), I(-1));
}
END_TEST

START_TEST(t_range)
{
    DISP(V(range, I(5)), "(0 1 2 3 4)");
    DISP(V(range, I(0)), "()");
    DISP(V(range, I(-3)), "()");
    DISP(V(range, I(2), I(5)), "(2 3 4)");
    DISP(V(range, I(0), I(10), I(3)), "(0 3 6 9)");
    DISP(V(range, I(5), I(0), I(-2)), "(5 3 1)");
    DISP(V(range, I(5), I(0)), "()");
    ERR("range: step must not be 0", "range", I(0), I(5), I(0));
    ERR("range: expected Int", "range", F(1.5));
}
END_TEST

START_TEST(t_higher_order)
{
    OVal sq = make_sq();
    DISP(V(map, sq, LIST(I(1), I(2), I(3))), "(1 4 9)");
    DISP(V(map, GLOBAL("+"), LIST(I(1), I(2), I(3)), LIST(I(10), I(20))), "(11 22)");
    DISP(V(map, sq, V(array, I(2), I(3))), "(4 9)");
    DISP(V(map, sq, OMNI_NIL), "()");
    ERR("map: expected List or Array", "map", sq, I(3));
    ERR("map: expected List", "map", sq, omni_cons_in(R, I(1), I(2)));
    ERR("map: expected Fn", "map", I(1), LIST(I(1)));
    DISP(omni_b_filter(R, &L, GLOBAL("int?"), LIST(I(1), F(2.0), I(3))), "(1 3)");
    DISP(omni_b_filter(R, &L, GLOBAL("int?"), V(array, S("a"), I(2))), "(2)");
    DISP(omni_b_foldl(R, &L, GLOBAL("-"), I(0), LIST(I(1), I(2), I(3))), "-6");
    DISP(omni_b_foldl(R, &L, GLOBAL("cons"), OMNI_NIL, LIST(I(1), I(2))), "((() . 1) . 2)");
    DISP(omni_b_foldl(R, &L, GLOBAL("+"), I(0), V(array, I(4), I(5))), "9");
    ck_assert(V(for_each, sq, LIST(I(1), I(2))) == OMNI_NOTHING);
    DISP(V(apply, GLOBAL("+"), LIST(I(1), I(2), I(3))), "6");
    DISP(V(apply, GLOBAL("+"), I(1), I(2), LIST(I(3), I(4))), "10");
    DISP(V(apply, GLOBAL("list"), I(1), V(array, I(2), I(3))), "(1 2 3)");
    DISP(V(apply, GLOBAL("+"), OMNI_NIL), "0");
    ERR("apply: expected List or Array", "apply", GLOBAL("+"), I(1), I(2));
    ERR("car", "apply", GLOBAL("car"), LIST(I(1), I(2)));
}
END_TEST

START_TEST(t_big_lists)
{
    /* a million elements: nothing may recurse on the length */
    OVal xs = V(range, I(1000000));
    DISP(omni_b_length(R, &L, xs), "1000000");
    DISP(omni_b_foldl(R, &L, GLOBAL("+"), I(0), xs), "499999500000");
    OVal ys = V(map, GLOBAL("+"), xs, xs);
    DISP(omni_b_list_ref(R, &L, ys, I(999999)), "1999998");
    OVal rs = omni_b_reverse(R, &L, xs);
    DISP(omni_b_list_ref(R, &L, rs, I(0)), "999999");
    OVal zs = V(append, xs, xs);
    DISP(omni_b_length(R, &L, zs), "2000000");
    DISP(omni_b_length(R, &L, omni_b_filter(R, &L, GLOBAL("int?"), xs)), "1000000");
    DISP(V(apply, GLOBAL("+"), xs), "499999500000");
    OVal arr = omni_b_list_to_array(R, &L, xs);
    DISP(omni_b_length(R, &L, omni_b_array_to_list(R, &L, arr)), "1000000");
    ck_assert(omni_b_equal(R, &L, xs, omni_b_array_to_list(R, &L, arr)) == OMNI_TRUE);
}
END_TEST

/* ---- strings ---- */

/* string->list ... format, repr: cases source code cannot write, such as
 * malformed UTF-8 (the reader only makes valid UTF-8). */
START_TEST(t_strings_more)
{
    /* a malformed byte is one U+FFFD, as string-length counts it */
    OVal bad = S("a\xff\xc3" "b");
    DISP(omni_b_length(R, &L, omni_b_string_to_list(R, &L, bad)), "4");
    DISP(omni_b_string_length(R, &L, bad), "4");
    ck_assert(omni_b_list_ref(R, &L, omni_b_string_to_list(R, &L, bad), I(1)) == omni_char(0xFFFD));
    DISP(omni_b_string_index(R, &L, bad, omni_char('b')), "3");
    DISP(omni_b_string_contains(R, &L, bad, S("b")), "3");
    /* a hit inside a code point (a lone continuation byte) is skipped */
    ck_assert(omni_b_string_contains(R, &L, S("\xc3\xa9"), S("\xa9")) == OMNI_NOTHING);
    DISP(omni_b_string_contains(R, &L, S("x\xc3\xa9\xa9"), S("\xa9")), "2");
    DISP(omni_b_string_contains(R, &L, S("\xa9\xc3\xa9"), S("\xa9")), "0");
    /* upcase keeps non-ASCII bytes, so UTF-8 stays valid */
    WRITE(omni_b_string_upcase(R, &L, S("straße")), "\"STRAßE\"");
    WRITE(omni_b_string_trim(R, &L, S(" \t\v\f\r\n")), "\"\"");
    WRITE(V(string, omni_char(0x1F600), omni_char('!')), "\"\xf0\x9f\x98\x80!\"");
    ERR("list->string: expected Char, got 1", "list->string", LIST(omni_char('a'), I(1)));
    /* number->string with a radix, at the ends of the Int range */
    WRITE(V(number_to_string, I(OMNI_FIX_MAX), I(16)), "\"3fffffffffffffff\"");
    WRITE(V(number_to_string, I(OMNI_FIX_MIN), I(16)), "\"-4000000000000000\"");
    WRITE(V(number_to_string, I(-10), I(10)), "\"-10\"");
    ERR("number->string: radix 0 is out of range (2 to 36)", "number->string", I(1), I(0));
    ERR("number->string: radix 16 needs an Int, got the Float 0.5", "number->string", F(0.5), I(16));
    /* format and repr: the printer's forms */
    WRITE(V(format, S("~a|~s|~%|~~"), S("x"), S("x")), "\"x|\\\"x\\\"|\\n|~\"");
    WRITE(omni_b_repr(R, &L, LIST(S("a"), omni_char('b'))), "\"(\\\"a\\\" #\\\\b)\"");
    ERR("format: the format string takes 1 argument, got 0", "format", S("~s"));
    ERR("format: unknown directive ~x", "format", S("~x"), I(1));
    ERR("format: the format string ends with a lone ~", "format", S("~"));
}
END_TEST

START_TEST(t_strings)
{
    DISP(omni_b_string_length(R, &L, S("")), "0");
    DISP(omni_b_string_length(R, &L, S("aé€😀")), "4");
    ERR("string-length: expected String, got 5", "string-length", I(5));
    WRITE(omni_b_string_ref(R, &L, S("aé€"), I(1)), "#\\é");
    WRITE(omni_b_string_ref(R, &L, S("aé€"), I(2)), "#\\€");
    ERR("string-ref: index 3 out of range for string of length 3", "string-ref", S("aé€"), I(3));
    ERR("string-ref: index -1 out of range", "string-ref", S("abc"), I(-1));
    DISP(V(substring, S("héllo"), I(1), I(3)), "él");
    DISP(V(substring, S("héllo"), I(2)), "llo");
    DISP(V(substring, S("héllo"), I(5)), "");
    DISP(V(substring, S("héllo"), I(0), I(5)), "héllo");
    ERR("substring: range 2..9 out of bounds for string of length 5", "substring", S("hello"), I(2), I(9));
    ERR("substring: range 3..2", "substring", S("hello"), I(3), I(2));
    DISP(V0(string_append), "");
    DISP(V(string_append, S("ab"), S(""), S("cé")), "abcé");
    ERR("string-append: expected String, got 1", "string-append", S("a"), I(1));
    ck_assert(V(string_eq, S("a"), S("a"), S("a")) == OMNI_TRUE);
    ck_assert(V(string_eq, S("a"), S("b")) == OMNI_FALSE);
    ck_assert(V(string_lt, S("a"), S("ab"), S("b")) == OMNI_TRUE);
    ck_assert(V(string_lt, S("b"), S("a")) == OMNI_FALSE);
    ck_assert(V(string_lt, S("z"), S("é")) == OMNI_TRUE);
    ERR("string=?: expected String", "string=?", S("a"), SYM("a"));
    WRITE(V(str, S("a"), I(1), F(2.5), omni_char('c'), SYM("s"), LIST(S("x")), OMNI_NOTHING),
          "\"a12.5cs(x)nothing\"");
    WRITE(V0(str), "\"\"");
    ck_assert(omni_b_string_to_symbol(R, &L, S("foo")) == SYM("foo"));
    WRITE(omni_b_symbol_to_string(R, &L, SYM("foo")), "\"foo\"");
    ERR("symbol->string: expected Symbol", "symbol->string", S("foo"));
    DISP(omni_b_char_to_integer(R, &L, omni_char(0x20AC)), "8364");
    ERR("char->integer: expected Char", "char->integer", I(1));
    ck_assert(omni_b_integer_to_char(R, &L, I(65)) == omni_char('A'));
    ERR("integer->char: 55296 is not a Unicode scalar value", "integer->char", I(0xD800));
    ERR("integer->char: -1", "integer->char", I(-1));
    ERR("integer->char: 1114112", "integer->char", I(0x110000));
}
END_TEST

START_TEST(t_split_join)
{
    WRITE(V(string_split, S("  a b\t\nc  ")), "(\"a\" \"b\" \"c\")");
    WRITE(V(string_split, S("   ")), "()");
    WRITE(V(string_split, S("a,,b,"), S(",")), "(\"a\" \"\" \"b\" \"\")");
    WRITE(V(string_split, S("a::b"), S("::")), "(\"a\" \"b\")");
    WRITE(V(string_split, S("aéb"), omni_char(0xE9)), "(\"a\" \"b\")");
    WRITE(V(string_split, S(""), S(",")), "(\"\")");
    WRITE(V(string_split, S("hé!"), S("")), "(\"h\" \"é\" \"!\")");
    ERR("string-split: expected String or Char", "string-split", S("a"), I(1));
    WRITE(V(string_join, LIST(S("a"), S("b"), S("c")), S(", ")), "\"a, b, c\"");
    WRITE(V(string_join, LIST(S("a"), S("b"))), "\"ab\"");
    WRITE(V(string_join, OMNI_NIL, S(",")), "\"\"");
    WRITE(V(string_join, V(array, I(1), S("x"), SYM("y")), omni_char('-')), "\"1-x-y\"");
    ERR("string-join: expected List or Array", "string-join", S("abc"));
    ERR("string-join: expected List or Array", "string-join", omni_cons_in(R, S("a"), S("b")));
    ERR("string-join: expected String", "string-join", LIST(S("a")), I(1));
}
END_TEST

/* ---- arrays, dicts, get/put! ---- */

START_TEST(t_arrays)
{
    OVal a = V(array, I(1), I(2), I(3));
    DISP(a, "[1 2 3]");
    DISP(V0(array), "[]");
    DISP(V(make_array, I(3)), "[nothing nothing nothing]");
    DISP(V(make_array, I(2), I(0)), "[0 0]");
    DISP(V(make_array, I(0)), "[]");
    ERR("make-array: size must not be negative, got -1", "make-array", I(-1));
    DISP(V(get, a, I(0)), "1");
    DISP(V(get, a, I(3), SYM("d")), "d");
    ERR("get: index 3 out of range for array of length 3", "get", a, I(3));
    ERR("get: index -1 out of range for array of length 3", "get", a, I(-1));
    ERR("get: expected Int", "get", a, SYM("x"));
    ck_assert(omni_b_put(R, &L, a, I(1), I(20)) == OMNI_NOTHING);
    DISP(a, "[1 20 3]");
    ERR("put!: index 3 out of range for array of length 3", "put!", a, I(3), I(0));
    ck_assert(omni_b_push(R, &L, a, I(4)) == OMNI_NOTHING);
    DISP(a, "[1 20 3 4]");
    DISP(omni_b_pop(R, &L, a), "4");
    DISP(a, "[1 20 3]");
    ERR("pop!: array is empty", "pop!", V0(array));
    ERR("push!: expected Array", "push!", LIST(I(1)), I(1));
    DISP(omni_b_array_to_list(R, &L, a), "(1 20 3)");
    DISP(omni_b_list_to_array(R, &L, LIST(I(7), I(8))), "[7 8]");
    DISP(omni_b_list_to_array(R, &L, OMNI_NIL), "[]");
    ERR("list->array: expected List", "list->array", I(7));
    ERR("array->list: expected Array", "array->list", LIST(I(7)));
    /* get on lists and strings */
    DISP(V(get, LIST(I(5), I(6)), I(1)), "6");
    DISP(V(get, LIST(I(5), I(6)), I(2), I(0)), "0");
    ERR("get: index 2 out of range for list of length 2", "get", LIST(I(5), I(6)), I(2));
    WRITE(V(get, S("hé"), I(1)), "#\\é");
    ERR("get: index 2 out of range for string of length 2", "get", S("hé"), I(2));
    ERR("get: expected Array, Dict, List or String, got nothing", "get", OMNI_NOTHING, SYM("a"));
    ERR("put!: expected Array or Dict", "put!", LIST(I(1)), I(0), I(1));
}
END_TEST

START_TEST(t_dicts)
{
    OVal d = V(dict, SYM("a"), I(1), S("k"), I(2));
    WRITE(d, "#{:a 1 \"k\" 2}");
    DISP(V0(dict), "#{}");
    ERR("dict: expected key/value pairs, got an odd number of arguments (3)", "dict",
        I(1), I(2), I(3));
    DISP(V(get, d, SYM("a")), "1");
    DISP(V(get, d, S("k")), "2");
    DISP(V(get, d, SYM("zz")), "nothing");
    DISP(V(get, d, SYM("zz"), I(0)), "0");
    ck_assert(omni_b_put(R, &L, d, SYM("b"), I(3)) == OMNI_NOTHING);
    ck_assert(omni_b_put(R, &L, d, SYM("a"), I(10)) == OMNI_NOTHING);
    DISP(d, "#{:a 10 k 2 :b 3}");
    ck_assert(omni_b_has(R, &L, d, S("k")) == OMNI_TRUE);
    ck_assert(omni_b_has(R, &L, d, S("q")) == OMNI_FALSE);
    ERR("has?: expected Dict", "has?", I(1), I(1));
    DISP(omni_b_keys(R, &L, d), "(a k b)");
    DISP(omni_b_values(R, &L, d), "(10 2 3)");
    ck_assert(omni_b_remove(R, &L, d, S("k")) == OMNI_TRUE);
    ck_assert(omni_b_remove(R, &L, d, S("k")) == OMNI_FALSE);
    DISP(omni_b_keys(R, &L, d), "(a b)");
    DISP(omni_b_values(R, &L, d), "(10 3)");
    DISP(omni_b_length(R, &L, d), "2");
    DISP(omni_b_keys(R, &L, V0(dict)), "()");
    ERR("keys: expected Dict", "keys", LIST(I(1)));
    ERR("remove!: expected Dict", "remove!", V0(array), I(0));
}
END_TEST

/* ---- atoms ---- */

START_TEST(t_atoms)
{
    OVal a = omni_b_atom(R, &L, I(0));
    DISP(a, "#<atom 0>");
    DISP(omni_b_deref(R, &L, a), "0");
    DISP(omni_b_reset(R, &L, a, I(5)), "5");
    DISP(omni_b_deref(R, &L, a), "5");
    DISP(V(swap, a, GLOBAL("+"), I(1), I(2)), "8");
    DISP(V(swap, a, make_sq()), "64");
    DISP(omni_b_deref(R, &L, a), "64");
    ck_assert(omni_b_compare_and_set(R, &L, a, I(64), I(1)) == OMNI_TRUE);
    ck_assert(omni_b_compare_and_set(R, &L, a, I(64), I(2)) == OMNI_FALSE);
    DISP(omni_b_deref(R, &L, a), "1");
    OVal s = S("x");
    omni_b_reset(R, &L, a, s);
    ck_assert(omni_b_compare_and_set(R, &L, a, S("x"), I(0)) == OMNI_FALSE); /* eq?, not equal? */
    ck_assert(omni_b_compare_and_set(R, &L, a, s, I(0)) == OMNI_TRUE);
    ERR("deref: expected Atom", "deref", I(1));
    ERR("swap!: expected Atom", "swap!", I(1), GLOBAL("+"));
    ERR("reset!: expected Atom", "reset!", I(1), I(2));
}
END_TEST

/* ---- output, error, time ---- */

static char outtext[4096];

static void capture_stdout_begin(int *saved, FILE **tmp)
{
    omni_out_flush();
    fflush(stdout);
    *saved = dup(1);
    *tmp = tmpfile();
    dup2(fileno(*tmp), 1);
}

static void capture_stdout_end(int saved, FILE *tmp)
{
    omni_out_flush();
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    rewind(tmp);
    size_t n = fread(outtext, 1, sizeof outtext - 1, tmp);
    outtext[n] = 0;
    fclose(tmp);
}

START_TEST(t_output)
{
    int saved;
    FILE *tmp;
    capture_stdout_begin(&saved, &tmp);
    ck_assert(V(print, S("a"), I(1)) == OMNI_NOTHING);
    ck_assert(V(println, S("b"), omni_char('c'), LIST(S("d"), F(1.0))) == OMNI_NOTHING);
    V0(println);
    omni_b_write(R, &L, LIST(S("q\n"), omni_char('z')));
    omni_b_newline(R, &L);
    V0(print);
    capture_stdout_end(saved, tmp);
    ck_assert_str_eq(outtext, "a 1b c (d 1.0)\n\n(\"q\\n\" #\\z)\n");
}
END_TEST

START_TEST(t_error_time)
{
    ERR("error: boom 1 \"s\" #\\c (1 \"x\")", "error", S("boom"), I(1), S("s"), omni_char('c'),
        LIST(I(1), S("x")));
    ERR("error: oops\n", "error", S("oops"));
    ERR("error: sym 2", "error", SYM("sym"), I(2));
    ck_assert(strstr(errtext, "test.omni:1:1") != NULL);
    OVal t0 = omni_b_time_ms(R, &L);
    ck_assert(omni_is_fix(t0));
    usleep(20000);
    ck_assert_int_ge(omni_fixval(omni_b_time_ms(R, &L)) - omni_fixval(t0), 15);
}
END_TEST

/* ---- the process: arguments, environment, stdin, files (rt/b_sys.c) ---- */

START_TEST(t_process)
{
    char *argv[] = { "prog.omni", "a", "b c", NULL };
    omni_rt_init(3, argv);
    WRITE(omni_b_command_line_args(R, &L), "(\"a\" \"b c\")");
    WRITE(APPLY("command-line-args"), "(\"a\" \"b c\")");
    omni_rt_init(1, argv);
    WRITE(omni_b_command_line_args(R, &L), "()");

    setenv("OMNI_UNIT_VAR", "v=1", 1);
    unsetenv("OMNI_UNIT_UNSET");
    WRITE(omni_b_getenv(R, &L, S("OMNI_UNIT_VAR")), "\"v=1\"");
    ck_assert(omni_b_getenv(R, &L, S("OMNI_UNIT_UNSET")) == OMNI_NOTHING);
    ERR("getenv: expected String, got 5", "getenv", I(5));

    char dir[] = "/tmp/omni-unit-XXXXXX";
    ck_assert(mkdtemp(dir) != NULL);
    char path[64], in[64];
    snprintf(path, sizeof path, "%s/f.txt", dir);
    snprintf(in, sizeof in, "%s/in.txt", dir);
    ck_assert(omni_b_file_existsp(R, &L, S(path)) == OMNI_FALSE);
    ck_assert(omni_b_write_file(R, &L, S(path), S("ab\n")) == OMNI_NOTHING);
    ck_assert(omni_b_append_file(R, &L, S(path), S("c")) == OMNI_NOTHING);
    ck_assert(omni_b_file_existsp(R, &L, S(path)) == OMNI_TRUE);
    WRITE(omni_b_read_file(R, &L, S(path)), "\"ab\\nc\"");
    ck_assert(omni_b_file_existsp(R, &L, S(dir)) == OMNI_TRUE);
    ERR("read-file: cannot read", "read-file", S(dir));
    ERR("write-file: expected String, got 1", "write-file", S(path), I(1));
    ERR("append-file: expected String, got 1", "append-file", I(1), S("x"));
    ERR("file-exists?: the name contains a NUL byte", "file-exists?",
        omni_make_string(R, "a\0b", 3));

    /* read-line on a file as stdin: \n and \r\n ends, a last line without
     * one, then nothing */
    ck_assert(omni_b_write_file(R, &L, S(in), S("one\r\n\ntwo")) == OMNI_NOTHING);
    ck_assert(freopen(in, "r", stdin) != NULL);
    WRITE(omni_b_read_line(R, &L), "\"one\"");
    WRITE(omni_b_read_line(R, &L), "\"\"");
    WRITE(APPLY("read-line"), "\"two\"");
    ck_assert(omni_b_read_line(R, &L) == OMNI_NOTHING);
    ck_assert(omni_b_read_line(R, &L) == OMNI_NOTHING);

    ERR("exit: status 256 is not in 0..255", "exit", I(256));
    ERR("exit: expected Int, got \"0\"", "exit", S("0"));
    unlink(path);
    unlink(in);
    ck_assert(rmdir(dir) == 0);
    ERR("read-file: cannot open \"/tmp/omni-unit-", "read-file", S(path));
}
END_TEST

/* ---- hidden match helpers ---- */

START_TEST(t_seq_helpers)
{
    OVal l3 = LIST(I(1), I(2), I(3)), a3 = V(array, I(1), I(2), I(3));
    OVal improper = omni_cons_in(R, I(1), I(2));
    ck_assert(omni_b_seq_len_eq(R, &L, l3, I(3)) == OMNI_TRUE);
    ck_assert(omni_b_seq_len_eq(R, &L, l3, I(2)) == OMNI_FALSE);
    ck_assert(omni_b_seq_len_eq(R, &L, l3, I(4)) == OMNI_FALSE);
    ck_assert(omni_b_seq_len_eq(R, &L, OMNI_NIL, I(0)) == OMNI_TRUE);
    ck_assert(omni_b_seq_len_eq(R, &L, a3, I(3)) == OMNI_TRUE);
    ck_assert(omni_b_seq_len_eq(R, &L, improper, I(1)) == OMNI_FALSE);
    ck_assert(omni_b_seq_len_eq(R, &L, I(5), I(0)) == OMNI_FALSE);
    ck_assert(omni_b_seq_len_eq(R, &L, S("ab"), I(2)) == OMNI_FALSE);
    ck_assert(omni_b_seq_len_ge(R, &L, l3, I(1)) == OMNI_TRUE);
    ck_assert(omni_b_seq_len_ge(R, &L, l3, I(3)) == OMNI_TRUE);
    ck_assert(omni_b_seq_len_ge(R, &L, l3, I(4)) == OMNI_FALSE);
    ck_assert(omni_b_seq_len_ge(R, &L, OMNI_NIL, I(0)) == OMNI_TRUE);
    ck_assert(omni_b_seq_len_ge(R, &L, OMNI_NIL, I(1)) == OMNI_FALSE);
    ck_assert(omni_b_seq_len_ge(R, &L, a3, I(2)) == OMNI_TRUE);
    ck_assert(omni_b_seq_len_ge(R, &L, I(1), I(0)) == OMNI_FALSE);
    ck_assert(omni_b_seq_len_ge(R, &L, OMNI_NOTHING, I(0)) == OMNI_FALSE);
    DISP(omni_b_seq_ref(R, &L, l3, I(2)), "3");
    DISP(omni_b_seq_ref(R, &L, a3, I(0)), "1");
    DISP(omni_b_seq_tail(R, &L, l3, I(1)), "(2 3)");
    ck_assert(omni_b_seq_tail(R, &L, l3, I(1)) == OMNI_PAIR(l3)->cdr);
    DISP(omni_b_seq_tail(R, &L, l3, I(3)), "()");
    DISP(omni_b_seq_tail(R, &L, a3, I(1)), "[2 3]");
    DISP(omni_b_seq_tail(R, &L, a3, I(3)), "[]");
    DISP(a3, "[1 2 3]");
}
END_TEST

static Suite *builtins_suite(void)
{
    Suite *s = suite_create("builtins");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, t_registry);
    tcase_add_test(tc, t_adapter);
    tcase_add_test(tc, t_arith);
    tcase_add_test(tc, t_compare);
    tcase_add_test(tc, t_num_fns);
    tcase_add_test(tc, t_num_strings);
    tcase_add_test(tc, t_lists);
    tcase_add_test(tc, t_range);
    tcase_add_test(tc, t_higher_order);
    tcase_add_test(tc, t_big_lists);
    tcase_add_test(tc, t_strings);
    tcase_add_test(tc, t_strings_more);
    tcase_add_test(tc, t_split_join);
    tcase_add_test(tc, t_arrays);
    tcase_add_test(tc, t_dicts);
    tcase_add_test(tc, t_atoms);
    tcase_add_test(tc, t_output);
    tcase_add_test(tc, t_error_time);
    tcase_add_test(tc, t_process);
    tcase_add_test(tc, t_seq_helpers);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    omni_rt_init(argc, argv);
    SRunner *sr = srunner_create(builtins_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
