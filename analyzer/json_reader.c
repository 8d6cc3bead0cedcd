/* trace.json reader (docs/trace-json.md), streamed: memory stays bounded by
 * the largest single element (one module, stack or event), never by the
 * number of events or the size of the file, as with the binary reader.
 *
 * json_stream.c walks the top-level object and the big arrays in a fixed
 * read window and finds where each element ends; the element's bytes go to
 * jansson (json_loadb), whose tree of that one element is checked,
 * converted and freed.  Syntax errors inside an element are jansson's own
 * messages, moved to the element's line, column and byte in the file.
 *
 * The sink sees the whole trace or nothing:
 *   pass 1 reads the file once, checks the syntax of everything, the header
 *     (format, version, process) and every module, stack and event, and
 *     records where the modules, stacks and events arrays start.  Members
 *     may come in any order; arrays met before the header is known are
 *     only syntax-checked here and fully checked in a pass over them after
 *     the end of the file (so a file that is not a trace is rejected for
 *     its "format", not for its first odd-looking event).
 *   pass 2 seeks to each array in turn and calls the sink: info(), every
 *     module(), every stack(), every event() in file order, done().  It
 *     converts the same bytes again and does not fail unless the file
 *     changed in between (then the error is reported after a prefix).
 * A file that cannot seek (a pipe) is first copied to a temporary file.
 * If event() returns non-zero, no further events are delivered, done() is
 * still called (as at the end of a trace cut short) and the result is 0.
 *
 * Limits (errors, exit 3): one element (or one member of an unknown
 * top-level member) of at most 64 MiB and 2^20 JSON values; nesting at most
 * 2048 deep, as jansson.  Out of memory is exit 5. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "errors.h"
#include "json_export.h"
#include "json_stream.h"
#include "trace.h"

#define MAX_TMP 4 /* hex-decoded strings alive at once (one event or module) */

struct jr {
    const char *file;
    struct mta_error *err;
    char *tmp[MAX_TMP]; /* hex-decoded text of the current item */
    int ntmp;
    char *keep[8];      /* hex-decoded process texts: live until the end */
    int nkeep;
    struct js_src src;
    json_t *format, *version, *process; /* header members, kept until the end */
    int head_ok;        /* format, version and process seen and valid */
    struct mta_trace_info info;
    struct arr {        /* modules, stacks, events */
        int seen;
        int deferred;   /* met before the header: checked after pass 1 */
        struct js_pos at; /* its '[' */
    } arr[3];
    uint64_t prev_t;    /* events: the previous event's t */
    int stopped;        /* the sink's event() asked to stop */
};

static void free_tmp(struct jr *r)
{
    for (int i = 0; i < r->ntmp; i++)
        free(r->tmp[i]);
    r->ntmp = 0;
}

/* Sets the error "FILE: PREFIX.KEY: message" and returns -1.  prefix and key
 * may be NULL or empty. */
static int fail(struct jr *r, const char *prefix, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct jr *r, const char *prefix, const char *key, const char *fmt, ...)
{
    char what[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    int hp = prefix && *prefix, hk = key && *key;
    mta_set_error(r->err, MTA_EXIT_CORRUPT, "%s: %s%s%s%s%s", r->file, hp ? prefix : "",
                  hp && hk ? "." : "", hk ? key : "", hp || hk ? ": " : "", what);
    return -1;
}

/* A short, printable rendering of untrusted text for messages. */
static const char *quote(const char *s, char *buf, size_t cap)
{
    size_t o = 0, i = 0;
    for (; s[i] && o + 8 < cap && i < 48; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
    }
    if (s[i] && o + 4 < cap) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE: case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "something else";
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* "0x" followed by 1 or more hex digits of a value below 2^64. */
static int parse_hex(const char *s, size_t len, uint64_t *out)
{
    if (len < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        return -1;
    uint64_t v = 0;
    for (size_t i = 2; i < len; i++) {
        int d = hexval((unsigned char)s[i]);
        if (d < 0 || v >> 60)
            return -1;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return 0;
}

enum num_kind { NUM_COUNT, NUM_ADDR };

/* A 64-bit unsigned value: a non-negative JSON integer, or a "0x..." string
 * (the form of addresses, and of counts above 2^63-1). */
static int conv_u64(struct jr *r, const json_t *v, const char *pfx, const char *key,
                    enum num_kind kind, uint64_t *out)
{
    const char *want = kind == NUM_ADDR ? "expected a hex address string \"0x...\""
                                        : "expected a non-negative integer";
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0)
            return fail(r, pfx, key, "%s, found %" JSON_INTEGER_FORMAT, want, i);
        *out = (uint64_t)i;
        return 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (parse_hex(s, n, out) == 0)
            return 0;
        char q[80];
        if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
            return fail(r, pfx, key, "bad hex number \"%s\" (\"0x\" and 1 to 16 hex digits)",
                        quote(s, q, sizeof q));
        return fail(r, pfx, key, "%s, found the string \"%s\"", want, quote(s, q, sizeof q));
    }
    return fail(r, pfx, key, "%s, found %s", want, type_name(v));
}

static int get_u64(struct jr *r, const json_t *obj, const char *pfx, const char *key,
                   int required, enum num_kind kind, uint64_t *out)
{
    const json_t *v = json_object_get(obj, key);
    *out = 0;
    if (!v)
        return required ? fail(r, pfx, key, "missing required field") : 0;
    return conv_u64(r, v, pfx, key, kind, out);
}

static int get_u32(struct jr *r, const json_t *obj, const char *pfx, const char *key,
                   int required, uint32_t *out)
{
    uint64_t v;
    *out = 0;
    if (get_u64(r, obj, pfx, key, required, NUM_COUNT, &v))
        return -1;
    if (v > UINT32_MAX)
        return fail(r, pfx, key, "expected an integer from 0 to %" PRIu32 ", found %" PRIu64,
                    (uint32_t)UINT32_MAX, v);
    *out = (uint32_t)v;
    return 0;
}

/* A signed JSON integer within [lo, hi]. */
static int get_int(struct jr *r, const json_t *obj, const char *pfx, const char *key,
                   int required, json_int_t lo, json_int_t hi, json_int_t *out)
{
    const json_t *v = json_object_get(obj, key);
    *out = 0;
    if (!v)
        return required ? fail(r, pfx, key, "missing required field") : 0;
    if (!json_is_integer(v))
        return fail(r, pfx, key, "expected an integer, found %s", type_name(v));
    json_int_t i = json_integer_value(v);
    if (i < lo || i > hi)
        return fail(r, pfx, key,
                    "%" JSON_INTEGER_FORMAT " is out of range [%" JSON_INTEGER_FORMAT
                    ", %" JSON_INTEGER_FORMAT "]", i, lo, hi);
    *out = i;
    return 0;
}

/* An enum: a name from the table, or a bare number (a code this version has
 * no name for, passed through). */
static int get_enum(struct jr *r, const json_t *obj, const char *pfx, const char *key,
                    int required, enum mta_json_names table, unsigned *out)
{
    const json_t *v = json_object_get(obj, key);
    *out = 0;
    if (!v)
        return required ? fail(r, pfx, key, "missing required field") : 0;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (strlen(s) == json_string_length(v) && mta_json_lookup(table, s, out) == 0)
            return 0;
        char q[80];
        return fail(r, pfx, key, "unknown value \"%s\" (expected one of %s)",
                    quote(s, q, sizeof q), mta_json_names_list(table));
    }
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        json_int_t lo = table == MTA_JN_PARAM ? INT32_MIN : 0;
        if (i >= lo && i <= (json_int_t)UINT32_MAX) {
            *out = (unsigned)i;
            return 0;
        }
    }
    return fail(r, pfx, key, "expected one of %s", mta_json_names_list(table));
}

