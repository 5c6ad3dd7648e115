/* smr_bench.c — symbol-table lookups per second: the runtime's QSBR
 * rculfhash (omni_intern itself) against pthread rwlock versions, with 1
 * and 2 reader threads, and 2 readers beside one writer.
 * README.md beside this file has the command, protocol and figures;
 * docs/SMR_FOR_RUNTIME_STRUCTURES.md the design.
 *
 * Variants (the same 4,096 names, looked up in the same order):
 *   qsbr        omni_intern of rt/symbol.c: rculfhash lookup under
 *               rcu_read_lock (QSBR: no shared write per lookup);
 *   rwlock-lfht the same rculfhash node layout and match function, each
 *               lookup under pthread_rwlock_rdlock (inserts: wrlock) —
 *               only the read-side synchronisation differs;
 *   rwlock-oa   the table rt/symbol.c had before (open addressing, FNV-1a,
 *               power-of-two, grown at 1/2 load) under a rwlock instead of
 *               its mutex.
 * Every thread is a registered QSBR thread (rculfhash's resizer relies on
 * RCU whatever lock wraps the lookups) and readers report a quiescent state
 * every 1,024 lookups in all variants (the runtime reports one per
 * top-level form and after each insertion).  The writer interns a new
 * name, then sleeps 50 us (offline), until the readers are done.
 *
 * Run: ninja -C build smr_bench && build/test/smr_bench [lookups-per-thread [variant]]
 * (SMR_BENCH_TRACE=1: each measured run's time on stderr)
 * Readers are pinned, reader t to CPU t mod ncpu (SMR_BENCH_PIN=0: not),
 * so on a loaded machine two readers still run on two cores when they run.
 * Protocol: per configuration 10 warm-up runs, then 30 measured; a run is
 * every reader doing the same number of lookups; throughput of a run =
 * readers x lookups / wall time from the start barrier to the last reader.
 * Prints the median and the p95 (95th percentile of run time, i.e. the
 * 5th-percentile throughput) in million lookups per second, and the
 * median over runs of a reader's CPU time per lookup (CLOCK_THREAD_CPUTIME_ID:
 * time the reader was descheduled by other load does not count; cache-line
 * contention on a lock does).
 */
#include "rt_core.h"
#include "smr.h"

#include <urcu/rculfhash.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#define NNAMES 4096
#define WARMUP 10
#define RUNS 30
#define QUIESCE_EVERY 1024

