/*
 * own_mmap.c - the program's own anonymous mappings, for the region map.
 *
 * usage: own_mmap
 *
 * map_table() mmaps 1 MiB (256 pages) read-write, private, anonymous, and
 * touches every page; it stays mapped at exit.  map_scratch() mmaps 64 KiB
 * and unmaps it again.  One malloc(100)/free pair.  stderr:
 * "own_mmap: table at 0x..." (the address of the 1 MiB mapping).
 * --maps must show the table as the program's, made at map_table, not
 * merged with mtrace's own memory.  Exit status 0.
 */
#include <sys/mman.h>

#include "prog_util.h"

static char *volatile table;

NOINLINE static char *map_table(size_t len)
{
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    for (size_t i = 0; i < len; i += 4096)
        p[i] = 1;
    return p;
}

NOINLINE static void map_scratch(void)
{
    char *p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) {
        p[0] = 1;
        munmap(p, 65536);
    }
}

int main(void)
{
    char *b = malloc(100);
    escape(b);
    free(b);
    map_scratch();
    table = map_table(1 << 20);
    if (!table)
        return 1;
    say(2, "own_mmap: table at %p\n", (void *)table);
    return 0;
}