/* Text: a JSON string, or {"hex": "..."} for bytes that are not UTF-8.
 * *out is NUL-terminated and lives until free_tmp() (or the end of the read
 * if `keep`); NULL if the field is absent and optional.  Fields that are C
 * strings in trace.h (nul_ok == 0) must not contain NUL bytes. */
static int get_text(struct jr *r, const json_t *obj, const char *pfx, const char *key,
                    int required, int nul_ok, int keep, const char **out, size_t *len)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    *len = 0;
    if (!v)
        return required ? fail(r, pfx, key, "missing required field") : 0;
    if (json_is_string(v)) {
        *out = json_string_value(v);
        *len = json_string_length(v);
    } else if (json_is_object(v)) {
        const json_t *h = json_object_get(v, "hex");
        if (!h || !json_is_string(h))
            return fail(r, pfx, key, "expected a string or {\"hex\": \"...\"}");
        const char *s = json_string_value(h);
        size_t n = json_string_length(h);
        if (n % 2)
            return fail(r, pfx, key, "hex text has an odd number of digits");
        char *buf = malloc(n / 2 + 1);
        if (!buf) {
            mta_set_error(r->err, MTA_EXIT_INTERNAL, "%s: out of memory", r->file);
            return -1;
        }
        for (size_t i = 0; i < n; i += 2) {
            int hi = hexval((unsigned char)s[i]), lo = hexval((unsigned char)s[i + 1]);
            if (hi < 0 || lo < 0) {
                free(buf);
                return fail(r, pfx, key, "hex text has a non-hex character at %zu", i);
            }
            buf[i / 2] = (char)(hi << 4 | lo);
        }
        buf[n / 2] = '\0';
        /* slots: at most MAX_TMP texts per item, 3 per process */
        if (keep)
            r->keep[r->nkeep++] = buf;
        else
            r->tmp[r->ntmp++] = buf;
        *out = buf;
        *len = n / 2;
    } else {
        return fail(r, pfx, key, "expected a string, found %s", type_name(v));
    }
    if (!nul_ok && memchr(*out, '\0', *len))
        return fail(r, pfx, key, "contains a NUL byte");
    return 0;
}

