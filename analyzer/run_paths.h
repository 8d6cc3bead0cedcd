/* The traces of a run, from the command line's inputs: several files, or
 * a run directory written by mtrace-run. */
#ifndef MTA_RUN_PATHS_H
#define MTA_RUN_PATHS_H

#include <stddef.h>

#include "errors.h"

/* Expands inputs: a directory stands for the trace files in it (names
 * ending in ".trace" or ".trace.N", sorted), anything else for itself.
 * *is_run is set when a directory or more than one input was given.
 * Returns 0, or an exit status with a message in err.  Free with
 * mta_run_paths_free. */
int mta_run_expand(char **inputs, int n, char ***paths, size_t *np, int *is_run,
                   struct mta_error *err);
void mta_run_paths_free(char **paths, size_t np);

#endif
