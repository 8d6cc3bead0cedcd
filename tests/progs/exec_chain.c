/*
 * exec_chain.c - a process that re-executes itself K times.
 *
 * usage: exec_chain [K]          (default 2; 0..100)
 *
 * Every image calls the noinline function leak_111(), which mallocs 111
 * bytes, writes into them and drops the pointer.  Then:
 *   K > 0: execv("/proc/self/exe", {argv[0], "K-1", NULL})
 *   K == 0: return 0 from main (normal exit)
 * So "exec_chain 2" runs 3 images in ONE process (same pid throughout):
 *   image k=2: 1 malloc(111), then execve
 *   image k=1: 1 malloc(111), then execve
 *   image k=0: 1 malloc(111), then exit 0
 * Each image leaks exactly 1 block of 111 bytes (from leak_111) and makes no
 * other allocation; the blocks of images k > 0 are never freed because
 * execve discards the whole address space.  In total K + 1 images,
 * K + 1 blocks, 111 * (K + 1) bytes.
 *
 * stderr, one line per image:
 *   exec_chain: pid P image k=2 leaked 111 bytes
 *   exec_chain: pid P image k=1 leaked 111 bytes
 *   exec_chain: pid P image k=0 leaked 111 bytes, done
 * Exit status 0; 1 if execv fails.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "prog_util.h"

#define LEAK 111

NOINLINE static void leak_111(long k)
{
    unsigned char *p = malloc(LEAK);
    if (!p)
        abort();
    memset(p, (int)('0' + k % 10), LEAK);
    escape(p);
    /* p is dropped */
}

int main(int argc, char **argv)
{
    long k = arg_long(argc, argv, 1, 2, 0);
    if (k > 100) {
        say(2, "exec_chain: K must be <= 100\n");
        return 64;
    }
    leak_111(k);
    if (k == 0) {
        say(2, "exec_chain: pid %d image k=0 leaked %d bytes, done\n", (int)getpid(), LEAK);
        return 0;
    }
    say(2, "exec_chain: pid %d image k=%ld leaked %d bytes\n", (int)getpid(), k, LEAK);

    char next[24];
    snprintf(next, sizeof next, "%ld", k - 1);
    char *args[] = { argv[0], next, NULL };
    execv("/proc/self/exe", args);
    say(2, "exec_chain: execv(/proc/self/exe) failed: %s\n", strerror(errno));
    return 1;
}
