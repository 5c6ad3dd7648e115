/* pingpong.c — C peer of pingpong.omni: two threads pass a long back and
 * forth over two unbuffered channels made of a pthread mutex and two
 * condition variables, with the runtime's protocol (rt/thread.c): a send
 * puts its message in the one slot, signals the receiver and waits until
 * the message was taken (rendezvous); a recv waits for a message, takes it
 * and wakes the senders.  Waits are plain pthread_cond_wait (no timeout).
 *   ./pingpong_c [N]   (default 200000)
 * Checksum: "N N(N-1)/2". */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t can_recv, can_send;
    long slot;
    int n;
    unsigned long sent, taken;
} Chan;

static void chan_init(Chan *c)
{
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->can_recv, NULL);
    pthread_cond_init(&c->can_send, NULL);
    c->n = 0;
    c->sent = c->taken = 0;
}

static void chan_send(Chan *c, long v)
{
    pthread_mutex_lock(&c->mu);
    while (c->n >= 1)
        pthread_cond_wait(&c->can_send, &c->mu);
    c->slot = v;
    c->n = 1;
    unsigned long mine = ++c->sent;
    pthread_cond_signal(&c->can_recv);
    while (c->taken < mine)
        pthread_cond_wait(&c->can_send, &c->mu);
    pthread_mutex_unlock(&c->mu);
}

static long chan_recv(Chan *c)
{
    pthread_mutex_lock(&c->mu);
    while (c->n == 0)
        pthread_cond_wait(&c->can_recv, &c->mu);
    long v = c->slot;
    c->n = 0;
    c->taken++;
    pthread_cond_broadcast(&c->can_send);
    pthread_mutex_unlock(&c->mu);
    return v;
}

static Chan ping, pong;
static long N = 200000;

static void *ponger(void *arg)
{
    (void)arg;
    long sum = 0;
    for (long n = 0; n < N; n++) {
        long v = chan_recv(&ping);
        chan_send(&pong, v + 1);
        sum += v;
    }
    return (void *)sum;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        N = atol(argv[1]);
    chan_init(&ping);
    chan_init(&pong);
    pthread_t t;
    pthread_create(&t, NULL, ponger, NULL);
    long v = 0;
    for (long n = 0; n < N; n++) {
        chan_send(&ping, v);
        v = chan_recv(&pong);
    }
    void *sum;
    pthread_join(t, &sum);
    printf("%ld %ld\n", v, (long)sum);
    return 0;
}
