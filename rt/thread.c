/* thread.c — threads and channels of the language: (thread f), join,
 * (chan), (chan n), send, recv, close!, thread?, chan?.
 *
 * Ownership (docs/REGION_THREADING_MODEL.md).  A region has one owner
 * thread, the only one that allocates in it.  A value handed to another
 * thread — the function a thread runs (with what it captures), a message,
 * a thread's result — is a hand-off, made in two copies through the one
 * transmigration:
 *   1. the sender copies the value into a fresh message region it owns
 *      (every object of a region that can die is copied; objects shared by
 *      identity — atoms, channels, thread handles — are kept and their
 *      regions held by the message region), takes a reference on the
 *      message region for the receiver (omni_region_share: the atomic
 *      shared_rc) and ends its scope;
 *   2. the receiver copies the message into a region of its own
 *      (omni_transmigrate from the message region: only its objects are
 *      copied, the regions it held are held by the receiver's region) and
 *      drops the reference (omni_region_unshare).  The dead message region
 *      goes back to its owner's pool through the pool's remote stack.
 * So no mutable object is reachable from two threads through a hand-off:
 * the receiver owns everything it received, except atoms, channels and
 * thread handles, which all threads share by identity.
 *
 * The first `thread` sets omni_mt (region.c): from then on the runtime's
 * slow paths follow the threading model's rules for objects another thread
 * may reach (globals, atoms).
 *
 * A channel or thread handle is a small object in a region pointing to a
 * core outside every region (malloc'd): mutex, condition variables, the
 * queue of messages.  A core counts its handles (a handle copied by a
 * transmigration before threads ran is a second handle) and, for a
 * thread, the running thread itself; each handle's region drops its count
 * when it dies (omni_rs_on_death), and the last one frees the core: the
 * messages still queued are given back, a thread nobody joined is joined
 * (a thread that ends after its last handle died is reaped by the next
 * `thread` or `join`).  Handles in an immortal region (a global) keep
 * their core to the end.
 */
#include "b_common.h"
#include "smr.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const OmniLoc thread_loc = { "<thread>", 0, 0, NULL, 0 };
static const OmniLoc msg_loc = { "<message>", 0, 0, NULL, 0 };

/* ---- hand-off -------------------------------------------------------------- */

typedef struct Handoff {
    Region *m;  /* the message region (shared_rc held for the receiver) */
    OVal v;     /* the copy, in m (or an immediate, or an object that outlives every region) */
} Handoff;

/* Step 1, in the sending thread. */
static Handoff handoff_out(OVal v)
{
    Handoff h = { NULL, v };
    if (!omni_is_ref(v))
        return h;
    h.m = omni_region_new_at(NULL, &msg_loc);
    h.v = omni_transmigrate_into(v, h.m);
    omni_region_share(h.m);
    omni_region_exit(h.m);
    return h;
}

/* Step 2, in the receiving thread: the value in r. */
static OVal handoff_in(Handoff h, Region *r)
{
    if (!h.m)
        return h.v;
    OVal v = omni_transmigrate(h.v, h.m, r);
    bool orphan = omni_region_orphaned(h.m); /* its sender ended */
    omni_region_unshare(h.m);
    omni_region_drain_mine();
    if (orphan)
        omni_region_drain_orphans();
    return v;
}

/* Dropped without being received (a send on a closed channel). */
static void handoff_drop(Handoff h)
{
    if (h.m)
        omni_region_unshare(h.m);
}

/* ---- blocking waits -----------------------------------------------------------
 * A wait (recv, send, join) is a loop on a condition variable that wakes
 * every 50 ms, for two things:
 *  - Ctrl-C: the REPL may want the program thread interrupted; the wait
 *    then ends with the runtime error "interrupted";
 *  - deadlock: when every live thread of the program is in such a wait and
 *    each has found its condition false since the last event that could
 *    make one true (`g_events` counts sends, receives, closes and thread
 *    ends, each made under the lock its waiters check under), nothing can
 *    ever wake any of them: the wait ends with a runtime error naming the
 *    deadlock.  Exact, not a timeout: a thread woken by an event has not
 *    seen it yet, so it keeps the others from concluding.
 * Both errors are raised by the caller with its mutex released. */
