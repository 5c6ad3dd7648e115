/* reader.c — OmniLisp source text → Datums with spans.
 *
 * A hand-written recursive-descent reader over the bytes of one unit.  Every
 * datum records the file, line and column (in code points) of its first
 * character.  Reader sugar is expanded here so later stages see plain lists:
 *   'x → (quote x)   :x → (quote x)   p.name → (get p (quote name))
 *   v.[i] → (get v i)   a.b.c → (get (get a (quote b)) (quote c))
 * Errors are reported and reading goes on (a bad token is skipped, a
 * mismatched closer closes the innermost open collection) so one file can
 * show several errors.  fe_input_complete is a separate light scanner the
 * REPL uses to decide whether to read another line.
 */
#include "fe_internal.h"
#include "omni.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const char fe_path_get_name[] = "get";

typedef struct Reader {
    FeArena *a;
    Diag *d;
    const char *file;
    const char *s;
    size_t len, pos;
    int line, col;
    bool unterminated; /* an EOF error was reported: don't repeat it outward */
    int depth;         /* read_datum nesting, bounded so bad input cannot overflow the stack */
} Reader;

enum { FE_MAX_NESTING = 1000 };

/* ---------------------------------------------------------- characters */
static int peek(const Reader *r) { return r->pos < r->len ? (unsigned char)r->s[r->pos] : -1; }

static int peek_at(const Reader *r, size_t k)
{
    return r->pos + k < r->len ? (unsigned char)r->s[r->pos + k] : -1;
}

/* Columns count code points: continuation bytes do not advance them. */
static void adv(Reader *r)
{
    unsigned char b = (unsigned char)r->s[r->pos++];
    if (b == '\n') {
        r->line++;
        r->col = 1;
    } else if ((b & 0xC0) != 0x80) {
        r->col++;
    }
}

/* Skips one whole UTF-8 sequence (or one byte if it is malformed). */
static void adv_char(Reader *r)
{
    adv(r);
    while (r->pos < r->len && ((unsigned char)r->s[r->pos] & 0xC0) == 0x80)
        adv(r);
}

static Span here(const Reader *r)
{
    Span sp = {r->file, r->line + r->d->line_offset, r->col};
    return sp;
}

static bool is_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

static bool is_delim(int c)
{
    return c == -1 || is_space(c) || c == '(' || c == ')' || c == '[' || c == ']' || c == '{' ||
           c == '}' || c == '"' || c == ';' || c == '\'';
}

static bool is_closer(int c) { return c == ')' || c == ']' || c == '}'; }

static bool is_sym_start(int c)
{
    return (c >= 0 && c < 128 && isalpha(c)) || c >= 0x80 || (c > 0 && strchr("*!-_?%/=<>+", c));
}

static bool is_sym_char(int c) { return is_sym_start(c) || (c >= '0' && c <= '9'); }

static bool is_digit(int c) { return c >= '0' && c <= '9'; }

static void skip_ws(Reader *r)
{
    for (;;) {
        int c = peek(r);
        if (is_space(c)) {
            adv(r);
        } else if (c == ';') {
            while (peek(r) != -1 && peek(r) != '\n')
                adv(r);
        } else {
            return;
        }
    }
}

/* After a bad token: skip the rest of it so one mistake is one error. */
static void skip_token(Reader *r)
{
    while (!is_delim(peek(r)))
        adv(r);
}

/* -------------------------------------------------------------- datums */
static Datum *mk(Reader *r, DatumKind k, Span sp)
{
    Datum *d = fe_alloc(r->a, sizeof *d);
    d->kind = k;
    d->span = sp;
    return d;
}

static Datum *mk_sym(Reader *r, const char *s, size_t n, Span sp)
{
    Datum *d = mk(r, D_SYMBOL, sp);
    d->u.str.s = fe_strdup(r->a, s, n);
    d->u.str.len = (int64_t)n;
    return d;
}

