/* omni.h — the OmniLisp runtime ABI.
 *
 * This header is the contract between compiled OmniLisp code (emitted by
 * llvm_backend/), the hot helpers compiled to bitcode (rt/hot.c) and the rest
 * of the runtime library (libomni_rt.a).  It fixes the value representation,
 * the object layouts, the calling convention of compiled functions and of
 * built-ins, and the region / error entry points.  Everything here is plain
 * C: no LLVM, no frontend types.
 */
#ifndef OMNI_H
#define OMNI_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Values: tagged 64-bit words.
 *
 *   ...xxx1   fixnum: 63-bit signed integer n stored as (n << 1) | 1.
 *             a + b  = a + (b - 1); a - b = a - b + 1 (no untagging).
 *   ...x000   pointer to a boxed object with a header (8-byte aligned,
 *             never NULL).
 *   ...x100   pointer to a pair + 4.  A pair is two words, car and cdr,
 *             with no header: the tag says its type.  Lists are most of
 *             what a Lisp allocates, so they take 16 bytes, not 24.
 *   ...x010   special constants (false, true, (), nothing, unbound).
 *   ...x110   character: code point << 3 | 6.
 * A heap reference (boxed object or pair) is exactly (v & 3) == 0.
 * ------------------------------------------------------------------------ */
typedef uint64_t OVal;

#define OMNI_FALSE    ((OVal)0x02)
#define OMNI_TRUE     ((OVal)0x0A)
#define OMNI_NIL      ((OVal)0x12) /* the empty list () */
#define OMNI_NOTHING  ((OVal)0x1A)
#define OMNI_UNBOUND  ((OVal)0x22) /* internal: an undefined global slot */

#define OMNI_FIX_MIN  (-((int64_t)1 << 62))
#define OMNI_FIX_MAX  (((int64_t)1 << 62) - 1)

static inline bool    omni_is_fix(OVal v)   { return (v & 1) != 0; }
static inline OVal    omni_fix(int64_t n)   { return ((uint64_t)n << 1) | 1; }
static inline int64_t omni_fixval(OVal v)   { return (int64_t)v >> 1; }
static inline bool    omni_is_ptr(OVal v)   { return (v & 7) == 0; } /* has an OHdr */
static inline bool    omni_is_pair(OVal v)  { return (v & 7) == 4; }
static inline bool    omni_is_ref(OVal v)   { return (v & 3) == 0; } /* boxed or pair */
static inline bool    omni_is_char(OVal v)  { return (v & 7) == 6; }
static inline OVal    omni_char(uint32_t c) { return ((uint64_t)c << 3) | 6; }
static inline uint32_t omni_charval(OVal v) { return (uint32_t)(v >> 3); }
static inline OVal    omni_bool(bool b)     { return b ? OMNI_TRUE : OMNI_FALSE; }
static inline bool    omni_truthy(OVal v)   { return v != OMNI_FALSE && v != OMNI_NOTHING; }

/* ------------------------------------------------------------------------
 * Boxed objects.  Every boxed object starts with an OHdr.  Type ids come
 * from rt/types.def (one X-macro row per type) and index the type registry.
 * ------------------------------------------------------------------------ */
typedef enum {
#define OMNI_TYPE(id, name, cstruct) OT_##id,
#include "types.def"
#undef OMNI_TYPE
    OT__COUNT
} OmniType;

typedef struct OHdr {
    uint32_t type;  /* OmniType */
    uint32_t flags; /* OHF_* */
} OHdr;

enum {
    OHF_STATIC = 1u << 0, /* lives in the immortal static region */
};

typedef struct Region Region;
typedef struct OmniLoc OmniLoc;
typedef struct OClosure OClosure;

