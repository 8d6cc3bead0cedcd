/*
 * dlopen_late.c - a library loaded after many stacks were seen.
 *
 * usage: dlopen_late LIBRARY      (tests pass libmt_helper.so)
 *
 * Makes 256 allocations from 256 distinct stacks (so the shim knows the
 * program's code well and skips its module checks), then dlopen()s LIBRARY,
 * whose constructor leaks 2002 bytes from helper_ctor_alloc (mt_helper.c).
 * Expected under a tracer: that leak, with helper_ctor_alloc and the
 * library's path in its stack.  Exit status 0 (2 if dlopen fails).
 */
#include <dlfcn.h>

#include "prog_util.h"

static NOINLINE void one(void)
{
    void *p = malloc(16);
    escape(p);
    free(p);
}

/* left and right reach one() from two call sites each: 2^depth stacks */
static void level(unsigned depth, unsigned path);

static NOINLINE void left(unsigned depth, unsigned path)
{
    level(depth, path);
    escape(NULL);
}

static NOINLINE void right(unsigned depth, unsigned path)
{
    level(depth, path);
    escape(NULL);
}

static NOINLINE void level(unsigned depth, unsigned path)
{
    if (depth == 0)
        one();
    else if (path & 1)
        right(depth - 1, path >> 1);
    else
        left(depth - 1, path >> 1);
    escape(NULL);
}

int main(int argc, char **argv)
{
    for (unsigned i = 0; i < 256; i++)
        level(8, i);
    if (argc < 2 || !dlopen(argv[1], RTLD_NOW))
        return 2;
    return 0;
}
