/*
 * deep.c - the churn workload with malloc/free 48 frames deep.
 *
 * usage: deep [PAIRS [THREADS [DEPTH]]]   (defaults: 500000 pairs, 1 thread,
 *                                          depth 48; DEPTH 1..1000)
 *
 * Same pattern as churn (see churn_core.h): PAIRS malloc/free pairs of 16..512
 * bytes, a ring of about 10000 live blocks per thread, but the calls are made
 * through DEPTH nested frames of alloc_at/free_at, so with the default the
 * stack at malloc/free is 48 + churn_worker + main + 2 libc + _start = 53
 * frames.  Measures the cost of unwinding and interning long stacks.
 * Exactly PAIRS malloc and PAIRS free calls; nothing live at exit.
 * Prints to stderr: "deep: pairs=500000 threads=1 depth=48 elapsed_ns=E
 * ns_per_pair=X".
 *
 * Untraced on a 2-core x86-64 VM (glibc 2.36, gcc 12): about 0.12 s
 * (~240 ns per pair; THREADS=2: ~0.07 s).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "churn_core.h"

int main(int argc, char **argv)
{
    long pairs = arg_long(argc, argv, 1, 500000, 0);
    long threads = arg_long(argc, argv, 2, 1, 1);
    long depth = arg_long(argc, argv, 3, 48, 1);
    return run_churn("deep", pairs, threads, (int)depth);
}
