/* symbol.c — interned symbols, global slots and static literals.
 *
 * Symbols live in the static region (OHF_STATIC: no region, never freed),
 * one per name, so eq? compares them by address.  Global variables live in
 * slots that never move: compiled code caches a slot's address, and a REPL
 * redefinition is a store into the same slot.  Slots are created holding
 * OMNI_UNBOUND.  Both tables take a mutex on lookup for now (lookups happen
 * at module load, not in loops); design.md plans liburcu QSBR reads.
 * The omni_static_* constructors build the literals compiled code needs at
 * run time, flagged OHF_STATIC like symbols.
 */
#include "rt_core.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t g_sym_lock = PTHREAD_MUTEX_INITIALIZER;
static OSymbol **g_syms;   /* open addressing, power-of-two size */
static size_t g_nsyms, g_symcap;

static uint64_t name_hash(const char *s, int64_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (int64_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static void sym_grow(void)
{
    size_t cap = g_symcap ? g_symcap * 2 : 1024;
    OSymbol **t = calloc(cap, sizeof *t);
    if (!t)
        omni_internal_error("out of memory (symbol table)");
    for (size_t i = 0; i < g_symcap; i++) {
        OSymbol *s = g_syms[i];
        if (!s)
            continue;
        size_t j = s->hash & (cap - 1);
        while (t[j])
            j = (j + 1) & (cap - 1);
        t[j] = s;
    }
    free(g_syms);
    g_syms = t;
    g_symcap = cap;
}

OVal omni_intern(const char *name, int64_t len)
{
    uint64_t h = name_hash(name, len);
    pthread_mutex_lock(&g_sym_lock);
    if ((g_nsyms + 1) * 2 > g_symcap)
        sym_grow();
    size_t j = h & (g_symcap - 1);
    for (OSymbol *s; (s = g_syms[j]); j = (j + 1) & (g_symcap - 1)) {
        if (s->hash == h && s->len == len && memcmp(s->name, name, (size_t)len) == 0) {
            pthread_mutex_unlock(&g_sym_lock);
            return OMNI_VAL(s);
        }
    }
    OSymbol *s = omni_static_alloc(sizeof(OSymbol) + (size_t)len + 1);
    omni_static_hdr(s, OT_SYMBOL);
    s->hash = h;
    s->len = len;
    memcpy(s->name, name, (size_t)len);
    s->name[len] = 0;
    g_syms[j] = s;
    g_nsyms++;
    pthread_mutex_unlock(&g_sym_lock);
    return OMNI_VAL(s);
}

/* ---- globals ------------------------------------------------------------- */

/* val first: a slot pointer is the entry pointer, so omni_global_name can
 * find the name from the slot alone. */
typedef struct GlobalEntry {
    OVal val;
    char *name;
    uint64_t hash;
} GlobalEntry;

#define GBLOCK 256 /* entries are allocated in blocks that never move */

static pthread_mutex_t g_glob_lock = PTHREAD_MUTEX_INITIALIZER;
static GlobalEntry **g_blocks;
static size_t g_nblocks, g_blockcap;
static size_t g_nglobals;
static GlobalEntry **g_gtab;         /* name → entry, open addressing */
static size_t g_gtabcap;

static void gtab_insert(GlobalEntry **t, size_t cap, GlobalEntry *e)
{
    size_t j = e->hash & (cap - 1);
    while (t[j])
        j = (j + 1) & (cap - 1);
    t[j] = e;
}

static GlobalEntry *global_new(const char *name, size_t len, uint64_t h)
{
    if (g_nglobals == g_nblocks * GBLOCK) {
        if (g_nblocks == g_blockcap) {
            g_blockcap = g_blockcap ? g_blockcap * 2 : 16;
            GlobalEntry **nb = realloc(g_blocks, g_blockcap * sizeof *nb);
            if (!nb)
                omni_internal_error("out of memory (globals)");
            g_blocks = nb;
        }
        if (!(g_blocks[g_nblocks] = calloc(GBLOCK, sizeof(GlobalEntry))))
            omni_internal_error("out of memory (globals)");
        g_nblocks++;
    }
    GlobalEntry *e = &g_blocks[g_nglobals / GBLOCK][g_nglobals % GBLOCK];
    e->val = OMNI_UNBOUND;
    e->hash = h;
    if (!(e->name = malloc(len + 1)))
        omni_internal_error("out of memory (globals)");
    memcpy(e->name, name, len);
    e->name[len] = 0;
    g_nglobals++;
    if ((g_nglobals + 1) * 2 > g_gtabcap) {
        size_t cap = g_gtabcap ? g_gtabcap * 2 : 1024;
        GlobalEntry **t = calloc(cap, sizeof *t);
        if (!t)
            omni_internal_error("out of memory (globals)");
        for (size_t i = 0; i < g_gtabcap; i++)
            if (g_gtab[i])
                gtab_insert(t, cap, g_gtab[i]);
        free(g_gtab);
        g_gtab = t;
        g_gtabcap = cap;
    }
    gtab_insert(g_gtab, g_gtabcap, e);
    return e;
}

OVal *omni_global_slot(const char *name)
{
    size_t len = strlen(name);
    uint64_t h = name_hash(name, (int64_t)len);
    pthread_mutex_lock(&g_glob_lock);
    GlobalEntry *e = NULL;
    if (g_gtabcap) {
        for (size_t j = h & (g_gtabcap - 1); g_gtab[j]; j = (j + 1) & (g_gtabcap - 1)) {
            if (g_gtab[j]->hash == h && strcmp(g_gtab[j]->name, name) == 0) {
                e = g_gtab[j];
                break;
            }
        }
    }
    if (!e)
        e = global_new(name, len, h);
    pthread_mutex_unlock(&g_glob_lock);
    return &e->val;
}

const char *omni_global_name(OVal *slot)
{
    return slot ? ((GlobalEntry *)slot)->name : "?";
}

const char *omni_global_name_at(size_t i)
{
    const char *name = NULL;
    pthread_mutex_lock(&g_glob_lock); /* g_blocks may be reallocated */
    if (i < g_nglobals)
        name = g_blocks[i / GBLOCK][i % GBLOCK].name;
    pthread_mutex_unlock(&g_glob_lock);
    return name;
}

void omni_symbols_init(void)
{
    pthread_mutex_lock(&g_sym_lock);
    if (!g_symcap)
        sym_grow();
    pthread_mutex_unlock(&g_sym_lock);
}

/* ---- static literals ---------------------------------------------------------- */

OVal omni_static_string(const char *bytes, int64_t len)
{
    OString *s = omni_static_alloc(sizeof(OString) + (size_t)len + 1);
    omni_static_hdr(s, OT_STRING);
    s->len = len;
    memcpy(s->data, bytes, (size_t)len);
    s->data[len] = 0;
    return OMNI_VAL(s);
}

OVal omni_static_float(double d)
{
    OFloat *f = omni_static_alloc(sizeof(OFloat));
    omni_static_hdr(f, OT_FLOAT);
    f->d = d;
    return OMNI_VAL(f);
}

OVal omni_static_cons(OVal car, OVal cdr)
{
    /* no header to flag: region_of finds the static region's chunk, which
     * is immortal */
    OPair *p = omni_static_alloc(sizeof(OPair));
    p->car = car;
    p->cdr = cdr;
    return OMNI_PAIR_VAL(p);
}

OVal omni_static_array(int64_t n, const OVal *items)
{
    OArray *a = omni_static_alloc(sizeof(OArray));
    omni_static_hdr(a, OT_ARRAY);
    a->len = a->cap = n;
    a->items = NULL;
    if (n > 0) {
        a->items = omni_static_alloc((size_t)n * sizeof(OVal));
        memcpy(a->items, items, (size_t)n * sizeof(OVal));
    }
    return OMNI_VAL(a);
}

OVal omni_static_dict(int64_t n, const OVal *kvs)
{
    /* Built in the static region; later growth (put! on it) goes to the
     * global region, as for any static dict. */
    OVal d = omni_dict_new_in(NULL, n, OHF_STATIC);
    for (int64_t i = 0; i < n; i++)
        omni_dict_put(d, kvs[2 * i], kvs[2 * i + 1]);
    return d;
}
