/*
 * alloc_size.c - small blocks come from the brk heap, big ones from mmap.
 *
 * usage: alloc_size [SMALL_KIB [BIG_KIB [PAUSE_MS]]]   (defaults: 32 256 0)
 *
 * The seeds' alloc_size, without stdin: every "press a key" became a pause of
 * PAUSE_MS milliseconds (nanosleep; pass e.g. 2000 to have time for pmap).
 *
 *   phase 1: pause, malloc 3 x SMALL_KIB KiB, print each address, pause,
 *            free the 3 blocks, pause
 *   phase 2: the same with 3 x BIG_KIB KiB
 *
 * Each address is printed to stdout with where it lies: "brk" if it is
 * inside the [heap] line of /proc/self/maps, else "mmap", e.g.
 *   phase 1: 3 x 32 KiB
 *   New allocation at 0x55d0c6bc92a0 (brk)
 *
 * Expected (glibc 2.36, x86-64, default tunables), as seen with
 *   strace -e trace=brk,mmap,munmap,mremap ./alloc_size
 *   phase 1 (32 KiB < 128 KiB mmap threshold, all three from the brk heap):
 *     brk(NULL)                 first malloc initialises the main arena
 *     brk(cur + 0x21000)        heap = 132 KiB: tcache + 3 x 32 KiB fit in it
 *     (no syscall for the 3 frees: the top chunk stays below the 128 KiB trim
 *      threshold, so the heap is not shrunk)
 *   phase 2 (256 KiB >= threshold, one mapping per block):
 *     mmap(NULL, 266240, ...) x 3     256 KiB + 16 B header -> 260 KiB
 *     munmap(..., 266240) x 3
 *   The free of an mmapped block raises glibc's dynamic mmap threshold to
 *   266240 (see threshold.c), so a phase 3 of 256 KiB blocks would use brk.
 *
 * Calls: 6 malloc, 6 free.  Nothing leaks.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "sample_util.h"

#define NBLOCKS 3

static void phase(int n, long kib, long pause_ms)
{
    void *blocks[NBLOCKS];
    size_t size = (size_t)kib * 1024;

    say(1, "phase %d: %d x %ld KiB\n", n, NBLOCKS, kib);
    sleep_ms(pause_ms);
    for (int i = 0; i < NBLOCKS; i++) {
        blocks[i] = malloc(size);
        if (!blocks[i]) {
            say(2, "alloc_size: malloc(%zu) failed\n", size);
            exit(1);
        }
        memset(blocks[i], i + 1, size);
        say(1, "New allocation at %p (%s)\n", blocks[i], where(blocks[i]));
    }
    say(1, "phase %d: pause before free\n", n);
    sleep_ms(pause_ms);
    for (int i = 0; i < NBLOCKS; i++)
        free(blocks[i]);
    say(1, "phase %d: freed\n", n);
    sleep_ms(pause_ms);
}

int main(int argc, char **argv)
{
    long small = arg_long(argc, argv, 1, 32, 1);
    long big = arg_long(argc, argv, 2, 256, 1);
    long pause_ms = arg_long(argc, argv, 3, 0, 0);

    say(1, "alloc_size: pid %d\n", (int)getpid());
    phase(1, small, pause_ms);
    phase(2, big, pause_ms);
    return 0;
}
