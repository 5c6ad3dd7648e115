/* rt_core.h — private glue between the runtime core files (region.c,
 * error.c, stack.c, init.c, symbol.c, types.c ...).  Not for built-ins (they
 * use rt_internal.h) and not for compiled code (omni.h).
 */
#ifndef OMNI_RT_CORE_H
#define OMNI_RT_CORE_H

#include "rt_internal.h"
#include "region.h"

/* A broken runtime invariant (not a user error): prints
 * "internal error: ..." and aborts. */
_Noreturn void omni_internal_error(const char *fmt, ...);

/* error.c: report a runtime error (message, then location) and unwind. */
void omni_error_report(const OmniLoc *loc, const char *msg);
_Noreturn void omni_error_unwind(void);
/* The thread's innermost OmniFrame (omni.h), or NULL. */
extern _Thread_local OmniFrame *omni_tl_frames;
/* True when an omni_try is active on this thread. */
bool omni_try_active(void);

/* Stack overflow inside the runtime (stack.c, docs/RUNTIME.md "The big
 * stack").  omni_stack_check() is a safe point: called where a runtime
 * entry point has touched nothing yet, it raises "stack overflow (recursion
 * too deep)" when the stack is within the soft margin of the guard, or when
 * a fault in C code was deferred.  One thread-local load and a compare;
 * never in rt/hot.c (no thread-locals in compiled code). */
extern _Thread_local uintptr_t omni_tl_stack_limit;
_Noreturn void omni_stack_overflow(void);
static inline void omni_stack_check(void)
{
    if (__builtin_expect((uintptr_t)__builtin_frame_address(0) < omni_tl_stack_limit, 0))
        omni_stack_overflow();
}
/* omni_try's exits: soft limit back, guard opened by deferred faults closed. */
void omni_stack_rearm(void);
/* Code of compiled OmniLisp inside an ELF object (an omni-llc executable's
 * module): faults there unwind at once.  JIT code needs no registration. */
void omni_stack_code_range(uintptr_t lo, uintptr_t hi);
/* Lowest usable address of this thread's big stack (0 elsewhere). */
uintptr_t omni_stack_guard_top(void);
/* Lowest readable address of this thread's big stack: the guard's top, or
 * lower while deferred faults keep part of the guard open (0 elsewhere). */
uintptr_t omni_stack_usable_lo(void);
/* The message of the last runtime error raised on this thread ("" if none). */
const char *omni_last_error(void);
/* Where error messages go (stderr by default; tests redirect it). */
void omni_set_error_stream(FILE *f);

/* init.c: the arguments omni_rt_init received. */
int omni_rt_argc(void);
char **omni_rt_argv(void);

/* symbol.c: set up the intern and global tables. */
void omni_symbols_init(void);

/* dict.c: a dict built in region r (used by omni_static_dict too). */
OVal omni_dict_new_in(Region *r, int64_t cap, uint32_t flags);

/* num.c: Int/Float comparison used by equal.c and the hot slow paths. */
double omni_num_to_double(OVal v);

#endif