enum { WAIT_ON, WAIT_INTERRUPTED, WAIT_DEADLOCK };

typedef struct Waiter {
    uint64_t seen;            /* g_events when its condition was last false */
    struct Waiter *prev, *next;
} Waiter;

static pthread_mutex_t g_wait_lock = PTHREAD_MUTEX_INITIALIZER;
static Waiter *g_waiters;    /* under g_wait_lock */
static uint64_t g_nwaiting;  /* under g_wait_lock */
static uint64_t g_alive = 1; /* the program thread and the started threads still running */
static uint64_t g_events;    /* atomic */

static void wait_event(void)
{
    omni_add_fetch_relaxed_u64(&g_events, 1);
}

/* Called with the channel's (or core's) mutex held, its condition false. */
static int wait_step(Waiter *w, bool *in, pthread_cond_t *cv, pthread_mutex_t *mu)
{
    uint64_t ev = omni_load_relaxed_u64(&g_events); /* read under mu: see above */
    pthread_mutex_lock(&g_wait_lock);
    if (!*in) {
        *in = true;
        w->prev = NULL;
        w->next = g_waiters;
        if (g_waiters)
            g_waiters->prev = w;
        g_waiters = w;
        g_nwaiting++;
    }
    w->seen = ev;
    /* against the count now: an event since this thread's look (on any
     * channel) means someone may have been enabled; a thread's end changes
     * g_alive and g_events together under g_wait_lock */
    uint64_t now = omni_load_relaxed_u64(&g_events);
    bool stuck = g_nwaiting == omni_load_relaxed_u64(&g_alive);
    for (Waiter *o = g_waiters; stuck && o; o = o->next)
        stuck = o->seen == now;
    pthread_mutex_unlock(&g_wait_lock);
    if (stuck)
        return WAIT_DEADLOCK;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 50 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    omni_smr_offline(); /* a blocking wait: no grace period waits for us */
    pthread_cond_timedwait(cv, mu, &ts);
    omni_smr_online();
    if (omni_region_mine(NULL) && omni_take_interrupt())
        return WAIT_INTERRUPTED;
    return WAIT_ON;
}

static void wait_done(Waiter *w, bool in)
{
    if (!in)
        return;
    pthread_mutex_lock(&g_wait_lock);
    if (w->prev)
        w->prev->next = w->next;
    else
        g_waiters = w->next;
    if (w->next)
        w->next->prev = w->prev;
    g_nwaiting--;
    pthread_mutex_unlock(&g_wait_lock);
}

/* Ends a wait that failed: mu released, the error raised. */
static _Noreturn void wait_fail(int why, const OmniLoc *loc, const char *who, pthread_mutex_t *mu)
{
    pthread_mutex_unlock(mu);
    if (why == WAIT_INTERRUPTED)
        omni_raise(loc, "interrupted");
    omni_raise(loc, "%s: deadlock: every thread is waiting (on a channel or a join)", who);
}

/* ---- threads ------------------------------------------------------------------- */

struct OmniThreadCore {
    int32_t refs;           /* handles, and the running thread */
    int64_t id;
    char name[32];
    OmniBigThread *bt;      /* NULL once joined */
    Handoff in;             /* the function, handed to the thread */
    Handoff out;            /* its result, handed to the joiner */
    bool failed;            /* the function raised an error */
    bool joined;
    char error[1024];
    const OmniLoc *error_loc;
    pthread_mutex_t lock;   /* joined, bt, done: two threads may join at once */
    pthread_cond_t ended;   /* done became true */
    bool done;              /* the function returned or failed */
    OmniThreadCore *next_zombie;
};

static pthread_mutex_t g_zombie_lock = PTHREAD_MUTEX_INITIALIZER;
static OmniThreadCore *g_zombies;   /* ended, unjoined, no handle left */

static void thread_core_free(OmniThreadCore *c)
{
    if (c->bt)
        omni_big_thread_join(c->bt); /* it has ended (it held a count) */
    if (c->out.m)
        omni_region_unshare(c->out.m);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->ended);
    free(c);
}

