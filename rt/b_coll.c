/* b_coll.c — the mutable collections' built-ins: arrays, dicts, atoms, and
 * the generic accessors get / put! that paths (p.name, v.[0]) expand to.
 * Every store of a value into a container goes through the runtime's
 * barrier-aware setters (omni_array_set/push, omni_dict_put,
 * omni_atom_set), never a raw write, so cross-region edges are counted.
 */
#include "b_common.h"

#include <pthread.h>

/* ---- arrays ---- */

/* Constructors initialise their new object's fields directly, like cons:
 * the compiler admitted every argument that may not live as long as r
 * (ir/pass_admit.c; a generic call admits its arguments for the region it
 * gives).  Through the barrier, a value of a region that outlives r in
 * time but is not its ancestor (a loop's carry region, for an array of a
 * let region) would be copied into r, and a load from the object would
 * then give a copy that dies with r (docs/CTRR.md, "The invariant"). */
OVal omni_bv_array(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    OVal a = omni_array_new(r, argc);
    OArray *arr = OMNI_PTR(OArray, a);
    for (int64_t i = 0; i < argc; i++)
        arr->items[i] = argv[i];
    arr->len = argc;
    return a;
}

OVal omni_bv_make_array(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    int64_t n = omni_want_fix(loc, "make-array", argv[0]);
    OVal fill = argc == 2 ? argv[1] : OMNI_NOTHING;
    if (n < 0)
        omni_raise(loc, "make-array: size must not be negative, got %lld", (long long)n);
    if (n > OMNI_MAX_ELEMENTS)
        omni_raise(loc, "make-array: size %lld is more than the limit of %lld",
                   (long long)n, (long long)OMNI_MAX_ELEMENTS);
    OVal a = omni_array_new(r, n);
    if (n == 0)
        return a;
    /* initialisation (see omni_bv_array): the fill was admitted */
    OArray *arr = OMNI_PTR(OArray, a);
    for (int64_t i = 0; i < n; i++)
        arr->items[i] = fill;
    arr->len = n;
    return a;
}

static _Noreturn void index_error(const OmniLoc *loc, const char *who, int64_t i,
                                  const char *what, int64_t len)
{
    omni_raise(loc, "%s: index %lld out of range for %s of length %lld", who, (long long)i, what,
               (long long)len);
}

/* (get c k [default]): array/list/string by Int index (out of range is an
 * error unless a default is given), dict by key (absent → default or
 * nothing). */
OVal omni_get_general(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    OVal c = argv[0], k = argv[1];
    bool has_dflt = argc == 3;
    OVal dflt = has_dflt ? argv[2] : OMNI_NOTHING;
    if (omni_is_type(c, OT_DICT))
        return omni_dict_get(c, k, dflt); /* notes the load (dict.c) */
    if (omni_is_type(c, OT_ARRAY)) {
        OArray *a = OMNI_PTR(OArray, c);
        int64_t i = omni_want_fix(loc, "get", k);
        if (i >= 0 && i < a->len) {
            omni_rs_note_load(a->items[i]);
            return a->items[i];
        }
        if (has_dflt)
            return dflt;
        index_error(loc, "get", i, "array", a->len);
    }
    if (omni_is_list_head(c)) {
        int64_t i = omni_want_fix(loc, "get", k);
        OVal p = c;
        for (int64_t j = 0; j < i && omni_is_type(p, OT_PAIR); j++)
            p = OMNI_PAIR(p)->cdr;
        if (i >= 0 && omni_is_type(p, OT_PAIR))
            return OMNI_PAIR(p)->car;
        int64_t n = omni_list_length(c);
        if (n < 0)
            omni_err_type(loc, "get", "List", c);
        if (has_dflt)
            return dflt;
        index_error(loc, "get", i, "list", n);
    }
    if (omni_is_type(c, OT_STRING)) {
        OString *s = OMNI_PTR(OString, c);
        int64_t i = omni_want_fix(loc, "get", k);
        int64_t off = i < 0 ? -1 : omni_utf8_offset(s->data, s->len, i);
        if (off >= 0 && off < s->len) {
            int len;
            return omni_char(omni_utf8_decode(s->data + off, s->len - off, &len));
        }
        if (has_dflt)
            return dflt;
        index_error(loc, "get", i, "string", omni_utf8_length(s->data, s->len));
    }
    omni_err_type(loc, "get", "Array, Dict, List or String", c);
}

/* (put! array i v) replaces an existing element (use push! to grow);
 * (put! dict k v) inserts or replaces.  Gives nothing. */
