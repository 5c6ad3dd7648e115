/* omni-jit.c — run OmniLisp through the ORC JIT: a script file, an -e
 * expression, piped input, or the interactive REPL.
 *
 * Everything runs on the runtime's big-stack thread (so deep recursion
 * works) and every evaluation inside omni_try (so a runtime error ends that
 * evaluation, not the process).  A script is one unit and one module; piped
 * and REPL input is cut into top-level forms, each its own unit, so one
 * failing form does not stop the next and every earlier definition stays.
 * The interactive REPL (libedit: multi-line input, history, completion,
 * :commands) shares the evaluation path; the hidden --bench-latency mode
 * times that same path in-process (test/bench/repl_latency.py measures the
 * real REPL through a pty).
 */
#include <errno.h>
#include <histedit.h>
#include <link.h>
#include <locale.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "../llvm_backend/lb.h"
#include "../rt/rt_internal.h"
#include "../rt/smr.h"
#include "driver.h"

#define TOOL "omni-jit"

typedef enum { MODE_REPL, MODE_PIPE, MODE_FILE, MODE_EXPR, MODE_BENCH } JitMode;

typedef struct JitState {
    JitMode mode;
    DrvOptions opt;
    DrvCompiler comp;
    LbJit *jit;
    const char *file;       /* MODE_FILE */
    const char *expr;       /* MODE_EXPR */
    int bench_n;            /* MODE_BENCH: inputs of each kind */
    const char *perf_map;   /* --perf-map[=PATH]: the perf map's path, or NULL */
    char perf_map_buf[64];  /* the default path, /tmp/perf-PID.map */
    double t_main;          /* clock at main() entry (start-up measurement) */
    double t_front, t_back, t_run;  /* seconds spent per phase (for --bench-latency) */
    /* REPL */
    bool keep_rir;          /* keep the printed RIR of the last input for :rir */
    char *last_rir;         /* malloc'd */
    char *rir_acc;          /* RIR of the input being evaluated (several forms) */
    size_t rir_acc_len;
    int line_offset;        /* lines of REPL/piped input before the current one */
} JitState;

/* ------------------------------------------------------------ Ctrl-C */

/* At the prompt Ctrl-C interrupts the terminal read (no SA_RESTART) and the
 * REPL drops the pending input.  While an input runs, Ctrl-C stops it with
 * the runtime error "interrupted", unwinding to the input's omni_try as any
 * runtime error does.  Unwinding from a signal handler is only safe where
 * the interrupted code holds no lock and is between consistent states, so
 * it happens only when the interrupted instruction is JIT-compiled code
 * (anonymous memory, outside every loaded ELF object: not libc's malloc or
 * stdio, not the runtime's C code with its mutexes); elsewhere a 0.5 ms
 * timer retries until the program is back in compiled code.  A blocking
 * read of the runtime (read-line waiting for the terminal) is such a
 * place: the signal ends its wait, it takes the pending interrupt through
 * repl_take_interrupt and raises "interrupted" itself.  A Ctrl-C after one
 * has waited 2 s ends the process, as a last resort. */
static volatile sig_atomic_t repl_interrupted;  /* Ctrl-C at the prompt */
static volatile sig_atomic_t in_eval;           /* an input's entry is running */
static volatile sig_atomic_t intr_pending;      /* waiting to land in compiled code */
static double intr_since;                       /* when the pending Ctrl-C came */
static pthread_t repl_thread;
static timer_t intr_timer;
static bool have_intr_timer;

typedef struct CodeRange { uintptr_t lo, hi; } CodeRange;
static CodeRange code_ranges[512];
static int ncode_ranges;
static bool code_ranges_full;   /* too many objects: never claim JIT code */

static int collect_code_range(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        if (ncode_ranges == (int)(sizeof code_ranges / sizeof code_ranges[0])) {
            code_ranges_full = true;
            return 1;
        }
        uintptr_t lo = (uintptr_t)(info->dlpi_addr + ph->p_vaddr);
        code_ranges[ncode_ranges++] = (CodeRange){ lo, lo + ph->p_memsz };
    }
    return 0;
}

static bool pc_is_jit_code(uintptr_t pc)
{
    if (pc == 0 || code_ranges_full)
        return false;
    for (int i = 0; i < ncode_ranges; i++)
        if (pc >= code_ranges[i].lo && pc < code_ranges[i].hi)
            return false;
    return true;
}

