/* trace.json: export (json_export.c) and import (json_reader.c).
 *
 * Round trip: a hand-built sequence of sink calls goes through the exporter
 * and back through mta_read_json(), and must come out as the same calls.
 * Fixtures (tests/fixtures/json, see its README.md): one valid trace and
 * invalid ones, each failing with the right exit code and the field path.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "errors.h"
#include "json_export.h"
#include "trace.h"

#ifndef MTA_FIXTURE_DIR
#error "define MTA_FIXTURE_DIR as the path of tests/fixtures/json"
#endif

/* ---- a sink that records every call, with deep copies ------------------ */

enum call_kind { C_INFO, C_MODULE, C_STACK, C_EVENT, C_DONE };

struct call {
    enum call_kind kind;
    struct mta_trace_info info;
    struct mta_module module;
    uint64_t id;
    uint64_t frames[MT_MAX_DEPTH];
    unsigned n;
    struct mta_event ev;
};

struct rec {
    struct call *calls;
    size_t n, cap;
    int stop_after; /* event() returns 1 after this many events (0: never) */
    size_t events;
};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static struct call *rec_push(struct rec *r, enum call_kind k)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 16;
        r->calls = realloc(r->calls, r->cap * sizeof *r->calls);
        cr_assert_not_null(r->calls);
    }
    struct call *c = &r->calls[r->n++];
    memset(c, 0, sizeof *c);
    c->kind = k;
    return c;
}

static void copy_info(struct mta_trace_info *dst, const struct mta_trace_info *src)
{
    *dst = *src;
    dst->cmdline = dup_or_null(src->cmdline);
    dst->exe = dup_or_null(src->exe);
    dst->tunables = dup_or_null(src->tunables);
}

static void r_info(void *ctx, const struct mta_trace_info *info)
{
    copy_info(&rec_push(ctx, C_INFO)->info, info);
}

static void r_done(void *ctx, const struct mta_trace_info *info)
{
    copy_info(&rec_push(ctx, C_DONE)->info, info);
}

static void r_module(void *ctx, const struct mta_module *m)
{
    struct call *c = rec_push(ctx, C_MODULE);
    c->module = *m;
    c->module.path = dup_or_null(m->path);
}

static void r_stack(void *ctx, uint64_t id, const uint64_t *frames, unsigned n)
{
    struct call *c = rec_push(ctx, C_STACK);
    cr_assert_leq(n, MT_MAX_DEPTH);
    c->id = id;
    c->n = n;
    if (n)
        memcpy(c->frames, frames, n * sizeof *frames);
}

static int r_event(void *ctx, const struct mta_event *ev)
{
    struct rec *r = ctx;
    struct call *c = rec_push(r, C_EVENT);
    c->ev = *ev;
    if (ev->text) {
        char *t = malloc(ev->text_len + 1);
        memcpy(t, ev->text, ev->text_len);
        t[ev->text_len] = '\0';
        c->ev.text = t;
    }
    r->events++;
    return r->stop_after && r->events >= (size_t)r->stop_after;
}

static struct mta_sink rec_sink(struct rec *r)
{
    struct mta_sink s = { .ctx = r, .info = r_info, .stack = r_stack, .module = r_module,
                          .event = r_event, .done = r_done };
    return s;
}

static void rec_free(struct rec *r)
{
    for (size_t i = 0; i < r->n; i++) {
        struct call *c = &r->calls[i];
        free(c->info.cmdline);
        free(c->info.exe);
        free(c->info.tunables);
        free(c->module.path);
        free((char *)c->ev.text);
    }
    free(r->calls);
    memset(r, 0, sizeof *r);
}

/* ---- comparisons --------------------------------------------------------- */

static void expect_str(const char *what, const char *a, const char *b)
{
    if (!a || !b)
        cr_expect(a == b, "%s: %s vs %s", what, a ? a : "(null)", b ? b : "(null)");
    else
        cr_expect_str_eq(a, b, "%s", what);
}

static void expect_info(const struct mta_trace_info *a, const struct mta_trace_info *b)
{
    cr_expect_eq(a->pid, b->pid);
    cr_expect_eq(a->ppid, b->ppid);
    cr_expect_eq(a->start_realtime_ns, b->start_realtime_ns);
    cr_expect_eq(a->duration_ns, b->duration_ns);
    cr_expect_eq(a->end_state, b->end_state);
    cr_expect_eq(a->end_code, b->end_code);
    cr_expect_eq(a->lost_events, b->lost_events);
    cr_expect_eq(a->depth, b->depth);
    cr_expect_eq(a->initial_brk, b->initial_brk);
    cr_expect_eq(a->ring_bytes, b->ring_bytes);
    cr_expect_eq(!!a->truncated, !!b->truncated);
    expect_str("cmdline", a->cmdline, b->cmdline);
    expect_str("exe", a->exe, b->exe);
    expect_str("tunables", a->tunables, b->tunables);
}