OVal omni_put_general(Region *r, const OmniLoc *loc, OVal c, OVal k, OVal v)
{
    if (omni_is_type(c, OT_DICT)) {
        omni_dict_put(c, k, v);
        return OMNI_NOTHING;
    }
    if (omni_is_type(c, OT_ARRAY)) {
        OArray *a = OMNI_PTR(OArray, c);
        int64_t i = omni_want_fix(loc, "put!", k);
        if (i < 0 || i >= a->len)
            index_error(loc, "put!", i, "array", a->len);
        omni_array_set(c, i, v);
        return OMNI_NOTHING;
    }
    omni_err_type(loc, "put!", "Array or Dict", c);
}

OVal omni_b_push(Region *r, const OmniLoc *loc, OVal a, OVal v)
{
    omni_want_array(loc, "push!", a);
    omni_array_push(a, v);
    return OMNI_NOTHING;
}

OVal omni_b_pop(Region *r, const OmniLoc *loc, OVal av)
{
    OArray *a = omni_want_array(loc, "pop!", av);
    if (a->len == 0)
        omni_raise(loc, "pop!: array is empty");
    OVal v = a->items[a->len - 1];
    omni_rs_note_load(v); /* handed out: its counted edge is kept (remember.c) */
    /* clear the slot through the barrier so a counted edge is released */
    omni_array_set(av, a->len - 1, OMNI_NOTHING);
    a->len--;
    return v;
}

OVal omni_b_array_to_list(Region *r, const OmniLoc *loc, OVal av)
{
    OArray *a = omni_want_array(loc, "array->list", av);
    for (int64_t i = 0; i < a->len; i++)
        omni_rs_note_load(a->items[i]);
    return omni_list_from(r, a->len, a->items);
}

OVal omni_b_list_to_array(Region *r, const OmniLoc *loc, OVal xs)
{
    int64_t n = omni_list_length(xs);
    if (n < 0)
        omni_err_type(loc, "list->array", "List", xs);
    OVal a = omni_array_new(r, n);
    for (OVal p = xs; p != OMNI_NIL; p = OMNI_PAIR(p)->cdr)
        omni_array_push(a, OMNI_PAIR(p)->car);
    return a;
}

/* ---- dicts ---- */

OVal omni_bv_dict(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    if (argc % 2 != 0)
        omni_raise(loc, "dict: expected key/value pairs, got an odd number of arguments (%lld)",
                   (long long)argc);
    OVal d = omni_dict_new(r, argc / 2);
    for (int64_t i = 0; i < argc; i += 2)
        omni_dict_init_put(d, argv[i], argv[i + 1]);  /* initialisation, see omni_bv_array */
    return d;
}

OVal omni_b_has(Region *r, const OmniLoc *loc, OVal d, OVal k)
{
    omni_want_dict(loc, "has?", d);
    return omni_bool(omni_dict_has(d, k));
}

/* Gives true if the key was present, false otherwise. */
OVal omni_b_remove(Region *r, const OmniLoc *loc, OVal d, OVal k)
{
    omni_want_dict(loc, "remove!", d);
    return omni_bool(omni_dict_remove(d, k));
}

/* Keys or values in insertion order; removed entries have key UNBOUND. */
static OVal dict_column(Region *r, const OmniLoc *loc, const char *who, OVal dv, bool want_keys)
{
    ODict *d = omni_want_dict(loc, who, dv);
    OVal out = OMNI_NIL;
    for (int64_t i = d->used - 1; i >= 0; i--) {
        ODictEntry *e = &d->entries[i];
        if (e->key != OMNI_UNBOUND) {
            omni_rs_note_load(want_keys ? e->key : e->val);
            out = omni_cons_in(r, want_keys ? e->key : e->val, out);
        }
    }
    return out;
}

OVal omni_b_keys(Region *r, const OmniLoc *loc, OVal d) { return dict_column(r, loc, "keys", d, true); }
OVal omni_b_values(Region *r, const OmniLoc *loc, OVal d) { return dict_column(r, loc, "values", d, false); }

/* ---- atoms ----
 * Atoms may be shared between threads.  Reads are atomic loads.
 *
 * While the program has one thread, every read-compare-write
 * (compare-and-set!, the commit of swap!, reset!) holds one process-wide
 * lock, so the compare and the barrier store (which releases what the old
 * value's slot counted) are one step.
 *
 * Once threads run (omni_mt, docs/REGION_THREADING_MODEL.md), a write is
 * lock-free: the new value is first made to live as long as the atom (the
 * barrier's repair, in a region of the writing thread), then installed
 * with one compare-and-swap on the atom's cell.  The old value is not
 * released (another thread may have just read it): it stays held, as
 * every overwritten value does while threads run.
 *
 * swap! calls f outside any lock and retries if the atom changed
 * meanwhile, as Clojure does, so f may run more than once under
 * contention.  Only another thread's write is contention: when every atom
 * write since f started was made by this thread (f itself did a reset!),
 * swap! commits as sequential code would, instead of retrying forever.
 * Writes are counted process-wide and per thread. */
