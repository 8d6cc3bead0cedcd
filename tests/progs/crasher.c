/*
 * crasher.c - allocations, then an abrupt end.
 *
 * usage: crasher MODE [N]      MODE: abort | segv | _exit | exit  (N default 100)
 *
 * Makes N malloc(100 + i) calls from the noinline function keep_blocks (all
 * kept, none freed: N blocks, sum(100 + i) bytes), then ends:
 *   abort  abort()                  -> killed by SIGABRT
 *   segv   writes through NULL      -> killed by SIGSEGV (no handler installed)
 *   _exit  _exit(7)                 -> status 7, no atexit handlers
 *   exit   exit(0)
 * stderr: "crasher: blocks=N bytes=B" before the end.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "prog_util.h"

static void *kept[100000];

NOINLINE static unsigned long keep_blocks(long n)
{
    unsigned long bytes = 0;
    for (long i = 0; i < n; i++) {
        kept[i] = malloc(100 + (size_t)i);
        if (!kept[i])
            abort();
        memset(kept[i], 1, 100 + (size_t)i);
        bytes += 100 + (unsigned long)i;
    }
    return bytes;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        say(2, "usage: crasher abort|segv|_exit|exit [N]\n");
        return 64;
    }
    long n = arg_long(argc, argv, 2, 100, 0);
    if (n > 100000)
        n = 100000;
    unsigned long bytes = keep_blocks(n);
    say(2, "crasher: blocks=%ld bytes=%lu\n", n, bytes);
    if (!strcmp(argv[1], "abort"))
        abort();
    if (!strcmp(argv[1], "segv")) {
        volatile int *p = NULL;
        *p = 1;
    }
    if (!strcmp(argv[1], "_exit"))
        _exit(7);
    exit(0);
}
