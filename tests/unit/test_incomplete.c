/* The model on incomplete and hostile traces: blocks live when recording
 * stopped are "unknown", never leaks; byte totals saturate instead of
 * wrapping; anomalies are counted and shown in both reports. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "model.h"
#include "render_json.h"
#include "render_text.h"
#include "trace_builder.h"

static struct tb tb;

/* Three blocks from two stacks; one is freed, two are live at the end. */
static void build_two_live(struct tb *t)
{
    tb_init(t);
    tb_chunk(t, 7, 0, 1000);
    uint64_t f1[2] = {0x401000, 0x402000}, f2[2] = {0x403000, 0x402000};
    tb_stack(t, 1, f1, 2);
    tb_stack(t, 2, f2, 2);
    tb_alloc(t, 1010, MT_KIND_MALLOC, 0x10000, 100, MT_SRC_BRK, 1);
    tb_alloc(t, 1020, MT_KIND_MALLOC, 0x20000, 30, MT_SRC_BRK, 2);
    tb_alloc(t, 1030, MT_KIND_MALLOC, 0x30000, 5, MT_SRC_BRK, 2);
    tb_free(t, 1040, 0x30000);
}

static void load(struct tb *t, struct mta_model *m)
{
    const char *path = tb_write(t, 0);
    struct mta_error err = {{0}, 0};
    cr_assert_eq(mta_model_init(m), 0);
    int rc = mta_model_load(m, path, &err);
    unlink(path);
    cr_assert_eq(rc, 0, "%s", err.msg);
}

static char *render(struct mta_model *m, int json)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    struct mta_symbolizer *sym = mta_sym_new();
    struct mta_report_opts o = {.top = 20, .max_frames = 16};
    if (json)
        cr_assert_eq(mta_report_json(mem, m, sym, &o), 0);
    else
        mta_report_text(mem, m, sym, &o);
    fclose(mem);
    mta_sym_free(sym);
    return text;
}

static json_t *report_doc(struct mta_model *m)
{
    char *text = render(m, 1);
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    cr_assert(doc, "report is not JSON: %s", jerr.text);
    free(text);
    return doc;
}

static json_int_t jint(json_t *doc, const char *obj, const char *key)
{
    json_t *v = json_object_get(json_object_get(doc, obj), key);
    cr_assert(json_is_integer(v), "%s.%s is not an integer", obj, key);
    return json_integer_value(v);
}

Test(incomplete, complete_trace_reports_leaks)
{
    build_two_live(&tb);
    struct mta_model m;
    load(&tb, &m);
    cr_assert_not(m.fate_unknown);
    cr_assert_eq(m.leaked_blocks, 2);
    cr_assert_eq(m.leaked_bytes, 130);
    cr_assert_eq(m.unknown_blocks, 0);
    json_t *doc = report_doc(&m);
    cr_assert_eq(jint(doc, "summary", "leaked_bytes"), 130);
    cr_assert(json_is_true(json_object_get(json_object_get(doc, "summary"), "complete")));
    cr_assert_eq(json_array_size(json_object_get(doc, "unknown")), 0);
    cr_assert(json_is_null(json_object_get(json_object_get(doc, "process"), "stop")));
    json_decref(doc);
    mta_model_free(&m);
}

