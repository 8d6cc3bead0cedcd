/* The model's peak holders, temporaries and usage series, and the folded /
 * flame views, on hand-built traces whose answers are known. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"
#include "trace_builder.h"
#include "view_folded.h"
#include "view_usage.h"

static struct tb tb;

static void load(struct tb *t, struct mta_model *m)
{
    const char *path = tb_write(t, 0);
    struct mta_error err = {{0}, 0};
    cr_assert_eq(mta_model_init(m), 0);
    int rc = mta_model_load(m, path, &err);
    unlink(path);
    cr_assert_eq(rc, 0, "%s", err.msg);
}

static void three_stacks(void)
{
    tb_init(&tb);
    tb_chunk(&tb, 7, 0, 1000);
    for (uint64_t id = 1; id <= 3; id++) {
        uint64_t f[1] = {0x401000 + 16 * id};
        tb_stack(&tb, id, f, 1);
    }
}

/* Peaks rise several times and their holders change in between: each
 * stack's figures are those at the last (highest) peak, not at its own. */
Test(peak, holders_are_those_of_the_highest_moment)
{
    three_stacks();
    tb_alloc(&tb, 1010, MT_KIND_MALLOC, 0x10000, 100, MT_SRC_BRK, 1); /* 100 */
    tb_alloc(&tb, 1020, MT_KIND_MALLOC, 0x20000, 50, MT_SRC_BRK, 2);  /* 150: peak */
    tb_free(&tb, 1030, 0x10000);                                        /* 50 */
    tb_alloc(&tb, 1040, MT_KIND_MALLOC, 0x30000, 120, MT_SRC_MMAP, 3); /* 170: peak */
    tb_alloc(&tb, 1050, MT_KIND_MALLOC, 0x40000, 10, MT_SRC_BRK, 1);  /* 180: peak */
    tb_free(&tb, 1060, 0x30000);
    tb_alloc(&tb, 1070, MT_KIND_MALLOC, 0x50000, 100, MT_SRC_BRK, 1); /* 160 */
    tb_close_chunk(&tb);
    struct mta_model m;
    load(&tb, &m);
    cr_assert_eq(m.peak_bytes, 180);
    uint32_t s1 = mta_stacks_index(&m.stacks, 1), s2 = mta_stacks_index(&m.stacks, 2),
             s3 = mta_stacks_index(&m.stacks, 3);
    cr_assert_eq(m.sites[s1].peak_bytes, 10);
    cr_assert_eq(m.sites[s1].peak_blocks, 1);
    cr_assert_eq(m.sites[s2].peak_bytes, 50);
    cr_assert_eq(m.sites[s3].peak_bytes, 120);
    cr_assert_eq(m.sites[s1].peak_bytes + m.sites[s2].peak_bytes + m.sites[s3].peak_bytes,
                 m.peak_bytes);
    mta_model_free(&m);
}

/* Freed before the thread allocated again: temporary; freed after: not. */
Test(temporary, freed_before_the_next_allocation)
{
    three_stacks();
    tb_alloc(&tb, 1010, MT_KIND_MALLOC, 0x10000, 8, MT_SRC_BRK, 1);
    tb_free(&tb, 1020, 0x10000);                                       /* temporary */
    tb_alloc(&tb, 1030, MT_KIND_MALLOC, 0x20000, 8, MT_SRC_BRK, 2);
    tb_alloc(&tb, 1040, MT_KIND_MALLOC, 0x30000, 8, MT_SRC_BRK, 3);
    tb_free(&tb, 1050, 0x20000);                                       /* not: 3 came between */
    tb_free(&tb, 1060, 0x30000);                                       /* temporary */
    tb_free(&tb, 1070, 0x30000);                                       /* not live: untracked */
    tb_close_chunk(&tb);
    struct mta_model m;
    load(&tb, &m);
    cr_assert_eq(m.temporary, 2);
    cr_assert_eq(m.sites[mta_stacks_index(&m.stacks, 1)].temporary, 1);
    cr_assert_eq(m.sites[mta_stacks_index(&m.stacks, 2)].temporary, 0);
    cr_assert_eq(m.sites[mta_stacks_index(&m.stacks, 3)].temporary, 1);
    mta_model_free(&m);
}

