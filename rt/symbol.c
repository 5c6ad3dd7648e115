/* symbol.c — interned symbols, global slots and static literals.
 *
 * Symbols live in the static region (OHF_STATIC: no region, never freed),
 * one per name, so eq? compares them by address.  Global variables live in
 * slots that never move: compiled code caches a slot's address, and a REPL
 * redefinition is a store into the same slot.  Slots are created holding
 * OMNI_UNBOUND.
 *
 * Both name tables are liburcu lock-free hash tables (rculfhash, QSBR
 * flavour; smr.h, docs/SMR_FOR_RUNTIME_STRUCTURES.md): a lookup takes no
 * lock.  Insertion takes the table's mutex (one inserter at a time, so a
 * symbol is never allocated twice) and adds with cds_lfht_add_unique, which
 * keeps one node per name even against an inserter that did not lock.
 * Symbols and global entries are never freed; what QSBR reclaims is the
 * tables' own memory: rculfhash's bucket arrays when it resizes, and the
 * array of global blocks when it grows (call_rcu).  After inserting, the
 * thread reports a quiescent state (it holds no table pointer then), so a
 * long run that interns many names lets resizes finish.
 * The omni_static_* constructors build the literals compiled code needs at
 * run time, flagged OHF_STATIC like symbols.
 */
#include "smr.h"
#include "rt_core.h"

#include <urcu/rculfhash.h>

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Initial buckets of each table (auto-resized; a power of two). */
#define TABLE_INIT_BUCKETS 1024

