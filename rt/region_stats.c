/* region_stats.c — the --region-stats report: accounting per
 * region-creating source location, and retention warnings.
 *
 * When stats are on (omni-jit --region-stats, OMNI_REGION_STATS=1), every
 * region is made and reclaimed through region.c's slow paths, which call
 * omni_region_site_made / omni_region_site_reclaimed here; a reclaimed
 * region's counters are folded into the record of the OmniLoc its
 * region.new named (omni_region_new_at; NULL = unknown).  At exit the live
 * regions are folded in as well and one line per site is printed, followed
 * by retention warnings: a long-lived region (the global or static region,
 * or one that outlived omni_retention.age newer regions of its thread) that
 * kept receiving allocations (omni_retention.bytes of chunk memory acquired
 * while long-lived).  Format and thresholds: docs/REGION_ACCOUNTING.md.
 */
#include "rt_core.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct Site {
    const OmniLoc *loc;      /* key (NULL: unknown location) */
    const char *name;        /* immortal regions: "global", "static" */
    bool used;
    uint64_t made, reclaimed, live;
    uint64_t bytes_total, peak_max, chunks, repairs, inline_bytes;
    uint64_t retention_regions, late_bytes_max;
} Site;

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static Site *s_sites;            /* open addressing on (loc, name) */
static size_t s_cap, s_n;

static size_t site_hash(const OmniLoc *loc, const char *name)
{
    uint64_t h = (uint64_t)(uintptr_t)loc * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)name;
    return (size_t)(h ^ (h >> 29));
}

static Site *site_find(const OmniLoc *loc, const char *name);

static void site_grow(void)
{
    Site *old = s_sites;
    size_t oldcap = s_cap;
    s_cap = s_cap ? s_cap * 2 : 64;
    s_sites = calloc(s_cap, sizeof *s_sites);
    if (!s_sites)
        omni_internal_error("out of memory (region stats)");
    s_n = 0;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].used)
            *site_find(old[i].loc, old[i].name) = old[i];
    free(old);
}

/* The record of (loc, name), created empty.  Called with s_lock held. */
static Site *site_find(const OmniLoc *loc, const char *name)
{
    if ((s_n + 1) * 2 > s_cap)
        site_grow();
    size_t j = site_hash(loc, name) & (s_cap - 1);
    for (;; j = (j + 1) & (s_cap - 1)) {
        Site *s = &s_sites[j];
        if (!s->used) {
            s->used = true;
            s->loc = loc;
            s->name = name;
            s_n++;
            return s;
        }
        if (s->loc == loc && s->name == name)
            return s;
    }
}

static bool long_lived(const Region *r)
{
    return r->immortal || omni_region_age(r) >= omni_retention.age;
}

/* Folds r's accounting into its site (live: still alive at report time). */
static void fold(Site *s, const Region *r, bool live)
{
    OmniRegionStats st;
    omni_region_stats(r, &st);
    s->bytes_total += st.bytes_allocated_total;
    if (st.bytes_allocated_peak > s->peak_max)
        s->peak_max = st.bytes_allocated_peak;
    s->chunks += st.chunk_count;
    s->repairs += st.escape_repair_count;
    s->inline_bytes += st.inline_buf_used_bytes;
    if (live)
        s->live++;
    if (long_lived(r) && r->late_bytes >= omni_retention.bytes) {
        s->retention_regions++;
        if (r->late_bytes > s->late_bytes_max)
            s->late_bytes_max = r->late_bytes;
    }
}

void omni_region_site_made(Region *r)
{
    pthread_mutex_lock(&s_lock);
    site_find(r->loc, r->name)->made++;
    pthread_mutex_unlock(&s_lock);
}

void omni_region_site_reclaimed(Region *r)
{
    pthread_mutex_lock(&s_lock);
    Site *s = site_find(r->loc, r->name);
    s->reclaimed++;
    fold(s, r, false);
    pthread_mutex_unlock(&s_lock);
}

/* ---- the report ------------------------------------------------------------ */

typedef struct Snapshot {
    Site *v;
    size_t n, cap;
} Snapshot;

static Site *snap_site(Snapshot *sn, const OmniLoc *loc, const char *name)
{
    for (size_t i = 0; i < sn->n; i++) {
        Site *s = &sn->v[i];
        if (s->name != name)
            continue;
        if (s->loc == loc)
            return s;
        /* The same place named by two OmniLoc objects (two modules). */
        if (s->loc && loc && s->loc->line == loc->line && s->loc->col == loc->col &&
            s->loc->file && loc->file && strcmp(s->loc->file, loc->file) == 0)
            return s;
    }
    if (sn->n == sn->cap) {
        sn->cap = sn->cap ? sn->cap * 2 : 64;
        sn->v = realloc(sn->v, sn->cap * sizeof *sn->v);
        if (!sn->v)
            omni_internal_error("out of memory (region stats)");
    }
    Site *s = &sn->v[sn->n++];
    memset(s, 0, sizeof *s);
    s->loc = loc;
    s->name = name;
    return s;
}

static void merge(Site *into, const Site *s)
{
    into->made += s->made;
    into->reclaimed += s->reclaimed;
    into->live += s->live;
    into->bytes_total += s->bytes_total;
    if (s->peak_max > into->peak_max)
        into->peak_max = s->peak_max;
    into->chunks += s->chunks;
    into->repairs += s->repairs;
    into->inline_bytes += s->inline_bytes;
    into->retention_regions += s->retention_regions;
    if (s->late_bytes_max > into->late_bytes_max)
        into->late_bytes_max = s->late_bytes_max;
}

