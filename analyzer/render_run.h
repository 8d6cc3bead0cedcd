/* Renderers of a run (view_run.h): the text report for people and the
 * JSON document for programs (docs/report-json.md, "A run"). */
#ifndef MTA_RENDER_RUN_H
#define MTA_RENDER_RUN_H

#include <stdio.h>

#include "report_opts.h"
#include "view_run.h"

/* render_run_text.c: the process tree, the leaks of each process, the
 * leaks of all merged by stack. */
void mta_render_run_text(FILE *out, const struct mta_run *r, const struct mta_report_opts *o);
/* render_run_json.c: 0, or MTA_EXIT_IO / MTA_EXIT_INTERNAL. */
int mta_render_run_json(FILE *out, const struct mta_run *r, const struct mta_report_opts *o);

#endif