static void expect_event(size_t i, const struct mta_event *a, const struct mta_event *b)
{
    cr_expect_eq(a->type, b->type, "event %zu type", i);
    cr_expect_eq(a->tid, b->tid, "event %zu tid", i);
    cr_expect_eq(a->ns, b->ns, "event %zu ns", i);
    cr_expect_eq(a->kind, b->kind, "event %zu kind", i);
    cr_expect_eq(a->source, b->source, "event %zu source", i);
    cr_expect_eq(a->op, b->op, "event %zu op", i);
    cr_expect_eq(a->cause, b->cause, "event %zu cause", i);
    cr_expect_eq(a->reason, b->reason, "event %zu reason", i);
    cr_expect_eq(a->ptr, b->ptr, "event %zu ptr", i);
    cr_expect_eq(a->old_ptr, b->old_ptr, "event %zu old_ptr", i);
    cr_expect_eq(a->size, b->size, "event %zu size", i);
    cr_expect_eq(a->addr, b->addr, "event %zu addr", i);
    cr_expect_eq(a->len, b->len, "event %zu len", i);
    cr_expect_eq(a->naddr, b->naddr, "event %zu naddr", i);
    cr_expect_eq(a->nlen, b->nlen, "event %zu nlen", i);
    cr_expect_eq(a->prot, b->prot, "event %zu prot", i);
    cr_expect_eq(a->flags, b->flags, "event %zu flags", i);
    cr_expect_eq(a->stack, b->stack, "event %zu stack", i);
    cr_expect_eq(a->text_len, b->text_len, "event %zu text_len", i);
    if (a->text_len == b->text_len && a->text_len)
        cr_expect(memcmp(a->text, b->text, a->text_len) == 0, "event %zu text", i);
}

static void expect_call(size_t i, const struct call *a, const struct call *b)
{
    cr_assert_eq(a->kind, b->kind, "call %zu: kind %d vs %d", i, a->kind, b->kind);
    switch (a->kind) {
    case C_INFO:
    case C_DONE:
        expect_info(&a->info, &b->info);
        break;
    case C_MODULE:
        cr_expect_eq(a->module.start, b->module.start);
        cr_expect_eq(a->module.end, b->module.end);
        cr_expect_eq(a->module.bias, b->module.bias);
        cr_expect_eq(a->module.build_id_len, b->module.build_id_len);
        cr_expect(memcmp(a->module.build_id, b->module.build_id, a->module.build_id_len) == 0);
        expect_str("module path", a->module.path, b->module.path);
        break;
    case C_STACK:
        cr_expect_eq(a->id, b->id, "call %zu stack id", i);
        cr_expect_eq(a->n, b->n, "call %zu stack depth", i);
        cr_expect(memcmp(a->frames, b->frames, a->n * sizeof a->frames[0]) == 0);
        break;
    case C_EVENT:
        expect_event(i, &a->ev, &b->ev);
        break;
    }
}

/* ---- helpers ------------------------------------------------------------- */

static char *tmp_path(void)
{
    char *p = strdup("/tmp/mtrace-json-test-XXXXXX");
    int fd = mkstemp(p);
    cr_assert_geq(fd, 0);
    close(fd);
    return p;
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Plays the recorded calls into a sink, in order. */
static void replay(const struct rec *r, const struct mta_sink *s)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct call *c = &r->calls[i];
        switch (c->kind) {
        case C_INFO: s->info(s->ctx, &c->info); break;
        case C_MODULE: s->module(s->ctx, &c->module); break;
        case C_STACK: s->stack(s->ctx, c->id, c->frames, c->n); break;
        case C_EVENT: s->event(s->ctx, &c->ev); break;
        case C_DONE: s->done(s->ctx, &c->info); break;
        }
    }
}

/* Exports the calls of `in` into a memory stream; returns the JSON text. */
static char *export_to_memory(const struct rec *in, size_t *len)
{
    char *text = NULL;
    FILE *mem = open_memstream(&text, len);
    cr_assert_not_null(mem);
    struct mta_json_export *x = mta_json_export_new(mem);
    cr_assert_not_null(x);
    struct mta_sink sink;
    mta_json_export_sink(x, &sink);
    replay(in, &sink);
    struct mta_error err = { .code = 0 };
    int rc = mta_json_export_finish(x, &err);
    cr_assert_eq(rc, 0, "export: %s", err.msg);
    cr_assert_eq(fclose(mem), 0);
    return text;
}

/* ---- the hand-built trace for the round trip ----------------------------- */

static struct mta_event ev_of(enum mta_ev_type type, uint64_t ns, uint32_t tid)
{
    struct mta_event e;
    memset(&e, 0, sizeof e);
    e.type = type;
    e.ns = ns;
    e.tid = tid;
    return e;
}

static char big_text[200000];

/* Builds a call sequence covering every event type and the edge values;
 * stacks and modules arrive interleaved with events, as they may from the
 * binary reader.  `expected` gets the order mta_read_json() delivers:
 * info, modules, stacks, events, done. */
