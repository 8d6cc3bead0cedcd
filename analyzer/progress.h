/* Progress of a long read on a terminal: "mtrace-report: reading T: 12.3 M
 * events", on stderr, only when it is a terminal, rewritten in place at
 * most five times a second and cleared at the end.  A sink wrapper: the
 * model knows nothing of it. */
#ifndef MTA_PROGRESS_H
#define MTA_PROGRESS_H

#include <stdint.h>

#include "trace.h"

struct mta_progress {
    struct mta_sink inner;
    const char *what;
    uint64_t events, next_check;
    uint64_t last_ns;   /* CLOCK_MONOTONIC of the last line (0: none yet) */
    uint64_t start_ns;
    int shown;
};

/* Is stderr a terminal (and progress wanted)? */
int mta_progress_wanted(void);
/* A sink that feeds `inner` and shows progress; p must outlive the read. */
struct mta_sink mta_progress_sink(struct mta_progress *p, struct mta_sink inner,
                                  const char *what);
/* Shows a step ("symbolising"), or clears the line (step NULL). */
void mta_progress_step(struct mta_progress *p, const char *step);

#endif
