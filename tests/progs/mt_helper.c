/*
 * mt_helper.c - libmt_helper.so: a library that allocates in its constructor
 * and destructor.  early_late links it; fork_stress dlopen()s it.
 *   constructor: helper_ctor_alloc leaks 2002 bytes (1 block)
 *   destructor:  helper_dtor_alloc leaks 2003 bytes (1 block)
 */
#include "prog_util.h"

NOINLINE static void helper_ctor_alloc(void)
{
    char *p = malloc(2002);
    if (p)
        memset(p, 1, 2002);
    escape(p);
}

NOINLINE static void helper_dtor_alloc(void)
{
    char *p = malloc(2003);
    if (p)
        memset(p, 1, 2003);
    escape(p);
}

__attribute__((constructor)) static void helper_ctor(void) { helper_ctor_alloc(); }
__attribute__((destructor)) static void helper_dtor(void) { helper_dtor_alloc(); }

int mt_helper_touch(void);
int mt_helper_touch(void) { return 1; }
