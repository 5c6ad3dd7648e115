/* stack.c — the execution environment: a thread with a big stack, and
 * stack overflow as a runtime error.
 *
 * OmniLisp promises non-tail recursion a million deep, so programs run on a
 * pthread whose stack is a large mmap reservation (MAP_NORESERVE: pages
 * cost memory only once touched) with a PROT_NONE guard region at its low
 * end.  A SIGSEGV/SIGBUS handler, running on an alternate signal stack
 * (the faulting stack is exhausted), recognises a fault inside the guard
 * region and reports "stack overflow (recursion too deep)", unwinding to the
 * innermost omni_try of that thread like any runtime error — but only when
 * the faulting instruction is compiled OmniLisp code, which holds no lock
 * and leaves no object half-changed at a stack access.  A fault in C code
 * (the runtime mid-transmigration, malloc holding its arena lock, stdio,
 * mmap...) is deferred instead: the handler unprotects the top of the guard
 * so that code can finish, and the error is raised at the next safe point
 * (omni_stack_check, or the next fault in compiled code).  Besides, the
 * runtime's stateful entry points check the stack against a soft limit
 * above the guard (omni_stack_check) and raise the error before touching
 * anything.  docs/RUNTIME.md ("The big stack") has the argument.  Any other
 * fault is a bug in the runtime or the compiler: "internal error" and abort.
 * Errors that unwind out of the big-stack thread are re-raised in the
 * calling thread (its omni_try, or exit status 1).
 */
#include "rt_core.h"
#include "smr.h"

#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

/* 1 GiB holds a million frames of up to ~1000 bytes; a runaway recursion
 * touches all of it before the error, so bigger is not free. */
#define BIG_STACK_SIZE   ((size_t)1 << 30)   /* reserved, not committed */
#define BIG_STACK_MIN    ((size_t)64 << 20)  /* smallest fallback if 4 GiB cannot be mapped */
#define WORKER_STACK_SIZE ((size_t)256 << 20) /* a thread started by `thread` */
#define GUARD_SIZE       ((size_t)16 << 20)  /* larger than any frame we make */
/* Deferred faults open the guard from its top, DEFER_STEP at a time (more
 * than any runtime C path needs below the point it faulted at); the lowest
 * GUARD_KEEP bytes always stay protected. */
#define DEFER_STEP       ((size_t)256 << 10)
#define GUARD_KEEP       ((size_t)4 << 20)
#if defined(OMNI_SANITIZE) || defined(OMNI_TSAN)
#define ALT_STACK_SIZE   ((size_t)1 << 20)   /* the sanitizer runtime needs room too */
#define SOFT_MARGIN      ((size_t)4 << 20)   /* instrumented frames are bigger */
#else
#define ALT_STACK_SIZE   ((size_t)256 << 10)
#define SOFT_MARGIN      ((size_t)1 << 20)
#endif
#define MAX_CODE_RANGES  8

/* omni_stack_check's limit (rt_core.h): guard top + SOFT_MARGIN on a big
 * stack, UINTPTR_MAX while a deferred overflow waits, 0 elsewhere. */
_Thread_local uintptr_t omni_tl_stack_limit;

static _Thread_local bool tl_on_big_stack;
static _Thread_local uintptr_t tl_guard_lo, tl_guard_hi;
static _Thread_local uintptr_t tl_open_lo;      /* guard is PROT_NONE below this */
static _Thread_local struct BigJob *tl_job;
#ifdef OMNI_SANITIZE
/* Lowest stack pointer an unwind started from: ASan does not unpoison the
 * frames a siglongjmp skips on a stack this big, so omni_stack_rearm does. */
static _Thread_local uintptr_t tl_unwind_lo;
#endif

typedef struct CodeRange { uintptr_t lo, hi; } CodeRange;

/* Compiled code that is part of an ELF object (an omni-llc executable's
 * module, a test's stand-in): registered before the program runs. */
static CodeRange g_code[MAX_CODE_RANGES];
static int g_ncode;

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

typedef struct BigJob {
    int (*fn)(void *);
    void *arg;
    int result;
    int raised;
    uintptr_t guard_lo, guard_hi;
    CodeRange *elf;      /* executable segments of every loaded ELF object */
    int nelf, capelf;
    bool elf_known;
} BigJob;

void omni_stack_code_range(uintptr_t lo, uintptr_t hi)
{
    if (lo < hi && g_ncode < MAX_CODE_RANGES) {
        g_code[g_ncode].lo = lo;
        g_code[g_ncode].hi = hi;
        g_ncode++;
    }
}

static int count_elf(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_LOAD && (info->dlpi_phdr[i].p_flags & PF_X))
            ++*(int *)data;
    return 0;
}

