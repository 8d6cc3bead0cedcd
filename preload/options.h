/* Every MTRACE_* environment option, in one table (options.c). */
#ifndef MT_OPTIONS_H
#define MT_OPTIONS_H

#include <stdint.h>

struct mt_options {
    const char *out;       /* MTRACE_OUT: output path, %p -> pid, %e -> program */
    uint32_t depth;        /* MTRACE_DEPTH: frames per stack */
    uint32_t quiet;        /* MTRACE_QUIET: no messages on stderr */
    uint64_t chunk_bytes;  /* MTRACE_CHUNK: bytes a thread claims at a time */
    uint64_t ring_bytes;   /* MTRACE_RING: flight-recorder size, 0 = off */
    uint64_t max_bytes;    /* MTRACE_MAX_SIZE: largest trace file */
    uint32_t maps_on_mmap; /* MTRACE_MAPS_ON_MMAP: snapshot maps after app mmaps */
    uint32_t unwind;       /* MTRACE_UNWIND: 0 auto (fp + dwarf), 1 dwarf only */
    uint32_t leak_check;   /* MTRACE_LEAK_CHECK: the reachability scan at exit */
    uint32_t start;        /* MTRACE_START: 0 = dormant until switched on */
    uint32_t signal;       /* MTRACE_SIGNAL: the control signal (0: SIGRTMAX-2) */
    uint32_t attached;     /* not an option: loaded into a running process */
};

extern struct mt_options mt_opt;

/* Reads the environment; a bad value warns once and keeps the default. */
void mt_options_load(void);
/* The same from an environment block ("NAME=value" strings, an empty one
 * last) instead of the process's environment (mtrace-run --pid). */
void mt_options_load_from(const char *block);

#endif