/* clock_gettime is async-signal-safe (drv_now is the same clock) */
static double now_seconds(void)
{
    return drv_now();
}

static void intr_timer_arm(bool on)
{
    if (!have_intr_timer)
        return;
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    if (on)
        its.it_value.tv_nsec = 500 * 1000;
    timer_settime(intr_timer, 0, &its, NULL);
}

static void repl_on_sigint(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    if (!pthread_equal(pthread_self(), repl_thread)) {
        pthread_kill(repl_thread, SIGINT);   /* e.g. a program's own thread got it */
        return;
    }
    bool retry = si && si->si_code == SI_TIMER;
    if (!in_eval) {
        intr_pending = 0;
        if (!retry)
            repl_interrupted = 1;
        return;
    }
    if (retry && !intr_pending)
        return;     /* a late timer signal: the interrupt was already taken */
    if (!retry && intr_pending && now_seconds() - intr_since > 2.0) {
        static const char msg[] = "\nomni-jit: the program does not stop; exiting\n";
        ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)w;
        signal(SIGINT, SIG_DFL);
        raise(SIGINT);
        return;
    }
    if (!pc_is_jit_code(omni_context_pc(ctx))) {
        if (!intr_pending)
            intr_since = now_seconds();
        intr_pending = 1;
        intr_timer_arm(true);
        return;
    }
    intr_pending = 0;
    in_eval = 0;
    omni_raise(NULL, "interrupted");
}

/* The runtime's interruptible wait asks this after a signal (in the eval
 * thread, outside the handler).  Clearing intr_pending first makes a timer
 * signal that still comes a no-op. */
static bool repl_take_interrupt(void)
{
    if (!intr_pending)
        return false;
    intr_pending = 0;
    intr_timer_arm(false);
    return true;
}

/* The prompt wants reads interrupted; running code wants its system calls
 * restarted (a Ctrl-C that has to wait must not make a write fail). */
static void repl_sigint_mode(bool at_prompt)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_sigaction = repl_on_sigint;
    sa.sa_flags = SA_SIGINFO | (at_prompt ? 0 : SA_RESTART);
    sigaction(SIGINT, &sa, NULL);
}

static void repl_signals_init(void)
{
    repl_thread = pthread_self();
    ncode_ranges = 0;
    code_ranges_full = false;
    dl_iterate_phdr(collect_code_range, NULL);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = SIGINT;
#ifdef sigev_notify_thread_id
    sev.sigev_notify_thread_id = gettid();
#else
    sev._sigev_un._tid = gettid();   /* glibc before 2.39 has no name for it */
#endif
    have_intr_timer = timer_create(CLOCK_MONOTONIC, &sev, &intr_timer) == 0;
    omni_set_interrupt_poll(repl_take_interrupt);
    /* the main thread keeps SIGINT blocked (see main), so it lands here */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

static void repl_signals_fini(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGINT, &sa, NULL);
    omni_set_interrupt_poll(NULL);
    if (have_intr_timer)
        timer_delete(intr_timer);
    have_intr_timer = false;
}

/* ------------------------------------------------------------ evaluation */

typedef struct EvalCall {
    LbEntryFn entry;
    bool echo;
    char *text;             /* write form of the value, malloc'd, or NULL */
} EvalCall;

static void eval_body(void *arg)
{
    EvalCall *c = arg;
    in_eval = 1;
    OVal v = c->entry(omni_region_global());
    in_eval = 0;
    if (c->echo && v != OMNI_NOTHING)
        c->text = omni_to_cstring(v, true);
}

/* Adds m to the JIT and runs its entry once.  Output of the program and the
 * echo both go through the runtime's output buffer, so they stay in order. */
