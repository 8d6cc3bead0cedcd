/*
 * bad_free.c - free() of addresses that were never heap blocks.
 *
 * usage: bad_free stack|global
 *   stack   free(&a_local_variable)
 *   global  free(&a_global)
 * One malloc(24)/free pair first.  stderr: "bad_free: freeing 0x..." (the
 * address).  glibc then aborts ("free(): invalid pointer"): exit by SIGABRT.
 * mtrace logs the free before glibc sees it: the report must count it as
 * an invalid free, not as the free of a block allocated before tracing.
 */
#include "prog_util.h"

long a_global[4];

NOINLINE static void bad(void *p)
{
    say(2, "bad_free: freeing %p\n", p);
    free(p);
}

int main(int argc, char **argv)
{
    char *ok = malloc(24);
    escape(ok);
    free(ok);
    long local[4] = {1, 2, 3, 4};
    escape(local);
    if (argc > 1 && !strcmp(argv[1], "global"))
        bad(a_global);
    else
        bad(local);
    return 0;
}
