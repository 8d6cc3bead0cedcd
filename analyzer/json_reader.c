/* trace.json reader (docs/trace-json.md): loads the whole document with
 * jansson, checks every field, then feeds a sink exactly as the binary
 * reader does: info(), every module(), every stack(), every event() in time
 * order, done().
 *
 * Unlike the binary trace, which is read as a stream, trace.json is held in
 * memory whole; it is the interchange form, meant for traces of a size
 * people read and edit.
 *
 * The input is untrusted.  Everything is validated in a first pass that
 * calls nothing, so a sink never sees a prefix of a bad file: either the
 * whole trace arrives, or mta_read_json() fails with err naming the file,
 * the field ("events[12].size") and the problem, and nothing was called.
 * The second pass converts again and calls the sink; it cannot fail.
 * If event() returns non-zero, no further events are delivered, done() is
 * still called (as at the end of a trace cut short) and the result is 0. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "errors.h"
#include "json_export.h"
#include "trace.h"

#define MAX_TMP 4 /* hex-decoded strings alive at once (one event or module) */

struct jr {
    const char *file;
    struct mta_error *err;
    char *tmp[MAX_TMP]; /* hex-decoded text of the current item */
    int ntmp;
    char *keep[3];      /* hex-decoded process texts: live until the end */
    int nkeep;
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
    if (get_u64(r, p, P, "start_realtime_ns", 0, NUM_COUNT, &in->start_realtime_ns) ||
        get_u64(r, p, P, "duration_ns", 0, NUM_COUNT, &in->duration_ns) ||
        get_enum(r, p, P, "end_state", 0, MTA_JN_END_STATE, &in->end_state) ||
        get_int(r, p, P, "end_code", 0, INT32_MIN, INT32_MAX, &i))
        return -1;
    in->end_code = (int32_t)i;
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
                       uint64_t *frames, unsigned *n)
{
    *n = 0;
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

/* One pass over modules, stacks and events; calls the sink if `sink`. */
static int walk(struct jr *r, const json_t *modules, const json_t *stacks,
                const json_t *events, const struct mta_sink *sink)
{
    char pfx[48];
    size_t i;
    for (i = 0; i < json_array_size(modules); i++) {
        struct mta_module m;
        snprintf(pfx, sizeof pfx, "modules[%zu]", i);
        int rc = parse_module(r, json_array_get(modules, i), pfx, &m);
        if (rc == 0 && sink && sink->module)
            sink->module(sink->ctx, &m);
        free_tmp(r);
        if (rc)
            return -1;
    }
    uint64_t frames[MT_MAX_DEPTH];
    for (i = 0; i < json_array_size(stacks); i++) {
        uint64_t id;
        unsigned n;
        snprintf(pfx, sizeof pfx, "stacks[%zu]", i);
        if (parse_stack(r, json_array_get(stacks, i), pfx, &id, frames, &n))
            return -1;
        if (sink && sink->stack)
            sink->stack(sink->ctx, id, frames, n);
    }
    uint64_t prev = 0;
    for (i = 0; i < json_array_size(events); i++) {
        struct mta_event ev;
        snprintf(pfx, sizeof pfx, "events[%zu]", i);
        int rc = parse_event(r, json_array_get(events, i), pfx, &ev);
        if (rc == 0 && i > 0 && ev.ns < prev)
            rc = fail(r, pfx, "t",
                      "%" PRIu64 " is earlier than events[%zu].t (%" PRIu64 "); "
                      "events must be sorted by time", ev.ns, i - 1, prev);
        int stop = 0;
        if (rc == 0 && sink && sink->event)
            stop = sink->event(sink->ctx, &ev);
        free_tmp(r);
        if (rc)
            return -1;
        if (stop)
            break; /* the sink asked to stop: the rest is not delivered */
        prev = ev.ns;
    }
    return 0;
}

/* The whole file in memory.  NULL with err set on failure. */
static char *slurp(struct jr *r, const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        mta_set_error(r->err, MTA_EXIT_IO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            char *nb = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (!buf) {
        fclose(f);
        mta_set_error(r->err, MTA_EXIT_INTERNAL, "%s: out of memory reading the file", path);
        return NULL;
    }
    if (ferror(f)) {
        int e = errno;
        fclose(f);
        free(buf);
        mta_set_error(r->err, MTA_EXIT_IO, "%s: cannot read: %s", path, strerror(e));
        return NULL;
    }
    fclose(f);
    if (n == 0) {
        free(buf);
        mta_set_error(r->err, MTA_EXIT_IO, "%s: empty file", path);
        return NULL;
    }
    *len = n;
    return buf;
}

int mta_read_json(const char *path, const struct mta_sink *sink, struct mta_error *err)
{
    struct jr r = { .file = path, .err = err };
    struct mta_error dummy;
    if (!err)
        r.err = &dummy;
    size_t len;
    char *buf = slurp(&r, path, &len);
    if (!buf)
        return r.err->code;
    int rc = mta_read_json_mem(path, buf, len, sink, r.err);
    free(buf);
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
    json_error_t jerr;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (!root) {
#if JANSSON_VERSION_HEX >= 0x020b00
        if (json_error_code(&jerr) == json_error_out_of_memory) {
            mta_set_error(r.err, MTA_EXIT_INTERNAL, "%s: out of memory parsing the JSON", path);
            return MTA_EXIT_INTERNAL;
        }
#endif
        mta_set_error(r.err, MTA_EXIT_CORRUPT,
                      "%s: line %d, column %d (byte %d): invalid JSON: %s", path, jerr.line,
                      jerr.column, jerr.position, jerr.text);
        return MTA_EXIT_CORRUPT;
    }

    int rc = -1;
    struct mta_trace_info info;
    memset(&info, 0, sizeof info);
    const json_t *v, *modules, *stacks, *events;
    if (!json_is_object(root)) {
        fail(&r, NULL, NULL, "expected a JSON object at the top level, found %s",
             type_name(root));
        goto out;
    }
    v = json_object_get(root, "format");
    if (!v) {
        fail(&r, "format", NULL, "missing required field (not a trace.json file?)");
        goto out;
    }
    if (!json_is_string(v) || json_string_length(v) != strlen(MTA_JSON_FORMAT) ||
        strcmp(json_string_value(v), MTA_JSON_FORMAT) != 0) {
        char q[80];
        fail(&r, "format", NULL, "expected \"%s\", found %s%s%s", MTA_JSON_FORMAT,
             json_is_string(v) ? "\"" : "",
             json_is_string(v) ? quote(json_string_value(v), q, sizeof q) : type_name(v),
             json_is_string(v) ? "\"" : "");
        goto out;
    }
    v = json_object_get(root, "version");
    if (!v) {
        fail(&r, "version", NULL, "missing required field");
        goto out;
    }
    if (!json_is_integer(v)) {
        fail(&r, "version", NULL, "expected an integer, found %s", type_name(v));
        goto out;
    }
    if (json_integer_value(v) != MTA_JSON_VERSION) {
        fail(&r, "version", NULL,
             "unsupported version %" JSON_INTEGER_FORMAT " (this mtrace reads version %d)",
             json_integer_value(v), MTA_JSON_VERSION);
        goto out;
    }
    v = json_object_get(root, "process");
    if (!v) {
        fail(&r, "process", NULL, "missing required field");
        goto out;
    }
    if (parse_process(&r, v, &info))
        goto out;
    info.version = MTA_JSON_VERSION;
    info.file_bytes = len;

    modules = json_object_get(root, "modules");
    stacks = json_object_get(root, "stacks");
    events = json_object_get(root, "events");
    if (modules && !json_is_array(modules)) {
        fail(&r, "modules", NULL, "expected an array, found %s", type_name(modules));
        goto out;
    }
    if (stacks && !json_is_array(stacks)) {
        fail(&r, "stacks", NULL, "expected an array, found %s", type_name(stacks));
        goto out;
    }
    if (!events) {
        fail(&r, "events", NULL, "missing required field");
        goto out;
    }
    if (!json_is_array(events)) {
        fail(&r, "events", NULL, "expected an array, found %s", type_name(events));
        goto out;
    }

    if (walk(&r, modules, stacks, events, NULL)) /* validate everything first */
        goto out;
    if (sink && sink->info)
        sink->info(sink->ctx, &info);
    if (walk(&r, modules, stacks, events, sink)) { /* cannot fail: validated */
        rc = -1;
        goto out;
    }
    if (sink && sink->done)
        sink->done(sink->ctx, &info);
    rc = 0;
out:
    free_tmp(&r);
    for (int k = 0; k < r.nkeep; k++)
        free(r.keep[k]);
    json_decref(root);
    return rc == 0 ? 0 : r.err->code;
}
