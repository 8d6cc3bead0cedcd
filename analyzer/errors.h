/* Exit statuses of mtrace-report (README.md "Exit status" lists them). */
#ifndef MTA_ERRORS_H
#define MTA_ERRORS_H

#include <stdarg.h>

enum mta_exit {
    MTA_EXIT_OK = 0,        /* report printed */
    MTA_EXIT_USAGE = 1,     /* bad command line */
    MTA_EXIT_IO = 2,        /* the input cannot be opened or read, or is empty */
    MTA_EXIT_CORRUPT = 3,   /* the input is not a valid trace (bad magic, version,
                               record or JSON); the message names the offset */
    MTA_EXIT_LEAKS = 4,     /* --fail-on-leaks: leaks above the threshold */
    MTA_EXIT_INTERNAL = 5,  /* out of memory or an internal error */
    MTA_EXIT_INCONCLUSIVE = 6 /* --fail-on-leaks cannot decide: no verdict on the
                                 unfreed blocks (no scan at exit: crash, signal,
                                 _exit, ring mode, MTRACE_LEAK_CHECK=off), the
                                 trace is incomplete (recording stopped, events
                                 lost, file cut short), another allocator served
                                 the program's malloc, or a process exec'd a
                                 program that was not traced */
};

struct mta_error;
void mta_set_error(struct mta_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