static int parse_process(struct jr *r, const json_t *p, struct mta_trace_info *in)
{
    const char *P = "process";
    const char *s;
    size_t n;
    json_int_t i;
    if (!json_is_object(p))
        return fail(r, P, NULL, "expected an object, found %s", type_name(p));
    if (get_u64(r, p, P, "pid", 0, NUM_COUNT, &in->pid) ||
        get_u64(r, p, P, "ppid", 0, NUM_COUNT, &in->ppid))
        return -1;
    if (get_text(r, p, P, "cmdline", 0, 0, 1, &s, &n))
        return -1;
    in->cmdline = (char *)s;
    if (get_text(r, p, P, "exe", 0, 0, 1, &s, &n))
        return -1;
    in->exe = (char *)s;
    if (get_text(r, p, P, "tunables", 0, 0, 1, &s, &n))
        return -1;
    in->tunables = (char *)s;
    if (get_text(r, p, P, "own_memory", 0, 0, 1, &s, &n))
        return -1;
    in->own_memory = (char *)s;
    if (get_text(r, p, P, "foreign_allocator", 0, 0, 1, &s, &n))
        return -1;
    in->foreign_allocator = (char *)s;
    if (get_text(r, p, P, "lsan_default_suppressions", 0, 0, 1, &s, &n))
        return -1;
    in->suppressions = (char *)s;
    if (get_u64(r, p, P, "start_realtime_ns", 0, NUM_COUNT, &in->start_realtime_ns) ||
        get_u64(r, p, P, "duration_ns", 0, NUM_COUNT, &in->duration_ns) ||
        get_enum(r, p, P, "end_state", 0, MTA_JN_END_STATE, &in->end_state) ||
        get_int(r, p, P, "end_code", 0, INT32_MIN, INT32_MAX, &i))
        return -1;
    in->end_code = (int32_t)i;
    if (get_enum(r, p, P, "stop_reason", 0, MTA_JN_STOP, &in->stop_reason) ||
        get_int(r, p, P, "stop_errno", 0, INT32_MIN, INT32_MAX, &i) ||
        get_u64(r, p, P, "stop_bytes", 0, NUM_COUNT, &in->stop_bytes))
        return -1;
    in->stop_errno = (int32_t)i;
    if (get_u64(r, p, P, "lost_events", 0, NUM_COUNT, &in->lost_events) ||
        get_u64(r, p, P, "self_allocs", 0, NUM_COUNT, &in->self_allocs) ||
        get_u32(r, p, P, "depth", 0, &in->depth) ||
        get_u64(r, p, P, "initial_brk", 0, NUM_ADDR, &in->initial_brk) ||
        get_u64(r, p, P, "ring_bytes", 0, NUM_COUNT, &in->ring_bytes) ||
        get_u64(r, p, P, "window_start_ns", 0, NUM_COUNT, &in->window_start_ns))
        return -1;
    const json_t *t = json_object_get(p, "truncated");
    if (t && !json_is_boolean(t))
        return fail(r, P, "truncated", "expected true or false, found %s", type_name(t));
    in->truncated = t && json_is_true(t);
    in->flags = in->ring_bytes ? MT_HDR_RING : 0;
    const json_t *c = json_object_get(p, "coarse_allocation_times");
    if (c && !json_is_boolean(c))
        return fail(r, P, "coarse_allocation_times", "expected true or false, found %s",
                    type_name(c));
    if (c && json_is_true(c))
        in->flags |= MT_HDR_COARSE_TICKS;
    static const struct { const char *key; uint32_t flag; } bools[] = {
        {"attached", MT_HDR_ATTACHED}, {"dormant", MT_HDR_DORMANT}};
    for (size_t k = 0; k < sizeof bools / sizeof bools[0]; k++) {
        const json_t *b = json_object_get(p, bools[k].key);
        if (b && !json_is_boolean(b))
            return fail(r, P, bools[k].key, "expected true or false, found %s", type_name(b));
        if (b && json_is_true(b))
            in->flags |= bools[k].flag;
    }
    return 0;
}

static int parse_module(struct jr *r, const json_t *m, const char *pfx, struct mta_module *out)
{
    const char *s;
    size_t n;
    memset(out, 0, sizeof *out);
    if (!json_is_object(m))
        return fail(r, pfx, NULL, "expected an object, found %s", type_name(m));
    if (get_text(r, m, pfx, "path", 0, 0, 0, &s, &n))
        return -1;
    out->path = (char *)s;
    if (get_u64(r, m, pfx, "start", 1, NUM_ADDR, &out->start) ||
        get_u64(r, m, pfx, "end", 1, NUM_ADDR, &out->end) ||
        get_u64(r, m, pfx, "bias", 0, NUM_ADDR, &out->bias))
        return -1;
    const json_t *b = json_object_get(m, "build_id");
    if (b) {
        if (!json_is_string(b))
            return fail(r, pfx, "build_id", "expected a hex string, found %s", type_name(b));
        s = json_string_value(b);
        n = json_string_length(b);
        if (n % 2 || n / 2 > sizeof out->build_id)
            return fail(r, pfx, "build_id",
                        "expected an even number of hex digits, at most %zu, found %zu",
                        2 * sizeof out->build_id, n);
        for (size_t i = 0; i < n; i += 2) {
            int hi = hexval((unsigned char)s[i]), lo = hexval((unsigned char)s[i + 1]);
            if (hi < 0 || lo < 0)
                return fail(r, pfx, "build_id", "non-hex character at %zu", i);
            out->build_id[i / 2] = (uint8_t)(hi << 4 | lo);
        }
        out->build_id_len = (unsigned)(n / 2);
    }
    return 0;
}

static int parse_stack(struct jr *r, const json_t *st, const char *pfx, uint64_t *id,
                       uint64_t *frames, unsigned *n, int *cut)
{
    *n = 0;
    *cut = 0;
    if (!json_is_object(st))
        return fail(r, pfx, NULL, "expected an object, found %s", type_name(st));
    if (get_u64(r, st, pfx, "id", 1, NUM_COUNT, id))
        return -1;
    const json_t *fr = json_object_get(st, "frames");
    if (!fr)
        return fail(r, pfx, "frames", "missing required field");
    if (!json_is_array(fr))
        return fail(r, pfx, "frames", "expected an array, found %s", type_name(fr));
    size_t count = json_array_size(fr);
    if (count > MT_MAX_DEPTH)
        return fail(r, pfx, "frames", "%zu frames, more than the limit of %u", count,
                    MT_MAX_DEPTH);
    for (size_t i = 0; i < count; i++) {
        char key[32];
        snprintf(key, sizeof key, "frames[%zu]", i);
        if (conv_u64(r, json_array_get(fr, i), pfx, key, NUM_ADDR, &frames[i]))
            return -1;
    }
    const json_t *c = json_object_get(st, "cut");
    if (c && !json_is_boolean(c))
        return fail(r, pfx, "cut", "expected a boolean, found %s", type_name(c));
    *cut = c && json_is_true(c);
    *n = (unsigned)count;
    return 0;
}

