/* The binary reader: decoding, time-ordered merge of thread chunks, and
 * clear errors on hostile input. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <unistd.h>

#include "errors.h"
#include "trace.h"
#include "trace_builder.h"

struct seen {
    struct mta_event ev[64];
    int n;
    uint64_t stack_ids[8];
    unsigned stack_depth[8];
    int nstacks;
    int done;
    struct mta_trace_info info;
};

static int on_event(void *ctx, const struct mta_event *ev)
{
    struct seen *s = ctx;
    if (s->n < 64)
        s->ev[s->n++] = *ev;
    return 0;
}

static void on_stack(void *ctx, uint64_t id, const uint64_t *frames, unsigned n)
{
    (void)frames;
    struct seen *s = ctx;
    if (s->nstacks < 8) {
        s->stack_ids[s->nstacks] = id;
        s->stack_depth[s->nstacks++] = n;
    }
}

static void on_done(void *ctx, const struct mta_trace_info *in)
{
    struct seen *s = ctx;
    s->done = 1;
    s->info = *in;
}

static int read_trace(struct tb *t, size_t cut, struct seen *s, struct mta_error *err)
{
    memset(s, 0, sizeof *s);
    memset(err, 0, sizeof *err);
    const char *path = tb_write(t, cut);
    struct mta_sink sink = {.ctx = s, .stack = on_stack, .event = on_event, .done = on_done};
    int rc = mta_read_binary(path, &sink, err);
    unlink(path);
    return rc;
}

static struct tb tb;

Test(trace_reader, decodes_every_record_kind)
{
    tb_init(&tb);
    tb_chunk(&tb, 7, 0, 1000);
    uint64_t frames[3] = {0x401000, 0x401100, 0x7f0000001234};
    tb_stack(&tb, 1, frames, 3);
    tb_alloc(&tb, 1010, MT_KIND_MALLOC, 0x555500001000, 100, MT_SRC_BRK, 1);
    tb_alloc(&tb, 1020, MT_KIND_CALLOC, 0x7f0000100010, 300000, MT_SRC_MMAP, 1);
    tb_realloc(&tb, 1030, 0x555500001000, 0x555500002000, 200, 1);
    tb_free(&tb, 1040, 0x7f0000100010);
    struct seen s;
    struct mta_error err;
    cr_assert_eq(read_trace(&tb, 0, &s, &err), 0, "%s", err.msg);
    cr_assert(s.done);
    cr_assert_eq(s.nstacks, 1);
    cr_assert_eq(s.stack_depth[0], 3);
    cr_assert_eq(s.n, 4);
    cr_assert_eq(s.ev[0].type, MTA_EV_ALLOC);
    cr_assert_eq(s.ev[0].ptr, 0x555500001000ull);
    cr_assert_eq(s.ev[0].size, 100);
    cr_assert_eq(s.ev[0].source, MT_SRC_BRK);
    cr_assert_eq(s.ev[0].tid, 7);
    cr_assert_eq(s.ev[0].ns, 10); /* 1 tick = 1 ns after the start */
    cr_assert_eq(s.ev[1].kind, MT_KIND_CALLOC);
    cr_assert_eq(s.ev[1].source, MT_SRC_MMAP);
    cr_assert_eq(s.ev[2].type, MTA_EV_REALLOC);
    cr_assert_eq(s.ev[2].old_ptr, 0x555500001000ull);
    cr_assert_eq(s.ev[2].ptr, 0x555500002000ull);
    cr_assert_eq(s.ev[3].type, MTA_EV_FREE);
    cr_assert_eq(s.ev[3].ptr, 0x7f0000100010ull);
    cr_assert_eq(s.info.end_state, MT_END_EXIT);
}

Test(trace_reader, merges_threads_by_time)
{
    tb_init(&tb);
    /* thread 1 frees at t=1050 an address thread 2 then reuses at t=1060;
     * thread 2's chunk was claimed first (seq 0) but starts later. */
    tb_chunk(&tb, 2, 0, 1005);
    tb_alloc(&tb, 1005, MT_KIND_MALLOC, 0x1000, 8, MT_SRC_BRK, 0);
    tb_alloc(&tb, 1060, MT_KIND_MALLOC, 0x2000, 8, MT_SRC_BRK, 0);
    tb_chunk(&tb, 1, 1, 1000);
    tb_alloc(&tb, 1001, MT_KIND_MALLOC, 0x2000, 8, MT_SRC_BRK, 0);
    tb_free(&tb, 1050, 0x2000);
    struct seen s;
    struct mta_error err;
    cr_assert_eq(read_trace(&tb, 0, &s, &err), 0, "%s", err.msg);
    cr_assert_eq(s.n, 4);
    uint64_t want_ns[4] = {1, 5, 50, 60};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(s.ev[i].ns, want_ns[i], "event %d at %llu ns", i,
                     (unsigned long long)s.ev[i].ns);
    cr_assert_eq(s.ev[2].type, MTA_EV_FREE);
    cr_assert_eq(s.ev[3].tid, 2);
}