static bool jit_eval(JitState *J, const RirModule *m, bool echo)
{
    char *err = NULL;
    double t0 = drv_now();
    LbEntryFn entry = lb_jit_add(J->jit, m, &err);
    double t1 = drv_now();
    J->t_back += t1 - t0;
    if (!entry) {
        drv_error(TOOL, "%s", err ? err : "JIT compilation failed");
        free(err);
        return false;
    }
    EvalCall call = { entry, echo, NULL };
    bool ok = omni_try(eval_body, &call) == 0;
    in_eval = 0;
    if (intr_pending) {
        /* the input finished before an interrupt could land */
        intr_pending = 0;
        intr_timer_arm(false);
    }
    if (ok && call.text) {
        omni_out_write(call.text, strlen(call.text));
        omni_out_write("\n", 1);
    }
    free(call.text);
    omni_out_flush();
    /* end of a top-level form: this thread holds no pointer into the
     * runtime's tables, so reclamation of their old memory may proceed */
    omni_smr_quiescent();
    J->t_run += drv_now() - t1;
    return ok;
}

static void rir_append(JitState *J, const RirModule *m)
{
    char *t = drv_module_text(m);
    if (!t)
        return;
    size_t n = strlen(t);
    char *acc = realloc(J->rir_acc, J->rir_acc_len + n + 1);
    if (acc) {
        memcpy(acc + J->rir_acc_len, t, n + 1);
        J->rir_acc = acc;
        J->rir_acc_len += n;
    }
    free(t);
}

/* Evaluates each top-level form of src as its own unit (REPL and piped
 * input).  Returns false if any form failed to read, compile or run. */
static bool jit_eval_forms(JitState *J, const char *file, const char *src, size_t len, bool echo)
{
    DrvUnit u;
    double t0 = drv_now();
    bool ok = drv_unit_read(&u, file, src, len, J->line_offset);
    J->t_front += drv_now() - t0;
    if (J->keep_rir) {
        free(J->rir_acc);
        J->rir_acc = NULL;
        J->rir_acc_len = 0;
    }
    if (ok) {
        for (int i = 0; i < u.nforms; i++) {
            t0 = drv_now();
            RirModule *m = drv_unit_compile(&J->comp, &u, i, 1, NULL);
            if (m && J->keep_rir)
                rir_append(J, m);
            J->t_front += drv_now() - t0;
            if (!m) {
                ok = false;
                continue;
            }
            if (!jit_eval(J, m, echo))
                ok = false;
        }
    }
    if (J->keep_rir && J->rir_acc) {
        free(J->last_rir);
        J->last_rir = J->rir_acc;
        J->rir_acc = NULL;
        J->rir_acc_len = 0;
    }
    drv_unit_free(&u);
    return ok;
}

/* A whole text as one unit and one module (script files and -e). */
static bool jit_eval_unit(JitState *J, const char *file, const char *src, size_t len,
                          const char *stem, bool echo)
{
    DrvUnit u;
    bool ok = drv_unit_read(&u, file, src, len, 0);
    if (ok && u.nforms > 0) {
        RirModule *m = drv_unit_compile(&J->comp, &u, 0, u.nforms, stem);
        ok = m && jit_eval(J, m, echo);
    }
    drv_unit_free(&u);
    return ok;
}

static int count_lines(const char *s, size_t n)
{
    int k = 0;
    for (size_t i = 0; i < n; i++)
        k += s[i] == '\n';
    return k;
}

/* ------------------------------------------------------------ piped input */

/* Cuts the input at line ends where the text so far is balanced, so a form
 * spread over several lines is read whole (each form of a piece is still
 * its own unit) and a reader error loses only its piece.  Past 64 KiB an
 * unbalanced piece is re-checked only at growing intervals (every 1/8 of
 * its lines): an unclosed bracket early in a huge input then costs
 * O(n log n) instead of O(n^2), at the price of a larger piece. */
static int run_pipe(JitState *J)
{
    size_t len = 0;
    char *src = drv_read_stream(stdin, &len);
    if (!src) {
        drv_error(TOOL, "cannot read standard input: %s", strerror(errno));
        return 1;
    }
    bool all_ok = true;
    size_t start = 0, pos = 0;
    int lines = 0, next_check = 1;
    while (pos < len) {
        const char *nl = memchr(src + pos, '\n', len - pos);
        pos = nl ? (size_t)(nl - src) + 1 : len;
        lines++;
        if (pos < len) {
            if (pos - start > 65536 && lines < next_check)
                continue;
            if (!fe_input_complete(src + start, pos - start)) {
                next_check = lines + 1 + lines / 8;
                continue;
            }
        }
        /* at the end an unbalanced rest is compiled anyway: the reader
         * reports what is missing */
        if (!jit_eval_forms(J, "<stdin>", src + start, pos - start, true))
            all_ok = false;
        J->line_offset += count_lines(src + start, pos - start);
        start = pos;
        lines = 0;
        next_check = 1;
    }
    free(src);
    return all_ok ? 0 : 1;
}

