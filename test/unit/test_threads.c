/* test_threads.c — Check suite for threads and channels (rt/thread.c) and
 * the runtime's rules once threads run (docs/REGION_THREADING_MODEL.md):
 * a hand-off copies a graph whole (sharing and cycles kept, atoms kept by
 * identity, nothing of the sender's regions reachable), message regions
 * are given back (no region leaks after thousands of messages), a region
 * referenced from several threads dies exactly once, and a copy made while
 * threads run never writes its source objects.  Run under ASan and TSan
 * too (cmake -DOMNI_SANITIZE=ON / =thread).
 */
#include "rt_core.h"

#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static void setup(void)
{
    omni_rt_init(0, NULL);
}

static OVal str(Region *r, const char *s) { return omni_make_string(r, s, (int64_t)strlen(s)); }
static OVal cons(Region *r, OVal a, OVal d) { return omni_cons_in(r, a, d); }

static OmniRegionCounters counters(void)
{
    OmniRegionCounters c;
    omni_region_counters(&c);
    return c;
}

/* Is v (and what it reaches through pairs) outside region r? */
static bool list_outside(OVal v, Region *r)
{
    for (; omni_is_type(v, OT_PAIR); v = OMNI_PAIR(v)->cdr) {
        if (omni_region_of(v) == r)
            return false;
        OVal a = OMNI_PAIR(v)->car;
        if (omni_is_type(a, OT_PAIR) && !list_outside(a, r))
            return false;
    }
    return true;
}

/* ---- a thread's function, written in C: free[0] is what it captured ---- */

static OVal g_atom;          /* the sender's atom, to compare identities */
static Region *g_sender_r;   /* the sender's region */

/* Captured (shared shared "s" atom): answers a list of checks made in the
 * thread, and a new graph of its own. */
static OVal check_capture(Region *r, OClosure *self, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    (void)loc, (void)argc, (void)argv;
    OVal cap = self->free[0];
    OVal a = OMNI_PAIR(cap)->car;
    OVal b = OMNI_PAIR(OMNI_PAIR(cap)->cdr)->car;
    OVal s = OMNI_PAIR(OMNI_PAIR(OMNI_PAIR(cap)->cdr)->cdr)->car;
    OVal at = OMNI_PAIR(OMNI_PAIR(OMNI_PAIR(OMNI_PAIR(cap)->cdr)->cdr)->cdr)->car;
    bool shared = a == b;                              /* sharing kept */
    bool copied = omni_region_of(cap) != g_sender_r && list_outside(cap, g_sender_r);
    bool same_atom = at == g_atom;                     /* shared by identity */
    bool text = strcmp(OMNI_PTR(OString, s)->data, "s") == 0;
    OVal res = OMNI_NIL;
    res = cons(r, omni_bool(text), res);
    res = cons(r, omni_bool(same_atom), res);
    res = cons(r, omni_bool(copied), res);
    res = cons(r, omni_bool(shared), res);
    OVal own = cons(r, str(r, "from thread"), OMNI_NIL);
    return cons(r, own, cons(r, own, res));            /* (own own shared copied same text) */
}

START_TEST(test_handoff_copies_graph)
{
    Region *r = omni_region_new(omni_region_global());
    g_sender_r = r;
    OVal shared = cons(r, omni_fix(1), cons(r, omni_fix(2), OMNI_NIL));
    g_atom = omni_atom_new(r, omni_fix(7));
    OVal cap = cons(r, shared, cons(r, shared, cons(r, str(r, "s"), cons(r, g_atom, OMNI_NIL))));
    OVal f = omni_make_closure(r, NULL, check_capture, 0, 0, "check", 1);
    OMNI_PTR(OClosure, f)->free[0] = cap;
    OVal t = omni_b_thread(r, NULL, f);
    ck_assert(omni_is_type(t, OT_THREAD));
    Region *jr = omni_region_new(omni_region_global());
    OVal res = omni_b_join(jr, NULL, t);
    /* the result is the joiner's: in jr, its sharing kept */
    ck_assert_ptr_eq(omni_region_of(res), jr);
    ck_assert_uint_eq(OMNI_PAIR(res)->car, OMNI_PAIR(OMNI_PAIR(res)->cdr)->car);
    OVal checks = OMNI_PAIR(OMNI_PAIR(res)->cdr)->cdr;
    for (int i = 0; i < 4; i++, checks = OMNI_PAIR(checks)->cdr)
        ck_assert_msg(OMNI_PAIR(checks)->car == OMNI_TRUE, "check %d failed in the thread", i);
    /* the sender's graph is untouched */
    ck_assert_int_eq(omni_fixval(OMNI_PAIR(shared)->car), 1);
    omni_region_exit(jr);
    omni_region_exit(r);
}
END_TEST

/* ---- channels: producers in threads, the consumer here ---- */

static OVal g_chan;
enum { PRODUCERS = 4, PER_PRODUCER = 2000 };

static OVal produce(Region *r, OClosure *self, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    (void)loc, (void)argc, (void)argv;
    int64_t id = omni_fixval(self->free[0]);
    for (int64_t k = 0; k < PER_PRODUCER; k++) {
        Region *m = omni_region_new(r);
        OVal tail = cons(m, omni_fix(k), OMNI_NIL);
        OVal msg = cons(m, omni_fix(id), cons(m, tail, cons(m, tail, OMNI_NIL)));
        omni_b_send(r, NULL, self->free[1], msg);
        omni_region_exit(m);
    }
    return omni_fix(id);
}

