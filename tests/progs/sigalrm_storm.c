/*
 * sigalrm_storm.c - malloc/free from a signal handler, 10000 times a second.
 *
 * usage: sigalrm_storm [MS [INTERVAL_US]]    (defaults: 1000 ms, 100 us)
 *
 * A SIGALRM handler is installed (SA_RESTART) and an ITIMER_REAL interval
 * timer fires every INTERVAL_US microseconds (100 us = 10 kHz).  The handler
 * does 2 malloc/free pairs (a = malloc(40); b = malloc(40); free(b);
 * free(a)) and adds 2 to a volatile sig_atomic_t counter.  Meanwhile main
 * does malloc/free pairs of 64..512 bytes (xorshift32) for MS milliseconds,
 * so signals land at every point of malloc and free, including inside a
 * tracer's malloc/free wrappers.  Then main disables the timer, blocks
 * SIGALRM and prints to stderr:
 *   main_pairs=N handler_pairs=M
 * N and M depend on speed; every handler run adds exactly 2 to M (M even).
 * Natively on a 2-core VM with the defaults: main_pairs ~ 6e7 (2.5e7 with a
 * trivial counting LD_PRELOAD), handler_pairs ~ 2 * MS * 1000 / INTERVAL_US
 * = 20000 (19966 seen; fewer when timer expirations are coalesced or the
 * process is slowed down).  Exit status 0.
 *
 * Expected under a tracer: exactly N + M + 2 malloc and N + M + 2 free
 * events (the 2 extra are warm_handler_bin's, the handler's come from
 * on_alarm), nothing live at exit, no crash, no deadlock.  Checked with a
 * counting LD_PRELOAD: main_pairs=25245696 handler_pairs=19966 ->
 * malloc=25265664 free=25265664.
 *
 * malloc is not async-signal-safe, so the program is written to keep glibc
 * itself safe: before the timer starts, main mallocs two 40-byte blocks and
 * frees them, which leaves them in glibc's per-thread cache (tcache) bin for
 * 48-byte chunks.  The handler only ever takes those two chunks and puts them
 * back in LIFO order, so it never reaches the arena code, and main never
 * uses that bin (its requests are >= 64 bytes).  Whatever the handler
 * interrupts in glibc, it leaves glibc's state as it found it.  A tracer that
 * is not reentrant-safe has no such protection: that is what is tested.
 * (With GLIBC_TUNABLES=glibc.malloc.tcache_count=0 this guarantee is gone.)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "prog_util.h"

#include <signal.h>
#include <sys/time.h>

#define HANDLER_SIZE 40

static volatile sig_atomic_t handler_pairs;

static void on_alarm(int sig)
{
    (void)sig;
    int saved_errno = errno;
    void *a = malloc(HANDLER_SIZE);
    void *b = malloc(HANDLER_SIZE);
    if (a)
        ((volatile unsigned char *)a)[0] = 1;
    if (b)
        ((volatile unsigned char *)b)[0] = 2;
    free(b);
    free(a);
    handler_pairs += 2;
    errno = saved_errno;
}

NOINLINE static void warm_handler_bin(void)
{
    unsigned char *a = malloc(HANDLER_SIZE);
    unsigned char *b = malloc(HANDLER_SIZE);
    if (!a || !b)
        abort();
    a[0] = 1;
    b[0] = 2;
    escape(a);
    escape(b);
    free(b);
    free(a);
}

static void set_timer(long interval_us)
{
    struct itimerval it;
    it.it_interval.tv_sec = interval_us / 1000000;
    it.it_interval.tv_usec = interval_us % 1000000;
    it.it_value = it.it_interval;
    if (setitimer(ITIMER_REAL, &it, NULL) != 0) {
        say(2, "sigalrm_storm: setitimer: %s\n", strerror(errno));
        exit(1);
    }
}

int main(int argc, char **argv)
{
    long ms = arg_long(argc, argv, 1, 1000, 0);
    long interval_us = arg_long(argc, argv, 2, 100, 1);

    warm_handler_bin();

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGALRM, &sa, NULL) != 0) {
        say(2, "sigalrm_storm: sigaction: %s\n", strerror(errno));
        return 1;
    }

    long main_pairs = 0;
    uint32_t seed = 2463534242u;
    uint64_t end = now_ns() + (uint64_t)ms * 1000000u;
    set_timer(interval_us);
    do {
        for (int j = 0; j < 1024; j++) {
            size_t size = 64 + xorshift32(&seed) % 449; /* 64..512 */
            unsigned char *p = malloc(size);
            if (!p)
                abort();
            p[0] = (unsigned char)j;
            p[size - 1] = (unsigned char)size;
            escape(p);
            free(p);
            main_pairs++;
        }
    } while (now_ns() < end);

    set_timer(0);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGALRM);
    sigprocmask(SIG_BLOCK, &block, NULL);

    say(2, "main_pairs=%ld handler_pairs=%ld\n", main_pairs, (long)handler_pairs);
    return 0;
}