/* ------------------------------------------------------------ the REPL */

static const char *const repl_commands[] = { ":help", ":quit", ":rir", ":llvm", NULL };

static const char *repl_prompt_text = "omni> ";

static char *repl_prompt(EditLine *el)
{
    (void)el;
    return (char *)repl_prompt_text;
}

static bool is_word_char(unsigned char ch)
{
    if (ch >= 0x80 || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
        return true;
    return strchr("*!-_?%/=<>+", ch) != NULL && ch != '\0';
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

typedef struct NameList {
    const char **v;
    size_t n, cap;
} NameList;

static void names_add(NameList *l, const char *s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        const char **nv = realloc(l->v, cap * sizeof *nv);
        if (!nv)
            return;
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = s;
}

static void print_columns(const NameList *l)
{
    struct winsize ws;
    int width = 80;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        width = ws.ws_col;
    size_t longest = 1;
    for (size_t i = 0; i < l->n; i++)
        if (strlen(l->v[i]) > longest)
            longest = strlen(l->v[i]);
    size_t colw = longest + 2;
    size_t cols = (size_t)width / colw;
    if (cols == 0)
        cols = 1;
    size_t rows = (l->n + cols - 1) / cols;
    fputc('\n', stdout);
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < cols; c++) {
            size_t i = c * rows + r;
            if (i < l->n)
                fprintf(stdout, "%-*s", (int)colw, l->v[i]);
        }
        fputc('\n', stdout);
    }
    fflush(stdout);
}

/* Tab: completes the word before the cursor from every defined global (the
 * frontend's view and the runtime's table) or, at the start of an input,
 * from the REPL commands.  Several matches: insert their common prefix, or
 * list them when there is nothing to add. */
static unsigned char repl_complete(EditLine *el, int ch)
{
    (void)ch;
    JitState *J = NULL;
    el_get(el, EL_CLIENTDATA, &J);
    const LineInfo *li = el_line(el);
    const char *start = li->cursor;
    while (start > li->buffer && is_word_char((unsigned char)start[-1]))
        start--;
    bool command = start > li->buffer && start[-1] == ':' && start - 1 == li->buffer &&
                   repl_prompt_text[0] == 'o';
    if (command)
        start--;
    size_t wlen = (size_t)(li->cursor - start);
    NameList l = { 0 };
    if (command) {
        for (int i = 0; repl_commands[i]; i++)
            if (strncmp(repl_commands[i], start, wlen) == 0)
                names_add(&l, repl_commands[i]);
    } else if (wlen > 0) {
        size_t ng = fe_session_global_count(J->comp.session);
        for (size_t i = 0; i < ng; i++) {
            const char *s = fe_session_global_at(J->comp.session, i);
            if (s && s[0] != '%' && strncmp(s, start, wlen) == 0)
                names_add(&l, s);
        }
        const char *s;
        for (size_t i = 0; (s = omni_global_name_at(i)) != NULL; i++)
            if (s[0] != '%' && strncmp(s, start, wlen) == 0)
                names_add(&l, s);
    }
    if (l.n == 0) {
        free(l.v);
        return CC_REFRESH_BEEP;
    }
    qsort(l.v, l.n, sizeof *l.v, cmp_str);
    size_t u = 1;
    for (size_t i = 1; i < l.n; i++)
        if (strcmp(l.v[i], l.v[u - 1]) != 0)
            l.v[u++] = l.v[i];
    l.n = u;
    size_t common = strlen(l.v[0]);
    for (size_t i = 1; i < l.n; i++) {
        size_t k = 0;
        while (k < common && l.v[i][k] == l.v[0][k])
            k++;
        common = k;
    }
    unsigned char ret = CC_REFRESH;
    if (common > wlen) {
        char *add = strndup(l.v[0] + wlen, common - wlen);
        if (add) {
            el_insertstr(el, add);
            free(add);
        }
    } else if (l.n > 1) {
        print_columns(&l);
        ret = CC_REDISPLAY;
    }
    free(l.v);
    return ret;
}