static int parse_event(struct jr *r, const json_t *e, const char *pfx, struct mta_event *ev)
{
    memset(ev, 0, sizeof *ev);
    if (!json_is_object(e))
        return fail(r, pfx, NULL, "expected an object, found %s", type_name(e));
    unsigned type;
    const json_t *tv = json_object_get(e, "type");
    if (!tv)
        return fail(r, pfx, "type", "missing required field");
    if (!json_is_string(tv))
        return fail(r, pfx, "type", "expected a string, found %s", type_name(tv));
    if (strlen(json_string_value(tv)) != json_string_length(tv) ||
        mta_json_lookup(MTA_JN_TYPE, json_string_value(tv), &type) != 0) {
        char q[80];
        return fail(r, pfx, "type", "unknown event type \"%s\" (expected one of %s)",
                    quote(json_string_value(tv), q, sizeof q),
                    mta_json_names_list(MTA_JN_TYPE));
    }
    ev->type = (enum mta_ev_type)type;
    if (get_u64(r, e, pfx, "t", 1, NUM_COUNT, &ev->ns) ||
        get_u32(r, e, pfx, "tid", 0, &ev->tid))
        return -1;
    json_int_t i;
    switch (ev->type) {
    case MTA_EV_ALLOC:
        return get_enum(r, e, pfx, "fn", 0, MTA_JN_FN, &ev->kind) ||
               get_u64(r, e, pfx, "ptr", 1, NUM_ADDR, &ev->ptr) ||
               get_u64(r, e, pfx, "size", 1, NUM_COUNT, &ev->size) ||
               get_enum(r, e, pfx, "source", 0, MTA_JN_SOURCE, &ev->source) ||
               get_u64(r, e, pfx, "stack", 0, NUM_COUNT, &ev->stack) ? -1 : 0;
    case MTA_EV_FREE:
        return get_u64(r, e, pfx, "ptr", 1, NUM_ADDR, &ev->ptr);
    case MTA_EV_REALLOC:
        return get_enum(r, e, pfx, "fn", 0, MTA_JN_FN, &ev->kind) ||
               get_u64(r, e, pfx, "old", 1, NUM_ADDR, &ev->old_ptr) ||
               get_u64(r, e, pfx, "ptr", 1, NUM_ADDR, &ev->ptr) ||
               get_u64(r, e, pfx, "size", 1, NUM_COUNT, &ev->size) ||
               get_enum(r, e, pfx, "source", 0, MTA_JN_SOURCE, &ev->source) ||
               get_u64(r, e, pfx, "stack", 0, NUM_COUNT, &ev->stack) ? -1 : 0;
    case MTA_EV_BRK:
        return get_u64(r, e, pfx, "old", 1, NUM_ADDR, &ev->addr) ||
               get_u64(r, e, pfx, "new", 1, NUM_ADDR, &ev->naddr) ||
               get_enum(r, e, pfx, "cause", 0, MTA_JN_CAUSE, &ev->cause) ||
               get_u64(r, e, pfx, "stack", 0, NUM_COUNT, &ev->stack) ? -1 : 0;
    case MTA_EV_MAP:
        return get_enum(r, e, pfx, "op", 1, MTA_JN_OP, &ev->op) ||
               get_u64(r, e, pfx, "addr", 1, NUM_ADDR, &ev->addr) ||
               get_u64(r, e, pfx, "len", 1, NUM_COUNT, &ev->len) ||
               get_u64(r, e, pfx, "new_addr", 0, NUM_ADDR, &ev->naddr) ||
               get_u64(r, e, pfx, "new_len", 0, NUM_COUNT, &ev->nlen) ||
               get_u64(r, e, pfx, "prot", 0, NUM_COUNT, &ev->prot) ||
               get_u64(r, e, pfx, "flags", 0, NUM_COUNT, &ev->flags) ||
               get_enum(r, e, pfx, "cause", 0, MTA_JN_CAUSE, &ev->cause) ||
               get_u64(r, e, pfx, "stack", 0, NUM_COUNT, &ev->stack) ||
               get_text(r, e, pfx, "path", 0, 1, 0, &ev->text, &ev->text_len) ? -1 : 0;
    case MTA_EV_MAPS:
        return get_enum(r, e, pfx, "reason", 1, MTA_JN_REASON, &ev->reason) ||
               get_text(r, e, pfx, "text", 1, 1, 0, &ev->text, &ev->text_len) ? -1 : 0;
    case MTA_EV_SETTING:
        if (get_enum(r, e, pfx, "param", 1, MTA_JN_PARAM, &ev->kind) ||
            get_int(r, e, pfx, "value", 1, INT64_MIN, INT64_MAX, &i))
            return -1;
        ev->size = (uint64_t)(int64_t)i;
        return 0;
    case MTA_EV_SCAN: /* not in trace.json (yet) */
        break;
    }
    return fail(r, pfx, "type", "unhandled event type");
}

/* ---- the stream -------------------------------------------------------- */

#define WINDOW mta_json_window
size_t mta_json_window = 256u << 10; /* the read window; grows for a larger element */
#define MAX_ELEM_BYTES (64u << 20) /* one element of the top-level arrays */
#define MAX_ELEM_VALUES (1u << 20) /* JSON values in one element */

enum arr_kind { A_MODULES, A_STACKS, A_EVENTS };
static const char *const arr_name[3] = { "modules", "stacks", "events" };
enum mode { M_SYNTAX, M_CHECK, M_DELIVER };

/* jansson does not always say when it ran out of memory (a failed append in
 * its lexer reads as "invalid token"), so its allocations go through this
 * wrapper, which notes the failure.  Same malloc and free underneath: safe
 * to install while other jansson values are alive. */
static int jansson_oom;

static void *jr_malloc(size_t n)
{
    void *p = malloc(n);
    if (!p)
        jansson_oom = 1;
    return p;
}

