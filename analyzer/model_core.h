/* The model's data and the few helpers every part of it shares: the
 * structs of mta_model, saturating totals, the size bands, and why a trace
 * is incomplete.  The parts that fill the model (model.c dispatches each
 * event to model_sources.c, model_temporary.c, model_usage.c, and calls
 * leak_model.c at the end) build on this header and never call back up
 * into model.c; views read the finished model through it. */
#ifndef MTA_MODEL_CORE_H
#define MTA_MODEL_CORE_H

#include <stdint.h>

#include "leak_reach.h"
#include "live.h"
#include "reorder.h"
#include "stacks.h"
#include "trace.h"

struct mta_usage; /* model_usage.h */

/* Totals per distinct stack (same index as mta_stacks). */
struct mta_site {
    uint64_t allocs, alloc_bytes;
    uint64_t live_blocks, live_bytes;
    uint64_t leak_blocks, leak_bytes;   /* filled by mta_model_finish: lost
                                           (definitely + indirectly), or every
                                           unfreed block if the verdict is
                                           inconclusive */
    uint64_t cls_blocks[MTA_LEAK_CLASSES], cls_bytes[MTA_LEAK_CLASSES];
    uint64_t unknown_blocks, unknown_bytes; /* live at the end of an incomplete
                                               trace: fate unknown */
    uint64_t supp_blocks[MTA_LEAK_CLASSES], supp_bytes[MTA_LEAK_CLASSES]; /* of cls_*:
                                           suppressed (suppress.c) */
    uint64_t peak_blocks, peak_bytes;   /* live at the moment of the peak
                                           (model_usage.h) */
    uint64_t temporary;                 /* freed by the allocating thread before
                                           it allocated again (model_temporary.c) */
    uint8_t peak_dirty;                 /* on mta_model.peak_dirty */
    uint64_t frees;                     /* blocks from here freed (or realloc'd) */
};

/* Byte totals saturate here (the largest JSON integer) rather than wrap:
 * a hostile trace can claim sizes up to 2^62.  mta_model.anomalies says
 * when one did. */
#define MTA_TOTAL_MAX ((uint64_t)INT64_MAX)
/* An allocation larger than any x86-64 address space (5-level paging). */
#define MTA_SIZE_IMPOSSIBLE (1ull << 56)

/* Things a well-formed trace of a real process does not contain; counted,
 * shown in the report, never fatal.  (mta_model.replaced_blocks and
 * untracked_frees count the other two: allocations at an address already
 * live, frees of addresses not live.) */
struct mta_anomalies {
    uint64_t null_allocs;           /* allocation record with address 0 */
    uint64_t impossible_sizes;      /* size >= MTA_SIZE_IMPOSSIBLE */
    int totals_saturated;           /* a byte total hit MTA_TOTAL_MAX */
};

/* Request-size bands of the sources report. */
#define MTA_BANDS 8
/* the smallest request of each band (the last is open-ended) */
extern const uint64_t mta_band_lo[MTA_BANDS];

struct mta_heap_event {
    uint64_t ns;
    unsigned type;   /* MTA_EV_BRK or MTA_EV_MAP */
    unsigned op;     /* for MAP: enum mt_map_op */
    unsigned cause;
    uint32_t stack;  /* index */
    uint32_t tid;
    uint64_t addr, len, naddr, nlen; /* BRK: addr=old, naddr=new */
    uint64_t block_ptr, block_size;  /* the allocation/free that caused it */
};

/* What glibc served while one threshold value held. */
struct mta_threshold_stats {
    uint64_t heap_max;       /* largest request served by a heap (brk or arena) */
    uint64_t mmap_min;       /* smallest request served by a dedicated mmap */
    uint64_t heap_between;   /* requests in [previous value, value) served by a
                                heap: what the change moved off mmap */
    uint64_t mmap_between;   /* ... still served by mmap */
};

struct mta_threshold_change {
    struct mta_threshold_stats stats;
    uint64_t ns;
    int by_mallopt;                 /* else a free() of an mmapped block */
    uint64_t old_value, new_value;
    uint64_t freed_ptr, freed_size; /* the mmapped block whose free raised it */
    uint32_t alloc_stack;           /* where that block was allocated */
    uint32_t free_tid;
};

/* A thread arena's heap: glibc reserves HEAP_MAX bytes (64 MiB on 64-bit),
 * aligned to HEAP_MAX, and makes them writable as the arena grows. */
struct mta_arena_heap {
    uint64_t base, size;   /* the reservation */
    uint64_t used;         /* writable bytes when first seen (0: only inferred
                              from a block the arena served) */
    uint64_t ns;
    uint32_t stack, tid;
};

/* A tracing window (MTRACE_START=off, mtrace-run --start/--stop): the
 * events recorded between its edges. */
struct mta_window {
    uint64_t start_ns, end_ns;    /* end_ns: 0 while open */
    uint64_t allocs, alloc_bytes, frees;
    int open;
};

struct mta_model {
    struct mta_stacks stacks;
    struct mta_site *sites;
    size_t sites_cap;
    struct mta_live live;
    struct mta_module *modules;
    size_t n_modules, modules_cap;
    struct mta_trace_info info;   /* strings owned by the model */
    char *source_path;

