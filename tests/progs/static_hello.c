/*
 * static_hello.c - a statically linked program (built with -static when
 * glibc's static library is installed).  LD_PRELOAD cannot reach it, so
 * mtrace-run must refuse it before it runs.
 *
 * usage: static_hello
 * stderr: "static_hello: ran"; exit status 0.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "prog_util.h"

int main(void)
{
    say(2, "static_hello: ran\n");
    return 0;
}
