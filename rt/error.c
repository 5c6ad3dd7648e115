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
 * (docs/RUNTIME.md, "Catching errors").  Every frame also restores the
 * thread's backtrace list (omni_tl_frames) as it was when the try began.
 *
 * After the location, the report lists the chain of OmniLisp calls that led
 * there, most recent first (omni.h, OmniFrame): the function the error is
 * in, then each caller with the call it is making, runs of one repeated
 * call (or of a repeated cycle of up to BT_PERIOD calls) folded into one
 * line, at most BT_MAX_LINES lines.
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
    OmniFrame *frames;      /* omni_tl_frames when the try began */
} TryFrame;

/* initial-exec: compiled code reaches it at a fixed offset from the thread
 * pointer (omni_frames_tls_offset) */
__attribute__((tls_model("initial-exec"))) _Thread_local OmniFrame *omni_tl_frames;
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
    f.frames = omni_tl_frames;
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
    omni_tl_frames = f.frames; /* the unwound calls' frames are gone */
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
    out->loc = NULL;
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

intptr_t omni_frames_tls_offset(void)
{
    return (intptr_t)((char *)&omni_tl_frames - (char *)__builtin_thread_pointer());
}

/* ---- backtraces ----
 * The entries of a backtrace: the location of the error itself (when it
 * names its function), then the site of every linked frame.  When the
 * erring function keeps a frame, that frame is the innermost one and its
 * site is a call that already returned: skipped.  The walk trusts only
 * aligned frames in readable stack, above the guard or in the part of it
 * deferred faults opened (stack.c; a stack overflow can fault between
 * a frame's link and its first stores only if the optimiser reordered them,
 * which the release store forbids; this is the second line of defence) and
 * stops after BT_MAX_FRAMES.  Frames are not in address order: a function
 * inlined into another has its frame somewhere in its caller's.  The walk
 * allocates nothing (it may run in the stack-overflow signal handler). */
enum { BT_PERIOD = 4, BT_MAX_LINES = 40, BT_MAX_FRAMES = 1 << 27 };

typedef struct BtIt {
    const OmniLoc *first;   /* the error's own location, until stepped past */
    const OmniFrame *f;     /* the next frame */
    uint32_t steps;
    bool in_top;            /* the last entry was top-level code */
} BtIt;

/* Top-level code: the module entry, and the functions the lowering wraps
 * top-level forms in (the entry's call of one adds nothing to its line). */
static bool bt_is_top(const OmniLoc *l) { return l && l->fn && strcmp(l->fn, "<top>") == 0; }

static const OmniFrame *bt_sane(const OmniFrame *f)
{
    uintptr_t a = (uintptr_t)f;
    return f && a >= omni_stack_usable_lo() && (a & 7) == 0 ? f : NULL;
}

/* Frames with no site yet (linked, no call made) are not entries, nor
 * top-level code calling top-level code. */
static void bt_skip_empty(BtIt *it)
{
    while (it->f && (!it->f->site || (it->in_top && bt_is_top(it->f->site))))
        it->f = bt_sane(it->f->prev);
}

static BtIt bt_begin(const OmniLoc *loc)
{
    BtIt it = { NULL, bt_sane(omni_tl_frames), 0, false };
    if (loc && loc->fn) {
        it.first = loc;
        it.in_top = bt_is_top(loc);
        if (loc->framed && it.f)
            it.f = bt_sane(it.f->prev);
    }
    bt_skip_empty(&it);
    return it;
}

static const OmniLoc *bt_peek(const BtIt *it) { return it->first ? it->first : it->f ? it->f->site : NULL; }

static void bt_next(BtIt *it)
{
    it->in_top = bt_is_top(bt_peek(it));
    if (it->first)
        it->first = NULL;
    else if (it->f)
        it->f = ++it->steps < BT_MAX_FRAMES ? bt_sane(it->f->prev) : NULL;
    bt_skip_empty(it);
}

static bool bt_same(const OmniLoc *a, const OmniLoc *b)
{
    return a == b || (a && b && a->line == b->line && a->col == b->col && a->fn && b->fn &&
                      strcmp(a->fn, b->fn) == 0 && strcmp(a->file, b->file) == 0);
}

/* How many entries from `it` on repeat the one `period` entries earlier. */
static uint64_t bt_run(BtIt it, int period)
{
    BtIt ahead = it;
    for (int i = 0; i < period; i++) {
        if (!bt_peek(&ahead))
            return 0;
        bt_next(&ahead);
    }
    uint64_t n = 0;
    while (bt_peek(&ahead) && bt_same(bt_peek(&it), bt_peek(&ahead))) {
        bt_next(&it);
        bt_next(&ahead);
        n++;
    }
    return n;
}

static void bt_count_text(uint64_t n, char out[32])
{
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)n), k = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            out[k++] = ',';
        out[k++] = tmp[i];
    }
    out[k] = 0;
}

static void bt_line(FILE *err, const OmniLoc *l)
{
    fprintf(err, "  at %s (%s:%d:%d)\n", l->fn ? l->fn : "?", l->file ? l->file : "?", (int)l->line,
            (int)l->col);
}

static void bt_print(FILE *err, const OmniLoc *loc)
{
    BtIt it = bt_begin(loc);
    const OmniLoc *top = bt_peek(&it);
    if (!top)
        return;
    BtIt second = it;
    bt_next(&second);
    if (!bt_peek(&second) && top == loc)
        return; /* the error is in the outermost code: its location says it all */
    int lines = 0;
    char num[32];
    while (bt_peek(&it)) {
        if (lines >= BT_MAX_LINES) {
            uint64_t rest = 0;
            for (; bt_peek(&it); bt_next(&it))
                rest++;
            bt_count_text(rest, num);
            fprintf(err, "  ... %s more calls\n", num);
            break;
        }
        int period = 0;
        uint64_t run = 0;
        for (int p = 1; p <= BT_PERIOD && !period; p++) {
            run = bt_run(it, p);
            if (run >= 2 * (uint64_t)p)
                period = p;
        }
        if (!period) {
            bt_line(err, bt_peek(&it));
            bt_next(&it);
            lines++;
            continue;
        }
        /* the cycle once, then how often it repeats */
        uint64_t reps = run / (uint64_t)period;
        const OmniLoc *one = bt_peek(&it);
        for (int i = 0; i < period; i++, lines++) {
            bt_line(err, bt_peek(&it));
            bt_next(&it);
        }
        for (uint64_t i = 0; i < reps * (uint64_t)period; i++)
            bt_next(&it);
        bt_count_text(reps, num);
        if (period == 1)
            fprintf(err, "  ... %s more call%s of %s (%s:%d:%d)\n", num, reps == 1 ? "" : "s",
                    one->fn ? one->fn : "?", one->file ? one->file : "?", (int)one->line, (int)one->col);
        else
            fprintf(err, "  ... %s more times the %d calls above\n", num, period);
        lines++;
    }
}

void omni_error_report(const OmniLoc *loc, const char *msg)
{
    if (tl_try && tl_try->caught) { /* a `try` catches it: recorded, nothing printed */
        snprintf(tl_try->caught->text, sizeof tl_try->caught->text, "%s", msg);
        tl_try->caught->loc = loc;
        return;
    }
    FILE *err = g_err_stream ? g_err_stream : stderr;
    snprintf(tl_last_error, sizeof tl_last_error, "%s", msg);
    omni_out_flush();
    fprintf(err, "error: %s\n", msg);
    if (loc && loc->file)
        fprintf(err, "  at %s:%d:%d\n", loc->file, (int)loc->line, (int)loc->col);
    bt_print(err, loc);
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