/* Joins and frees the threads whose handles all died before they ended. */
static void reap_zombies(void)
{
    pthread_mutex_lock(&g_zombie_lock);
    OmniThreadCore *z = g_zombies;
    g_zombies = NULL;
    pthread_mutex_unlock(&g_zombie_lock);
    while (z) {
        OmniThreadCore *next = z->next_zombie;
        thread_core_free(z);
        z = next;
    }
}

/* Drops one count; by_thread: the running thread's own, at its end. */
static void thread_unref(OmniThreadCore *c, bool by_thread)
{
    pthread_mutex_lock(&c->lock); /* waits until the starter recorded bt */
    pthread_mutex_unlock(&c->lock);
    if (omni_sub_fetch_seqcst_i32(&c->refs, 1) != 0)
        return;
    if (!by_thread) {
        thread_core_free(c);
        return;
    }
    /* the thread cannot join itself: the next thread or join reaps it */
    pthread_mutex_lock(&g_zombie_lock);
    c->next_zombie = g_zombies;
    g_zombies = c;
    pthread_mutex_unlock(&g_zombie_lock);
}

static void thread_handle_dies(void *p) { thread_unref(p, false); }

static uint64_t g_thread_ids;

typedef struct CallJob {
    Region *r;
    Handoff in;
    OVal result;
} CallJob;

/* The function's copy (made here, so that an error in it is the thread's
 * error too), then the call. */
static void call_fn(void *p)
{
    CallJob *j = p;
    OVal f = handoff_in(j->in, j->r);
    j->in.m = NULL;
    j->result = omni_apply(j->r, &thread_loc, f, 0, NULL);
}

/* The body of a started thread, on its own big stack (stack.c). */
static int thread_main(void *p)
{
    OmniThreadCore *c = p;
    omni_region_thread_begin("thread global"); /* outlives c: a static name */
    Region *r = omni_region_new_at(omni_region_global(), &thread_loc);
    CallJob job = { r, c->in, OMNI_NOTHING };
    c->in.m = NULL;
    OmniCaught caught;
    if (omni_try_catch(r, call_fn, &job, &caught)) {
        if (job.in.m) /* the copy itself failed: the message is given back */
            omni_region_unshare(job.in.m);
        c->failed = true;
        snprintf(c->error, sizeof c->error, "%s", caught.text);
        c->error_loc = caught.loc;
    } else {
        c->out = handoff_out(job.result);
    }
    omni_region_exit(r);
    omni_region_drain_mine();
    pthread_mutex_lock(&c->lock);
    c->done = true;
    pthread_mutex_lock(&g_wait_lock); /* one step for a deadlock check */
    wait_event();
    omni_sub_fetch_relaxed_u64(&g_alive, 1);
    pthread_mutex_unlock(&g_wait_lock);
    pthread_cond_broadcast(&c->ended);
    pthread_mutex_unlock(&c->lock);
    thread_unref(c, true);
    return 0;
}

OVal omni_b_thread(Region *r, const OmniLoc *loc, OVal f)
{
    omni_want_fn(loc, "thread", f);
    const OClosure *fc = OMNI_PTR(OClosure, f);
    if (fc->nreq > 0) /* said here, not later at the join */
        omni_raise(loc, "thread: expected a function of no arguments, got %s of %d",
                   fc->name && fc->name[0] ? fc->name : "a function", (int)fc->nreq);
    if (!omni_is_mt())
        omni_region_set_mt(); /* before the first copy made for another thread */
    reap_zombies();
    OmniThreadCore *c = calloc(1, sizeof *c);
    if (!c)
        omni_raise(loc, "thread: out of memory");
    c->id = (int64_t)omni_add_fetch_relaxed_u64(&g_thread_ids, 1);
    c->refs = 1; /* the running thread's (the handle's is added below) */
    snprintf(c->name, sizeof c->name, "thread %lld", (long long)c->id);
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->ended, NULL);
    c->in = handoff_out(f);
    OThread *t = omni_region_alloc_inline(r, sizeof(OThread));
    omni_hdr_init(t, OT_THREAD);
    t->core = c;
    omni_core_handle(OMNI_VAL(t), r);
    pthread_mutex_lock(&c->lock);
    omni_add_fetch_relaxed_u64(&g_alive, 1); /* before it can end */
    c->bt = omni_big_thread_start(thread_main, c);
    pthread_mutex_unlock(&c->lock);
    return OMNI_VAL(t);
}

