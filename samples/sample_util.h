/*
 * sample_util.h - tiny helpers shared by the programs in samples/.
 *
 * Everything here is allocation-free on purpose: the samples are run under
 * libmtrace.so and valgrind, and any malloc made by a helper (stdio's stdout
 * buffer, fopen's FILE, ...) would show up in their numbers.
 *
 *   say(fd, fmt, ...)    vsnprintf into a stack buffer + write(2).  glibc's
 *                        vsnprintf does not allocate for the plain formats
 *                        used here (%d %ld %zu %s %p %x %g, no positional
 *                        arguments, small widths).
 *   sleep_ms(ms)         nanosleep, restarted on EINTR; ms <= 0 returns at once.
 *   arg_long(...)        strtol with a default and a lower bound.
 *   escape(p)            compiler barrier: makes p "used" so that GCC cannot
 *                        drop a malloc/free pair or the stores into a block.
 *   heap_range(&lo,&hi)  the "[heap]" line of /proc/self/maps (the brk heap
 *                        of glibc's main arena), read with open/read.
 *   where(p)             "brk" if p lies in [heap], else "mmap".
 */
#ifndef MTRACE_SAMPLE_UTIL_H
#define MTRACE_SAMPLE_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h> /* vsnprintf only; no FILE is ever used */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A call that must stay a real call with its own frame (stable call sites). */
#if defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE __attribute__((noinline, noclone))
#endif

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

static inline void sleep_ms(long ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
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

/* Parse one hex number, advance *s. */
static inline uintptr_t parse_hex(const char **s)
{
    uintptr_t v = 0;
    for (;;) {
        char c = **s;
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else
            return v;
        v = v * 16 + (uintptr_t)d;
        (*s)++;
    }
}

/* Find the [heap] mapping in /proc/self/maps. Returns 0 if found. */
static inline int heap_range(uintptr_t *lo, uintptr_t *hi)
{
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char buf[4096];
    char line[512];
    size_t len = 0;
    int found = -1;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != '\n') {
                if (len < sizeof line - 1)
                    line[len++] = buf[i];
                continue;
            }
            line[len] = '\0';
            len = 0;
            size_t ll = strlen(line);
            if (ll >= 6 && strcmp(line + ll - 6, "[heap]") == 0) {
                const char *s = line;
                *lo = parse_hex(&s);
                if (*s == '-')
                    s++;
                *hi = parse_hex(&s);
                found = 0;
            }
        }
    }
    close(fd);
    return found;
}

static inline const char *where(const void *p)
{
    uintptr_t lo, hi, a = (uintptr_t)p;
    if (heap_range(&lo, &hi) == 0 && a >= lo && a < hi)
        return "brk";
    return "mmap";
}

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
