/* b_num.c — numeric built-ins that are not inlined from rt/hot.c: the
 * variadic arithmetic and comparison operators (folds over the numeric
 * tower's binary operations), abs/min/max, the Float functions, rounding,
 * conversions between Int and Float, and number <-> string.
 * Int/Float mixing, overflow and division by zero are the tower's business
 * (omni_num_*); here we only fold and check types.
 */
#include "rt_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void want_number(const OmniLoc *loc, const char *who, OVal v)
{
    if (!omni_is_number(v))
        omni_err_type(loc, who, "Number", v);
}

/* ---- + - * / ---- */

OVal omni_bv_add(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    if (argc == 0)
        return omni_fix(0);
    OVal acc = argv[0];
    want_number(loc, "+", acc);
    for (int64_t i = 1; i < argc; i++)
        acc = omni_num_add(r, loc, acc, argv[i]);
    return acc;
}

OVal omni_bv_mul(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    if (argc == 0)
        return omni_fix(1);
    OVal acc = argv[0];
    want_number(loc, "*", acc);
    for (int64_t i = 1; i < argc; i++)
        acc = omni_num_mul(r, loc, acc, argv[i]);
    return acc;
}

OVal omni_bv_sub(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    OVal acc = argv[0];
    if (argc == 1) {
        /* negate; a Float keeps its sign bit (- 0.0) is -0.0 */
        if (omni_is_float(acc))
            return omni_make_float(r, -omni_float_val(acc));
        return omni_num_sub(r, loc, omni_fix(0), acc);
    }
    for (int64_t i = 1; i < argc; i++)
        acc = omni_num_sub(r, loc, acc, argv[i]);
    return acc;
}

OVal omni_bv_div(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    if (argc == 1)
        return omni_num_div(r, loc, omni_fix(1), argv[0]);
    OVal acc = argv[0];
    for (int64_t i = 1; i < argc; i++)
        acc = omni_num_div(r, loc, acc, argv[i]);
    return acc;
}

/* ---- = < > <= >= : chained; every argument is type-checked even after
 * the answer is known, so (< 2 1 'a) is an error as in Scheme.  The
 * relation is IEEE-correct: any comparison with nan is false. ---- */

static OVal cmp_chain(const OmniLoc *loc, const char *who, int rel, int64_t argc, OVal *argv)
{
    bool ok = true;
    for (int64_t i = 0; i + 1 < argc; i++)
        ok = omni_num_rel(loc, who, rel, argv[i], argv[i + 1]) && ok;
    return omni_bool(ok);
}

OVal omni_bv_numeq(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv) { return cmp_chain(loc, "=", OMNI_REL_EQ, argc, argv); }
OVal omni_bv_lt(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv) { return cmp_chain(loc, "<", OMNI_REL_LT, argc, argv); }
OVal omni_bv_gt(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv) { return cmp_chain(loc, ">", OMNI_REL_GT, argc, argv); }
OVal omni_bv_le(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv) { return cmp_chain(loc, "<=", OMNI_REL_LE, argc, argv); }
OVal omni_bv_ge(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv) { return cmp_chain(loc, ">=", OMNI_REL_GE, argc, argv); }

/* ---- abs min max ---- */

OVal omni_b_abs(Region *r, const OmniLoc *loc, OVal x)
{
    if (omni_is_fix(x)) {
        int64_t n = omni_fixval(x);
        return n < 0 ? omni_int_checked(loc, "abs", -n) : x;
    }
    if (omni_is_float(x))
        return omni_make_float(r, fabs(omni_float_val(x)));
    omni_err_type(loc, "abs", "Number", x);
}

/* Scheme's inexact contagion: if any argument is a Float the result is a
 * Float, even when the winner is an Int: (max 1 2.0 3) is 3.0. */
static OVal min_max(Region *r, const OmniLoc *loc, const char *who, int sign,
                    int64_t argc, OVal *argv)
{
    OVal best = argv[0];
    bool any_float = omni_is_float(best);
    want_number(loc, who, best);
    for (int64_t i = 1; i < argc; i++) {
        any_float = any_float || omni_is_float(argv[i]);
        int c = omni_num_cmp(loc, who, argv[i], best);
        if (c == 2) {
            /* unordered (2): a nan wins and then stays, since every later
             * comparison with it is unordered too, as in Scheme */
            if (omni_is_float(argv[i]) && isnan(omni_float_val(argv[i])))
                best = argv[i];
        } else if (c * sign > 0) {
            best = argv[i];
        }
    }
    if (any_float && omni_is_fix(best))
        return omni_make_float(r, (double)omni_fixval(best));
    return best;
}

OVal omni_bv_min(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv) { return min_max(r, loc, "min", -1, argc, argv); }
OVal omni_bv_max(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv) { return min_max(r, loc, "max", 1, argc, argv); }

/* ---- Float functions: IEEE results (sqrt of a negative is nan, log 0 is -inf) ---- */

OVal omni_b_sqrt(Region *r, const OmniLoc *loc, OVal x) { return omni_make_float(r, sqrt(omni_want_double(loc, "sqrt", x))); }
OVal omni_b_exp(Region *r, const OmniLoc *loc, OVal x) { return omni_make_float(r, exp(omni_want_double(loc, "exp", x))); }
OVal omni_b_log(Region *r, const OmniLoc *loc, OVal x) { return omni_make_float(r, log(omni_want_double(loc, "log", x))); }
OVal omni_b_sin(Region *r, const OmniLoc *loc, OVal x) { return omni_make_float(r, sin(omni_want_double(loc, "sin", x))); }
OVal omni_b_cos(Region *r, const OmniLoc *loc, OVal x) { return omni_make_float(r, cos(omni_want_double(loc, "cos", x))); }