START_TEST(test_channel_messages_given_back)
{
    Region *r = omni_region_new(omni_region_global());
    g_chan = omni_bv_chan(r, NULL, 1, (OVal[]){ omni_fix(8) });
    OVal ts[PRODUCERS];
    OmniRegionCounters before = counters();
    for (int i = 0; i < PRODUCERS; i++) {
        OVal f = omni_make_closure(r, NULL, produce, 0, 0, "produce", 2);
        OMNI_PTR(OClosure, f)->free[0] = omni_fix(i);
        OMNI_PTR(OClosure, f)->free[1] = g_chan;
        ts[i] = omni_b_thread(r, NULL, f);
    }
    int64_t sum = 0, per[PRODUCERS] = { 0 };
    for (int n = 0; n < PRODUCERS * PER_PRODUCER; n++) {
        Region *m = omni_region_new(r);
        OVal v = omni_b_recv(m, NULL, g_chan);
        int64_t id = omni_fixval(OMNI_PAIR(v)->car);
        OVal t1 = OMNI_PAIR(OMNI_PAIR(v)->cdr)->car, t2 = OMNI_PAIR(OMNI_PAIR(OMNI_PAIR(v)->cdr)->cdr)->car;
        ck_assert_uint_eq(t1, t2);                      /* sharing kept */
        ck_assert_ptr_eq(omni_region_of(v), m);         /* the receiver's */
        ck_assert_int_eq(omni_fixval(OMNI_PAIR(t1)->car), per[id]); /* in order per sender */
        per[id]++;
        sum += omni_fixval(OMNI_PAIR(t1)->car);
        omni_region_exit(m);
    }
    for (int i = 0; i < PRODUCERS; i++)
        ck_assert_int_eq(omni_fixval(omni_b_join(r, NULL, ts[i])), i);
    ck_assert_int_eq(sum, (int64_t)PRODUCERS * PER_PRODUCER * (PER_PRODUCER - 1) / 2);
    omni_b_close(r, NULL, g_chan);
    ck_assert_uint_eq(omni_b_recv(r, NULL, g_chan), OMNI_NOTHING);
    omni_region_drain_mine();
    /* every message region went back: no more regions live than before
     * the messages but the producers' global regions (immortal) */
    OmniRegionCounters after = counters();
    ck_assert_uint_le(after.regions_live, before.regions_live + PRODUCERS);
    omni_region_exit(r);
}
END_TEST

/* ---- a region referenced by several threads dies exactly once ---- */

static Region *g_shared_r;
enum { SHARERS = 4, ROUNDS = 20000 };

static void *share_loop(void *p)
{
    (void)p;
    for (int i = 0; i < ROUNDS; i++) {
        omni_region_share(g_shared_r);
        omni_region_unshare(g_shared_r);
    }
    omni_region_unshare(g_shared_r); /* the reference the main thread took for us */
    return NULL;
}

START_TEST(test_shared_refs_die_once)
{
    omni_region_set_mt();
    uint64_t reclaimed0 = counters().regions_reclaimed;
    g_shared_r = omni_region_new(omni_region_global());
    uint64_t id = g_shared_r->id;
    pthread_t th[SHARERS];
    for (int i = 0; i < SHARERS; i++)
        omni_region_share(g_shared_r);
    for (int i = 0; i < SHARERS; i++)
        pthread_create(&th[i], NULL, share_loop, NULL);
    omni_region_exit(g_shared_r); /* the scope ends while others hold it */
    for (int i = 0; i < SHARERS; i++)
        pthread_join(th[i], NULL);
    omni_region_drain_mine(); /* the last thread handed it back to us */
    ck_assert(!omni_region_is(g_shared_r, id));
    ck_assert_uint_eq(counters().regions_reclaimed, reclaimed0 + 1);
}
END_TEST

/* ---- copies made while threads run ---- */

START_TEST(test_side_table_copy)
{
    omni_region_set_mt();
    Region *from = omni_region_new(omni_region_global());
    Region *to = omni_region_new(omni_region_global());
    OVal arr = omni_array_new(from, 0);
    OVal p = cons(from, arr, OMNI_NIL);
    omni_array_push(arr, p);               /* a cycle: arr -> p -> arr */
    omni_array_push(arr, p);
    OVal at = omni_atom_new(from, str(from, "cell"));
    omni_array_push(arr, at);
    uint64_t hdr = *(uint64_t *)(uintptr_t)arr;
    OVal c = omni_transmigrate(arr, from, to);
    ck_assert_uint_ne(c, arr);
    ck_assert_ptr_eq(omni_region_of(c), to);
    ck_assert_uint_eq(*(uint64_t *)(uintptr_t)arr, hdr);   /* the source was not written */
    OArray *ca = OMNI_PTR(OArray, c);
    ck_assert_uint_eq(ca->items[0], ca->items[1]);          /* sharing */
    ck_assert_uint_eq(OMNI_PAIR(ca->items[0])->car, c);     /* the cycle */
    ck_assert_uint_eq(ca->items[2], at);                    /* the atom itself */
    omni_region_exit(from);                                 /* `to` holds the atom's region */
    ck_assert_str_eq(OMNI_PTR(OString, OMNI_PTR(OAtom, ca->items[2])->val)->data, "cell");
    omni_region_exit(to);
}
END_TEST

static Suite *threads_suite(void)
{
    Suite *s = suite_create("threads");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_handoff_copies_graph);
    tcase_add_test(tc, test_channel_messages_given_back);
    tcase_add_test(tc, test_shared_refs_die_once);
    tcase_add_test(tc, test_side_table_copy);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(threads_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
