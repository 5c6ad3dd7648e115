/* buffered.c — C peer of buffered.omni: one producer thread sends N
 * messages through a bounded ring buffer of 64 (pthread mutex + two
 * condition variables, the runtime's protocol in rt/thread.c), then closes
 * it; the consumer sums them until the channel is closed and drained.  The
 * producer mallocs a small struct (3 longs) per message and the consumer
 * frees it, to mirror the allocation of the OmniLisp version.
 *   ./buffered_c [N]   (default 200000)
 * Checksum: "N 3N(N-1)/2+N". */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#define CAP 64

typedef struct { long a, b, c; } Msg;

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t can_recv, can_send;
    Msg *q[CAP];
    long head, n;
    bool closed;
} Chan;

static Chan ch = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
                   PTHREAD_COND_INITIALIZER, {0}, 0, 0, false };
static long N = 200000;

static void chan_send(Chan *c, Msg *m)
{
    pthread_mutex_lock(&c->mu);
    while (c->n >= CAP)
        pthread_cond_wait(&c->can_send, &c->mu);
    c->q[(c->head + c->n) % CAP] = m;
    c->n++;
    pthread_cond_signal(&c->can_recv);
    pthread_mutex_unlock(&c->mu);
}

static Msg *chan_recv(Chan *c) /* NULL: closed and drained */
{
    pthread_mutex_lock(&c->mu);
    while (c->n == 0 && !c->closed)
        pthread_cond_wait(&c->can_recv, &c->mu);
    if (c->n == 0) {
        pthread_mutex_unlock(&c->mu);
        return NULL;
    }
    Msg *m = c->q[c->head];
    c->head = (c->head + 1) % CAP;
    c->n--;
    pthread_cond_broadcast(&c->can_send);
    pthread_mutex_unlock(&c->mu);
    return m;
}

static void chan_close(Chan *c)
{
    pthread_mutex_lock(&c->mu);
    c->closed = true;
    pthread_cond_broadcast(&c->can_recv);
    pthread_cond_broadcast(&c->can_send);
    pthread_mutex_unlock(&c->mu);
}

static void *producer(void *arg)
{
    (void)arg;
    for (long i = 0; i < N; i++) {
        Msg *m = malloc(sizeof *m);
        if (!m)
            abort();
        m->a = i;
        m->b = 2 * i;
        m->c = 1;
        chan_send(&ch, m);
    }
    chan_close(&ch);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        N = atol(argv[1]);
    pthread_t t;
    pthread_create(&t, NULL, producer, NULL);
    long count = 0, sum = 0;
    Msg *m;
    while ((m = chan_recv(&ch))) {
        count++;
        sum += m->a + m->b + m->c;
        free(m);
    }
    pthread_join(t, NULL);
    printf("%ld %ld\n", count, sum);
    return 0;
}
