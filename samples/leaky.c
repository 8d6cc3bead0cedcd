/*
 * leaky.c - leaks from exactly three call sites, plus correctly freed work.
 *
 * usage: leaky
 *
 * What it shows
 *   Three distinctly named noinline functions each leak from ONE call site:
 *
 *     leak_small_strings  malloc(32)   x 8 (a loop, one call site)  =    256 bytes
 *     leak_records        calloc(1,48) x 4 (a linked list, one site) =    192 bytes
 *     leak_big_buffer     malloc(200000) x 1, above glibc's 128 KiB
 *                         mmap threshold, so it is served by mmap     = 200000 bytes
 *                                                             total: 13 blocks
 *                                                                    200448 bytes
 *   EXPECTED: leaked_blocks=13 leaked_bytes=200448 (also printed to stderr as
 *   "leaky: expected leaked_blocks=13 leaked_bytes=200448").
 *
 *   All pointers to leaked blocks are dropped before the functions return, so
 *   the blocks are unreachable at exit.  valgrind --leak-check=full reports:
 *     definitely lost: 200,304 bytes in 10 blocks  (8 strings, the list head,
 *                                                  the big buffer)
 *     indirectly lost:     144 bytes in  3 blocks  (list nodes 2..4, reachable
 *                                                  only through the lost head)
 *     definitely + indirectly = 200,448 bytes in 13 blocks.
 *     possibly lost / still reachable: 0.
 *     HEAP SUMMARY: in use at exit: 200,448 bytes in 13 blocks;
 *                   total heap usage: 39 allocs, 26 frees (valgrind counts
 *                   each of the 2 moving reallocs as one alloc + one free).
 *
 *   strace -e trace=brk,mmap,munmap shows (glibc 2.36, x86-64): one brk
 *   extension of the main heap (132 KiB) for the small blocks,
 *   mmap(NULL, 200704) for leak_big_buffer (never unmapped), and
 *   mmap(NULL, 303104) + munmap for the freed 300000-byte block.
 *
 *   do_freed_work() mixes malloc/calloc/realloc/free and frees everything it
 *   allocates (including one 300000-byte mmapped block).  It runs AFTER the
 *   leaks: freeing an mmapped block raises glibc's dynamic mmap threshold to
 *   that block's size, which would move leak_big_buffer's block to the brk
 *   heap if it ran first.
 *
 * Exact calls made by the program itself (no stdio is used, so there are no
 * others from libc in a plain run):
 *     malloc  31   (8 strings + 1 big leak + 1 + 1 big freed + 20 small)
 *     calloc   5   (4 records + 1)
 *     realloc  3   (grow, shrink, and realloc(NULL, 256) which acts as malloc)
 *     free    24
 *   37 blocks are created (31 + 5 + the realloc(NULL) one), 24 are freed,
 *   13 remain live at exit: exactly the leaked ones.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "sample_util.h"

#define N_STRINGS 8
#define STRING_SIZE 32
#define N_RECORDS 4
#define BIG_LEAK 200000

#define EXPECTED_BLOCKS (N_STRINGS + N_RECORDS + 1)
#define EXPECTED_BYTES (N_STRINGS * STRING_SIZE + N_RECORDS * 48 + BIG_LEAK)

struct record {
    int id;
    char name[36];
    struct record *next;
};
_Static_assert(sizeof(struct record) == 48, "struct record must be 48 bytes");

/* Loop bound read through a volatile so the loop cannot be unrolled into
 * several call sites. */
static volatile int n_strings = N_STRINGS;
static volatile int n_records = N_RECORDS;
static char *volatile null_block = NULL;

NOINLINE static void leak_small_strings(void)
{
    for (int i = 0; i < n_strings; i++) {
        char *s = malloc(STRING_SIZE); /* leak site 1 */
        if (!s)
            abort();
        snprintf(s, STRING_SIZE, "leaked string #%d", i);
        escape(s);
        /* s is dropped here */
    }
}

NOINLINE static void leak_records(void)
{
    struct record *head = NULL;
    for (int i = 0; i < n_records; i++) {
        struct record *r = calloc(1, sizeof *r); /* leak site 2 */
        if (!r)
            abort();
        r->id = i;
        snprintf(r->name, sizeof r->name, "record-%d", i);
        r->next = head;
        head = r;
    }
    escape(head);
    /* head is dropped: the head is definitely lost, the 3 nodes it links to
     * are indirectly lost */
}

NOINLINE static void leak_big_buffer(void)
{
    unsigned char *big = malloc(BIG_LEAK); /* leak site 3 (mmapped) */
    if (!big)
        abort();
    memset(big, 0xab, 4096);
    big[BIG_LEAK - 1] = 1;
    escape(big);
}

NOINLINE static void do_freed_work(void)
{
    /* grow and shrink one block */
    char *p = malloc(100);
    if (!p)
        abort();
    memset(p, 1, 100);
    char *q = realloc(p, 1000);
    if (!q)
        abort();
    memset(q, 2, 1000);
    p = realloc(q, 50);
    if (!p)
        abort();
    escape(p);
    free(p);

    /* zeroed array */
    long *a = calloc(16, 64);
    if (!a)
        abort();
    a[5] = 5;
    escape(a);
    free(a);

    /* realloc(NULL, n) is malloc(n); the NULL comes through a volatile or GCC
     * would turn the call into malloc(256) */
    char *r = realloc(null_block, 256);
    if (!r)
        abort();
    r[0] = 'r';
    escape(r);
    free(r);

    /* a freed mmapped block (raises the dynamic mmap threshold to ~300 KB) */
    char *big = malloc(300000);
    if (!big)
        abort();
    big[0] = 1;
    big[299999] = 2;
    escape(big);
    free(big);

    /* 20 small blocks of growing size, freed in reverse order */
    char *v[20];
    for (int i = 0; i < 20; i++) {
        v[i] = malloc((size_t)(24 + 8 * i));
        if (!v[i])
            abort();
        v[i][0] = (char)i;
    }
    escape(v);
    for (int i = 19; i >= 0; i--)
        free(v[i]);
}

int main(void)
{
    leak_small_strings();
    leak_records();
    leak_big_buffer();
    do_freed_work();
    say(2, "leaky: expected leaked_blocks=%d leaked_bytes=%d\n", EXPECTED_BLOCKS,
        EXPECTED_BYTES);
    return 0;
}
