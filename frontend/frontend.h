/* frontend.h — reader, expander and resolver: source text → core AST.
 *
 * The reader turns text into Datums, each with a Span.  The expander turns
 * datums into a small core AST (12 node kinds): every derived form (let and
 * its variants, named let, cond, when, unless, and, or, match, slot-style
 * define, internal defines, paths) becomes these.  The resolver binds every
 * variable reference to its Var, computes each lambda's free variables and
 * marks captured variables that are assigned (boxed).
 *
 * Memory: all frontend objects live in an FeArena freed as a whole after the
 * compilation unit (one REPL input or one file) is done.
 * Errors: reported through the Diag sink as `file:line:col: error: msg`,
 * followed by the source line and a caret; several per unit where the reader
 * can recover.  Prefix: fe_ (functions), Fe/Datum/Ast (types).
 */
#ifndef OMNI_FRONTEND_H
#define OMNI_FRONTEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---------------------------------------------------------------- arena */
typedef struct FeArena FeArena;
FeArena *fe_arena_new(void);
void     fe_arena_free(FeArena *a);
void    *fe_alloc(FeArena *a, size_t n);          /* zeroed */
char    *fe_strdup(FeArena *a, const char *s, size_t n);
/* FNV-1a hash of a NUL-terminated string (the compiler's name tables). */
uint64_t fe_str_hash(const char *s);

/* ---------------------------------------------------------------- spans */
typedef struct Span {
    const char *file;  /* interned for the process lifetime (never freed) */
    int32_t line, col; /* 1-based */
} Span;

/* ---------------------------------------------------------- diagnostics */
typedef struct Diag {
    FILE *out;          /* where messages go (stderr by default) */
    const char *src;    /* the text being compiled, to print the source line */
    size_t src_len;
    int line_offset;    /* REPL: add to line numbers (0 for files) */
    int nerrors;
} Diag;
void fe_diag_init(Diag *d, FILE *out, const char *src, size_t len);
/* Prints "file:line:col: error: msg\n<source line>\n<caret>\n"; counts it. */
void fe_error(Diag *d, Span at, const char *fmt, ...);

/* Interns a file name for the process lifetime (spans point into it). */
const char *fe_intern_filename(const char *name);

/* --------------------------------------------------------------- datums */
typedef enum {
    D_INT, D_FLOAT, D_STRING, D_CHAR, D_SYMBOL, D_BOOL, D_NOTHING,
    D_LIST,     /* (a b c) or (a b . c): items + optional tail */
    D_ARRAY,    /* [a b c] */
    D_DICT,     /* #{k v ...}: items are k0 v0 k1 v1 ... */
    D_TYPE,     /* {Int}: sym holds the type name */
    D_META,     /* ^:seq: sym holds "seq"; the datum that follows is separate */
} DatumKind;

typedef struct Datum Datum;
struct Datum {
    DatumKind kind;
    Span span;
    union {
        int64_t i;          /* D_INT, D_CHAR (code point), D_BOOL (0/1) */
        double f;           /* D_FLOAT */
        struct { const char *s; int64_t len; } str; /* D_STRING (bytes), D_SYMBOL, D_TYPE, D_META */
        struct { Datum **items; int n; Datum *tail; } list; /* D_LIST, D_ARRAY, D_DICT */
    } u;
};

/* Reads every datum of `src`.  Returns the count; *out is arena memory.
 * 'x → (quote x); :x → (quote x); a.b → (get a (quote b)); v.[0] → (get v 0).
 * On errors reports them to d (recovering where possible) and returns what
 * it could read; the caller checks d->nerrors. */
int fe_read_all(FeArena *a, Diag *d, const char *file, const char *src, size_t len, Datum ***out);
/* True if `src` holds only complete datums (REPL multi-line input: read more
 * while this is false).  Unterminated strings/lists → false. */
bool fe_input_complete(const char *src, size_t len);
void fe_print_datum(FILE *out, const Datum *d);
/* A string in the reader's syntax (quotes, escapes); UTF-8 bytes pass through. */
void fe_print_string_lit(FILE *out, const char *s, int64_t len);

/* ---------------------------------------------------------------- AST */
typedef enum {
    A_CONST,   /* literal or quoted datum */
    A_LREF,    /* local variable */
    A_GREF,    /* global variable */
    A_LSET,    /* (set! local v) */
    A_GSET,    /* (set! global v) */
    A_GDEF,    /* (define global v) at top level */
    A_IF,
    A_SEQ,     /* (do ...) */
    A_LAMBDA,
    A_CALL,
    A_LET,     /* parallel bindings */
    A_LETREC,  /* letrec*: named let, internal defines */
} AstKind;

enum { V_CAPTURED = 1, V_ASSIGNED = 2, V_BOXED = 4 /* captured && assigned */ };

typedef struct Ast Ast;
typedef struct Var {
    const char *name;
    int id;            /* unique within the compilation unit */
    unsigned flags;    /* V_* (set by the resolver) */
    int ann;           /* OmniAnn value from rt/omni.h: {Int} etc., 0 = Any */
    Ast *owner;        /* the A_LAMBDA whose body binds it (NULL: top level) */
    Span span;
} Var;

struct Ast {
    AstKind kind;
    Span span;
    union {
        Datum *konst;                                   /* A_CONST */
        Var *lref;                                      /* A_LREF */
        const char *gref;                               /* A_GREF */
        struct { Var *var; Ast *val; } lset;            /* A_LSET */
        struct { const char *name; Ast *val; } gset;    /* A_GSET, A_GDEF */
        struct { Ast *c, *t, *e; } if_;                 /* A_IF (e never NULL) */
        struct { Ast **items; int n; } seq;             /* A_SEQ (n >= 1) */
        struct {
            Var **params; int nparams;
            Var *rest;                                  /* NULL if none */
            Ast *body;
            const char *name;                           /* for #<fn name>; "lambda" if anonymous */
            Var **free; int nfree;                      /* set by the resolver, in first-use order */
            Var *self;                                  /* letrec/define var bound to this lambda, or NULL */
        } lam;                                          /* A_LAMBDA */
        struct { Ast *fn; Ast **args; int nargs; bool tail; } call; /* A_CALL */
        struct { Var **vars; Ast **inits; int n; Ast *body; } let;  /* A_LET, A_LETREC */
    } u;
};

/* The compilation session: what is known about globals across units (the
 * REPL keeps one session).  A global counts as user-defined once a unit
 * defines it; a built-in name that is user-defined is called as a global. */
typedef struct FeSession FeSession;
FeSession *fe_session_new(void);
void       fe_session_free(FeSession *s);
bool       fe_session_is_user_global(FeSession *s, const char *name);
void       fe_session_add_user_global(FeSession *s, const char *name);
/* Every global name known (built-ins + user definitions), for completion. */
size_t      fe_session_global_count(FeSession *s);
const char *fe_session_global_at(FeSession *s, size_t i);

/* REPL sessions allow forward references inside lambda bodies. */
void       fe_session_set_repl(FeSession *s, bool repl);

/* Expands and resolves the top-level datums of one unit into one A_SEQ of
 * top-level forms (returns NULL if there were errors; they are reported).
 * Defines found in the unit are added to the session.  Reports as an error
 * any reference to a name that is neither local, built-in, defined in this
 * unit nor defined earlier in the session ("unbound variable: x") — except,
 * in a REPL session, inside a lambda body (checked at run time instead). */
Ast *fe_expand_unit(FeArena *a, Diag *d, FeSession *s, Datum **forms, int n);
void fe_print_ast(FILE *out, const Ast *ast);

#endif
