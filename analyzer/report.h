/* Reports: each a function of the model (model.h). */
#ifndef MTA_REPORT_H
#define MTA_REPORT_H

#include <stdio.h>

#include "ci_view.h"
#include "model.h"
#include "suppress.h"
#include "symbolize.h"

struct mta_report_opts {
    int color;            /* ANSI colour (only on a terminal) */
    unsigned top;         /* how many leak stacks to list (0 = all) */
    unsigned max_frames;  /* frames shown per stack */
    int all_frames;       /* also show frames below main() */
    int short_templates;  /* C++ template arguments shown as <...> */
    struct mta_supp *supp;/* suppressions (NULL: none) */
    unsigned leak_kinds;  /* --leak-kinds: bit per MTA_LEAK_* class the gate
                             counts (0: definite and indirect) */
    int max_peak_set;     /* --max-peak: fail (4) when a process's peak live */
    long long max_peak;   /* heap exceeds max_peak bytes */
    struct mta_ci_run *ci;/* --junit, --sarif, --github-annotations: each
                             process read is added to it (NULL: none) */
};

/* How a shown stack ends: frames left out by --frames, and whether the
 * recorded stack itself was cut at the depth limit (MTRACE_DEPTH). */
struct mta_stack_end {
    unsigned more;   /* frames not shown because of opts->max_frames */
    int cut;         /* the program had more frames than were recorded */
    unsigned depth;  /* the depth limit in force (MTRACE_DEPTH) */
};

/* Symbolised frames of one stack (inlined frames expanded), trimmed below
 * main() unless opts->all_frames.  Returns the count written to out.
 * Always left out: the tracer's own frames (libmtrace.so) and everything
 * outward of them, libc's start-up frames (__libc_start_call_main,
 * __libc_start_main, _start) and a thread's start frames (start_thread,
 * clone, clone3): a stack ends at the program's outermost frame, main or
 * the thread's start routine.  The shim already stops there for new traces;
 * older traces and paths the shim cannot cut are trimmed here. */
unsigned mta_stack_frames(struct mta_symbolizer *sym, const struct mta_model *m,
                          uint32_t stack, const struct mta_report_opts *opts,
                          struct mta_frame *out, unsigned max);
/* The same, and how the stack ends (end may be NULL). */
unsigned mta_stack_frames_end(struct mta_symbolizer *sym, const struct mta_model *m,
                              uint32_t stack, const struct mta_report_opts *opts,
                              struct mta_frame *out, unsigned max, struct mta_stack_end *end);
/* Text: the line after a stack's frames saying it was cut ("... 12 more
 * frames (--frames 0 shows all)", "(stack cut at MTRACE_DEPTH=64)"), if so. */
void mta_print_stack_end(FILE *out, const struct mta_stack_end *end, const char *indent);
void mta_print_stack(FILE *out, struct mta_symbolizer *sym, const struct mta_model *m,
                     uint32_t stack, const struct mta_report_opts *o);
/* Frames the reports never show (see mta_stack_frames). */
int mta_frame_is_outside(const struct mta_frame *f);
/* Site indexes with leaks, largest leaked bytes first; caller frees. */
uint32_t *mta_leak_order(const struct mta_model *m, size_t *count);
/* The same for blocks of unknown fate (an incomplete trace). */
uint32_t *mta_unknown_order(const struct mta_model *m, size_t *count);
/* "max_size", "no_space", ... for mt_file_header.stop_reason */
const char *mta_stop_reason_name(uint32_t reason);
const char *mta_end_state_name(uint32_t state);
/* "SIGTERM" for 15; NULL if the number has no name. */
const char *mta_signal_name(int sig);
const char *mta_source_name(unsigned source);
/* enum mt_stop_reason: "none", "max_size", "no_space", ... */
const char *mta_stop_reason_name(uint32_t reason);
/* "ENOSPC", or "errno N" into buf */
const char *mta_errno_name(char *buf, size_t cap, int err);
/* Why recording stopped, as words: "no space left on device (ENOSPC)" */
const char *mta_stop_text(char *buf, size_t cap, uint32_t reason, int err);
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
