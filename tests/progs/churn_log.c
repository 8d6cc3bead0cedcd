/*
 * churn_log.c - endless malloc/free pairs with a progress file, for kill -9.
 *
 * usage: churn_log SIDEFILE [MAX_PAIRS]     (MAX_PAIRS default 0 = forever)
 *
 * Creates/truncates SIDEFILE, writes "0\n" into it, then loops doing
 * p = malloc(16..512 bytes, xorshift32); touch; free(p).  After every 1000
 * pairs it pwrite()s the number of calls made so far (mallocs + frees =
 * 2 * pairs) as decimal text + "\n" at offset 0 of SIDEFILE ("2000\n",
 * "4000\n", ...).  The text only ever gets longer, so no stale digits remain.
 * No other allocation is made (the pwrite text is formatted on the stack).
 *
 * For a test that kills it with SIGKILL: if SIDEFILE says V, the program had
 * made C calls with  V <= C <= V + 1999  (at most 999 more pairs completed
 * plus one call in progress), and all of them but possibly the last one had
 * returned.  A tracer's trace should hold close to C events and must be
 * readable up to the last complete record.
 *
 * With MAX_PAIRS > 0 it stops after MAX_PAIRS pairs, writes the exact final
 * count (2 * MAX_PAIRS) and exits 0 (nothing leaked).  stderr gets
 * "churn_log: pid P" at start and "churn_log: calls=C" at a normal end.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "prog_util.h"

#include <fcntl.h>

static int side_fd;

static void log_calls(unsigned long long calls)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%llu\n", calls);
    if (pwrite(side_fd, buf, (size_t)n, 0) != n) {
        say(2, "churn_log: pwrite failed: %s\n", strerror(errno));
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        say(2, "usage: churn_log SIDEFILE [MAX_PAIRS]\n");
        return 64;
    }
    long max_pairs = arg_long(argc, argv, 2, 0, 0);
    side_fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (side_fd < 0) {
        say(2, "churn_log: cannot open %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    say(2, "churn_log: pid %d\n", (int)getpid());
    log_calls(0);

    uint32_t seed = 88172645u;
    unsigned long long pairs = 0;
    for (;;) {
        for (int j = 0; j < 1000; j++) {
            size_t size = 16 + xorshift32(&seed) % 497; /* 16..512 */
            unsigned char *p = malloc(size);
            if (!p)
                abort();
            p[0] = (unsigned char)j;
            p[size - 1] = (unsigned char)size;
            escape(p);
            free(p);
            pairs++;
            if (max_pairs > 0 && pairs == (unsigned long long)max_pairs) {
                log_calls(2 * pairs);
                close(side_fd);
                say(2, "churn_log: calls=%llu\n", 2 * pairs);
                return 0;
            }
        }
        log_calls(2 * pairs);
    }
}
