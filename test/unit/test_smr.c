/* test_smr.c — Check suite for the runtime's lock-free tables (rt/smr.h,
 * rt/symbol.c, docs/SMR_FOR_RUNTIME_STRUCTURES.md): concurrent interning
 * gives one symbol per name, globals defined while other threads look them
 * up are never lost and read back their values, the global block array
 * can be replaced under readers, and the per-thread QSBR bookkeeping
 * (lazy registration, offline/online nesting, exit) holds up.
 * Run it under ASan+UBSan too (cmake -DOMNI_SANITIZE=ON).
 */
#include "rt_core.h"
#include "smr.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static FILE *g_errs;

static void setup(void)
{
    omni_rt_init(0, NULL);
    if (!g_errs)
        g_errs = tmpfile();
    omni_set_error_stream(g_errs);
}

static OVal sym(const char *s) { return omni_intern(s, (int64_t)strlen(s)); }

/* ---- interning ------------------------------------------------------------- */

#define NTHREADS 4
#define NNAMES 20000 /* well past the tables' first size: they resize meanwhile */

typedef struct InternJob {
    int id;
    bool register_first; /* half the threads register, half rely on lazy */
    pthread_barrier_t *go;
    OVal *out;           /* out[i]: the symbol of name i */
} InternJob;

static void *intern_worker(void *p)
{
    InternJob *j = p;
    if (j->register_first)
        omni_smr_thread_init();
    pthread_barrier_wait(j->go);
    char buf[32];
    /* each thread walks the names from its own offset and direction, so the
     * same name is often interned by two threads at once */
    for (int k = 0; k < NNAMES; k++) {
        int i = (j->id & 1) ? (NNAMES - 1 - (k + j->id * 997) % NNAMES) : (k + j->id * 997) % NNAMES;
        snprintf(buf, sizeof buf, "smr-sym-%d", i);
        j->out[i] = sym(buf);
        if (k % 1024 == 0)
            omni_smr_quiescent();
    }
    if (j->register_first)
        omni_smr_thread_exit();
    /* lazily registered threads are unregistered by the exit destructor */
    return NULL;
}

START_TEST(test_concurrent_intern_same_symbol)
{
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, NTHREADS);
    pthread_t th[NTHREADS];
    InternJob jobs[NTHREADS];
    for (int t = 0; t < NTHREADS; t++) {
        jobs[t] = (InternJob){ t, t < 2, &go, calloc(NNAMES, sizeof(OVal)) };
        ck_assert_int_eq(pthread_create(&th[t], NULL, intern_worker, &jobs[t]), 0);
    }
    for (int t = 0; t < NTHREADS; t++)
        pthread_join(th[t], NULL);
    pthread_barrier_destroy(&go);
    char buf[32];
    for (int i = 0; i < NNAMES; i++) {
        for (int t = 1; t < NTHREADS; t++)
            ck_assert_msg(jobs[t].out[i] == jobs[0].out[i], "name %d: thread %d got another symbol", i, t);
        snprintf(buf, sizeof buf, "smr-sym-%d", i);
        /* and the main thread (registered by omni_rt_init) sees the same */
        ck_assert(sym(buf) == jobs[0].out[i]);
        const OSymbol *s = (const OSymbol *)(uintptr_t)jobs[0].out[i];
        ck_assert_int_eq(s->len, (int64_t)strlen(buf));
        ck_assert_str_eq(s->name, buf);
    }
    /* distinct names, distinct symbols */
    ck_assert(jobs[0].out[0] != jobs[0].out[1]);
    for (int t = 0; t < NTHREADS; t++)
        free(jobs[t].out);
}
END_TEST

/* ---- globals ---------------------------------------------------------------- */

#define NWRITERS 2
#define NREADERS 2
#define NGLOBALS 6000 /* per writer: 12,000 entries, past the first block array (16 x 256) */

static int g_writers_done;

static void gname(char *buf, size_t n, int w, int i) { snprintf(buf, n, "smr-g-%d-%d", w, i); }
static int64_t gvalue(int w, int i) { return (int64_t)w * 1000000 + i; }

typedef struct GlobJob {
    int id;
    pthread_barrier_t *go;
    long checked, seen_bound;
    char why[128];
} GlobJob;

static void *glob_writer(void *p)
{
    GlobJob *j = p;
    pthread_barrier_wait(j->go);
    char buf[48];
    for (int i = 0; i < NGLOBALS; i++) {
        gname(buf, sizeof buf, j->id, i);
        OVal *slot = omni_global_slot(buf);
        omni_global_def(slot, omni_fix(gvalue(j->id, i)));
    }
    uatomic_inc(&g_writers_done);
    return NULL;
}

static void *glob_reader(void *p)
{
    GlobJob *j = p;
    pthread_barrier_wait(j->go);
    char buf[48];
    unsigned seed = (unsigned)j->id * 7919u + 1;
    /* until the writers are done, and at least 2,000 times (a loaded
     * machine may schedule the readers after the writers) */
    while ((uatomic_read(&g_writers_done) < NWRITERS || j->checked < 2000) && !j->why[0]) {
        /* look a random name up: unbound until its writer defines it, then
         * its value and nothing else */
        seed = seed * 1103515245u + 12345u;
        int w = (int)(seed >> 16) % NWRITERS, i = (int)(seed >> 8) % NGLOBALS;
        gname(buf, sizeof buf, w, i);
        OVal *slot = omni_global_slot(buf);
        OVal v = omni_load_relaxed_u64(slot); /* a writer may be storing it */
        if (v != OMNI_UNBOUND) {
            j->seen_bound++;
            if (v != omni_fix(gvalue(w, i)))
                snprintf(j->why, sizeof j->why, "%s holds a wrong value", buf);
        }
        if (strcmp(omni_global_name(slot), buf) != 0)
            snprintf(j->why, sizeof j->why, "slot of %s is named %s", buf, omni_global_name(slot));
        /* walk the entries by index while the block array may be replaced */
        for (size_t k = (seed >> 4) % 512, n = 0; n < 64; k += 97, n++) {
            const char *name = omni_global_name_at(k);
            if (name && !name[0])
                snprintf(j->why, sizeof j->why, "entry %zu has an empty name", k);
        }
        j->checked++;
        omni_smr_quiescent();
    }
    return NULL;
}