static Datum *mk_list2(Reader *r, Span sp, Datum *a, Datum *b)
{
    Datum *d = mk(r, D_LIST, sp);
    d->u.list.items = fe_alloc(r->a, 2 * sizeof(Datum *));
    d->u.list.items[0] = a;
    d->u.list.items[1] = b;
    d->u.list.n = 2;
    return d;
}

static Datum *mk_quote(Reader *r, Span sp, Datum *x)
{
    return mk_list2(r, sp, mk_sym(r, "quote", 5, sp), x);
}

/* (get base key) with the private `get` marker (see fe_internal.h). */
static Datum *mk_get(Reader *r, Datum *base, Datum *key)
{
    Datum *g = mk(r, D_SYMBOL, base->span);
    g->u.str.s = fe_path_get_name;
    g->u.str.len = 3;
    Datum *d = mk(r, D_LIST, base->span);
    d->u.list.items = fe_alloc(r->a, 3 * sizeof(Datum *));
    d->u.list.items[0] = g;
    d->u.list.items[1] = base;
    d->u.list.items[2] = key;
    d->u.list.n = 3;
    return d;
}

static Datum *read_datum(Reader *r);

/* Reads elements up to `closer`; the opener has been consumed.  Lists
 * accept one dotted tail.  At EOF reports "unterminated <what>" at the
 * opener unless an inner datum already reported the EOF. */
static Datum *read_seq(Reader *r, DatumKind kind, int closer, Span sp, const char *what)
{
    FeVec items = {0};
    Datum *tail = NULL;
    bool after_tail = false, tail_extra = false;
    for (;;) {
        skip_ws(r);
        int c = peek(r);
        if (c == -1) {
            if (!r->unterminated)
                fe_error(r->d, sp, "unterminated %s", what);
            r->unterminated = true;
            return NULL;
        }
        if (is_closer(c)) {
            if (c != closer)
                fe_error(r->d, here(r), "mismatched '%c': expected '%c' to close the %s opened at %d:%d",
                         c, closer, what, sp.line, sp.col);
            adv(r); /* a mismatched closer still closes: the likeliest fix */
            break;
        }
        if (c == '.' && is_delim(peek_at(r, 1))) {
            Span dsp = here(r);
            adv(r);
            if (kind != D_LIST) {
                fe_error(r->d, dsp, "unexpected '.' in %s", what);
                continue;
            }
            if (items.n == 0 || tail || after_tail) {
                fe_error(r->d, dsp, "bad dotted list: '.' must come between elements and one last datum");
                continue;
            }
            skip_ws(r);
            if (peek(r) == -1 || is_closer(peek(r))) {
                fe_error(r->d, dsp, "bad dotted list: expected a datum after '.'");
                after_tail = true;
                continue;
            }
            tail = read_datum(r);
            after_tail = true;
            continue;
        }
        Span esp = here(r);
        Datum *x = read_datum(r);
        if (after_tail) {
            if (!tail_extra)
                fe_error(r->d, esp, "bad dotted list: expected ')' after the datum following '.'");
            tail_extra = true;
            continue;
        }
        if (x)
            fe_vec_push(r->a, &items, x);
    }
    Datum *d = mk(r, kind, sp);
    d->u.list.items = (Datum **)items.items;
    d->u.list.n = items.n;
    d->u.list.tail = tail;
    return d;
}

/* Numbers: [+-]? digits [. digits*]? ([eE] [+-]? digits)?, or [+-]? . digits ...
 * Integers outside the fixnum range are an error, not a silent float. */