static void build(struct rec *in, struct rec *expected)
{
    struct mta_trace_info early = { .version = 1, .pid = 4242, .ppid = 1, .depth = 64 };
    struct mta_trace_info final = {
        .version = 1, .pid = 4242, .ppid = 1, .start_realtime_ns = 1732420000123456789ull,
        .duration_ns = 987654321, .end_state = MT_END_SIGNAL, .end_code = -11,
        .lost_events = 3, .depth = 64, .initial_brk = 0x55d0c0a00000ull,
        .cmdline = "./app --name \"quoted\" caf\xc3\xa9 \xe2\x82\xac",
        .exe = "/opt/\xff\xfe/app", /* not UTF-8: carried as hex */
        .tunables = "M_MMAP_THRESHOLD=131072\nM_ARENA_MAX=2\n", .truncated = 1,
        .ring_bytes = 1ull << 26,
    };
    struct mta_module mods[3];
    memset(mods, 0, sizeof mods);
    mods[0].start = 0x55d0bf400000ull;
    mods[0].end = 0x55d0bf405000ull;
    mods[0].bias = 0x55d0bf400000ull;
    mods[0].build_id_len = 20;
    for (unsigned i = 0; i < 20; i++)
        mods[0].build_id[i] = (uint8_t)(i * 13 + 1);
    mods[0].path = "/usr/local/bin/app";
    mods[1].start = 0xfffffffffffff000ull;
    mods[1].end = UINT64_MAX;
    mods[1].bias = 0;
    mods[1].build_id_len = 64;
    memset(mods[1].build_id, 0xab, 64);
    mods[1].path = "/lib/\x80weird \"lib\"\\.so"; /* not UTF-8 */
    mods[2].start = 0x1000;
    mods[2].end = 0x2000;
    mods[2].path = NULL; /* no path known */

    static uint64_t deep[MT_MAX_DEPTH];
    for (unsigned i = 0; i < MT_MAX_DEPTH; i++)
        deep[i] = 0x7f0000000000ull + i * 0x10;
    deep[0] = UINT64_MAX;
    uint64_t three[3] = { 0x55d0bf401300ull, 0x55d0bf401456ull, 0x7f2a1c029d90ull };

    struct mta_event evs[40];
    unsigned ne = 0;
    uint64_t t = 0;
    for (unsigned k = 0; k < MT_KIND_COUNT; k++) {
        struct mta_event e = ev_of(MTA_EV_ALLOC, t += 100, 4242);
        e.kind = k;
        e.ptr = 0x55d0c0a00010ull + k * 0x40;
        e.size = k * 17;
        e.source = k % 4;
        e.stack = k % 3;
        evs[ne++] = e;
    }
    struct mta_event e = ev_of(MTA_EV_ALLOC, t, UINT32_MAX); /* same t: allowed */
    e.ptr = UINT64_MAX;
    e.size = UINT64_MAX; /* above INT64_MAX: written as a hex string */
    e.stack = UINT64_MAX;
    e.source = MT_SRC_MMAP;
    evs[ne++] = e;
    e = ev_of(MTA_EV_FREE, t += 5, 4243);
    e.ptr = 0x55d0c0a00010ull;
    evs[ne++] = e;
    e = ev_of(MTA_EV_FREE, t += 5, 4243);
    e.ptr = 0; /* free(NULL) */
    evs[ne++] = e;
    e = ev_of(MTA_EV_REALLOC, t += 5, 4242);
    e.old_ptr = 0x55d0c0a00050ull;
    e.ptr = 0x7f2a10000010ull;
    e.size = 1 << 20;
    e.source = MT_SRC_ARENA;
    e.stack = 2;
    evs[ne++] = e;
    e = ev_of(MTA_EV_REALLOC, t += 5, 4242);
    e.kind = MT_KIND_REALLOCARRAY;
    e.old_ptr = 0x7f2a10000010ull;
    e.ptr = 0; /* realloc(p, 0) freed it */
    evs[ne++] = e;
    e = ev_of(MTA_EV_BRK, t += 5, 4242);
    e.addr = 0x55d0c0a21000ull;
    e.naddr = 0x55d0c0a42000ull;
    e.cause = MT_CAUSE_MALLOC;
    e.stack = 1;
    evs[ne++] = e;
    e = ev_of(MTA_EV_BRK, t += 5, 4242);
    e.addr = 0x55d0c0a42000ull;
    e.naddr = 0x55d0c0a21000ull;
    e.cause = 77; /* no name in this version: written as a number */
    evs[ne++] = e;
    for (unsigned op = 1; op <= 9; op++) {
        e = ev_of(MTA_EV_MAP, t += 5, 4244);
        e.op = op; /* 9: no name */
        e.addr = 0x7f2a00000000ull + op * 0x100000;
        e.len = op * 4096;
        e.naddr = op == MT_MAP_MREMAP ? 0x7f2b00000000ull : 0;
        e.nlen = op == MT_MAP_MREMAP ? 8192 : 0;
        e.prot = 3;
        e.flags = 0x22;
        e.cause = op % 6;
        e.stack = op;
        static const char *paths[] = { "", "/dev/zero", "/tmp/a \"b\"\n\\c",
                                       "/tmp/\xc3\x28", "caf\xc3\xa9" };
        e.text = paths[op % 5];
        e.text_len = strlen(e.text);
        evs[ne++] = e;
    }
    e = ev_of(MTA_EV_MAPS, t += 5, 4242);
    e.reason = MT_MAPS_START;
    static const char maps[] = "55d0bf400000-55d0bf405000 r-xp 00000000 08:01 12 /bin/app\n"
                               "ctl:\x01\x1f\x7f tab:\t nul:\0 end\n";
    e.text = maps;
    e.text_len = sizeof maps - 1; /* includes a NUL byte */
    evs[ne++] = e;
    e = ev_of(MTA_EV_MAPS, t += 5, 4242);
    e.reason = MT_MAPS_SMAPS_EXIT;
    for (size_t i = 0; i < sizeof big_text; i++)
        big_text[i] = (char)(' ' + i % 90);
    e.text = big_text;
    e.text_len = sizeof big_text;
    evs[ne++] = e;
    e = ev_of(MTA_EV_SETTING, t += 5, 4242);
    e.kind = (unsigned)-3; /* M_MMAP_THRESHOLD */
    e.size = 65536;
    evs[ne++] = e;
    e = ev_of(MTA_EV_SETTING, t += 5, 4242);
    e.kind = (unsigned)-16; /* no name: written as -16 */
    e.size = (uint64_t)(int64_t)-1;
    evs[ne++] = e;
    e = ev_of(MTA_EV_SETTING, t += 5, 4242);
    e.kind = 42;
    e.size = (uint64_t)INT64_MIN;
    evs[ne++] = e;
    cr_assert_leq(ne, sizeof evs / sizeof evs[0]);

    /* the input order: interleaved */
    struct rec *r = in;
    struct mta_sink s = rec_sink(r);
    s.info(r, &early);
    s.module(r, &mods[0]);
    s.stack(r, 1, three, 3);
    for (unsigned i = 0; i < ne; i++) {
        if (i == 3)
            s.stack(r, 2, deep, MT_MAX_DEPTH);
        if (i == 5)
            s.module(r, &mods[1]);
        if (i == 7)
            s.stack(r, 3, NULL, 0);
        if (i == 9)
            s.module(r, &mods[2]);
        s.event(r, &evs[i]);
    }
    s.done(r, &final);

    /* the order the JSON reader delivers */
    r = expected;
    s = rec_sink(r);
    s.info(r, &final);
    for (unsigned i = 0; i < 3; i++)
        s.module(r, &mods[i]);
    s.stack(r, 1, three, 3);
    s.stack(r, 2, deep, MT_MAX_DEPTH);
    s.stack(r, 3, NULL, 0);
    for (unsigned i = 0; i < ne; i++)
        s.event(r, &evs[i]);
    s.done(r, &final);
}

