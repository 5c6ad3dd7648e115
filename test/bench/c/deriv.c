/* deriv.c — Gabriel's symbolic derivative of (+ (* 3 x x) (* a x x) (* b x) 5),
 * 5,000,000 times; the baseline for deriv.omni.  Values are tagged words
 * (fixnums, symbols, () and pointers to pairs); each iteration's pairs come
 * from a bump arena that is reset afterwards, the natural C memory plan. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef uintptr_t V;
typedef struct Pair { V car, cdr; } Pair;

#define NIL ((V)0)
#define FIX(n) (((V)(n) << 2) | 1)
#define SYM(i) (((V)(i) << 2) | 2)
#define IS_PAIR(v) ((v) != NIL && ((v) & 3) == 0)
#define P(v) ((Pair *)(v))

enum { S_PLUS, S_MINUS, S_TIMES, S_DIV, S_X, S_A, S_B };

static char *arena, *arena_top, *arena_end;

static V cons(V a, V d)
{
    if (arena_top + sizeof(Pair) > arena_end) {
        fputs("deriv: arena exhausted\n", stderr);
        exit(1);
    }
    Pair *p = (Pair *)arena_top;
    arena_top += sizeof(Pair);
    p->car = a;
    p->cdr = d;
    return (V)p;
}

static V list3(V a, V b, V c) { return cons(a, cons(b, cons(c, NIL))); }
static V list4(V a, V b, V c, V d) { return cons(a, cons(b, cons(c, cons(d, NIL)))); }
#define CAR(v) (P(v)->car)
#define CDR(v) (P(v)->cdr)

static V deriv(V a);

/* (map deriv xs), keeping the order */
static V map_deriv(V xs)
{
    if (xs == NIL)
        return NIL;
    V head = deriv(CAR(xs));
    return cons(head, map_deriv(CDR(xs)));
}

/* (map (lambda (a) (list '/ (deriv a) a)) xs) */
static V map_quot(V xs)
{
    if (xs == NIL)
        return NIL;
    V a = CAR(xs);
    V head = list3(SYM(S_DIV), deriv(a), a);
    return cons(head, map_quot(CDR(xs)));
}

static V deriv(V a)
{
    if (!IS_PAIR(a))
        return a == SYM(S_X) ? FIX(1) : FIX(0);
    V op = CAR(a);
    if (op == SYM(S_PLUS))
        return cons(SYM(S_PLUS), map_deriv(CDR(a)));
    if (op == SYM(S_MINUS))
        return cons(SYM(S_MINUS), map_deriv(CDR(a)));
    if (op == SYM(S_TIMES))
        return list3(SYM(S_TIMES), a, cons(SYM(S_PLUS), map_quot(CDR(a))));
    if (op == SYM(S_DIV)) {
        V n = CAR(CDR(a)), d = CAR(CDR(CDR(a)));
        return list3(SYM(S_MINUS), list3(SYM(S_DIV), deriv(n), d),
                     list3(SYM(S_DIV), n, list4(SYM(S_TIMES), d, d, deriv(d))));
    }
    fputs("deriv: no derivation method\n", stderr);
    exit(1);
}

static long length(V xs)
{
    long n = 0;
    for (; xs != NIL; xs = CDR(xs))
        n++;
    return n;
}

static long count_pairs(V v)
{
    return IS_PAIR(v) ? 1 + count_pairs(CAR(v)) + count_pairs(CDR(v)) : 0;
}

int main(void)
{
    size_t size = 1 << 20;
    arena = malloc(size);
    if (!arena) { perror("malloc"); return 1; }
    arena_end = arena + size;
    arena_top = arena;
    /* the input lives at the bottom of the arena and survives the resets */
    V expr = cons(SYM(S_PLUS),
                  list4(list4(SYM(S_TIMES), FIX(3), SYM(S_X), SYM(S_X)),
                        list4(SYM(S_TIMES), SYM(S_A), SYM(S_X), SYM(S_X)),
                        list3(SYM(S_TIMES), SYM(S_B), SYM(S_X)), FIX(5)));
    char *base = arena_top;
    long sum = 0, pairs = 0;
    for (long i = 0; i < 5000000; i++) {
        arena_top = base;
        V r = deriv(expr);
        sum += length(r);
        if (i == 5000000 - 1)
            pairs = count_pairs(r);
    }
    printf("%ld %ld\n", sum, pairs);
    free(arena);
    return 0;
}