typedef struct OPair   { OVal car, cdr; } OPair;   /* no header: tag 100 */
#define OMNI_PAIR_TAG 4
#define OMNI_PAIR(v)     ((OPair *)(uintptr_t)((v) - OMNI_PAIR_TAG))  /* v must be a pair */
#define OMNI_PAIR_VAL(p) ((OVal)(uintptr_t)(p) + OMNI_PAIR_TAG)
typedef struct OFloat  { OHdr h; double d; } OFloat;
typedef struct OString { OHdr h; int64_t len; char data[]; } OString; /* NUL-terminated, UTF-8 */
typedef struct OSymbol { OHdr h; uint64_t hash; int64_t len; char name[]; } OSymbol; /* interned, static */
typedef struct OArray  { OHdr h; int64_t len, cap; OVal *items; } OArray;  /* items: region memory */
typedef struct ODictEntry { OVal key, val; uint64_t hash; } ODictEntry;
typedef struct ODict {
    OHdr h;
    int64_t count;      /* live entries */
    int64_t used;       /* entries[] slots used (incl. removed: key == OMNI_UNBOUND) */
    int64_t cap;        /* entries[] capacity */
    int64_t nindex;     /* index[] size (power of two), 0 if none */
    ODictEntry *entries;/* insertion order */
    int32_t *index;     /* open addressing: -1 empty, -2 deleted, else entry number */
} ODict;
typedef struct OAtom   { OHdr h; OVal val; } OAtom;
typedef struct OBox    { OHdr h; OVal val; } OBox;   /* a captured variable that is assigned */
/* A caught error (`try`, rt/b_error.c): immutable once made. */
typedef struct OError  { OHdr h; OVal message, irritants; } OError; /* a String, a list */
/* A thread handle and a channel (rt/thread.c): the object is a handle on
 * a core outside every region, shared by identity between threads. */
typedef struct OmniThreadCore OmniThreadCore;
typedef struct OmniChanCore OmniChanCore;
typedef struct OThread { OHdr h; OmniThreadCore *core; } OThread;
typedef struct OChan   { OHdr h; OmniChanCore *core; } OChan;

/* Generic entry of a function value: C calling convention, any argument
 * count.  Checks arity (error at `loc`), builds the rest list, and calls the
 * body.  Used by apply, by built-ins that call functions (map, foldl, ...)
 * and by compiled code when the fast path does not apply. */
typedef OVal (*OmniGenericFn)(Region *r, OClosure *self, const OmniLoc *loc,
                              int64_t argc, OVal *argv);

/* A function value.  `code` is the fast entry of a compiled function of
 * exactly `fast_arity` value arguments:
 *     OVal code(Region *r, OClosure *self, OVal a0, ..., OVal a{n-1})
 * For n <= OMNI_FAST_PAD_ARGS it takes OMNI_FAST_PAD_ARGS values (the
 * unused ones are ignored) in LLVM's preserve_none convention; above, n
 * values in tailcc (llvm_backend/lb_emit.c, fast_type).
 * fast_arity is -1 when there is no such entry (built-ins, functions with a
 * rest parameter): callers then go through `generic`.  A function with a
 * rest parameter has `code` taking nreq + 1 arguments (the last is the list
 * of the rest), reached only through `generic`. */
enum { OMNI_FAST_PAD_ARGS = 8 };

struct OClosure {
    OHdr h;
    void *code;
    OmniGenericFn generic;
    int32_t fast_arity;  /* == argc → may call `code` directly */
    int32_t nreq;        /* required parameters */
    int32_t has_rest;    /* 1 if a rest parameter collects extras */
    int32_t nfree;       /* captured values in free[] */
    const char *name;    /* for #<fn name> and messages; static string */
    const void *builtin; /* OmniBuiltin* for built-ins, else NULL */
    OVal free[];
};

/* ------------------------------------------------------------------------
 * Source locations.  Compiled code passes a pointer to a constant OmniLoc
 * to every helper that can fail, so a runtime error names the failing call.
 * ------------------------------------------------------------------------ */
struct OmniLoc {
    const char *file;
    int32_t line, col;
    const char *fn;     /* the function the location is in (backtraces), or NULL */
    int32_t framed;     /* 1: that function keeps an OmniFrame (below) */
};

