/*
 * prog_util.h - allocation-free helpers for the integration-test programs and
 * the benchmark workloads (bench/ includes it too): the samples' helpers
 * (samples/sample_util.h: escape, write_all, say, arg_long, ...) plus a clock
 * and a cheap deterministic random source.
 */
#ifndef MTRACE_PROG_UTIL_H
#define MTRACE_PROG_UTIL_H

#include "sample_util.h"

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