static void add_live(const Region *r, void *ctx)
{
    Snapshot *sn = ctx;
    Site one = { 0 };
    fold(&one, r, true);
    merge(snap_site(sn, r->loc, r->name), &one);
}

/* Live regions whose scope ended: kept only by counted edges, holds,
 * tethers or children (docs/REGION_ACCOUNTING.md, "Held regions"). */
typedef struct Held {
    uint64_t n, bytes;
} Held;

static void count_held(const Region *r, void *ctx)
{
    Held *h = ctx;
    if (!r->immortal && !r->scope_alive) {
        h->n++;
        h->bytes += r->bytes_held;
    }
}

static int by_bytes(const void *a, const void *b)
{
    const Site *x = a, *y = b;
    if (x->bytes_total != y->bytes_total)
        return x->bytes_total < y->bytes_total ? 1 : -1;
    return x->made < y->made ? 1 : x->made > y->made ? -1 : 0;
}

static void site_label(const Site *s, char *out, size_t n)
{
    if (s->name)
        snprintf(out, n, "<%s>", s->name);
    else if (!s->loc || !s->loc->file)
        snprintf(out, n, "<unknown>");
    else if (s->loc->line == 0) /* a runtime site, e.g. "<store regions>" */
        snprintf(out, n, "%s", s->loc->file);
    else
        snprintf(out, n, "%s:%d:%d", s->loc->file, (int)s->loc->line, (int)s->loc->col);
}

#define REPORT_SITES 30

void omni_region_print_stats(FILE *out)
{
    Snapshot sn = { 0 };
    pthread_mutex_lock(&s_lock);
    for (size_t i = 0; i < s_cap; i++) {
        const Site *s = &s_sites[i];
        if (s->used)
            merge(snap_site(&sn, s->loc, s->name), s);
    }
    pthread_mutex_unlock(&s_lock);
    omni_region_foreach_live(add_live, &sn);
    for (size_t i = 0; i < sn.n; i++) /* made before stats were on: counted once seen */
        if (sn.v[i].made < sn.v[i].reclaimed + sn.v[i].live)
            sn.v[i].made = sn.v[i].reclaimed + sn.v[i].live;
    qsort(sn.v, sn.n, sizeof *sn.v, by_bytes);

    OmniRegionCounters c;
    omni_region_counters(&c);
    fprintf(out, "region stats: %llu regions made, %llu reclaimed, %llu live; %llu chunks acquired, "
                 "chunk memory peak %llu bytes\n",
            (unsigned long long)c.regions_created, (unsigned long long)c.regions_reclaimed,
            (unsigned long long)c.regions_live, (unsigned long long)c.chunks_acquired,
            (unsigned long long)c.chunk_bytes_peak);
    fprintf(out, "  %-32s %10s %10s %6s %14s %12s %8s %8s\n", "site", "made", "reclaimed", "live",
            "bytes_total", "peak", "chunks", "repairs");
    char label[512];
    for (size_t i = 0; i < sn.n && i < REPORT_SITES; i++) {
        const Site *s = &sn.v[i];
        site_label(s, label, sizeof label);
        fprintf(out, "  %-32s %10llu %10llu %6llu %14llu %12llu %8llu %8llu\n", label,
                (unsigned long long)s->made, (unsigned long long)s->reclaimed,
                (unsigned long long)s->live, (unsigned long long)s->bytes_total,
                (unsigned long long)s->peak_max, (unsigned long long)s->chunks,
                (unsigned long long)s->repairs);
    }
    if (sn.n > REPORT_SITES)
        fprintf(out, "  ... %zu more sites\n", sn.n - REPORT_SITES);
    uint64_t retained, copied, stored, counted, released, kept;
    omni_barrier_counters(&retained, &copied, &stored);
    omni_rs_counters(&counted, &released, &kept);
    fprintf(out, "repairs: %llu retained, %llu copied into the owner's region, %llu copied into store "
                 "regions; counted edges: %llu made, %llu released, %llu kept after a load\n",
            (unsigned long long)retained, (unsigned long long)copied, (unsigned long long)stored,
            (unsigned long long)counted, (unsigned long long)released, (unsigned long long)kept);
    Held held = { 0 };
    omni_region_foreach_live(count_held, &held);
    if (held.n >= omni_retention.held_regions)
        fprintf(out, "warning: region retention: %llu live regions (%llu bytes) outlived their scope, "
                     "held by counted edges: values stored into longer-lived objects or globals and "
                     "not overwritten, or read before they were overwritten; a container that keeps "
                     "many small values is cheaper when they are made in its own region\n",
                (unsigned long long)held.n, (unsigned long long)held.bytes);
    for (size_t i = 0; i < sn.n; i++) {
        const Site *s = &sn.v[i];
        if (!s->retention_regions)
            continue;
        site_label(s, label, sizeof label);
        fprintf(out, "warning: region retention: %s: %llu long-lived region%s kept receiving "
                     "allocations (up to %llu bytes of chunks after becoming long-lived); values that "
                     "do not outlive a call belong in a shorter-lived region\n",
                label, (unsigned long long)s->retention_regions,
                s->retention_regions == 1 ? "" : "s", (unsigned long long)s->late_bytes_max);
    }
    free(sn.v);
}
