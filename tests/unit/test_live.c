/* The live-block table and the model built on it. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "live.h"
#include "model.h"

Test(live, put_take_and_backward_shift_deletion)
{
    struct mta_live l;
    cr_assert_eq(mta_live_init(&l), 0);
    enum { N = 20000 };
    for (uint64_t i = 1; i <= N; i++) {
        struct mta_block b = {i * 16, i, 0, 0, 1, 0, 0, 0};
        cr_assert_eq(mta_live_put(&l, &b, NULL), 0);
    }
    cr_assert_eq(l.count, N);
    /* take every other one, then every remaining one must still be found */
    for (uint64_t i = 1; i <= N; i += 2) {
        struct mta_block out;
        cr_assert_eq(mta_live_take(&l, i * 16, &out), 1);
        cr_assert_eq(out.size, i);
    }
    for (uint64_t i = 2; i <= N; i += 2) {
        struct mta_block out;
        cr_assert_eq(mta_live_take(&l, i * 16, &out), 1, "lost block %llu",
                     (unsigned long long)i);
    }
    cr_assert_eq(l.count, 0);
    cr_assert_eq(mta_live_take(&l, 16, NULL), 0);
    mta_live_free(&l);
}

Test(live, same_address_twice_replaces)
{
    struct mta_live l;
    mta_live_init(&l);
    struct mta_block a = {0x1000, 10, 0, 0, 1, 0, 0, 0}, b = {0x1000, 20, 0, 0, 1, 0, 0, 0}, old;
    cr_assert_eq(mta_live_put(&l, &a, NULL), 0);
    cr_assert_eq(mta_live_put(&l, &b, &old), 1);
    cr_assert_eq(old.size, 10);
    cr_assert_eq(l.count, 1);
    mta_live_free(&l);
}

static struct mta_event ev(enum mta_ev_type type, uint64_t ns, uint64_t ptr, uint64_t size,
                           uint64_t stack)
{
    struct mta_event e;
    memset(&e, 0, sizeof e);
    e.type = type;
    e.ns = ns;
    e.ptr = ptr;
    e.size = size;
    e.stack = stack;
    e.tid = 1;
    e.source = MT_SRC_BRK;
    return e;
}

Test(model, counts_peak_leaks_and_realloc)
{
    struct mta_model m;
    cr_assert_eq(mta_model_init(&m), 0);
    struct mta_sink s = mta_model_sink(&m);
    uint64_t f1[2] = {0x10, 0x20}, f2[2] = {0x30, 0x20};
    s.stack(s.ctx, 1, f1, 2);
    s.stack(s.ctx, 2, f2, 2);
    s.stack(s.ctx, 3, f1, 2); /* same stack under another thread's id */
    struct mta_event e;
    e = ev(MTA_EV_ALLOC, 1, 0x1000, 100, 1); s.event(s.ctx, &e);
    e = ev(MTA_EV_ALLOC, 2, 0x2000, 50, 2); s.event(s.ctx, &e);
    e = ev(MTA_EV_ALLOC, 3, 0x3000, 25, 3); s.event(s.ctx, &e);
    e = ev(MTA_EV_FREE, 4, 0x2000, 0, 0); s.event(s.ctx, &e);
    e = ev(MTA_EV_REALLOC, 5, 0x4000, 400, 2); e.old_ptr = 0x1000; s.event(s.ctx, &e);
    e = ev(MTA_EV_FREE, 6, 0xdead, 0, 0); s.event(s.ctx, &e);
    mta_model_finish(&m);
    cr_assert_eq(m.allocations, 4);   /* 3 allocs + 1 realloc */
    cr_assert_eq(m.frees, 2);         /* 1 free + realloc's old block */
    cr_assert_eq(m.untracked_frees, 1);
    cr_assert_eq(m.bytes_allocated, 575);
    cr_assert_eq(m.peak_bytes, 425);  /* 25 + 400 after the realloc */
    cr_assert_eq(m.leaked_blocks, 2);
    cr_assert_eq(m.leaked_bytes, 425);
    /* stacks 1 and 3 are one site */
    uint32_t site13 = mta_stacks_index(&m.stacks, 1);
    cr_assert_eq(site13, mta_stacks_index(&m.stacks, 3));
    cr_assert_eq(m.sites[site13].allocs, 2);
    cr_assert_eq(m.sites[site13].leak_bytes, 25);
    cr_assert_eq(m.sites[mta_stacks_index(&m.stacks, 2)].leak_bytes, 400);
    mta_model_free(&m);
}

Test(model, threshold_rises_on_free_of_large_mmapped_chunk)
{
    struct mta_model m;
    mta_model_init(&m);
    struct mta_sink s = mta_model_sink(&m);
    struct mta_event e = ev(MTA_EV_ALLOC, 1, 0x7f0000000010, 200 * 1024, 0);
    e.source = MT_SRC_MMAP;
    s.event(s.ctx, &e);
    e = ev(MTA_EV_FREE, 2, 0x7f0000000010, 0, 0);
    s.event(s.ctx, &e);
    e = ev(MTA_EV_MAP, 3, 0, 0, 0);
    e.op = MT_MAP_CHUNK_MUNMAP;
    e.cause = MT_CAUSE_FREE;
    e.addr = 0x7f0000000000;
    e.len = 208896;
    s.event(s.ctx, &e);
    cr_assert_eq(m.threshold_initial, 128 * 1024);
    cr_assert_eq(m.n_thresholds, 1);
    cr_assert_eq(m.threshold_now, 208896);
    cr_assert_eq(m.thresholds[0].freed_ptr, 0x7f0000000010ull);
    cr_assert_eq(m.thresholds[0].freed_size, 200 * 1024);
    /* a smaller chunk's free does not lower it */
    e.len = 139264;
    s.event(s.ctx, &e);
    cr_assert_eq(m.n_thresholds, 1);
    /* above DEFAULT_MMAP_THRESHOLD_MAX (32 MiB): no change */
    e.len = 64u << 20;
    s.event(s.ctx, &e);
    cr_assert_eq(m.threshold_now, 208896);
    mta_model_free(&m);
}

Test(model, mallopt_freezes_threshold)
{
    struct mta_model m;
    mta_model_init(&m);
    struct mta_sink s = mta_model_sink(&m);
    struct mta_event e = ev(MTA_EV_SETTING, 1, 0, 65536, 0);
    e.kind = (unsigned)-3; /* M_MMAP_THRESHOLD */
    s.event(s.ctx, &e);
    cr_assert_eq(m.threshold_now, 65536);
    cr_assert_eq(m.threshold_dynamic, 0);
    e = ev(MTA_EV_MAP, 2, 0, 0, 0);
    e.op = MT_MAP_CHUNK_MUNMAP;
    e.cause = MT_CAUSE_FREE;
    e.len = 300000;
    s.event(s.ctx, &e);
    cr_assert_eq(m.threshold_now, 65536);
    mta_model_free(&m);
}