static long g_lookups = 1000000; /* per reader per run */
static bool g_pin = true;          /* SMR_BENCH_PIN=0: let the scheduler place readers */
static int g_ncpu = 1;
static char *g_names[NNAMES];
static int64_t g_lens[NNAMES];

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t fnv(const char *s, int64_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (int64_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* ---- rwlock-oa: the previous table shape under a rwlock ---------------- */

typedef struct Sym { uint64_t hash; int64_t len; char name[]; } Sym;

static pthread_rwlock_t oa_lock = PTHREAD_RWLOCK_INITIALIZER;
static Sym **oa_tab;
static size_t oa_n, oa_cap;

static Sym *oa_find_locked(const char *name, int64_t len, uint64_t h)
{
    for (size_t j = h & (oa_cap - 1); oa_tab[j]; j = (j + 1) & (oa_cap - 1)) {
        Sym *s = oa_tab[j];
        if (s->hash == h && s->len == len && memcmp(s->name, name, (size_t)len) == 0)
            return s;
    }
    return NULL;
}

static void oa_grow(void)
{
    size_t cap = oa_cap ? oa_cap * 2 : 1024;
    Sym **t = calloc(cap, sizeof *t);
    for (size_t i = 0; i < oa_cap; i++) {
        Sym *s = oa_tab[i];
        if (!s)
            continue;
        size_t j = s->hash & (cap - 1);
        while (t[j])
            j = (j + 1) & (cap - 1);
        t[j] = s;
    }
    free(oa_tab);
    oa_tab = t;
    oa_cap = cap;
}

static void *oa_intern(const char *name, int64_t len)
{
    uint64_t h = fnv(name, len);
    pthread_rwlock_rdlock(&oa_lock);
    Sym *s = oa_find_locked(name, len, h);
    pthread_rwlock_unlock(&oa_lock);
    if (s)
        return s;
    pthread_rwlock_wrlock(&oa_lock);
    if (!(s = oa_find_locked(name, len, h))) {
        if ((oa_n + 1) * 2 > oa_cap)
            oa_grow();
        s = malloc(sizeof(Sym) + (size_t)len + 1);
        s->hash = h;
        s->len = len;
        memcpy(s->name, name, (size_t)len);
        s->name[len] = 0;
        size_t j = h & (oa_cap - 1);
        while (oa_tab[j])
            j = (j + 1) & (oa_cap - 1);
        oa_tab[j] = s;
        oa_n++;
    }
    pthread_rwlock_unlock(&oa_lock);
    return s;
}

/* ---- rwlock-lfht: rculfhash, lookups under a rwlock -------------------- */

typedef struct LSym { struct cds_lfht_node node; uint64_t hash; int64_t len; char name[]; } LSym;
typedef struct Key { const char *name; int64_t len; uint64_t hash; } Key;

static pthread_rwlock_t lf_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct cds_lfht *lf_tab;

static int lf_match(struct cds_lfht_node *n, const void *key)
{
    const Key *k = key;
    const LSym *s = caa_container_of(n, LSym, node);
    return s->hash == k->hash && s->len == k->len && memcmp(s->name, k->name, (size_t)k->len) == 0;
}

static void *lf_intern(const char *name, int64_t len)
{
    Key k = { name, len, fnv(name, len) };
    struct cds_lfht_iter it;
    pthread_rwlock_rdlock(&lf_lock);
    rcu_read_lock(); /* the table's own contract; a no-op in QSBR */
    cds_lfht_lookup(lf_tab, k.hash, lf_match, &k, &it);
    struct cds_lfht_node *n = cds_lfht_iter_get_node(&it);
    rcu_read_unlock();
    pthread_rwlock_unlock(&lf_lock);
    if (n)
        return caa_container_of(n, LSym, node);
    pthread_rwlock_wrlock(&lf_lock);
    LSym *s = malloc(sizeof(LSym) + (size_t)len + 1);
    cds_lfht_node_init(&s->node);
    s->hash = k.hash;
    s->len = len;
    memcpy(s->name, name, (size_t)len);
    s->name[len] = 0;
    rcu_read_lock();
    n = cds_lfht_add_unique(lf_tab, k.hash, lf_match, &k, &s->node);
    rcu_read_unlock();
    pthread_rwlock_unlock(&lf_lock);
    if (n != &s->node)
        free(s);
    return caa_container_of(n, LSym, node);
}

/* ---- the driver ------------------------------------------------------------ */

static void *qsbr_intern(const char *name, int64_t len) { return (void *)(uintptr_t)omni_intern(name, len); }

typedef void *(*InternFn)(const char *, int64_t);

typedef struct Variant { const char *name; InternFn intern; bool qsbr; } Variant;

static const Variant variants[] = {
    { "qsbr", qsbr_intern, true },
    { "rwlock-lfht", lf_intern, false },
    { "rwlock-oa", oa_intern, false },
};

typedef struct Run {
    const Variant *v;
    pthread_barrier_t *go;
    int id;
    int *readers_left;
    long sink;
    double cpu;          /* the reader's CPU seconds for its lookups */
} Run;

static double thread_cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void *reader(void *p)
{
    Run *r = p;
    if (g_pin) { /* reader t on CPU t: two readers really run side by side */
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(r->id % g_ncpu, &set);
        pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    }
    omni_smr_thread_init(); /* rwlock-lfht too: rculfhash's resizer relies on RCU */
    pthread_barrier_wait(r->go);
    InternFn intern = r->v->intern;
    long sink = 0;
    double c0 = thread_cpu_s();
    /* each reader starts at its own place in the names */
    unsigned i = (unsigned)r->id * (NNAMES / 2 + 17);
    for (long k = 0; k < g_lookups; k++) {
        i = (i + 1) & (NNAMES - 1);
        sink += (long)(uintptr_t)intern(g_names[i], g_lens[i]) & 1;
        if ((k & (QUIESCE_EVERY - 1)) == 0)
            omni_smr_quiescent();
    }
    r->cpu = thread_cpu_s() - c0;
    r->sink = sink;
    uatomic_dec(r->readers_left);
    omni_smr_thread_exit();
    return NULL;
}

static long g_writer_seq;

static void *writer(void *p)
{
    Run *r = p;
    omni_smr_thread_init();
    pthread_barrier_wait(r->go);
    char buf[48];
    struct timespec pause = { 0, 50000 };
    while (uatomic_read(r->readers_left) > 0) {
        int n = snprintf(buf, sizeof buf, "smr-bench-new-%ld", g_writer_seq++);
        r->v->intern(buf, n);
        omni_smr_offline(); /* sleeping */
        nanosleep(&pause, NULL);
        omni_smr_online();
    }
    omni_smr_thread_exit();
    return NULL;
}

/* One run: wall seconds for nreaders x g_lookups lookups; *cpu: the
 * readers' mean CPU seconds. */
static double one_run(const Variant *v, int nreaders, bool with_writer, double *cpu)
{
    int nthreads = nreaders + (with_writer ? 1 : 0);
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, (unsigned)nthreads + 1);
    int left = nreaders;
    pthread_t th[4];
    Run runs[4];
    for (int t = 0; t < nthreads; t++) {
        runs[t] = (Run){ v, &go, t, &left, 0, 0 };
        pthread_create(&th[t], NULL, t < nreaders ? reader : writer, &runs[t]);
    }
    pthread_barrier_wait(&go);
    double t0 = now_s();
    omni_smr_offline(); /* this thread only waits */
    for (int t = 0; t < nreaders; t++)
        pthread_join(th[t], NULL);
    double dt = now_s() - t0;
    for (int t = nreaders; t < nthreads; t++)
        pthread_join(th[t], NULL);
    omni_smr_online();
    pthread_barrier_destroy(&go);
    double c = 0;
    for (int t = 0; t < nreaders; t++)
        c += runs[t].cpu;
    *cpu = c / nreaders;
    return dt;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void measure(const Variant *v, int nreaders, bool with_writer)
{
    double t[RUNS], cpu[RUNS], c;
    for (int i = 0; i < WARMUP; i++)
        one_run(v, nreaders, with_writer, &c);
    const char *trace = getenv("SMR_BENCH_TRACE"); /* each run's seconds on stderr */
    for (int i = 0; i < RUNS; i++) {
        t[i] = one_run(v, nreaders, with_writer, &cpu[i]);
        if (trace && *trace)
            fprintf(stderr, "  run %d: %.4f s\n", i, t[i]);
    }
    qsort(t, RUNS, sizeof t[0], cmp_double);
    qsort(cpu, RUNS, sizeof cpu[0], cmp_double);
    double cpu_med = (cpu[RUNS / 2 - 1] + cpu[RUNS / 2]) / 2;
    double med = (t[RUNS / 2 - 1] + t[RUNS / 2]) / 2;
    double p95 = t[(RUNS * 95 + 99) / 100 - 1]; /* 29th of 30 */
    double ops = (double)nreaders * (double)g_lookups;
    printf("%-12s %d reader%s%-9s  median %6.2f M lookups/s  p95 %6.2f M lookups/s  | CPU %6.1f ns/lookup\n",
           v->name, nreaders, nreaders > 1 ? "s" : "", with_writer ? " +writer" : "", ops / med / 1e6,
           ops / p95 / 1e6, cpu_med / (double)g_lookups * 1e9);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        g_lookups = atol(argv[1]);
    const char *only = argc > 2 ? argv[2] : NULL; /* e.g. "qsbr" */
    const char *pin = getenv("SMR_BENCH_PIN");
    g_pin = !(pin && strcmp(pin, "0") == 0);
    g_ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (g_ncpu < 1)
        g_ncpu = 1;
    omni_rt_init(0, NULL);
    oa_grow(); /* its first 1,024 slots, as omni_symbols_init did */
    lf_tab = cds_lfht_new(1024, 1024, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
    char buf[48];
    for (int i = 0; i < NNAMES; i++) {
        /* names of the length programs use: identifiers of 4-16 chars */
        int n = snprintf(buf, sizeof buf, "%.*s-%d", 3 + i % 9, "bench-symbol-name", i);
        g_names[i] = strdup(buf);
        g_lens[i] = n;
        for (size_t k = 0; k < sizeof variants / sizeof variants[0]; k++)
            variants[k].intern(g_names[i], n); /* all present: lookups hit */
    }
    printf("%ld lookups per reader per run, %d names; %d warm-up + %d measured runs; readers %s (%d CPUs)\n",
           g_lookups, NNAMES, WARMUP, RUNS, g_pin ? "pinned one per CPU" : "unpinned", g_ncpu);
    struct { int readers; bool writer; } cfg[] = { { 1, false }, { 2, false }, { 2, true } };
    for (size_t c = 0; c < sizeof cfg / sizeof cfg[0]; c++)
        for (size_t k = 0; k < sizeof variants / sizeof variants[0]; k++)
            if (!only || strcmp(only, variants[k].name) == 0)
                measure(&variants[k], cfg[c].readers, cfg[c].writer);
    return 0;
}
