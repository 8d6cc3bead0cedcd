/* trace.json writer: a sink that streams a trace out as JSON
 * (docs/trace-json.md).  Modules, stacks and events each go to their own
 * temporary file as they arrive; done() writes the document head and copies
 * the three sections after it.  Memory use does not depend on the trace.
 *
 * The JSON is written by hand rather than through jansson objects: every
 * event is a flat object, 64-bit values need care jansson's json_int_t
 * cannot give, and text that is not UTF-8 must be carried losslessly. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "json_export.h"

/* ---- names ------------------------------------------------------------ */

struct jname {
    unsigned value;
    const char *name;
};

#define N(v, s) { (unsigned)(v), s }
static const struct jname type_names[] = {
    N(MTA_EV_ALLOC, "alloc"), N(MTA_EV_FREE, "free"), N(MTA_EV_REALLOC, "realloc"),
    N(MTA_EV_BRK, "brk"), N(MTA_EV_MAP, "map"), N(MTA_EV_MAPS, "maps"),
    N(MTA_EV_SETTING, "setting"), { 0, NULL } };
static const struct jname fn_names[] = {
    N(MT_KIND_MALLOC, "malloc"), N(MT_KIND_CALLOC, "calloc"),
    N(MT_KIND_REALLOCARRAY, "reallocarray"), N(MT_KIND_POSIX_MEMALIGN, "posix_memalign"),
    N(MT_KIND_ALIGNED_ALLOC, "aligned_alloc"), N(MT_KIND_MEMALIGN, "memalign"),
    N(MT_KIND_VALLOC, "valloc"), N(MT_KIND_PVALLOC, "pvalloc"), { 0, NULL } };
static const struct jname source_names[] = {
    N(MT_SRC_UNKNOWN, "unknown"), N(MT_SRC_BRK, "brk"), N(MT_SRC_ARENA, "arena"),
    N(MT_SRC_MMAP, "mmap"), { 0, NULL } };
static const struct jname op_names[] = {
    N(MT_MAP_MMAP, "mmap"), N(MT_MAP_MUNMAP, "munmap"), N(MT_MAP_MREMAP, "mremap"),
    N(MT_MAP_MPROTECT, "mprotect"), N(MT_MAP_CHUNK_MMAP, "chunk_mmap"),
    N(MT_MAP_CHUNK_MUNMAP, "chunk_munmap"), N(MT_MAP_CHUNK_MREMAP, "chunk_mremap"),
    N(MT_MAP_ARENA_HEAP, "arena_heap"), { 0, NULL } };
static const struct jname cause_names[] = {
    N(MT_CAUSE_NONE, "none"), N(MT_CAUSE_MALLOC, "malloc"), N(MT_CAUSE_FREE, "free"),
    N(MT_CAUSE_REALLOC, "realloc"), N(MT_CAUSE_APP, "app"),
    N(MT_CAUSE_STARTUP, "startup"), { 0, NULL } };
static const struct jname reason_names[] = {
    N(MT_MAPS_START, "start"), N(MT_MAPS_EXIT, "exit"), N(MT_MAPS_DLOPEN, "dlopen"),
    N(MT_MAPS_DLCLOSE, "dlclose"), N(MT_MAPS_MAPPING, "mapping"),
    N(MT_MAPS_SMAPS_EXIT, "smaps_exit"), N(MT_MAPS_WINDOW_ON, "window_on"),
    N(MT_MAPS_WINDOW_OFF, "window_off"), { 0, NULL } };
static const struct jname end_names[] = {
    N(MT_END_RUNNING, "running"), N(MT_END_EXIT, "exit"), N(MT_END_EXEC, "exec"),
    N(MT_END_ABORT, "abort"), N(MT_END_UNDERSCORE_EXIT, "_exit"),
    N(MT_END_SIGNAL, "signal"), N(MT_END_DETACHED, "detached"), { 0, NULL } };
