/* Leak classes from the scan at exit (leak_reach.c): memcheck's rules on
 * hand-made graphs, and untrusted scan records. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "leak_reach.h"
#include "mtrace/varint.h"

#define ROOT_LO 0x100000u

static const struct mta_reach_range ranges[] = {
    {0x1000, 0xc000, MT_SCAN_HEAP},
    {ROOT_LO, ROOT_LO + 0x1000, MT_SCAN_ROOT},
    {0x200000, 0x201000, MT_SCAN_OWN},
};

static unsigned cls_of(const struct mta_reach_block *b, size_t n, uint64_t ptr)
{
    for (size_t i = 0; i < n; i++)
        if (b[i].ptr == ptr)
            return b[i].cls;
    cr_assert_fail("no block at %llx", (unsigned long long)ptr);
    return 99;
}

Test(leak_reach, memcheck_classes)
{
    struct mta_reach_block b[] = {
        {0x1000, 64, 0, 0}, /* A: a root points at its start: reachable */
        {0x2000, 64, 1, 0}, /* B: only A + 16 -> B + 16: possibly lost */
        {0x3000, 64, 2, 0}, /* C: only from B (possible): possibly lost */
        {0x4000, 64, 3, 0}, /* D: from B (possible) and a root's start: reachable */
        {0x5000, 64, 4, 0}, /* E <-> F: a lost cycle; E leads: definitely */
        {0x6000, 64, 5, 0}, /* F: indirectly */
        {0x7000, 64, 6, 0}, /* G: points at A only: definitely lost */
        {0x9800, 32, 7, 0}, /* K: only J points to it: indirectly (J at a higher
                               address is a later leader and absorbs K) */
        {0xa000, 32, 8, 0}, /* J: definitely lost */
        {0xb000, 0, 9, 0},  /* Z: zero-sized, a root points at it: reachable */
        {0xb800, 64, 10, 0} /* W: only malloc's own word (heap space outside
                               blocks) and the tracer's own memory point at it */
    };
    size_t n = sizeof b / sizeof b[0];
    uint64_t pairs[][2] = {
        {0x2010, 0x3000},          /* B -> C */
        {ROOT_LO + 8, 0x4000},     /* root -> D */
        {0x1010, 0x2010},          /* A -> B + 16 */
        {ROOT_LO, 0x1000},         /* root -> A */
        {0x2018, 0x4000},          /* B -> D */
        {0x5000, 0x6000},          /* E -> F */
        {0x6008, 0x5000},          /* F -> E */
        {0x7000, 0x1000},          /* G -> A */
        {0xa000, 0x9800},          /* J -> K */
        {ROOT_LO + 16, 0xb000},    /* root -> Z */
        {0x1800, 0xb800},          /* heap space, outside blocks -> W */
        {0x200008, 0xb800},        /* tracer's own -> W */
        {0x1040, 0x7000},          /* past A's end (slack): not an edge -> G */
        {0x300000, 0x9800},        /* not in any range -> K */
    };
    uint64_t roots = 0, edges = 0;
    cr_assert_eq(mta_reach_classify(b, n, pairs, sizeof pairs / sizeof pairs[0], ranges,
                                    sizeof ranges / sizeof ranges[0], &roots, &edges), 0);
    cr_expect_eq(roots, 3);
    cr_expect_eq(edges, 7);
    cr_expect_eq(cls_of(b, n, 0x1000), MTA_LEAK_REACHABLE);
    cr_expect_eq(cls_of(b, n, 0x2000), MTA_LEAK_POSSIBLE);
    cr_expect_eq(cls_of(b, n, 0x3000), MTA_LEAK_POSSIBLE);
    cr_expect_eq(cls_of(b, n, 0x4000), MTA_LEAK_REACHABLE);
    cr_expect_eq(cls_of(b, n, 0x5000), MTA_LEAK_DEFINITE);
    cr_expect_eq(cls_of(b, n, 0x6000), MTA_LEAK_INDIRECT);
    cr_expect_eq(cls_of(b, n, 0x7000), MTA_LEAK_DEFINITE);
    cr_expect_eq(cls_of(b, n, 0x9800), MTA_LEAK_INDIRECT);
    cr_expect_eq(cls_of(b, n, 0xa000), MTA_LEAK_DEFINITE);
    cr_expect_eq(cls_of(b, n, 0xb000), MTA_LEAK_REACHABLE);
    cr_expect_eq(cls_of(b, n, 0xb800), MTA_LEAK_DEFINITE);
}

Test(leak_reach, possible_is_upgraded_by_a_later_start_pointer)
{
    /* root -> X + 8 (possible), X -> Y (possible), then root -> X start:
     * both become reachable, whatever the order of the words */
    struct mta_reach_block b[] = {{0x1000, 64, 0, 0}, {0x2000, 64, 1, 0}};
    uint64_t pairs[][2] = {{ROOT_LO + 0x10, 0x1000}, {0x1000, 0x2000}, {ROOT_LO, 0x1008}};
    uint64_t roots, edges;
    cr_assert_eq(mta_reach_classify(b, 2, pairs, 3, ranges, 3, &roots, &edges), 0);
    cr_expect_eq(b[0].cls, MTA_LEAK_REACHABLE);
    cr_expect_eq(b[1].cls, MTA_LEAK_REACHABLE);
}

