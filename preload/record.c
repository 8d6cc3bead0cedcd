/* Encoding of records into the calling thread's current chunk (format.h). */
#include <string.h>

#include "mtrace/varint.h"
#include "glibc.h"
#include "shim.h"

void mt_record_realloc(struct mt_thread *t, void *old, void *p, size_t size,
                       uint32_t stack)
{
    struct mt_cursor *c = mt_cursor_of(t);
    uint64_t now = mt_event_ticks(c, 1); /* frees old */
    uint8_t *o = mt_reserve(t, c, 1 + 5 * MT_VARINT_MAX, now);
    if (MT_UNLIKELY(!o)) {
        mt_lost_event();
        return;
    }
    uint64_t optr = (uintptr_t)old, nptr = (uintptr_t)p;
    *o++ = MT_TAG_REALLOC;
    o = mt_put_sv(o, (int64_t)(now - c->last_ticks));
    o = mt_put_sv(o, (int64_t)(optr - c->last_ptr));
    o = mt_put_sv(o, (int64_t)(nptr - optr));
    o = mt_put_uv(o, (uint64_t)size << 2 | (p ? mt_glibc_source(p) : 0));
    o = mt_put_uv(o, stack);
    c->last_ticks = now;
    c->last_ptr = nptr;
    mt_commit(c, o);
}

int mt_record_stack(struct mt_thread *t, uint32_t id, const uintptr_t *frames, unsigned n,
                    int cut)
{
    struct mt_cursor *c = mt_cursor_of(t);
    uint8_t *o = mt_reserve(t, c, 1 + (2 + (size_t)n) * MT_VARINT_MAX, mt_ticks());
    if (!o)
        return -1;
    *o++ = cut ? MT_TAG_STACK_CUT : MT_TAG_STACK;
    o = mt_put_uv(o, id);
    o = mt_put_uv(o, n);
    uint64_t prev = 0;
    for (unsigned i = 0; i < n; i++) {
        o = mt_put_sv(o, (int64_t)(frames[i] - prev));
        prev = frames[i];
    }
    mt_commit(c, o);
    return 0;
}

void mt_record_map(struct mt_thread *t, const struct mt_map_record *m)
{
    struct mt_cursor *c = mt_cursor_of(t);
    uint64_t ticks = mt_ticks();
    uint8_t *o = mt_reserve(t, c, 1 + 11 * MT_VARINT_MAX + m->pathlen, ticks);
    if (!o) {
        mt_lost_event();
        return;
    }
    *o++ = MT_TAG_MAP;
    o = mt_put_sv(o, (int64_t)(ticks - c->last_ticks));
    o = mt_put_uv(o, m->op);
    o = mt_put_uv(o, m->addr);
    o = mt_put_uv(o, m->len);
    o = mt_put_uv(o, m->naddr);
    o = mt_put_uv(o, m->nlen);
    o = mt_put_uv(o, m->prot);
    o = mt_put_uv(o, m->flags);
    o = mt_put_uv(o, m->cause);
    o = mt_put_uv(o, m->stack);
    o = mt_put_uv(o, m->pathlen);
    if (m->pathlen)
        memcpy(o, m->path, m->pathlen);
    c->last_ticks = ticks;
    mt_commit(c, o + m->pathlen);
}

/* Length-prefixed payloads: TAG_INFO (uv kind) and TAG_MAPS (sv dt, uv reason).
 * Returns where the record starts in the chunk (it ends at the cursor). */
static const uint8_t *record_payload(struct mt_thread *t, unsigned tag, unsigned kind,
                                     const void *data, size_t len)
{
    struct mt_cursor *c = mt_cursor_of(t);
    uint64_t now = mt_ticks();
    uint8_t *o = mt_reserve(t, c, 1 + 3 * MT_VARINT_MAX + len, now);
    if (!o) {
        mt_lost_event();
        return NULL;
    }
    const uint8_t *start = o;
    *o++ = (uint8_t)tag;
    if (tag != MT_TAG_INFO) {
        o = mt_put_sv(o, (int64_t)(now - c->last_ticks));
        c->last_ticks = now;
    }
    o = mt_put_uv(o, kind);
    o = mt_put_uv(o, len);
    memcpy(o, data, len);
    mt_commit(c, o + len);
    return start;
}

const uint8_t *mt_record_info(struct mt_thread *t, unsigned kind, const void *data,
                              size_t len)
{
    return record_payload(t, MT_TAG_INFO, kind, data, len);
}

void mt_record_blob(struct mt_thread *t, unsigned tag, unsigned reason,
                    const void *data, size_t len)
{
    record_payload(t, tag, reason, data, len);
}

/* An info record whose bytes `fill` writes straight into the trace (at most
 * `max` of them; it returns how many): no buffer on the stack or heap.
 * Returns where the record starts (NULL if lost). */
const uint8_t *mt_record_info_filled(struct mt_thread *t, unsigned kind, size_t max,
                                     size_t (*fill)(char *buf, size_t cap))
{
    struct mt_cursor *c = mt_cursor_of(t);
    uint8_t *o = mt_reserve(t, c, 1 + MT_VARINT_MAX + 5 + max, mt_ticks());
    if (!o) {
        mt_lost_event();
        return NULL;
    }
    const uint8_t *start = o;
    *o++ = MT_TAG_INFO;
    o = mt_put_uv(o, kind);
    size_t n = fill((char *)o + 5, max);
    mt_put_uv_padded(o, n, 5);
    mt_commit(c, o + 5 + n);
    return start;
}
