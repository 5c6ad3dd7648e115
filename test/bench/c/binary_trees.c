/* binary_trees.c — the Benchmarks Game binary-trees at depth 20 with one
 * malloc/free per node: the plain-C memory baseline for binary_trees.omni. */
#include <stdio.h>
#include <stdlib.h>

typedef struct Node { struct Node *left, *right; } Node;

static Node *make(int d)
{
    Node *n = malloc(sizeof *n);
    if (!n) { perror("malloc"); exit(1); }
    if (d == 0) {
        n->left = n->right = NULL;
    } else {
        n->left = make(d - 1);
        n->right = make(d - 1);
    }
    return n;
}

static long check(const Node *n)
{
    return n->left ? 1 + check(n->left) + check(n->right) : 1;
}

static void release(Node *n)
{
    if (n->left) { release(n->left); release(n->right); }
    free(n);
}

int main(int argc, char **argv)
{
    int max_depth = argc > 1 ? atoi(argv[1]) : 20;
    int min_depth = 4;
    if (max_depth < min_depth + 2)
        max_depth = min_depth + 2;

    Node *stretch = make(max_depth + 1);
    printf("stretch tree of depth %d check: %ld\n", max_depth + 1, check(stretch));
    release(stretch);

    Node *long_lived = make(max_depth);
    for (int d = min_depth; d <= max_depth; d += 2) {
        long iterations = 1L << (max_depth - d + min_depth);
        long sum = 0;
        for (long i = 0; i < iterations; i++) {
            Node *t = make(d);
            sum += check(t);
            release(t);
        }
        printf("%ld trees of depth %d check: %ld\n", iterations, d, sum);
    }
    printf("long lived tree of depth %d check: %ld\n", max_depth, check(long_lived));
    release(long_lived);
    return 0;
}