static uint64_t name_hash(const char *s, int64_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (int64_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static struct cds_lfht *new_table(void)
{
    struct cds_lfht *t = cds_lfht_new(TABLE_INIT_BUCKETS, TABLE_INIT_BUCKETS, 0,
                                      CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
    if (!t)
        omni_internal_error("out of memory (symbol tables)");
    return t;
}

/* ---- symbols --------------------------------------------------------------- */

/* A symbol's table node sits just before the symbol in the same static
 * allocation (OSymbol's layout is the ABI: it has no room for it). */
#define SYM_NODE_SIZE ((sizeof(struct cds_lfht_node) + 7) & ~(size_t)7)
#define NODE_SYM(n) ((OSymbol *)((char *)(n) + SYM_NODE_SIZE))

static pthread_mutex_t g_sym_lock = PTHREAD_MUTEX_INITIALIZER; /* inserters */
static struct cds_lfht *g_syms;  /* both published by tables_init */
static struct cds_lfht *g_gtab;
static pthread_once_t g_tables_once = PTHREAD_ONCE_INIT;

static void tables_init(void)
{
    struct cds_lfht *s = new_table(), *g = new_table();
    rcu_assign_pointer(g_syms, s);
    rcu_assign_pointer(g_gtab, g);
}

/* omni_rt_init made them; a lookup before it (a test, omni-llc) still
 * works.  Not pthread_once per lookup: that is a call into libc. */
static struct cds_lfht *sym_table(void)
{
    struct cds_lfht *t = rcu_dereference(g_syms);
    if (__builtin_expect(!t, 0)) {
        pthread_once(&g_tables_once, tables_init);
        t = rcu_dereference(g_syms);
    }
    return t;
}

static struct cds_lfht *glob_table(void)
{
    struct cds_lfht *t = rcu_dereference(g_gtab);
    if (__builtin_expect(!t, 0)) {
        pthread_once(&g_tables_once, tables_init);
        t = rcu_dereference(g_gtab);
    }
    return t;
}

typedef struct NameKey {
    const char *name;
    int64_t len;
    uint64_t hash;
} NameKey;

static int sym_match(struct cds_lfht_node *node, const void *key)
{
    const NameKey *k = key;
    OMNI_TSAN_ACQUIRE(node);
    const OSymbol *s = NODE_SYM(node);
    return s->hash == k->hash && s->len == k->len && memcmp(s->name, k->name, (size_t)k->len) == 0;
}

static OSymbol *sym_find(const NameKey *k)
{
    struct cds_lfht_iter it;
    cds_lfht_lookup(sym_table(), (unsigned long)k->hash, sym_match, k, &it);
    struct cds_lfht_node *n = cds_lfht_iter_get_node(&it);
    return n ? NODE_SYM(n) : NULL;
}

static OSymbol *sym_insert(const NameKey *k)
{
    pthread_mutex_lock(&g_sym_lock);
    OSymbol *s = sym_find(k); /* another inserter may have won */
    if (!s) {
        char *p = omni_static_alloc(SYM_NODE_SIZE + sizeof(OSymbol) + (size_t)k->len + 1);
        struct cds_lfht_node *node = (struct cds_lfht_node *)p;
        cds_lfht_node_init(node);
        s = NODE_SYM(node);
        omni_static_hdr(s, OT_SYMBOL);
        s->hash = k->hash;
        s->len = k->len;
        memcpy(s->name, k->name, (size_t)k->len);
        s->name[k->len] = 0;
        /* publishes the symbol (full barrier before the commit) */
        OMNI_TSAN_RELEASE(node);
        struct cds_lfht_node *won = cds_lfht_add_unique(sym_table(), (unsigned long)k->hash, sym_match, k, node);
        s = NODE_SYM(won); /* ours, unless a non-locking inserter won */
    }
    pthread_mutex_unlock(&g_sym_lock);
    return s;
}

OVal omni_intern(const char *name, int64_t len)
{
    NameKey k = { name, len, name_hash(name, len) };
    bool tmp = omni_smr_read_begin();
    OSymbol *s = sym_find(&k);
    bool added = !s;
    if (added)
        s = sym_insert(&k);
    omni_smr_read_end(tmp);
    if (added)
        omni_smr_quiescent(); /* no table pointer held: let a resize finish */
    return OMNI_VAL(s);
}

/* ---- globals ------------------------------------------------------------- */

/* val first: a slot pointer is the entry pointer, so omni_global_name can
 * find the name from the slot alone. */
typedef struct GlobalEntry {
    OVal val;
    char *name;
    size_t len;
    uint64_t hash;
    struct cds_lfht_node node;
} GlobalEntry;

#define GBLOCK 256 /* entries are allocated in blocks that never move */

/* The array of block pointers is replaced (never realloc'd in place) when
 * it fills: readers (omni_global_name_at) may hold the old one until they
 * pass a quiescent state; call_rcu frees it after that. */
typedef struct BlockArray {
    struct rcu_head rcu;
    size_t cap;
    GlobalEntry *blocks[];
} BlockArray;

static pthread_mutex_t g_glob_lock = PTHREAD_MUTEX_INITIALIZER; /* inserters */
static BlockArray *g_blocks;  /* release store / acquire load (omni_atomic.h) */
static size_t g_nblocks;      /* under g_glob_lock */
static uint64_t g_nglobals;   /* stored (release) after the entry is complete */

static void free_block_array(struct rcu_head *h)
{
    free(caa_container_of(h, BlockArray, rcu));
}

static int glob_match(struct cds_lfht_node *node, const void *key)
{
    const NameKey *k = key;
    OMNI_TSAN_ACQUIRE(node);
    const GlobalEntry *e = caa_container_of(node, GlobalEntry, node);
    return e->hash == k->hash && e->len == (size_t)k->len && memcmp(e->name, k->name, (size_t)k->len) == 0;
}

static GlobalEntry *global_find(const NameKey *k)
{
    struct cds_lfht_iter it;
    cds_lfht_lookup(glob_table(), (unsigned long)k->hash, glob_match, k, &it);
    struct cds_lfht_node *n = cds_lfht_iter_get_node(&it);
    return n ? caa_container_of(n, GlobalEntry, node) : NULL;
}

/* Under g_glob_lock. */
static GlobalEntry *global_new(const NameKey *k)
{
    size_t i = g_nglobals;
    if (i == g_nblocks * GBLOCK) {
        BlockArray *a = g_blocks;
        if (!a || g_nblocks == a->cap) {
            size_t cap = a ? a->cap * 2 : 16;
            BlockArray *na = malloc(sizeof(BlockArray) + cap * sizeof(GlobalEntry *));
            if (!na)
                omni_internal_error("out of memory (globals)");
            na->cap = cap;
            if (g_nblocks)
                memcpy(na->blocks, a->blocks, g_nblocks * sizeof(GlobalEntry *));
            omni_store_release_ptr(&g_blocks, na);
            if (a)
                call_rcu(&a->rcu, free_block_array);
            a = na;
        }
        if (!(a->blocks[g_nblocks] = calloc(GBLOCK, sizeof(GlobalEntry))))
            omni_internal_error("out of memory (globals)");
        g_nblocks++;
    }
    GlobalEntry *e = &g_blocks->blocks[i / GBLOCK][i % GBLOCK];
    e->val = OMNI_UNBOUND;
    e->hash = k->hash;
    e->len = (size_t)k->len;
    if (!(e->name = malloc((size_t)k->len + 1)))
        omni_internal_error("out of memory (globals)");
    memcpy(e->name, k->name, (size_t)k->len);
    e->name[k->len] = 0;
    cds_lfht_node_init(&e->node);
    /* publish the entry for omni_global_name_at: the block pointer and the
     * entry are written before the count that covers them */
    omni_store_release_u64(&g_nglobals, i + 1);
    return e;
}

static GlobalEntry *global_insert(const NameKey *k)
{
    pthread_mutex_lock(&g_glob_lock);
    GlobalEntry *e = global_find(k);
    if (!e) {
        e = global_new(k);
        OMNI_TSAN_RELEASE(&e->node);
        struct cds_lfht_node *won = cds_lfht_add_unique(glob_table(), (unsigned long)k->hash, glob_match, k, &e->node);
        /* only locking inserters exist, so ours always wins */
        e = caa_container_of(won, GlobalEntry, node);
    }
    pthread_mutex_unlock(&g_glob_lock);
    return e;
}

OVal *omni_global_slot(const char *name)
{
    size_t len = strlen(name);
    NameKey k = { name, (int64_t)len, name_hash(name, (int64_t)len) };
    bool tmp = omni_smr_read_begin();
    GlobalEntry *e = global_find(&k);
    bool added = !e;
    if (added)
        e = global_insert(&k);
    omni_smr_read_end(tmp);
    if (added)
        omni_smr_quiescent();
    return &e->val;
}

const char *omni_global_name(OVal *slot)
{
    return slot ? ((GlobalEntry *)slot)->name : "?";
}

const char *omni_global_name_at(size_t i)
{
    const char *name = NULL;
    bool tmp = omni_smr_read_begin();
    if (i < omni_load_acquire_u64(&g_nglobals)) { /* the count before what it covers */
        BlockArray *a = omni_load_acquire_ptr(&g_blocks);
        name = a->blocks[i / GBLOCK][i % GBLOCK].name;
    }
    omni_smr_read_end(tmp);
    return name;
}

void omni_symbols_init(void)
{
    pthread_once(&g_tables_once, tables_init);
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
