/* code_end.c — see code_begin.c. */
__attribute__((used, noinline)) void omni_aot_code_end(void) { __asm__ volatile(""); }
