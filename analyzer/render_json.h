/* The JSON renderers: the report for programs (docs/report-json.md), one
 * function per member of the document. */
#ifndef MTA_RENDER_JSON_H
#define MTA_RENDER_JSON_H

#include <jansson.h>
#include <stdio.h>

#include "json_util.h"
#include "report.h"

/* The whole report as one JSON document. */
int mta_report_json(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                    const struct mta_report_opts *opts);
/* "sources" (render_sources_json.c), its "threshold" (render_threshold_json.c) and
 * "startup" (render_startup_json.c) */
json_t *mta_sources_json(const struct mta_model *m, struct mta_symbolizer *sym,
                         const struct mta_report_opts *o);
json_t *mta_threshold_json(const struct mta_model *m, struct mta_symbolizer *sym,
                           const struct mta_report_opts *o);
json_t *mta_startup_json(const struct mta_model *m);
/* "leak_check" (render_leaks_json.c) */
json_t *mta_leak_check_json(const struct mta_model *m, struct mta_symbolizer *sym,
                            const struct mta_report_opts *o);
/* "maps" (render_maps_json.c) */
json_t *mta_maps_json(const struct mta_model *m, struct mta_symbolizer *sym,
                      const struct mta_report_opts *o);

#endif
