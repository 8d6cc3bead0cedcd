/* MTRACE_RING: the flight recorder.  The same writer with a different chunk
 * layout: the file has a fixed size, header + N slots of MTRACE_CHUNK bytes,
 * and chunk claims wrap around the slots, oldest first.  Slot i holds the
 * chunk whose sequence number is congruent to i modulo N.
 *
 * - A slot that a cursor still writes into (an idle thread's current chunk)
 *   is never taken: the claim moves on to the next sequence number.
 * - Before a slot is reused, the time of the last record of the chunk it held
 *   raises the header's ring_start_ticks: every event at or after that time
 *   is still in the file, so the analyzer reports on [ring_start, end] and
 *   knows that a block allocated earlier may have had its free overwritten.
 * - Stacks are re-emitted into the chunk of the event that uses them
 *   (stack.c), and the process description (command line, executable,
 *   tunables, modules) every half ring, so what survives stays readable. */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "options.h"
#include "writer.h"

#define MIN_SLOTS 8

struct blob {
    uint8_t *buf;   /* records, each preceded by its length (uint32) */
    size_t len, cap;
};

/* Kept in every mode: a fork child that cannot walk the loader's list
 * writes the modules from here (mt_write_cached_modules). */
static struct blob part[MT_BLOB_PARTS];
static volatile int blob_lock;

static struct {
    uint32_t n;             /* slots */
    uint64_t slot_bytes;
    uint8_t *busy;          /* per slot: a cursor writes into it */
    uint64_t *last_ticks;   /* per slot: last record time of the chunk it holds */
    uint8_t *held;          /* per slot: has held a chunk */
    size_t arrays_bytes;
    int emit_part;          /* re-emission in progress: where it stands */
    size_t emit_off;
    uint64_t blob_seq;      /* sequence number of the last full emission's start */
    uint64_t emit_start;
    int emitting;
} r;

int mt_ring_open(struct mt_file_header *h)
{
    uint64_t slot = mt_opt.chunk_bytes;
    uint64_t n = mt_opt.ring_bytes / slot;
    if (n < MIN_SLOTS) {
        mt_warn("MTRACE_RING=%llu holds fewer than %d chunks of MTRACE_CHUNK=%llu; using %d",
                (unsigned long long)mt_opt.ring_bytes, MIN_SLOTS, (unsigned long long)slot,
                MIN_SLOTS);
        n = MIN_SLOTS;
    }
    if (n > UINT32_MAX)
        n = UINT32_MAX;
    memset(&r, 0, sizeof r);
    r.n = (uint32_t)n;
    r.slot_bytes = slot;
    r.arrays_bytes = n * (2 + sizeof(uint64_t));
    uint8_t *arrays = mt_os_alloc(r.arrays_bytes);
    if (!arrays) {
        errno = 0; /* not the file system's doing */
        return -1;
    }
    r.last_ticks = (uint64_t *)arrays;
    r.busy = arrays + n * sizeof(uint64_t);
    r.held = r.busy + n;
    if (mt_writer_map_exact(MT_HEADER_SIZE + n * slot))
        return -1;
    h->flags |= MT_HDR_RING;
    h->ring_bytes = n * slot;
    h->data_end = MT_HEADER_SIZE + n * slot;
    return 0;
}

void mt_ring_abandon(void)
{
    mt_os_free(r.last_ticks, r.arrays_bytes);
    memset(&r, 0, sizeof r);
}

static int slot_of(const struct mt_chunk_header *ch, uint32_t *slot)
{
    uintptr_t off = (uintptr_t)((const uint8_t *)ch - mt_w.base);
    if ((const uint8_t *)ch < mt_w.base || off < MT_HEADER_SIZE || !r.n)
        return -1;
    uint64_t i = (off - MT_HEADER_SIZE) / r.slot_bytes;
    if (i >= r.n)
        return -1;
    *slot = (uint32_t)i;
    return 0;
}

void mt_ring_release(struct mt_cursor *c)
{
    uint32_t j;
    if (slot_of(c->chunk, &j))
        return; /* not a chunk of this file (a fork child's inherited cursor) */
    __atomic_store_n(&r.last_ticks[j], c->last_ticks, __ATOMIC_RELAXED);
    __atomic_store_n(&r.busy[j], 0, __ATOMIC_RELEASE);
}

static void raise_window(uint64_t ticks)
{
    uint64_t cur = __atomic_load_n(&mt_header->ring_start_ticks, __ATOMIC_RELAXED);
    while (ticks > cur && !__atomic_compare_exchange_n(&mt_header->ring_start_ticks, &cur,
                                                        ticks, 1, __ATOMIC_RELEASE,
                                                        __ATOMIC_RELAXED))
        ;
}

static int blob_trylock(void)
{
    return !__atomic_exchange_n(&blob_lock, 1, __ATOMIC_ACQUIRE);
}

static void blob_unlock(void)
{
    __atomic_store_n(&blob_lock, 0, __ATOMIC_RELEASE);
}

/* Copies the process description into the fresh chunk, as far as it fits
 * leaving `keep` bytes; the rest follows in the next chunks claimed. */
