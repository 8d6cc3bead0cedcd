/* The run command of mtrace-report: several traces or a run directory
 * reported as one run (view_run.h), in text or JSON, and its gates. */
#ifndef MTA_CLI_RUN_H
#define MTA_CLI_RUN_H

#include <stddef.h>
#include <stdio.h>

#include "errors.h"
#include "report_opts.h"
#include "view_sites.h"

/* The run report of paths (text or JSON; out NULL: only the gates).
 * fail_over >= 0: the gate (exit 4 when the leaks of all processes sum to
 * more, naming the processes); o->max_peak_set: the peak of each process.
 * Returns an exit status (errors.h). */
int mta_report_run(FILE *out, char **paths, size_t np, const struct mta_report_opts *o, int json,
                   long long fail_over);

/* The run's folded stacks (weighed by weight): the lines of all processes
 * merged, identical stacks summed; then the gates, as above. */
int mta_report_run_folded(FILE *out, char **paths, size_t np, const struct mta_report_opts *o,
                          enum mta_cost weight, long long fail_over);
/* The run's HTML page (render_html_run.c); then the gates, as above. */
int mta_report_run_html(FILE *out, char **paths, size_t np, const struct mta_report_opts *o,
                        long long fail_over);

#endif
