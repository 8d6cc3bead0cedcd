/* The CI view: what the CI formats (JUnit, SARIF, GitHub annotations)
 * render, as plain data.  One entry per process image of the report (or
 * per trace that could not be read), each with its verdict under the gates
 * and its leak findings (a class of blocks of one allocating stack), frames
 * symbolised and copied, so the models can be freed as the run is read.
 * Built while the report reads each trace (mta_ci_add_model), judged once
 * at the end (mta_ci_judge); docs/ci-formats.md describes the mapping. */
#ifndef MTA_CI_VIEW_H
#define MTA_CI_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "leak_reach.h"

struct mta_model;
struct mta_report_opts;
struct mta_symbolizer;

/* Class of a finding: MTA_LEAK_DEFINITE .. MTA_LEAK_REACHABLE, or this for
 * blocks unfreed when no verdict could be made (no scan at exit). */
#define MTA_CI_UNFREED 4

struct mta_ci_frame {
    char *function, *file, *module; /* NULL if unknown */
    int line;                       /* 0 if unknown */
    uint64_t address;
};

struct mta_ci_finding {
    unsigned cls;             /* MTA_LEAK_* or MTA_CI_UNFREED */
    uint64_t bytes, blocks;
    int suppressed;           /* a suppression matched its stack */
    int counted;              /* the gate counts it (class in --leak-kinds,
                                 not suppressed, verdict conclusive) */
    int error;                /* mta_ci_judge: counted and the gate failed */
    struct mta_ci_frame *frames;  /* shown frames (--frames, --all-frames) */
    unsigned nframes, more_frames;
    int loc;                  /* index in the whole stack of the allocating frame:
                                 the first in the program's own code with a
                                 source line, else the first with one (-1: none) */
    struct mta_ci_frame where;/* that frame (copied: it may lie past --frames) */
    uint64_t fingerprint;     /* hash of the class and the function names */
};

enum mta_ci_verdict {
    MTA_CI_PASS,
    MTA_CI_FAIL,              /* a gate failed: leaks and/or peak */
    MTA_CI_INCONCLUSIVE,      /* no verdict: why_inconclusive */
    MTA_CI_UNREADABLE         /* the trace could not be read: error */
};

struct mta_ci_proc {
    char *trace;              /* path as given */
    char *error;              /* unreadable: the message */
    int status;               /* unreadable: its exit status */
    uint64_t pid, ppid, start_ns;
    char *exe, *cmdline, *image; /* image: the exe's basename (or cmdline, "?") */
    uint32_t end_state;
    int32_t end_code;
    int exec;                 /* ended by exec: its memory was released */
    char *why_inconclusive;   /* NULL: the leak verdict is known */
    uint64_t peak_bytes, unfreed_bytes, unfreed_blocks;
    uint64_t cls_bytes[MTA_LEAK_CLASSES], cls_blocks[MTA_LEAK_CLASSES];
    uint64_t lost_bytes, lost_blocks;       /* definite + indirect, not suppressed */
    uint64_t suppressed_bytes, suppressed_blocks;
    uint64_t gate_bytes;                    /* what --fail-on-leaks counts */
    struct mta_ci_finding *findings;
    size_t nfindings;
    size_t omitted[MTA_LEAK_CLASSES];        /* stacks per class left out by --top */
    /* mta_ci_judge */
    enum mta_ci_verdict verdict;
    int leak_fail, peak_fail;
};

struct mta_ci_run {
    struct mta_ci_proc *procs;
    size_t n, cap;
    int is_run;               /* a run (several traces, a directory, --run): an
                                 image that exec'd untraced is inconclusive */
    const char *tool_version; /* for SARIF's tool.driver */
    /* the gates, as mta_ci_judge applied them */
    int gate_given;           /* --fail-on-leaks was given (else: 0 bytes) */
    long long limit;
    unsigned leak_kinds;      /* bit per MTA_LEAK_* counted */
    int max_peak_set;
    long long max_peak;
    uint64_t gate_sum;        /* counted bytes of the conclusive processes */
    size_t failed, inconclusive, unreadable;
};

/* Adds the process of a loaded model (suppressions applied).  sym may be
 * NULL: one is made for it.  Out of memory ends the program (xalloc.h). */
void mta_ci_add_model(struct mta_ci_run *ci, const struct mta_model *m,
                      struct mta_symbolizer *sym, const struct mta_report_opts *o,
                      const char *trace);
/* Adds a trace that could not be read. */
void mta_ci_add_error(struct mta_ci_run *ci, const char *trace, int status, const char *msg);
/* Verdicts under the gates: fail_over < 0 means --fail-on-leaks was not
 * given, and the CI formats judge as --fail-on-leaks=0 would. */
void mta_ci_judge(struct mta_ci_run *ci, long long fail_over, const struct mta_report_opts *o);
void mta_ci_free(struct mta_ci_run *ci);

/* "mtrace/definite-leak" ... "mtrace/unfreed"; "mtrace/max-peak" for cls 5. */
#define MTA_CI_RULE_MAX_PEAK 5
const char *mta_ci_rule_id(unsigned cls);
/* "definitely lost" ... "unfreed (no verdict)" */
const char *mta_ci_class_words(unsigned cls);
/* A source file as a path relative to the current directory when under it
 * (*relative = 1), else as given. */
const char *mta_ci_rel_path(const char *file, int *relative);

#endif
