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

OVal omni_bv_str(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    OmniBuf b = { 0 };
    for (int64_t i = 0; i < argc; i++)
        omni_buf_value(&b, argv[i], false);
    return omni_buf_to_string(r, &b);
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
    return omni_buf_to_string(r, &b);
}

/* ---- strings <-> chars ----
 * A malformed byte decodes as U+FFFD (omni_utf8_decode), exactly as
 * string-ref and string-length see it, so (string->list s) has
 * (string-length s) elements. */

OVal omni_b_string_to_list(Region *r, const OmniLoc *loc, OVal sv)
{
    OString *s = omni_want_string(loc, "string->list", sv);
    OmniListBuild b;
    omni_lbuild_init(&b);
    for (int64_t i = 0; i < s->len;) {
        int len;
        uint32_t cp = omni_utf8_decode(s->data + i, s->len - i, &len);
        omni_lbuild_push(r, &b, omni_char(cp));
        i += len;
    }
    return b.head;
}

/* Bytes of the UTF-8 encoding of the chars of a sequence; raises (before
 * anything is allocated) on a non-char or an improper list. */
static int64_t chars_bytes(const OmniLoc *loc, const char *who, OmniSeq *seq)
{
    int64_t total = 0;
    OVal x;
    char u[4];
    while (omni_seq_next(loc, who, seq, &x)) {
        if (!omni_is_char(x))
            omni_err_type(loc, who, "Char", x);
        total += omni_utf8_encode(omni_charval(x), u);
    }
    return total;
}

/* Encodes the chars of a sequence already checked by chars_bytes. */
static OVal chars_to_string(Region *r, const OmniLoc *loc, const char *who, OmniSeq *seq,
                            int64_t total)
{
    OString *out = omni_string_alloc(r, total);
    int64_t at = 0;
    OVal x;
    while (omni_seq_next(loc, who, seq, &x))
        at += omni_utf8_encode(omni_charval(x), out->data + at);
    return OMNI_VAL(out);
}

OVal omni_b_list_to_string(Region *r, const OmniLoc *loc, OVal xs)
{
    OmniSeq seq;
    if (omni_is_type(xs, OT_ARRAY) || !omni_seq_init(&seq, xs))
        omni_err_type(loc, "list->string", "List", xs);
    int64_t total = chars_bytes(loc, "list->string", &seq);
    omni_seq_init(&seq, xs);
    return chars_to_string(r, loc, "list->string", &seq, total);
}

/* (string c ...): the string of the given chars. */
OVal omni_bv_string(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    int64_t total = 0;
    char u[4];
    for (int64_t i = 0; i < argc; i++) {
        if (!omni_is_char(argv[i]))
            omni_err_type(loc, "string", "Char", argv[i]);
        total += omni_utf8_encode(omni_charval(argv[i]), u);
    }
    OString *out = omni_string_alloc(r, total);
    int64_t at = 0;
    for (int64_t i = 0; i < argc; i++)
        at += omni_utf8_encode(omni_charval(argv[i]), out->data + at);
    return OMNI_VAL(out);
}

/* ---- case: ASCII letters only ----
 * Bytes >= 0x80 (every byte of a non-ASCII code point) are left alone, so
 * the result stays valid UTF-8 and non-ASCII letters keep their case. */