Test(json_io, round_trip)
{
    struct rec in = { 0 }, expected = { 0 }, out = { 0 };
    build(&in, &expected);
    size_t len;
    char *text = export_to_memory(&in, &len);
    char *path = tmp_path();
    write_file(path, text, len);

    struct mta_sink sink = rec_sink(&out);
    struct mta_error err = { .code = 0 };
    int rc = mta_read_json(path, &sink, &err);
    cr_assert_eq(rc, 0, "read back: %s", err.msg);
    cr_assert_eq(out.n, expected.n, "%zu calls, expected %zu", out.n, expected.n);
    for (size_t i = 0; i < out.n; i++)
        expect_call(i, &out.calls[i], &expected.calls[i]);
    cr_expect_eq(out.calls[0].info.file_bytes, len);
    cr_expect_eq(out.calls[0].info.flags, MT_HDR_RING);

    /* reading and exporting again gives the same bytes */
    size_t len2;
    char *text2 = export_to_memory(&out, &len2);
    cr_expect_eq(len2, len);
    cr_expect(len2 == len && memcmp(text, text2, len) == 0, "second export differs");

    unlink(path);
    free(path);
    free(text);
    free(text2);
    rec_free(&in);
    rec_free(&expected);
    rec_free(&out);
}

Test(json_io, export_layout)
{
    /* the documented shape: readable names, hex addresses, one event a line */
    struct rec in = { 0 }, expected = { 0 };
    build(&in, &expected);
    size_t len;
    char *text = export_to_memory(&in, &len);
    cr_expect(strncmp(text, "{\n  \"format\": \"mtrace-trace\",\n  \"version\": 1,\n", 45) == 0,
              "%.60s", text);
    cr_expect_not_null(strstr(text, "\"type\":\"alloc\",\"fn\":\"posix_memalign\""));
    cr_expect_not_null(strstr(text, "\"size\":\"0xffffffffffffffff\""));
    cr_expect_not_null(strstr(text, "\"param\":\"M_MMAP_THRESHOLD\",\"value\":65536"));
    cr_expect_not_null(strstr(text, "\"param\":-16,\"value\":-1"));
    cr_expect_not_null(strstr(text, "\"cause\":77"));
    cr_expect_not_null(strstr(text, "\"exe\": {\"hex\":\"2f6f70742ffffe2f617070\"}"));
    cr_expect_not_null(strstr(text, "\"end_state\": \"signal\""));
    cr_expect_not_null(strstr(text, "nul:\\u0000 end\\n"));
    cr_expect_not_null(strstr(text, "\n    {\"t\":805,\"tid\":4243,\"type\":\"free\","
                                    "\"ptr\":\"0x55d0c0a00010\"},\n"));
    free(text);
    rec_free(&in);
    rec_free(&expected);
}

Test(json_io, empty_trace)
{
    struct rec in = { 0 }, out = { 0 };
    struct mta_sink s = rec_sink(&in);
    struct mta_trace_info info = { .version = 1 };
    s.done(&in, &info);
    size_t len;
    char *text = export_to_memory(&in, &len);
    cr_expect_not_null(strstr(text, "\"modules\": [],\n  \"stacks\": [],\n  \"events\": []\n}"));
    char *path = tmp_path();
    write_file(path, text, len);
    s = rec_sink(&out);
    struct mta_error err = { .code = 0 };
    cr_assert_eq(mta_read_json(path, &s, &err), 0, "%s", err.msg);
    cr_assert_eq(out.n, 2);
    cr_expect_eq(out.calls[0].kind, C_INFO);
    cr_expect_eq(out.calls[1].kind, C_DONE);
    cr_expect_null(out.calls[1].info.cmdline);
    unlink(path);
    free(path);
    free(text);
    rec_free(&in);
    rec_free(&out);
}

/* ---- exporter errors ------------------------------------------------------ */