static char *history_path(void)
{
    const char *p = getenv("OMNI_HISTORY");
    if (p && *p)
        return strdup(p);
    const char *home = getenv("HOME");
    if (!home || !*home) {
        struct passwd *pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : NULL;
    }
    if (!home)
        return NULL;
    size_t n = strlen(home) + sizeof "/.omnilisp_history";
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/.omnilisp_history", home);
    return s;
}

static void repl_help(void)
{
    printf("Type OmniLisp forms; an input continues over several lines until its\n"
           "brackets balance.  Each value is echoed in its write form.\n"
           "Commands:\n"
           "  :help   this text\n"
           "  :quit   leave the REPL (also Ctrl-D)\n"
           "  :rir    the Region IR of the last input\n"
           "  :llvm   the LLVM IR of the last form compiled (after optimisation)\n"
           "Tab completes defined names; Ctrl-C drops the current input.\n"
           "History is kept in $OMNI_HISTORY or ~/.omnilisp_history.\n");
}

/* Returns true if `line` (a fresh input) was a REPL command; sets *quit. */
static bool repl_command(JitState *J, const char *line, bool *quit)
{
    while (*line == ' ' || *line == '\t')
        line++;
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == ' ' || line[n - 1] == '\t'))
        n--;
    int which = -1;
    for (int i = 0; repl_commands[i]; i++)
        if (strlen(repl_commands[i]) == n && strncmp(repl_commands[i], line, n) == 0)
            which = i;
    switch (which) {
    case 0:
        repl_help();
        break;
    case 1:
        *quit = true;
        break;
    case 2:
        if (J->last_rir)
            fputs(J->last_rir, stdout);
        else
            printf("no input compiled yet\n");
        break;
    case 3: {
        char *ir = lb_jit_last_ir(J->jit);
        if (ir) {
            fputs(ir, stdout);
            if (*ir && ir[strlen(ir) - 1] != '\n')
                fputc('\n', stdout);
            free(ir);
        } else {
            printf("no input compiled yet\n");
        }
        break;
    }
    default:
        return false;   /* `:name` alone is also a quoted symbol: evaluate it */
    }
    fflush(stdout);
    return true;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return false;
    return true;
}

/* Enters text without its final newline(s) into the history. */
static void history_add(History *hist, const char *text, size_t len)
{
    HistEvent ev;
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    char *s = strndup(text, len);
    if (s) {
        history(hist, &ev, H_ENTER, s);
        free(s);
    }
}

