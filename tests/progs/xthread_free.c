/*
 * xthread_free.c - blocks allocated in one thread and freed in another, as
 * fast as the two can pass them: what puts a free and the reuse of its
 * address in different threads' streams.
 *
 * usage: xthread_free [BLOCKS]      (default 200000 per direction)
 *
 * Two threads, each both producer and consumer: thread i allocates BLOCKS
 * blocks of 16..256 bytes (xorshift32 sizes, deterministic per thread) and
 * hands each to the other thread through a single-producer single-consumer
 * ring; the other thread frees it.  glibc returns a block freed by a thread
 * that does not own its arena (or whose tcache is full) to the arena, where
 * the allocating thread picks the address up again soon after: the same
 * address alternates between the two threads' streams many times.
 * At the end main prints to stderr
 *   calls malloc=N free=N          with N = 2 * BLOCKS
 * Expected under a tracer: exactly N allocations and N frees under
 * producer_consumer, none live at exit, no free of an unknown address.
 * Exit status 0.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define RING 1024u

struct ring {
    void *slot[RING];
    _Atomic unsigned head, tail; /* head: next to write; tail: next to read */
};

static struct ring rings[2];
static unsigned blocks = 200000;
static _Atomic unsigned long mallocs, frees;

static int ring_put(struct ring *r, void *p)
{
    unsigned h = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (h - atomic_load_explicit(&r->tail, memory_order_acquire) == RING)
        return 0;
    r->slot[h % RING] = p;
    atomic_store_explicit(&r->head, h + 1, memory_order_release);
    return 1;
}

static void *ring_get(struct ring *r)
{
    unsigned t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (t == atomic_load_explicit(&r->head, memory_order_acquire))
        return NULL;
    void *p = r->slot[t % RING];
    atomic_store_explicit(&r->tail, t + 1, memory_order_release);
    return p;
}

static __attribute__((noinline)) void *make_block(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    size_t size = 16 + *x % 241;
    char *p = malloc(size);
    if (p)
        p[0] = (char)size;
    return p;
}

static __attribute__((noinline)) void drop_block(void *p)
{
    free(p);
}

static void *producer_consumer(void *arg)
{
    unsigned me = (unsigned)(uintptr_t)arg;
    struct ring *out = &rings[me], *in = &rings[1 - me];
    uint32_t x = 2463534242u + me;
    unsigned made = 0, freed = 0;
    void *pending = NULL;
    while (made < blocks || freed < blocks || pending) {
        if (!pending && made < blocks) {
            pending = make_block(&x);
            if (!pending)
                abort();
            made++;
        }
        if (pending && ring_put(out, pending))
            pending = NULL;
        void *p = ring_get(in);
        if (p) {
            drop_block(p);
            freed++;
        }
    }
    atomic_fetch_add(&mallocs, made);
    atomic_fetch_add(&frees, freed);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        blocks = (unsigned)strtoul(argv[1], NULL, 10);
    pthread_t t[2];
    for (unsigned i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, producer_consumer, (void *)(uintptr_t)i))
            return 2;
    for (unsigned i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    char line[80];
    int n = snprintf(line, sizeof line, "calls malloc=%lu free=%lu\n",
                     (unsigned long)mallocs, (unsigned long)frees);
    fwrite(line, 1, (size_t)n, stderr);
    return 0;
}