static const struct jname stop_names[] = {
    N(MT_STOP_NONE, "none"), N(MT_STOP_MAX_SIZE, "max_size"), N(MT_STOP_NO_SPACE, "no_space"),
    N(MT_STOP_FD_LOST, "fd_lost"), N(MT_STOP_SECCOMP, "seccomp"),
    N(MT_STOP_IO_ERROR, "io_error"), { 0, NULL } };
/* mallopt() parameters as <malloc.h> numbers them (glibc). */
static const struct jname param_names[] = {
    N(1, "M_MXFAST"), N(2, "M_NLBLKS"), N(3, "M_GRAIN"), N(4, "M_KEEP"),
    N(-1, "M_TRIM_THRESHOLD"), N(-2, "M_TOP_PAD"), N(-3, "M_MMAP_THRESHOLD"),
    N(-4, "M_MMAP_MAX"), N(-5, "M_CHECK_ACTION"), N(-6, "M_PERTURB"),
    N(-7, "M_ARENA_TEST"), N(-8, "M_ARENA_MAX"), { 0, NULL } };
#undef N

static const struct {
    const struct jname *names;
    const char *list;
} tables[MTA_JN_COUNT] = {
    [MTA_JN_TYPE] = { type_names, "alloc, free, realloc, brk, map, maps, setting" },
    [MTA_JN_FN] = { fn_names, "malloc, calloc, reallocarray, posix_memalign, "
                              "aligned_alloc, memalign, valloc, pvalloc" },
    [MTA_JN_SOURCE] = { source_names, "unknown, brk, arena, mmap" },
    [MTA_JN_OP] = { op_names, "mmap, munmap, mremap, mprotect, chunk_mmap, "
                              "chunk_munmap, chunk_mremap, arena_heap" },
    [MTA_JN_CAUSE] = { cause_names, "none, malloc, free, realloc, app, startup" },
    [MTA_JN_REASON] = { reason_names, "start, exit, dlopen, dlclose, mapping, smaps_exit" },
    [MTA_JN_END_STATE] = { end_names, "running, exit, exec, abort, _exit, signal" },
    [MTA_JN_STOP] = { stop_names, "none, max_size, no_space, fd_lost, seccomp, io_error" },
    [MTA_JN_PARAM] = { param_names, "M_MXFAST, M_NLBLKS, M_GRAIN, M_KEEP, "
                                    "M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD, "
                                    "M_MMAP_MAX, M_CHECK_ACTION, M_PERTURB, "
                                    "M_ARENA_TEST, M_ARENA_MAX, or a number" },
};

const char *mta_json_name(enum mta_json_names table, unsigned value)
{
    if ((unsigned)table >= MTA_JN_COUNT)
        return NULL;
    for (const struct jname *n = tables[table].names; n->name; n++)
        if (n->value == value)
            return n->name;
    return NULL;
}

int mta_json_lookup(enum mta_json_names table, const char *name, unsigned *value)
{
    if ((unsigned)table >= MTA_JN_COUNT || !name)
        return -1;
    for (const struct jname *n = tables[table].names; n->name; n++)
        if (strcmp(n->name, name) == 0) {
            *value = n->value;
            return 0;
        }
    return -1;
}

const char *mta_json_names_list(enum mta_json_names table)
{
    return (unsigned)table < MTA_JN_COUNT ? tables[table].list : "";
}

/* ---- low-level writers -------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid.
 * As strict as jansson's decoder: no overlong forms, no surrogates, nothing
 * above U+10FFFF, so whatever passes here jansson reads back. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0;
    if (c < 0xE0) {
        len = 2;
        cp = c & 0x1F;
    } else if (c < 0xF0) {
        len = 3;
        cp = c & 0x0F;
    } else if (c < 0xF5) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

static int utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    while (n) {
        size_t l = utf8_seq(p, n);
        if (!l)
            return 0;
        p += l;
        n -= l;
    }
    return 1;
}

static void put_hex_bytes(FILE *f, const void *data, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        putc(digits[p[i] >> 4], f);
        putc(digits[p[i] & 15], f);
    }
}

/* Text as a JSON string; bytes that are not UTF-8 as {"hex":"..."}. */
static void put_text(FILE *f, const char *s, size_t n)
{
    if (!s)
        n = 0;
    if (n && !utf8_valid(s, n)) {
        fputs("{\"hex\":\"", f);
        put_hex_bytes(f, s, n);
        fputs("\"}", f);
        return;
    }
    putc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\t': fputs("\\t", f); break;
        case '\r': fputs("\\r", f); break;
        case '\b': fputs("\\b", f); break;
        case '\f': fputs("\\f", f); break;
        default:
            if (c < 0x20)
                fprintf(f, "\\u%04x", c);
            else
                putc(c, f);
        }
    }
    putc('"', f);
}

