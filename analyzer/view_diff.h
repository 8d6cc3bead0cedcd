/* What changed between two traces of the same program, per stack: stacks
 * are matched by their symbolised frames (function, file, line), since
 * addresses differ from run to run under ASLR (heaptrack's diff does the
 * same).  A model operation: it reads two models and symbolizers and
 * computes plain rows. */
#ifndef MTA_VIEW_DIFF_H
#define MTA_VIEW_DIFF_H

#include <stddef.h>
#include <stdint.h>

#include "report_opts.h"

struct mta_model;
struct mta_symbolizer;

enum mta_diff_metric { MTA_DIFF_LEAKED, MTA_DIFF_PEAK, MTA_DIFF_CALLS, MTA_DIFF_BYTES,
                       MTA_DIFF_METRICS };

struct mta_diff_row {
    char *key;                        /* mta_stack_key of the frames shown */
    uint64_t a[MTA_DIFF_METRICS], b[MTA_DIFF_METRICS];
};

struct mta_diff {
    struct mta_diff_row *v;           /* rows that changed, largest change first */
    size_t n;
    size_t unchanged;                 /* stacks in both with nothing changed */
    uint64_t a[MTA_DIFF_METRICS], b[MTA_DIFF_METRICS]; /* process totals (peak:
                                         the process's peak, not a sum) */
};

/* The change of row r in metric k (b - a), saturated to int64. */
int64_t mta_diff_delta(const uint64_t *a, const uint64_t *b, enum mta_diff_metric k);
/* "leaked", "peak", "allocations", "bytes" */
const char *mta_diff_metric_name(enum mta_diff_metric k);
/* Free with mta_diff_free.  Out of memory ends the process. */
void mta_diff_make(struct mta_diff *d, const struct mta_model *a, struct mta_symbolizer *sa,
                   const struct mta_model *b, struct mta_symbolizer *sb,
                   const struct mta_report_opts *o);
void mta_diff_free(struct mta_diff *d);

#endif