static Datum *read_number(Reader *r)
{
    Span sp = here(r);
    size_t start = r->pos;
    bool is_float = false;
    if (peek(r) == '+' || peek(r) == '-')
        adv(r);
    while (is_digit(peek(r)))
        adv(r);
    if (peek(r) == '.') {
        is_float = true;
        adv(r);
        while (is_digit(peek(r)))
            adv(r);
    }
    if ((peek(r) == 'e' || peek(r) == 'E') &&
        (is_digit(peek_at(r, 1)) ||
         ((peek_at(r, 1) == '+' || peek_at(r, 1) == '-') && is_digit(peek_at(r, 2))))) {
        is_float = true;
        adv(r);
        if (peek(r) == '+' || peek(r) == '-')
            adv(r);
        while (is_digit(peek(r)))
            adv(r);
    }
    if (!is_delim(peek(r))) {
        skip_token(r);
        fe_error(r->d, sp, "invalid number literal '%.*s'", (int)(r->pos - start), r->s + start);
        return NULL;
    }
    size_t n = r->pos - start;
    if (is_float) {
        char buf[128];
        char *tmp = n < sizeof buf ? buf : malloc(n + 1);
        if (!tmp)
            abort();
        memcpy(tmp, r->s + start, n);
        tmp[n] = 0;
        Datum *d = mk(r, D_FLOAT, sp);
        d->u.f = strtod(tmp, NULL);
        if (tmp != buf)
            free(tmp);
        return d;
    }
    const char *p = r->s + start;
    bool neg = false;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    /* Accumulate the magnitude and stop as soon as it passes 2^62, the
     * largest magnitude any fixnum has (as -2^62). */
    uint64_t mag = 0, limit = (uint64_t)1 << 62;
    bool overflow = false;
    for (; p < r->s + r->pos; p++) {
        mag = mag * 10 + (uint64_t)(*p - '0');
        if (mag > limit) {
            overflow = true;
            break;
        }
    }
    if (overflow || (!neg && mag > (uint64_t)OMNI_FIX_MAX)) {
        fe_error(r->d, sp, "integer literal out of range");
        return NULL;
    }
    Datum *d = mk(r, D_INT, sp);
    d->u.i = neg ? -(int64_t)mag : (int64_t)mag;
    return d;
}

/* A growable byte buffer for string contents. */
typedef struct Buf {
    char *p;
    size_t n, cap;
} Buf;

static void buf_put(Buf *b, const char *s, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 32;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static int hex_val(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* "..." with escapes \" \\ \n \t \r \0 \xHH; (HH: 1-6 hex digits, a code
 * point written as UTF-8).  A bad escape is reported; reading goes on. */
static Datum *read_string(Reader *r)
{
    Span sp = here(r);
    adv(r);
    Buf b = {0};
    bool bad = false;
    for (;;) {
        int c = peek(r);
        if (c == -1) {
            fe_error(r->d, sp, "unterminated string");
            r->unterminated = true;
            free(b.p);
            return NULL;
        }
        if (c == '"') {
            adv(r);
            break;
        }
        if (c != '\\') {
            char ch = (char)c;
            buf_put(&b, &ch, 1);
            adv(r);
            continue;
        }
        Span esp = here(r);
        adv(r);
        int e = peek(r);
        char out = 0;
        switch (e) {
        case '"': out = '"'; break;
        case '\\': out = '\\'; break;
        case 'n': out = '\n'; break;
        case 't': out = '\t'; break;
        case 'r': out = '\r'; break;
        case '0': out = '\0'; break;
        case -1: continue; /* reported as unterminated next round */
        case 'x': {
            adv(r);
            uint32_t cp = 0;
            int ndig = 0;
            while (hex_val(peek(r)) >= 0 && ndig < 7) {
                cp = cp * 16 + (uint32_t)hex_val(peek(r));
                ndig++;
                adv(r);
            }
            if (ndig == 0 || ndig > 6 || peek(r) != ';') {
                fe_error(r->d, esp, "bad \\x escape in string: expected \\xHH;");
                bad = true;
                continue;
            }
            adv(r);
            if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                fe_error(r->d, esp, "bad \\x escape in string: U+%X is not a character", (unsigned)cp);
                bad = true;
                continue;
            }
            char u8[4];
            buf_put(&b, u8, (size_t)fe_utf8_encode(cp, u8));
            continue;
        }
        default: {
            size_t at = r->pos;
            adv_char(r);
            fe_error(r->d, esp, "bad escape '\\%.*s' in string", (int)(r->pos - at), r->s + at);
            bad = true;
            continue;
        }
        }
        adv(r);
        buf_put(&b, &out, 1);
    }
    Datum *d = NULL;
    if (!bad) {
        d = mk(r, D_STRING, sp);
        d->u.str.s = fe_strdup(r->a, b.p ? b.p : "", b.n);
        d->u.str.len = (int64_t)b.n;
    }
    free(b.p);
    return d;
}