static void put_cstr(FILE *f, const char *s)
{
    put_text(f, s, s ? strlen(s) : 0);
}

static void put_addr(FILE *f, uint64_t v)
{
    fprintf(f, "\"0x%" PRIx64 "\"", v);
}

/* A count or size: a JSON integer, or beyond what JSON readers hold in a
 * signed 64-bit integer (no real trace gets there), a hex string. */
static void put_u64(FILE *f, uint64_t v)
{
    if (v <= (uint64_t)INT64_MAX)
        fprintf(f, "%" PRIu64, v);
    else
        put_addr(f, v);
}

/* An enum code: its name, or the bare number if this version has none. */
static void put_name(FILE *f, enum mta_json_names table, unsigned v)
{
    const char *s = mta_json_name(table, v);
    if (s)
        fprintf(f, "\"%s\"", s);
    else
        fprintf(f, "%u", v);
}

/* ---- the sink ----------------------------------------------------------- */

struct mta_json_export {
    FILE *out;
    FILE *modules, *stacks, *events; /* temporary files, one per section */
    uint64_t n_modules, n_stacks, n_events;
    uint64_t last_ns;
    int done;
    int code;                        /* first error, 0 if none */
    char msg[400];
};

static void fail(struct mta_json_export *x, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct mta_json_export *x, int code, const char *fmt, ...)
{
    if (x->code)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->msg, sizeof x->msg, fmt, ap);
    va_end(ap);
    x->code = code;
}

static int check_tmp(struct mta_json_export *x, FILE *f)
{
    if (ferror(f)) {
        fail(x, MTA_EXIT_IO, "cannot write a temporary file: %s",
             strerror(errno ? errno : EIO));
        return -1;
    }
    return 0;
}

/* Starts the next element of a section: the separator goes before every
 * element but the first, so the section can be copied between brackets. */
static void next_elem(FILE *f, uint64_t *count)
{
    fputs(*count ? ",\n    " : "    ", f);
    (*count)++;
}

static void x_info(void *ctx, const struct mta_trace_info *info)
{
    (void)ctx;
    (void)info; /* the document takes the final info from done() */
}

static void x_module(void *ctx, const struct mta_module *m)
{
    struct mta_json_export *x = ctx;
    if (x->code || x->done)
        return;
    FILE *f = x->modules;
    next_elem(f, &x->n_modules);
    if (m->path) { /* absent, not "", when the reader had no path */
        fputs("{\"path\":", f);
        put_cstr(f, m->path);
        fputs(",\"start\":", f);
    } else {
        fputs("{\"start\":", f);
    }
    put_addr(f, m->start);
    fputs(",\"end\":", f);
    put_addr(f, m->end);
    fputs(",\"bias\":", f);
    put_addr(f, m->bias);
    fputs(",\"build_id\":\"", f);
    unsigned idlen = m->build_id_len;
    if (idlen > sizeof m->build_id)
        idlen = sizeof m->build_id;
    put_hex_bytes(f, m->build_id, idlen);
    fputs("\"}", f);
    check_tmp(x, f);
}

