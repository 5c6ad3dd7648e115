/* smr.c — per-thread QSBR bookkeeping for the runtime's internal tables
 * (smr.h has the contract; docs/SMR_FOR_RUNTIME_STRUCTURES.md the why).
 *
 * liburcu-qsbr keeps its own per-thread reader record; this file adds the
 * three facts it does not offer cheaply: whether this thread registered,
 * how deep it is in offline sections, and a pthread key whose destructor
 * unregisters a thread that exits still registered (a registered thread
 * that vanished would leave a dangling record in liburcu's registry).
 */
#include "smr.h"
#include "rt_core.h"

#include <pthread.h>

__thread int omni_smr_tl_online;
static __thread bool tl_registered;
static __thread int tl_offline_depth;

static pthread_key_t g_exit_key;
static pthread_once_t g_key_once = PTHREAD_ONCE_INIT;

static void on_thread_exit(void *p)
{
    (void)p;
    omni_smr_thread_exit();
}

static void make_key(void)
{
    if (pthread_key_create(&g_exit_key, on_thread_exit) != 0)
        omni_internal_error("cannot create the SMR thread key");
}

void omni_smr_thread_init(void)
{
    if (tl_registered)
        return;
    pthread_once(&g_key_once, make_key);
    rcu_register_thread(); /* starts online */
    tl_registered = true;
    tl_offline_depth = 0;
    omni_smr_tl_online = 1;
    /* non-NULL: the destructor runs if the thread exits registered */
    pthread_setspecific(g_exit_key, (void *)1);
}

void omni_smr_thread_exit(void)
{
    if (!tl_registered)
        return;
    rcu_unregister_thread(); /* allowed online or offline */
    tl_registered = false;
    tl_offline_depth = 0;
    omni_smr_tl_online = 0;
    pthread_setspecific(g_exit_key, NULL);
}

void omni_smr_quiescent(void)
{
    if (omni_smr_tl_online)
        rcu_quiescent_state();
}

void omni_smr_offline(void)
{
    if (!tl_registered)
        return;
    if (tl_offline_depth++ == 0) {
        rcu_thread_offline();
        omni_smr_tl_online = 0;
    }
}

void omni_smr_online(void)
{
    if (!tl_registered || tl_offline_depth == 0)
        return;
    if (--tl_offline_depth == 0) {
        rcu_thread_online();
        omni_smr_tl_online = 1;
    }
}

bool omni_smr_read_begin_slow(void)
{
    if (!tl_registered) {
        omni_smr_thread_init(); /* lazily: a thread the runtime did not start */
        return false;
    }
    /* offline (inside a blocking wait's bracket): online for this read */
    rcu_thread_online();
    return true;
}