/* Backtraces (rt/error.c, docs/RUNTIME.md "Backtraces").  A compiled
 * function that makes non-tail calls keeps an OmniFrame in its stack frame,
 * linked into the thread's list while it runs; before each non-tail call it
 * stores the call's location in `site`.  Leaf functions keep none, a tail
 * call unlinks the caller's frame first.  The list head is the runtime's
 * thread-local omni_tl_frames (rt_core.h): compiled code for an object file
 * names it (initial-exec TLS); JIT code reaches it at this constant offset
 * from the thread pointer (static TLS of the executable, the same in every
 * thread). */
typedef struct OmniFrame {
    struct OmniFrame *prev;
    const OmniLoc *site;    /* the call being made, NULL before the first */
} OmniFrame;
intptr_t omni_frames_tls_offset(void);

/* ------------------------------------------------------------------------
 * Regions (rt/region.c).  Issue 2: every allocation may go into the caller's
 * result region; the control block already carries what CTRR needs.
 * ------------------------------------------------------------------------ */
Region *omni_region_new(Region *parent);      /* a scope region */
/* The same, naming the source location of the region.new for the
 * --region-stats report (omni_region_new: location unknown). */
Region *omni_region_new_at(Region *parent, const OmniLoc *loc);
/* Pending regions (docs/CTRR.md, "Pending result regions").  A compiled
 * function's scope region is made lazily, at its first use.  When all the
 * function would do with it is hand it to a compiled call as the callee's
 * result region, it passes a *pending* handle instead: the address of the
 * region's cell in its frame, plus 1.  The callee makes the region only
 * if it allocates something there (omni_region_resolve); a call that
 * returns a fixnum never does, so a recursion such as nqueens' makes no
 * region at all.  The cell outlives every use of the handle: it is in the
 * frame of the function whose scope region it is, which exits the region
 * (if made) only after its calls returned.  Only compiled bodies (fast
 * entries) ever see a pending handle; C runtime functions always get a
 * real Region * (compiled code resolves first). */
typedef struct OmniPendingRegion {
    Region *made;            /* the region once made, else NULL */
    Region *parent;          /* its parent: a region or another pending handle */
    const OmniLoc *loc;      /* the region.new, for --region-stats */
} OmniPendingRegion;
static inline bool omni_region_is_pending(const Region *h) { return ((uintptr_t)h & 1) != 0; }
/* A real region for handle h: h itself, or the pending region made now
 * (with its pending ancestors) or earlier. */
Region *omni_region_resolve(Region *h);
Region *omni_region_resolve_slow(Region *h);
/* Generic two-operand arithmetic (any numbers; fixnum overflow is an
 * error): the slow paths of compiled + - * (rt/num.c). */
OVal    omni_num_add(Region *r, const OmniLoc *loc, OVal a, OVal b);
OVal    omni_num_sub(Region *r, const OmniLoc *loc, OVal a, OVal b);
OVal    omni_num_mul(Region *r, const OmniLoc *loc, OVal a, OVal b);
/* The same when the operands are not both fixnums: Floats (and an Int with
 * a Float) inline from rt/hot.c's bitcode, the rest as above. */
OVal    omni_add2_nonfix(Region *r, const OmniLoc *loc, OVal a, OVal b);
OVal    omni_sub2_nonfix(Region *r, const OmniLoc *loc, OVal a, OVal b);
OVal    omni_mul2_nonfix(Region *r, const OmniLoc *loc, OVal a, OVal b);
/* n fresh pairs, contiguous, headers set, fields unset until filled
 * (compiled code's reserved list cells, rt/hot.c). */
