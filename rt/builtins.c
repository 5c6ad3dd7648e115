/* builtins.c — the built-in registry and the built-ins as first-class values.
 *
 * omni_builtins[] is generated from rt/builtins.def (one row per built-in),
 * so the compiler's direct-call lowering, the global function values and the
 * C definitions in rt/hot.c and rt/b_*.c can never disagree.  Each visible
 * built-in becomes a global closure whose `generic` entry is the one shared
 * adapter below: it checks the argument count against the row and calls the
 * C function with the built-in C ABI.
 */
#include "rt_internal.h"

#define OMNI_FN_OB_FIXED(c)    omni_b_##c
#define OMNI_FN_OB_VARIADIC(c) omni_bv_##c
#define OMNI_CN_OB_FIXED(c)    "omni_b_" #c
#define OMNI_CN_OB_VARIADIC(c) "omni_bv_" #c

const OmniBuiltin omni_builtins[OMNI_BI__COUNT] = {
#define OMNI_BUILTIN(name, cname, kind, min, max, flags) \
    { name, OMNI_CN_##kind(cname), (void *)OMNI_FN_##kind(cname), min, max, kind, flags },
#include "builtins.def"
#undef OMNI_BUILTIN
};

typedef OVal (*OmniFix0)(Region *, const OmniLoc *);
typedef OVal (*OmniFix1)(Region *, const OmniLoc *, OVal);
typedef OVal (*OmniFix2)(Region *, const OmniLoc *, OVal, OVal);
typedef OVal (*OmniFix3)(Region *, const OmniLoc *, OVal, OVal, OVal);
typedef OVal (*OmniVar)(Region *, const OmniLoc *, int64_t, OVal *);

/* The generic entry of every built-in function value (used by omni_apply,
 * map, apply, ... and by compiled calls through a variable). */
static OVal omni_builtin_generic(Region *r, OClosure *self, const OmniLoc *loc,
                                 int64_t argc, OVal *argv)
{
    const OmniBuiltin *b = (const OmniBuiltin *)self->builtin;
    if (argc < b->min || (b->max >= 0 && argc > b->max))
        omni_err_arity(loc, OMNI_VAL(self), argc);
    if (b->kind == OB_VARIADIC)
        return ((OmniVar)b->fn)(r, loc, argc, argv);
    switch (argc) {
    case 0: return ((OmniFix0)b->fn)(r, loc);
    case 1: return ((OmniFix1)b->fn)(r, loc, argv[0]);
    case 2: return ((OmniFix2)b->fn)(r, loc, argv[0], argv[1]);
    default: return ((OmniFix3)b->fn)(r, loc, argv[0], argv[1], argv[2]);
    }
}

void omni_builtins_install(void)
{
    Region *g = omni_region_global();
    for (int i = 0; i < OMNI_BI__COUNT; i++) {
        const OmniBuiltin *b = &omni_builtins[i];
        if (b->flags & OBF_HIDDEN)
            continue;
        /* nreq/has_rest only shape the arity message ("expects at least 1
         * argument"); the adapter enforces the exact min/max itself. */
        OVal v = omni_make_closure(g, NULL, omni_builtin_generic, b->min,
                                   b->max != b->min, b->name, 0);
        OClosure *c = OMNI_PTR(OClosure, v);
        c->builtin = b;
        c->fast_arity = -1; /* no tailcc entry: always through `generic` */
        omni_global_def(omni_global_slot(b->name), v);
    }
}
