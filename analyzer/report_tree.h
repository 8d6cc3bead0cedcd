/* A run: the traces of one process tree (fork children, exec'd images),
 * read from several files or a run directory, reported per process and
 * merged (leaks of all processes grouped by symbolised stack). */
#ifndef MTA_REPORT_TREE_H
#define MTA_REPORT_TREE_H

#include <stddef.h>
#include <stdio.h>

#include "errors.h"
#include "report.h"

#ifndef MTA_EXIT_INCONCLUSIVE
#define MTA_EXIT_INCONCLUSIVE 6 /* the gate cannot judge: a process was not traced */
#endif

/* Expands inputs: a directory stands for the trace files in it (names
 * ending in ".trace" or ".trace.N", sorted), anything else for itself.
 * *is_run is set when a directory or more than one input was given.
 * Returns 0, or an exit status with a message in err.  Free with
 * mta_run_paths_free. */
int mta_run_expand(char **inputs, int n, char ***paths, size_t *np, int *is_run,
                   struct mta_error *err);
void mta_run_paths_free(char **paths, size_t np);

/* The run report of paths (text or JSON; out NULL: only the gate).  fail_over >= 0: the gate (exit
 * 4 when the leaks of all processes sum to more, naming the processes).
 * Returns an exit status (errors.h). */
int mta_report_run(FILE *out, char **paths, size_t np, const struct mta_report_opts *o, int json,
                   long long fail_over);

#endif
