/* Builds small binary traces in memory for the reader's unit tests, with
 * the same encoders the shim uses (include/mtrace/varint.h). */
#ifndef TRACE_BUILDER_H
#define TRACE_BUILDER_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mtrace/format.h"
#include "mtrace/varint.h"

struct tb {
    uint8_t buf[1 << 20];
    size_t len;          /* bytes used in buf */
    size_t chunk;        /* offset of the open chunk's header, 0 if none */
    uint8_t *pos;
    uint64_t last_ticks, last_ptr;
};

static inline void tb_init(struct tb *t)
{
    memset(t, 0, sizeof *t);
    struct mt_file_header *h = (struct mt_file_header *)t->buf;
    memcpy(h->magic, MT_FILE_MAGIC, 8);
    h->version = MT_FORMAT_VERSION;
    h->header_size = MT_HEADER_SIZE;
    h->chunk_size = 4096;
    h->pid = 42;
    h->ticks_start = 1000;
    h->ns_start = 5000;
    h->ticks_end = h->ticks_last = 1000 + 1000000;
    h->ns_end = h->ns_last = 5000 + 1000000; /* 1 tick = 1 ns */
    h->end_state = MT_END_EXIT;
    t->len = MT_HEADER_SIZE;
}

static inline void tb_close_chunk(struct tb *t)
{
    if (!t->chunk)
        return;
    struct mt_chunk_header *ch = (struct mt_chunk_header *)(t->buf + t->chunk);
    ch->used = (uint32_t)(t->pos - (uint8_t *)(ch + 1));
    t->chunk = 0;
}

static inline void tb_chunk(struct tb *t, uint32_t tid, uint64_t seq, uint64_t ticks0)
{
    tb_close_chunk(t);
    struct mt_chunk_header *ch = (struct mt_chunk_header *)(t->buf + t->len);
    ch->magic = MT_CHUNK_MAGIC;
    ch->size = 4096;
    ch->seq = seq;
    ch->tid = tid;
    ch->ticks0 = ticks0;
    t->chunk = t->len;
    t->len += 4096;
    t->pos = (uint8_t *)(ch + 1);
    t->last_ticks = ticks0;
    t->last_ptr = 0;
    ((struct mt_file_header *)t->buf)->data_end = t->len;
}

static inline void tb_alloc(struct tb *t, uint64_t ticks, unsigned kind, uint64_t ptr,
                            uint64_t size, unsigned src, uint64_t stack)
{
    *t->pos++ = (uint8_t)(MT_TAG_ALLOC + kind);
    t->pos = mt_put_sv(t->pos, (int64_t)(ticks - t->last_ticks));
    t->pos = mt_put_sv(t->pos, (int64_t)(ptr - t->last_ptr));
    t->pos = mt_put_uv(t->pos, size << 2 | src);
    t->pos = mt_put_uv(t->pos, stack);
    t->last_ticks = ticks;
    t->last_ptr = ptr;
}

static inline void tb_free(struct tb *t, uint64_t ticks, uint64_t ptr)
{
    *t->pos++ = MT_TAG_FREE;
    t->pos = mt_put_sv(t->pos, (int64_t)(ticks - t->last_ticks));
    t->pos = mt_put_sv(t->pos, (int64_t)(ptr - t->last_ptr));
    t->last_ticks = ticks;
    t->last_ptr = ptr;
}

static inline void tb_realloc(struct tb *t, uint64_t ticks, uint64_t old, uint64_t ptr,
                              uint64_t size, uint64_t stack)
{
    *t->pos++ = MT_TAG_REALLOC;
    t->pos = mt_put_sv(t->pos, (int64_t)(ticks - t->last_ticks));
    t->pos = mt_put_sv(t->pos, (int64_t)(old - t->last_ptr));
    t->pos = mt_put_sv(t->pos, (int64_t)(ptr - old));
    t->pos = mt_put_uv(t->pos, size << 2 | MT_SRC_BRK);
    t->pos = mt_put_uv(t->pos, stack);
    t->last_ticks = ticks;
    t->last_ptr = ptr;
}

static inline void tb_stack(struct tb *t, uint64_t id, const uint64_t *frames, unsigned n)
{
    *t->pos++ = MT_TAG_STACK;
    t->pos = mt_put_uv(t->pos, id);
    t->pos = mt_put_uv(t->pos, n);
    uint64_t prev = 0;
    for (unsigned i = 0; i < n; i++) {
        t->pos = mt_put_sv(t->pos, (int64_t)(frames[i] - prev));
        prev = frames[i];
    }
}

static inline void tb_raw(struct tb *t, const void *bytes, size_t n)
{
    memcpy(t->pos, bytes, n);
    t->pos += n;
}

/* Writes the trace to a temporary file; returns its path (static buffer). */
static inline const char *tb_write(struct tb *t, size_t cut_at)
{
    static char path[64];
    tb_close_chunk(t);
    snprintf(path, sizeof path, "/tmp/mtrace-unit-XXXXXX");
    int fd = mkstemp(path);
    size_t n = cut_at && cut_at < t->len ? cut_at : t->len;
    FILE *f = fdopen(fd, "wb");
    fwrite(t->buf, 1, n, f);
    fclose(f);
    return path;
}

#endif