static int run_repl(JitState *J)
{
    setlocale(LC_CTYPE, "");
    repl_signals_init();

    EditLine *el = el_init(TOOL, stdin, stdout, stderr);
    History *hist = history_init();
    HistEvent ev;
    char *hpath = history_path();
    if (!el || !hist) {
        drv_error(TOOL, "cannot initialise the line editor");
        repl_signals_fini();
        if (el)
            el_end(el);
        if (hist)
            history_end(hist);
        free(hpath);
        return 1;
    }
    history(hist, &ev, H_SETSIZE, 1000);
    history(hist, &ev, H_SETUNIQUE, 1);
    if (hpath)
        history(hist, &ev, H_LOAD, hpath);
    el_set(el, EL_CLIENTDATA, J);
    el_set(el, EL_EDITOR, "emacs");
    el_set(el, EL_PROMPT, repl_prompt);
    el_set(el, EL_HIST, history, hist);
    /* the wide call keeps our static strings; the narrow one copies them
     * and never frees the copies (a libedit leak LeakSanitizer reports) */
    el_wset(el, EL_ADDFN, L"omni-complete", L"complete an OmniLisp name", repl_complete);
    el_set(el, EL_BIND, "^I", "omni-complete", NULL);
    el_source(el, NULL);   /* the user's ~/.editrc, if any */

    printf("OmniLisp %s (LLVM JIT, -O%d).  Type :help for help, :quit to leave.\n",
           OMNI_VERSION, J->opt.opt_level);
    fflush(stdout);

    char *buf = NULL;
    size_t len = 0, cap = 0;
    bool quit = false;
    while (!quit) {
        repl_prompt_text = len == 0 ? "omni> " : "  ... ";
        repl_sigint_mode(true);
        repl_interrupted = 0;
        int count = 0;
        omni_smr_offline(); /* waiting for the user must not hold up reclamation */
        const char *line = el_gets(el, &count);
        int read_errno = errno;
        omni_smr_online();
        repl_sigint_mode(false);
        if (repl_interrupted || (!line && count < 0 && read_errno == EINTR)) {
            /* Ctrl-C: forget the pending input, fresh prompt */
            fputc('\n', stdout);
            fflush(stdout);
            len = 0;
            continue;
        }
        if (!line || count <= 0) {
            /* Ctrl-D / end of input: a pending incomplete input is
             * compiled so the reader says what is missing */
            fputc('\n', stdout);
            fflush(stdout);
            if (len > 0 && !blank(buf, len))
                jit_eval_forms(J, "<repl>", buf, len, true);
            break;
        }
        if (len == 0 && repl_command(J, line, &quit)) {
            history_add(hist, line, strlen(line));
            continue;
        }
        size_t n = strlen(line);
        if (len + n + 1 > cap) {
            size_t ncap = cap ? cap * 2 : 256;
            while (ncap < len + n + 1)
                ncap *= 2;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                drv_error(TOOL, "out of memory");
                break;
            }
            buf = nb;
            cap = ncap;
        }
        memcpy(buf + len, line, n + 1);
        len += n;
        if (!fe_input_complete(buf, len))
            continue;
        if (blank(buf, len)) {
            J->line_offset += count_lines(buf, len);
            len = 0;
            continue;
        }
        history_add(hist, buf, len);   /* a multi-line input is one entry */
        if (hpath)
            history(hist, &ev, H_SAVE, hpath);
        jit_eval_forms(J, "<repl>", buf, len, true);
        J->line_offset += count_lines(buf, len);
        len = 0;
    }
    repl_signals_fini();
    if (hpath)
        history(hist, &ev, H_SAVE, hpath);
    free(hpath);
    free(buf);
    el_end(el);
    history_end(hist);
    return 0;
}

/* ------------------------------------------------------------ latency */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double thread_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void bench_report(const char *what, double *t, int n)
{
    if (n == 0)
        return;
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    fprintf(stderr, "%-12s median %7.3f ms   p90 %7.3f ms   min %7.3f ms   max %7.3f ms   (%d inputs)\n",
            what, t[n / 2] * 1e3, t[(n * 9) / 10] * 1e3, t[0] * 1e3, t[n - 1] * 1e3, n);
}

/* --bench-latency[=N]: the REPL's path (REPL session, :rir text kept, echo
 * through the runtime) on N small definitions and N calls, timed from the
 * input text to the printed result.  Start-up is measured from main()
 * and, if the caller exports OMNI_BENCH_T0 (CLOCK_REALTIME in ns, taken just
 * before exec), from the launch of the process. */
static int run_bench(JitState *J)
{
    double t_ready = drv_now();
    const char *t0env = getenv("OMNI_BENCH_T0");
    fprintf(stderr, "start-up (main -> ready): %.3f ms\n", (t_ready - J->t_main) * 1e3);
    if (t0env && *t0env) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        double now_ns = (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
        fprintf(stderr, "start-up (exec -> ready):  %.3f ms\n", (now_ns - strtod(t0env, NULL)) * 1e-6);
    }
    int n = J->bench_n;
    double *tdef = calloc((size_t)n + 1, sizeof *tdef);
    double *tcall = calloc((size_t)n + 1, sizeof *tcall);
    double *cdef = calloc((size_t)n + 1, sizeof *cdef);
    double *ccall = calloc((size_t)n + 1, sizeof *ccall);
    if (!tdef || !tcall || !cdef || !ccall) {
        free(tdef);
        free(tcall);
        free(cdef);
        free(ccall);
        return 1;
    }
    bool ok = true;
    char in[160];
    double phase[2][3] = { { 0 } };   /* [def/call][front/back/run], inputs 1..n */
    /* the first input pays for lazy initialisation: reported apart */
    for (int i = 0; i <= n; i++) {
        for (int k = 0; k < 2; k++) {
            if (k == 0)
                snprintf(in, sizeof in, "(define (bench-f%d x) (if (< x 1) %d (+ x (* 2 %d))))\n", i, i, i);
            else
                snprintf(in, sizeof in, "(bench-f%d 20)\n", i);
            J->t_front = J->t_back = J->t_run = 0;
            double t = drv_now(), c = thread_cpu_now();
            ok &= jit_eval_forms(J, "<bench>", in, strlen(in), true);
            (k == 0 ? tdef : tcall)[i] = drv_now() - t;
            (k == 0 ? cdef : ccall)[i] = thread_cpu_now() - c;
            if (i > 0) {
                phase[k][0] += J->t_front;
                phase[k][1] += J->t_back;
                phase[k][2] += J->t_run;
            }
        }
    }
    fprintf(stderr, "first input: definition %.3f ms, call %.3f ms\n", tdef[0] * 1e3, tcall[0] * 1e3);
    bench_report("definition", tdef + 1, n);
    bench_report("call", tcall + 1, n);
    /* CPU time of this thread: what the input costs without the noise of
     * other processes on a busy machine */
    bench_report("def (cpu)", cdef + 1, n);
    bench_report("call (cpu)", ccall + 1, n);
    for (int k = 0; k < 2; k++)
        fprintf(stderr, "%-12s mean per phase: frontend+RIR %.3f ms, LLVM+JIT %.3f ms, run+echo %.3f ms\n",
                k == 0 ? "definition" : "call", phase[k][0] * 1e3 / n, phase[k][1] * 1e3 / n,
                phase[k][2] * 1e3 / n);
    free(tdef);
    free(tcall);
    free(cdef);
    free(ccall);
    return ok ? 0 : 1;
}

