/* stack.c — the execution environment: a thread with a big stack, and
 * stack overflow as a runtime error.
 *
 * OmniLisp promises non-tail recursion a million deep, so programs run on a
 * pthread whose stack is a large mmap reservation (MAP_NORESERVE: pages
 * cost memory only once touched) with a PROT_NONE guard region at its low
 * end.  A SIGSEGV/SIGBUS handler, running on an alternate signal stack
 * (the faulting stack is exhausted), recognises a fault inside the guard
 * region, reports "stack overflow (recursion too deep)" and unwinds to the
 * innermost omni_try of that thread like any runtime error.  Any other
 * fault is a bug in the runtime or the compiler: "internal error" and abort.
 * Errors that unwind out of the big-stack thread are re-raised in the
 * calling thread (its omni_try, or exit status 1).
 */
#include "rt_core.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* 1 GiB holds a million frames of up to ~1000 bytes; a runaway recursion
 * touches all of it before the error, so bigger is not free. */
#define BIG_STACK_SIZE   ((size_t)1 << 30)   /* reserved, not committed */
#define BIG_STACK_MIN    ((size_t)64 << 20)  /* smallest fallback if 4 GiB cannot be mapped */
#define GUARD_SIZE       ((size_t)16 << 20)  /* larger than any frame we make */
#ifdef OMNI_SANITIZE
#define ALT_STACK_SIZE   ((size_t)1 << 20)   /* the sanitizer runtime needs room too */
#else
#define ALT_STACK_SIZE   ((size_t)256 << 10)
#endif

static _Thread_local bool tl_on_big_stack;
static _Thread_local uintptr_t tl_guard_lo, tl_guard_hi;

#ifdef OMNI_SANITIZE
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
/* Let our SIGSEGV handler see stack overflows instead of ASan's, and keep
 * leak checking on. */
__attribute__((used, visibility("default"))) const char *__asan_default_options(void)
{
    return "handle_segv=0:handle_sigbus=0:allow_user_segv_handler=1:use_sigaltstack=0:detect_leaks=1";
}
#endif

static void write_err(const char *s)
{
    ssize_t r = write(2, s, strlen(s));
    (void)r;
}

static void fault_handler(int sig, siginfo_t *si, void *uctx)
{
    (void)uctx;
    uintptr_t a = (uintptr_t)si->si_addr;
    if (tl_guard_hi && a >= tl_guard_lo && a < tl_guard_hi) {
        omni_error_report(NULL, "stack overflow (recursion too deep)");
        omni_error_unwind(); /* siglongjmp restores the signal mask */
    }
    write_err(sig == SIGBUS ? "internal error: bus error\n" : "internal error: segmentation fault\n");
    signal(sig, SIG_DFL);
    abort();
}

static void install_fault_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fault_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}

typedef struct BigJob {
    int (*fn)(void *);
    void *arg;
    int result;
    int raised;
    uintptr_t guard_lo, guard_hi;
} BigJob;

static void job_call(void *p)
{
    BigJob *j = p;
    j->result = j->fn(j->arg);
}

static void *big_thread(void *p)
{
    BigJob *j = p;
    void *alt = mmap(NULL, ALT_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    stack_t ss = { .ss_sp = alt, .ss_size = ALT_STACK_SIZE, .ss_flags = 0 };
    if (alt != MAP_FAILED)
        sigaltstack(&ss, NULL);
    tl_on_big_stack = true;
    tl_guard_lo = j->guard_lo;
    tl_guard_hi = j->guard_hi;
    /* Installed per run: a library (LLVM) may have replaced it since. */
    install_fault_handlers();
    j->raised = omni_try(job_call, j);
    tl_guard_lo = tl_guard_hi = 0;
    if (alt != MAP_FAILED) {
        ss.ss_flags = SS_DISABLE;
        sigaltstack(&ss, NULL);
        munmap(alt, ALT_STACK_SIZE);
    }
    return NULL;
}

int omni_run_with_big_stack(int (*fn)(void *), void *arg)
{
    if (tl_on_big_stack)
        return fn(arg); /* already on one */
    size_t size = BIG_STACK_SIZE;
    char *base = MAP_FAILED;
    for (; size >= BIG_STACK_MIN; size /= 2) {
        base = mmap(NULL, size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
        if (base != MAP_FAILED)
            break;
    }
    if (base == MAP_FAILED)
        omni_internal_error("cannot map a stack for the program");
    if (mprotect(base, GUARD_SIZE, PROT_NONE) != 0)
        omni_internal_error("cannot protect the stack guard");

    BigJob job = { .fn = fn, .arg = arg,
                   .guard_lo = (uintptr_t)base, .guard_hi = (uintptr_t)base + GUARD_SIZE };
    pthread_attr_t attr;
    pthread_t th;
    pthread_attr_init(&attr);
    pthread_attr_setstack(&attr, base + GUARD_SIZE, size - GUARD_SIZE);
    int rc = pthread_create(&th, &attr, big_thread, &job);
    pthread_attr_destroy(&attr);
    if (rc != 0)
        omni_internal_error("cannot start the program thread");
    pthread_join(th, NULL);
#ifdef OMNI_SANITIZE
    /* An overflow unwound past frames ASan could not unpoison (it skips
     * stacks this big); clear their shadow before the range is reused. */
    __asan_unpoison_memory_region(base, size);
#endif
    munmap(base, size);
    if (job.raised)
        omni_error_unwind(); /* already reported: continue in this thread's omni_try */
    return job.result;
}
