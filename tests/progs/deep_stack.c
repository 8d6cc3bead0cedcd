/*
 * deep_stack.c - one leak made 20 calls deep, for the depth limit.
 *
 * usage: deep_stack [DEPTH]   (default 20)
 *
 * main -> descend(DEPTH) -> descend(DEPTH-1) -> ... -> descend(0), which
 * leaks malloc(100).  The leak's stack has DEPTH + 2 frames of the program
 * (descend x DEPTH+1, main): under MTRACE_DEPTH=8 it is cut, and the report
 * must say so; under the default depth (64) it is whole and ends at main.
 */
#include "prog_util.h"

static void *volatile sink;

NOINLINE static void *descend(int n)
{
    if (n == 0)
        return malloc(100);
    void *p = descend(n - 1);
    escape(p);
    return p;
}

int main(int argc, char **argv)
{
    int depth = (int)arg_long(argc, argv, 1, 20, 0);
    sink = descend(depth);
    sink = NULL;
    return 0;
}
