/* smr.h — safe memory reclamation for the runtime's internal tables
 * (liburcu, QSBR flavour).  Internal to rt/: not part of omni.h, and
 * compiled code never sees it.  docs/SMR_FOR_RUNTIME_STRUCTURES.md.
 *
 * What it protects: the nodes and arrays of the symbol intern table and the
 * global table (symbol.c): their rculfhash bucket tables and the array of
 * global blocks.  Readers walk them without a lock; writers take the
 * table's mutex, publish with rcu_assign_pointer (or cds_lfht_add_unique)
 * and retire old memory with call_rcu.  It is not a heap collector: Lisp
 * values live in regions (region.c), symbols and global entries are never
 * freed.
 *
 * QSBR contract, per thread:
 *   - A thread that reads the tables is registered.  omni_rt_init registers
 *     the thread that calls it; any other thread is registered lazily by its
 *     first lookup (omni_smr_read_begin), and unregistered by a thread-exit
 *     destructor, so an unregistered caller never crashes.  A thread the
 *     runtime starts calls omni_smr_thread_init first and
 *     omni_smr_thread_exit last (both idempotent).
 *   - A registered, online thread delays every reclamation until it reports
 *     a quiescent state: omni_smr_quiescent(), at a point where it holds no
 *     pointer into a table (omni-jit: after each REPL input / top-level
 *     form; a new symbol or global: after its insertion; the threads work:
 *     before a blocking recv/join).
 *   - Around a wait that may block (pthread_join, a channel recv, a
 *     condition variable), a thread goes offline: omni_smr_offline() ...
 *     omni_smr_online().  Offline threads are ignored by grace periods;
 *     a lookup made while offline goes online for its duration.  The pair
 *     nests.
 *   - Nothing in the runtime calls synchronize_rcu: a writer that waited
 *     for a grace period while another thread blocks online on it would
 *     deadlock.  Retirement is call_rcu (liburcu's call_rcu thread frees
 *     after the grace period).
 */
#ifndef OMNI_SMR_H
#define OMNI_SMR_H

#ifndef _LGPL_SOURCE
#define _LGPL_SOURCE /* inline rcu_read_lock / rcu_quiescent_state */
#endif
#include <urcu-qsbr.h>

#include <stdbool.h>

/* This thread: 1 when registered and online (the fast path of a lookup). */
extern __thread int omni_smr_tl_online;

void omni_smr_thread_init(void);  /* register (idempotent); online */
void omni_smr_thread_exit(void);  /* unregister (idempotent) */
void omni_smr_quiescent(void);    /* no table pointer held: report it */
void omni_smr_offline(void);      /* before a blocking wait (nests) */
void omni_smr_online(void);       /* after it */

/* Slow path of omni_smr_read_begin: register, or go online for one read. */
bool omni_smr_read_begin_slow(void);

/* A read-side section around one table operation.  Returns whether the
 * thread went online just for it; pass that to omni_smr_read_end. */
static inline bool omni_smr_read_begin(void)
{
    bool tmp = false;
    if (__builtin_expect(!omni_smr_tl_online, 0))
        tmp = omni_smr_read_begin_slow();
    rcu_read_lock();
    return tmp;
}

static inline void omni_smr_read_end(bool tmp)
{
    rcu_read_unlock();
    if (__builtin_expect(tmp, 0))
        rcu_thread_offline();
}

/* ThreadSanitizer does not see liburcu's barriers (inline assembly and an
 * uninstrumented library): the publication points say what they order. */
#ifdef OMNI_TSAN
#include <sanitizer/tsan_interface.h>
#define OMNI_TSAN_RELEASE(p) __tsan_release((void *)(p))
#define OMNI_TSAN_ACQUIRE(p) __tsan_acquire((void *)(p))
#else
#define OMNI_TSAN_RELEASE(p) ((void)(p))
#define OMNI_TSAN_ACQUIRE(p) ((void)(p))
#endif

#endif
