/* The two records of the hot path, inline in the hooks (hooks_malloc.c):
 * a call into record.c cost as much as the encoding (saving and restoring
 * registers).  The other records are in record.c. */
#ifndef MT_RECORD_HOT_H
#define MT_RECORD_HOT_H

#include "mtrace/varint.h"
#include "glibc.h"
#include "shim.h"

static inline __attribute__((always_inline)) void mt_record_alloc(struct mt_thread *t, unsigned kind, void *p, size_t size,
                     uint32_t stack)
{
    struct mt_cursor *c = mt_cursor_of(t);
    uint64_t now = mt_event_ticks(c, 0);
    uint8_t *o = mt_reserve(t, c, 1 + 4 * MT_VARINT_MAX, now);
    if (MT_UNLIKELY(!o)) {
        mt_lost_event();
        return;
    }
    uint64_t ptr = (uintptr_t)p;
    *o++ = (uint8_t)(MT_TAG_ALLOC + kind);
    o = mt_put_sv(o, (int64_t)(now - c->last_ticks));
    o = mt_put_sv(o, (int64_t)(ptr - c->last_ptr));
    o = mt_put_uv(o, (uint64_t)size << 2 | mt_glibc_source(p));
    o = mt_put_uv(o, stack);
    c->last_ticks = now;
    c->last_ptr = ptr;
    mt_commit(c, o);
}

static inline __attribute__((always_inline)) void mt_record_free(struct mt_thread *t, void *p)
{
    struct mt_cursor *c = mt_cursor_of(t);
    uint64_t now = mt_event_ticks(c, 1);
    uint8_t *o = mt_reserve(t, c, 1 + 2 * MT_VARINT_MAX, now);
    if (MT_UNLIKELY(!o)) {
        mt_lost_event();
        return;
    }
    uint64_t ptr = (uintptr_t)p;
    *o++ = MT_TAG_FREE;
    o = mt_put_sv(o, (int64_t)(now - c->last_ticks));
    o = mt_put_sv(o, (int64_t)(ptr - c->last_ptr));
    c->last_ticks = now;
    c->last_ptr = ptr;
    mt_commit(c, o);
}

#endif
