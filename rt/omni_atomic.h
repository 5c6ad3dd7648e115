/* omni_atomic.h — the runtime's atomics policy: every atomic operation of
 * the runtime goes through this header (test/lit/rt/atomic-policy.test
 * rejects a direct __atomic builtin or C11 atomic anywhere else).  Each
 * wrapper is named by what it does, its memory order and its type, and is
 * exactly the GCC/Clang builtin it wraps, so the generated code is the same
 * as a direct call.
 *
 * Policy (which order for what):
 *  relaxed  counters and hints that one thread (the owner) writes and other
 *           threads only read for statistics or as a hint that is checked
 *           again: a pool's seq/reclaimed/chunk counters and fast_key, a
 *           region's kids hint, its owner-side counters (external_rc,
 *           tether_count, scope_alive: written by the owner with relaxed
 *           stores so that is_dead's loads in other threads are race-free),
 *           the transmigration counters, and the first look at the pool's
 *           `remote` stack (the exchange that takes it is acquire).
 *  acquire/ publication: a region's state LIVE/DEAD (region.new stores LIVE
 *  release  with release; readers load it with acquire before using the
 *           control block), the remote hand-back stack (a push is a release
 *           CAS, the owner takes the whole stack with an acquire exchange),
 *           the LIVE→DEAD CAS (acq_rel, acquire on failure), loads of
 *           shared_rc that decide "nobody else holds it", and an atom's
 *           value (deref reads it without the atom lock).
 *  seq_cst  the Dekker pattern between the owner's plain counters and other
 *           threads' shared_rc (rt/region.c, "Threads."): every change of
 *           shared_rc is a seq_cst read-modify-write, and is_dead issues a
 *           seq_cst fence after the caller's own counter update and before
 *           it reads the four liveness counters, so of two threads that
 *           each drop the last reference, at least one sees all four at
 *           zero (the LIVE→DEAD CAS makes it exactly one).
 *
 * rt/region.h includes this header, and rt/hot.c (compiled to bitcode and
 * inlined into every compiled module) includes region.h: keep it light —
 * only <stdint.h> and <stdbool.h>, every function static inline, no
 * thread-locals, nothing that is not plain C11 plus GNU builtins.
 */
#ifndef OMNI_ATOMIC_H
#define OMNI_ATOMIC_H

#include <stdbool.h>
#include <stdint.h>

/* ---- relaxed: owner-written values read by others (statistics, hints) ---- */

/* A region's liveness counters, read by is_dead after its seq_cst fence
 * (the fence orders them; each load need only be atomic). */
static inline int32_t omni_load_relaxed_i32(const int32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Statistics counters of pools and transmigration, read by anyone. */
static inline uint64_t omni_load_relaxed_u64(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* A pool's fast_key: only equal to the thread pointer for the owner, who
 * wrote it itself. */
static inline uintptr_t omni_load_relaxed_uptr(const uintptr_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* The owner's update of its own liveness counters (external_rc,
 * tether_count, scope_alive): atomic only so other threads may read them. */
static inline void omni_store_relaxed_i32(int32_t *p, int32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELAXED);
}

/* The owner's statistics counters (chunk bytes, regions made/reclaimed). */
static inline void omni_store_relaxed_i64(int64_t *p, int64_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static inline void omni_store_relaxed_u64(uint64_t *p, uint64_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELAXED);
}

/* fast_key: set by the owner or under the pools' lock; others only compare. */
static inline void omni_store_relaxed_uptr(uintptr_t *p, uintptr_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELAXED);
}

/* Counters several threads bump (transmigration statistics): the sum is
 * all that matters, no ordering with anything else.  Returns the new value. */
static inline uint64_t omni_add_fetch_relaxed_u64(uint64_t *p, uint64_t v)
{
    return __atomic_add_fetch(p, v, __ATOMIC_RELAXED);
}

static inline uint64_t omni_sub_fetch_relaxed_u64(uint64_t *p, uint64_t v)
{
    return __atomic_sub_fetch(p, v, __ATOMIC_RELAXED);
}

/* A flag set once and never cleared, read as a hint that any order may see
 * late: a region's `pinned` (set by whatever thread makes an immortal
 * region hold it), the process's "threads have started" flag. */