static const struct {
    const char *name;
    uint32_t cp;
} char_names[] = {
    {"space", ' '},    {"newline", '\n'}, {"tab", '\t'},       {"nul", 0},
    {"null", 0},       {"return", '\r'},  {"linefeed", '\n'},  {"alarm", 7},
    {"backspace", 8},  {"delete", 127},   {"escape", 27},
};

/* #\a  #\space  #\x41  #\λ — one code point, or a name / hex code. */
static Datum *read_char(Reader *r, Span sp)
{
    if (peek(r) == -1) {
        fe_error(r->d, sp, "bad character name: expected a character after #\\");
        return NULL;
    }
    size_t start = r->pos;
    uint32_t first;
    int n0 = fe_utf8_decode(r->s + r->pos, r->len - r->pos, &first);
    adv_char(r);
    if (n0 == 0) {
        fe_error(r->d, sp, "bad character name: invalid UTF-8");
        return NULL;
    }
    while (!is_delim(peek(r)))
        adv(r);
    size_t n = r->pos - start;
    const char *text = r->s + start;
    uint32_t cp = first;
    if (n > (size_t)n0) {
        bool found = false;
        for (size_t i = 0; i < sizeof char_names / sizeof char_names[0]; i++) {
            if (strlen(char_names[i].name) == n && memcmp(char_names[i].name, text, n) == 0) {
                cp = char_names[i].cp;
                found = true;
            }
        }
        if (!found && text[0] == 'x' && n <= 7) {
            cp = 0;
            found = true;
            for (size_t i = 1; i < n; i++) {
                if (hex_val((unsigned char)text[i]) < 0)
                    found = false;
                else
                    cp = cp * 16 + (uint32_t)hex_val((unsigned char)text[i]);
            }
            if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                found = false;
        }
        if (!found) {
            fe_error(r->d, sp, "bad character name '#\\%.*s'", (int)n, text);
            return NULL;
        }
    }
    Datum *d = mk(r, D_CHAR, sp);
    d->u.i = cp;
    return d;
}

/* # forms: #\c characters and #{...} dicts. */
static Datum *read_hash(Reader *r)
{
    Span sp = here(r);
    adv(r);
    if (peek(r) == '\\') {
        adv(r);
        return read_char(r, sp);
    }
    if (peek(r) == '{') {
        adv(r);
        Datum *d = read_seq(r, D_DICT, '}', sp, "dict");
        if (d && d->u.list.n % 2 != 0) {
            fe_error(r->d, sp, "dict literal needs an even number of elements (key value ...)");
            return NULL;
        }
        return d;
    }
    skip_token(r);
    fe_error(r->d, sp, "bad # syntax: expected #\\char or #{...}");
    return NULL;
}

/* {Name}: a type annotation. */
static Datum *read_type(Reader *r)
{
    Span sp = here(r);
    adv(r);
    Datum *inner = read_seq(r, D_ARRAY, '}', sp, "type annotation");
    if (!inner)
        return NULL;
    if (inner->u.list.n != 1 || inner->u.list.items[0]->kind != D_SYMBOL) {
        fe_error(r->d, sp, "bad type annotation: expected {TypeName}");
        return NULL;
    }
    Datum *d = mk(r, D_TYPE, sp);
    d->u.str = inner->u.list.items[0]->u.str;
    return d;
}