START_TEST(test_concurrent_global_define_and_read)
{
    g_writers_done = 0;
    size_t before = 0;
    while (omni_global_name_at(before))
        before++;
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, NWRITERS + NREADERS);
    pthread_t th[NWRITERS + NREADERS];
    GlobJob jobs[NWRITERS + NREADERS];
    memset(jobs, 0, sizeof jobs);
    for (int t = 0; t < NWRITERS + NREADERS; t++) {
        jobs[t].id = t < NWRITERS ? t : t - NWRITERS;
        jobs[t].go = &go;
        ck_assert_int_eq(pthread_create(&th[t], NULL, t < NWRITERS ? glob_writer : glob_reader, &jobs[t]), 0);
    }
    /* the main thread joins offline, as the runtime does */
    omni_smr_offline();
    for (int t = 0; t < NWRITERS + NREADERS; t++)
        pthread_join(th[t], NULL);
    omni_smr_online();
    pthread_barrier_destroy(&go);
    for (int t = NWRITERS; t < NWRITERS + NREADERS; t++) {
        ck_assert_msg(!jobs[t].why[0], "reader %d: %s", t, jobs[t].why);
        ck_assert_int_gt(jobs[t].checked, 0);
    }
    /* no entry lost: every name has its value, and the index walk finds
     * each one exactly once */
    char buf[48];
    for (int w = 0; w < NWRITERS; w++)
        for (int i = 0; i < NGLOBALS; i++) {
            gname(buf, sizeof buf, w, i);
            OVal *slot = omni_global_slot(buf);
            ck_assert_msg(*slot == omni_fix(gvalue(w, i)), "%s lost its value", buf);
        }
    size_t n = 0, ours = 0;
    for (const char *name; (name = omni_global_name_at(n)); n++)
        if (strncmp(name, "smr-g-", 6) == 0)
            ours++;
    /* readers may have created slots of names before their writer did:
     * the same entries, so the count is exact */
    ck_assert_uint_eq(ours, (size_t)NWRITERS * NGLOBALS);
    ck_assert_uint_eq(n, before + (size_t)NWRITERS * NGLOBALS);
}
END_TEST

/* ---- per-thread bookkeeping --------------------------------------------------- */

static void *unregistered_lookup(void *p)
{
    /* never registered: the first lookup registers, thread exit unregisters */
    *(OVal *)p = sym("smr-lazy");
    return NULL;
}

static void *offline_lookup(void *p)
{
    omni_smr_thread_init();
    omni_smr_thread_init(); /* idempotent */
    omni_smr_offline();
    omni_smr_offline(); /* nests */
    *(OVal *)p = sym("smr-offline");
    OVal *slot = omni_global_slot("smr-offline-global");
    omni_smr_online();
    omni_smr_online();
    omni_smr_online(); /* one too many: ignored */
    ck_assert(omni_global_slot("smr-offline-global") == slot);
    omni_smr_quiescent();
    omni_smr_thread_exit();
    omni_smr_thread_exit(); /* idempotent */
    omni_smr_quiescent();   /* unregistered: a no-op */
    omni_smr_offline();
    omni_smr_online();
    return NULL;
}

START_TEST(test_thread_bookkeeping)
{
    OVal got = 0;
    pthread_t th;
    for (int round = 0; round < 8; round++) { /* exiting registered threads leave no dangling record */
        ck_assert_int_eq(pthread_create(&th, NULL, unregistered_lookup, &got), 0);
        pthread_join(th, NULL);
        ck_assert(got == sym("smr-lazy"));
    }
    ck_assert_int_eq(pthread_create(&th, NULL, offline_lookup, &got), 0);
    pthread_join(th, NULL);
    ck_assert(got == sym("smr-offline"));
    /* many new globals from this thread: the block array is replaced and
     * the old one retired by call_rcu; a quiescent state lets it go */
    char buf[48];
    for (int i = 0; i < 5000; i++) {
        snprintf(buf, sizeof buf, "smr-main-%d", i);
        omni_global_slot(buf);
    }
    omni_smr_offline(); /* rcu_barrier waits for a grace period */
    rcu_barrier();      /* the retired arrays' callbacks have run: ASan saw the frees */
    omni_smr_online();
    ck_assert_str_eq(omni_global_name(omni_global_slot("smr-main-4999")), "smr-main-4999");
}
END_TEST

static Suite *smr_suite(void)
{
    Suite *su = suite_create("smr");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_concurrent_intern_same_symbol);
    tcase_add_test(tc, test_concurrent_global_define_and_read);
    tcase_add_test(tc, test_thread_bookkeeping);
    suite_add_tcase(su, tc);
    return su;
}

int main(void)
{
    SRunner *sr = srunner_create(smr_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