Test(json_io, export_rejects_time_going_back)
{
    FILE *mem;
    char *text = NULL;
    size_t len;
    mem = open_memstream(&text, &len);
    struct mta_json_export *x = mta_json_export_new(mem);
    struct mta_sink s;
    mta_json_export_sink(x, &s);
    struct mta_event a = ev_of(MTA_EV_FREE, 200, 1), b = ev_of(MTA_EV_FREE, 100, 1);
    cr_expect_eq(s.event(s.ctx, &a), 0);
    cr_expect_neq(s.event(s.ctx, &b), 0);
    struct mta_trace_info info = { 0 };
    s.done(s.ctx, &info);
    struct mta_error err = { .code = 0 };
    cr_expect_eq(mta_json_export_finish(x, &err), MTA_EXIT_CORRUPT);
    cr_expect_not_null(strstr(err.msg, "event 1: time 100 ns is earlier"), "%s", err.msg);
    fclose(mem);
    cr_expect_eq(len, 0, "nothing is written after an error");
    free(text);
}

Test(json_io, export_without_done)
{
    struct mta_json_export *x = mta_json_export_new(stdout);
    struct mta_sink s;
    mta_json_export_sink(x, &s);
    struct mta_error err = { .code = 0 };
    cr_expect_eq(mta_json_export_finish(x, &err), MTA_EXIT_INTERNAL);
    cr_expect_not_null(strstr(err.msg, "not read to its end"), "%s", err.msg);
    /* and the discard path */
    mta_json_export_free(mta_json_export_new(stdout));
}

Test(json_io, export_write_error)
{
    FILE *full = fopen("/dev/full", "w");
    cr_assert_not_null(full);
    struct mta_json_export *x = mta_json_export_new(full);
    struct mta_sink s;
    mta_json_export_sink(x, &s);
    struct mta_event a = ev_of(MTA_EV_FREE, 1, 1);
    s.event(s.ctx, &a);
    struct mta_trace_info info = { 0 };
    s.done(s.ctx, &info);
    struct mta_error err = { .code = 0 };
    cr_expect_eq(mta_json_export_finish(x, &err), MTA_EXIT_IO);
    cr_expect_not_null(strstr(err.msg, "No space left on device"), "%s", err.msg);
    fclose(full);
}

/* ---- fixtures ------------------------------------------------------------- */

#define FIX(name) MTA_FIXTURE_DIR "/" name

Test(json_io, valid_small_fixture)
{
    struct rec out = { 0 };
    struct mta_sink s = rec_sink(&out);
    struct mta_error err = { .code = 0 };
    cr_assert_eq(mta_read_json(FIX("valid_small.json"), &s, &err), 0, "%s", err.msg);
    /* info, 2 modules, 2 stacks, 3 events, done */
    cr_assert_eq(out.n, 9);
    const struct call *c = out.calls;
    cr_expect_eq(c[0].kind, C_INFO);
    cr_expect_eq(c[0].info.pid, 4242);
    cr_expect_str_eq(c[0].info.cmdline, "./leaky --once");
    cr_expect_eq(c[0].info.end_state, MT_END_EXIT);
    cr_expect_eq(c[0].info.initial_brk, 0x55d0c0a00000ull);
    cr_expect_eq(c[1].kind, C_MODULE);
    cr_expect_eq(c[1].module.build_id_len, 6);
    cr_expect_eq(c[1].module.build_id[0], 0x8f);
    cr_expect_eq(c[2].module.build_id_len, 0);
    cr_expect_eq(c[4].kind, C_STACK);
    cr_expect_eq(c[4].id, 2);
    cr_expect_eq(c[4].n, 3);
    cr_expect_eq(c[4].frames[1], 0x55d0bf401456ull);
    cr_expect_eq(c[5].ev.type, MTA_EV_ALLOC);
    cr_expect_eq(c[5].ev.kind, MT_KIND_MALLOC);
    cr_expect_eq(c[5].ev.size, 64);
    cr_expect_eq(c[6].ev.kind, MT_KIND_CALLOC);
    cr_expect_eq(c[6].ev.ptr, 0x55d0c0a002f0ull);
    cr_expect_eq(c[6].ev.source, MT_SRC_BRK);
    cr_expect_eq(c[6].ev.stack, 2);
    cr_expect_eq(c[7].ev.type, MTA_EV_FREE);
    cr_expect_eq(c[7].ev.ptr, c[5].ev.ptr);
    cr_expect_eq(c[8].kind, C_DONE);
    rec_free(&out);
}

struct bad {
    const char *file;
    int code;
    const char *needle[3];
};

static void expect_failure(const char *path, int code, const char *const *needles)
{
    struct rec out = { 0 };
    struct mta_sink s = rec_sink(&out);
    struct mta_error err = { .code = 0 };
    int rc = mta_read_json(path, &s, &err);
    cr_expect_eq(rc, code, "%s: rc %d, expected %d (%s)", path, rc, code, err.msg);
    cr_expect_eq(err.code, code, "%s: err.code", path);
    cr_expect(strncmp(err.msg, path, strlen(path)) == 0, "message names the file: %s", err.msg);
    for (int i = 0; i < 3 && needles[i]; i++)
        cr_expect_not_null(strstr(err.msg, needles[i]), "%s: \"%s\" not in \"%s\"", path,
                           needles[i], err.msg);
    cr_expect_eq(out.n, 0, "%s: the sink was called %zu times before the error", path, out.n);
    rec_free(&out);
}