Test(trace_reader, empty_file_is_an_io_error)
{
    tb_init(&tb);
    struct seen s;
    struct mta_error err;
    char path[] = "/tmp/mtrace-empty-XXXXXX";
    close(mkstemp(path));
    struct mta_sink sink = {.ctx = &s, .event = on_event};
    cr_assert_neq(mta_read_binary(path, &sink, &err), 0);
    unlink(path);
    cr_assert_eq(err.code, MTA_EXIT_IO);
    cr_assert(strstr(err.msg, "empty"), "%s", err.msg);
    (void)read_trace;
}

Test(trace_reader, missing_file_names_it)
{
    struct mta_error err = {{0}, 0};
    struct mta_sink sink = {.ctx = NULL};
    cr_assert_neq(mta_read_binary("/nonexistent/x.trace", &sink, &err), 0);
    cr_assert_eq(err.code, MTA_EXIT_IO);
    cr_assert(strstr(err.msg, "/nonexistent/x.trace"));
}

Test(trace_reader, bad_magic_and_version)
{
    tb_init(&tb);
    tb.buf[0] = 'X';
    struct seen s;
    struct mta_error err;
    cr_assert_neq(read_trace(&tb, 0, &s, &err), 0);
    cr_assert_eq(err.code, MTA_EXIT_CORRUPT);
    cr_assert(strstr(err.msg, "not an mtrace trace"), "%s", err.msg);
    tb_init(&tb);
    ((struct mt_file_header *)tb.buf)->version = 99;
    cr_assert_neq(read_trace(&tb, 0, &s, &err), 0);
    cr_assert(strstr(err.msg, "version 99"), "%s", err.msg);
}

Test(trace_reader, unknown_tag_names_offset)
{
    tb_init(&tb);
    tb_chunk(&tb, 1, 0, 1000);
    tb_alloc(&tb, 1001, MT_KIND_MALLOC, 0x1000, 8, MT_SRC_BRK, 0);
    uint8_t bad = 0x7f;
    tb_raw(&tb, &bad, 1);
    struct seen s;
    struct mta_error err;
    cr_assert_neq(read_trace(&tb, 0, &s, &err), 0);
    cr_assert_eq(err.code, MTA_EXIT_CORRUPT);
    cr_assert(strstr(err.msg, "unknown record tag 127"), "%s", err.msg);
    cr_assert(strstr(err.msg, "at byte 4134:"), "%s", err.msg); /* header 4096 + chunk 32 + alloc 6 */
}

Test(trace_reader, hostile_stack_depth_is_rejected)
{
    tb_init(&tb);
    tb_chunk(&tb, 1, 0, 1000);
    uint8_t rec[16], *p = rec;
    *p++ = MT_TAG_STACK;
    p = mt_put_uv(p, 1);
    p = mt_put_uv(p, 1ull << 40); /* 2^40 frames */
    tb_raw(&tb, rec, (size_t)(p - rec));
    struct seen s;
    struct mta_error err;
    cr_assert_neq(read_trace(&tb, 0, &s, &err), 0);
    cr_assert(strstr(err.msg, "more frames"), "%s", err.msg);
}

Test(trace_reader, record_cut_short_in_chunk)
{
    tb_init(&tb);
    tb_chunk(&tb, 1, 0, 1000);
    uint8_t rec[2] = {MT_TAG_ALLOC, 0x81}; /* varint continues past the end */
    tb_raw(&tb, rec, 2);
    struct seen s;
    struct mta_error err;
    cr_assert_neq(read_trace(&tb, 0, &s, &err), 0);
    cr_assert(strstr(err.msg, "cut short"), "%s", err.msg);
}

