/* The address space at exit as plain data, pmap -X-like: each region of
 * the last snapshot annotated with what mtrace knows it is, the heap blocks
 * live inside it (as they were when the exit snapshot was taken) and the
 * stacks that own most of them, or the program's own mmap that made it;
 * with totals for the whole space and for the program without the tracer. */
#ifndef MTA_VIEW_MAPS_H
#define MTA_VIEW_MAPS_H

#include <stdint.h>

#include "regions.h"

struct mta_model;

#define MTA_MAP_OWNERS 3

struct mta_map_owner {
    uint32_t stack;
    uint64_t blocks, bytes;
};

/* What the report adds to each region of the snapshot. */
struct mta_map_annotation {
    const char *label;
    char label_buf[160];  /* a label with the tracer's share appended */
    uint64_t own_bytes;   /* of it, the tracer's own memory */
    int startup;          /* the region was there when tracing began */
    uint64_t live_blocks, live_bytes;
    unsigned sources;     /* bit per enum mt_source */
    struct mta_map_owner top[MTA_MAP_OWNERS]; /* largest first; blocks 0: none */
    uint32_t map_stack;   /* the program's own mmap that made it (stack index) */
    int by_program;       /* made by the program's own mmap/mremap */
    int tracer;           /* the tracer's: own memory, trace file, reservation,
                             libmtrace.so */
};

/* Sums over the regions: kB and the kernel's RSS/PSS/anonymous kB. */
struct mta_map_totals {
    uint64_t kb, rss_kb, pss_kb, anon_kb;
};

struct mta_maps_view {
    struct mta_regions rs;
    struct mta_map_annotation *an;  /* rs.n of them */
    int at_exit;          /* the snapshot is the exit one (else the last taken) */
    int have_smaps;       /* from smaps (RSS, PSS...), else maps */
    struct mta_map_totals all;      /* every region */
    struct mta_map_totals program;  /* without the tracer's regions; a merged
                                       region without the tracer's share (its
                                       RSS is counted as the program's) */
    uint64_t size, program_size;    /* bytes, likewise */
};

/* 0, or -1 when the trace has no snapshot (nothing to free then); free
 * with mta_maps_view_free. */
int mta_maps_view_make(struct mta_maps_view *v, const struct mta_model *m);
void mta_maps_view_free(struct mta_maps_view *v);

#endif