static pthread_mutex_t atom_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t g_atom_writes;             /* atomic (relaxed) */
static _Thread_local uint64_t tl_atom_writes;

static void atom_count_write(void)
{
    omni_add_fetch_relaxed_u64(&g_atom_writes, 1);
    tl_atom_writes++;
}

static void atom_write_locked(OVal av, OVal v)
{
    omni_atom_set(av, v);
    atom_count_write();
}

static OVal atom_load(OAtom *a)
{
    OVal v = omni_load_acquire_u64(&a->val);
    omni_rs_note_load(v);
    return v;
}

/* Threads: v made to live as long as atom av (v itself, or its repair). */
static OVal atom_admit(OVal av, OVal v)
{
    if (!omni_is_ref(v))
        return v;
    Region *vr = omni_region_of(v), *ar = omni_region_of(av);
    if (!vr || vr->immortal || omni_region_outlives_inline(vr, ar))
        return v;
    return omni_admit_slow(ar, v);
}

/* Threads: the last value this thread wrote into an atom (swap! below). */
static _Thread_local OAtom *tl_last_atom;
static _Thread_local OVal tl_last_val;

/* Threads: one compare-and-swap of the atom's cell. */
static bool atom_cas_mt(OAtom *a, OVal expected, OVal nv)
{
    if (!omni_cas_seqcst_u64(&a->val, &expected, nv))
        return false;
    atom_count_write();
    tl_last_atom = a;
    tl_last_val = nv;
    return true;
}

static bool atom_cas(OVal av, OVal old, OVal new_val)
{
    if (omni_is_mt())
        return atom_cas_mt(OMNI_PTR(OAtom, av), old, atom_admit(av, new_val));
    pthread_mutex_lock(&atom_lock);
    bool ok = atom_load(OMNI_PTR(OAtom, av)) == old;
    if (ok)
        atom_write_locked(av, new_val);
    pthread_mutex_unlock(&atom_lock);
    return ok;
}

OVal omni_b_atom(Region *r, const OmniLoc *loc, OVal v)
{
    return omni_atom_new(r, v);
}

OVal omni_b_deref(Region *r, const OmniLoc *loc, OVal av)
{
    return atom_load(omni_want_atom(loc, "deref", av));
}

OVal omni_b_reset(Region *r, const OmniLoc *loc, OVal av, OVal v)
{
    OAtom *a = omni_want_atom(loc, "reset!", av);
    if (omni_is_mt()) {
        OVal nv = atom_admit(av, v);
        omni_store_seqcst_u64(&a->val, nv);
        atom_count_write();
        tl_last_atom = a;
        tl_last_val = nv;
        return v;
    }
    pthread_mutex_lock(&atom_lock);
    atom_write_locked(av, v);
    pthread_mutex_unlock(&atom_lock);
    return v;
}

/* (swap! a f extra...) stores and gives (f old extra...). */
OVal omni_bv_swap(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
{
    OAtom *a = omni_want_atom(loc, "swap!", argv[0]);
    OVal f = argv[1];
    omni_want_fn(loc, "swap!", f);
    OVal buf[4];
    int64_t n = argc - 1;
    OVal *args = omni_scratch(r, buf, 4, n);
    for (int64_t i = 2; i < argc; i++)
        args[i - 1] = argv[i];
    for (;;) {
        uint64_t g0 = omni_load_relaxed_u64(&g_atom_writes), t0 = tl_atom_writes;
        OVal old = atom_load(a);
        args[0] = old;
        OVal nv = omni_apply(r, loc, f, n, args);
        bool ok;
        if (omni_is_mt()) {
            /* f's own write to this atom is not contention: when the cell
             * still holds what this thread last wrote into it during f,
             * commit over it (a write counter cannot tell, as another
             * thread counts its write only after its compare-and-swap) */
            OVal stored = atom_admit(argv[0], nv);
            ok = atom_cas_mt(a, old, stored);
            if (!ok && tl_atom_writes != t0 && tl_last_atom == a)
                ok = atom_cas_mt(a, tl_last_val, stored);
        } else {
            pthread_mutex_lock(&atom_lock);
            bool mine = omni_load_relaxed_u64(&g_atom_writes) - g0 == tl_atom_writes - t0;
            ok = mine || atom_load(a) == old;
            if (ok)
                atom_write_locked(argv[0], nv);
            pthread_mutex_unlock(&atom_lock);
        }
        if (ok)
            return nv;
    }
}

/* Compares by identity (eq?), as Clojure's compare-and-set! does. */
OVal omni_b_compare_and_set(Region *r, const OmniLoc *loc, OVal av, OVal old, OVal nv)
{
    omni_want_atom(loc, "compare-and-set!", av);
    return omni_bool(atom_cas(av, old, nv));
}