/* A long trace stays within MTA_USAGE_POINTS and keeps its highest point. */
Test(usage, bounded_and_keeps_the_peak)
{
    three_stacks();
    struct mt_file_header *h = (struct mt_file_header *)tb.buf;
    h->ticks_end = h->ticks_last = 1000 + 20000000; /* 20 ms */
    h->ns_end = h->ns_last = 5000 + 20000000;
    uint64_t t = 1010;
    for (int i = 0; i < 5000; i++) {
        if (i && i % 100 == 0) { /* chunks of a few KiB, as the writer makes them */
            tb_close_chunk(&tb);
            tb_chunk(&tb, 7, (uint64_t)i / 100, t);
        }
        uint64_t size = i == 3333 ? 1000000 : 64;
        tb_alloc(&tb, t += 1997, MT_KIND_MALLOC, 0x10000, size, MT_SRC_BRK, 1 + (unsigned)i % 3);
        tb_free(&tb, t += 1003, 0x10000);
    }
    tb_close_chunk(&tb);
    struct mta_model m;
    load(&tb, &m);
    struct mta_usage_view u;
    mta_usage_view_make(&u, &m);
    cr_assert_leq(u.n, MTA_USAGE_POINTS);
    cr_assert_gt(u.n, 100);
    uint64_t top = 0;
    for (size_t i = 0; i < u.n; i++) {
        top = u.v[i].live_max > top ? u.v[i].live_max : top;
        cr_assert(i == 0 || u.v[i].ns > u.v[i - 1].ns);
    }
    cr_assert_eq(top, m.peak_bytes);
    cr_assert_eq(u.rises[0].to, m.peak_bytes);
    mta_usage_view_free(&u);
    mta_model_free(&m);
}

static struct mta_folded lines(const char *const *text, const uint64_t *w, size_t n)
{
    struct mta_folded f = {calloc(n, sizeof *f.v), n, 0};
    for (size_t i = 0; i < n; i++) {
        f.v[i].frames = strdup(text[i]);
        f.v[i].weight = w[i];
        f.total += w[i];
    }
    return f;
}

static uint32_t child(const struct mta_flame *t, uint32_t parent, const char *name)
{
    for (uint32_t c = t->v[parent].child; c; c = t->v[c].next)
        if (!strcmp(t->v[c].name, name))
            return c;
    return 0;
}

/* Sorted folded lines (';' first) become a tree; small children merge. */
Test(flame, tree_and_merging)
{
    const char *text[] = {"main;a", "main;a;x", "main;a;y", "main;b", "main;b;z", "main;c"};
    const uint64_t w[] = {10, 20, 30, 5, 1000, 1};
    struct mta_folded f = lines(text, w, 6);
    struct mta_flame t;
    mta_flame_make(&t, &f, 0.0, 1000);
    uint32_t main_ = child(&t, 0, "main"), a = child(&t, main_, "a"), b = child(&t, main_, "b");
    cr_assert_eq(t.v[0].weight, 1066);
    cr_assert_eq(t.v[main_].weight, 1066);
    cr_assert_eq(t.v[a].weight, 60);
    cr_assert_eq(t.v[child(&t, a, "y")].weight, 30);
    cr_assert_eq(t.v[b].weight, 1005);
    cr_assert_eq(t.v[child(&t, b, "z")].weight, 1000);
    mta_flame_free(&t);
    mta_flame_make(&t, &f, 0.05, 1000); /* under 53.3: merged */
    main_ = child(&t, 0, "main");
    cr_assert_eq(t.v[child(&t, main_, "[small]")].weight, 1);
    cr_assert_eq(t.v[child(&t, main_, "a")].weight, 60);
    cr_assert_eq(child(&t, child(&t, main_, "a"), "x"), 0);
    cr_assert_eq(t.v[child(&t, child(&t, main_, "a"), "[small]")].weight, 50);
    cr_assert_gt(t.merged, 0);
    mta_flame_free(&t);
    mta_folded_free(&f);
}
