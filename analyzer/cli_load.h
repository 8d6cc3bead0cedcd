/* One trace loaded for a report: the model (suppressions applied) and its
 * symbolizer, with progress on a terminal.  Used by every command that
 * reports on one trace (main.c, cli_diff.c). */
#ifndef MTA_CLI_LOAD_H
#define MTA_CLI_LOAD_H

#include "model.h"
#include "report_opts.h"
#include "symbolize.h"

struct mta_loaded {
    struct mta_model model;
    struct mta_symbolizer *sym;
};

/* 0, or an exit status (errors.h) with the message in err (the model is
 * freed then).  Free with mta_loaded_free. */
int mta_load(struct mta_loaded *l, const char *path, const struct mta_report_opts *o,
             struct mta_error *err);
void mta_loaded_free(struct mta_loaded *l);

#endif
