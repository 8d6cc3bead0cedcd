/*
 * phases.c - three phases of heap use, for the peak, temporaries, folded
 * stacks, usage over time and --diff.
 *
 * usage: phases [EXTRA_LEAKS]
 *
 * What it shows
 *   1. hold_big_blocks: 10 blocks of 100 KiB (102400 bytes, under glibc's
 *      128 KiB mmap threshold: the brk heap) held at once, then freed.
 *      EXPECTED: the peak is 1,024,000 bytes of live heap, all of it held by
 *      hold_big_blocks' one call site (nothing else is live then).
 *   2. fill_cache: a cache of 200 blocks of 64 bytes (12,800 bytes), kept
 *      until the end and freed there.
 *   3. churn: 1,000 calls that allocate 256 bytes and free the block at
 *      once.  EXPECTED: 1,000 temporary allocations, all at churn's call
 *      site (heaptrack's definition: freed before the thread allocates
 *      again).  hold_big_blocks frees its last block first, so it has one
 *      temporary as well.
 *   With EXTRA_LEAKS = N (default 0), leak_extra leaks N blocks of 4096
 *   bytes: two runs, with 0 and 2, differ by exactly 8,192 leaked bytes at
 *   leak_extra's stack, and by nothing else.
 *
 *   The phases are 20 ms apart, so usage over time shows three steps.
 */
#include "sample_util.h"

#define BIG_BLOCKS 10
#define BIG_SIZE (100 * 1024)
#define CACHE_BLOCKS 200
#define CACHE_SIZE 64
#define CHURN_CALLS 1000
#define CHURN_SIZE 256
#define EXTRA_SIZE 4096

static NOINLINE void hold_big_blocks(void)
{
    void *blocks[BIG_BLOCKS];
    for (int i = 0; i < BIG_BLOCKS; i++) {
        blocks[i] = malloc(BIG_SIZE);
        memset(blocks[i], i, BIG_SIZE);
    }
    for (int i = BIG_BLOCKS - 1; i >= 0; i--)
        free(blocks[i]);
}

static void *cache[CACHE_BLOCKS];

static NOINLINE void fill_cache(void)
{
    for (int i = 0; i < CACHE_BLOCKS; i++) {
        cache[i] = malloc(CACHE_SIZE);
        escape(cache[i]);
    }
}

static NOINLINE void drop_cache(void)
{
    for (int i = 0; i < CACHE_BLOCKS; i++)
        free(cache[i]);
}

static NOINLINE void churn(void)
{
    for (int i = 0; i < CHURN_CALLS; i++) {
        char *p = malloc(CHURN_SIZE);
        escape(p);
        p[0] = (char)i;
        free(p);
    }
}

static NOINLINE void leak_extra(long n)
{
    for (long i = 0; i < n; i++) {
        void *p = malloc(EXTRA_SIZE);
        escape(p);
    }
}

int main(int argc, char **argv)
{
    long extra = arg_long(argc, argv, 1, 0, 0);
    hold_big_blocks();
    sleep_ms(20);
    fill_cache();
    sleep_ms(20);
    churn();
    sleep_ms(20);
    leak_extra(extra);
    drop_cache();
    say(2, "phases: expected peak=%d temporary=%d extra_leak=%ld\n", BIG_BLOCKS * BIG_SIZE,
        CHURN_CALLS, extra * EXTRA_SIZE);
    return 0;
}