static void x_stack(void *ctx, uint64_t id, const uint64_t *frames, unsigned n)
{
    struct mta_json_export *x = ctx;
    if (x->code || x->done)
        return;
    FILE *f = x->stacks;
    next_elem(f, &x->n_stacks);
    fputs("{\"id\":", f);
    put_u64(f, id);
    fputs(",\"frames\":[", f);
    for (unsigned i = 0; i < n; i++) {
        if (i)
            putc(',', f);
        put_addr(f, frames[i]);
    }
    fputs("]}", f);
    check_tmp(x, f);
}

/* The stack just written was cut at the depth limit: "cut": true. */
static void x_stack_cut(void *ctx, uint64_t id)
{
    struct mta_json_export *x = ctx;
    (void)id;
    if (x->code || x->done || !x->n_stacks)
        return;
    FILE *f = x->stacks;
    if (fseek(f, -1, SEEK_CUR) == 0) /* back over the closing '}' */
        fputs(",\"cut\":true}", f);
    check_tmp(x, f);
}

static int x_event(void *ctx, const struct mta_event *ev)
{
    struct mta_json_export *x = ctx;
    if (x->code || x->done)
        return 1;
    if (ev->type == MTA_EV_SCAN)
        return 0; /* trace.json does not carry the scan at exit (yet) */
    const char *type = mta_json_name(MTA_JN_TYPE, (unsigned)ev->type);
    if (!type) {
        fail(x, MTA_EXIT_INTERNAL, "event %" PRIu64 ": unknown event type %u",
             x->n_events, (unsigned)ev->type);
        return 1;
    }
    if (x->n_events && ev->ns < x->last_ns) {
        fail(x, MTA_EXIT_CORRUPT,
             "event %" PRIu64 ": time %" PRIu64 " ns is earlier than the previous "
             "event's %" PRIu64 " ns; trace.json needs events in time order",
             x->n_events, ev->ns, x->last_ns);
        return 1;
    }
    x->last_ns = ev->ns;
    FILE *f = x->events;
    next_elem(f, &x->n_events);
    fprintf(f, "{\"t\":");
    put_u64(f, ev->ns);
    fprintf(f, ",\"tid\":%" PRIu32 ",\"type\":\"%s\"", ev->tid, type);
    switch (ev->type) {
    case MTA_EV_ALLOC:
        fputs(",\"fn\":", f);
        put_name(f, MTA_JN_FN, ev->kind);
        fputs(",\"ptr\":", f);
        put_addr(f, ev->ptr);
        fputs(",\"size\":", f);
        put_u64(f, ev->size);
        fputs(",\"source\":", f);
        put_name(f, MTA_JN_SOURCE, ev->source);
        fputs(",\"stack\":", f);
        put_u64(f, ev->stack);
        break;
    case MTA_EV_FREE:
        fputs(",\"ptr\":", f);
        put_addr(f, ev->ptr);
        break;
    case MTA_EV_REALLOC:
        if (ev->kind) { /* realloc's own kind is 0; reallocarray is noted */
            fputs(",\"fn\":", f);
            put_name(f, MTA_JN_FN, ev->kind);
        }
        fputs(",\"old\":", f);
        put_addr(f, ev->old_ptr);
        fputs(",\"ptr\":", f);
        put_addr(f, ev->ptr);
        fputs(",\"size\":", f);
        put_u64(f, ev->size);
        fputs(",\"source\":", f);
        put_name(f, MTA_JN_SOURCE, ev->source);
        fputs(",\"stack\":", f);
        put_u64(f, ev->stack);
        break;
    case MTA_EV_BRK:
        fputs(",\"old\":", f);
        put_addr(f, ev->addr);
        fputs(",\"new\":", f);
        put_addr(f, ev->naddr);
        fputs(",\"cause\":", f);
        put_name(f, MTA_JN_CAUSE, ev->cause);
        fputs(",\"stack\":", f);
        put_u64(f, ev->stack);
        break;
    case MTA_EV_MAP:
        fputs(",\"op\":", f);
        put_name(f, MTA_JN_OP, ev->op);
        fputs(",\"addr\":", f);
        put_addr(f, ev->addr);
        fputs(",\"len\":", f);
        put_u64(f, ev->len);
        fputs(",\"new_addr\":", f);
        put_addr(f, ev->naddr);
        fputs(",\"new_len\":", f);
        put_u64(f, ev->nlen);
        fputs(",\"prot\":", f);
        put_u64(f, ev->prot);
        fputs(",\"flags\":", f);
        put_u64(f, ev->flags);
        fputs(",\"cause\":", f);
        put_name(f, MTA_JN_CAUSE, ev->cause);
        fputs(",\"stack\":", f);
        put_u64(f, ev->stack);
        fputs(",\"path\":", f);
        put_text(f, ev->text, ev->text_len);
        break;
    case MTA_EV_MAPS:
        fputs(",\"reason\":", f);
        put_name(f, MTA_JN_REASON, ev->reason);
        fputs(",\"text\":", f);
        put_text(f, ev->text, ev->text_len);
        break;
    case MTA_EV_SETTING: {
        fputs(",\"param\":", f);
        const char *p = mta_json_name(MTA_JN_PARAM, ev->kind);
        if (p)
            fprintf(f, "\"%s\"", p);
        else
            fprintf(f, "%d", (int)ev->kind); /* mallopt params are ints */
        fprintf(f, ",\"value\":%" PRId64, (int64_t)ev->size);
        break;
    }
    case MTA_EV_SCAN:
        break; /* skipped above */
    }
    putc('}', f);
    return check_tmp(x, f) ? 1 : 0;
}

