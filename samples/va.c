/*
 * va.c - where code, data, heap and stack live (after OSTEP's va.c).
 *
 * usage: va [PAUSE_MS]      (default 0; pause before freeing, for pmap)
 *
 * Prints to stdout, e.g. (x86-64, PIE, ASLR on):
 *   location of code : 0x55c4b7a6a1c9   main, in the executable's r-x mapping
 *   location of data : 0x55c4b7a6d010   an initialised global
 *   location of heap : 0x55c4b8d8b2a0   malloc(100): the [heap] (brk) area,
 *                                       just above the executable
 *   location of big  : 0x7f3c1e1f5010   malloc(100e6), as in OSTEP: glibc
 *                                       mmaps it near the shared libraries
 *   location of stack: 0x7ffd2f1f8a3c   a local int, in [stack] at the top
 * followed by "heap block is in [heap]: yes" and "big block is in [heap]: no".
 * The order code < data < heap < big < stack holds on x86-64 Linux.
 * OSTEP's macOS output shows only code/heap/stack; on Linux the 100e6-byte
 * block is not "the heap" in pmap's sense.
 *
 * Calls: 2 malloc, 2 free (the big block is never touched, so it costs no
 * RSS).  Unlike OSTEP's version nothing leaks and the exit status is 0.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "sample_util.h"

int initialised_global = 42;

int main(int argc, char **argv)
{
    long pause_ms = arg_long(argc, argv, 1, 0, 0);

    char *heap = malloc(100);
    char *big = malloc((size_t)100e6);
    if (!heap || !big)
        return 1;
    heap[0] = 'h';
    int x = 3;
    escape(&x);

    say(1, "location of code : %p\n", (void *)(uintptr_t)main);
    say(1, "location of data : %p\n", (void *)&initialised_global);
    say(1, "location of heap : %p\n", (void *)heap);
    say(1, "location of big  : %p\n", (void *)big);
    say(1, "location of stack: %p\n", (void *)&x);
    say(1, "heap block is in [heap]: %s\n", strcmp(where(heap), "brk") == 0 ? "yes" : "no");
    say(1, "big block is in [heap]: %s\n", strcmp(where(big), "brk") == 0 ? "yes" : "no");

    sleep_ms(pause_ms);
    free(big);
    free(heap);
    return 0;
}