static size_t read_sym_token(Reader *r)
{
    size_t start = r->pos;
    while (is_sym_char(peek(r)))
        adv(r);
    return start;
}

/* A symbol (or true/false/nothing), then any path suffixes .name / .[i]. */
static Datum *read_symbol(Reader *r)
{
    Span sp = here(r);
    size_t start = read_sym_token(r);
    size_t n = r->pos - start;
    const char *t = r->s + start;
    Datum *d;
    if (n == 4 && memcmp(t, "true", 4) == 0) {
        d = mk(r, D_BOOL, sp);
        d->u.i = 1;
    } else if (n == 5 && memcmp(t, "false", 5) == 0) {
        d = mk(r, D_BOOL, sp);
        d->u.i = 0;
    } else if (n == 7 && memcmp(t, "nothing", 7) == 0) {
        d = mk(r, D_NOTHING, sp);
    } else {
        d = mk_sym(r, t, n, sp);
    }
    while (peek(r) == '.') {
        int nx = peek_at(r, 1);
        if (is_sym_start(nx)) {
            adv(r);
            Span ksp = here(r);
            size_t ks = read_sym_token(r);
            d = mk_get(r, d, mk_quote(r, ksp, mk_sym(r, r->s + ks, r->pos - ks, ksp)));
        } else if (nx == '[') {
            adv(r);
            Span isp = here(r);
            adv(r);
            Datum *idx = read_seq(r, D_ARRAY, ']', isp, "path index");
            if (!idx)
                return NULL;
            if (idx->u.list.n != 1) {
                fe_error(r->d, isp, "path index must hold exactly one datum, as in v.[i]");
                return NULL;
            }
            d = mk_get(r, d, idx->u.list.items[0]);
        } else {
            Span dsp = here(r);
            adv(r);
            skip_token(r);
            fe_error(r->d, dsp, "expected a name or [index] after '.' in a path");
            return NULL;
        }
    }
    if (!is_delim(peek(r))) {
        Span bsp = here(r);
        int c = peek(r);
        skip_token(r);
        fe_error(r->d, bsp, "unexpected character '%c' in symbol", c);
        return NULL;
    }
    return d;
}

static Datum *read_datum_inner(Reader *r);

static Datum *read_datum(Reader *r)
{
    if (r->depth >= FE_MAX_NESTING) {
        /* Pathological input: stop reading rather than recurse further. */
        fe_error(r->d, here(r), "nesting too deep (more than %d levels); the rest of the input is skipped",
                 FE_MAX_NESTING);
        r->pos = r->len;
        r->unterminated = true;
        return NULL;
    }
    r->depth++;
    Datum *d = read_datum_inner(r);
    r->depth--;
    return d;
}