static void reemit(struct mt_cursor *c, uint64_t seq, size_t keep)
{
    if (!__atomic_load_n(&r.emitting, __ATOMIC_RELAXED) &&
        seq - __atomic_load_n(&r.blob_seq, __ATOMIC_RELAXED) < r.n / 2)
        return;
    /* in a section: the blob's lock is never held by an interrupted frame */
    struct mt_internal in;
    mt_internal_begin(&in);
    if (!blob_trylock()) {
        mt_internal_end(&in);
        return; /* being rebuilt, or emitted by another claim */
    }
    if (!r.emitting && seq - r.blob_seq >= r.n / 2) {
        r.emitting = 1;
        r.emit_part = 0;
        r.emit_off = 0;
        r.emit_start = seq;
    }
    while (r.emitting) {
        struct blob *b = &part[r.emit_part];
        if (r.emit_off >= b->len) {
            r.emit_off = 0;
            if (++r.emit_part == MT_BLOB_PARTS) {
                r.emitting = 0;
                r.blob_seq = r.emit_start;
            }
            continue;
        }
        uint32_t len;
        memcpy(&len, b->buf + r.emit_off, sizeof len);
        if ((size_t)(c->end - c->pos) < len + keep)
            break;
        memcpy(c->pos, b->buf + r.emit_off + sizeof len, len);
        mt_commit(c, c->pos + len);
        r.emit_off += sizeof len + len;
    }
    blob_unlock();
    mt_internal_end(&in);
}

uint8_t *mt_ring_claim(struct mt_thread *t, struct mt_cursor *c, size_t need, uint64_t ticks)
{
    if (need + sizeof(struct mt_chunk_header) > r.slot_bytes || !r.n)
        return NULL;
    for (uint32_t tries = 0; tries < r.n; tries++) {
        uint64_t seq = __atomic_fetch_add(&mt_header->chunk_seq, 1, __ATOMIC_RELAXED);
        uint32_t j = (uint32_t)(seq % r.n);
        uint8_t expected = 0;
        if (!__atomic_compare_exchange_n(&r.busy[j], &expected, 1, 0, __ATOMIC_ACQUIRE,
                                         __ATOMIC_RELAXED))
            continue; /* some cursor still writes there: keep its chunk */
        /* the window first: a reader that sees the slot gone sees it too */
        if (r.held[j])
            raise_window(__atomic_load_n(&r.last_ticks[j], __ATOMIC_RELAXED));
        r.held[j] = 1;
        if (mt_chunk_start(t, c, MT_HEADER_SIZE + j * r.slot_bytes, r.slot_bytes, seq,
                           ticks)) {
            __atomic_store_n(&r.busy[j], 0, __ATOMIC_RELEASE);
            return NULL;
        }
        if (part[MT_BLOB_MODULES].len || part[MT_BLOB_INFO].len)
            reemit(c, seq, need);
        return c->pos;
    }
    /* More cursors than slots (threads outnumber them): MTRACE_RING is too
     * small.  The caller counts the event as lost; say so once. */
    static int warned;
    if (!__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
        mt_warn("MTRACE_RING holds %u chunks of %llu bytes, but more threads are writing "
                "at once: their events are lost (counted in the trace); raise MTRACE_RING "
                "or lower MTRACE_CHUNK", r.n, (unsigned long long)r.slot_bytes);
    return NULL;
}

/* ---- the process description ---- */

/* Called inside internal sections only (procfs.c), like reemit(). */
void mt_ring_blob_clear(int which)
{
    while (!blob_trylock())
        ;
    part[which].len = 0;
    if (r.emitting && r.emit_part == which)
        r.emit_off = 0;
    blob_unlock();
}

void mt_ring_blob_add(int which, const uint8_t *rec, size_t len)
{
    struct blob *b = &part[which];
    while (!blob_trylock())
        ;
    if (b->len + sizeof(uint32_t) + len > b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 65536;
        while (ncap < b->len + sizeof(uint32_t) + len)
            ncap *= 2;
        uint8_t *nb = mt_os_alloc(ncap);
        if (!nb) {
            blob_unlock();
            return;
        }
        if (b->len)
            memcpy(nb, b->buf, b->len);
        mt_os_free(b->buf, b->cap);
        b->buf = nb;
        b->cap = ncap;
    }
    uint32_t l = (uint32_t)len;
    memcpy(b->buf + b->len, &l, sizeof l);
    memcpy(b->buf + b->len + sizeof l, rec, len);
    b->len += sizeof l + len;
    blob_unlock();
}

void mt_write_cached_modules(struct mt_thread *t)
{
    struct mt_cursor *c = mt_cursor_of(t);
    struct blob *b = &part[MT_BLOB_MODULES];
    for (size_t off = 0; off + sizeof(uint32_t) <= b->len;) {
        uint32_t len;
        memcpy(&len, b->buf + off, sizeof len);
        uint8_t *o = mt_reserve(t, c, len, mt_ticks());
        if (o) {
            memcpy(o, b->buf + off + sizeof len, len);
            mt_commit(c, o + len);
        }
        off += sizeof len + len;
    }
}
