/*
 * churn_core.h - the malloc/free churn workload shared by churn.c and deep.c.
 *
 * run_churn(name, pairs, threads, depth):
 *   The PAIRS malloc/free pairs are split over THREADS threads (the first
 *   thread takes the remainder; with THREADS == 1 the work runs on the main
 *   thread, no thread is created).  Each thread keeps a ring of
 *   R = min(10000, its pairs) live blocks, on its stack.  Iteration i:
 *     size = 16 + xorshift32() % 497              (16..512 bytes)
 *     if i >= R: free the block in slot i % R      (through `depth` frames)
 *     slot i % R = malloc(size)                    (through `depth` frames)
 *     write 8 bytes at the start and 1 at the end of the block
 *   and at the end the R blocks still in the ring are freed.  So each thread
 *   makes exactly as many malloc calls as free calls (its share of PAIRS), no
 *   free(NULL), no other allocation; nothing is live at the end.
 *
 *   malloc and free are called from alloc_at()/free_at(), noinline functions
 *   that recurse `depth` times; an empty asm with a memory clobber after each
 *   call (the recursive one and the malloc/free one) keeps them from becoming
 *   tail calls, so at malloc/free the stack really is `depth` frames of
 *   alloc_at/free_at, then churn_worker, then run_churn (inlined into main)
 *   + 2 libc frames + _start, or the thread start frames.
 *
 * Output, one line to stderr:
 *   NAME: pairs=P threads=T depth=D elapsed_ns=E ns_per_pair=X
 * elapsed_ns covers thread creation, the loops, the drain and the joins.
 */
#ifndef MTRACE_CHURN_CORE_H
#define MTRACE_CHURN_CORE_H

#include "prog_util.h" /* tests/progs: the same allocation-free helpers */

#include <pthread.h>

#define CHURN_RING 10000
#define CHURN_MAX_THREADS 256
#define CHURN_MAX_DEPTH 1000

NOINLINE static void *alloc_at(int depth, size_t size)
{
    void *p = depth <= 1 ? malloc(size) : alloc_at(depth - 1, size);
    __asm__ __volatile__("" : : : "memory"); /* no tail call, no sibcall */
    return p;
}

NOINLINE static void free_at(int depth, void *p)
{
    if (depth <= 1)
        free(p);
    else
        free_at(depth - 1, p);
    __asm__ __volatile__("" : : : "memory"); /* no tail call, no sibcall */
}

struct churn_job {
    long pairs;
    int depth;
    uint32_t seed;
    pthread_barrier_t *start;
};

NOINLINE static void churn_worker(struct churn_job *job)
{
    void *ring[CHURN_RING];
    long ring_n = job->pairs < CHURN_RING ? job->pairs : CHURN_RING;
    uint32_t seed = job->seed ? job->seed : 1;
    int depth = job->depth;
    long slot = 0;

    if (job->start)
        pthread_barrier_wait(job->start);
    for (long i = 0; i < job->pairs; i++) {
        size_t size = 16 + xorshift32(&seed) % 497;
        if (i >= ring_n)
            free_at(depth, ring[slot]);
        unsigned char *p = alloc_at(depth, size);
        if (!p)
            abort();
        memcpy(p, &i, 8);
        p[size - 1] = (unsigned char)i;
        ring[slot] = p;
        if (++slot == ring_n)
            slot = 0;
    }
    for (long s = 0; s < ring_n; s++)
        free_at(depth, ring[s]);
}

static void *churn_thread(void *arg)
{
    churn_worker(arg);
    return NULL;
}

static int run_churn(const char *name, long pairs, long threads, int depth)
{
    struct churn_job jobs[CHURN_MAX_THREADS];
    pthread_t tid[CHURN_MAX_THREADS];
    pthread_barrier_t start;

    if (threads < 1 || threads > CHURN_MAX_THREADS || depth < 1 || depth > CHURN_MAX_DEPTH) {
        say(2, "%s: need 1..%d threads and depth 1..%d\n", name, CHURN_MAX_THREADS,
            CHURN_MAX_DEPTH);
        return 64;
    }
    for (long t = 0; t < threads; t++) {
        jobs[t].pairs = pairs / threads + (t == 0 ? pairs % threads : 0);
        jobs[t].depth = depth;
        jobs[t].seed = 2463534242u + (uint32_t)t * 2654435761u;
        jobs[t].start = threads > 1 ? &start : NULL;
    }

    uint64_t t0 = now_ns();
    if (threads == 1) {
        churn_worker(&jobs[0]);
    } else {
        pthread_barrier_init(&start, NULL, (unsigned)threads);
        for (long t = 0; t < threads; t++) {
            if (pthread_create(&tid[t], NULL, churn_thread, &jobs[t]) != 0) {
                say(2, "%s: pthread_create failed\n", name);
                return 1;
            }
        }
        for (long t = 0; t < threads; t++)
            pthread_join(tid[t], NULL);
        pthread_barrier_destroy(&start);
    }
    uint64_t ns = now_ns() - t0;

    say(2, "%s: pairs=%ld threads=%ld depth=%d elapsed_ns=%llu ns_per_pair=%.1f\n", name, pairs,
        threads, depth, (unsigned long long)ns, pairs ? (double)ns / (double)pairs : 0.0);
    return 0;
}

#endif