static Datum *read_datum_inner(Reader *r)
{
    Span sp = here(r);
    int c = peek(r);
    switch (c) {
    case '(':
        adv(r);
        return read_seq(r, D_LIST, ')', sp, "list");
    case '[':
        adv(r);
        return read_seq(r, D_ARRAY, ']', sp, "array");
    case '{':
        return read_type(r);
    case '"':
        return read_string(r);
    case '#':
        return read_hash(r);
    case '\'': {
        adv(r);
        skip_ws(r);
        if (peek(r) == -1 || is_closer(peek(r))) {
            fe_error(r->d, sp, "expected a datum after quote");
            if (peek(r) == -1)
                r->unterminated = true;
            return NULL;
        }
        Datum *x = read_datum(r);
        return x ? mk_quote(r, sp, x) : NULL;
    }
    case ':': {
        adv(r);
        if (!is_sym_start(peek(r))) {
            skip_token(r);
            fe_error(r->d, sp, "expected a name after ':'");
            return NULL;
        }
        Span nsp = here(r);
        size_t s = read_sym_token(r);
        if (!is_delim(peek(r))) {
            Span bsp = here(r);
            int bc = peek(r);
            skip_token(r);
            fe_error(r->d, bsp, "unexpected character '%c' in symbol", bc);
            return NULL;
        }
        return mk_quote(r, sp, mk_sym(r, r->s + s, r->pos - s, nsp));
    }
    case '^': {
        adv(r);
        if (peek(r) != ':' || !is_sym_start(peek_at(r, 1))) {
            skip_token(r);
            fe_error(r->d, sp, "bad metadata: expected ^:name");
            return NULL;
        }
        adv(r);
        size_t s = read_sym_token(r);
        Datum *d = mk(r, D_META, sp);
        d->u.str.s = fe_strdup(r->a, r->s + s, r->pos - s);
        d->u.str.len = (int64_t)(r->pos - s);
        if (!is_delim(peek(r))) {
            skip_token(r);
            fe_error(r->d, sp, "bad metadata: expected ^:name");
            return NULL;
        }
        return d;
    }
    default:
        break;
    }
    if (is_digit(c) || ((c == '+' || c == '-') && (is_digit(peek_at(r, 1)) ||
                                                   (peek_at(r, 1) == '.' && is_digit(peek_at(r, 2))))) ||
        (c == '.' && is_digit(peek_at(r, 1))))
        return read_number(r);
    if (c == '.' && peek_at(r, 1) == '.' && peek_at(r, 2) == '.' && is_delim(peek_at(r, 3))) {
        adv(r), adv(r), adv(r);
        return mk_sym(r, "...", 3, sp);
    }
    if (c == '&' && is_delim(peek_at(r, 1))) {
        adv(r);
        return mk_sym(r, "&", 1, sp);
    }
    if (is_sym_start(c))
        return read_symbol(r);
    if (c >= 0x20 && c < 0x7f)
        fe_error(r->d, sp, "unexpected character '%c'", c);
    else
        fe_error(r->d, sp, "unexpected character (byte 0x%02x)", (unsigned)c);
    adv_char(r);
    skip_token(r);
    return NULL;
}

int fe_read_all(FeArena *a, Diag *d, const char *file, const char *src, size_t len, Datum ***out)
{
    Diag quiet;
    if (!d) {
        fe_diag_init(&quiet, stderr, src, len);
        d = &quiet;
    }
    Reader r = {a, d, fe_intern_filename(file), src, len, 0, 1, 1, false, 0};
    FeVec items = {0};
    for (;;) {
        skip_ws(&r);
        int c = peek(&r);
        if (c == -1)
            break;
        if (is_closer(c)) {
            fe_error(d, here(&r), "unexpected '%c'", c);
            adv(&r);
            continue;
        }
        Datum *x = read_datum(&r);
        if (x)
            fe_vec_push(a, &items, x);
    }
    *out = (Datum **)items.items;
    return items.n;
}

/* ------------------------------------------------------ input complete */
/* Tracks only nesting, strings, comments and #\ characters: enough to tell
 * the REPL "wait for more lines".  An unexpected closer counts as complete
 * so the reader gets to report it. */
bool fe_input_complete(const char *src, size_t len)
{
    int depth = 0;
    bool pending_quote = false;
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)src[i];
        if (is_space(c)) {
            i++;
            continue;
        }
        if (c == ';') {
            while (i < len && src[i] != '\n')
                i++;
            continue;
        }
        pending_quote = false;
        if (c == '"') {
            i++;
            while (i < len && src[i] != '"')
                i += src[i] == '\\' ? 2 : 1;
            if (i >= len)
                return false;
            i++;
        } else if (c == '#' && i + 1 < len && src[i + 1] == '\\') {
            i += 2;
            if (i < len)
                i++;
            while (i < len && ((unsigned char)src[i] & 0xC0) == 0x80)
                i++;
        } else if (c == '(' || c == '[' || c == '{') {
            depth++;
            i++;
        } else if (is_closer(c)) {
            if (depth == 0)
                return true;
            depth--;
            i++;
        } else if (c == '\'') {
            pending_quote = true;
            i++;
        } else {
            i++;
        }
    }
    return depth == 0 && !pending_quote;
}
