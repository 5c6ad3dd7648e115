/* error.c — runtime error messages and unwinding.
 *
 * Every runtime error prints
 *     error: <message>
 *       at <file>:<line>:<col>          (omitted when the location is unknown)
 * on stderr, after flushing stdout so the program's output comes first, and
 * then unwinds with siglongjmp to the innermost omni_try of this thread
 * (the REPL's per-input recovery point, the AOT main) or, with none active,
 * exits with status 1.  omni_try frames are a per-thread stack; stack.c
 * reuses the same unwinding from its stack-overflow signal handler, which is
 * why frames use sigsetjmp(…, 1) (the handler's blocked mask is restored;
 * catching frames, which are many, unblock the fault signals instead).
 * Each frame records a region watermark; when an error lands in the frame,
 * the scope regions opened since are exited (region.c, omni_region_unwind).
 * A frame of the language's `try` (omni_try_catch, rt/b_error.c) catches:
 * an error that lands in it is recorded in its OmniCaught, not printed,
 * and the irritants of an `error` call are admitted into the try's result
 * region before the unwinding exits the regions they may live in
 * (docs/RUNTIME.md, "Catching errors").
 */
#include "rt_core.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct TryFrame {
    sigjmp_buf jb;
    struct TryFrame *prev;
    uint64_t region_mark;   /* newest region id of this thread when the try began */
    OmniCaught *caught;     /* a catching frame (`try`): where the error is recorded */
} TryFrame;

static _Thread_local TryFrame *tl_try;
static _Thread_local char tl_last_error[512];
static FILE *g_err_stream;

#define GOT_MAX 60 /* longest write form quoted in a message */

void omni_set_error_stream(FILE *f) { g_err_stream = f; }
const char *omni_last_error(void) { return tl_last_error; }
bool omni_try_active(void) { return tl_try != NULL; }

/* A stack overflow unwinds from its SIGSEGV handler (stack.c), during
 * which the signal is blocked; siglongjmp to a frame that saved no mask
 * leaves it so, and the next overflow would kill the process. */
static void unblock_faults(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGSEGV);
    sigaddset(&s, SIGBUS);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

/* On an error, the scopes the unwound code had open are closed: every
 * region this thread made since the try began and did not exit is exited
 * (and reclaimed unless something still holds it), so a REPL that keeps
 * going after errors does not leak regions. */
static int try_frame(void (*fn)(void *), void *arg, OmniCaught *caught)
{
    TryFrame f;
    f.prev = tl_try;
    f.region_mark = omni_region_mark();
    f.caught = caught;
    /* A catching frame does not save the signal mask (a system call per
     * try); its error path unblocks what a fault handler's unwind left
     * blocked instead (unblock_faults). */
    if (sigsetjmp(f.jb, caught == NULL) == 0) {
        tl_try = &f;
        fn(arg);
        tl_try = f.prev;
        omni_stack_rearm();
        return 0;
    }
    tl_try = f.prev;
    if (caught)
        unblock_faults();
    omni_stack_rearm(); /* before the unwinding below: it may allocate */
    omni_region_unwind(f.region_mark);
    return 1;
}

int omni_try(void (*fn)(void *), void *arg) { return try_frame(fn, arg, NULL); }

/* The same, catching: an error raised inside is recorded in *out (not
 * printed); irritants are admitted into r, the try's result region, which
 * existed before the try began and so is not exited by the unwinding. */
int omni_try_catch(Region *r, void (*fn)(void *), void *arg, OmniCaught *out)
{
    out->r = r;
    out->message = 0;
    out->irritants = OMNI_NIL;
    out->text[0] = 0;
    return try_frame(fn, arg, out);
}

_Noreturn void omni_error_unwind(void)
{
    TryFrame *f = tl_try;
    if (f)
        siglongjmp(f->jb, 1);
    omni_out_flush();
    exit(1);
}

void omni_error_report(const OmniLoc *loc, const char *msg)
{
    if (tl_try && tl_try->caught) { /* a `try` catches it: recorded, nothing printed */
        snprintf(tl_try->caught->text, sizeof tl_try->caught->text, "%s", msg);
        return;
    }
    FILE *err = g_err_stream ? g_err_stream : stderr;
    snprintf(tl_last_error, sizeof tl_last_error, "%s", msg);
    omni_out_flush();
    fprintf(err, "error: %s\n", msg);
    if (loc && loc->file)
        fprintf(err, "  at %s:%d:%d\n", loc->file, (int)loc->line, (int)loc->col);
    fflush(err);
}