Test(trace_reader, truncated_file_is_flagged_and_readable_part_kept)
{
    tb_init(&tb);
    tb_chunk(&tb, 1, 0, 1000);
    for (int i = 0; i < 100; i++)
        tb_alloc(&tb, 1001 + (uint64_t)i, MT_KIND_MALLOC, 0x1000 + 16 * (uint64_t)i, 8, 1, 0);
    tb_chunk(&tb, 1, 1, 2000);
    tb_alloc(&tb, 2001, MT_KIND_MALLOC, 0x9000, 8, MT_SRC_BRK, 0);
    struct seen s;
    struct mta_error err;
    /* cut inside the first chunk's records: the second chunk is gone */
    cr_assert_eq(read_trace(&tb, MT_HEADER_SIZE + 32 + 50 * 5, &s, &err), 0, "%s", err.msg);
    cr_assert(s.info.truncated);
    cr_assert_gt(s.n, 10);
    cr_assert_lt(s.n, 100);
}

static uint64_t cut_ids[8];
static int ncut;

static void on_stack_cut(void *ctx, uint64_t id)
{
    (void)ctx;
    if (ncut < 8)
        cut_ids[ncut++] = id;
}

Test(trace_reader, stack_cut_at_the_depth_limit)
{
    tb_init(&tb);
    tb_chunk(&tb, 7, 0, 1000);
    uint64_t frames[2] = {0x401000, 0x401100};
    tb_stack(&tb, 1, frames, 2);
    uint8_t *tag = tb.pos;
    tb_stack(&tb, 2, frames, 2);
    *tag = MT_TAG_STACK_CUT; /* the same layout, another tag */
    tb_alloc(&tb, 1010, MT_KIND_MALLOC, 0x555500001000, 100, MT_SRC_BRK, 2);
    struct seen s;
    memset(&s, 0, sizeof s);
    struct mta_error err;
    memset(&err, 0, sizeof err);
    ncut = 0;
    const char *path = tb_write(&tb, 0);
    struct mta_sink sink = {.ctx = &s, .stack = on_stack, .event = on_event, .done = on_done,
                            .stack_cut = on_stack_cut};
    int rc = mta_read_binary(path, &sink, &err);
    unlink(path);
    cr_assert_eq(rc, 0, "%s", err.msg);
    cr_assert_eq(s.nstacks, 2);
    cr_assert_eq(s.stack_depth[1], 2);
    cr_assert_eq(ncut, 1);
    cr_assert_eq(cut_ids[0], 2);
    cr_assert_eq(s.n, 1);
    /* a sink without stack_cut reads the same trace */
    memset(&s, 0, sizeof s);
    cr_assert_eq(read_trace(&tb, 0, &s, &err), 0, "%s", err.msg);
    cr_assert_eq(s.nstacks, 2);
}

/* A writer killed while it copied a full chunk to the end of the file
 * (writer.c, spill) leaves the same chunk twice: the copy, and the
 * original, perhaps already emptied.  Each event is read once. */
Test(trace_reader, spilled_chunk_twins_are_read_once)
{
    for (int emptied = 0; emptied < 2; emptied++) {
        tb_init(&tb);
        tb_chunk(&tb, 5, 3, 1000); /* the original */
        tb_alloc(&tb, 1001, MT_KIND_MALLOC, 0x1000, 8, MT_SRC_BRK, 0);
        tb_free(&tb, 1002, 0x1000);
        tb_chunk(&tb, 5, 3, 1000); /* its copy */
        tb_alloc(&tb, 1001, MT_KIND_MALLOC, 0x1000, 8, MT_SRC_BRK, 0);
        tb_free(&tb, 1002, 0x1000);
        tb_chunk(&tb, 5, 4, 1003); /* what came after */
        tb_alloc(&tb, 1004, MT_KIND_MALLOC, 0x2000, 16, MT_SRC_BRK, 0);
        tb_close_chunk(&tb);
        if (emptied) /* the original was emptied before the kill */
            ((struct mt_chunk_header *)(tb.buf + MT_HEADER_SIZE))->used = 0;
        struct seen s;
        struct mta_error err;
        cr_assert_eq(read_trace(&tb, 0, &s, &err), 0, "%s", err.msg);
        cr_assert_eq(s.n, 3, "emptied %d: %d events", emptied, s.n);
        cr_assert_eq(s.ev[0].type, MTA_EV_ALLOC);
        cr_assert_eq(s.ev[1].type, MTA_EV_FREE);
        cr_assert_eq(s.ev[2].ptr, 0x2000ull);
        cr_assert_eq(s.info.chunks, 2);
    }
}
