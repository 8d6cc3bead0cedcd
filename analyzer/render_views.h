/* Renderers of the views for eyes and programs: peak holders, top
 * allocators, temporaries, usage over time, folded stacks, the diff, and
 * the HTML page.  Each formats a view (view_*.h) and nothing else. */
#ifndef MTA_RENDER_VIEWS_H
#define MTA_RENDER_VIEWS_H

#include <jansson.h>
#include <stdio.h>

#include "report.h"
#include "view_diff.h"
#include "view_folded.h"
#include "view_usage.h"

/* render_views_text.c: one section each */
void mta_render_peak_text(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                          const struct mta_report_opts *o);
void mta_render_allocators_text(FILE *out, const struct mta_model *m,
                                struct mta_symbolizer *sym, const struct mta_report_opts *o);
void mta_render_temporary_text(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                               const struct mta_report_opts *o);
void mta_render_usage_text(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                           const struct mta_report_opts *o);
/* The diff's frames, one a line, from a stack key. */
void mta_render_key_frames_text(FILE *out, const char *key, unsigned max,
                                const struct mta_report_opts *o);
void mta_render_diff_text(FILE *out, const struct mta_diff *d, const char *a, const char *b,
                          const struct mta_report_opts *o);

/* render_views_json.c: members of the report document */
json_t *mta_peak_json(const struct mta_model *m, struct mta_symbolizer *sym,
                      const struct mta_report_opts *o);
json_t *mta_allocators_json(const struct mta_model *m, struct mta_symbolizer *sym,
                            const struct mta_report_opts *o);
json_t *mta_temporary_json(const struct mta_model *m, struct mta_symbolizer *sym,
                           const struct mta_report_opts *o);
json_t *mta_usage_json(const struct mta_model *m, struct mta_symbolizer *sym,
                       const struct mta_report_opts *o);
/* The diff as a document of its own (docs/report-json.md, "The diff"). */
int mta_render_diff_json(FILE *out, const struct mta_diff *d, const char *a, const char *b);

/* render_folded.c: "frame;frame;frame WEIGHT" lines. */
void mta_render_folded(FILE *out, const struct mta_folded *f);

/* render_html.c: the self-contained page; 0, or -1 if writing failed. */
int mta_render_html(FILE *out, const struct mta_model *m, struct mta_symbolizer *sym,
                    const struct mta_report_opts *o);
/* The parts of a page: o cut to the page's bounds (--top, --frames); a
 * process's data (whole: with its flame graphs and region map); a flame
 * graph of folded stacks; the page itself around data (decref'd). */
void mta_html_page_opts(struct mta_report_opts *page, const struct mta_report_opts *o);
json_t *mta_html_process_data(const struct mta_model *m, struct mta_symbolizer *sym,
                              const struct mta_report_opts *o, int whole);
json_t *mta_html_flame_json(const struct mta_folded *f);
int mta_html_write_page(FILE *out, const char *title, json_t *data);

/* render_html_run.c: the page of a run, built while its traces are read
 * (each model is added, then freed): the process tree, the leaks of all
 * processes merged by stack, flame graphs of all processes merged, and a
 * section per process (at most 16; the others are rows of the tree). */
struct mta_run;
struct mta_html_run;
struct mta_html_run *mta_html_run_new(const struct mta_report_opts *o);
void mta_html_run_add(struct mta_html_run *h, const struct mta_model *m);
/* Writes the page and frees h; 0, or -1 if writing failed. */
int mta_html_run_write(struct mta_html_run *h, FILE *out, const struct mta_run *r);

#endif
