/*
 * threshold.c - glibc's dynamic mmap threshold rises after an mmapped free.
 *
 * usage: threshold [PAUSE_MS [FIXED]]  (PAUSE_MS default 0: pause after each
 *                                      step; FIXED: see below)
 *
 * glibc starts with M_MMAP_THRESHOLD = 128 KiB: requests at or above it are
 * served by their own mmap.  When an mmapped chunk is freed and it is larger
 * than the current threshold (and <= 32 MiB), glibc raises the threshold to
 * that chunk's size and the trim threshold to twice that, on the theory that
 * the program uses blocks of this size as temporaries and the heap should
 * serve them.  The SAME 160 KiB request therefore goes to mmap before the
 * free and to the brk heap after it.
 *
 *   step  call              expected  why
 *   1     malloc(100 KiB)   brk       below 128 KiB
 *   2     malloc(160 KiB)   mmap      above 128 KiB
 *   3     malloc(200 KiB)   mmap      above 128 KiB
 *   3f    free(step 3)      munmap    threshold := 204 KiB (208896, the chunk)
 *   4     malloc(160 KiB)   brk       now below the threshold
 *   5     malloc(300 KiB)   mmap      above 204 KiB
 *   then all blocks are freed (step 5's free raises the threshold to 304 KiB).
 *
 * Each step is printed to stdout as
 *   step 4: malloc(160 KiB) = 0x55f1d2a3c2b0  brk   (expected brk)
 * "brk"/"mmap" is decided from the [heap] line of /proc/self/maps.  The last
 * line is "threshold: as expected" (exit 0) or "threshold: UNEXPECTED
 * placement" (exit 2: tunables such as GLIBC_TUNABLES=glibc.malloc.
 * mmap_threshold or MALLOC_MMAP_THRESHOLD_ disable the dynamic threshold,
 * and under valgrind, which replaces glibc's malloc, steps 1 and 4 are
 * reported as mismatches).
 *
 * strace -e trace=brk,mmap,munmap,mremap ./threshold  (glibc 2.36, x86-64):
 *   step 1  brk(NULL); brk(+0x21000)      heap = 132 KiB (tcache + 100 KiB)
 *   step 2  mmap(NULL, 167936)            160 KiB + header -> 164 KiB
 *   step 3  mmap(NULL, 208896)            200 KiB + header -> 204 KiB
 *   3f      munmap(.., 208896)
 *   step 4  brk(+0x41000)                 the heap grows (to 392 KiB)
 *                                         instead of an mmap
 *   step 5  mmap(NULL, 311296)            300 KiB + header -> 304 KiB
 *   frees   munmap(.., 311296); munmap(.., 167936); the brk heap is not
 *           shrunk (its free top stays below the raised trim threshold)
 *
 * With FIXED (bytes, >= 0), the program first calls
 * mallopt(M_MMAP_THRESHOLD, FIXED).  That sets the threshold and turns the
 * dynamic adjustment off for good, so step 3's free raises nothing and every
 * request >= FIXED is mmapped: with FIXED = 131072, step 4's 160 KiB goes to
 * mmap (the placement check expects exactly that).  The same happens with
 * MALLOC_MMAP_THRESHOLD_=131072 in the environment, but the program cannot
 * see that one and reports the step 4 placement as UNEXPECTED (exit 2).
 *
 * Calls: 5 malloc, 5 free (and 1 mallopt with FIXED).  Nothing leaks.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "sample_util.h"

#include <malloc.h>

static int mismatches;
static long pause_ms;
static long fixed = -1; /* mallopt(M_MMAP_THRESHOLD) value, or -1 */

static void *step(const char *name, long kib, const char *expected)
{
    if (fixed >= 0) /* a fixed threshold: at or above it, mmap */
        expected = kib * 1024 >= fixed ? "mmap" : "brk";
    void *p = malloc((size_t)kib * 1024);
    if (!p) {
        say(2, "threshold: malloc(%ld KiB) failed\n", kib);
        exit(1);
    }
    memset(p, 0x5a, (size_t)kib * 1024);
    const char *got = where(p);
    int ok = strcmp(got, expected) == 0;
    if (!ok)
        mismatches++;
    say(1, "step %s: malloc(%ld KiB) = %p  %-4s  (expected %s)%s\n", name, kib, p, got,
        expected, ok ? "" : "  <-- MISMATCH");
    sleep_ms(pause_ms);
    return p;
}

int main(int argc, char **argv)
{
    pause_ms = arg_long(argc, argv, 1, 0, 0);
    fixed = arg_long(argc, argv, 2, -1, 0);
    if (fixed >= 0 && mallopt(M_MMAP_THRESHOLD, (int)fixed) != 1) {
        say(2, "threshold: mallopt(M_MMAP_THRESHOLD, %ld) refused\n", fixed);
        return 1;
    }

    void *s1 = step("1", 100, "brk");
    void *s2 = step("2", 160, "mmap");
    void *s3 = step("3", 200, "mmap");
    free(s3);
    if (fixed >= 0)
        say(1, "step 3f: free(step 3): mmap threshold stays %ld (fixed)\n", fixed);
    else
        say(1, "step 3f: free(step 3): mmap threshold is now 204 KiB\n");
    sleep_ms(pause_ms);
    void *s4 = step("4", 160, "brk");
    void *s5 = step("5", 300, "mmap");

    free(s4);
    free(s5);
    free(s2);
    free(s1);

    if (mismatches) {
        say(1, "threshold: UNEXPECTED placement (%d steps)\n", mismatches);
        return 2;
    }
    say(1, "threshold: as expected\n");
    return 0;
}
