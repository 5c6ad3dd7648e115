/* tak.c — Takeuchi function, (tak 18 12 6) a thousand times; baseline for tak.omni. */
#include <stdio.h>

static long tak(long x, long y, long z)
{
    if (!(y < x))
        return z;
    return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y));
}

int main(void)
{
    volatile long x = 18; /* read each time: the calls cannot be hoisted */
    long sum = 0;
    for (int i = 0; i < 1000; i++)
        sum += tak(x, 12, 6);
    printf("%ld\n", sum);
    return 0;
}