OVal    omni_pairs_reserve(Region *r, int64_t n);
void    omni_region_exit(Region *r);          /* scope ends: scope_alive = 0 */
void    omni_region_retain(Region *r);        /* external_rc++ */
void    omni_region_release(Region *r);       /* external_rc-- */
void    omni_region_tether(Region *r);        /* tether_count++ */
void    omni_region_untether(Region *r);      /* tether_count-- */
Region *omni_region_of(OVal v);               /* NULL for immediates and static objects */
Region *omni_region_global(void);             /* the program's outermost region */
void   *omni_region_alloc_slow(Region *r, size_t n);
OVal    omni_transmigrate(OVal v, Region *from, Region *to);
/* Loop carry regions (docs/CTRR.md, "Loops"): at a loop's back edge, k
 * is returned unchanged while it grew less than max(64 KiB, 2 x its live
 * size after the last carry); otherwise the values args[0..n-1] reach in k
 * are moved (one transmigration, sharing kept) into a new child of parent,
 * args rewritten in place, k exited, and the new region returned. */
Region *omni_region_carry(Region *k, Region *parent, int64_t n, OVal *args);
/* Moves what args[0..n-1] reach in k into `to` (one transmigration,
 * args rewritten in place), then exits k: a loop leaving by a call. */
void    omni_region_leave(Region *k, Region *to, int64_t n, OVal *args);

/* ------------------------------------------------------------------------
 * Errors (rt/error.c).  All are noreturn: they print
 *     error: <message>
 *       at <file>:<line>:<col>
 * and unwind to the innermost recovery point (REPL) or exit(1).
 * ------------------------------------------------------------------------ */
_Noreturn void omni_raise(const OmniLoc *loc, const char *fmt, ...);
_Noreturn void omni_err_type(const OmniLoc *loc, const char *who, const char *expected, OVal got);
_Noreturn void omni_err_unbound(const OmniLoc *loc, const char *name);
_Noreturn void omni_err_arity(const OmniLoc *loc, OVal fn, int64_t got);
_Noreturn void omni_err_not_fn(const OmniLoc *loc, OVal v);
_Noreturn void omni_err_overflow(const OmniLoc *loc, const char *who);
_Noreturn void omni_err_divzero(const OmniLoc *loc, const char *who);
_Noreturn void omni_err_param_type(const OmniLoc *loc, const char *fn, const char *param,
                                   const char *expected, OVal got);

/* ------------------------------------------------------------------------
 * Calls and globals.
 * ------------------------------------------------------------------------ */
/* Call any function value with argc arguments (C convention). */
OVal omni_apply(Region *r, const OmniLoc *loc, OVal fn, int64_t argc, OVal *argv);
/* A global's slot, created (holding OMNI_UNBOUND) on first use.  Slots never
 * move, so compiled code may cache the pointer. */
OVal *omni_global_slot(const char *name);
const char *omni_global_name(OVal *slot);      /* for the unbound message */
/* Iterate global names (REPL completion).  Returns NULL past the end. */
const char *omni_global_name_at(size_t i);

/* Interned symbol (static, immortal). */
OVal omni_intern(const char *name, int64_t len);
/* A literal string in the static region. */
OVal omni_static_string(const char *bytes, int64_t len);
OVal omni_static_float(double d);
OVal omni_static_cons(OVal car, OVal cdr);
OVal omni_static_array(int64_t n, const OVal *items);
OVal omni_static_dict(int64_t n, const OVal *kvs); /* n pairs, kvs[2n] */

/* Closures.  Allocated in r with nfree uninitialised free slots. */
OVal omni_make_closure(Region *r, void *code, OmniGenericFn generic, int32_t nreq,
                       int32_t has_rest, const char *name, int32_t nfree);

/* ------------------------------------------------------------------------
 * Built-ins (rt/builtins.def, one row each).  C ABI:
 *   fixed arity n:  OVal omni_b_<cname>(Region *r, const OmniLoc *loc, OVal a0, ..., OVal a{n-1})
 *   variadic:       OVal omni_bv_<cname>(Region *r, const OmniLoc *loc, int64_t argc, OVal *argv)
 * `r` is the region the result must live in.
 * ------------------------------------------------------------------------ */
typedef enum { OB_FIXED = 0, OB_VARIADIC = 1 } OmniBuiltinKind;