Test(json_io, invalid_fixtures)
{
    static const struct bad bad[] = {
        { "truncated.json", MTA_EXIT_CORRUPT, { "line 31, column 29 (byte 1223)", "invalid JSON" } },
        { "wrong_type.json", MTA_EXIT_CORRUPT,
          { "events[1].size: expected a non-negative integer", "\"one hundred\"" } },
        { "negative_size.json", MTA_EXIT_CORRUPT,
          { "events[1].size: expected a non-negative integer, found -128" } },
        { "missing_events.json", MTA_EXIT_CORRUPT, { ": events: missing required field" } },
        { "bad_hex.json", MTA_EXIT_CORRUPT,
          { "stacks[1].frames[1]: bad hex number \"0x55d0bf40g456\"" } },
        { "unsorted.json", MTA_EXIT_CORRUPT,
          { "events[2].t: 1500 is earlier than events[1].t (2000)", "sorted" } },
        { "event_not_object.json", MTA_EXIT_CORRUPT,
          { "events[1]: expected an object, found an array" } },
        { "bad_version.json", MTA_EXIT_CORRUPT, { "version: unsupported version 2" } },
        { "unknown_type.json", MTA_EXIT_CORRUPT,
          { "events[0].type: unknown event type \"allocate\"", "alloc, free" } },
        { "duplicate_key.json", MTA_EXIT_CORRUPT, { "line 6", "duplicate object key" } },
        { "huge_number.json", MTA_EXIT_CORRUPT, { "line 29, column 116", "too big integer" } },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", MTA_FIXTURE_DIR, bad[i].file);
        expect_failure(path, bad[i].code, bad[i].needle);
    }
}

/* ---- hostile input built here --------------------------------------------- */

static void expect_text_failure(const char *json, int code, const char *needle)
{
    char *path = tmp_path();
    write_file(path, json, strlen(json));
    const char *n[3] = { needle, NULL, NULL };
    expect_failure(path, code, n);
    unlink(path);
    free(path);
}

#define HEAD "{\"format\":\"mtrace-trace\",\"version\":1,\"process\":{},"

Test(json_io, hostile_documents)
{
    expect_text_failure("[1,2]", MTA_EXIT_CORRUPT,
                        ": expected a JSON object at the top level, found an array");
    expect_text_failure("{}", MTA_EXIT_CORRUPT, ": format: missing required field");
    expect_text_failure("{\"format\":\"perf\"}", MTA_EXIT_CORRUPT,
                        "format: expected \"mtrace-trace\", found \"perf\"");
    expect_text_failure("{\"format\":\"mtrace-trace\",\"version\":\"1\"}", MTA_EXIT_CORRUPT,
                        "version: expected an integer, found a string");
    expect_text_failure("{\"format\":\"mtrace-trace\",\"version\":1,\"events\":[]}",
                        MTA_EXIT_CORRUPT, "process: missing required field");
    expect_text_failure(HEAD "\"events\":{}}", MTA_EXIT_CORRUPT,
                        "events: expected an array, found an object");
    expect_text_failure(HEAD "\"stacks\":7,\"events\":[]}", MTA_EXIT_CORRUPT,
                        "stacks: expected an array, found an integer");
    expect_text_failure(HEAD "\"events\":[{\"t\":1,\"type\":\"free\"}]}", MTA_EXIT_CORRUPT,
                        "events[0].ptr: missing required field");
    expect_text_failure(HEAD "\"events\":[{\"type\":\"free\",\"ptr\":\"0x1\"}]}",
                        MTA_EXIT_CORRUPT, "events[0].t: missing required field");
    expect_text_failure(HEAD "\"events\":[{\"t\":1.5,\"type\":\"free\",\"ptr\":\"0x1\"}]}",
                        MTA_EXIT_CORRUPT, "events[0].t: expected a non-negative integer, "
                                          "found a real number");
    expect_text_failure(HEAD "\"events\":[{\"t\":1,\"type\":\"free\",\"ptr\":\"0x\"}]}",
                        MTA_EXIT_CORRUPT, "events[0].ptr: bad hex number \"0x\"");
    expect_text_failure(HEAD "\"events\":[{\"t\":1,\"type\":\"free\","
                             "\"ptr\":\"0x10000000000000000\"}]}",
                        MTA_EXIT_CORRUPT, "events[0].ptr: bad hex number");
    expect_text_failure(HEAD "\"events\":[{\"t\":1,\"type\":\"free\",\"ptr\":\"1234\"}]}",
                        MTA_EXIT_CORRUPT, "events[0].ptr: expected a hex address string");
    expect_text_failure(HEAD "\"events\":[{\"t\":1,\"type\":\"free\",\"ptr\":null}]}",
                        MTA_EXIT_CORRUPT, "events[0].ptr: expected a hex address string "
                                          "\"0x...\", found null");
    expect_text_failure(HEAD "\"events\":[{\"t\":1,\"tid\":4294967296,\"type\":\"free\","
                             "\"ptr\":\"0x1\"}]}",
                        MTA_EXIT_CORRUPT, "events[0].tid: expected an integer from 0 to");
    expect_text_failure(HEAD "\"events\":[{\"t\":1,\"type\":\"alloc\",\"fn\":\"new\","
                             "\"ptr\":\"0x1\",\"size\":1}]}",
                        MTA_EXIT_CORRUPT, "events[0].fn: unknown value \"new\"");
    expect_text_failure(HEAD "\"events\":[{\"t\":1,\"type\":\"alloc\",\"source\":-1,"
                             "\"ptr\":\"0x1\",\"size\":1}]}",
                        MTA_EXIT_CORRUPT, "events[0].source: expected one of unknown");
    expect_text_failure(HEAD "\"events\":[{\"t\":1,\"type\":\"maps\",\"reason\":\"start\","
                             "\"text\":{\"hex\":\"4\"}}]}",
                        MTA_EXIT_CORRUPT, "events[0].text: hex text has an odd number");
    expect_text_failure(HEAD "\"events\":[{\"t\":1,\"type\":\"maps\",\"reason\":\"start\","
                             "\"text\":{\"hex\":\"zz\"}}]}",
                        MTA_EXIT_CORRUPT, "events[0].text: hex text has a non-hex character");
    expect_text_failure(HEAD "\"events\":[{\"t\":1,\"type\":\"maps\",\"reason\":\"start\","
                             "\"text\":[]}]}",
                        MTA_EXIT_CORRUPT, "events[0].text: expected a string, found an array");
    expect_text_failure(HEAD "\"events\":[{\"t\":1,\"type\":\"setting\",\"param\":1,"
                             "\"value\":\"5\"}]}",
                        MTA_EXIT_CORRUPT, "events[0].value: expected an integer");
    expect_text_failure(HEAD "\"events\":[{\"t\":1,\"type\":\"\\u0000free\",\"ptr\":\"0x1\"}]}",
                        MTA_EXIT_CORRUPT, "events[0].type: unknown event type \"\"");
    expect_text_failure("{\"format\":\"mtrace-trace\",\"version\":1,\"process\":"
                        "{\"cmdline\":\"a\\u0000b\"},\"events\":[]}",
                        MTA_EXIT_CORRUPT, "process.cmdline: contains a NUL byte");
    expect_text_failure("{\"format\":\"mtrace-trace\",\"version\":1,\"process\":"
                        "{\"exe\":{\"hex\":\"610062\"}},\"events\":[]}",
                        MTA_EXIT_CORRUPT, "process.exe: contains a NUL byte");
    expect_text_failure("{\"format\":\"mtrace-trace\",\"version\":1,\"process\":"
                        "{\"end_code\":2147483648},\"events\":[]}",
                        MTA_EXIT_CORRUPT, "process.end_code: 2147483648 is out of range");
    expect_text_failure("{\"format\":\"mtrace-trace\",\"version\":1,\"process\":"
                        "{\"truncated\":1},\"events\":[]}",
                        MTA_EXIT_CORRUPT, "process.truncated: expected true or false");
    expect_text_failure("{\"format\":\"mtrace-trace\",\"version\":1,\"process\":"
                        "{\"end_state\":\"crashed\"},\"events\":[]}",
                        MTA_EXIT_CORRUPT, "process.end_state: unknown value \"crashed\"");
    expect_text_failure(HEAD "\"modules\":[{\"start\":\"0x1\",\"end\":\"0x2\","
                             "\"build_id\":\"abc\"}],\"events\":[]}",
                        MTA_EXIT_CORRUPT, "modules[0].build_id: expected an even number");
    expect_text_failure(HEAD "\"modules\":[{\"start\":\"0x1\"}],\"events\":[]}",
                        MTA_EXIT_CORRUPT, "modules[0].end: missing required field");
    expect_text_failure(HEAD "\"stacks\":[{\"id\":1,\"frames\":\"0x1\"}],\"events\":[]}",
                        MTA_EXIT_CORRUPT, "stacks[0].frames: expected an array");
    expect_text_failure(HEAD "\"stacks\":[{\"id\":-1,\"frames\":[]}],\"events\":[]}",
                        MTA_EXIT_CORRUPT, "stacks[0].id: expected a non-negative integer");
    /* deep nesting: jansson's depth limit, not our stack */
    char deep[20000];
    size_t o = 0;
    for (int i = 0; i < 5000; i++)
        deep[o++] = '[';
    deep[o] = '\0';
    expect_text_failure(deep, MTA_EXIT_CORRUPT, "invalid JSON: maximum parsing depth");
    /* control characters in the message are escaped */
    expect_text_failure(HEAD "\"events\":[{\"t\":1,\"type\":\"\\u001b[31mred\"}]}",
                        MTA_EXIT_CORRUPT, "unknown event type \"\\x1b[31mred\"");
}

