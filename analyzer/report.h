/* Reports: each a function of the model (model.h). */
#ifndef MTA_REPORT_H
#define MTA_REPORT_H

#include <stdio.h>

#include "model.h"
#include "symbolize.h"

struct mta_report_opts {
    int color;            /* ANSI colour (only on a terminal) */
    unsigned top;         /* how many leak stacks to list (0 = all) */
    unsigned max_frames;  /* frames shown per stack */
    int all_frames;       /* also show frames below main() */
};

/* Symbolised frames of one stack (inlined frames expanded), trimmed below
 * main() unless opts->all_frames.  Returns the count written to out. */
unsigned mta_stack_frames(struct mta_symbolizer *sym, const struct mta_model *m,
                          uint32_t stack, const struct mta_report_opts *opts,
                          struct mta_frame *out, unsigned max);
/* Site indexes with leaks, largest leaked bytes first; caller frees. */
uint32_t *mta_leak_order(const struct mta_model *m, size_t *count);
const char *mta_end_state_name(uint32_t state);
const char *mta_source_name(unsigned source);
const char *mta_cause_name(unsigned cause);
const char *mta_map_op_name(unsigned op);
/* "1,234,567" into buf */
const char *mta_commas(char *buf, size_t cap, uint64_t v);
/* "12.5 KiB" into buf */
const char *mta_human_bytes(char *buf, size_t cap, uint64_t v);
/* The path shown to people: relative to the current directory if under it. */
const char *mta_short_path(const char *path);

void mta_report_text(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                     const struct mta_report_opts *opts);
void mta_report_sources_text(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                             const struct mta_report_opts *opts);
void mta_report_maps_text(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                          const struct mta_report_opts *opts);
/* The mappings present when tracing began: one line (brief) or a list. */
void mta_report_startup_text(FILE *out, const struct mta_model *m, int brief);
/* The whole report as one JSON document (docs/report-json.md). */
int mta_report_json(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                    const struct mta_report_opts *opts);

/* The leak verdict: summary lines and the lost blocks by stack (leak_report.c). */
void mta_report_leak_summary_text(FILE *out, const struct mta_model *m,
                                  const struct mta_report_opts *o);
void mta_report_leaks_text(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                           const struct mta_report_opts *o);
void mta_print_frame(FILE *out, const struct mta_frame *f, const struct mta_report_opts *o);

#endif
