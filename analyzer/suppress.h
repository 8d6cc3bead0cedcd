/* Leak suppressions in LeakSanitizer's syntax: "leak:PATTERN" lines, '#'
 * comments.  A lost block is suppressed when a frame of its allocating
 * stack matches a rule: the function name, the module (path or basename)
 * or the source file.  PATTERN is LeakSanitizer's: a substring, '*'
 * wildcards, '^' and '$' anchoring it at the start and the end. */
#ifndef MTA_SUPPRESS_H
#define MTA_SUPPRESS_H

#include <stdint.h>
#include <stdio.h>

#include "trace.h"

struct mta_model;
struct mta_report_opts;

struct mta_supp_rule {
    char *pattern;   /* as written after "leak:" */
    char *glob;      /* the fnmatch form of it */
    char *file;      /* where it was read ("__lsan_default_suppressions()") */
    unsigned line;
    int from_program;/* read from a trace: applies to that process only */
    uint64_t blocks, bytes;
};

struct mta_supp {
    struct mta_supp_rule *rules;
    size_t n, cap;
    int print;           /* --print-suppressions */
    char **printed;      /* leak:FUNCTION lines for the lost stacks, once each */
    size_t nprinted, printed_cap;
};

/* Reads a suppressions file; 0, or an exit status with the file and line
 * in err. */
int mta_supp_load(struct mta_supp *s, const char *path, struct mta_error *err);
void mta_supp_free(struct mta_supp *s);
/* Moves the lost blocks (definitely and indirectly) of the stacks a rule
 * matches out of the model's lost totals into mta_site/mta_model supp_*,
 * counting them on the rule; collects --print-suppressions lines for the
 * stacks left.  Rules from the trace (the program's
 * __lsan_default_suppressions) are added for this model.  0, or an exit
 * status (out of memory, or the program's rules are not valid: err). */
int mta_supp_apply(struct mta_supp *s, struct mta_model *m, const struct mta_report_opts *o,
                   struct mta_error *err);
/* "Suppressions used" and --print-suppressions, as text. */
void mta_supp_report_text(FILE *out, const struct mta_supp *s);
struct json_t;
/* [{rule, file, line, blocks, bytes}] */
struct json_t *mta_supp_json(const struct mta_supp *s);

#endif