static inline uint8_t omni_load_relaxed_u8(const uint8_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void omni_store_relaxed_u8(uint8_t *p, uint8_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static inline uint32_t omni_load_relaxed_u32(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* ---- acquire / release: publication ---------------------------------------- */

/* A region's state: LIVE is published with a release store once the
 * control block is filled in, so an acquire load that sees LIVE sees it. */
static inline uint32_t omni_load_acquire_u32(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void omni_store_release_u32(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* shared_rc read to decide that no other thread holds a region: acquire,
 * so what that thread did before its seq_cst decrement is visible. */
static inline int32_t omni_load_acquire_i32(const int32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* A word published by another thread (an atom's value, OVal). */
static inline uint64_t omni_load_acquire_u64(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* The LIVE→DEAD transition: a strong compare-and-swap, acq_rel on success
 * (exactly one thread wins and sees every earlier write to the region),
 * acquire on failure.  *expected gets the current value on failure. */
static inline bool omni_cas_acqrel_u32(uint32_t *p, uint32_t *expected, uint32_t desired)
{
    return __atomic_compare_exchange_n(p, expected, desired, false,
                                       __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* ---- pointers (type-generic: any T **; checked to point at a pointer) ---- */

#define OMNI_ATOMIC_PTR_CHECK_(pp) \
    _Static_assert(__builtin_classify_type(*(pp)) == 5 /* pointer_type_class */, \
                   "omni_*_ptr needs the address of a pointer")

/* Hints (a region's `kids` pool) and the first look at a remote stack. */
#define omni_load_relaxed_ptr(pp) \
    __extension__({ OMNI_ATOMIC_PTR_CHECK_(pp); __atomic_load_n((pp), __ATOMIC_RELAXED); })

#define omni_store_relaxed_ptr(pp, v) \
    __extension__({ OMNI_ATOMIC_PTR_CHECK_(pp); __atomic_store_n((pp), (v), __ATOMIC_RELAXED); })

/* Push on a lock-free stack: weak CAS (called in a loop), release on
 * success so the pushed node's contents are published, relaxed on failure
 * (the loop only retries with the new head). */
#define omni_cas_weak_release_ptr(pp, expected, desired)                           \
    __extension__({                                                                \
        OMNI_ATOMIC_PTR_CHECK_(pp);                                                \
        __atomic_compare_exchange_n((pp), (expected), (desired), true,             \
                                    __ATOMIC_RELEASE, __ATOMIC_RELAXED);           \
    })

/* Publication of a pointer (the global table's block array, rt/symbol.c):
 * a release store, read back with an acquire load. */
#define omni_store_release_ptr(pp, v) \
    __extension__({ OMNI_ATOMIC_PTR_CHECK_(pp); __atomic_store_n((pp), (v), __ATOMIC_RELEASE); })

#define omni_load_acquire_ptr(pp) \
    __extension__({ OMNI_ATOMIC_PTR_CHECK_(pp); __atomic_load_n((pp), __ATOMIC_ACQUIRE); })

/* A count that publishes the entries below it (the global table): release
 * store after the entry is complete, acquire load before reading it. */
static inline void omni_store_release_u64(uint64_t *p, uint64_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* Take a whole lock-free stack: acquire pairs with the pushes' release. */
#define omni_exchange_acquire_ptr(pp, v) \
    __extension__({ OMNI_ATOMIC_PTR_CHECK_(pp); __atomic_exchange_n((pp), (v), __ATOMIC_ACQUIRE); })

/* ---- seq_cst: atoms ----------------------------------------------------------------
 * An atom's cell once threads run (rt/b_coll.c): every write is a seq_cst
 * store or compare-and-swap, so all threads agree on one order of an
 * atom's writes and each swap! is linearisable. */
static inline bool omni_cas_seqcst_u64(uint64_t *p, uint64_t *expected, uint64_t desired)
{
    return __atomic_compare_exchange_n(p, expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static inline void omni_store_seqcst_u64(uint64_t *p, uint64_t v)
{
    __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

/* ---- seq_cst: the Dekker pattern of the liveness counters ------------------ */

/* Another thread's change of shared_rc: seq_cst, one side of the Dekker
 * pattern with the owner's plain counters (the fence is the other side). */
static inline int32_t omni_add_fetch_seqcst_i32(int32_t *p, int32_t v)
{
    return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST);
}

static inline int32_t omni_sub_fetch_seqcst_i32(int32_t *p, int32_t v)
{
    return __atomic_sub_fetch(p, v, __ATOMIC_SEQ_CST);
}

/* Orders the caller's own counter update before its loads of the other
 * counters (is_dead). */
static inline void omni_fence_seqcst(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

#endif /* OMNI_ATOMIC_H */
