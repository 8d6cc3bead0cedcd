/*
 * stress_trace.c - traces that are big in one dimension, for the analyzer's
 * limits (lost events, memory).
 *
 * usage: stress_trace churn HOLD PAIRS
 *     mallocs HOLD blocks of 100 bytes and keeps them, then makes PAIRS
 *     malloc(16..512)/free pairs, then frees the HOLD blocks: nothing leaks.
 *     With a small MTRACE_MAX_SIZE, recording stops during the pairs, so
 *     the HOLD blocks are live when it stops and their frees are lost.
 * usage: stress_trace stacks BITS
 *     2^BITS mallocs of 32 bytes, each from a distinct call stack (a chain
 *     of BITS calls, each through one of two call sites), all freed at the
 *     end: 2^BITS + a few distinct stacks in the trace, nothing leaks.
 *
 * Block pointers are kept in an mmap'd array, so the program's only
 * allocations are the ones described.  Prints "stress_trace: done" on
 * stderr and exits 0.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "prog_util.h"

#include <sys/mman.h>

static void **kept;
static size_t nkept;

static void **keep_array(size_t n)
{
    void *a = mmap(NULL, (n ? n : 1) * sizeof(void *), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a == MAP_FAILED) {
        say(2, "stress_trace: mmap failed\n");
        exit(1);
    }
    return a;
}

#define BARRIER() __asm__ volatile("" ::: "memory") /* no tail calls */

static NOINLINE void leaf(void)
{
    void *p = malloc(32);
    if (!p)
        exit(1);
    escape(p);
    kept[nkept++] = p;
}

static NOINLINE void rec(int depth, unsigned bits);

static NOINLINE void via_a(int depth, unsigned bits)
{
    rec(depth, bits);
    BARRIER();
}

static NOINLINE void via_b(int depth, unsigned bits)
{
    rec(depth, bits);
    BARRIER();
}

static NOINLINE void rec(int depth, unsigned bits)
{
    if (depth == 0) {
        leaf();
    } else if (bits & 1) {
        via_a(depth - 1, bits >> 1);
    } else {
        via_b(depth - 1, bits >> 1);
    }
    BARRIER();
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        say(2, "usage: stress_trace churn HOLD PAIRS | stress_trace stacks BITS\n");
        return 2;
    }
    if (!strcmp(argv[1], "stacks")) {
        long bits = arg_long(argc, argv, 2, 17, 1);
        if (bits > 24)
            bits = 24;
        size_t n = (size_t)1 << bits;
        kept = keep_array(n);
        for (size_t i = 0; i < n; i++)
            rec((int)bits, (unsigned)i);
    } else {
        long hold = arg_long(argc, argv, 2, 1000, 0);
        long pairs = arg_long(argc, argv, 3, 1000, 0);
        kept = keep_array((size_t)hold);
        for (long i = 0; i < hold; i++) {
            void *p = malloc(100);
            if (!p)
                exit(1);
            escape(p);
            kept[nkept++] = p;
        }
        uint32_t seed = 12345;
        for (long i = 0; i < pairs; i++) {
            void *p = malloc(16 + xorshift32(&seed) % 497);
            escape(p);
            free(p);
        }
    }
    for (size_t i = 0; i < nkept; i++)
        free(kept[i]);
    say(2, "stress_trace: done\n");
    return 0;
}