/* Appends the temporary file `tmp` to out as the array `name`. */
static void copy_section(struct mta_json_export *x, const char *name, FILE *tmp,
                         uint64_t count, int last)
{
    FILE *out = x->out;
    fprintf(out, "  \"%s\": [", name);
    if (count) {
        if (fflush(tmp) != 0 || fseek(tmp, 0, SEEK_SET) != 0) {
            fail(x, MTA_EXIT_IO, "cannot read back a temporary file: %s", strerror(errno));
            return;
        }
        putc('\n', out);
        char buf[65536];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, tmp)) > 0)
            if (fwrite(buf, 1, n, out) != n)
                break;
        if (ferror(tmp)) {
            fail(x, MTA_EXIT_IO, "cannot read back a temporary file: %s", strerror(errno));
            return;
        }
        fputs("\n  ", out);
    }
    fputs(last ? "]\n" : "],\n", out);
}

static void x_done(void *ctx, const struct mta_trace_info *info)
{
    struct mta_json_export *x = ctx;
    if (x->code || x->done)
        return;
    x->done = 1;
    FILE *o = x->out;
    errno = 0;
    fprintf(o, "{\n  \"format\": \"%s\",\n  \"version\": %d,\n", MTA_JSON_FORMAT,
            MTA_JSON_VERSION);
    fputs("  \"process\": {\n    \"pid\": ", o);
    put_u64(o, info->pid);
    fputs(",\n    \"ppid\": ", o);
    put_u64(o, info->ppid);
    if (info->cmdline) { /* absent when unknown, "" when empty */
        fputs(",\n    \"cmdline\": ", o);
        put_cstr(o, info->cmdline);
    }
    if (info->exe) { /* absent when unknown, "" when empty */
        fputs(",\n    \"exe\": ", o);
        put_cstr(o, info->exe);
    }
    fputs(",\n    \"start_realtime_ns\": ", o);
    put_u64(o, info->start_realtime_ns);
    fputs(",\n    \"duration_ns\": ", o);
    put_u64(o, info->duration_ns);
    if (info->flags & MT_HDR_ATTACHED)
        fputs(",\n    \"attached\": true", o);
    if (info->flags & MT_HDR_DORMANT)
        fputs(",\n    \"dormant\": true", o);
    fputs(",\n    \"end_state\": ", o);
    put_name(o, MTA_JN_END_STATE, info->end_state);
    fprintf(o, ",\n    \"end_code\": %" PRId32, info->end_code);
    fputs(",\n    \"lost_events\": ", o);
    put_u64(o, info->lost_events);
    fputs(",\n    \"stop_reason\": ", o);
    put_name(o, MTA_JN_STOP, info->stop_reason);
    fprintf(o, ",\n    \"stop_errno\": %" PRId32, info->stop_errno);
    fputs(",\n    \"stop_bytes\": ", o);
    put_u64(o, info->stop_bytes);
    fputs(",\n    \"self_allocs\": ", o);
    put_u64(o, info->self_allocs);
    fprintf(o, ",\n    \"depth\": %" PRIu32, info->depth);
    fputs(",\n    \"initial_brk\": ", o);
    put_addr(o, info->initial_brk);
    if (info->tunables) { /* absent when unknown, "" when empty */
        fputs(",\n    \"tunables\": ", o);
        put_cstr(o, info->tunables);
    }
    if (info->foreign_allocator) {
        fputs(",\n    \"foreign_allocator\": ", o);
        put_cstr(o, info->foreign_allocator);
    }
    if (info->suppressions) {
        fputs(",\n    \"lsan_default_suppressions\": ", o);
        put_cstr(o, info->suppressions);
    }
    if (info->own_memory) {
        fputs(",\n    \"own_memory\": ", o);
        put_cstr(o, info->own_memory);
    }
    fputs(",\n    \"ring_bytes\": ", o);
    put_u64(o, info->ring_bytes);
    fputs(",\n    \"window_start_ns\": ", o);
    put_u64(o, info->window_start_ns);
    fprintf(o, ",\n    \"coarse_allocation_times\": %s",
            info->flags & MT_HDR_COARSE_TICKS ? "true" : "false");
    fprintf(o, ",\n    \"truncated\": %s\n  },\n", info->truncated ? "true" : "false");
    copy_section(x, "modules", x->modules, x->n_modules, 0);
    copy_section(x, "stacks", x->stacks, x->n_stacks, 0);
    copy_section(x, "events", x->events, x->n_events, 1);
    fputs("}\n", o);
    if (ferror(o))
        fail(x, MTA_EXIT_IO, "cannot write the JSON output: %s", strerror(errno ? errno : EIO));
}

