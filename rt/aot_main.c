/* aot_main.c — main() of executables built by omni-llc.
 *
 * Starts the runtime, runs the compiled program's entry on the big stack
 * with the global region as its result region, under an omni_try so a
 * runtime error ends the program with status 1 after its message.
 */
#include "omni.h"

/* Defined by the compiled program. */
extern OVal omni_program_entry(Region *r);

/* Linked around the program's object by omni-llc (rt/aot/code_begin.c);
 * absent when the object was linked by hand. */
extern void omni_aot_code_begin(void) __attribute__((weak));
extern void omni_aot_code_end(void) __attribute__((weak));
void omni_stack_code_range(uintptr_t lo, uintptr_t hi);

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
    if (omni_aot_code_begin && omni_aot_code_end)
        omni_stack_code_range((uintptr_t)omni_aot_code_begin, (uintptr_t)omni_aot_code_end);
    int failed = omni_run_with_big_stack(run_on_big_stack, NULL);
    omni_rt_fini();
    return failed ? 1 : 0;
}
