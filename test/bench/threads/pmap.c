/* pmap.c — C peer of pmap.omni: fib(K) for 8 inputs in the main thread,
 * then over 2 pthreads taking 4 each.  Shows what the machine gives two
 * threads at the moment (a ceiling for pmap.omni's speed-up).
 *   ./pmap_c [K [MODE]]  (K default 32; MODE both (default), seq or par)
 * Line 1: the sums, sequential and parallel; line 2: "ms SEQ PAR".  MODE
 * seq or par runs one phase only (as pmap.omni). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long K = 32;

static long fib(long n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static long sum_fibs(int count)
{
    long s = 0;
    for (int i = 0; i < count; i++) {
        volatile long k = K; /* keep the calls: no hoisting of fib(K) */
        s += fib(k);
    }
    return s;
}

static void *half(void *arg)
{
    (void)arg;
    return (void *)sum_fibs(4);
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        K = atol(argv[1]);
    const char *mode = argc > 2 ? argv[2] : "both";
    long t0 = now_ms();
    long seq = strcmp(mode, "par") ? sum_fibs(8) : -1;
    long t1 = now_ms();
    long par = -1;
    if (strcmp(mode, "seq")) {
        pthread_t a, b;
        pthread_create(&a, NULL, half, NULL);
        pthread_create(&b, NULL, half, NULL);
        void *ra, *rb;
        pthread_join(a, &ra);
        pthread_join(b, &rb);
        par = (long)ra + (long)rb;
    }
    long t2 = now_ms();
    printf("%ld %ld\n", seq < 0 ? par : seq, par < 0 ? seq : par);
    printf("ms %ld %ld\n", t1 - t0, t2 - t1);
    return 0;
}