struct mta_json_export *mta_json_export_new(FILE *out)
{
    struct mta_json_export *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->out = out;
    x->modules = tmpfile();
    x->stacks = x->modules ? tmpfile() : NULL;
    x->events = x->stacks ? tmpfile() : NULL;
    if (!x->events) {
        int e = errno;
        mta_json_export_free(x);
        errno = e;
        return NULL;
    }
    return x;
}

void mta_json_export_sink(struct mta_json_export *x, struct mta_sink *sink)
{
    memset(sink, 0, sizeof *sink);
    sink->ctx = x;
    sink->info = x_info;
    sink->module = x_module;
    sink->stack = x_stack;
    sink->stack_cut = x_stack_cut;
    sink->event = x_event;
    sink->done = x_done;
}

void mta_json_export_free(struct mta_json_export *x)
{
    if (!x)
        return;
    if (x->modules)
        fclose(x->modules);
    if (x->stacks)
        fclose(x->stacks);
    if (x->events)
        fclose(x->events);
    free(x);
}

int mta_json_export_finish(struct mta_json_export *x, struct mta_error *err)
{
    int code = 0;
    if (!x) {
        mta_set_error(err, MTA_EXIT_INTERNAL, "JSON export: no exporter");
        return MTA_EXIT_INTERNAL;
    }
    if (x->code) {
        code = x->code;
        mta_set_error(err, code, "JSON export: %s", x->msg);
    } else if (!x->done) {
        code = MTA_EXIT_INTERNAL;
        mta_set_error(err, code, "JSON export: the trace was not read to its end");
    } else {
        errno = 0;
        if (fflush(x->out) != 0 || ferror(x->out)) {
            code = MTA_EXIT_IO;
            mta_set_error(err, code, "JSON export: cannot write the output: %s",
                          strerror(errno ? errno : EIO));
        }
    }
    mta_json_export_free(x);
    return code;
}
