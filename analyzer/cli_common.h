/* Command-line helpers shared by mtrace-report and mtrace-run (mtrace-run
 * checks the report options itself, before the program starts). */
#ifndef MTA_CLI_COMMON_H
#define MTA_CLI_COMMON_H

#include "view_sites.h"

/* "4096", "10K", "1.5M", "2G" (K/M/G/T = 1024^n, an optional "iB" or "B"
 * after the suffix, case-insensitive).  0 on success, -1 if not a size. */
int mta_parse_size(const char *s, long long *out);

/* "definite,indirect,possible,reachable" or "all": a bit per MTA_LEAK_*
 * class in *kinds.  0 on success; -1 with *bad the offending word (or the
 * whole value when it names no kind), which stays valid until the next call. */
int mta_parse_leak_kinds(const char *s, unsigned *kinds, const char **bad);

/* --weight: "bytes", "calls", "leaked", "peak" or "temporary" into *cost.
 * 0 on success, -1 if s names none of them. */
int mta_parse_weight(const char *s, enum mta_cost *cost);
#define MTA_WEIGHT_WORDS "bytes, calls, leaked, peak or temporary"

/* The reports, one of which a command line picks. */
enum mta_report_mode { MTA_MODE_TEXT, MTA_MODE_JSON, MTA_MODE_SOURCES, MTA_MODE_MAPS,
                       MTA_MODE_EXPORT, MTA_MODE_PEAK, MTA_MODE_ALLOCATORS, MTA_MODE_TEMPORARY,
                       MTA_MODE_USAGE, MTA_MODE_FOLDED, MTA_MODE_HTML };
const char *mta_mode_option(enum mta_report_mode mode);

#endif