/* ------------------------------------------------------------ start-up */

static int jit_thread_main(void *arg)
{
    JitState *J = arg;
    LbOptions lo = {
        .opt_level = J->opt.opt_level,
        .verify = J->opt.verify,
        .debug_info = J->opt.debug_info,
        .backtrace = drv_backtrace(&J->opt),
        .entry_symbol = NULL,
        /* a file or -e is compiled as one unit and nothing is added after
         * it; REPL, piped and bench inputs may redefine any name later */
        .sealed = J->mode == MODE_FILE || J->mode == MODE_EXPR,
        .jit_debugger = J->opt.debug_info,
        .perf_map = J->perf_map,
    };
    char *err = NULL;
    J->jit = lb_jit_new(&lo, &err);
    if (!J->jit) {
        drv_error(TOOL, "cannot create the JIT: %s", err ? err : "unknown reason");
        free(err);
        return 1;
    }
    drv_compiler_init(&J->comp, &J->opt, J->mode == MODE_REPL || J->mode == MODE_PIPE ||
                                             J->mode == MODE_BENCH);
    J->keep_rir = J->mode == MODE_REPL || J->mode == MODE_BENCH;
    lb_jit_keep_ir(J->jit, J->keep_rir);   /* only the REPL has :llvm */

    switch (J->mode) {
    case MODE_REPL:
        return run_repl(J);
    case MODE_PIPE:
        return run_pipe(J);
    case MODE_BENCH:
        return run_bench(J);
    case MODE_EXPR:
        return jit_eval_unit(J, "<expr>", J->expr, strlen(J->expr), NULL, true) ? 0 : 1;
    case MODE_FILE: {
        size_t len = 0;
        char *src = drv_read_file(TOOL, J->file, &len);
        if (!src)
            return 1;
        bool ok = jit_eval_unit(J, strcmp(J->file, "-") == 0 ? "<stdin>" : J->file, src, len,
                                J->file, false);
        free(src);
        return ok ? 0 : 1;
    }
    }
    return 1;
}

static void usage(void)
{
    printf("usage: omni-jit [options] [FILE [args...]]\n"
           "       omni-jit [options] -e EXPR\n"
           "Runs an OmniLisp program with the LLVM JIT.  Without FILE: the REPL when\n"
           "standard input is a terminal, otherwise each form read from standard input\n"
           "is evaluated in turn and its value printed.  FILE '-' reads the program\n"
           "from standard input.\n"
           "Options:\n"
           "  -e EXPR             evaluate EXPR and print the write form of its value\n"
           "  -O0 -O1 -O2 -O3     optimisation level (default -O0: compiles fastest;\n"
           "                      -O2 for programs that run long)\n"
           "  -g                  debug line information, and JIT code registered with\n"
           "                      gdb (it names OmniLisp functions and source lines)\n"
           "  --backtrace         runtime errors list the calls that led to them (the\n"
           "                      default at -O0/-O1 and with -g; --no-backtrace: off)\n"
           "  --perf-map[=PATH]   write the JIT'd functions' addresses and names to\n"
           "                      /tmp/perf-PID.map (or PATH), where perf finds them\n"
           "  --dump-after=PASS   print the Region IR after PASS (or 'all') on stderr\n"
           "  --region-stats      print region statistics at exit\n"
           "  --help              this text\n"
           "  --version           version information\n");
}

