/*
 * static_hello.c - a statically linked program (built with -static when
 * glibc's static library is installed).  LD_PRELOAD cannot reach it, so
 * mtrace-run must refuse it before it runs.
 *
 * usage: static_hello [SECONDS]
 * stderr: "static_hello: ran"; sleeps SECONDS (default 0: mtrace-run --pid
 * must refuse it while it runs); exit status 0.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "prog_util.h"

int main(int argc, char **argv)
{
    say(2, "static_hello: ran\n");
    if (argc > 1)
        sleep((unsigned)atoi(argv[1]));
    return 0;
}
