/*
 * prog_util.h - allocation-free helpers for the integration-test programs and
 * the benchmark workloads (bench/ includes it too).
 *
 * No stdio streams: output is vsnprintf into a stack buffer + write(2), so a
 * traced run contains only the allocations the program makes itself (glibc's
 * vsnprintf does not allocate for the plain formats used here).
 */
#ifndef MTRACE_PROG_UTIL_H
#define MTRACE_PROG_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h> /* vsnprintf only */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE __attribute__((noinline, noclone))
#endif

/* Make p "used": GCC may otherwise delete a malloc/free pair outright. */
static inline void escape(const void *p)
{
    __asm__ __volatile__("" : : "g"(p) : "memory");
}

static inline void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

static inline void say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void say(int fd, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof buf)
        n = (int)sizeof buf - 1;
    write_all(fd, buf, (size_t)n);
}

static inline long arg_long(int argc, char **argv, int i, long def, long min)
{
    if (argc <= i)
        return def;
    char *end;
    errno = 0;
    long v = strtol(argv[i], &end, 10);
    if (errno != 0 || end == argv[i] || *end != '\0' || v < min) {
        say(2, "%s: bad argument '%s' (want an integer >= %ld)\n", argv[0], argv[i], min);
        exit(64);
    }
    return v;
}

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* xorshift32: cheap deterministic sizes */
static inline uint32_t xorshift32(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

#endif
