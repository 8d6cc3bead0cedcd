/* Helpers of the JSON renderers (jansson). */
#ifndef MTA_JSON_UTIL_H
#define MTA_JSON_UTIL_H

#include <jansson.h>
#include <stdint.h>

#include "frames.h"

/* "0x7f12..." */
json_t *mta_json_hex(uint64_t v);
/* A string from the trace (need not be UTF-8: other bytes become '?'), or
 * null for NULL. */
json_t *mta_json_str(const char *s);
/* Frames as the reports show them: [{function, file, line, inlined,
 * module, address}]. */
json_t *mta_json_frame_list(const struct mta_frame *f, unsigned n);
/* The shown frames of a stack: [{function, file, line, inlined, module,
 * address}] (docs/report-json.md). */
json_t *mta_json_frames(struct mta_symbolizer *sym, const struct mta_model *m, uint32_t stack,
                        const struct mta_report_opts *o);

#endif
