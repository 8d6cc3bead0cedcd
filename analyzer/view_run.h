/* A run as plain data: the traces of one process tree (fork children,
 * exec'd images), each process's summary and leak stacks, the rows of the
 * process tree, and the leaks of all processes merged by symbolised stack.
 * Built reading one trace at a time and keeping only this, so memory grows
 * with the number of processes and leak stacks, not with the traces. */
#ifndef MTA_VIEW_RUN_H
#define MTA_VIEW_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "report_opts.h"
#include "symbolize.h"

struct mta_run_leak {
    uint64_t bytes, blocks, allocs;
    char *key;                 /* symbolised frames without addresses (they
                                  differ per process): the merge key */
    struct mta_frame *frames;  /* the shown frames, innermost first; one
                                  block with their strings (mta_frames_dup) */
    unsigned nframes;
};

struct mta_run_proc {
    const char *path;
    int rc;                 /* 0, or the exit status of a trace that could not be read */
    char *error;
    uint64_t pid, ppid, start_ns;
    uint32_t end_state;
    int32_t end_code;
    char *exe, *cmdline;    /* control characters replaced by '?' */
    uint64_t lost_events;
    char *inconclusive;     /* why its leaks are not known (NULL: a verdict) */
    uint64_t leaked_bytes, leaked_blocks;   /* 0 for an image replaced by exec;
                                               unfreed, unclassified, when
                                               inconclusive */
    uint64_t exec_bytes, exec_blocks;       /* live when the image called exec */
    uint64_t peak_bytes;                    /* peak live heap */
    uint64_t gate_bytes;                    /* what --fail-on-leaks counts */
    int untraced_exec;      /* the last image of its pid ended by exec: the
                               next image was not traced */
    struct mta_run_leak *leaks;             /* largest first */
    size_t nleaks;
};

/* One leak stack of all processes: the first process's frames, the sums,
 * the pids that leaked there in order. */
struct mta_run_merged {
    const struct mta_run_leak *first;
    uint64_t bytes, blocks;
    uint64_t *pids;
    size_t npids;
};

/* A row of the process tree: depth-first, the images of a pid in order,
 * then the processes it forked. */
struct mta_run_row {
    size_t proc;
    int depth;
};

struct mta_run {
    struct mta_run_proc *procs;   /* read ones by start time, then the unread */
    size_t n, good;               /* good: read */
    struct mta_run_row *rows;     /* the tree, the read processes only */
    size_t nrows;
    struct mta_run_merged *merged;/* largest first */
    size_t nmerged;
    uint64_t leaked_bytes, leaked_blocks; /* of the processes with a verdict */
    uint64_t gate_bytes;
    size_t leaking;               /* processes that leaked */
    size_t inconclusive;          /* processes whose leaks are not known */
    int read_rc;                  /* the worst status of an unread trace */
    int untraced;                 /* a process exec'd an untraced program */
};

/* Called with each process's model while it is loaded (its suppressions
 * applied), for a view of the run that needs more than this one. */
struct mta_model;
typedef void mta_run_visit(void *ctx, const struct mta_model *m, const struct mta_run_proc *p);

/* Reads paths into r, calling visit (if not NULL) with each model read.  A trace that cannot be read is a process with rc
 * and error (and is added to o->ci as such); every other process is added
 * to o->ci with its model.  Out of memory ends the process (xalloc.h).
 * Free with mta_run_free. */
void mta_run_make(struct mta_run *r, char **paths, size_t np, const struct mta_report_opts *o,
                  mta_run_visit *visit, void *ctx);
void mta_run_free(struct mta_run *r);

/* The image's name: the executable's base name, else the command line. */
const char *mta_run_image_name(const struct mta_run_proc *p);

#endif
