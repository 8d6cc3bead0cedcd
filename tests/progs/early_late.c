/*
 * early_late.c - allocations before main and after it returns.
 *
 * usage: early_late          (link: libmt_helper.so)
 *
 * Each of these leaks exactly one block of the given size, from a noinline
 * function named after the moment:
 *   2000  preinit_alloc     .preinit_array: before any library's constructor,
 *                           so before libmtrace.so's own
 *   2002  helper_ctor_alloc libmt_helper.so's constructor
 *   2004  atexit_alloc      an atexit handler, after main returned
 *   2005  dtor_alloc        the program's static destructor
 *   2003  helper_dtor_alloc libmt_helper.so's destructor
 * (2001 early_ctor_alloc comes from libmt_early.so when it is preloaded.)
 * main itself makes one malloc/free pair.
 * stderr: "early_late: main" from main.  Exit status 0.
 */
#include "prog_util.h"

int mt_helper_touch(void);

NOINLINE static void leak_n(size_t n)
{
    char *p = malloc(n);
    if (p)
        memset(p, 1, n);
    escape(p);
}

NOINLINE static void preinit_alloc(void) { leak_n(2000); }
NOINLINE static void atexit_alloc(void) { leak_n(2004); }
NOINLINE static void dtor_alloc(void) { leak_n(2005); }

static void preinit(int argc, char **argv, char **envp)
{
    (void)argc;
    (void)argv;
    (void)envp;
    preinit_alloc();
}
__attribute__((section(".preinit_array"), used)) static void (*preinit_p)(int, char **, char **) =
    preinit;

__attribute__((destructor)) static void program_dtor(void) { dtor_alloc(); }

static void at_exit(void) { atexit_alloc(); }

int main(void)
{
    atexit(at_exit);
    char *p = malloc(10);
    escape(p);
    free(p);
    say(2, "early_late: main %d\n", mt_helper_touch());
    return 0;
}