static struct mta_event scan_event(unsigned tag, unsigned what, const uint8_t *p, size_t n)
{
    struct mta_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = MTA_EV_SCAN;
    ev.op = tag;
    ev.reason = what;
    ev.text = (const char *)p;
    ev.text_len = n;
    return ev;
}

static size_t end_record(uint8_t *buf, uint64_t pairs)
{
    uint8_t *o = buf;
    o = mt_put_uv(o, 1);
    o = mt_put_uv(o, pairs);
    o = mt_put_uv(o, 100);
    o = mt_put_uv(o, 5);
    o = mt_put_uv(o, 0x7fff0000);
    return (size_t)(o - buf);
}

Test(leak_reach, records_through_the_sink)
{
    struct mta_live live;
    cr_assert_eq(mta_live_init(&live), 0);
    struct mta_block a = {0x1000, 64, 1, 0, 1, 0, 0, 0}, c = {0x5000, 8, 1, 0, 1, 0, 0, 0};
    cr_assert_eq(mta_live_put(&live, &a, NULL), 0);
    cr_assert_eq(mta_live_put(&live, &c, NULL), 0);
    struct mta_reach r;
    memset(&r, 0, sizeof r);
    uint8_t buf[64], *o = buf;
    o = mt_put_uv(o, ROOT_LO / 8); /* root -> a */
    o = mt_put_sv(o, 0x1000);
    struct mta_event ev = scan_event(MT_TAG_SCAN_WORDS, 0, buf, (size_t)(o - buf));
    mta_reach_on_event(&r, &ev, &live);
    o = buf;
    o = mt_put_uv(o, ROOT_LO);
    o = mt_put_uv(o, 0x1000);
    o = mt_put_uv(o, MT_SCAN_ROOT);
    ev = scan_event(MT_TAG_SCAN, MT_SCAN_RANGES, buf, (size_t)(o - buf));
    mta_reach_on_event(&r, &ev, &live);
    ev = scan_event(MT_TAG_SCAN, MT_SCAN_END, buf, end_record(buf, 1));
    mta_reach_on_event(&r, &ev, &live);
    cr_assert(r.complete, "%s", r.why);
    struct mta_block got;
    cr_assert(mta_live_take(&live, 0x1000, &got));
    cr_expect_eq(mta_reach_class(&r, &got), MTA_LEAK_REACHABLE);
    cr_assert(mta_live_take(&live, 0x5000, &got));
    cr_expect_eq(mta_reach_class(&r, &got), MTA_LEAK_DEFINITE);
    struct mta_block later = {0x9000, 8, 2, 0, 1, 0, 0, 0}; /* allocated after the scan */
    cr_expect_eq(mta_reach_class(&r, &later), MTA_LEAK_UNSCANNED);
    mta_reach_free(&r);
    mta_live_free(&live);
}

Test(leak_reach, bad_records_fail_without_a_verdict)
{
    struct mta_live live;
    cr_assert_eq(mta_live_init(&live), 0);
    uint8_t buf[64];
    const uint8_t cut[] = {0x80}; /* a varint cut short */
    const uint8_t bad_class[] = {0x10, 0x10, 0x09};
    const uint8_t past_end[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00};
    struct { unsigned tag, what; const uint8_t *p; size_t n; } cases[] = {
        {MT_TAG_SCAN_WORDS, 0, cut, sizeof cut},
        {MT_TAG_SCAN, MT_SCAN_RANGES, bad_class, sizeof bad_class},
        {MT_TAG_SCAN_WORDS, 0, past_end, sizeof past_end},
        {MT_TAG_SCAN, 77, cut, 0},
        {MT_TAG_SCAN, MT_SCAN_END, buf, 0},          /* empty end record */
        {MT_TAG_SCAN, MT_SCAN_END, buf, 0},          /* pair count differs (below) */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mta_reach r;
        memset(&r, 0, sizeof r);
        size_t n = cases[i].n;
        if (i == 5)
            n = end_record(buf, 3);
        struct mta_event ev = scan_event(cases[i].tag, cases[i].what, cases[i].p, n);
        mta_reach_on_event(&r, &ev, &live);
        if (!r.failed) {
            ev = scan_event(MT_TAG_SCAN, MT_SCAN_END, buf, end_record(buf, 1));
            mta_reach_on_event(&r, &ev, &live);
        }
        cr_expect(r.failed && !r.complete, "case %zu", i);
        cr_expect(r.why[0], "case %zu has no reason", i);
        mta_reach_free(&r);
    }
    mta_live_free(&live);
}
