/* sieve.c — sieve of Eratosthenes below 1,000,000, twenty times; baseline for sieve.omni. */
#include <stdio.h>
#include <stdlib.h>

static long sieve(long n)
{
    char *flags = malloc(n);
    if (!flags) { perror("malloc"); exit(1); }
    for (long i = 0; i < n; i++)
        flags[i] = 1;
    long count = 0;
    for (long i = 2; i < n; i++) {
        if (flags[i]) {
            count++;
            for (long j = i * i; j < n; j += i)
                flags[j] = 0;
        }
    }
    free(flags);
    return count;
}

int main(void)
{
    volatile long n = 1000000;
    long last = 0, total = 0;
    for (int k = 0; k < 20; k++) {
        last = sieve(n);
        total += last;
    }
    printf("%ld %ld\n", last, total);
    return 0;
}
