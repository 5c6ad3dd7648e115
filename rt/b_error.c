/* b_error.c — `try` and the error values it hands its handler.
 *
 * (try expr (catch e handler...)) expands (frontend/expand.c) to
 * (%try (fn [] expr) (fn [e] handler...)).  omni_b_try calls the thunk
 * with its own result region inside a catching frame (rt/error.c,
 * omni_try_catch), like map calls its function: a normal return is the
 * try's value, already in r.  When an error lands in the frame, the
 * regions made since the try began have been exited, the message and the
 * irritants already live in r (admitted at the raise), and the handler is
 * called with a new error value in r; its result is the try's value.  The
 * handler runs after the frame is gone: an error it raises goes to the
 * enclosing try.  docs/RUNTIME.md, "Catching errors", has the argument.
 */
#include "b_common.h"

#include <string.h>

typedef struct TryCall {
    Region *r;
    const OmniLoc *loc;
    OVal thunk;
    OVal result;
} TryCall;

static void call_thunk(void *p)
{
    TryCall *c = p;
    c->result = omni_apply(c->r, c->loc, c->thunk, 0, NULL);
}

OVal omni_error_new(Region *r, OVal message, OVal irritants)
{
    OError *e = omni_region_alloc_inline(r, sizeof(OError));
    omni_hdr_init(e, OT_ERROR);
    e->message = message;
    e->irritants = irritants;
    return OMNI_VAL(e);
}

/* The error value of a caught error: new in r, holding only what the
 * raise put in r (or older regions). */
static OVal error_value(Region *r, const OmniCaught *c)
{
    OVal msg = c->message ? c->message : omni_make_string(r, c->text, (int64_t)strlen(c->text));
    return omni_error_new(r, msg, c->irritants);
}

OVal omni_b_try(Region *r, const OmniLoc *loc, OVal thunk, OVal handler)
{
    omni_want_fn(loc, "try", thunk);
    omni_want_fn(loc, "try", handler);
    TryCall call = { r, loc, thunk, OMNI_NOTHING };
    OmniCaught caught;
    if (omni_try_catch(r, call_thunk, &call, &caught) == 0)
        return call.result;
    OVal e = error_value(r, &caught);
    return omni_apply(r, loc, handler, 1, &e);
}

static const OError *want_error(const OmniLoc *loc, const char *who, OVal v)
{
    if (!omni_is_type(v, OT_ERROR))
        omni_err_type(loc, who, "Error", v);
    return OMNI_PTR(OError, v);
}

OVal omni_b_error_message(Region *r, const OmniLoc *loc, OVal e)
{
    (void)r;
    return want_error(loc, "error-message", e)->message;
}

OVal omni_b_error_irritants(Region *r, const OmniLoc *loc, OVal e)
{
    (void)r;
    return want_error(loc, "error-irritants", e)->irritants;
}
