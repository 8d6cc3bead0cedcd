/* Helpers of the text renderers: colour, frames, stacks. */
#ifndef MTA_TEXT_UTIL_H
#define MTA_TEXT_UTIL_H

#include <stdint.h>
#include <stdio.h>

#include "frames.h"

#define MTA_BOLD(o) ((o)->color ? "\033[1m" : "")
#define MTA_RED(o) ((o)->color ? "\033[31m" : "")
#define MTA_DIM(o) ((o)->color ? "\033[2m" : "")
#define MTA_RESET(o) ((o)->color ? "\033[0m" : "")

/* "      fn (inlined)  file:line" on its own line */
void mta_print_frame(FILE *out, const struct mta_frame *f, const struct mta_report_opts *o);
/* A listed stack's frames, one a line, and how it ends. */
void mta_print_stack(FILE *out, struct mta_symbolizer *sym, const struct mta_model *m,
                     uint32_t stack, const struct mta_report_opts *o);
/* The line after a stack's frames saying it was cut ("... 12 more frames
 * (--frames 0 shows all)", "(stack cut at MTRACE_DEPTH=64)"), if so. */
void mta_print_stack_end(FILE *out, const struct mta_stack_end *end, const char *indent);

#endif
