/*
 * thread_arena.c - threads get their own glibc arenas, outside the brk heap.
 *
 * usage: thread_arena [PAUSE_MS]   (default 0; pause while both threads hold
 *                                   their kept blocks, for pmap)
 *
 * What it does
 *   main mallocs one 1 KiB "probe" block (main arena, brk heap), then starts
 *   2 threads.  Each thread:
 *     - mallocs its "kept" array (100 pointers, 800 bytes); this first malloc
 *       in the thread makes glibc create a new arena for it;
 *     - mallocs 1000 blocks of 1 KiB; every 10th is kept (100 kept), the
 *       other 900 are freed at once;
 *     - waits on a barrier (main inspects the addresses, pauses), then
 *       returns its kept array to main.
 *   The barrier keeps both threads alive while they allocate, so the second
 *   thread cannot inherit the first one's arena from glibc's free list: there
 *   are exactly 2 thread arenas.  main joins both threads and frees the kept
 *   blocks and arrays (cross-thread frees into the thread arenas), then the
 *   probe.
 *
 * Expected (glibc 2.36, x86-64, default tunables)
 *   - the probe is in [heap] ("brk");
 *   - each thread's blocks are NOT in [heap]: a thread arena lives in its own
 *     heap, reserved as a 64 MiB-aligned 64 MiB PROT_NONE mapping (strace:
 *     mmap(NULL, 134217728, PROT_NONE, ...) then munmap of the unaligned
 *     parts, then mprotect(base, 135168, PROT_READ|PROT_WRITE) and more
 *     mprotect calls as the heap grows); block & ~(64 MiB - 1) is the heap
 *     base, which is where the arena's header lives;
 *   - the two threads have different heap bases.
 *   stdout gets one line per block kind, then "thread_arena: as expected"
 *   (exit 0), or "thread_arena: UNEXPECTED ..." (exit 2, e.g. with
 *   MALLOC_ARENA_MAX=1 or under valgrind, whose malloc has no arenas).
 *
 * Calls made by the program itself:
 *   per thread: 1001 malloc (1 array + 1000 blocks), 900 free
 *   main:          1 malloc (probe), 203 free (2 x (100 blocks + 1 array) +
 *                  the probe)
 *   total:      2003 malloc, 2003 free, nothing leaked by the program.
 *   glibc adds calls of its own in pthread_create: 1 calloc(17, 16) = 272
 *   bytes per thread for the thread's DTV (TLS vector), made from the main
 *   thread through the public calloc symbol, so an interposer sees 2 calloc
 *   calls.  glibc keeps the DTVs with its cache of thread stacks, so in a
 *   plain run they are still allocated at exit (an interposer sees 2 live
 *   blocks, 544 bytes, from pthread_create) and glibc also calls free(NULL)
 *   4 times.  Measured with a counting LD_PRELOAD: malloc=2003 calloc=2
 *   free=2003 (+4 free(NULL)).  valgrind runs __libc_freeres at exit, which
 *   frees the DTVs: "total heap usage: 2,005 allocs, 2,005 frees", 0 bytes in
 *   use at exit.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "sample_util.h"

#include <pthread.h>

#define NTHREADS 2
#define NBLOCKS 1000
#define KEEP_EVERY 10
#define NKEEP (NBLOCKS / KEEP_EVERY)
#define BLOCK 1024
#define HEAP_MAX ((uintptr_t)64 << 20) /* glibc's HEAP_MAX_SIZE on 64-bit */

static pthread_barrier_t allocated, release;

struct worker {
    int id;
    pthread_t tid;
    void **kept;
};

static void *worker(void *arg)
{
    struct worker *w = arg;
    void **kept = malloc(NKEEP * sizeof *kept);
    if (!kept)
        abort();
    int k = 0;
    for (int i = 0; i < NBLOCKS; i++) {
        unsigned char *p = malloc(BLOCK);
        if (!p)
            abort();
        p[0] = (unsigned char)w->id;
        p[BLOCK - 1] = (unsigned char)i;
        if (i % KEEP_EVERY == 0)
            kept[k++] = p;
        else
            free(p);
    }
    w->kept = kept;
    pthread_barrier_wait(&allocated);
    pthread_barrier_wait(&release);
    return kept;
}

int main(int argc, char **argv)
{
    long pause_ms = arg_long(argc, argv, 1, 0, 0);
    struct worker w[NTHREADS];
    int bad = 0;

    char *probe = malloc(BLOCK);
    if (!probe)
        return 1;
    probe[0] = 'p';

    pthread_barrier_init(&allocated, NULL, NTHREADS + 1);
    pthread_barrier_init(&release, NULL, NTHREADS + 1);
    for (int i = 0; i < NTHREADS; i++) {
        w[i].id = i + 1;
        w[i].kept = NULL;
        if (pthread_create(&w[i].tid, NULL, worker, &w[i]) != 0) {
            say(2, "thread_arena: pthread_create failed\n");
            return 1;
        }
    }
    pthread_barrier_wait(&allocated);

    uintptr_t lo = 0, hi = 0;
    heap_range(&lo, &hi);
    say(1, "main heap [heap]  : %#lx-%#lx\n", (unsigned long)lo, (unsigned long)hi);
    say(1, "main probe block  : %p  %s\n", (void *)probe, where(probe));
    if (strcmp(where(probe), "brk") != 0)
        bad++;
    uintptr_t base[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        void *first = w[i].kept[0];
        void *last = w[i].kept[NKEEP - 1];
        base[i] = (uintptr_t)first & ~(HEAP_MAX - 1);
        say(1, "thread %d blocks   : %p .. %p  %s, arena heap base %#lx\n", w[i].id, first, last,
            where(first), (unsigned long)base[i]);
        if (strcmp(where(first), "brk") == 0 || ((uintptr_t)last & ~(HEAP_MAX - 1)) != base[i])
            bad++;
    }
    if (base[0] == base[1])
        bad++;

    sleep_ms(pause_ms);
    pthread_barrier_wait(&release);

    for (int i = 0; i < NTHREADS; i++) {
        void *ret;
        pthread_join(w[i].tid, &ret);
        void **kept = ret;
        for (int k = 0; k < NKEEP; k++)
            free(kept[k]);
        free(kept);
    }
    free(probe);
    pthread_barrier_destroy(&allocated);
    pthread_barrier_destroy(&release);

    if (bad) {
        say(1, "thread_arena: UNEXPECTED placement (%d checks failed)\n", bad);
        return 2;
    }
    say(1, "thread_arena: as expected\n");
    return 0;
}
