/* The frames the reports show for a stack (symbolised, trimmed), and the
 * key that matches the same stack across traces (addresses differ under
 * ASLR; function, file and line do not). */
#ifndef MTA_FRAMES_H
#define MTA_FRAMES_H

#include <stdint.h>

#include "report_opts.h"
#include "symbolize.h"

struct mta_model;

/* How a shown stack ends: frames left out by --frames, and whether the
 * recorded stack itself was cut at the depth limit (MTRACE_DEPTH). */
struct mta_stack_end {
    unsigned more;   /* frames not shown because of opts->max_frames */
    int cut;         /* the program had more frames than were recorded */
    unsigned depth;  /* the depth limit in force (MTRACE_DEPTH) */
};

/* Symbolised frames of one stack (inlined frames expanded), innermost
 * first, trimmed below main() unless opts->all_frames.  Returns the count
 * written to out.  Always left out: the tracer's own frames (libmtrace.so)
 * and everything outward of them, libc's start-up frames
 * (__libc_start_call_main, __libc_start_main, _start) and a thread's start
 * frames (start_thread, clone, clone3): a stack ends at the program's
 * outermost frame, main or the thread's start routine.  The shim already
 * stops there for new traces; older traces and paths the shim cannot cut
 * are trimmed here. */
unsigned mta_stack_frames(struct mta_symbolizer *sym, const struct mta_model *m,
                          uint32_t stack, const struct mta_report_opts *opts,
                          struct mta_frame *out, unsigned max);
/* The same, and how the stack ends (end may be NULL). */
unsigned mta_stack_frames_end(struct mta_symbolizer *sym, const struct mta_model *m,
                              uint32_t stack, const struct mta_report_opts *opts,
                              struct mta_frame *out, unsigned max, struct mta_stack_end *end);
/* A symbolizer of m's modules (options: --short-templates).  Out of
 * memory ends the process (xalloc.h).  Free with mta_sym_free. */
struct mta_symbolizer *mta_model_symbolizer(const struct mta_model *m,
                                            const struct mta_report_opts *o);
/* A copy of n frames that outlives the symbolizer: one malloc'd block
 * holding the frames and their strings (free() it).  Out of memory ends
 * the process (xalloc.h). */
struct mta_frame *mta_frames_dup(const struct mta_frame *f, unsigned n);
/* Frames the reports never show (see mta_stack_frames). */
int mta_frame_is_outside(const struct mta_frame *f);
/* The key a stack is matched by across traces: function, file and line of
 * each frame, or module and offset when unnamed; one frame a line.
 * malloc'd (caller frees), NULL if out of memory. */
char *mta_stack_key(const struct mta_frame *f, unsigned n);

/* One frame read back from a stack key (the diff shows keys, not stacks). */
struct mta_key_frame {
    const char *function;  /* NULL when the frame had no name */
    const char *file;      /* NULL if none */
    const char *module;    /* unnamed frames: the module and offset (hex) */
    const char *offset;
    int line, inlined;
    char buf[1024];        /* the strings above point here */
};
/* Reads the frame at *cursor into f and moves *cursor past it; 0 at the end. */
int mta_stack_key_next(const char **cursor, struct mta_key_frame *f);

#endif