static int collect_elf(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    BigJob *j = data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        if (j->nelf == j->capelf) {
            j->elf_known = false; /* objects were loaded meanwhile: place nothing */
            return 1;
        }
        uintptr_t lo = (uintptr_t)(info->dlpi_addr + ph->p_vaddr);
        j->elf[j->nelf].lo = lo;
        j->elf[j->nelf].hi = lo + ph->p_memsz;
        j->nelf++;
    }
    return 0;
}

/* The ELF objects' code, read before the program runs (dl_iterate_phdr
 * takes a lock: not from the signal handler). */
static void elf_ranges(BigJob *j)
{
    int n = 0;
    dl_iterate_phdr(count_elf, &n);
    n += 8;
    j->elf = calloc((size_t)n, sizeof *j->elf);
    if (!j->elf)
        return;
    j->elf_known = true;
    j->nelf = 0;
    j->capelf = n;
    dl_iterate_phdr(collect_elf, j);
}

/* Is pc compiled OmniLisp code?  Positively: a registered range, or (JIT)
 * executable memory outside every ELF object.  Anything else — the
 * runtime, libc, the tools, code we cannot place — is not. */
static bool pc_is_compiled(uintptr_t pc)
{
    if (pc == 0)
        return false;
    for (int i = 0; i < g_ncode; i++)
        if (pc >= g_code[i].lo && pc < g_code[i].hi)
            return true;
    BigJob *j = tl_job;
    if (!j || !j->elf_known)
        return false;
    for (int i = 0; i < j->nelf; i++)
        if (pc >= j->elf[i].lo && pc < j->elf[i].hi)
            return false;
    return true;
}

uintptr_t omni_context_pc(void *ctx)
{
    ucontext_t *uc = ctx;
#if defined(__x86_64__)
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    return (uintptr_t)uc->uc_mcontext.pc;
#else
    (void)uc;
    return 0; /* unknown machine: no compiled code is recognised (faults are deferred,
                 omni-jit's Ctrl-C waits for a second one) */
#endif
}

static uintptr_t page_size(void)
{
    static uintptr_t ps;
    if (!ps)
        ps = (uintptr_t)sysconf(_SC_PAGESIZE);
    return ps;
}

/* A fault at a in the protected part of the guard while C code runs:
 * open the guard down to DEFER_STEP below the faulting page and let the
 * instruction run again; the overflow is raised at the next safe point. */
static bool defer_fault(uintptr_t a)
{
    uintptr_t lo = (a & ~(page_size() - 1));
    lo = lo > tl_guard_lo + GUARD_KEEP + DEFER_STEP ? lo - DEFER_STEP : tl_guard_lo + GUARD_KEEP;
    if (lo >= tl_open_lo || a < lo)
        return false; /* the guard is used up */
    if (mprotect((void *)lo, tl_open_lo - lo, PROT_READ | PROT_WRITE) != 0)
        return false;
    tl_open_lo = lo;
    omni_tl_stack_limit = UINTPTR_MAX; /* every check raises it now */
    return true;
}

static void fault_handler(int sig, siginfo_t *si, void *uctx)
{
    uintptr_t a = (uintptr_t)si->si_addr;
    if (tl_guard_hi && a >= tl_guard_lo && a < tl_guard_hi) {
        if (!pc_is_compiled(omni_context_pc(uctx)) && defer_fault(a))
            return; /* C code finishes; the error comes at a safe point */
        /* Compiled code (or, as a last resort, the guard used up by C
         * code that recursed through it): unwind here.  The guard opened
         * by deferred faults is closed again by omni_try (omni_stack_rearm)
         * once the stack is back above it. */
        omni_tl_stack_limit = 0; /* no check fires while reporting */
#ifdef OMNI_SANITIZE
        {
            ucontext_t *uc = uctx;
#if defined(__x86_64__)
            uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
#else
            uintptr_t sp = a;
#endif
            if (!tl_unwind_lo || sp < tl_unwind_lo)
                tl_unwind_lo = sp;
        }
#endif
        omni_error_report(NULL, "stack overflow (recursion too deep)");
        omni_error_unwind(); /* siglongjmp restores the signal mask */
    }
    write_err(sig == SIGBUS ? "internal error: bus error\n" : "internal error: segmentation fault\n");
    signal(sig, SIG_DFL);
    abort();
}

_Noreturn void omni_stack_overflow(void)
{
    omni_tl_stack_limit = 0; /* reporting must not check again; omni_try rearms */
#ifdef OMNI_SANITIZE
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    if (!tl_unwind_lo || sp < tl_unwind_lo)
        tl_unwind_lo = sp;
#endif
    omni_raise(NULL, "stack overflow (recursion too deep)");
}

/* After an omni_try frame is done (normally or by an error): the soft
 * limit is back (a deferred overflow that no safe point reached before the
 * code returned is dropped: the code finished), and the guard opened by
 * deferred faults is protected again once no live frame can be in it. */
