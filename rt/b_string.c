/* b_string.c — string and character built-ins.  Strings are immutable
 * UTF-8 byte sequences; every index and length seen by OmniLisp code counts
 * code points (string-length, string-ref, substring), while the work below
 * is done on bytes.  Results are fresh strings in the result region.
 */
#include "b_common.h"

#include <string.h>

OVal omni_b_string_length(Region *r, const OmniLoc *loc, OVal sv)
{
    OString *s = omni_want_string(loc, "string-length", sv);
    return omni_fix(omni_utf8_length(s->data, s->len));
}

OVal omni_b_string_ref(Region *r, const OmniLoc *loc, OVal sv, OVal iv)
{
    OString *s = omni_want_string(loc, "string-ref", sv);
    int64_t i = omni_want_fix(loc, "string-ref", iv);
    int64_t off = i < 0 ? -1 : omni_utf8_offset(s->data, s->len, i);
    if (off < 0 || off >= s->len)
        omni_raise(loc, "string-ref: index %lld out of range for string of length %lld",
                   (long long)i, (long long)omni_utf8_length(s->data, s->len));
    int len;
    return omni_char(omni_utf8_decode(s->data + off, s->len - off, &len));
}

/* Byte offset of code point index i in [0, n]; i == n is the end. */
static int64_t cp_offset(OString *s, int64_t i, int64_t n)
{
    return i == n ? s->len : omni_utf8_offset(s->data, s->len, i);
}

OVal omni_bv_substring(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    OString *s = omni_want_string(loc, "substring", argv[0]);
    int64_t n = omni_utf8_length(s->data, s->len);
    int64_t start = omni_want_fix(loc, "substring", argv[1]);
    int64_t end = argc == 3 ? omni_want_fix(loc, "substring", argv[2]) : n;
    if (start < 0 || end < start || end > n)
        omni_raise(loc, "substring: range %lld..%lld out of bounds for string of length %lld",
                   (long long)start, (long long)end, (long long)n);
    int64_t b0 = cp_offset(s, start, n), b1 = cp_offset(s, end, n);
    return omni_make_string(r, s->data + b0, b1 - b0);
}

OVal omni_bv_string_append(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    int64_t total = 0;
    for (int64_t i = 0; i < argc; i++)
        total += omni_want_string(loc, "string-append", argv[i])->len;
    OString *out = omni_string_alloc(r, total);
    int64_t at = 0;
    for (int64_t i = 0; i < argc; i++) {
        OString *s = OMNI_PTR(OString, argv[i]);
        memcpy(out->data + at, s->data, (size_t)s->len);
        at += s->len;
    }
    return OMNI_VAL(out);
}

/* Byte order of UTF-8 is code point order. */
static int str_cmp(OString *a, OString *b)
{
    int64_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->data, b->data, (size_t)n);
    if (c != 0)
        return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

static OVal str_chain(const OmniLoc *loc, const char *who, bool lt, int64_t argc, OVal *argv)
{
    bool ok = true;
    for (int64_t i = 0; i < argc; i++)
        omni_want_string(loc, who, argv[i]);
    for (int64_t i = 0; ok && i + 1 < argc; i++) {
        int c = str_cmp(OMNI_PTR(OString, argv[i]), OMNI_PTR(OString, argv[i + 1]));
        ok = lt ? c < 0 : c == 0;
    }
    return omni_bool(ok);
}

OVal omni_bv_string_eq(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv) { return str_chain(loc, "string=?", false, argc, argv); }
OVal omni_bv_string_lt(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv) { return str_chain(loc, "string<?", true, argc, argv); }

/* Copies a malloc'd buffer into a region string and frees the buffer. */
static OVal buf_to_string(Region *r, OmniBuf *b)
{
    OVal s = omni_make_string(r, b->p ? b->p : "", (int64_t)b->n);
    omni_buf_free(b);
    return s;
}

OVal omni_bv_str(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    OmniBuf b = { 0 };
    for (int64_t i = 0; i < argc; i++)
        omni_buf_value(&b, argv[i], false);
    return buf_to_string(r, &b);
}

OVal omni_b_string_to_symbol(Region *r, const OmniLoc *loc, OVal sv)
{
    OString *s = omni_want_string(loc, "string->symbol", sv);
    return omni_intern(s->data, s->len);
}

