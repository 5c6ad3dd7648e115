/* aot_main.c — main() of executables built by omni-llc.
 *
 * Starts the runtime, runs the compiled program's entry on the big stack
 * with the global region as its result region, under an omni_try so a
 * runtime error ends the program with status 1 after its message.
 */
#include "omni.h"

/* Defined by the compiled program. */
extern OVal omni_program_entry(Region *r);

static void run_program(void *arg)
{
    (void)arg;
    omni_program_entry(omni_region_global());
}

static int run_on_big_stack(void *arg)
{
    return omni_try(run_program, arg);
}

int main(int argc, char **argv)
{
    omni_rt_init(argc, argv);
    int failed = omni_run_with_big_stack(run_on_big_stack, NULL);
    omni_rt_fini();
    return failed ? 1 : 0;
}