/* ---- floor ceil round: keep the argument's type ---- */

static OVal rounding(Region *r, const OmniLoc *loc, const char *who, double (*f)(double), OVal x)
{
    if (omni_is_fix(x))
        return x;
    if (omni_is_float(x))
        return omni_make_float(r, f(omni_float_val(x)));
    omni_err_type(loc, who, "Number", x);
}

OVal omni_b_floor(Region *r, const OmniLoc *loc, OVal x) { return rounding(r, loc, "floor", floor, x); }
OVal omni_b_ceil(Region *r, const OmniLoc *loc, OVal x) { return rounding(r, loc, "ceil", ceil, x); }
/* nearbyint in the default rounding mode rounds half to even, like Scheme. */
OVal omni_b_round(Region *r, const OmniLoc *loc, OVal x) { return rounding(r, loc, "round", nearbyint, x); }

/* ---- float int ---- */

OVal omni_b_float(Region *r, const OmniLoc *loc, OVal x)
{
    if (omni_is_float(x))
        return x;
    return omni_make_float(r, omni_want_double(loc, "float", x));
}

OVal omni_b_int(Region *r, const OmniLoc *loc, OVal x)
{
    if (omni_is_fix(x))
        return x;
    if (!omni_is_float(x))
        omni_err_type(loc, "int", "Number", x);
    double d = omni_float_val(x);
    char text[32];
    if (isnan(d))
        omni_raise(loc, "int: cannot convert nan to Int");
    double t = trunc(d);
    /* fixnum range is [-2^62, 2^62) */
    if (t < -4611686018427387904.0 || t >= 4611686018427387904.0) {
        omni_format_double(text, d);
        omni_raise(loc, "int: %s is out of Int range", text);
    }
    return omni_fix((int64_t)t);
}

/* ---- number->string string->number ---- */

/* An Int in radix 2..36, lower-case digits, '-' before a negative one.
 * The magnitude is taken as unsigned: -2^62 has no positive fixnum. */
static OVal int_to_string_radix(Region *r, int64_t n, unsigned radix)
{
    char text[72]; /* 63 binary digits and a sign */
    char *end = text + sizeof text, *p = end;
    uint64_t m = n < 0 ? 0 - (uint64_t)n : (uint64_t)n;
    do {
        *--p = "0123456789abcdefghijklmnopqrstuvwxyz"[m % radix];
        m /= radix;
    } while (m != 0);
    if (n < 0)
        *--p = '-';
    return omni_make_string(r, p, end - p);
}

/* (number->string x [radix]): the display form; an Int may be written in
 * any radix from 2 to 36, a Float only in radix 10. */
OVal omni_bv_number_to_string(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    OVal x = argv[0];
    want_number(loc, "number->string", x);
    int64_t radix = 10;
    if (argc == 2) {
        if (!omni_is_fix(argv[1]))
            omni_err_type(loc, "number->string", "Int radix (2 to 36)", argv[1]);
        radix = omni_fixval(argv[1]);
        if (radix < 2 || radix > 36)
            omni_raise(loc, "number->string: radix %lld is out of range (2 to 36)", (long long)radix);
    }
    if (omni_is_fix(x)) {
        if (radix != 10)
            return int_to_string_radix(r, omni_fixval(x), (unsigned)radix);
        char text[24];
        int n = snprintf(text, sizeof text, "%lld", (long long)omni_fixval(x));
        return omni_make_string(r, text, n);
    }
    char text[32];
    omni_format_double(text, omni_float_val(x));
    if (radix != 10)
        omni_raise(loc, "number->string: radix %lld needs an Int, got the Float %s",
                   (long long)radix, text);
    return omni_make_string(r, text, (int64_t)strlen(text));
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* The reader's number syntax: [+-] digits [. digits] [e [+-] digits], with
 * at least one mantissa digit; no '.' and no exponent makes an Int.  Any
 * other text (including surrounding spaces) is not a number: nothing. */
OVal omni_b_string_to_number(Region *r, const OmniLoc *loc, OVal x)
{
    OString *s = omni_want_string(loc, "string->number", x);
    const char *p = s->data;
    int64_t n = s->len, i = 0;
    bool neg = false, is_float = false;
    if (i < n && (p[i] == '+' || p[i] == '-'))
        neg = p[i++] == '-';
    int64_t int_start = i;
    while (i < n && is_digit(p[i]))
        i++;
    int64_t nint = i - int_start, nfrac = 0;
    if (i < n && p[i] == '.') {
        is_float = true;
        int64_t frac_start = ++i;
        while (i < n && is_digit(p[i]))
            i++;
        nfrac = i - frac_start;
    }
    if (nint + nfrac == 0)
        return OMNI_NOTHING;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        is_float = true;
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-'))
            i++;
        int64_t exp_start = i;
        while (i < n && is_digit(p[i]))
            i++;
        if (i == exp_start)
            return OMNI_NOTHING;
    }
    if (i != n)
        return OMNI_NOTHING;
    if (is_float)
        return omni_make_float(r, strtod(p, NULL)); /* data is NUL-terminated */
    /* Int: accumulate negatively so -2^62 is reachable; past the fixnum
     * range the text is not an OmniLisp Int → nothing. */
    int64_t v = 0;
    for (int64_t k = int_start; k < int_start + nint; k++) {
        if (v < OMNI_FIX_MIN / 10) /* v * 10 would leave the range anyway */
            return OMNI_NOTHING;
        v = v * 10 - (p[k] - '0');
        if (v < OMNI_FIX_MIN)
            return OMNI_NOTHING;
    }
    if (!neg) {
        if (-v > OMNI_FIX_MAX)
            return OMNI_NOTHING;
        v = -v;
    }
    return omni_fix(v);
}
