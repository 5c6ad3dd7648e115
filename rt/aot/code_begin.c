/* code_begin.c — linked by omni-llc right before the compiled module's
 * object, code_end.c right after it: the linker lays their .text out in
 * that order, so [omni_aot_code_begin, omni_aot_code_end) holds the
 * program's compiled code and none of the runtime's (rt/aot_main.c
 * registers it with rt/stack.c, which unwinds a stack overflow at once only
 * in compiled code; docs/RUNTIME.md, "The big stack"). */
__attribute__((used, noinline)) void omni_aot_code_begin(void) { __asm__ volatile(""); }