void omni_stack_rearm(void)
{
    if (!tl_guard_hi)
        return;
    omni_tl_stack_limit = tl_guard_hi + SOFT_MARGIN;
#ifdef OMNI_SANITIZE
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    if (tl_unwind_lo && tl_unwind_lo < here) {
        /* from below the deepest frame the unwind skipped (the opened
         * guard included: deferred C code ran there) to this frame */
        uintptr_t lo = tl_unwind_lo - (64 << 10);
        if (lo > tl_open_lo)
            lo = tl_open_lo;
        __asan_unpoison_memory_region((void *)lo, here - 256 - lo);
    }
    tl_unwind_lo = 0;
#endif
    if (tl_open_lo < tl_guard_hi && (uintptr_t)__builtin_frame_address(0) > tl_guard_hi + SOFT_MARGIN) {
        if (mprotect((void *)tl_open_lo, tl_guard_hi - tl_open_lo, PROT_NONE) == 0)
            tl_open_lo = tl_guard_hi;
    }
}

uintptr_t omni_stack_guard_top(void) { return tl_guard_hi; }
/* The part of the guard opened by deferred faults is usable stack too. */
uintptr_t omni_stack_usable_lo(void) { return tl_open_lo && tl_open_lo < tl_guard_hi ? tl_open_lo : tl_guard_hi; }

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
    tl_job = j;
    tl_guard_lo = j->guard_lo;
    tl_guard_hi = j->guard_hi;
    tl_open_lo = j->guard_hi;
    omni_tl_stack_limit = j->guard_hi + SOFT_MARGIN;
    /* Installed per run: a library (LLVM) may have replaced it since. */
    install_fault_handlers();
    omni_smr_thread_init(); /* a reader of the runtime's tables (smr.h) */
    j->raised = omni_try(job_call, j);
    omni_smr_thread_exit();
    omni_tl_stack_limit = 0;
    tl_guard_lo = tl_guard_hi = tl_open_lo = 0;
    tl_job = NULL;
    if (alt != MAP_FAILED) {
        ss.ss_flags = SS_DISABLE;
        sigaltstack(&ss, NULL);
        munmap(alt, ALT_STACK_SIZE);
    }
    return NULL;
}

/* Maps a stack of up to `size` bytes with its guard and starts fn(arg) on
 * it, in a thread that runs big_thread (j must stay valid until joined). */
static void big_start(BigJob *j, size_t size, pthread_t *th, char **base_out, size_t *size_out)
{
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
    j->guard_lo = (uintptr_t)base;
    j->guard_hi = (uintptr_t)base + GUARD_SIZE;
    elf_ranges(j);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstack(&attr, base + GUARD_SIZE, size - GUARD_SIZE);
    int rc = pthread_create(th, &attr, big_thread, j);
    pthread_attr_destroy(&attr);
    if (rc != 0)
        omni_internal_error("cannot start a thread");
    *base_out = base;
    *size_out = size;
}

static void big_unmap(char *base, size_t size)
{
#ifdef OMNI_SANITIZE
    /* An overflow unwound past frames ASan could not unpoison (it skips
     * stacks this big); clear their shadow before the range is reused. */
    __asan_unpoison_memory_region(base, size);
#endif
    munmap(base, size);
}

int omni_run_with_big_stack(int (*fn)(void *), void *arg)
{
    if (tl_on_big_stack)
        return fn(arg); /* already on one */
    BigJob job = { .fn = fn, .arg = arg };
    pthread_t th;
    char *base;
    size_t size;
    big_start(&job, BIG_STACK_SIZE, &th, &base, &size);
    /* blocked for the whole program: offline, or no grace period could end */
    omni_smr_offline();
    pthread_join(th, NULL);
    omni_smr_online();
    free(job.elf);
    big_unmap(base, size);
    if (job.raised)
        omni_error_unwind(); /* already reported: continue in this thread's omni_try */
    return job.result;
}

/* Threads of the language (rt/thread.c): the same environment (big stack,
 * guard, alternate signal stack, stack-overflow errors), started and
 * joined separately. */
struct OmniBigThread {
    BigJob job;
    pthread_t th;
    char *base;
    size_t size;
};

OmniBigThread *omni_big_thread_start(int (*fn)(void *), void *arg)
{
    OmniBigThread *t = calloc(1, sizeof *t);
    if (!t)
        omni_internal_error("out of memory (thread)");
    t->job.fn = fn;
    t->job.arg = arg;
    big_start(&t->job, WORKER_STACK_SIZE, &t->th, &t->base, &t->size);
    return t;
}

int omni_big_thread_join(OmniBigThread *t)
{
    omni_smr_offline(); /* a blocking wait (docs/SMR_FOR_RUNTIME_STRUCTURES.md) */
    pthread_join(t->th, NULL);
    omni_smr_online();
    int result = t->job.raised ? -1 : t->job.result;
    free(t->job.elf);
    big_unmap(t->base, t->size);
    free(t);
    return result;
}