static char ascii_up(char c) { return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c; }
static char ascii_down(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

static OVal string_map_ascii(Region *r, const OmniLoc *loc, const char *who, OVal sv,
                             char (*f)(char))
{
    OString *s = omni_want_string(loc, who, sv);
    OString *out = omni_string_alloc(r, s->len);
    for (int64_t i = 0; i < s->len; i++)
        out->data[i] = f(s->data[i]);
    return OMNI_VAL(out);
}

OVal omni_b_string_upcase(Region *r, const OmniLoc *loc, OVal s) { return string_map_ascii(r, loc, "string-upcase", s, ascii_up); }
OVal omni_b_string_downcase(Region *r, const OmniLoc *loc, OVal s) { return string_map_ascii(r, loc, "string-downcase", s, ascii_down); }

static uint32_t want_char(const OmniLoc *loc, const char *who, OVal c)
{
    if (!omni_is_char(c))
        omni_err_type(loc, who, "Char", c);
    return omni_charval(c);
}

OVal omni_b_char_upcase(Region *r, const OmniLoc *loc, OVal c)
{
    uint32_t cp = want_char(loc, "char-upcase", c);
    return cp >= 'a' && cp <= 'z' ? omni_char(cp - 'a' + 'A') : c;
}

OVal omni_b_char_downcase(Region *r, const OmniLoc *loc, OVal c)
{
    uint32_t cp = want_char(loc, "char-downcase", c);
    return cp >= 'A' && cp <= 'Z' ? omni_char(cp - 'A' + 'a') : c;
}

/* ---- char classes: ASCII, the same whitespace as string-split/trim ---- */

OVal omni_b_char_alphabeticp(Region *r, const OmniLoc *loc, OVal c)
{
    uint32_t cp = want_char(loc, "char-alphabetic?", c);
    return omni_bool((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'));
}

OVal omni_b_char_numericp(Region *r, const OmniLoc *loc, OVal c)
{
    uint32_t cp = want_char(loc, "char-numeric?", c);
    return omni_bool(cp >= '0' && cp <= '9');
}

OVal omni_b_char_whitespacep(Region *r, const OmniLoc *loc, OVal c)
{
    uint32_t cp = want_char(loc, "char-whitespace?", c);
    return omni_bool(cp < 0x80 && is_space((char)cp));
}

/* ---- searching: code point indices, `nothing` when absent ---- */

/* (string-index s c): index of the first c in s. */
OVal omni_b_string_index(Region *r, const OmniLoc *loc, OVal sv, OVal c)
{
    OString *s = omni_want_string(loc, "string-index", sv);
    uint32_t want = want_char(loc, "string-index", c);
    int64_t idx = 0;
    for (int64_t i = 0; i < s->len; idx++) {
        int len;
        if (omni_utf8_decode(s->data + i, s->len - i, &len) == want)
            return omni_fix(idx);
        i += len;
    }
    return OMNI_NOTHING;
}

/* (string-contains s sub): index of the first occurrence of sub (a String
 * or a Char) in s; an empty sub occurs at 0.  Bytes are searched with
 * memmem; a hit that does not start at a code point boundary (possible
 * only when sub is malformed UTF-8) is skipped, so the index always counts
 * code points as string-ref does.  One pass: the boundary cursor only
 * moves forward. */
OVal omni_b_string_contains(Region *r, const OmniLoc *loc, OVal sv, OVal subv)
{
    OString *s = omni_want_string(loc, "string-contains", sv);
    char cbuf[4];
    const char *sub;
    int64_t m;
    if (omni_is_char(subv)) {
        m = omni_utf8_encode(omni_charval(subv), cbuf);
        sub = cbuf;
    } else if (omni_is_type(subv, OT_STRING)) {
        sub = OMNI_PTR(OString, subv)->data;
        m = OMNI_PTR(OString, subv)->len;
    } else {
        omni_err_type(loc, "string-contains", "String or Char", subv);
    }
    if (m == 0)
        return omni_fix(0);
    int64_t at = 0, idx = 0; /* code point idx starts at byte at */
    for (int64_t from = 0; from + m <= s->len;) {
        const char *hit = memmem(s->data + from, (size_t)(s->len - from), sub, (size_t)m);
        if (!hit)
            break;
        int64_t off = hit - s->data;
        while (at < off) {
            int len;
            omni_utf8_decode(s->data + at, s->len - at, &len);
            at += len;
            idx++;
        }
        if (at == off)
            return omni_fix(idx);
        from = off + 1;
    }
    return OMNI_NOTHING;
}

/* (string-trim s): s without leading and trailing ASCII whitespace (the
 * set string-split uses); always a fresh string. */
OVal omni_b_string_trim(Region *r, const OmniLoc *loc, OVal sv)
{
    OString *s = omni_want_string(loc, "string-trim", sv);
    int64_t a = 0, b = s->len;
    while (a < b && is_space(s->data[a]))
        a++;
    while (b > a && is_space(s->data[b - 1]))
        b--;
    return omni_make_string(r, s->data + a, b - a);
}