static OmniThreadCore *want_thread(const OmniLoc *loc, const char *who, OVal v)
{
    if (!omni_is_type(v, OT_THREAD))
        omni_err_type(loc, who, "Thread", v);
    return OMNI_PTR(OThread, v)->core;
}

OVal omni_b_join(Region *r, const OmniLoc *loc, OVal tv)
{
    OmniThreadCore *c = want_thread(loc, "join", tv);
    pthread_mutex_lock(&c->lock);
    if (c->joined) {
        pthread_mutex_unlock(&c->lock);
        omni_raise(loc, "join: thread %lld was already joined", (long long)c->id);
    }
    Waiter w;
    bool in = false;
    while (!c->done) {
        int why = wait_step(&w, &in, &c->ended, &c->lock);
        if (why != WAIT_ON) {
            wait_done(&w, in);
            wait_fail(why, loc, "join", &c->lock);
        }
    }
    wait_done(&w, in);
    if (c->joined) { /* another join was waiting too, and went first */
        pthread_mutex_unlock(&c->lock);
        omni_raise(loc, "join: thread %lld was already joined", (long long)c->id);
    }
    c->joined = true;
    OmniBigThread *bt = c->bt;
    c->bt = NULL;
    pthread_mutex_unlock(&c->lock);
    omni_big_thread_join(bt); /* it has returned: a short wait */
    omni_region_drain_orphans(); /* what was handed back to the ended thread */
    reap_zombies();
    if (c->failed) {
        const OmniLoc *el = c->error_loc;
        if (el && el->file)
            omni_raise(loc, "join: thread %lld failed: %s (at %s:%d:%d)", (long long)c->id, c->error,
                       el->file, (int)el->line, (int)el->col);
        omni_raise(loc, "join: thread %lld failed: %s", (long long)c->id, c->error);
    }
    OVal v = handoff_in(c->out, r);
    c->out.m = NULL;
    return v;
}

OVal omni_b_threadp(Region *r, const OmniLoc *loc, OVal v)
{
    (void)r, (void)loc;
    return omni_bool(omni_is_type(v, OT_THREAD));
}

int64_t omni_thread_id(OVal t)
{
    return OMNI_PTR(OThread, t)->core->id;
}

/* ---- channels --------------------------------------------------------------------- */

struct OmniChanCore {
    int32_t refs;           /* handles */
    pthread_mutex_t mu;
    pthread_cond_t can_recv, can_send;
    int64_t cap;            /* 0: unbuffered (a send waits until its message is received) */
    Handoff *q;             /* ring buffer of max(cap, 1) messages */
    int64_t head, n;
    uint64_t sent, taken;   /* messages enqueued / dequeued so far */
    bool closed;
};

OVal omni_bv_chan(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    int64_t cap = 0;
    if (argc > 0) {
        if (!omni_is_fix(argv[0]) || omni_fixval(argv[0]) < 0)
            omni_err_type(loc, "chan", "a capacity (an Int >= 0)", argv[0]);
        cap = omni_fixval(argv[0]);
        if (cap > ((int64_t)1 << 32))
            omni_raise(loc, "chan: capacity %lld is too large", (long long)cap);
    }
    OmniChanCore *c = calloc(1, sizeof *c);
    Handoff *q = calloc((size_t)(cap ? cap : 1), sizeof *q);
    if (!c || !q) {
        free(c);
        free(q);
        omni_raise(loc, "chan: out of memory");
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->can_recv, NULL);
    pthread_cond_init(&c->can_send, NULL);
    c->cap = cap;
    c->q = q;
    OChan *ch = omni_region_alloc_inline(r, sizeof(OChan));
    omni_hdr_init(ch, OT_CHAN);
    ch->core = c;
    omni_core_handle(OMNI_VAL(ch), r);
    return OMNI_VAL(ch);
}

static void chan_handle_dies(void *p)
{
    OmniChanCore *c = p;
    if (omni_sub_fetch_seqcst_i32(&c->refs, 1) != 0)
        return;
    int64_t room = c->cap ? c->cap : 1;
    for (int64_t i = 0; i < c->n; i++) /* never received: given back */
        handoff_drop(c->q[(c->head + i) % room]);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->can_recv);
    pthread_cond_destroy(&c->can_send);
    free(c->q);
    free(c);
}

