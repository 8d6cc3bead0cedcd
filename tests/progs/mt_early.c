/*
 * mt_early.c - libmt_early.so: preloaded before libmtrace.so, so its
 * constructor runs before libmtrace's: early_ctor_alloc leaks 2001 bytes.
 */
#include "prog_util.h"

NOINLINE static void early_ctor_alloc(void)
{
    char *p = malloc(2001);
    if (p)
        memset(p, 1, 2001);
    escape(p);
}

__attribute__((constructor)) static void early_ctor(void) { early_ctor_alloc(); }
