/* init.c — runtime start-up and shut-down.
 *
 * omni_rt_init brings up, once, everything compiled code relies on before
 * its first instruction: the static and global regions, the symbol and
 * global tables, and the built-in function values in their global slots.
 * It registers the calling thread as a QSBR reader (smr.h).
 * omni_rt_fini flushes program output and, when asked (omni-jit
 * --region-stats, or OMNI_REGION_STATS=1 in the environment), prints the
 * region accounting report (region_stats.c, docs/REGION_ACCOUNTING.md) to
 * stderr; OMNI_REGION_RETAIN_BYTES / OMNI_REGION_RETAIN_AGE set its
 * retention thresholds (read by omni_region_init).
 */
#include "rt_core.h"
#include "smr.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_argc;
static char **g_argv;

/* Per-site accounting must be on before the regions it reports are made:
 * it routes region.new/region.exit through region.c's slow paths. */
void omni_set_region_stats(bool on) { omni_region_stats_enable(on); }

static void flush_at_exit(void) { omni_out_flush(); }

static void init_once(void)
{
    omni_region_init();
    const char *e = getenv("OMNI_REGION_STATS");
    if (e && strcmp(e, "1") == 0)
        omni_region_stats_enable(true);
    omni_symbols_init();
    /* exit() from an error path or from the program must not lose output. */
    atexit(flush_at_exit);
    omni_builtins_install();
}

void omni_rt_init(int argc, char **argv)
{
    g_argc = argc;
    g_argv = argv;
    /* the calling thread reads the runtime's tables lock-free (smr.h) */
    omni_smr_thread_init();
    pthread_once(&g_once, init_once);
}

void omni_rt_fini(void)
{
    omni_out_flush();
    if (omni_region_stats_enabled())
        omni_region_print_stats(stderr);
}

int omni_rt_argc(void) { return g_argc; }
char **omni_rt_argv(void) { return g_argv; }