typedef struct OmniBuiltin {
    const char *name;   /* OmniLisp name, e.g. "string-length" */
    const char *cname;  /* C symbol, e.g. "omni_b_string_length" */
    void *fn;
    int16_t min, max;   /* arity; max == -1: unbounded */
    uint8_t kind;       /* OmniBuiltinKind */
    uint8_t flags;      /* OBF_* */
} OmniBuiltin;

enum {
    OBF_ALLOC = 1,  /* may allocate in r */
    OBF_HOT   = 2,  /* defined in rt/hot.c: inlined from bitcode */
    OBF_CALLS = 4,  /* may call function values */
    OBF_HIDDEN = 8, /* internal, used by expansions; not a global name */
    OBF_NOREGION = 16, /* never reads r: compiled code passes NULL (no region is made for it) */
};

typedef enum {
#define OMNI_BUILTIN(name, cname, kind, min, max, flags) OMNI_BI_##cname,
#include "builtins.def"
#undef OMNI_BUILTIN
    OMNI_BI__COUNT
} OmniBuiltinId;

extern const OmniBuiltin omni_builtins[OMNI_BI__COUNT];

/* Declarations of every built-in's C function. */
#define OMNI_ARGS_0
#define OMNI_ARGS_1 , OVal
#define OMNI_ARGS_2 , OVal, OVal
#define OMNI_ARGS_3 , OVal, OVal, OVal
#define OMNI_BUILTIN(name, cname, kind, min, max, flags) OMNI_DECL_##kind(cname, min)
#define OMNI_DECL_OB_FIXED(cname, n) OVal omni_b_##cname(Region *, const OmniLoc * OMNI_ARGS_##n);
#define OMNI_DECL_OB_VARIADIC(cname, n) OVal omni_bv_##cname(Region *, const OmniLoc *, int64_t, OVal *);
#include "builtins.def"
#undef OMNI_BUILTIN

/* ------------------------------------------------------------------------
 * Type annotations on parameters: {Int} {Float} ... checked at call time.
 * ------------------------------------------------------------------------ */
typedef enum {
    OMNI_ANN_ANY = 0, OMNI_ANN_INT, OMNI_ANN_FLOAT, OMNI_ANN_STRING, OMNI_ANN_BOOL,
    OMNI_ANN_LIST, OMNI_ANN_ARRAY, OMNI_ANN_DICT, OMNI_ANN_FN, OMNI_ANN_SYMBOL,
    OMNI_ANN_CHAR, OMNI_ANN__COUNT
} OmniAnn;
/* Returns v, or raises "f: parameter x expects Int, got ..." */
OVal omni_check_param(OVal v, int32_t ann, const char *fn, const char *param, const OmniLoc *loc);

/* ------------------------------------------------------------------------
 * Hot helpers (rt/hot.c; inlined into compiled code from bitcode).
 * ------------------------------------------------------------------------ */
void *omni_alloc(Region *r, size_t n);               /* bump fast path, 8-byte aligned */
OVal  omni_make_float(Region *r, double d);
OVal  omni_box_new(Region *r, OVal v);
OVal  omni_box_get(OVal box);
void  omni_box_set(OVal box, OVal v);                /* through the store barrier */
/* Store barrier: every pointer store into a heap object or global slot.
 * `owner` is the object written into (0 for a global slot). */
void  omni_store(OVal owner, OVal *slot, OVal v);
/* Admission: v, or its repair, safe to become a field of a new object of r
 * (the compiler's `admit`; docs/CTRR.md, "The invariant"). */
OVal  omni_admit(Region *r, OVal v);
OVal  omni_global_get(OVal *slot, const OmniLoc *loc); /* unbound check */
void  omni_global_set(OVal *slot, OVal v, const OmniLoc *loc); /* set!: must be bound */
void  omni_global_def(OVal *slot, OVal v);
/* Fast-path check for compiled calls: returns the code pointer of `f` if it
 * is a closure with fast_arity == argc, else NULL (caller uses omni_apply). */
