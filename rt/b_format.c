/* b_format.c — values as text: `format` and `repr`.  Both print through
 * the one printer (omni_buf_value, rt/print.c) into a malloc'd OmniBuf and
 * copy the text into a fresh string of the result region, as `str` does.
 * Every error is raised before the buffer exists (a raise unwinds past
 * this frame, and the buffer would leak), so `format` checks its format
 * string and argument count first and builds the text second.
 */
#include "rt_core.h" /* omni_stack_check */
#include "b_common.h"

#include <string.h>

/* The arguments `fmt` consumes (~a and ~s take one each).  Raises on a
 * directive other than ~a ~s ~% ~~ (either case for the letters, as in
 * Common Lisp) and on a lone ~ at the end. */
static int64_t format_arity(const OmniLoc *loc, const OString *f)
{
    int64_t need = 0;
    for (int64_t i = 0; i < f->len; i++) {
        if (f->data[i] != '~')
            continue;
        if (++i == f->len)
            omni_raise(loc, "format: the format string ends with a lone ~ (write ~~ for a tilde)");
        switch (f->data[i]) {
        case 'a': case 'A': case 's': case 'S':
            need++;
            break;
        case '%': case '~':
            break;
        default: {
            int len;
            omni_utf8_decode(f->data + i, f->len - i, &len);
            omni_raise(loc, "format: unknown directive ~%.*s (known: ~a ~s ~%% ~~)",
                       len, f->data + i);
        }
        }
    }
    return need;
}

/* (format fmt arg ...): fmt with ~a replaced by the next argument's
 * display form, ~s by its write form, ~% by a newline, ~~ by a tilde. */
OVal omni_bv_format(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    omni_stack_check(); /* a safe point: no buffer yet */
    OString *f = omni_want_string(loc, "format", argv[0]);
    int64_t need = format_arity(loc, f);
    if (need != argc - 1)
        omni_raise(loc, "format: the format string takes %lld argument%s, got %lld",
                   (long long)need, need == 1 ? "" : "s", (long long)(argc - 1));
    OmniBuf b = { 0 };
    int64_t next = 1, lit = 0; /* next argument; start of the pending literal text */
    for (int64_t i = 0; i < f->len; i++) {
        if (f->data[i] != '~')
            continue;
        omni_buf_puts(&b, f->data + lit, (size_t)(i - lit));
        char d = f->data[++i];
        lit = i + 1;
        switch (d) {
        case 'a': case 'A': omni_buf_value(&b, argv[next++], false); break;
        case 's': case 'S': omni_buf_value(&b, argv[next++], true); break;
        case '%': omni_buf_putc(&b, '\n'); break;
        default: omni_buf_putc(&b, '~'); break; /* ~~: format_arity allowed nothing else */
        }
    }
    omni_buf_puts(&b, f->data + lit, (size_t)(f->len - lit));
    return omni_buf_to_string(r, &b);
}

/* (repr x): the write form of x, the text `write` prints. */
OVal omni_b_repr(Region *r, const OmniLoc *loc, OVal v)
{
    omni_stack_check();
    OmniBuf b = { 0 };
    omni_buf_value(&b, v, true);
    return omni_buf_to_string(r, &b);
}
