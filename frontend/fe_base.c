/* fe_base.c — the frontend's plumbing: arena, diagnostics, interned file
 * names, the built-in name table and the compilation session.
 *
 * Everything a compilation unit builds lives in one FeArena freed as a whole
 * afterwards, so the compiler leaks nothing per REPL input.  Diagnostics
 * print `file:line:col: error: msg`, the source line and a caret under the
 * column, the format the lit tests match.  The session outlives units: it
 * owns copies of the user's global names.
 */
#include "fe_internal.h"
#include "omni.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- arena */
enum { FE_CHUNK = 64 * 1024, FE_ALIGN = 16 };

typedef struct FeChunk {
    struct FeChunk *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
} FeChunk;

struct FeArena {
    FeChunk *head;
};

static void *fe_xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        fputs("omnilisp: out of memory in the compiler\n", stderr);
        abort();
    }
    return p;
}

FeArena *fe_arena_new(void)
{
    FeArena *a = fe_xmalloc(sizeof *a);
    a->head = NULL;
    return a;
}

void fe_arena_free(FeArena *a)
{
    if (!a)
        return;
    for (FeChunk *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(a);
}

void *fe_alloc(FeArena *a, size_t n)
{
    n = (n + FE_ALIGN - 1) & ~(size_t)(FE_ALIGN - 1);
    if (n == 0)
        n = FE_ALIGN;
    FeChunk *c = a->head;
    if (!c || c->size - c->used < n) {
        /* A big request gets its own chunk behind the current one so the
         * free space of the current chunk is not abandoned. */
        bool big = n > FE_CHUNK / 4;
        size_t size = big ? n : FE_CHUNK;
        FeChunk *nc = fe_xmalloc(sizeof *nc + size);
        nc->size = size;
        nc->used = 0;
        if (big && c) {
            nc->next = c->next;
            c->next = nc;
        } else {
            nc->next = c;
            a->head = nc;
        }
        c = nc;
    }
    void *p = c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

char *fe_strdup(FeArena *a, const char *s, size_t n)
{
    char *p = fe_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

void fe_vec_push(FeArena *a, FeVec *v, void *x)
{
    if (v->n == v->cap) {
        int cap = v->cap ? v->cap * 2 : 8;
        void **items = fe_alloc(a, (size_t)cap * sizeof *items);
        if (v->n)
            memcpy(items, v->items, (size_t)v->n * sizeof *items);
        v->items = items;
        v->cap = cap;
    }
    v->items[v->n++] = x;
}

/* ----------------------------------------------------------------- utf-8 */
int fe_utf8_decode(const char *s, size_t len, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    if (len == 0)
        return 0;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    int n;
    uint32_t c, min;
    if ((u[0] & 0xE0) == 0xC0) { n = 2; c = u[0] & 0x1F; min = 0x80; }
    else if ((u[0] & 0xF0) == 0xE0) { n = 3; c = u[0] & 0x0F; min = 0x800; }
    else if ((u[0] & 0xF8) == 0xF0) { n = 4; c = u[0] & 0x07; min = 0x10000; }
    else return 0;
    if ((size_t)n > len)
        return 0;
    for (int i = 1; i < n; i++) {
        if ((u[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (u[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return n;
}

int fe_utf8_encode(uint32_t cp, char *buf)
{
    if (cp < 0x80) {
        buf[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        buf[0] = (char)(0xC0 | (cp >> 6));
        buf[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        buf[0] = (char)(0xE0 | (cp >> 12));
        buf[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    buf[0] = (char)(0xF0 | (cp >> 18));
    buf[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    buf[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    buf[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ----------------------------------------------------------- file names */
typedef struct FeName {
    struct FeName *next;
    char name[];
} FeName;

static FeName *fe_names;
static pthread_mutex_t fe_names_lock = PTHREAD_MUTEX_INITIALIZER;

const char *fe_intern_filename(const char *name)
{
    if (!name)
        name = "<input>";
    pthread_mutex_lock(&fe_names_lock);
    for (FeName *n = fe_names; n; n = n->next) {
        if (strcmp(n->name, name) == 0) {
            pthread_mutex_unlock(&fe_names_lock);
            return n->name;
        }
    }
    size_t len = strlen(name);
    FeName *n = fe_xmalloc(sizeof *n + len + 1);
    memcpy(n->name, name, len + 1);
    n->next = fe_names;
    fe_names = n;
    pthread_mutex_unlock(&fe_names_lock);
    return n->name;
}

/* ---------------------------------------------------------- diagnostics */
void fe_diag_init(Diag *d, FILE *out, const char *src, size_t len)
{
    d->out = out ? out : stderr;
    d->src = src;
    d->src_len = len;
    d->line_offset = 0;
    d->nerrors = 0;
}

/* Spans already include line_offset (the reader adds it), so the source
 * line to show is span.line - line_offset of the text in d->src. */
static void fe_print_caret(Diag *d, Span at)
{
    if (!d->src)
        return;
    int want = at.line - d->line_offset;
    if (want < 1)
        return;
    const char *p = d->src, *end = d->src + d->src_len;
    for (int line = 1; line < want; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return;
        p = nl + 1;
    }
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol)
        eol = end;
    if (eol > p && eol[-1] == '\r')
        eol--;
    fprintf(d->out, "%.*s\n", (int)(eol - p), p);
    /* Keep tabs so the caret lines up; count columns in code points like
     * the reader does. */
    int col = 1;
    for (const char *q = p; q < eol && col < at.col; q++) {
        if (((unsigned char)*q & 0xC0) == 0x80)
            continue;
        fputc(*q == '\t' ? '\t' : ' ', d->out);
        col++;
    }
    for (; col < at.col; col++)
        fputc(' ', d->out);
    fputs("^\n", d->out);
}

void fe_error(Diag *d, Span at, const char *fmt, ...)
{
    FILE *out = d->out ? d->out : stderr;
    d->out = out;
    fprintf(out, "%s:%d:%d: error: ", at.file ? at.file : "<input>", at.line, at.col);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fputc('\n', out);
    fe_print_caret(d, at);
    fflush(out);
    d->nerrors++;
}

/* ------------------------------------------------------------- built-ins */
typedef struct FeBuiltin {
    const char *name;
    int flags;
} FeBuiltin;

static const FeBuiltin fe_builtins[] = {
#define OMNI_BUILTIN(lname, cname, kind, min, max, flags) {lname, (flags)},
#include "builtins.def"
#undef OMNI_BUILTIN
};
enum { FE_NBUILTINS = sizeof fe_builtins / sizeof fe_builtins[0] };

int fe_builtin_flags(const char *name)
{
    for (int i = 0; i < FE_NBUILTINS; i++)
        if (strcmp(fe_builtins[i].name, name) == 0)
            return fe_builtins[i].flags;
    return -1;
}

/* --------------------------------------------------------------- session */
/* An open-addressing set of owned strings. */
typedef struct FeStrSet {
    char **slots;
    size_t cap, n;
} FeStrSet;

uint64_t fe_str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static char **fe_set_find(FeStrSet *set, const char *s)
{
    size_t mask = set->cap - 1;
    for (size_t i = fe_str_hash(s) & mask;; i = (i + 1) & mask)
        if (!set->slots[i] || strcmp(set->slots[i], s) == 0)
            return &set->slots[i];
}

static bool fe_set_has(FeStrSet *set, const char *s)
{
    return set->cap && *fe_set_find(set, s) != NULL;
}

/* Returns the owned copy if `s` was added, NULL if it was already there. */
static char *fe_set_add(FeStrSet *set, const char *s)
{
    if (set->n * 2 + 2 > set->cap) {
        FeStrSet bigger = {calloc(set->cap ? set->cap * 2 : 64, sizeof(char *)),
                           set->cap ? set->cap * 2 : 64, set->n};
        if (!bigger.slots) {
            fputs("omnilisp: out of memory in the compiler\n", stderr);
            abort();
        }
        for (size_t i = 0; i < set->cap; i++)
            if (set->slots[i])
                *fe_set_find(&bigger, set->slots[i]) = set->slots[i];
        free(set->slots);
        *set = bigger;
    }
    char **slot = fe_set_find(set, s);
    if (*slot)
        return NULL;
    size_t len = strlen(s);
    *slot = fe_xmalloc(len + 1);
    memcpy(*slot, s, len + 1);
    set->n++;
    return *slot;
}

static void fe_set_free(FeStrSet *set)
{
    for (size_t i = 0; i < set->cap; i++)
        free(set->slots[i]);
    free(set->slots);
}

struct FeSession {
    FeStrSet user;   /* names some unit defined */
    FeStrSet all;    /* every global name (owns the strings in names[]) */
    const char **names;
    size_t nnames, cap;
    bool repl;
};

static void fe_session_note_name(FeSession *s, const char *name)
{
    char *copy = fe_set_add(&s->all, name);
    if (!copy)
        return;
    if (s->nnames == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->names = realloc(s->names, s->cap * sizeof *s->names);
        if (!s->names) {
            fputs("omnilisp: out of memory in the compiler\n", stderr);
            abort();
        }
    }
    s->names[s->nnames++] = copy;
}

FeSession *fe_session_new(void)
{
    FeSession *s = fe_xmalloc(sizeof *s);
    memset(s, 0, sizeof *s);
    for (int i = 0; i < FE_NBUILTINS; i++)
        if (!(fe_builtins[i].flags & OBF_HIDDEN))
            fe_session_note_name(s, fe_builtins[i].name);
    return s;
}

void fe_session_free(FeSession *s)
{
    if (!s)
        return;
    fe_set_free(&s->user);
    fe_set_free(&s->all);
    free(s->names);
    free(s);
}

bool fe_session_is_user_global(FeSession *s, const char *name)
{
    return fe_set_has(&s->user, name);
}

void fe_session_add_user_global(FeSession *s, const char *name)
{
    fe_set_add(&s->user, name);
    fe_session_note_name(s, name);
}

size_t fe_session_global_count(FeSession *s) { return s->nnames; }

const char *fe_session_global_at(FeSession *s, size_t i)
{
    return i < s->nnames ? s->names[i] : NULL;
}

void fe_session_set_repl(FeSession *s, bool repl) { s->repl = repl; }

bool fe_session_is_repl(FeSession *s) { return s->repl; }
