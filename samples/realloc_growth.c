/*
 * realloc_growth.c - a buffer grown by realloc, across the mmap threshold.
 *
 * usage: realloc_growth [PAUSE_MS]   (default 0; pause before each free)
 *
 * Part 1: one buffer, malloc(1 KiB) then realloc doubling up to 8 MiB
 *   (1, 2, 4, ... 8192 KiB: 1 malloc + 13 realloc), then free.  One line per
 *   step on stdout:  "grow  256 KiB: 0x7f... mmap  moved" .
 *   Expected (glibc 2.36, x86-64, plain run; strace -e trace=brk,mmap,
 *   munmap,mremap):
 *     first malloc   brk(NULL); brk(+0x21000): the 132 KiB main heap
 *     1 .. 128 KiB   brk   "in place": the block is the last chunk of the
 *                          heap and grows into the free top chunk (128 KiB +
 *                          16 still fits in the 132 KiB heap); no syscall
 *     256 KiB        mmap  "moved": the top is too small and 256 KiB is above
 *                          the 128 KiB threshold, so realloc = malloc in a new
 *                          mapping (mmap(NULL, 266240)) + copy + free of the
 *                          heap chunk
 *     512 KiB .. 8 MiB  mmap  glibc grows an mmapped chunk with mremap:
 *                          mremap(old, 266240, 528384, MREMAP_MAYMOVE), ...
 *                          up to mremap(old, 4198400, 8392704, MREMAP_MAYMOVE);
 *                          no copy in user space; the kernel moved the
 *                          mapping each time in our runs, so all 6 are
 *                          "moved" (7 steps in place, 6 moved)
 *     free           munmap(.., 8392704) (8 MiB + 4 KiB); this also raises
 *                          the dynamic mmap threshold to 8 MiB + 4 KiB
 * Part 2: a second buffer, malloc(100) then realloc +100 bytes 1000 times
 *   (final size 100100 bytes: 1 malloc + 1000 realloc), then free.  It gets
 *   the start of the heap again (part 1's heap chunk was freed into the top)
 *   and every realloc extends it in place into the top chunk: 0 moved, no
 *   syscall at all (100100 bytes fit in the existing 132 KiB heap).
 *
 * Calls: 2 malloc, 1013 realloc, 2 free.  Nothing leaks.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "sample_util.h"

int main(int argc, char **argv)
{
    long pause_ms = arg_long(argc, argv, 1, 0, 0);

    /* Part 1: doubling */
    size_t size = 1024;
    unsigned char *buf = malloc(size);
    if (!buf)
        return 1;
    memset(buf, 1, size);
    say(1, "grow %5zu KiB: %p %-4s\n", size / 1024, (void *)buf, where(buf));
    int moves1 = 0;
    while (size < ((size_t)8 << 20)) {
        size_t old = size;
        size *= 2;
        uintptr_t before = (uintptr_t)buf;
        unsigned char *nb = realloc(buf, size);
        if (!nb) {
            free(buf);
            return 1;
        }
        buf = nb;
        int moved = (uintptr_t)buf != before;
        moves1 += moved;
        memset(buf + old, 2, size - old);
        say(1, "grow %5zu KiB: %p %-4s %s\n", size / 1024, (void *)buf, where(buf),
            moved ? "moved" : "in place");
    }
    sleep_ms(pause_ms);
    free(buf);
    say(1, "part 1: 1 malloc, 13 realloc (%d moved), 1 free\n", moves1);

    /* Part 2: +100 bytes at a time */
    size = 100;
    char *s = malloc(size);
    if (!s)
        return 1;
    memset(s, 'a', size);
    int moves2 = 0;
    for (int i = 0; i < 1000; i++) {
        uintptr_t before = (uintptr_t)s;
        char *ns = realloc(s, size + 100);
        if (!ns) {
            free(s);
            return 1;
        }
        s = ns;
        memset(s + size, 'b', 100);
        size += 100;
        moves2 += (uintptr_t)s != before;
    }
    say(1, "part 2: final size %zu at %p %s, 1 malloc, 1000 realloc (%d moved), 1 free\n", size,
        (void *)s, where(s), moves2);
    sleep_ms(pause_ms);
    free(s);
    return 0;
}