Test(json_io, a_million_frames)
{
    char *path = tmp_path();
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(HEAD "\"stacks\":[{\"id\":1,\"frames\":[", f);
    for (int i = 0; i < 1000000; i++)
        fputs(i ? ",\"0x1\"" : "\"0x1\"", f);
    fputs("]}],\"events\":[]}", f);
    fclose(f);
    const char *n[3] = { "stacks[0].frames: 1000000 frames, more than the limit of 256" };
    expect_failure(path, MTA_EXIT_CORRUPT, n);
    unlink(path);
    free(path);
}

/* One element is bounded (json_reader.c): more JSON values than the limit
 * is an error naming the element, not a tree of any size. */
Test(json_io, element_too_large)
{
    char *path = tmp_path();
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(HEAD "\"events\":[{\"t\":1,\"type\":\"free\",\"ptr\":\"0x1\"},"
               "{\"t\":2,\"type\":\"free\",\"ptr\":\"0x1\",\"x\":[", f);
    for (int i = 0; i < 1100000; i++)
        fputs(i ? ",1" : "1", f);
    fputs("]}]}", f);
    fclose(f);
    const char *n[3] = { "events[1]: the value at line 1, byte ", "larger than the limit" };
    expect_failure(path, MTA_EXIT_CORRUPT, n);
    unlink(path);
    free(path);
}

Test(json_io, io_errors)
{
    const char *n[3] = { "cannot open: No such file or directory" };
    expect_failure("/nonexistent/trace.json", MTA_EXIT_IO, n);
    char *path = tmp_path();
    const char *e[3] = { ": empty file" };
    expect_failure(path, MTA_EXIT_IO, e);
    unlink(path);
    free(path);
    const char *d[3] = { "cannot read: Is a directory" };
    expect_failure("/tmp", MTA_EXIT_IO, d);
}