int main(int argc, char **argv)
{
    JitState J;
    memset(&J, 0, sizeof J);
    J.t_main = drv_now();
    drv_options_init(&J.opt, TOOL);
    bool have_expr = false, bench = false, region_stats = false;
    int first_arg = argc;   /* argv[first_arg..] are FILE and its arguments */
    int i = 1;
    while (i < argc) {
        const char *a = argv[i];
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            first_arg = i;
            break;
        }
        if (strcmp(a, "--") == 0) {
            first_arg = i + 1;
            break;
        }
        if (strcmp(a, "-e") == 0) {
            if (i + 1 >= argc) {
                drv_error(TOOL, "'-e' needs an expression");
                return 1;
            }
            J.expr = argv[i + 1];
            have_expr = true;
            i += 2;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage();
            return 0;
        }
        if (strcmp(a, "--version") == 0) {
            drv_print_version(TOOL);
            return 0;
        }
        if (strncmp(a, "--perf-map", 10) == 0 && (a[10] == '\0' || a[10] == '=')) {
            /* perf looks for /tmp/perf-PID.map; another path is for tests */
            snprintf(J.perf_map_buf, sizeof J.perf_map_buf, "/tmp/perf-%d.map", (int)getpid());
            J.perf_map = a[10] == '=' ? a + 11 : J.perf_map_buf;
            i++;
            continue;
        }
        if (strcmp(a, "--region-stats") == 0) {
            region_stats = true;
            i++;
            continue;
        }
        if (strncmp(a, "--bench-latency", 15) == 0 && (a[15] == '\0' || a[15] == '=')) {
            bench = true;
            J.bench_n = a[15] == '=' ? atoi(a + 16) : 200;
            if (J.bench_n < 1)
                J.bench_n = 1;
            i++;
            continue;
        }
        DrvArgResult r = drv_parse_common(&J.opt, argc, argv, &i);
        if (r == DRV_ARG_ERROR)
            return 1;
        if (r == DRV_ARG_NONE) {
            drv_error(TOOL, "unknown option '%s' (see --help)", a);
            return 1;
        }
    }

    if (bench)
        J.mode = MODE_BENCH;
    else if (have_expr)
        J.mode = MODE_EXPR;
    else if (first_arg < argc) {
        J.mode = MODE_FILE;
        J.file = argv[first_arg];
    } else
        J.mode = isatty(STDIN_FILENO) ? MODE_REPL : MODE_PIPE;
    /* -O0, the quick tier, everywhere by default: compiling at -O1/-O2 takes
     * 10-20 times longer, and a REPL input or a short script spends far
     * more time in LLVM than running (test/bench/README.md has the figures
     * of both sides); -O2 is for long-running programs */
    if (J.opt.opt_level < 0)
        J.opt.opt_level = 0;

    /* the program sees its name and arguments like a script would: FILE
     * args... for a file, omni-jit args... otherwise (argv is ours to
     * rearrange; the runtime may keep the pointer) */
    char **rt_argv = argv + first_arg;
    int rt_argc = argc - first_arg;
    if (J.mode != MODE_FILE) {
        rt_argv--;
        rt_argc++;
        rt_argv[0] = argv[0];
    }
    omni_rt_init(rt_argc, rt_argv);
    if (region_stats)
        omni_set_region_stats(true);    /* reported by omni_rt_fini */

    if (J.mode == MODE_REPL) {
        /* keep Ctrl-C off the main thread: the REPL thread unblocks it */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
    }
    int status = omni_run_with_big_stack(jit_thread_main, &J);
    omni_rt_fini();
    if (J.jit)
        lb_jit_free(J.jit);
    drv_compiler_fini(&J.comp);
    free(J.last_rir);
    free(J.rir_acc);
    return status;
}
