/* Leak verdicts from the scan at exit (MT_TAG_SCAN, MT_TAG_SCAN_WORDS):
 * every block unfreed at exit is definitely lost, indirectly lost, possibly
 * lost or still reachable, as valgrind memcheck decides. */
#ifndef MTA_LEAK_REACH_H
#define MTA_LEAK_REACH_H

#include <stddef.h>
#include <stdint.h>

#include "live.h"
#include "trace.h"

enum mta_leak_class {
    MTA_LEAK_DEFINITE = 0,  /* no pointer to it anywhere reachable */
    MTA_LEAK_INDIRECT = 1,  /* only lost blocks point to it */
    MTA_LEAK_POSSIBLE = 2,  /* reached, but only through interior pointers */
    MTA_LEAK_REACHABLE = 3, /* a chain of start pointers from a root */
    MTA_LEAK_UNSCANNED = 4, /* allocated after the scan (or no scan): unknown */
    MTA_LEAK_CLASSES = 5
};

struct mta_reach_block {
    uint64_t ptr, size;
    size_t slot;     /* in the live table */
    uint8_t cls;
};

struct mta_reach {
    uint64_t (*pairs)[2];       /* (location, value) */
    size_t n_pairs, pairs_cap;
    struct mta_reach_range { uint64_t start, end; unsigned cls; } *ranges;
    size_t n_ranges, ranges_cap;
    int complete;               /* the END record came and was applied */
    int failed;                 /* bad scan data or out of memory: why[] */
    char why[160];
    uint64_t scan_ns;           /* when the END record was written */
    uint64_t words, cost_ns, pairs_claimed, sp;
    uint64_t roots, edges;      /* pointers found to live blocks */
    uint64_t n_blocks;          /* blocks live at the END record */
};

const char *mta_leak_class_name(unsigned cls);   /* "definitely lost", ... */
const char *mta_leak_class_key(unsigned cls);    /* "definitely_lost", ... */

/* Feeds one MTA_EV_SCAN event; `live` is the live set at that moment: at
 * the END record its blocks get their verdict. */
void mta_reach_on_event(struct mta_reach *r, const struct mta_event *ev,
                        struct mta_live *live);
/* The class of a block live at the end of the trace. */
unsigned mta_reach_class(const struct mta_reach *r, const struct mta_block *b);
void mta_reach_free(struct mta_reach *r);

/* The classifier alone, for tests: blocks sorted by ptr with cls unset;
 * pairs and ranges as the scan wrote them.  0, or -1 out of memory. */
int mta_reach_classify(struct mta_reach_block *blocks, size_t n_blocks,
                       uint64_t (*pairs)[2], size_t n_pairs,
                       const struct mta_reach_range *ranges, size_t n_ranges,
                       uint64_t *roots, uint64_t *edges);

#endif