Test(json_io, sink_may_stop_and_callbacks_may_be_null)
{
    struct rec out = { .stop_after = 2 };
    struct mta_sink s = rec_sink(&out);
    struct mta_error err = { .code = 0 };
    cr_assert_eq(mta_read_json(FIX("valid_small.json"), &s, &err), 0, "%s", err.msg);
    size_t events = 0;
    for (size_t i = 0; i < out.n; i++)
        events += out.calls[i].kind == C_EVENT;
    cr_expect_eq(events, 2);
    cr_expect_eq(out.calls[out.n - 1].kind, C_DONE);
    rec_free(&out);

    struct mta_sink none = { 0 };
    cr_expect_eq(mta_read_json(FIX("valid_small.json"), &none, &err), 0, "%s", err.msg);
    cr_expect_eq(mta_read_json(FIX("valid_small.json"), NULL, NULL), 0);
    cr_expect_eq(mta_read_json(FIX("unsorted.json"), NULL, NULL), MTA_EXIT_CORRUPT);
}

/* Every prefix of the valid file and many single-byte corruptions: never a
 * crash (the sanitizer build watches), always 0 or a clean error. */
Test(json_io, prefixes_and_mutations)
{
    size_t len;
    char *good = read_file(FIX("valid_small.json"), &len);
    char *path = tmp_path();
    struct mta_error err;
    for (size_t cut = 0; cut < len; cut++) {
        write_file(path, good, cut);
        struct rec out = { 0 };
        struct mta_sink s = rec_sink(&out);
        int rc = mta_read_json(path, &s, &err);
        /* the last byte is the newline after "}": the document is complete */
        if (cut < len - 1)
            cr_expect(rc == MTA_EXIT_CORRUPT || (cut == 0 && rc == MTA_EXIT_IO),
                      "cut at %zu: rc %d", cut, rc);
        rec_free(&out);
    }
    static const char junk[] = { '"', '\\', '0', 'x', '-', '9', '{', '[', ']', '}', ',',
                                 ':', 'z', '\0', (char)0xff, ' ' };
    unsigned seed = 12345;
    char *m = malloc(len);
    for (int round = 0; round < 3000; round++) {
        memcpy(m, good, len);
        for (int k = 0; k < 1 + round % 3; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % len;
            seed = seed * 1103515245u + 12345u;
            m[at] = junk[(seed >> 8) % sizeof junk];
        }
        write_file(path, m, len);
        struct rec out = { 0 };
        struct mta_sink s = rec_sink(&out);
        int rc = mta_read_json(path, &s, &err);
        cr_expect(rc == 0 || rc == MTA_EXIT_CORRUPT, "round %d: rc %d", round, rc);
        if (rc)
            cr_expect_eq(out.n, 0);
        rec_free(&out);
    }
    free(m);
    unlink(path);
    free(path);
    free(good);
}

/* The documented alternative forms and defaults: integer addresses, "0x"
 * counts, upper-case hex, {"hex"} text, numeric codes, omitted fields. */
Test(json_io, alternative_forms_and_defaults)
{
    static const char doc[] =
        "{\"events\":[{\"t\":\"0X10\",\"type\":\"alloc\",\"ptr\":4096,\"size\":\"0xFFFFFFFFFFFFFFFF\"},"
        "{\"t\":16,\"type\":\"map\",\"op\":12,\"addr\":\"0x00001000\",\"len\":1,"
        "\"path\":{\"hex\":\"FF00\"}},"
        "{\"t\":17,\"type\":\"setting\",\"param\":-100,\"value\":-5,\"extra\":[1,2]}],"
        "\"version\":1,\"format\":\"mtrace-trace\",\"process\":{\"exe\":{\"hex\":\"2f62696e\"}},"
        "\"future_field\":{\"x\":1}}";
    char *path = tmp_path();
    write_file(path, doc, sizeof doc - 1);
    struct rec out = { 0 };
    struct mta_sink s = rec_sink(&out);
    struct mta_error err = { .code = 0 };
    cr_assert_eq(mta_read_json(path, &s, &err), 0, "%s", err.msg);
    cr_assert_eq(out.n, 5);
    const struct call *c = out.calls;
    cr_expect_str_eq(c[0].info.exe, "/bin");
    cr_expect_null(c[0].info.cmdline);
    cr_expect_eq(c[0].info.end_state, MT_END_RUNNING);
    cr_expect_eq(c[1].ev.ns, 16);
    cr_expect_eq(c[1].ev.tid, 0);
    cr_expect_eq(c[1].ev.kind, MT_KIND_MALLOC);
    cr_expect_eq(c[1].ev.source, MT_SRC_UNKNOWN);
    cr_expect_eq(c[1].ev.ptr, 4096);
    cr_expect_eq(c[1].ev.size, UINT64_MAX);
    cr_expect_eq(c[1].ev.stack, 0);
    cr_expect_eq(c[2].ev.op, 12);
    cr_expect_eq(c[2].ev.addr, 0x1000);
    cr_expect_eq(c[2].ev.cause, MT_CAUSE_NONE);
    cr_expect_eq(c[2].ev.text_len, 2);
    cr_expect(memcmp(c[2].ev.text, "\xff\0", 2) == 0);
    cr_expect_eq(c[3].ev.kind, (unsigned)-100);
    cr_expect_eq((int64_t)c[3].ev.size, -5);
    cr_expect_eq(c[4].kind, C_DONE);
    rec_free(&out);
    unlink(path);
    free(path);
}
