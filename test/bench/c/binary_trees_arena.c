/* binary_trees_arena.c — binary-trees at depth 20 with one arena per tree:
 * nodes are bump-allocated from fixed-size chunks, and dropping a tree returns
 * its chunks to a pool for the next tree.  This is the shape CTRR regions give
 * (a region per tree, reclaimed whole), so it is the memory/time target for
 * binary_trees.omni once placement puts each tree in its own region. */
#include <stdio.h>
#include <stdlib.h>

typedef struct Node { struct Node *left, *right; } Node;

enum { CHUNK_BYTES = 64 * 1024 };

typedef struct Chunk {
    struct Chunk *next;
    size_t used;
    _Alignas(16) char data[CHUNK_BYTES];
} Chunk;

typedef struct Arena { Chunk *chunks; } Arena;

static Chunk *pool; /* chunks of dropped arenas, reused before malloc */

static Chunk *chunk_get(void)
{
    Chunk *c = pool;
    if (c) {
        pool = c->next;
    } else if (!(c = malloc(sizeof *c))) {
        perror("malloc");
        exit(1);
    }
    c->next = NULL;
    c->used = 0;
    return c;
}

static void *arena_alloc(Arena *a, size_t n)
{
    Chunk *c = a->chunks;
    if (!c || c->used + n > CHUNK_BYTES) {
        c = chunk_get();
        c->next = a->chunks;
        a->chunks = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

static void arena_drop(Arena *a)
{
    while (a->chunks) {
        Chunk *c = a->chunks;
        a->chunks = c->next;
        c->next = pool;
        pool = c;
    }
}

static Node *make(Arena *a, int d)
{
    Node *n = arena_alloc(a, sizeof *n);
    if (d == 0) {
        n->left = n->right = NULL;
    } else {
        n->left = make(a, d - 1);
        n->right = make(a, d - 1);
    }
    return n;
}

static long check(const Node *n)
{
    return n->left ? 1 + check(n->left) + check(n->right) : 1;
}

int main(int argc, char **argv)
{
    int max_depth = argc > 1 ? atoi(argv[1]) : 20;
    int min_depth = 4;
    if (max_depth < min_depth + 2)
        max_depth = min_depth + 2;

    Arena stretch = {0};
    printf("stretch tree of depth %d check: %ld\n", max_depth + 1,
           check(make(&stretch, max_depth + 1)));
    arena_drop(&stretch);

    Arena long_lived = {0};
    Node *ll = make(&long_lived, max_depth);
    for (int d = min_depth; d <= max_depth; d += 2) {
        long iterations = 1L << (max_depth - d + min_depth);
        long sum = 0;
        for (long i = 0; i < iterations; i++) {
            Arena a = {0};
            sum += check(make(&a, d));
            arena_drop(&a);
        }
        printf("%ld trees of depth %d check: %ld\n", iterations, d, sum);
    }
    printf("long lived tree of depth %d check: %ld\n", max_depth, check(ll));
    arena_drop(&long_lived);
    while (pool) {
        Chunk *c = pool;
        pool = c->next;
        free(c);
    }
    return 0;
}
