/* fe_internal.h — private helpers shared by the frontend's files.
 *
 * Not part of the contract (frontend.h): growable arena vectors, the
 * built-in name table derived from rt/builtins.def, the reader's private
 * marker for the `get` of path syntax, and the resolver entry point that
 * expand.c runs after expansion.
 */
#ifndef OMNI_FE_INTERNAL_H
#define OMNI_FE_INTERNAL_H

#include "frontend.h"

/* A growable array of pointers in arena memory (old storage is simply
 * abandoned to the arena when it grows). */
typedef struct FeVec {
    void **items;
    int n, cap;
} FeVec;
void fe_vec_push(FeArena *a, FeVec *v, void *x);

/* Built-in names: returns the OBF_* flags of `name`, or -1 if it is not a
 * built-in.  Hidden built-ins (OBF_HIDDEN, names starting with '%') are
 * targets of expansions only. */
int fe_builtin_flags(const char *name);

/* The symbol text the reader puts in the head of the (get ...) lists it makes
 * for paths.  The expander recognises it by address so a local variable
 * named `get` cannot capture `p.name`. */
extern const char fe_path_get_name[];

/* True if the session was marked as a REPL session. */
bool fe_session_is_repl(FeSession *s);

/* Resolver (resolve.c): checks global references, computes free variables
 * and the V_* flags of every Var of the unit.  `nvars` bounds Var.id. */
void fe_resolve_unit(FeArena *a, Diag *d, FeSession *s, Ast *unit, int nvars);

/* Decodes one UTF-8 sequence at s[0..len): returns its length (0 if
 * invalid) and stores the code point. */
int fe_utf8_decode(const char *s, size_t len, uint32_t *cp);
/* Encodes cp as UTF-8 into buf (>= 4 bytes); returns the length. */
int fe_utf8_encode(uint32_t cp, char *buf);

#endif
