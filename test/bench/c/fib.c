/* fib.c — doubly recursive Fibonacci, (fib 35); the C baseline for fib.omni. */
#include <stdio.h>

static long fib(long n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int main(void)
{
    volatile long n = 35; /* volatile: keep gcc from folding the call */
    printf("%ld\n", fib(n));
    return 0;
}
