/*
 * reach_cases - one block of each leak class valgrind memcheck reports, for
 * tests/integration/test_reach_valgrind.py (run under mtrace and under
 * valgrind --leak-check=full --show-leak-kinds=all; the four classes must
 * agree block for block and byte for byte).
 *
 *   still reachable  100 B  held by a global
 *                    400 B  held only on another thread's stack (the thread
 *                           is still blocked when the process exits)
 *   definitely lost  200 B  a lost list head ...
 *   indirectly lost  300 B  ... and the node only it points to
 *   possibly lost    128 B  a global points 32 bytes into it (not 8: memcheck's
 *                           length64/newarray heuristics would call an
 *                           offset-8 pointer a start pointer)
 *   lost cycle     2x512 B  two blocks pointing at each other: one definitely,
 *                           one indirectly lost (memcheck's clique rule)
 *
 * Every block is zero-filled (calloc): memcheck ignores undefined words, the
 * scan cannot tell.  The allocating frames are left behind and scrubbed
 * before exit so that no dead stack slot still points at a lost block.
 * Usage: reach_cases [--no-thread]
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *volatile g_held;
char *volatile g_interior;
static int ready;

static void *holder(void *arg)
{
    (void)arg;
    void *volatile keep = calloc(1, 400);
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    for (;;)
        pause();
    return keep;
}

__attribute__((noinline)) static void make_blocks(void)
{
    g_held = calloc(1, 100);
    void **head = calloc(1, 200);
    head[0] = calloc(1, 300);
    char *b = calloc(1, 128);
    g_interior = b + 32;
    void **x = calloc(1, 512), **y = calloc(1, 512);
    x[0] = y;
    y[0] = x;
    __asm__ volatile("" : : "r"(head), "r"(x), "r"(y) : "memory");
}

__attribute__((noinline)) static void scrub_stack(void)
{
    volatile char pad[64 * 1024];
    memset((char *)pad, 0, sizeof pad);
    __asm__ volatile("" : : "r"(pad) : "memory");
}

int main(int argc, char **argv)
{
    if (!(argc > 1 && !strcmp(argv[1], "--no-thread"))) {
        pthread_t t;
        if (pthread_create(&t, NULL, holder, NULL))
            return 2;
        while (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE))
            usleep(1000);
    }
    make_blocks();
    scrub_stack();
    return 0;
}
