/*
 * ring_phases.c - churn, a leaking phase, churn: for the flight recorder.
 *
 * usage: ring_phases PAIRS1 LEAKS PAIRS2
 *
 * 1. before_window_alloc: two blocks, 555 bytes (freed at the very end) and
 *    666 bytes (never freed).
 * 2. PAIRS1 malloc/free pairs of 16..512 bytes (churn).
 * 3. leak_phase: LEAKS blocks of 777 bytes, never freed.
 * 4. PAIRS2 pairs of churn.
 * 5. the 555-byte block is freed; exit 0.
 * With a ring much smaller than the churn, phase 1 is overwritten: the
 * 666-byte block is a real leak that the trace can no longer see, and the
 * free of the 555-byte block is of a block allocated before the window.
 * stderr: "ring_phases: leaked LEAKS x 777 bytes".
 */
#include "prog_util.h"

static uint32_t seed = 12345u;

NOINLINE static void churn(long pairs)
{
    for (long i = 0; i < pairs; i++) {
        size_t size = 16 + xorshift32(&seed) % 497;
        char *p = malloc(size);
        if (!p)
            abort();
        p[0] = 1;
        escape(p);
        free(p);
    }
}

NOINLINE static void leak_phase(long n)
{
    for (long i = 0; i < n; i++) {
        char *p = malloc(777);
        if (!p)
            abort();
        memset(p, 7, 777);
        escape(p);
    }
}

NOINLINE static void *before_window_alloc(size_t n)
{
    char *p = malloc(n);
    if (p)
        memset(p, 3, n);
    escape(p);
    return p;
}

int main(int argc, char **argv)
{
    long pairs1 = arg_long(argc, argv, 1, 100000, 0);
    long leaks = arg_long(argc, argv, 2, 10, 0);
    long pairs2 = arg_long(argc, argv, 3, 1000, 0);
    void *freed_late = before_window_alloc(555);
    before_window_alloc(666);
    churn(pairs1);
    leak_phase(leaks);
    churn(pairs2);
    free(freed_late);
    say(2, "ring_phases: leaked %ld x 777 bytes\n", leaks);
    return 0;
}