    /* summary */
    uint64_t events;
    uint64_t allocations, frees, reallocs;
    uint64_t bytes_allocated;
    uint64_t live_bytes, peak_bytes, peak_blocks, peak_ns;
    uint64_t live_by_source[4];   /* live bytes by enum mt_source */
    uint64_t temporary;           /* temporary allocations (mta_site.temporary) */
    /* who held the peak, and usage over time (model_usage.h) */
    uint32_t *peak_dirty;
    size_t n_peak_dirty, peak_dirty_cap;
    struct mta_usage *usage;      /* NULL until the first change */
    /* each thread's last allocation (model_temporary.c) */
    struct mta_tid_last { uint64_t ptr; uint32_t tid; uint8_t used; } *tid_last;
    size_t tid_last_cap, tid_last_count;
    uint64_t untracked_frees;     /* free of an address the trace never allocated,
                                     that may have been a heap block from before
                                     tracing (or the window) began */
    uint64_t invalid_frees;       /* free of an address that was never a heap
                                     block: outside the brk heap, every arena
                                     heap, every malloc mmap seen and every
                                     anonymous mapping present at start (a
                                     stack variable, a global, a string) */
#define MTA_INVALID_FREES_KEPT 16
    uint64_t invalid_free_ptrs[MTA_INVALID_FREES_KEPT]; /* the first ones */
    struct mta_regions *start_regions; /* maps_start parsed, on first need */
    int start_regions_tried;
    uint64_t replaced_blocks;     /* allocation at an address already live */
    uint64_t leaked_blocks, leaked_bytes; /* as mta_site.leak_* */
    /* leak verdicts (leak_model.c) */
    struct mta_reach reach;
    uint64_t unfreed_blocks, unfreed_bytes;
    uint64_t cls_blocks[MTA_LEAK_CLASSES], cls_bytes[MTA_LEAK_CLASSES];
    uint64_t supp_blocks[MTA_LEAK_CLASSES], supp_bytes[MTA_LEAK_CLASSES];
    uint64_t suppressed_blocks, suppressed_bytes; /* lost blocks a suppression
                                           matched: out of leaked_* */
    const char *leak_inconclusive; /* why no verdict (NULL: conclusive) */
    /* The trace is incomplete (recording stopped early, events were lost,
     * or the file is cut short): the frees of blocks live at its end may be
     * among the missing events, so they are "unknown", never leaks, and a
     * leak gate is inconclusive.  mta_model_finish sets these. */
    int fate_unknown;
    uint64_t unknown_blocks, unknown_bytes;
    struct mta_anomalies anomalies;
    uint64_t last_ns;
    /* cross-thread order (reorder.h): on for MT_HDR_COARSE_TICKS traces */
    int coarse_order;
    struct mta_park park;
    uint64_t reordered;           /* free/reuse pairs put back in true order */

    /* where the memory came from */
    uint64_t band_requests[MTA_BANDS][4], band_bytes[MTA_BANDS][4];
    struct mta_heap_event *heap_events;
    size_t n_heap_events, heap_events_cap;
    uint64_t heap_events_dropped;
    uint64_t brk_initial, brk_final, brk_max;
    struct mta_threshold_change *thresholds;
    size_t n_thresholds, thresholds_cap;
    uint64_t threshold_initial, threshold_now;
    int threshold_dynamic;        /* 0 once set by mallopt or a tunable */
    int threshold_by_tunable;     /* the initial value came from the environment */
    int have_info, tunables_applied;
    int heap_max_unknown;         /* glibc.malloc.hugetlb >= 2: arena heaps are
                                     not 64 MiB, so not inferred from blocks */
    struct mta_threshold_stats initial_stats; /* while the initial value held */
    struct mta_arena_heap *arena_heaps;
    size_t n_arena_heaps, arena_heaps_cap;
    char *maps_start, *maps_exit, *smaps_exit, *maps_latest;
    uint64_t maps_snapshots;
    struct mta_live live_at_exit; /* blocks live when the exit snapshot was taken */
    int have_live_at_exit;
    /* the last block each thread freed (a free's munmap follows it) */
    struct { uint32_t tid; uint64_t ptr, size; uint32_t stack; int by_realloc; } recent_free[64];
    /* tracing windows (MT_HDR_DORMANT, or edges seen) */
    int windowed, in_window;
    struct mta_window *windows;
    size_t n_windows, windows_cap;
    uint64_t outside_events;      /* allocations recorded between windows (a
                                     thread that raced the switch) */
    uint64_t outside_reused;      /* blocks of a closed window whose address
                                     was allocated again: freed unseen */
    int finished;
    uint64_t last_stack_id;      /* lookup cache for on_event */
    uint32_t last_stack_index;
};

/* Saturating byte arithmetic for totals (sets anomalies.totals_saturated). */
void mta_total_add(struct mta_model *m, uint64_t *total, uint64_t v);
void mta_total_sub(struct mta_model *m, uint64_t *total, uint64_t v);
/* a + b capped at MTA_TOTAL_MAX, for sums the reports make of totals */
static inline uint64_t mta_sat_sum(uint64_t a, uint64_t b)
{
    return b > MTA_TOTAL_MAX - (a < MTA_TOTAL_MAX ? a : MTA_TOTAL_MAX) ? MTA_TOTAL_MAX : a + b;
}
/* The site of a stack index, or NULL if the sites do not reach it. */
struct mta_site *mta_site_at(struct mta_model *m, uint32_t index);
/* Why the trace is incomplete, for people ("MTRACE_MAX_SIZE reached", ...);
 * NULL when it is complete. */
const char *mta_incomplete_reason(const struct mta_model *m);

#endif