Test(incomplete, stop_reason_makes_live_blocks_unknown_not_leaked)
{
    build_two_live(&tb);
    struct mt_file_header *h = (struct mt_file_header *)tb.buf;
    h->stop_reason = MT_STOP_MAX_SIZE;
    h->stop_bytes = 8192;
    struct mta_model m;
    load(&tb, &m);
    cr_assert(m.fate_unknown);
    cr_assert_eq(m.leaked_blocks, 0);
    cr_assert_eq(m.leaked_bytes, 0);
    cr_assert_eq(m.unknown_blocks, 2);
    cr_assert_eq(m.unknown_bytes, 130);
    cr_assert_eq(m.sites[mta_stacks_index(&m.stacks, 1)].unknown_bytes, 100);
    cr_assert_eq(m.sites[mta_stacks_index(&m.stacks, 2)].unknown_bytes, 30);
    cr_assert_eq(m.sites[mta_stacks_index(&m.stacks, 2)].leak_blocks, 0);

    json_t *doc = report_doc(&m);
    cr_assert_eq(jint(doc, "summary", "leaked_bytes"), 0);
    cr_assert_eq(jint(doc, "summary", "unknown_bytes"), 130);
    cr_assert_eq(jint(doc, "summary", "unknown_blocks"), 2);
    cr_assert_eq(jint(doc, "summary", "unknown_stacks"), 2);
    cr_assert(json_is_false(json_object_get(json_object_get(doc, "summary"), "complete")));
    cr_assert_eq(json_array_size(json_object_get(doc, "leaks")), 0);
    json_t *unk = json_object_get(doc, "unknown");
    cr_assert_eq(json_array_size(unk), 2);
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(unk, 0), "bytes")), 100);
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(unk, 1), "bytes")), 30);
    json_t *proc = json_object_get(doc, "process");
    json_t *stop = json_object_get(proc, "stop");
    cr_assert_str_eq(json_string_value(json_object_get(stop, "reason")), "max_size");
    cr_assert_eq(json_integer_value(json_object_get(stop, "bytes")), 8192);
    json_decref(doc);

    char *text = render(&m, 0);
    cr_assert(strstr(text, "MTRACE_MAX_SIZE was reached"), "%s", text);
    cr_assert(strstr(text, "Unknown fate by call stack"), "%s", text);
    cr_assert(strstr(text, "130 bytes in 2 blocks from 2 call stacks"), "%s", text);
    cr_assert_null(strstr(text, "Leaks by call stack"), "%s", text);
    free(text);
    mta_model_free(&m);
}

Test(incomplete, lost_events_make_live_blocks_unknown)
{
    build_two_live(&tb);
    ((struct mt_file_header *)tb.buf)->lost_events = 3;
    struct mta_model m;
    load(&tb, &m);
    cr_assert(m.fate_unknown);
    cr_assert_eq(m.leaked_blocks, 0);
    cr_assert_eq(m.unknown_bytes, 130);
    mta_model_free(&m);
}

Test(incomplete, every_stop_reason_has_a_name_and_a_message)
{
    for (uint32_t r = MT_STOP_MAX_SIZE; r <= MT_STOP_IO_ERROR + 1; r++) {
        build_two_live(&tb);
        ((struct mt_file_header *)tb.buf)->stop_reason = r;
        struct mta_model m;
        load(&tb, &m);
        cr_assert(m.fate_unknown, "stop reason %u", r);
        cr_assert_not_null(mta_incomplete_reason(&m));
        cr_assert_str_neq(mta_stop_reason_name(r), "none");
        mta_model_free(&m);
    }
}

/* Sizes up to 2^62 (the format's limit): totals saturate, never wrap or
 * go negative in JSON, and the report says so. */
