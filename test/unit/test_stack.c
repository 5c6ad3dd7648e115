/* test_stack.c — stack overflow inside runtime C code (issue 8, item 4).
 *
 * Deterministic complement of test/lit/tools/stack-overflow-runtime*.omni:
 * on the big-stack thread, the stack pointer is put at every 16-byte offset
 * of the lowest 96 KiB above the PROT_NONE guard (and coarser above), and a
 * runtime operation that holds state while it runs is called there:
 *   A. omni_transmigrate_into (forwarding marks in the source objects, a
 *      malloc'd log past 256 objects, chunk refills under the pool lock);
 *   B. omni_store of a young list into a global slot (the barrier's scan
 *      with calloc/realloc, then transmigration);
 *   C. omni_to_cstring (realloc'd buffer, snprintf).
 * Whatever the offset, the operation either completes with the right result
 * or raises the clean "stack overflow (recursion too deep)" error; the
 * source graph is intact afterwards (no forwarding mark left: it prints as
 * it did), and malloc and the chunk pool still work (no lock left held: a
 * deadlock fails the test by its timeout).  Before the fix the overflow
 * handler siglongjmp'd out of whatever C code was running.
 */
#include "rt_core.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static FILE *g_errs;

static void setup(void)
{
    omni_rt_init(0, NULL);
    if (!g_errs)
        g_errs = tmpfile();
    omni_set_error_stream(g_errs);
}

#define NCELLS 600
#define FINE_MAX (96 << 10)   /* every 16 bytes below this offset */
#define COARSE_MAX (3 << 20)  /* every 4 KiB up to this one */

typedef struct Scan {
    uintptr_t guard_hi;       /* lowest usable address of the big stack */
    Region *src;
    OVal list;                /* NCELLS cells in src */
    char *expect;             /* its write form */
    OVal slot;                /* a global slot (owner 0) */
    int op;
    int raised, completed, bad;
    char why[256];
} Scan;

static OVal make_list(Region *r)
{
    OVal l = OMNI_NIL;
    for (int k = NCELLS - 1; k >= 0; k--) {
        OVal car;
        if (k % 3 == 0) {
            char s[16];
            snprintf(s, sizeof s, "s%d", k);
            car = omni_make_string(r, s, (int64_t)strlen(s));
        } else if (k % 3 == 1) {
            car = omni_make_float(r, k + 0.5);
        } else {
            car = omni_fix(k);
        }
        l = OMNI_PAIR_VAL(omni_pair_new_inline(r, car, l));
    }
    return l;
}

static void note_bad(Scan *s, size_t d, const char *what)
{
    if (!s->bad)
        snprintf(s->why, sizeof s->why, "offset %zu, op %c: %s", d, 'A' + s->op, what);
    s->bad++;
}

static void op_body(void *p)
{
    Scan *s = p;
    switch (s->op) {
    case 0: {
        Region *dst = omni_region_new(NULL);
        OVal c = omni_transmigrate_into(s->list, dst);
        char *t = omni_to_cstring(c, true);
        bool ok = strcmp(t, s->expect) == 0;
        free(t);
        omni_region_exit(dst);
        if (!ok)
            omni_raise(NULL, "copy differs");
        break;
    }
    case 1:
        omni_store(0, &s->slot, s->list);
        break;
    case 2: {
        char *t = omni_to_cstring(s->list, true);
        bool ok = strcmp(t, s->expect) == 0;
        free(t);
        if (!ok)
            omni_raise(NULL, "text differs");
        break;
    }
    }
}

/* Calls op_body with the stack pointer about `gap` bytes lower. */
__attribute__((noinline)) static int at_gap(size_t gap, Scan *s)
{
    volatile char *p = __builtin_alloca(gap);
    __asm__ volatile("" : : "r"(p) : "memory");
    return omni_try(op_body, s);
}

/* Under a try: so near the guard, region.new's slow path (always taken in
 * sanitizer builds) may raise the overflow itself, which is fine. */
static void use_pool(void *p)
{
    (void)p;
    void *m = malloc(100000);
    free(m);
    Region *r = omni_region_new(NULL);
    for (int i = 0; i < 40; i++)
        omni_alloc(r, 8000);
    omni_alloc(r, 200000);
    omni_region_exit(r);
}

static void check_after(Scan *s, size_t d, int raised)
{
    if (raised) {
        s->raised++;
        if (strcmp(omni_last_error(), "stack overflow (recursion too deep)") != 0)
            note_bad(s, d, omni_last_error());
    } else {
        s->completed++;
    }
    /* the source graph is intact: no forwarding mark left in it */
    char *t = omni_to_cstring(s->list, true);
    if (strcmp(t, s->expect) != 0)
        note_bad(s, d, "source list corrupted");
    free(t);
    if (s->op == 1 && s->slot != OMNI_NOTHING) {
        char *u = omni_to_cstring(s->slot, true);
        if (strcmp(u, s->expect) != 0)
            note_bad(s, d, "stored copy differs");
        free(u);
        s->slot = OMNI_NOTHING;
    }
    /* malloc and the chunk pool still work (a held lock deadlocks here) */
    omni_try(use_pool, NULL);
}

static void scan_at(Scan *s, size_t d)
{
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    uintptr_t target = s->guard_hi + d;
    if (sp <= target + 512)
        return;
    for (s->op = 0; s->op < 3; s->op++)
        check_after(s, d, at_gap(sp - target - 512, s));
}

/* Recurses (4 KiB frames) until the stack pointer is within reach of the
 * guard, then scans the offsets from high to low. */
__attribute__((noinline)) static void descend(Scan *s)
{
    volatile char pad[4096];
    pad[0] = 1;
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    if (sp > s->guard_hi + COARSE_MAX + (64 << 10)) {
        descend(s);
        __asm__ volatile("" : : "r"(pad) : "memory");
        return;
    }
    for (size_t d = COARSE_MAX; d > FINE_MAX; d -= 4096)
        scan_at(s, d);
    for (size_t d = FINE_MAX; d >= 16; d -= 16)
        scan_at(s, d);
    for (size_t d = 0; d < 16; d++)
        scan_at(s, d);
}

static int run_scan(void *p)
{
    Scan *s = p;
    pthread_attr_t a;
    void *lo;
    size_t size;
    pthread_getattr_np(pthread_self(), &a);
    pthread_attr_getstack(&a, &lo, &size);
    pthread_attr_destroy(&a);
    s->guard_hi = (uintptr_t)lo;
    s->src = omni_region_new(NULL);
    s->list = make_list(s->src);
    s->expect = omni_to_cstring(s->list, true);
    s->slot = OMNI_NOTHING;
    descend(s);
    free(s->expect);
    omni_region_exit(s->src);
    return 0;
}

START_TEST(test_overflow_inside_runtime)
{
    Scan s = { 0 };
    omni_run_with_big_stack(run_scan, &s);
    fprintf(stderr, "stack scan: %d completed, %d raised, %d bad\n", s.completed, s.raised, s.bad);
    ck_assert_msg(s.bad == 0, "%d bad (first: %s)", s.bad, s.why);
    ck_assert_int_gt(s.completed, 0);
    ck_assert_int_gt(s.raised, 0);
}
END_TEST

static Suite *stack_suite(void)
{
    Suite *su = suite_create("stack");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_overflow_inside_runtime);
    suite_add_tcase(su, tc);
    return su;
}

int main(void)
{
    SRunner *sr = srunner_create(stack_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