void *omni_fast_code(OVal f, int32_t argc);

/* Runtime start-up (types, symbols, globals, built-in values).  Idempotent. */
void omni_rt_init(int argc, char **argv);
/* At exit: flush output, print --region-stats if enabled. */
void omni_rt_fini(void);
/* Enable the per-region accounting report of omni_rt_fini (omni-jit
 * --region-stats; OMNI_REGION_STATS=1 in the environment does the same). */
void omni_set_region_stats(bool on);

/* Printing (rt/print.c). */
#include <stdio.h>
void omni_print(FILE *out, OVal v, bool write_form);
/* Returns a malloc'd string of v's display/write form. */
char *omni_to_cstring(OVal v, bool write_form);

/* Structural equality and hashing (rt/equal.c). */
bool     omni_equal(OVal a, OVal b);
uint64_t omni_hash(OVal v);

/* Type registry (rt/types.c): one TypeMeta per OmniType. */
typedef struct OmniTypeMeta {
    const char *name;
    size_t size;            /* fixed size, or header size for variable-length */
    size_t (*size_of)(OVal v);                          /* bytes of this object */
    OVal (*clone)(Region *to, OVal v);                  /* shallow copy into `to` */
    void (*trace)(OVal v, void (*visit)(OVal *slot, void *ctx), void *ctx); /* each OVal field */
    bool (*equal)(OVal a, OVal b);
    uint64_t (*hash)(OVal v);
    void (*print)(FILE *out, OVal v, bool write_form);
    /* Trace shape, for rewriting fields without a callback per field
     * (transmigrate.c): when fields_n >= 0, trace visits exactly the
     * fields_n OVal words at byte offset fields_off; -1: only `trace` knows
     * (variable or out-of-line fields).  A test checks it against trace. */
    int16_t fields_off, fields_n;
    /* Shared between threads by identity (atoms, channels, thread
     * handles): a copy made while threads run keeps the object itself
     * (rt/transmigrate.c, docs/REGION_THREADING_MODEL.md). */
    bool by_identity;
} OmniTypeMeta;
extern const OmniTypeMeta omni_types[OT__COUNT];

static inline uint32_t omni_type_of_ptr(OVal v) { return ((OHdr *)(uintptr_t)v)->type; }
/* Type of a heap reference (omni_is_ref): pairs by their tag, the rest by
 * their header. */
static inline uint32_t omni_type_of_ref(OVal v)
{
    return omni_is_pair(v) ? (uint32_t)OT_PAIR : omni_type_of_ptr(v);
}
static inline bool omni_is_type(OVal v, uint32_t t)
{
    if (t == OT_PAIR)
        return omni_is_pair(v);
    return omni_is_ptr(v) && omni_type_of_ptr(v) == t;
}

/* ------------------------------------------------------------------------
 * Execution environment (rt/stack.c): run `fn(arg)` on a thread with a big
 * stack (guard page + alternate signal stack).  Runtime errors and stack
 * overflow inside `fn` unwind to the innermost omni_try.
 * ------------------------------------------------------------------------ */
int  omni_run_with_big_stack(int (*fn)(void *), void *arg);
/* The interrupted instruction's address in a signal handler's ucontext_t
 * (0 on a machine this does not know).  Async-signal-safe. */
uintptr_t omni_context_pc(void *ctx);
/* Makes blocking runtime reads (read-line's wait for stdin) interruptible:
 * when a signal ends the wait, `fn()` is asked whether it was an interrupt
 * the embedder wants honoured (true: it is taken, and the read raises the
 * runtime error "interrupted"); NULL (the default): waits go on. */
void omni_set_interrupt_poll(bool (*fn)(void));
/* Run `fn(arg)`; returns 0 if it finished, 1 if it raised an error (already
 * printed).  Nestable. */
int  omni_try(void (*fn)(void *), void *arg);

#ifdef __cplusplus
}
#endif
#endif
