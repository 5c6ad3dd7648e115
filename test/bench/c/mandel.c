/* mandel.c — count the points of a 1000x1000 grid over [-2,1]x[-1.5,1.5]
 * that stay bounded for 50 iterations; baseline for mandel.omni.  The
 * operations are written in the same order as the OmniLisp and Scheme
 * versions so all three round alike. */
#include <stdio.h>

int main(void)
{
    volatile int size = 1000;
    const int max_iter = 50;
    long inside = 0;
    double step = 3.0 / size;
    for (int y = 0; y < size; y++) {
        double ci = -1.5 + y * step;
        for (int x = 0; x < size; x++) {
            double cr = -2.0 + x * step;
            double zr = 0.0, zi = 0.0;
            int i = 0;
            for (; i < max_iter; i++) {
                double zr2 = zr * zr, zi2 = zi * zi;
                if (zr2 + zi2 > 4.0)
                    break;
                zi = 2.0 * zr * zi + ci;
                zr = zr2 - zi2 + cr;
            }
            if (i == max_iter)
                inside++;
        }
    }
    printf("%ld\n", inside);
    return 0;
}
