/*
 * stacks.c - every allocation from a call stack not seen before.
 *
 * usage: stacks [BITS]        (default 20: 2^20 = 1,048,576 distinct stacks)
 *
 * For i in 0 .. 2^BITS - 1, descends BITS levels, at level k through left()
 * or right() as bit k of i says, and at the bottom does malloc(16 + i % 64)
 * and free.  left and right call the next level from two different call
 * sites each, so every i has a stack of its own: the worst case for a
 * tracer's stack interning (the trace's stack table holds 2^BITS stacks of
 * BITS + 3 frames).  Exactly 2^BITS malloc and 2^BITS free calls.
 * Prints to stderr "stacks: distinct=N elapsed_ns=E ns_per_pair=X".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void *volatile sink;

static void descend(unsigned level, uint32_t path);

static __attribute__((noinline)) void left(unsigned level, uint32_t path)
{
    descend(level, path);
    __asm__ volatile("" ::: "memory"); /* keeps the call from being a tail call */
}

static __attribute__((noinline)) void right(unsigned level, uint32_t path)
{
    descend(level, path);
    __asm__ volatile("" ::: "memory");
}

static __attribute__((noinline)) void descend(unsigned level, uint32_t path)
{
    if (level == 0) {
        void *p = malloc(16 + path % 64);
        sink = p;
        free(p);
        return;
    }
    if (path >> (level - 1) & 1)
        right(level - 1, path);
    else
        left(level - 1, path);
    __asm__ volatile("" ::: "memory");
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    unsigned bits = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 20;
    if (bits < 1 || bits > 26) {
        fprintf(stderr, "stacks: BITS must be 1..26\n");
        return 2;
    }
    uint32_t n = 1u << bits;
    uint64_t t0 = now_ns();
    for (uint32_t i = 0; i < n; i++)
        descend(bits, i);
    uint64_t dt = now_ns() - t0;
    fprintf(stderr, "stacks: distinct=%u elapsed_ns=%llu ns_per_pair=%.1f\n", n,
            (unsigned long long)dt, (double)dt / n);
    return 0;
}
