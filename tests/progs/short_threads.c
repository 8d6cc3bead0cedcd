/*
 * short_threads.c - many short-lived threads, then one fork child.
 *
 * usage: short_threads THREADS PAIRS BATCH CHILD_PAIRS STATUS [OUTFILE]
 *   THREADS: threads in all (>= 0), started BATCH at a time (1..64) and
 *   joined before the next batch; PAIRS: malloc/free pairs per thread;
 *   CHILD_PAIRS: pairs the fork child makes (0: no fork); STATUS: the exit
 *   status of the parent.
 *
 * Each thread does PAIRS times p = malloc(size); touch; free(p) in the
 * noinline function thread_pairs (its first pair, then it waits until every
 * thread of its batch made its first pair, then the rest: so a tracer sees
 * BATCH threads writing at once), with size from a per-thread xorshift32 in
 * 16..1039 bytes.  Then (CHILD_PAIRS > 0) the parent forks a child that
 * makes CHILD_PAIRS such pairs in child_pairs() and calls exit(0); the
 * parent waits for it.  Expected under a tracer: exactly THREADS * PAIRS
 * mallocs and frees under thread_pairs in the parent's trace, CHILD_PAIRS
 * under child_pairs in the child's, and nothing of either live at exit.
 * (glibc adds one DTV calloc per thread from pthread_create; see mt_pairs.c.)
 *
 * stdout (the parent, at the end; OUTFILE gets the same line):
 *   threads=T pairs=P child_pairs=C child_status=S sum=X
 * where X is a checksum of the bytes the threads read back,
 * the same in every run with the same arguments.  Exit status: STATUS, or
 * 1 if a thread or the child failed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "prog_util.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>

static long pairs;
static atomic_ulong total;
static pthread_barrier_t batch_started;

NOINLINE static unsigned long thread_pairs(uint32_t seed, long n)
{
    unsigned long sum = 0;
    for (long i = 0; i < n; i++) {
        size_t size = 16 + xorshift32(&seed) % 1024;
        unsigned char *p = malloc(size);
        if (!p)
            return ~0ul;
        p[0] = (unsigned char)i;
        p[size - 1] = (unsigned char)size;
        escape(p);
        sum += p[0] + p[size - 1];
        free(p);
    }
    return sum;
}

static void *thread_main(void *arg)
{
    uint32_t seed = (uint32_t)(uintptr_t)arg * 2654435761u + 1;
    unsigned long sum = pairs ? thread_pairs(seed, 1) : 0;
    pthread_barrier_wait(&batch_started);
    if (pairs > 1)
        sum += thread_pairs(seed + 1, pairs - 1);
    atomic_fetch_add(&total, sum);
    return NULL;
}

NOINLINE static unsigned long child_pairs(long n)
{
    return thread_pairs(12345, n);
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        say(2, "usage: %s THREADS PAIRS BATCH CHILD_PAIRS STATUS [OUTFILE]\n", argv[0]);
        return 64;
    }
    long threads = arg_long(argc, argv, 1, 0, 0);
    pairs = arg_long(argc, argv, 2, 0, 0);
    long batch = arg_long(argc, argv, 3, 1, 1);
    long cpairs = arg_long(argc, argv, 4, 0, 0);
    long status = arg_long(argc, argv, 5, 0, 0);
    if (batch > 64)
        batch = 64;
    pthread_t tid[64];
    for (long done = 0; done < threads;) {
        long k = threads - done < batch ? threads - done : batch;
        pthread_barrier_init(&batch_started, NULL, (unsigned)k);
        for (long i = 0; i < k; i++)
            if (pthread_create(&tid[i], NULL, thread_main, (void *)(uintptr_t)(done + i))) {
                say(2, "pthread_create failed\n");
                return 1;
            }
        for (long i = 0; i < k; i++)
            pthread_join(tid[i], NULL);
        pthread_barrier_destroy(&batch_started);
        done += k;
    }
    int child_status = -1;
    if (cpairs > 0) {
        pid_t pid = fork();
        if (pid < 0)
            return 1;
        if (pid == 0) {
            unsigned long s = child_pairs(cpairs);
            exit(s == ~0ul ? 1 : 0);
        }
        int ws;
        if (waitpid(pid, &ws, 0) != pid || !WIFEXITED(ws))
            return 1;
        child_status = WEXITSTATUS(ws);
    }
    char line[256];
    int n = snprintf(line, sizeof line, "threads=%ld pairs=%ld child_pairs=%ld child_status=%d "
                     "sum=%lu\n", threads, pairs, cpairs, child_status,
                     (unsigned long)atomic_load(&total));
    write_all(1, line, (size_t)n);
    if (argc > 6) {
        int fd = open(argv[6], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
            return 1;
        write_all(fd, line, (size_t)n);
        close(fd);
    }
    return child_status > 0 ? 1 : (int)status;
}
