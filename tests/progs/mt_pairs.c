/*
 * mt_pairs.c - several threads doing malloc/free pairs at the same time.
 *
 * usage: mt_pairs [THREADS [PAIRS]]      (defaults: 4 threads, 10000 pairs)
 *   THREADS: 1..256; PAIRS: per thread.
 *
 * Each thread waits on a start barrier (so all run concurrently), then does
 * PAIRS times: p = malloc(size); touch it; free(p), with size drawn from a
 * per-thread xorshift32 in 16..512 bytes (seeded from the thread index, so
 * the size sequence is deterministic; the interleaving of threads is not).
 * At the end main prints to stderr the calls actually counted:
 *   calls malloc=N free=M          with N = M = THREADS * PAIRS
 * e.g. "mt_pairs 4 10000" -> "calls malloc=40000 free=40000".
 * Exit status 0.
 *
 * Expected under a tracer: exactly N malloc and N free events from the
 * program (all frames under thread_main), and 0 bytes live at exit from
 * them.  glibc's pthread_create adds one calloc(17, 16) (the thread's DTV,
 * 272 bytes) per thread, made from the main thread; those are not counted in
 * the line above.  glibc frees a DTV only when it drops a cached thread stack
 * (its stack cache holds 40 MiB, i.e. 4 default 8 MiB stacks), so with up to
 * 4 threads all DTVs are still allocated at exit, and with more some are
 * freed (counting LD_PRELOAD: "mt_pairs 4 10000" -> malloc=40000 calloc=4
 * free=40000; "mt_pairs 8 100000" -> malloc=800000 calloc=8 free=800004;
 * plus some free(NULL) calls from glibc in both).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "prog_util.h"

#include <pthread.h>
#include <stdatomic.h>

#define MAX_THREADS 256

static pthread_barrier_t start;
static long pairs;
static atomic_long n_malloc, n_free;

NOINLINE static void *thread_main(void *arg)
{
    uint32_t seed = 0x9e3779b9u ^ (uint32_t)(uintptr_t)arg * 2654435761u;
    if (seed == 0)
        seed = 1;
    long m = 0, f = 0;
    pthread_barrier_wait(&start);
    for (long i = 0; i < pairs; i++) {
        size_t size = 16 + xorshift32(&seed) % 497; /* 16..512 */
        unsigned char *p = malloc(size);
        m++;
        if (!p)
            abort();
        p[0] = (unsigned char)i;
        p[size - 1] = (unsigned char)size;
        escape(p);
        free(p);
        f++;
    }
    atomic_fetch_add(&n_malloc, m);
    atomic_fetch_add(&n_free, f);
    return NULL;
}

int main(int argc, char **argv)
{
    long threads = arg_long(argc, argv, 1, 4, 1);
    pairs = arg_long(argc, argv, 2, 10000, 0);
    if (threads > MAX_THREADS) {
        say(2, "mt_pairs: at most %d threads\n", MAX_THREADS);
        return 64;
    }
    pthread_t tid[MAX_THREADS];
    pthread_barrier_init(&start, NULL, (unsigned)threads);
    for (long i = 0; i < threads; i++) {
        if (pthread_create(&tid[i], NULL, thread_main, (void *)(uintptr_t)i) != 0) {
            say(2, "mt_pairs: pthread_create failed\n");
            return 1;
        }
    }
    for (long i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);
    pthread_barrier_destroy(&start);
    say(2, "calls malloc=%ld free=%ld\n", atomic_load(&n_malloc), atomic_load(&n_free));
    return 0;
}
