/* The options every view and renderer reads (set from the command line). */
#ifndef MTA_REPORT_OPTS_H
#define MTA_REPORT_OPTS_H

struct mta_supp;
struct mta_ci_run;

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
    int progress;         /* show progress on stderr (a terminal) */
};

#endif
