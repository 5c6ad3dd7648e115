/* print.c — display and write forms of values, the growable byte buffer,
 * float formatting and program output.
 *
 * The forms are the spec's "Printing" section: display form prints strings
 * and chars raw (also inside collections), write form quotes and escapes
 * them; floats use the shortest text that reads back to the same double,
 * positional for decimal exponents in [-4, 16) and exponential otherwise
 * (Python's repr).  Printing builds text in an OmniBuf; lists are walked
 * along their cdr with a loop, so a million-element list needs no stack.
 */
#include "rt_core.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- OmniBuf ----------------------------------------------------------- */

static void buf_reserve(OmniBuf *b, size_t extra)
{
    if (b->n + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->n + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
        omni_internal_error("out of memory (buffer of %zu bytes)", cap);
    b->p = p;
    b->cap = cap;
}

void omni_buf_putc(OmniBuf *b, char c)
{
    buf_reserve(b, 1);
    b->p[b->n++] = c;
    b->p[b->n] = 0;
}

void omni_buf_puts(OmniBuf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

void omni_buf_printf(OmniBuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

void omni_buf_free(OmniBuf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

/* ---- floats ------------------------------------------------------------- */

void omni_format_double(char out[32], double d)
{
    if (isnan(d)) {
        strcpy(out, "nan");
        return;
    }
    if (isinf(d)) {
        strcpy(out, d > 0 ? "inf" : "-inf");
        return;
    }
    /* Shortest precision that round-trips; 17 significant digits always do. */
    char tmp[40];
    for (int prec = 0; prec <= 16; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    /* tmp is [-]D[.DDD]e±XX: collect the digits and the exponent. */
    char digits[24];
    int nd = 0;
    const char *s = tmp;
    bool neg = *s == '-';
    if (neg)
        s++;
    for (; *s && *s != 'e'; s++)
        if (*s != '.')
            digits[nd++] = *s;
    int exp = atoi(s + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = 0;

    char *o = out;
    if (neg)
        *o++ = '-';
    if (exp >= -4 && exp < 16) {
        if (exp >= 0) {
            for (int i = 0; i <= exp; i++)
                *o++ = i < nd ? digits[i] : '0';
            *o++ = '.';
            if (nd > exp + 1)
                for (int i = exp + 1; i < nd; i++)
                    *o++ = digits[i];
            else
                *o++ = '0';
        } else {
            *o++ = '0';
            *o++ = '.';
            for (int i = 0; i < -exp - 1; i++)
                *o++ = '0';
            for (int i = 0; i < nd; i++)
                *o++ = digits[i];
        }
        *o = 0;
    } else {
        *o++ = digits[0];
        if (nd > 1) {
            *o++ = '.';
            for (int i = 1; i < nd; i++)
                *o++ = digits[i];
        }
        snprintf(o, (size_t)(32 - (o - out)), "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    }
}

/* ---- values --------------------------------------------------------------- */

/* Decimal digits by hand: Ints are the most printed values (println,
 * str, format), and vsnprintf costs several times more. */
static void put_fix(OmniBuf *b, int64_t n)
{
    char t[24];
    char *end = t + sizeof t, *p = end;
    uint64_t m = n < 0 ? 0 - (uint64_t)n : (uint64_t)n;
    do {
        *--p = (char)('0' + m % 10);
        m /= 10;
    } while (m != 0);
    if (n < 0)
        *--p = '-';
    omni_buf_puts(b, p, (size_t)(end - p));
}

static void put_char_raw(OmniBuf *b, uint32_t cp)
{
    char u[4];
    int n = omni_utf8_encode(cp, u);
    omni_buf_puts(b, u, (size_t)n);
}

static void put_char_write(OmniBuf *b, uint32_t cp)
{
    switch (cp) {
    case ' ': omni_buf_puts(b, "#\\space", 7); return;
    case '\n': omni_buf_puts(b, "#\\newline", 9); return;
    case '\t': omni_buf_puts(b, "#\\tab", 5); return;
    default: break;
    }
    if (cp < 0x20 || cp == 0x7f) {
        omni_buf_printf(b, "#\\x%x", cp);
        return;
    }
    omni_buf_puts(b, "#\\", 2);
    put_char_raw(b, cp);
}

static void put_string_write(OmniBuf *b, const char *s, int64_t n)
{
    omni_buf_putc(b, '"');
    for (int64_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': omni_buf_puts(b, "\\\"", 2); break;
        case '\\': omni_buf_puts(b, "\\\\", 2); break;
        case '\n': omni_buf_puts(b, "\\n", 2); break;
        case '\t': omni_buf_puts(b, "\\t", 2); break;
        case '\r': omni_buf_puts(b, "\\r", 2); break;
        case 0: omni_buf_puts(b, "\\0", 2); break;
        default:
            if (c < 0x20 || c == 0x7f)
                omni_buf_printf(b, "\\x%02x;", c);
            else
                omni_buf_putc(b, (char)c);
        }
    }
    omni_buf_putc(b, '"');
}

static void put_list(OmniBuf *b, OVal v, bool w)
{
    omni_buf_putc(b, '(');
    bool first = true;
    while (omni_is_type(v, OT_PAIR)) { /* iterate on cdr: deep lists need no stack */
        if (!first)
            omni_buf_putc(b, ' ');
        first = false;
        omni_buf_value(b, OMNI_PAIR(v)->car, w);
        v = OMNI_PAIR(v)->cdr;
    }
    if (v != OMNI_NIL) {
        omni_buf_puts(b, " . ", 3);
        omni_buf_value(b, v, w);
    }
    omni_buf_putc(b, ')');
}

static void put_dict(OmniBuf *b, const ODict *d, bool w)
{
    omni_buf_puts(b, "#{", 2);
    bool first = true;
    for (int64_t i = 0; i < d->used; i++) {
        const ODictEntry *e = &d->entries[i];
        if (e->key == OMNI_UNBOUND) /* removed */
            continue;
        if (!first)
            omni_buf_putc(b, ' ');
        first = false;
        if (omni_is_type(e->key, OT_SYMBOL))
            omni_buf_putc(b, ':');
        omni_buf_value(b, e->key, w);
        omni_buf_putc(b, ' ');
        omni_buf_value(b, e->val, w);
    }
    omni_buf_putc(b, '}');
}

void omni_buf_value(OmniBuf *b, OVal v, bool w)
{
    if (omni_is_fix(v)) {
        put_fix(b, omni_fixval(v));
        return;
    }
    if (omni_is_char(v)) {
        if (w)
            put_char_write(b, omni_charval(v));
        else
            put_char_raw(b, omni_charval(v));
        return;
    }
    if (!omni_is_ref(v)) {
        const char *s = v == OMNI_TRUE ? "true" : v == OMNI_FALSE ? "false"
                      : v == OMNI_NIL ? "()" : v == OMNI_NOTHING ? "nothing" : "#<unbound>";
        omni_buf_puts(b, s, strlen(s));
        return;
    }
    switch ((OmniType)omni_type_of_ref(v)) {
    case OT_PAIR:
        put_list(b, v, w);
        return;
    case OT_FLOAT: {
        char t[32];
        omni_format_double(t, omni_float_val(v));
        omni_buf_puts(b, t, strlen(t));
        return;
    }
    case OT_STRING: {
        const OString *s = OMNI_PTR(OString, v);
        if (w)
            put_string_write(b, s->data, s->len);
        else
            omni_buf_puts(b, s->data, (size_t)s->len);
        return;
    }
    case OT_SYMBOL: {
        const OSymbol *s = OMNI_PTR(OSymbol, v);
        omni_buf_puts(b, s->name, (size_t)s->len);
        return;
    }
    case OT_ARRAY: {
        const OArray *a = OMNI_PTR(OArray, v);
        omni_buf_putc(b, '[');
        for (int64_t i = 0; i < a->len; i++) {
            if (i)
                omni_buf_putc(b, ' ');
            omni_buf_value(b, a->items[i], w);
        }
        omni_buf_putc(b, ']');
        return;
    }
    case OT_DICT:
        put_dict(b, OMNI_PTR(ODict, v), w);
        return;
    case OT_CLOSURE: {
        const char *name = OMNI_PTR(OClosure, v)->name;
        if (name && name[0])
            omni_buf_printf(b, "#<fn %s>", name);
        else
            omni_buf_puts(b, "#<fn>", 5);
        return;
    }
    case OT_ATOM:
        omni_buf_puts(b, "#<atom ", 7);
        omni_buf_value(b, OMNI_PTR(OAtom, v)->val, w);
        omni_buf_putc(b, '>');
        return;
    case OT_THREAD:
        omni_buf_printf(b, "#<thread %lld>", (long long)omni_thread_id(v));
        return;
    case OT_CHAN:
        omni_buf_puts(b, "#<chan>", 7);
        return;
    case OT_BOX:
        omni_buf_puts(b, "#<box ", 6);
        omni_buf_value(b, OMNI_PTR(OBox, v)->val, w);
        omni_buf_putc(b, '>');
        return;
    case OT_ERROR: /* #<error "message" irritant ...>, in both forms */
        omni_buf_puts(b, "#<error ", 8);
        omni_buf_value(b, OMNI_PTR(OError, v)->message, true);
        for (OVal p = OMNI_PTR(OError, v)->irritants; omni_is_pair(p); p = OMNI_PAIR(p)->cdr) {
            omni_buf_putc(b, ' ');
            omni_buf_value(b, OMNI_PAIR(p)->car, true);
        }
        omni_buf_putc(b, '>');
        return;
    case OT__COUNT:
        break;
    }
    omni_buf_printf(b, "#<object type %u>", omni_type_of_ref(v));
}

void omni_print(FILE *out, OVal v, bool write_form)
{
    OmniBuf b = {0};
    omni_buf_value(&b, v, write_form);
    if (b.n)
        fwrite(b.p, 1, b.n, out);
    omni_buf_free(&b);
}

char *omni_to_cstring(OVal v, bool write_form)
{
    OmniBuf b = {0};
    omni_buf_value(&b, v, write_form);
    if (!b.p)
        omni_buf_puts(&b, "", 0);
    return b.p;
}

/* ---- program output ---------------------------------------------------------- */

void omni_out_write(const char *s, size_t n)
{
    fwrite(s, 1, n, stdout);
}

void omni_out_flush(void)
{
    fflush(stdout);
}
