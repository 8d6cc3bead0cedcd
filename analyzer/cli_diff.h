/* mtrace-report --diff A B: what changed between two traces of the same
 * program, per stack (view_diff.h), in text or JSON, with the CI gate
 * --fail-on-increase. */
#ifndef MTA_CLI_DIFF_H
#define MTA_CLI_DIFF_H

#include <stdio.h>

#include "report_opts.h"

/* fail_over >= 0: exit 4 (MTA_EXIT_LEAKS) when B leaked, or peaked, more
 * than fail_over bytes above A.  Returns an exit status (errors.h). */
int mta_diff_command(FILE *out, const char *a, const char *b, int json,
                     const struct mta_report_opts *o, long long fail_over);

#endif
