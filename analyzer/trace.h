/* The analyzer's view of a trace: a stream of decoded events in time order,
 * produced by either reader (binary trace_reader.c, trace.json json_reader.c)
 * and consumed by a sink (the model, or the JSON exporter). */
#ifndef MTA_TRACE_H
#define MTA_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "mtrace/format.h"

enum mta_ev_type {
    MTA_EV_ALLOC = 1,   /* kind, ptr, size, source, stack */
    MTA_EV_FREE = 2,    /* ptr */
    MTA_EV_REALLOC = 3, /* old_ptr, ptr (0: freed by realloc(p, 0)), size, source, stack */
    MTA_EV_BRK = 4,     /* addr = old break, naddr = new break, cause, stack */
    MTA_EV_MAP = 5,     /* op, addr, len, naddr, nlen, prot, flags, cause, stack, text=path */
    MTA_EV_MAPS = 6,    /* reason, text = /proc/self/maps or smaps contents */
    MTA_EV_SETTING = 7, /* kind = mallopt param, size = value (as int64) */
    MTA_EV_SCAN = 8     /* the scan at exit: op = record tag (MT_TAG_SCAN or
                           MT_TAG_SCAN_WORDS), reason = enum mt_scan_what,
                           text = the payload (leak_reach.c decodes it) */
};

struct mta_event {
    enum mta_ev_type type;
    uint32_t tid;
    uint64_t ns;        /* nanoseconds since the trace started */
    unsigned kind;      /* enum mt_alloc_kind for ALLOC, mallopt param for SETTING */
    unsigned source;    /* enum mt_source */
    unsigned op;        /* enum mt_map_op */
    unsigned cause;     /* enum mt_cause */
    unsigned reason;    /* enum mt_maps_reason */
    uint64_t ptr, old_ptr, size;
    uint64_t addr, len, naddr, nlen, prot, flags;
    uint64_t stack;     /* stack id as written in the trace; 0 = none */
    const char *text;   /* not NUL-terminated; text_len bytes */
    size_t text_len;
};

struct mta_module {
    uint64_t start, end, bias;
    uint8_t build_id[64];
    unsigned build_id_len;
    char *path;
};

/* Facts about the whole trace, from the header and info records. */
struct mta_trace_info {
    uint32_t version;
    uint32_t flags;
    uint64_t pid, ppid;
    uint64_t start_realtime_ns;
    uint64_t duration_ns;
    uint32_t end_state;     /* enum mt_end_state */
    int32_t end_code;
    uint64_t lost_events;
    uint64_t self_allocs;   /* the tracer's own calls into the program's malloc */
    uint32_t stop_reason;   /* enum mt_stop_reason: recording stopped early */
    int32_t stop_errno;
    uint64_t stop_bytes;    /* trace bytes in use at the stop */
    uint32_t depth;
    uint64_t initial_brk;
    char *cmdline;          /* argv joined by spaces */
    char *exe;
    char *tunables;
    char *own_memory;       /* "START-END\n" lines: the tracer's own mappings */
    char *foreign_allocator; /* the object whose malloc the program called, when
                                not mtrace's: nothing was traced (NULL: ours) */
    char *suppressions;     /* the program's __lsan_default_suppressions() */
    uint64_t file_bytes;    /* size of the input */
    uint64_t record_bytes;  /* bytes of records actually used */
    uint64_t chunks;
    int truncated;          /* the file ended inside a chunk */
    uint64_t ring_bytes;    /* flight recorder size (0: whole run) */
    uint64_t window_start_ns; /* flight recorder: older events were overwritten;
                                 the trace covers [window_start_ns, end]
                                 (0: the whole run) */
};

/* Where decoded things go.  Any callback may be NULL.  Returning non-zero
 * from event() stops reading. */
struct mta_sink {
    void *ctx;
    /* called before the first event with what the header says, and again
     * whenever an info record adds to it (cmdline, exe, malloc tunables) */
    void (*info)(void *ctx, const struct mta_trace_info *info);
    void (*stack)(void *ctx, uint64_t id, const uint64_t *frames, unsigned n);
    void (*module)(void *ctx, const struct mta_module *m);
    int (*event)(void *ctx, const struct mta_event *ev);
    /* called once at the end with the final info (end state, sizes) */
    void (*done)(void *ctx, const struct mta_trace_info *info);
    /* optional: a hint that `ev` comes soon (the model prefetches its slot) */
    void (*upcoming)(void *ctx, const struct mta_event *ev);
    /* optional, right after stack(): that stack was cut at the depth limit (the
     * program had more frames; MT_TAG_STACK_CUT, trace.json "cut": true) */
    void (*stack_cut)(void *ctx, uint64_t id);
};

/* A reader's error: what, where.  Messages name the file and byte offset. */
struct mta_error {
    char msg[512];
    int code; /* an exit status from errors.h */
};

/* Reads a binary trace (format.h).  0 on success; otherwise fills err. */
int mta_read_binary(const char *path, const struct mta_sink *sink, struct mta_error *err);
/* The same from memory: `data` holds the whole file; `name` is for messages. */
int mta_read_binary_mem(const char *name, const void *data, uint64_t size,
                        const struct mta_sink *sink, struct mta_error *err);
/* Reads the trace.json interchange form (docs/trace-json.md). */
int mta_read_json(const char *path, const struct mta_sink *sink, struct mta_error *err);
int mta_read_json_mem(const char *name, const char *data, size_t size,
                      const struct mta_sink *sink, struct mta_error *err);
/* Picks the reader by content: JSON, a packed trace (unpacked first into an
 * unlinked temporary file in $TMPDIR or /tmp, see pack.h), else binary. */
int mta_read_any(const char *path, const struct mta_sink *sink, struct mta_error *err);

#endif
