/* apply.c — function values: construction, generic application and
 * parameter type checks.
 *
 * A closure's fast entry (`code`, LLVM tailcc, exactly fast_arity value
 * arguments) is used by compiled calls that pass omni_fast_code; everything
 * else (built-ins calling functions, apply, calls whose arity does not
 * match, rest parameters) goes through the C-convention `generic` entry,
 * which checks the arity and reports errors at the caller's location.
 */
#include "rt_core.h"

OVal omni_make_closure(Region *r, void *code, OmniGenericFn generic, int32_t nreq,
                       int32_t has_rest, const char *name, int32_t nfree)
{
    OClosure *c = omni_region_alloc_inline(r, sizeof(OClosure) + (size_t)nfree * sizeof(OVal));
    omni_hdr_init(c, OT_CLOSURE);
    c->code = code;
    c->generic = generic;
    /* No direct entry without code, nor with a rest parameter. */
    c->fast_arity = (has_rest || !code) ? -1 : nreq;
    c->nreq = nreq;
    c->has_rest = has_rest;
    c->nfree = nfree;
    c->name = name;
    c->builtin = NULL;
    /* Filled by the caller; an immediate meanwhile, so a trace that runs
     * before then (transmigration) never sees garbage. */
    for (int32_t i = 0; i < nfree; i++)
        c->free[i] = OMNI_NOTHING;
    return OMNI_VAL(c);
}

OVal omni_apply(Region *r, const OmniLoc *loc, OVal fn, int64_t argc, OVal *argv)
{
    if (!omni_is_type(fn, OT_CLOSURE))
        omni_err_not_fn(loc, fn);
    OClosure *c = OMNI_PTR(OClosure, fn);
    return c->generic(r, c, loc, argc, argv);
}

static const char *const ann_names[OMNI_ANN__COUNT] = {
    [OMNI_ANN_ANY] = "Any",       [OMNI_ANN_INT] = "Int",     [OMNI_ANN_FLOAT] = "Float",
    [OMNI_ANN_STRING] = "String", [OMNI_ANN_BOOL] = "Bool",   [OMNI_ANN_LIST] = "List",
    [OMNI_ANN_ARRAY] = "Array",   [OMNI_ANN_DICT] = "Dict",   [OMNI_ANN_FN] = "Fn",
    [OMNI_ANN_SYMBOL] = "Symbol", [OMNI_ANN_CHAR] = "Char",
};

/* {List} accepts () and pairs: checking the whole spine would make every
 * call O(length). */
static bool ann_ok(OVal v, int32_t ann)
{
    switch (ann) {
    case OMNI_ANN_INT: return omni_is_fix(v);
    case OMNI_ANN_FLOAT: return omni_is_type(v, OT_FLOAT);
    case OMNI_ANN_STRING: return omni_is_type(v, OT_STRING);
    case OMNI_ANN_BOOL: return v == OMNI_TRUE || v == OMNI_FALSE;
    case OMNI_ANN_LIST: return v == OMNI_NIL || omni_is_type(v, OT_PAIR);
    case OMNI_ANN_ARRAY: return omni_is_type(v, OT_ARRAY);
    case OMNI_ANN_DICT: return omni_is_type(v, OT_DICT);
    case OMNI_ANN_FN: return omni_is_type(v, OT_CLOSURE);
    case OMNI_ANN_SYMBOL: return omni_is_type(v, OT_SYMBOL);
    case OMNI_ANN_CHAR: return omni_is_char(v);
    default: return true;
    }
}

OVal omni_check_param(OVal v, int32_t ann, const char *fn, const char *param, const OmniLoc *loc)
{
    if (!ann_ok(v, ann))
        omni_err_param_type(loc, fn, param, ann_names[ann], v);
    return v;
}
