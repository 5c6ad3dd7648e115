/* num.c — the numeric tower (Int, Float) and the checked accessors.
 *
 * These are the slow paths behind the inline fast paths of hot.c: mixed
 * Int/Float arithmetic, fixnum overflow (always an error, never a wrap),
 * division semantics (`/` on two Ints is an Int when exact, else a Float;
 * quot truncates, rem takes the dividend's sign, mod the divisor's), exact
 * Int/Float comparison, and the type errors raised when an operand is not a
 * number.  Also the omni_want_* accessors the built-ins use to check their
 * arguments, and omni_type_name for messages.
 */
#include "rt_core.h"

#include <math.h>

/* ---- type names and checked access ----------------------------------- */

const char *omni_type_name(OVal v)
{
    if (omni_is_fix(v))
        return "Int";
    if (omni_is_char(v))
        return "Char";
    if (omni_is_ref(v)) {
        uint32_t t = omni_type_of_ref(v);
        return t < OT__COUNT ? omni_types[t].name : "?";
    }
    switch (v) {
    case OMNI_TRUE:
    case OMNI_FALSE: return "Bool";
    case OMNI_NIL: return "()";
    case OMNI_NOTHING: return "Nothing";
    default: return "Unbound";
    }
}

bool omni_is_float(OVal v) { return omni_is_type(v, OT_FLOAT); }
bool omni_is_number(OVal v) { return omni_is_fix(v) || omni_is_type(v, OT_FLOAT); }

double omni_num_to_double(OVal v)
{
    return omni_is_fix(v) ? (double)omni_fixval(v) : omni_float_val(v);
}

int64_t omni_want_fix(const OmniLoc *loc, const char *who, OVal v)
{
    if (!omni_is_fix(v))
        omni_err_type(loc, who, "Int", v);
    return omni_fixval(v);
}

double omni_want_double(const OmniLoc *loc, const char *who, OVal v)
{
    if (!omni_is_number(v))
        omni_err_type(loc, who, "Number", v);
    return omni_num_to_double(v);
}

#define WANT_PTR(fn, T, id, tname)                                   \
    T *fn(const OmniLoc *loc, const char *who, OVal v)               \
    {                                                                \
        if (!omni_is_type(v, id))                                    \
            omni_err_type(loc, who, tname, v);                       \
        return OMNI_PTR(T, v);                                       \
    }
WANT_PTR(omni_want_string, OString, OT_STRING, "String")
WANT_PTR(omni_want_array, OArray, OT_ARRAY, "Array")
WANT_PTR(omni_want_dict, ODict, OT_DICT, "Dict")
WANT_PTR(omni_want_atom, OAtom, OT_ATOM, "Atom")
WANT_PTR(omni_want_symbol, OSymbol, OT_SYMBOL, "Symbol")
#undef WANT_PTR

/* A pair is a tagged address (no header): OMNI_PAIR, not OMNI_PTR. */
OPair *omni_want_pair(const OmniLoc *loc, const char *who, OVal v)
{
    if (!omni_is_type(v, OT_PAIR))
        omni_err_type(loc, who, "Pair", v);
    return OMNI_PAIR(v);
}

void omni_want_fn(const OmniLoc *loc, const char *who, OVal v)
{
    if (!omni_is_type(v, OT_CLOSURE))
        omni_err_type(loc, who, "Fn", v);
}

/* ---- arithmetic ---------------------------------------------------------- */

OVal omni_int_checked(const OmniLoc *loc, const char *who, int64_t n)
{
    if (n < OMNI_FIX_MIN || n > OMNI_FIX_MAX)
        omni_err_overflow(loc, who);
    return omni_fix(n);
}

/* Both operands as doubles, after checking they are numbers. */
static void want_two(const OmniLoc *loc, const char *who, OVal a, OVal b, double *x, double *y)
{
    *x = omni_want_double(loc, who, a);
    *y = omni_want_double(loc, who, b);
}

OVal omni_num_add(Region *r, const OmniLoc *loc, OVal a, OVal b)
{
    if (omni_is_fix(a) && omni_is_fix(b)) {
        int64_t s;
        if (__builtin_add_overflow(omni_fixval(a), omni_fixval(b), &s))
            omni_err_overflow(loc, "+");
        return omni_int_checked(loc, "+", s);
    }
    double x, y;
    want_two(loc, "+", a, b, &x, &y);
    return omni_make_float(r, x + y);
}

OVal omni_num_sub(Region *r, const OmniLoc *loc, OVal a, OVal b)
{
    if (omni_is_fix(a) && omni_is_fix(b)) {
        int64_t s;
        if (__builtin_sub_overflow(omni_fixval(a), omni_fixval(b), &s))
            omni_err_overflow(loc, "-");
        return omni_int_checked(loc, "-", s);
    }
    double x, y;
    want_two(loc, "-", a, b, &x, &y);
    return omni_make_float(r, x - y);
}