OVal omni_b_symbol_to_string(Region *r, const OmniLoc *loc, OVal v)
{
    OSymbol *s = omni_want_symbol(loc, "symbol->string", v);
    return omni_make_string(r, s->name, s->len);
}

OVal omni_b_char_to_integer(Region *r, const OmniLoc *loc, OVal c)
{
    if (!omni_is_char(c))
        omni_err_type(loc, "char->integer", "Char", c);
    return omni_fix(omni_charval(c));
}

OVal omni_b_integer_to_char(Region *r, const OmniLoc *loc, OVal v)
{
    int64_t n = omni_want_fix(loc, "integer->char", v);
    if (n < 0 || n > 0x10FFFF || (n >= 0xD800 && n <= 0xDFFF))
        omni_raise(loc, "integer->char: %lld is not a Unicode scalar value", (long long)n);
    return omni_char((uint32_t)n);
}

/* ---- string-split string-join ---- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* (string-split s) splits on runs of whitespace and drops empty fields;
 * (string-split s sep) splits on every occurrence of sep (a String or a
 * Char) and keeps empty fields; an empty sep splits into characters. */
OVal omni_bv_string_split(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    OString *s = omni_want_string(loc, "string-split", argv[0]);
    const char *p = s->data;
    int64_t n = s->len;
    OmniListBuild b;
    omni_lbuild_init(&b);
    if (argc == 1) {
        int64_t i = 0;
        for (;;) {
            while (i < n && is_space(p[i]))
                i++;
            if (i == n)
                return b.head;
            int64_t start = i;
            while (i < n && !is_space(p[i]))
                i++;
            omni_lbuild_push(r, &b, omni_make_string(r, p + start, i - start));
        }
    }
    char cbuf[4];
    const char *sep;
    int64_t m;
    if (omni_is_char(argv[1])) {
        m = omni_utf8_encode(omni_charval(argv[1]), cbuf);
        sep = cbuf;
    } else if (omni_is_type(argv[1], OT_STRING)) {
        sep = OMNI_PTR(OString, argv[1])->data;
        m = OMNI_PTR(OString, argv[1])->len;
    } else {
        omni_err_type(loc, "string-split", "String or Char", argv[1]);
    }
    if (m == 0) {
        for (int64_t i = 0; i < n;) {
            int len;
            omni_utf8_decode(p + i, n - i, &len);
            if (len < 1)
                len = 1;
            omni_lbuild_push(r, &b, omni_make_string(r, p + i, len));
            i += len;
        }
        return b.head;
    }
    int64_t start = 0;
    for (int64_t i = 0; i + m <= n;) {
        if (memcmp(p + i, sep, (size_t)m) == 0) {
            omni_lbuild_push(r, &b, omni_make_string(r, p + start, i - start));
            i += m;
            start = i;
        } else {
            i++;
        }
    }
    omni_lbuild_push(r, &b, omni_make_string(r, p + start, n - start));
    return b.head;
}

/* (string-join xs [sep]): xs a list or array; each element contributes its
 * display form (strings raw), like Clojure's join. */
OVal omni_bv_string_join(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    OVal xs = argv[0];
    OmniSeq s;
    /* validate before the malloc'd buffer exists, so an error cannot leak it */
    if (!omni_seq_init(&s, xs) || (!s.is_array && omni_list_length(xs) < 0))
        omni_err_type(loc, "string-join", "List or Array", xs);
    const char *sep = "";
    int64_t m = 0;
    char cbuf[4];
    if (argc == 2) {
        if (omni_is_char(argv[1])) {
            m = omni_utf8_encode(omni_charval(argv[1]), cbuf);
            sep = cbuf;
        } else {
            OString *ss = omni_want_string(loc, "string-join", argv[1]);
            sep = ss->data;
            m = ss->len;
        }
    }
    OmniBuf b = { 0 };
    OVal x;
    for (bool first = true; omni_seq_next(loc, "string-join", &s, &x); first = false) {
        if (!first)
            omni_buf_puts(&b, sep, (size_t)m);
        omni_buf_value(&b, x, false);
    }
    return buf_to_string(r, &b);
}