static void watch_jansson_allocs(void)
{
    json_malloc_t m;
    json_free_t f;
    json_get_alloc_funcs(&m, &f);
    if (m != jr_malloc)
        json_set_alloc_funcs(jr_malloc, free);
    jansson_oom = 0;
}

/* "FILE: line L, column C (byte B): invalid JSON: what" */
static int fail_syntax(struct jr *r, const struct js_pos *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_syntax(struct jr *r, const struct js_pos *at, const char *fmt, ...)
{
    char what[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    mta_set_error(r->err, MTA_EXIT_CORRUPT,
                  "%s: line %" PRIu64 ", column %" PRIu64 " (byte %" PRIu64 "): invalid JSON: %s",
                  r->file, at->line, at->col, at->off, what);
    return -1;
}

static int fail_read(struct jr *r);

/* Parser states a structural error can happen in, as a prefix that puts
 * jansson in the same state (see fail_expected). */
#define IN_ARRAY_AFTER_VALUE "[[]"   /* ',' or ']' expected */
#define IN_ARRAY_VALUE "[[],"        /* a value expected */
#define IN_OBJECT_KEY "{\"\":[],"     /* a key expected */
#define IN_OBJECT_COLON "{\"\""        /* ':' expected */
#define IN_OBJECT_VALUE "{\"\":"       /* a value expected */
#define IN_OBJECT_AFTER_VALUE "{\"\":[]"/* ',' or '}' expected */
#define AT_START ""                   /* '{' expected */
#define AT_END "{}"                   /* the end of the input expected */

/* The input at the current position is wrong for the parser state `state`.
 * So that the message is the one jansson gives for the whole document
 * (including its lexer's errors: a bad UTF-8 byte, a newline in a string),
 * jansson parses `state` followed by the next bytes of the input, and its
 * error is moved to the file's position.  `fallback` is for the rare case
 * where that does not fail as expected. */
static int fail_expected(struct jr *r, const char *state, const char *fallback)
{
    struct js_src *s = &r->src;
    if (js_skip_ws(s) == JS_ERR_C)
        return fail_read(r);
    js_want(s, 4096);
    if (s->err)
        return fail_read(r);
    size_t plen = strlen(state), n = s->hi - s->lo;
    if (n > 65536)
        n = 65536;
    char *doc = malloc(plen + n + 1);
    if (!doc) {
        mta_set_error(r->err, MTA_EXIT_INTERNAL, "%s: out of memory parsing the JSON", r->file);
        return -1;
    }
    memcpy(doc, state, plen);
    memcpy(doc + plen, s->buf + s->lo, n);
    json_error_t je;
    size_t flags = JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL;
    json_t *v = json_loadb(doc, plen + n, plen ? flags | JSON_DECODE_ANY : flags, &je);
    free(doc);
    if (!v && (json_error_code(&je) == json_error_out_of_memory || jansson_oom)) {
        mta_set_error(r->err, MTA_EXIT_INTERNAL, "%s: out of memory parsing the JSON", r->file);
        return -1;
    }
    if (!v && je.line >= 1 && je.position >= (int)plen && (je.line > 1 || je.column >= (int)plen)) {
        struct js_pos p = { s->pos.off + (uint64_t)je.position - plen,
                            s->pos.line + (uint64_t)je.line - 1,
                            je.line == 1 ? s->pos.col + (uint64_t)je.column - plen
                                         : (uint64_t)je.column };
        return fail_syntax(r, &p, "%s", je.text);
    }
    json_decref(v);
    char near[40];
    struct js_pos end;
    js_near(s, near, sizeof near, &end);
    return fail_syntax(r, &end, "%s%s", fallback, near);
}

static int fail_read(struct jr *r)
{
    if (r->src.err == ENOMEM) {
        mta_set_error(r->err, MTA_EXIT_INTERNAL, "%s: out of memory reading the file", r->file);
        return -1;
    }
    mta_set_error(r->err, MTA_EXIT_IO, "%s: cannot read: %s", r->file, strerror(r->src.err));
    return -1;
}

/* The next non-blank byte, or -1 with err set if the read failed. */
static int next(struct jr *r, int *c)
{
    *c = js_skip_ws(&r->src);
    return *c == JS_ERR_C ? fail_read(r) : 0;
}

/* Reads the value at the current position (nested `depth` deep) and parses
 * it with jansson.  `what` names it in messages about its size. */
static int load_value(struct jr *r, unsigned depth, const char *state, const char *what,
                      json_t **out)
{
    struct js_src *s = &r->src;
    struct js_pos at = s->pos;
    size_t len;
    *out = NULL;
    enum js_scan st = js_scan_value(s, depth, MAX_ELEM_BYTES, MAX_ELEM_VALUES, &len);
    if (st == JS_ERR)
        return fail_read(r);
    if (st == JS_BIG)
        return fail(r, what, NULL,
                    "the value at line %" PRIu64 ", byte %" PRIu64 " is larger than "
                    "the limit of %u MiB or %u JSON values", at.line, at.off,
                    MAX_ELEM_BYTES >> 20, MAX_ELEM_VALUES);
    if (st == JS_DEEP) {
        struct js_pos end = js_pos_after(s, len);
        return fail_syntax(r, &end, "maximum parsing depth reached near '%c'",
                           s->buf[s->lo + len - 1]);
    }
    if (len == 0) /* a structural character or the end where a value belongs */
        return fail_expected(r, state, "unexpected token");
    if (len >= (1u << 20)) {
        /* jansson 2.14 crashes (an assert in lex_scan_string) when it runs out
         * of memory inside a long string: make sure the room it needs (its
         * string buffer grows by doubling, then the value is copied) is there */
        void *room = len <= SIZE_MAX / 4 ? malloc(4 * len) : NULL;
        if (!room) {
            mta_set_error(r->err, MTA_EXIT_INTERNAL, "%s: out of memory parsing the JSON",
                          r->file);
            return -1;
        }
        free(room);
    }
    json_error_t je;
    json_t *v = json_loadb(s->buf + s->lo, len,
                           JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY, &je);
    if (!v) {
        if (json_error_code(&je) == json_error_out_of_memory || jansson_oom) {
            mta_set_error(r->err, MTA_EXIT_INTERNAL, "%s: out of memory parsing the JSON",
                          r->file);
            return -1;
        }
        if (je.line < 1 || je.position < 0)
            return fail(r, what, NULL, "invalid JSON: %s", je.text);
        /* jansson counted from the value's first byte */
        struct js_pos p = { at.off + (uint64_t)je.position, at.line + (uint64_t)je.line - 1,
                            (je.line == 1 ? at.col : 0) + (uint64_t)(je.column > 0 ? je.column : 0) };
        const char *text = je.text, *eof = "end of file expected";
        if (json_error_code(&je) == json_error_end_of_input_expected && state[0] &&
            strncmp(text, eof, strlen(eof)) == 0) /* "1x": in the document, "1" then "x" */
            return fail_syntax(r, &p, "%s%s", state[0] == '[' ? "']' expected" : "'}' expected",
                               text + strlen(eof));
        return fail_syntax(r, &p, "%s", text);
    }
    if (st != JS_OK) { /* jansson accepted what the scanner found broken: not expected */
        json_decref(v);
        struct js_pos end = js_pos_after(s, len);
        return fail_syntax(r, &end, "unexpected %s",
                           st == JS_EOF ? "end of file" : "closing bracket");
    }
    js_consume(s, len);
    js_shrink(s, WINDOW);
    *out = v;
    return 0;
}

/* Checks the header members, in the order format, version, process, once
 * all are known (or at the end: `final`, then a missing one is an error). */
static int check_head(struct jr *r, int final)
{
    if (r->head_ok)
        return 0;
    const json_t *v = r->format;
    if (!v)
        return final ? fail(r, "format", NULL, "missing required field (not a trace.json file?)")
                     : 0;
    if (!json_is_string(v) || json_string_length(v) != strlen(MTA_JSON_FORMAT) ||
        strcmp(json_string_value(v), MTA_JSON_FORMAT) != 0) {
        char q[80];
        return fail(r, "format", NULL, "expected \"%s\", found %s%s%s", MTA_JSON_FORMAT,
                    json_is_string(v) ? "\"" : "",
                    json_is_string(v) ? quote(json_string_value(v), q, sizeof q) : type_name(v),
                    json_is_string(v) ? "\"" : "");
    }
    v = r->version;
    if (!v)
        return final ? fail(r, "version", NULL, "missing required field") : 0;
    if (!json_is_integer(v))
        return fail(r, "version", NULL, "expected an integer, found %s", type_name(v));
    if (json_integer_value(v) != MTA_JSON_VERSION)
        return fail(r, "version", NULL,
                    "unsupported version %" JSON_INTEGER_FORMAT " (this mtrace reads version %d)",
                    json_integer_value(v), MTA_JSON_VERSION);
    if (!r->process)
        return final ? fail(r, "process", NULL, "missing required field") : 0;
    if (parse_process(r, r->process, &r->info))
        return -1;
    r->info.version = MTA_JSON_VERSION;
    r->head_ok = 1;
    return 0;
}

/* One element of a top-level array: checked in M_CHECK, delivered in
 * M_DELIVER, only parsed (syntax) in M_SYNTAX. */
static int element(struct jr *r, enum arr_kind k, enum mode mode, uint64_t i,
                   const struct mta_sink *sink)
{
    char pfx[48];
    snprintf(pfx, sizeof pfx, "%s[%" PRIu64 "]", arr_name[k], i);
    json_t *v;
    if (load_value(r, 2, IN_ARRAY_VALUE, pfx, &v))
        return -1;
    int rc = 0;
    if (mode == M_SYNTAX) {
        /* nothing more */
    } else if (k == A_MODULES) {
        struct mta_module m;
        rc = parse_module(r, v, pfx, &m);
        if (rc == 0 && mode == M_DELIVER && sink && sink->module)
            sink->module(sink->ctx, &m);
    } else if (k == A_STACKS) {
        uint64_t id, frames[MT_MAX_DEPTH];
        unsigned n;
        int cut;
        rc = parse_stack(r, v, pfx, &id, frames, &n, &cut);
        if (rc == 0 && mode == M_DELIVER && sink && sink->stack)
            sink->stack(sink->ctx, id, frames, n);
        if (rc == 0 && cut && mode == M_DELIVER && sink && sink->stack_cut)
            sink->stack_cut(sink->ctx, id);
    } else {
        struct mta_event ev;
        rc = parse_event(r, v, pfx, &ev);
        if (rc == 0 && i > 0 && ev.ns < r->prev_t)
            rc = fail(r, pfx, "t",
                      "%" PRIu64 " is earlier than events[%" PRIu64 "].t (%" PRIu64 "); "
                      "events must be sorted by time", ev.ns, i - 1, r->prev_t);
        if (rc == 0 && mode == M_DELIVER && sink && sink->event)
            r->stopped = sink->event(sink->ctx, &ev) != 0;
        r->prev_t = ev.ns;
    }
    free_tmp(r);
    json_decref(v);
    return rc;
}

/* A top-level array, from its '['. */
static int walk_array(struct jr *r, enum arr_kind k, enum mode mode, const struct mta_sink *sink)
{
    int c;
    if (next(r, &c)) /* after a seek, the window is empty */
        return -1;
    if (c != '[')
        return fail_expected(r, AT_START, "'[' expected (the file changed while it was read?)");
    js_consume(&r->src, 1);
    r->prev_t = 0;
    if (next(r, &c))
        return -1;
    if (c == ']') {
        js_consume(&r->src, 1);
        return 0;
    }
    for (uint64_t i = 0;; i++) {
        if (element(r, k, mode, i, sink))
            return -1;
        if (r->stopped)
            return 0;
        if (next(r, &c))
            return -1;
        if (c == ']') {
            js_consume(&r->src, 1);
            return 0;
        }
        if (c != ',')
            return fail_expected(r, IN_ARRAY_AFTER_VALUE, "']' expected");
        js_consume(&r->src, 1);
        if (next(r, &c))
            return -1;
    }
}

/* The value of a member this version does not know: syntax-checked, one
 * element or member at a time if it is an array or an object, and dropped. */
static int skip_unknown(struct jr *r, const char *key)
{
    struct js_src *s = &r->src;
    int c = js_skip_ws(s);
    json_t *v;
    if (c != '[' && c != '{') {
        if (load_value(r, 1, IN_OBJECT_VALUE, key, &v))
            return -1;
        json_decref(v);
        return 0;
    }
    int close = c == '[' ? ']' : '}';
    js_consume(s, 1);
    if (next(r, &c))
        return -1;
    if (c == close) {
        js_consume(s, 1);
        return 0;
    }
    for (;;) {
        if (close == '}') { /* "key": value */
            if (c != '"')
                return fail_expected(r, IN_OBJECT_KEY, "string or '}' expected");
            if (load_value(r, 2, IN_OBJECT_KEY, key, &v))
                return -1;
            json_decref(v);
            if (next(r, &c))
                return -1;
            if (c != ':')
                return fail_expected(r, IN_OBJECT_COLON, "':' expected");
            js_consume(s, 1);
            if (next(r, &c))
                return -1;
        }
        if (load_value(r, 2, close == ']' ? IN_ARRAY_VALUE : IN_OBJECT_VALUE, key, &v))
            return -1;
        json_decref(v);
        if (next(r, &c))
            return -1;
        if (c == close) {
            js_consume(s, 1);
            return 0;
        }
        if (c != ',')
            return close == ']' ? fail_expected(r, IN_ARRAY_AFTER_VALUE, "']' expected")
                                : fail_expected(r, IN_OBJECT_AFTER_VALUE, "'}' expected");
        js_consume(s, 1);
        if (next(r, &c))
            return -1;
    }
}

/* Pass 1: the whole file, from its first byte. */
static int pass1(struct jr *r)
{
    struct js_src *s = &r->src;
    int c;
    if (next(r, &c))
        return -1;
    if (c != '{') {
        if (c != '[')
            return fail_expected(r, AT_START, "'[' or '{' expected");
        json_t *v;
        if (load_value(r, 0, AT_START, "", &v))
            return -1;
        json_decref(v);
        if (next(r, &c))
            return -1;
        if (c != JS_EOF_C)
            return fail_expected(r, AT_END, "end of file expected");
        return fail(r, NULL, NULL, "expected a JSON object at the top level, found an array");
    }
    js_consume(s, 1);
    if (next(r, &c))
        return -1;
    if (c == '}') { /* {} */
        js_consume(s, 1);
        goto end;
    }
    for (;;) { /* members until the closing '}' */
        if (c != '"')
            return fail_expected(r, IN_OBJECT_KEY, "string or '}' expected");
        json_t *kv;
        if (load_value(r, 1, IN_OBJECT_KEY, "", &kv))
            return -1;
        char key[16] = "", unknown[80] = "";
        size_t klen = json_string_length(kv);
        if (memchr(json_string_value(kv), '\0', klen)) {
            json_decref(kv);
            return fail_syntax(r, &s->pos, "NUL byte in object key not supported");
        }
        int which = -1; /* 0..2: arrays; 3 format, 4 version, 5 process */
        static const char *const known[6] = { "modules", "stacks", "events",
                                               "format", "version", "process" };
        for (int k = 0; k < 6; k++)
            if (klen == strlen(known[k]) && strcmp(json_string_value(kv), known[k]) == 0)
                which = k;
        if (which >= 0) {
            snprintf(key, sizeof key, "%s", known[which]);
        } else {
            char q[80];
            snprintf(unknown, sizeof unknown, "%s", quote(json_string_value(kv), q, sizeof q));
        }
        json_decref(kv);
        int dup = (which >= 0 && which < 3 && r->arr[which].seen) ||
                  (which == 3 && r->format) || (which == 4 && r->version) ||
                  (which == 5 && r->process);
        if (dup)
            return fail_syntax(r, &s->pos, "duplicate object key near '\"%s\"'", key);
        if (next(r, &c))
            return -1;
        if (c != ':')
            return fail_expected(r, IN_OBJECT_COLON, "':' expected");
        js_consume(s, 1);
        if (next(r, &c))
            return -1;
        if (which >= 0 && which < 3) {
            struct arr *a = &r->arr[which];
            if (c == '[') {
                a->seen = 1;
                a->at = s->pos;
                a->deferred = !r->head_ok;
                if (walk_array(r, (enum arr_kind)which, r->head_ok ? M_CHECK : M_SYNTAX, NULL))
                    return -1;
            } else {
                json_t *v;
                if (load_value(r, 1, IN_OBJECT_VALUE, key, &v))
                    return -1;
                fail(r, key, NULL, "expected an array, found %s", type_name(v));
                json_decref(v);
                return -1;
            }
        } else if (which >= 3) {
            json_t **slot = which == 3 ? &r->format : which == 4 ? &r->version : &r->process;
            if (load_value(r, 1, IN_OBJECT_VALUE, key, slot) || check_head(r, 0))
                return -1;
        } else if (skip_unknown(r, unknown)) {
            return -1;
        }
        if (next(r, &c))
            return -1;
        if (c == '}') {
            js_consume(s, 1);
            break;
        }
        if (c != ',')
            return fail_expected(r, IN_OBJECT_AFTER_VALUE, "'}' expected");
        js_consume(s, 1);
        if (next(r, &c))
            return -1;
    }
end:
    if (next(r, &c))
        return -1;
    if (c != JS_EOF_C)
        return fail_expected(r, AT_END, "end of file expected");
    r->info.file_bytes = s->pos.off;
    return 0;
}

static int read_stream(struct jr *r, const struct mta_sink *sink)
{
    watch_jansson_allocs();
    if (pass1(r) || check_head(r, 1))
        return -1;
    if (!r->arr[A_EVENTS].seen)
        return fail(r, "events", NULL, "missing required field");
    uint64_t file_bytes = r->info.file_bytes;
    for (int k = 0; k < 3; k++) /* arrays met before the header */
        if (r->arr[k].deferred &&
            (js_seek(&r->src, &r->arr[k].at) || walk_array(r, (enum arr_kind)k, M_CHECK, NULL)))
            return r->src.err ? fail_read(r) : -1;
    r->info.file_bytes = file_bytes;
    if (sink && sink->info)
        sink->info(sink->ctx, &r->info);
    for (int k = 0; k < 3 && !r->stopped; k++)
        if (r->arr[k].seen &&
            (js_seek(&r->src, &r->arr[k].at) || walk_array(r, (enum arr_kind)k, M_DELIVER, sink)))
            return r->src.err ? fail_read(r) : -1;
    if (sink && sink->done)
        sink->done(sink->ctx, &r->info);
    return 0;
}

static int finish(struct jr *r, int rc)
{
    free_tmp(r);
    for (int k = 0; k < r->nkeep; k++)
        free(r->keep[k]);
    json_decref(r->format);
    json_decref(r->version);
    json_decref(r->process);
    js_free(&r->src);
    return rc == 0 ? 0 : r->err->code;
}

/* A copy of a file that cannot seek (a pipe), in an unlinked temporary file. */
static int spool(struct jr *r, int fd)
{
    FILE *t = tmpfile();
    if (!t) {
        mta_set_error(r->err, MTA_EXIT_IO, "%s: cannot create a temporary file: %s", r->file,
                      strerror(errno));
        return -1;
    }
    int tfd = dup(fileno(t));
    fclose(t);
    if (tfd < 0) {
        mta_set_error(r->err, MTA_EXIT_IO, "%s: cannot create a temporary file: %s", r->file,
                      strerror(errno));
        return -1;
    }
    char buf[1 << 16];
    for (;;) {
        ssize_t got = read(fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            mta_set_error(r->err, MTA_EXIT_IO, "%s: cannot read: %s", r->file, strerror(errno));
            close(tfd);
            return -1;
        }
        if (got == 0)
            break;
        for (ssize_t o = 0; o < got;) {
            ssize_t w = write(tfd, buf + o, (size_t)(got - o));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                mta_set_error(r->err, MTA_EXIT_IO, "%s: cannot write a temporary copy: %s",
                              r->file, w < 0 ? strerror(errno) : "short write");
                close(tfd);
                return -1;
            }
            o += w;
        }
    }
    if (lseek(tfd, 0, SEEK_SET) < 0) {
        mta_set_error(r->err, MTA_EXIT_IO, "%s: cannot read: %s", r->file, strerror(errno));
        close(tfd);
        return -1;
    }
    return tfd;
}

int mta_read_json(const char *path, const struct mta_sink *sink, struct mta_error *err)
{
    struct jr r = { .file = path, .err = err };
    struct mta_error dummy;
    if (!err)
        r.err = &dummy;
    r.src.fd = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        mta_set_error(r.err, MTA_EXIT_IO, "%s: cannot open: %s", path, strerror(errno));
        return MTA_EXIT_IO;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        mta_set_error(r.err, MTA_EXIT_IO, "%s: cannot read: %s", path, strerror(errno));
        close(fd);
        return MTA_EXIT_IO;
    }
    if (!S_ISREG(st.st_mode) || lseek(fd, 0, SEEK_CUR) < 0) {
        int tfd = spool(&r, fd);
        close(fd);
        if (tfd < 0)
            return r.err->code;
        fd = tfd;
        if (fstat(fd, &st) < 0)
            st.st_size = 0;
    }
    if (st.st_size == 0) {
        close(fd);
        mta_set_error(r.err, MTA_EXIT_IO, "%s: empty file", path);
        return MTA_EXIT_IO;
    }
    if (js_init_fd(&r.src, fd, WINDOW)) {
        close(fd);
        mta_set_error(r.err, MTA_EXIT_INTERNAL, "%s: out of memory reading the file", path);
        return MTA_EXIT_INTERNAL;
    }
    int rc = read_stream(&r, sink);
    rc = finish(&r, rc);
    close(fd);
    return rc;
}

int mta_read_json_mem(const char *path, const char *buf, size_t len,
                      const struct mta_sink *sink, struct mta_error *err)
{
    struct jr r = { .file = path, .err = err };
    struct mta_error dummy;
    if (!err)
        r.err = &dummy;
    if (len == 0) {
        mta_set_error(r.err, MTA_EXIT_IO, "%s: empty file", path);
        return MTA_EXIT_IO;
    }
    js_init_mem(&r.src, buf, len);
    return finish(&r, read_stream(&r, sink));
}
