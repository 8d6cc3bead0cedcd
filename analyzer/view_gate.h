/* What the leak gates count for one process (--fail-on-leaks, the CI
 * formats, the run report). */
#ifndef MTA_VIEW_GATE_H
#define MTA_VIEW_GATE_H

#include <stdint.h>

struct mta_model;
struct mta_report_opts;

/* Leaked bytes that count for a gate: none for an image replaced by exec
 * (the exec released its memory). */
uint64_t mta_process_leaked_bytes(const struct mta_model *m);
/* The bytes --fail-on-leaks counts: the classes of o->leak_kinds, less
 * suppressed blocks; the lost (or unclassified) bytes by default. */
uint64_t mta_gate_bytes(const struct mta_model *m, const struct mta_report_opts *o);

#endif
