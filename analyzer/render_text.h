/* The text renderers: the report for people, one function per section.
 * Each formats the model or a view; none calls a renderer of another format. */
#ifndef MTA_RENDER_TEXT_H
#define MTA_RENDER_TEXT_H

#include <stdio.h>

#include "report.h"
#include "view_leaks.h"

void mta_report_text(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                     const struct mta_report_opts *opts);
void mta_report_sources_text(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                             const struct mta_report_opts *opts);
void mta_report_maps_text(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                          const struct mta_report_opts *opts);
/* The mappings present when tracing began: one line (brief) or a list. */
void mta_report_startup_text(FILE *out, const struct mta_model *m, int brief);

/* The leak verdict: summary lines and the lost blocks by stack
 * (render_leaks_text.c). */
void mta_report_leak_summary_text(FILE *out, const struct mta_model *m,
                                  const struct mta_leaks_view *v, const struct mta_report_opts *o);
void mta_report_leaks_text(FILE *out, const struct mta_model *m, const struct mta_leaks_view *v,
                           struct mta_symbolizer *sym, const struct mta_report_opts *o);

/* The mmap threshold over the run (render_threshold_text.c). */
void mta_report_threshold_text(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                               const struct mta_report_opts *o);

#endif
