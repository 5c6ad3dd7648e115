/* init.c — runtime start-up and shut-down.
 *
 * omni_rt_init brings up, once, everything compiled code relies on before
 * its first instruction: the static and global regions, the symbol and
 * global tables, and the built-in function values in their global slots.
 * omni_rt_fini flushes program output and, when asked (omni-jit
 * --region-stats, or OMNI_REGION_STATS=1 in the environment), prints the
 * per-region accounting to stderr.
 */
#include "rt_core.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static bool g_region_stats;
static int g_argc;
static char **g_argv;

void omni_set_region_stats(bool on) { g_region_stats = on; }

static void flush_at_exit(void) { omni_out_flush(); }

static void init_once(void)
{
    omni_region_init();
    omni_symbols_init();
    const char *e = getenv("OMNI_REGION_STATS");
    if (e && strcmp(e, "1") == 0)
        g_region_stats = true;
    /* exit() from an error path or from the program must not lose output. */
    atexit(flush_at_exit);
    omni_builtins_install();
}

void omni_rt_init(int argc, char **argv)
{
    g_argc = argc;
    g_argv = argv;
    pthread_once(&g_once, init_once);
}

void omni_rt_fini(void)
{
    omni_out_flush();
    if (g_region_stats)
        omni_region_print_stats(stderr);
}

int omni_rt_argc(void) { return g_argc; }
char **omni_rt_argv(void) { return g_argv; }