Test(hostile, huge_sizes_saturate_totals)
{
    tb_init(&tb);
    tb_chunk(&tb, 7, 0, 1000);
    uint64_t f[1] = {0x401000};
    tb_stack(&tb, 1, f, 1);
    const uint64_t big = (1ull << 62) - 1;
    for (int i = 0; i < 6; i++)
        tb_alloc(&tb, 1010 + (uint64_t)i, MT_KIND_MALLOC, 0x10000 + 0x1000 * (uint64_t)i, big,
                 MT_SRC_MMAP, 1);
    for (int i = 0; i < 3; i++)
        tb_free(&tb, 1100 + (uint64_t)i, 0x10000 + 0x1000 * (uint64_t)i);
    struct mta_model m;
    load(&tb, &m);
    cr_assert(m.anomalies.totals_saturated);
    cr_assert_eq(m.anomalies.impossible_sizes, 6);
    cr_assert_eq(m.bytes_allocated, MTA_TOTAL_MAX);
    cr_assert_eq(m.leaked_blocks, 3);
    cr_assert_eq(m.leaked_bytes, MTA_TOTAL_MAX);
    json_t *doc = report_doc(&m);
    const char *keys[] = {"bytes_allocated", "peak_bytes", "leaked_bytes"};
    for (int i = 0; i < 3; i++)
        cr_assert_eq(jint(doc, "summary", keys[i]), INT64_MAX, "%s", keys[i]);
    json_t *an = json_object_get(doc, "anomalies");
    cr_assert(json_is_true(json_object_get(an, "totals_saturated")));
    cr_assert_eq(json_integer_value(json_object_get(an, "impossible_sizes")), 6);
    /* every integer in the document is >= 0 */
    char *text = render(&m, 1);
    cr_assert_null(strstr(text, ": -"), "negative number in the JSON report");
    free(text);
    json_decref(doc);
    text = render(&m, 0);
    cr_assert(strstr(text, "anomalies"), "%s", text);
    cr_assert(strstr(text, "shown capped at 9,223,372,036,854,775,807"), "%s", text);
    free(text);
    mta_model_free(&m);
}

/* One address allocated a million times without a free, frees of
 * addresses never allocated, and an allocation at address 0. */
Test(hostile, repeated_live_address_and_unknown_frees_are_counted)
{
    struct mta_model m;
    cr_assert_eq(mta_model_init(&m), 0);
    struct mta_sink s = mta_model_sink(&m);
    uint64_t f[1] = {0x401000};
    s.stack(s.ctx, 1, f, 1);
    struct mta_event e;
    memset(&e, 0, sizeof e);
    e.type = MTA_EV_ALLOC;
    e.ptr = 0x5000;
    e.size = 16;
    e.stack = 1;
    e.source = MT_SRC_BRK;
    for (int i = 0; i < 1000000; i++) {
        e.ns = (uint64_t)i;
        s.event(s.ctx, &e);
    }
    e.ptr = 0;
    s.event(s.ctx, &e);
    e.type = MTA_EV_FREE;
    for (uint64_t i = 0; i < 7; i++) {
        e.ptr = 0x9000 + i * 16;
        s.event(s.ctx, &e);
    }
    mta_model_finish(&m);
    cr_assert_eq(m.replaced_blocks, 999999);
    cr_assert_eq(m.untracked_frees, 7);
    cr_assert_eq(m.anomalies.null_allocs, 1);
    cr_assert_eq(m.live.count, 1);
    cr_assert_eq(m.leaked_blocks, 1);
    cr_assert_eq(m.leaked_bytes, 16); /* the replaced blocks are not counted live */
    json_t *doc = report_doc(&m);
    cr_assert_eq(jint(doc, "anomalies", "allocations_of_live_address"), 999999);
    cr_assert_eq(jint(doc, "anomalies", "frees_of_unknown_address"), 7);
    cr_assert_eq(jint(doc, "anomalies", "allocations_at_null"), 1);
    json_decref(doc);
    char *text = render(&m, 0);
    cr_assert(strstr(text, "anomalies: 999,999 allocations of an address already live; "
                           "1 allocations at address 0"), "%s", text);
    free(text);
    mta_model_free(&m);
}

Test(hostile, clean_trace_has_no_anomalies)
{
    build_two_live(&tb);
    struct mta_model m;
    load(&tb, &m);
    char *text = render(&m, 0);
    cr_assert_null(strstr(text, "anomalies"), "%s", text);
    free(text);
    json_t *doc = report_doc(&m);
    cr_assert_eq(jint(doc, "anomalies", "allocations_of_live_address"), 0);
    cr_assert(json_is_false(json_object_get(json_object_get(doc, "anomalies"),
                                            "totals_saturated")));
    json_decref(doc);
    mta_model_free(&m);
}