void omni_core_handle(OVal h, Region *r)
{
    if (omni_is_type(h, OT_CHAN)) {
        OmniChanCore *c = OMNI_PTR(OChan, h)->core;
        omni_add_fetch_seqcst_i32(&c->refs, 1);
        omni_rs_on_death(r, chan_handle_dies, c);
    } else {
        OmniThreadCore *c = OMNI_PTR(OThread, h)->core;
        if (!c)
            return; /* a test's handle without a thread */
        omni_add_fetch_seqcst_i32(&c->refs, 1);
        omni_rs_on_death(r, thread_handle_dies, c);
    }
}

static OmniChanCore *want_chan(const OmniLoc *loc, const char *who, OVal v)
{
    if (!omni_is_type(v, OT_CHAN))
        omni_err_type(loc, who, "Chan", v);
    return OMNI_PTR(OChan, v)->core;
}

OVal omni_b_send(Region *r, const OmniLoc *loc, OVal cv, OVal v)
{
    (void)r;
    OmniChanCore *c = want_chan(loc, "send", cv);
    Handoff h = handoff_out(v);
    int64_t room = c->cap ? c->cap : 1;
    pthread_mutex_lock(&c->mu);
    Waiter w;
    bool in = false;
    while (!c->closed && c->n >= room) {
        int why = wait_step(&w, &in, &c->can_send, &c->mu);
        if (why != WAIT_ON) {
            wait_done(&w, in);
            handoff_drop(h);
            wait_fail(why, loc, "send", &c->mu);
        }
    }
    if (c->closed) {
        pthread_mutex_unlock(&c->mu);
        handoff_drop(h);
        omni_raise(loc, "send: the channel is closed");
    }
    c->q[(c->head + c->n) % room] = h;
    c->n++;
    uint64_t mine = ++c->sent;
    wait_event();
    pthread_cond_signal(&c->can_recv);
    /* unbuffered: the send completes when its message was received (or the
     * channel closed: the message stays for a recv to drain) */
    while (c->cap == 0 && c->taken < mine && !c->closed) {
        int why = wait_step(&w, &in, &c->can_send, &c->mu);
        if (why != WAIT_ON) {
            wait_done(&w, in);
            wait_fail(why, loc, "send", &c->mu);
        }
    }
    wait_done(&w, in);
    pthread_mutex_unlock(&c->mu);
    return OMNI_NOTHING;
}

OVal omni_b_recv(Region *r, const OmniLoc *loc, OVal cv)
{
    OmniChanCore *c = want_chan(loc, "recv", cv);
    int64_t room = c->cap ? c->cap : 1;
    pthread_mutex_lock(&c->mu);
    Waiter w;
    bool in = false;
    while (c->n == 0 && !c->closed) {
        int why = wait_step(&w, &in, &c->can_recv, &c->mu);
        if (why != WAIT_ON) {
            wait_done(&w, in);
            wait_fail(why, loc, "recv", &c->mu);
        }
    }
    wait_done(&w, in);
    if (c->n == 0) { /* closed and drained */
        pthread_mutex_unlock(&c->mu);
        return OMNI_NOTHING;
    }
    Handoff h = c->q[c->head];
    c->head = (c->head + 1) % room;
    c->n--;
    c->taken++;
    wait_event();
    pthread_cond_broadcast(&c->can_send);
    pthread_mutex_unlock(&c->mu);
    return handoff_in(h, r);
}

OVal omni_b_close(Region *r, const OmniLoc *loc, OVal cv)
{
    (void)r;
    OmniChanCore *c = want_chan(loc, "close!", cv);
    pthread_mutex_lock(&c->mu);
    c->closed = true;
    wait_event();
    pthread_cond_broadcast(&c->can_recv);
    pthread_cond_broadcast(&c->can_send);
    pthread_mutex_unlock(&c->mu);
    return OMNI_NOTHING;
}

OVal omni_b_chanp(Region *r, const OmniLoc *loc, OVal v)
{
    (void)r, (void)loc;
    return omni_bool(omni_is_type(v, OT_CHAN));
}
