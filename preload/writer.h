/* Internals shared by the trace writer's two chunk layouts: writer.c (the
 * file grows, chunks back to back) and ring.c (MTRACE_RING: a fixed chunk
 * area whose slots are reused oldest first). */
#ifndef MT_WRITER_H
#define MT_WRITER_H

#include "shim.h"

struct mt_writer {
    int fd;
    uint8_t *base;      /* reserved range; base[0..] is the file */
    uint64_t reserved;  /* bytes of address space reserved */
    uint64_t mapped;    /* bytes of the file mapped (== file size) */
    mt_spin grow_lock;
    int full;           /* the file cannot grow: later events are lost */
    int ring;           /* MTRACE_RING in force */
    char path[4096];
    /* traces of earlier generations (a fork child replaces its parent's
     * mapping with private memory it keeps): the tracer's own, not scanned */
    struct { uint8_t *base; uint64_t len; } abandoned[8];
    unsigned n_abandoned;
};
extern struct mt_writer mt_w MT_HIDDEN;

/* Fills a freshly claimed chunk's header (magic last) and points c at it;
 * -1 (errno) if its pages cannot be faulted in: the chunk is not used. */
int mt_chunk_start(struct mt_thread *t, struct mt_cursor *c, uint64_t off, uint64_t size,
                    uint64_t seq, uint64_t ticks) MT_HIDDEN;

/* Sizes the file to exactly `size` bytes, all mapped (ring mode). */
int mt_writer_map_exact(uint64_t size) MT_HIDDEN;

/* ring.c */
int mt_ring_open(struct mt_file_header *h) MT_HIDDEN;
uint8_t *mt_ring_claim(struct mt_thread *t, struct mt_cursor *c, size_t need,
                       uint64_t ticks) MT_HIDDEN;
void mt_ring_release(struct mt_cursor *c) MT_HIDDEN;
void mt_ring_abandon(void) MT_HIDDEN;
/* The process description (info and module records) that ring mode writes
 * again every half ring, so that a trace that kept only its newest chunks can
 * still name its program and symbolise.  procfs.c clears a part and adds the
 * records as it writes them. */
enum { MT_BLOB_INFO = 0, MT_BLOB_MODULES = 1, MT_BLOB_PARTS = 2 };
void mt_ring_blob_clear(int part) MT_HIDDEN;
void mt_ring_blob_add(int part, const uint8_t *rec, size_t len) MT_HIDDEN;

#endif