_Noreturn void omni_raise(const OmniLoc *loc, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    omni_error_report(loc, msg);
    omni_error_unwind();
}

/* An `error` call (b_io.c): `text` is the whole message; argv[0] is the
 * message value and argv[1..] the irritants.  When a `try` catches, the
 * message (a String, or the display form of anything else) and a list of
 * the irritants are made to live in its result region now, through the one
 * repair (omni_admit: immutable data is transmigrated, the regions of
 * mutable data are retained), since the unwinding is about to exit every
 * region made inside the try.  Recorded last, so that an error raised by
 * the repair itself (a stack overflow at its safe point) leaves a
 * consistent record. */
_Noreturn void omni_raise_irritants(const OmniLoc *loc, const char *text, int64_t argc, const OVal *argv)
{
    TryFrame *f = tl_try;
    if (f && f->caught && argc > 0) {
        Region *r = f->caught->r;
        OVal msg;
        if (omni_is_type(argv[0], OT_STRING)) {
            msg = omni_admit(r, argv[0]);
        } else {
            char *s = omni_to_cstring(argv[0], false);
            msg = omni_make_string(r, s, (int64_t)strlen(s));
            free(s);
        }
        OVal irritants = OMNI_NIL;
        for (int64_t i = argc - 1; i >= 1; i--)
            irritants = omni_cons_in(r, omni_admit(r, argv[i]), irritants);
        f->caught->message = msg;
        f->caught->irritants = irritants;
    }
    omni_raise(loc, "%s", text);
}

_Noreturn void omni_internal_error(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    omni_out_flush();
    fprintf(stderr, "internal error: %s\n", msg);
    abort();
}

/* Write form of v, cut to GOT_MAX bytes (at a UTF-8 boundary) with "...". */
static void got_text(OVal v, char out[GOT_MAX + 8])
{
    char *s = omni_to_cstring(v, true);
    size_t n = strlen(s);
    if (n > GOT_MAX) {
        n = GOT_MAX - 3;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
        memcpy(out, s, n);
        memcpy(out + n, "...", 4);
    } else {
        memcpy(out, s, n + 1);
    }
    free(s);
}

_Noreturn void omni_err_type(const OmniLoc *loc, const char *who, const char *expected, OVal got)
{
    char g[GOT_MAX + 8];
    got_text(got, g);
    omni_raise(loc, "%s: expected %s, got %s", who, expected, g);
}

_Noreturn void omni_err_unbound(const OmniLoc *loc, const char *name)
{
    omni_raise(loc, "unbound variable: %s", name ? name : "?");
}

_Noreturn void omni_err_arity(const OmniLoc *loc, OVal fn, int64_t got)
{
    const char *name = "fn";
    int lo = 0, hi = -1;
    if (omni_is_type(fn, OT_CLOSURE)) {
        const OClosure *c = OMNI_PTR(OClosure, fn);
        if (c->name && c->name[0])
            name = c->name;
        if (c->builtin) {
            const OmniBuiltin *b = c->builtin;
            lo = b->min, hi = b->max;
        } else {
            lo = c->nreq, hi = c->has_rest ? -1 : c->nreq;
        }
    }
    char want[64];
    if (hi < 0)
        snprintf(want, sizeof want, "at least %d argument%s", lo, lo == 1 ? "" : "s");
    else if (lo == hi)
        snprintf(want, sizeof want, "%d argument%s", lo, lo == 1 ? "" : "s");
    else
        snprintf(want, sizeof want, "%d to %d arguments", lo, hi);
    omni_raise(loc, "%s: expected %s, got %lld", name, want, (long long)got);
}

_Noreturn void omni_err_not_fn(const OmniLoc *loc, OVal v)
{
    char g[GOT_MAX + 8];
    got_text(v, g);
    omni_raise(loc, "not a function: %s", g);
}

_Noreturn void omni_err_overflow(const OmniLoc *loc, const char *who)
{
    omni_raise(loc, "%s: integer overflow", who);
}

_Noreturn void omni_err_divzero(const OmniLoc *loc, const char *who)
{
    omni_raise(loc, "%s: division by zero", who);
}

_Noreturn void omni_err_param_type(const OmniLoc *loc, const char *fn, const char *param,
                                   const char *expected, OVal got)
{
    char g[GOT_MAX + 8];
    got_text(got, g);
    omni_raise(loc, "%s: parameter %s expects %s, got %s", fn ? fn : "fn", param, expected, g);
}
