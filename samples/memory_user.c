/*
 * memory_user.c - OSTEP's memory-user: allocate N MiB and keep touching it.
 *
 * usage: memory_user [MIB [SECONDS]]        (defaults: 16 MiB, 0.5 s)
 *   SECONDS may be fractional (0.2) or 0 (touch every page once, then exit).
 *
 * What it does
 *   1. writes its pid and a newline to stdout (write(2), e.g. "12345\n");
 *   2. mallocs MIB MiB in ONE block;
 *   3. touches every page of the block (one byte per page), pass after pass,
 *      until SECONDS have elapsed (CLOCK_MONOTONIC); at least one full pass;
 *   4. frees the block and exits 0.
 *
 * Environment (for tests):
 *   MEMORY_USER_READY_FILE=path  after the FIRST full pass (every page is
 *       resident), write "<pid>\n" to path (written to path.tmp, then renamed,
 *       so a reader never sees a partial file).  A test waits for the file and
 *       then runs pmap on the pid.
 *   MEMORY_USER_HOLD_FILE=path   after the touching loop and BEFORE free(),
 *       wait until path exists (polled every 10 ms, for at most 30 s), so a
 *       test can take "pmap -X" just before exit.  The test creates the file
 *       to let the program finish.
 *   MEMORY_USER_NO_FREE=1        skip step 4's free(): the block is still
 *       allocated, and its mapping still there, when main() returns.  Then
 *       the address space mtrace snapshots at exit (when main returns) is the
 *       one "pmap -X" shows while the program waits for the hold file, block
 *       included; the block is reported as a leak (MIB MiB in 1 block).
 *
 * Expected figures (glibc 2.36, x86-64, 4 KiB pages)
 *   The block is far above the 128 KiB mmap threshold, so glibc serves it
 *   with one anonymous mmap of MIB MiB + 4 KiB (16-byte chunk header, rounded
 *   up to a page):  MIB=16 -> mmap(NULL, 16781312) = X, block = X + 16.
 *   pmap -X shows it as an anonymous mapping ("[ anon ]", NOT "[ heap ]";
 *   some texts show a big malloc inside [heap], which is not what glibc does)
 *   of 16388 kB with Rss = Anonymous ~ 16388 kB once touched.  The kernel may
 *   merge it with an adjacent anonymous mapping (seen: 16400 kB = 16388 + the
 *   12 kB mapping ld.so made just above it), so a test should look for the
 *   mapping that CONTAINS the block address and has Size >= MIB*1024 + 4.
 *   [heap] still exists, 132 kB with 4 kB resident: glibc's first malloc
 *   allocates its tcache from the main arena (internally, no malloc call is
 *   made), which extends brk by 132 KiB.  free() munmaps the block.
 *   malloc/free calls: exactly 1 malloc and 1 free (no free with
 *   MEMORY_USER_NO_FREE=1).
 *   stderr gets one summary line at the end (before the wait for the hold
 *   file, if any):
 *     memory_user: mib=16 block=0x... passes=N elapsed=S
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "sample_util.h"

#include <limits.h>

static void write_ready_file(const char *path)
{
    char tmp[PATH_MAX];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        say(2, "memory_user: ready file path too long\n");
        return;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        say(2, "memory_user: cannot create %s: %s\n", tmp, strerror(errno));
        return;
    }
    say(fd, "%d\n", (int)getpid());
    close(fd);
    if (rename(tmp, path) != 0)
        say(2, "memory_user: cannot rename %s: %s\n", tmp, strerror(errno));
}

static void wait_hold_file(const char *path)
{
    for (int i = 0; i < 3000; i++) { /* 3000 x 10 ms = 30 s */
        if (access(path, F_OK) == 0)
            return;
        sleep_ms(10);
    }
    say(2, "memory_user: %s did not appear within 30 s, going on\n", path);
}

int main(int argc, char **argv)
{
    long mib = arg_long(argc, argv, 1, 16, 1);
    double seconds = 0.5;
    if (argc > 2) {
        char *end;
        seconds = strtod(argv[2], &end);
        if (end == argv[2] || *end != '\0' || !(seconds >= 0)) {
            say(2, "usage: memory_user [MIB [SECONDS]]\n");
            return 64;
        }
    }
    if ((unsigned long)mib > (SIZE_MAX >> 20)) {
        say(2, "memory_user: %ld MiB is too much\n", mib);
        return 64;
    }

    say(1, "%d\n", (int)getpid());

    size_t bytes = (size_t)mib << 20;
    volatile unsigned char *block = malloc(bytes);
    if (!block) {
        say(2, "memory_user: malloc(%zu) failed\n", bytes);
        return 1;
    }
    size_t page = (size_t)sysconf(_SC_PAGESIZE);

    const char *ready = getenv("MEMORY_USER_READY_FILE");
    const char *hold = getenv("MEMORY_USER_HOLD_FILE");

    double t0 = now_s();
    unsigned long passes = 0;
    for (;;) {
        for (size_t off = 0; off < bytes; off += page)
            block[off] = (unsigned char)(block[off] + 1);
        block[bytes - 1] = (unsigned char)passes;
        passes++;
        if (passes == 1 && ready && *ready)
            write_ready_file(ready);
        if (now_s() - t0 >= seconds)
            break;
    }
    double elapsed = now_s() - t0;

    /* The summary comes before the wait: once the hold file appears the
     * program does nothing but free (or not) and return, so "pmap -X" taken
     * during the wait shows the process as it exits (printing a %f touches
     * pages of libc that were not resident before). */
    say(2, "memory_user: mib=%ld block=%p passes=%lu elapsed=%.3f\n", mib, (void *)block,
        passes, elapsed);
    const char *no_free = getenv("MEMORY_USER_NO_FREE");
    if (hold && *hold)
        wait_hold_file(hold);

    if (!(no_free && strcmp(no_free, "1") == 0))
        free((void *)block);
    return 0;
}
