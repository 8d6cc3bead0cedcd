/*
 * first_call.c - the program's first heap call both moves the break and
 * maps a block: glibc sets up its per-thread cache first (a small block
 * from the brk heap: the break moves) and then serves the request with a
 * dedicated mmap.  strace shows the brk before the mmap; so must mtrace.
 *
 * usage: first_call calloc|realloc_null|grow
 *   calloc        calloc(1, 300000) as the first call, then free
 *   realloc_null  realloc(NULL, 300000) as the first call, then free
 *   grow          realloc(NULL, 64) as the first call, then doubled with
 *                 realloc up to 1 MiB: the block leaves the brk heap for an
 *                 mmap (the freed brk block may let glibc trim the heap in
 *                 the same call: the mmap comes first then), then mremaps
 * Exit status 0; 2 on a bad argument.
 */
#include "prog_util.h"

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "calloc")) {
        char *p = calloc(1, 300000);
        escape(p);
        free(p);
    } else if (!strcmp(mode, "realloc_null")) {
        char *p = realloc(NULL, 300000);
        escape(p);
        free(p);
    } else if (!strcmp(mode, "grow")) {
        size_t n = 64;
        char *p = realloc(NULL, n);
        while (p && n < (1u << 20)) {
            n *= 2;
            char *q = realloc(p, n);
            if (!q)
                break;
            p = q;
            p[n - 1] = 1;
            escape(p);
        }
        free(p);
    } else {
        say(2, "usage: first_call calloc|realloc_null|grow\n");
        return 2;
    }
    return 0;
}