OVal omni_num_mul(Region *r, const OmniLoc *loc, OVal a, OVal b)
{
    if (omni_is_fix(a) && omni_is_fix(b)) {
        int64_t p;
        if (__builtin_mul_overflow(omni_fixval(a), omni_fixval(b), &p))
            omni_err_overflow(loc, "*");
        return omni_int_checked(loc, "*", p);
    }
    double x, y;
    want_two(loc, "*", a, b, &x, &y);
    return omni_make_float(r, x * y);
}

OVal omni_num_div(Region *r, const OmniLoc *loc, OVal a, OVal b)
{
    if (omni_is_fix(a) && omni_is_fix(b)) {
        int64_t x = omni_fixval(a), y = omni_fixval(b);
        if (y == 0)
            omni_err_divzero(loc, "/");
        if (x % y == 0) /* fixnums are 63-bit: x / -1 cannot trap in int64 */
            return omni_int_checked(loc, "/", x / y);
        return omni_make_float(r, (double)x / (double)y);
    }
    double x, y;
    want_two(loc, "/", a, b, &x, &y);
    return omni_make_float(r, x / y); /* IEEE: a Float divisor of 0 gives inf/nan */
}

OVal omni_num_quot(Region *r, const OmniLoc *loc, OVal a, OVal b)
{
    if (omni_is_fix(a) && omni_is_fix(b)) {
        int64_t y = omni_fixval(b);
        if (y == 0)
            omni_err_divzero(loc, "quot");
        return omni_int_checked(loc, "quot", omni_fixval(a) / y);
    }
    double x, y;
    want_two(loc, "quot", a, b, &x, &y);
    if (y == 0)
        omni_err_divzero(loc, "quot");
    return omni_make_float(r, trunc(x / y));
}

OVal omni_num_rem(Region *r, const OmniLoc *loc, OVal a, OVal b)
{
    if (omni_is_fix(a) && omni_is_fix(b)) {
        int64_t y = omni_fixval(b);
        if (y == 0)
            omni_err_divzero(loc, "rem");
        return omni_fix(omni_fixval(a) % y);
    }
    double x, y;
    want_two(loc, "rem", a, b, &x, &y);
    if (y == 0)
        omni_err_divzero(loc, "rem");
    return omni_make_float(r, fmod(x, y));
}

OVal omni_num_mod(Region *r, const OmniLoc *loc, OVal a, OVal b)
{
    if (omni_is_fix(a) && omni_is_fix(b)) {
        int64_t y = omni_fixval(b);
        if (y == 0)
            omni_err_divzero(loc, "mod");
        int64_t m = omni_fixval(a) % y;
        if (m != 0 && ((m ^ y) < 0))
            m += y;
        return omni_fix(m);
    }
    double x, y;
    want_two(loc, "mod", a, b, &x, &y);
    if (y == 0)
        omni_err_divzero(loc, "mod");
    double m = fmod(x, y);
    if (m != 0 && ((m < 0) != (y < 0)))
        m += y;
    return omni_make_float(r, m);
}

/* ---- comparison ------------------------------------------------------------ */

/* Exact comparison of an Int with a (non-NaN) double: converting x to
 * double would round above 2^53. */
static int cmp_int_double(int64_t x, double d)
{
    if (d >= 9223372036854775808.0)
        return -1;
    if (d < -9223372036854775808.0)
        return 1;
    double t = trunc(d);
    int64_t ti = (int64_t)t;
    if (x != ti)
        return x < ti ? -1 : 1;
    double frac = d - t;
    return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

int omni_num_cmp(const OmniLoc *loc, const char *who, OVal a, OVal b)
{
    if (omni_is_fix(a) && omni_is_fix(b))
        return (int64_t)a < (int64_t)b ? -1 : (a != b);
    if (!omni_is_number(a))
        omni_err_type(loc, who, "Number", a);
    if (!omni_is_number(b))
        omni_err_type(loc, who, "Number", b);
    if (omni_is_fix(a)) {
        double y = omni_float_val(b);
        return isnan(y) ? 2 : cmp_int_double(omni_fixval(a), y);
    }
    if (omni_is_fix(b)) {
        double x = omni_float_val(a);
        return isnan(x) ? 2 : -cmp_int_double(omni_fixval(b), x);
    }
    double x = omni_float_val(a), y = omni_float_val(b);
    if (isnan(x) || isnan(y))
        return 2;
    return x < y ? -1 : x > y;
}

bool omni_num_rel(const OmniLoc *loc, const char *who, int rel, OVal a, OVal b)
{
    int c = omni_num_cmp(loc, who, a, b);
    if (c == 2)
        return false; /* NaN: every relation is false */
    switch (rel) {
    case OMNI_REL_EQ: return c == 0;
    case OMNI_REL_LT: return c < 0;
    case OMNI_REL_GT: return c > 0;
    case OMNI_REL_LE: return c <= 0;
    default: return c >= 0;
    }
}
