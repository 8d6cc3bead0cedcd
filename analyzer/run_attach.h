/* mtrace-run --pid, --start, --stop (run_attach.c). */
#ifndef MTA_RUN_ATTACH_H
#define MTA_RUN_ATTACH_H

#include <sys/types.h>

/* --start PID (on = 1) / --stop PID: switches the dormant shim in pid; the
 * exit status of mtrace-run. */
int mta_run_control(pid_t pid, int on);

/* --pid PID: loads lib into pid with the trace written to `out` (an
 * MTRACE_OUT pattern), then waits until the process exits, Ctrl-C or
 * `duration` seconds (0: no limit), and detaches.  0 once the trace is
 * finished; else an exit status (a message was printed). */
int mta_run_attach(pid_t pid, const char *lib, const char *out, double duration,
                   const char *exe);

#endif
