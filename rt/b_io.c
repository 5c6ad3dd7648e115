/* b_io.c — output, the `error` built-in and the clock.  Output goes through
 * the runtime's buffered stdout (omni_out_write) so it interleaves correctly
 * with error messages (the runtime flushes before printing an error).
 * Values are formatted into a malloc'd buffer first; nothing below can
 * raise while a buffer is live, so none leaks when an error unwinds.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* clock_gettime under -std=c11 */
#endif
#include "rt_core.h"

#include <string.h>
#include <time.h>

static OVal out_values(int64_t argc, OVal *argv, bool newline)
{
    omni_stack_check(); /* a safe point (rt/stack.c): no buffer yet */
    OmniBuf b = { 0 };
    for (int64_t i = 0; i < argc; i++) {
        if (i > 0)
            omni_buf_putc(&b, ' ');
        omni_buf_value(&b, argv[i], false);
    }
    if (newline)
        omni_buf_putc(&b, '\n');
    if (b.n > 0)
        omni_out_write(b.p, b.n);
    omni_buf_free(&b);
    return OMNI_NOTHING;
}

OVal omni_bv_print(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    return out_values(argc, argv, false);
}

OVal omni_bv_println(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    return out_values(argc, argv, true);
}

OVal omni_b_write(Region *r, const OmniLoc *loc, OVal v)
{
    omni_stack_check();
    OmniBuf b = { 0 };
    omni_buf_value(&b, v, true);
    omni_out_write(b.p, b.n);
    omni_buf_free(&b);
    return OMNI_NOTHING;
}

OVal omni_b_newline(Region *r, const OmniLoc *loc)
{
    omni_out_write("\n", 1);
    return OMNI_NOTHING;
}

/* (error msg irritant...): the message's display form (a string raw), then
 * each irritant's write form, separated by spaces. */
OVal omni_bv_error(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    OmniBuf b = { 0 };
    omni_buf_value(&b, argv[0], false);
    for (int64_t i = 1; i < argc; i++) {
        omni_buf_putc(&b, ' ');
        omni_buf_value(&b, argv[i], true);
    }
    /* the message moves to region memory: omni_raise does not return, so
     * the malloc'd buffer must be freed first */
    char *msg = omni_alloc(r, b.n + 1);
    if (b.n > 0)
        memcpy(msg, b.p, b.n);
    msg[b.n] = 0;
    omni_buf_free(&b);
    omni_raise_irritants(loc, msg, argc, argv);
}

OVal omni_b_time_ms(Region *r, const OmniLoc *loc)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return omni_fix((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}
