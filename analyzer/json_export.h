/* trace.json: the JSON interchange form of a trace (docs/trace-json.md).
 *
 * Writing: a sink (trace.h) that turns the reader's callbacks into a
 * trace.json document.  Memory stays flat however long the trace is: each
 * module, stack and event is written out as it arrives, into one of three
 * temporary files, because the sink may see stacks and modules interleaved
 * with events while the document lists them first.  done() assembles the
 * document on `out`.
 *
 *     struct mta_json_export *x = mta_json_export_new(stdout);
 *     struct mta_sink sink;
 *     mta_json_export_sink(x, &sink);
 *     int rc = mta_read_binary(path, &sink, &err);
 *     if (rc == 0)
 *         rc = mta_json_export_finish(x, &err);   // also frees x
 *     else
 *         mta_json_export_free(x);
 *
 * Reading is mta_read_json() in trace.h (json_reader.c).
 */
#ifndef MTA_JSON_EXPORT_H
#define MTA_JSON_EXPORT_H

#include <stdio.h>

#include "trace.h"

#define MTA_JSON_FORMAT "mtrace-trace"
#define MTA_JSON_VERSION 1

struct mta_json_export;

/* A new exporter writing to `out` (not closed by the exporter).  NULL if the
 * temporary files cannot be created or memory is short; errno says why. */
struct mta_json_export *mta_json_export_new(FILE *out);

/* Fills `sink` with the exporter's callbacks (ctx = x).  event() returns
 * non-zero after a write error or an event earlier than its predecessor, so
 * the reader stops; finish() then reports the problem. */
void mta_json_export_sink(struct mta_json_export *x, struct mta_sink *sink);

/* Completes the export: checks that done() was called and that every write
 * succeeded, flushes `out`, and frees x.  Returns 0, or an exit code from
 * errors.h (MTA_EXIT_IO for write errors) with err filled. */
int mta_json_export_finish(struct mta_json_export *x, struct mta_error *err);

/* Frees x without completing the export (after the reader failed). */
void mta_json_export_free(struct mta_json_export *x);

/* The names trace.json gives to the numeric codes of format.h / trace.h.
 * Shared by the writer and the reader so they cannot drift apart. */
enum mta_json_names {
    MTA_JN_TYPE,      /* enum mta_ev_type: "alloc", "free", ... */
    MTA_JN_FN,        /* enum mt_alloc_kind: "malloc", "calloc", ... */
    MTA_JN_SOURCE,    /* enum mt_source: "unknown", "brk", "arena", "mmap" */
    MTA_JN_OP,        /* enum mt_map_op: "mmap", ..., "arena_heap" */
    MTA_JN_CAUSE,     /* enum mt_cause: "none", "malloc", ... */
    MTA_JN_REASON,    /* enum mt_maps_reason: "start", ... */
    MTA_JN_END_STATE, /* enum mt_end_state: "running", "exit", ... */
    MTA_JN_PARAM,     /* mallopt() parameter, (unsigned)M_xxx: "M_MMAP_THRESHOLD" */
    MTA_JN_STOP,      /* enum mt_stop_reason: "none", "max_size", "no_space", ... */
    MTA_JN_COUNT
};

/* The name of `value`, or NULL when this version has none. */
const char *mta_json_name(enum mta_json_names table, unsigned value);
/* 0 and *value set if `name` is in the table; -1 otherwise. */
int mta_json_lookup(enum mta_json_names table, const char *name, unsigned *value);
/* The table's names joined by ", " (for error messages). */
const char *mta_json_names_list(enum mta_json_names table);

#endif
