/* Reader of the binary trace (include/mtrace/format.h).
 *
 * The file is mapped read-only and every length, count and offset is checked
 * against what the file holds before use.  Chunks belong to threads; events
 * are delivered in time order by merging the chunks: a chunk is opened once
 * the merge reaches its first timestamp, so memory grows with the number of
 * threads writing at the same time, never with the number of events. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "mtrace/varint.h"
#include "pack.h"
#include "trace.h"
#include "xalloc.h"

struct chunk_ref {
    uint64_t off;      /* of the chunk header */
    uint64_t seq;
    uint64_t ticks0;
    uint32_t tid;
    uint32_t used;
    int clipped;       /* the file ends inside this chunk */
};

struct cursor {
    const struct chunk_ref *ref;
    uint8_t *buf;          /* the chunk's records, read from the file */
    const uint8_t *p, *end;
    uint64_t ticks, last_ptr;
    /* the next timed event, decoded into one of two slots in turn, so the
     * merge can deliver one while the following one is already decoded */
    struct mta_event slot[2];
    struct mta_event *ev;
    unsigned next_slot;
    uint64_t ev_ticks;
    int has_ev;
};

struct reader {
    const char *path;
    int fd;                 /* the file, read with pread ... */
    const uint8_t *mem;     /* ... or the whole file in memory (fuzzing, tests) */
    uint64_t size;
    uint8_t hdr_buf[MT_HEADER_SIZE];
    const struct mt_file_header *hdr;
    /* the bytes being decoded: a buffer holding file bytes from buf_off */
    const uint8_t *buf_base;
    uint64_t buf_off;
    const struct mta_sink *sink;
    struct mta_error *err;
    struct mta_trace_info info;
    double ns_per_tick;
    uint64_t ns_mult;       /* ns_per_tick in 32.32 fixed point */
    uint64_t stack_frames[MT_MAX_DEPTH];
    uint64_t window_ticks;  /* ring mode: events before this are dropped */
    int stopped;
};

static int corrupt_at(struct reader *r, uint64_t off, const char *what)
{
    mta_set_error(r->err, MTA_EXIT_CORRUPT, "%s: corrupt trace at byte %llu: %s", r->path,
                  (unsigned long long)off, what);
    return -1;
}

/* `at` points into the buffer being decoded */
static int corrupt(struct reader *r, const uint8_t *at, const char *what)
{
    return corrupt_at(r, r->buf_off + (uint64_t)(at - r->buf_base), what);
}

/* Reads exactly len bytes at off; -1 if the file ends or read fails. */
static int read_at(struct reader *r, void *buf, size_t len, uint64_t off)
{
    if (r->mem) {
        if (off > r->size || len > r->size - off)
            return -1;
        memcpy(buf, r->mem + off, len);
        return 0;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(r->fd, (uint8_t *)buf + done, len - done, (off_t)(off + done));
        if (n <= 0)
            return -1;
        done += (size_t)n;
    }
    return 0;
}

static inline uint64_t ticks_to_ns(const struct reader *r, uint64_t ticks)
{
    if (ticks <= r->hdr->ticks_start)
        return 0;
    unsigned __int128 x = (unsigned __int128)(ticks - r->hdr->ticks_start) * r->ns_mult;
    return (uint64_t)(x >> 32);
}

static char *dup_text(const uint8_t *p, size_t n, int nul_to_space)
{
    char *s = mta_xmalloc(n + 1);
    if (!s)
        return NULL;
    memcpy(s, p, n);
    s[n] = '\0';
    if (nul_to_space) {
        while (n && s[n - 1] == '\0')
            n--;
        s[n] = '\0';
        for (size_t i = 0; i < n; i++)
            if (s[i] == '\0')
                s[i] = ' ';
    }
    return s;
}

/* Decodes untimed records (stack, info, module) as they come, and stops at
 * the next timed one, which it leaves decoded in c->ev.  Returns 0 (event or
 * end of chunk: c->has_ev says which) or -1 on corruption. */
static int decode_next(struct reader *r, struct cursor *c)
{
    c->has_ev = 0;
    r->buf_base = c->buf;
    r->buf_off = c->ref->off + sizeof(struct mt_chunk_header);
    while (c->p < c->end) {
        const uint8_t *rec = c->p;
        const uint8_t *p = c->p, *end = c->end;
        uint8_t tag = *p++;
        struct mta_event *ev = &c->slot[c->next_slot];
        /* only the fields a record sets are meaningful for its type; clear
         * the ones consumers read for several types */
        ev->tid = c->ref->tid;
        ev->kind = ev->source = ev->op = ev->cause = ev->reason = 0;
        ev->ptr = ev->old_ptr = ev->size = ev->stack = 0;
        ev->addr = ev->len = ev->naddr = ev->nlen = ev->prot = ev->flags = 0;
        ev->text = NULL;
        ev->text_len = 0;
        int64_t dt = 0, d1 = 0, d2 = 0;
        uint64_t u[10];
        if (tag == MT_TAG_PAD)
            return c->p = c->end, 0;
        if (tag == MT_TAG_STACK || tag == MT_TAG_STACK_CUT) {
            uint64_t id, n;
            if (mt_get_uv(&p, end, &id) || mt_get_uv(&p, end, &n))
                return corrupt(r, rec, "stack record cut short");
            if (n > MT_MAX_DEPTH)
                return corrupt(r, rec, "stack record claims more frames than the format allows (256)");
            uint64_t prev = 0;
            for (uint64_t i = 0; i < n; i++) {
                if (mt_get_sv(&p, end, &d1))
                    return corrupt(r, rec, "stack record cut short");
                prev += (uint64_t)d1;
                r->stack_frames[i] = prev;
            }
            if (id == 0)
                return corrupt(r, rec, "stack record with id 0");
            if (r->sink->stack)
                r->sink->stack(r->sink->ctx, id, r->stack_frames, (unsigned)n);
            if (tag == MT_TAG_STACK_CUT && r->sink->stack_cut)
                r->sink->stack_cut(r->sink->ctx, id);
            c->p = p;
            continue;
        }
        if (tag == MT_TAG_INFO) {
            uint64_t kind, len;
            if (mt_get_uv(&p, end, &kind) || mt_get_uv(&p, end, &len) ||
                len > (uint64_t)(end - p))
                return corrupt(r, rec, "info record cut short");
            char **slot = kind == MT_INFO_CMDLINE ? &r->info.cmdline
                          : kind == MT_INFO_EXE ? &r->info.exe
                          : kind == MT_INFO_TUNABLES ? &r->info.tunables
                          : kind == MT_INFO_OWN_MEMORY ? &r->info.own_memory
                          : kind == MT_INFO_FOREIGN_ALLOCATOR ? &r->info.foreign_allocator
                          : kind == MT_INFO_SUPPRESSIONS ? &r->info.suppressions
                                                              : NULL;
            if (slot && !*slot) {
                *slot = dup_text(p, (size_t)len, kind == MT_INFO_CMDLINE);
                if (*slot && r->sink->info) /* e.g. tunables, before the events */
                    r->sink->info(r->sink->ctx, &r->info);
            }
            c->p = p + len;
            continue;
        }
        if (tag == MT_TAG_MODULE) {
            struct mta_module m;
            uint64_t idlen, pathlen;
            memset(&m, 0, sizeof m);
            if (mt_get_uv(&p, end, &m.start) || mt_get_uv(&p, end, &m.end) ||
                mt_get_uv(&p, end, &m.bias) || mt_get_uv(&p, end, &idlen) ||
                idlen > sizeof m.build_id || idlen > (uint64_t)(end - p))
                return corrupt(r, rec, "module record cut short or build-id too long");
            memcpy(m.build_id, p, (size_t)idlen);
            m.build_id_len = (unsigned)idlen;
            p += idlen;
            if (mt_get_uv(&p, end, &pathlen) || pathlen > (uint64_t)(end - p) || pathlen > 4096)
                return corrupt(r, rec, "module record path cut short");
            if (m.end < m.start)
                return corrupt(r, rec, "module record ends before it starts");
            m.path = dup_text(p, (size_t)pathlen, 0);
            if (r->sink->module && m.path)
                r->sink->module(r->sink->ctx, &m);
            free(m.path);
            c->p = p + pathlen;
            continue;
        }
        /* timed records */
        if (!(tag >= MT_TAG_ALLOC && tag < MT_TAG_ALLOC + MT_KIND_COUNT) &&
            tag != MT_TAG_FREE && tag != MT_TAG_REALLOC && tag != MT_TAG_BRK &&
            tag != MT_TAG_MAP && tag != MT_TAG_MAPS && tag != MT_TAG_SETTING &&
            tag != MT_TAG_SCAN && tag != MT_TAG_SCAN_WORDS) {
            char msg[96];
            snprintf(msg, sizeof msg, "unknown record tag %u", tag);
            return corrupt(r, rec, msg);
        }
        if (mt_get_sv(&p, end, &dt))
            return corrupt(r, rec, "record cut short");
        c->ticks += (uint64_t)dt;
        if (tag >= MT_TAG_ALLOC && tag < MT_TAG_ALLOC + MT_KIND_COUNT) {
            if (mt_get_sv(&p, end, &d1) || mt_get_uv(&p, end, &u[0]) || mt_get_uv(&p, end, &u[1]))
                return corrupt(r, rec, "allocation record cut short");
            ev->type = MTA_EV_ALLOC;
            ev->kind = tag - MT_TAG_ALLOC;
            c->last_ptr += (uint64_t)d1;
            ev->ptr = c->last_ptr;
            ev->size = u[0] >> 2;
            ev->source = (unsigned)(u[0] & 3);
            ev->stack = u[1];
        } else if (tag == MT_TAG_FREE) {
            if (mt_get_sv(&p, end, &d1))
                return corrupt(r, rec, "free record cut short");
            ev->type = MTA_EV_FREE;
            c->last_ptr += (uint64_t)d1;
            ev->ptr = c->last_ptr;
        } else if (tag == MT_TAG_REALLOC) {
            if (mt_get_sv(&p, end, &d1) || mt_get_sv(&p, end, &d2) ||
                mt_get_uv(&p, end, &u[0]) || mt_get_uv(&p, end, &u[1]))
                return corrupt(r, rec, "realloc record cut short");
            ev->type = MTA_EV_REALLOC;
            ev->old_ptr = c->last_ptr + (uint64_t)d1;
            ev->ptr = ev->old_ptr + (uint64_t)d2;
            c->last_ptr = ev->ptr;
            ev->size = u[0] >> 2;
            ev->source = (unsigned)(u[0] & 3);
            ev->stack = u[1];
            /* kind stays 0: the realloc record is the call itself */
        } else if (tag == MT_TAG_BRK) {
            for (int i = 0; i < 4; i++)
                if (mt_get_uv(&p, end, &u[i]))
                    return corrupt(r, rec, "brk record cut short");
            ev->type = MTA_EV_BRK;
            ev->addr = u[0];
            ev->naddr = u[1];
            ev->cause = (unsigned)u[2];
            ev->stack = u[3];
        } else if (tag == MT_TAG_MAP) {
            for (int i = 0; i < 10; i++)
                if (mt_get_uv(&p, end, &u[i]))
                    return corrupt(r, rec, "map record cut short");
            if (u[9] > (uint64_t)(end - p) || u[9] > 4096)
                return corrupt(r, rec, "map record path cut short");
            ev->type = MTA_EV_MAP;
            ev->op = (unsigned)u[0];
            ev->addr = u[1];
            ev->len = u[2];
            ev->naddr = u[3];
            ev->nlen = u[4];
            ev->prot = u[5];
            ev->flags = u[6];
            ev->cause = (unsigned)u[7];
            ev->stack = u[8];
            ev->text = (const char *)p;
            ev->text_len = (size_t)u[9];
            p += u[9];
        } else if (tag == MT_TAG_MAPS || tag == MT_TAG_SCAN || tag == MT_TAG_SCAN_WORDS) {
            if (mt_get_uv(&p, end, &u[0]) || mt_get_uv(&p, end, &u[1]) ||
                u[1] > (uint64_t)(end - p))
                return corrupt(r, rec, tag == MT_TAG_MAPS ? "maps record cut short"
                                                          : "scan record cut short");
            ev->type = tag == MT_TAG_MAPS ? MTA_EV_MAPS : MTA_EV_SCAN;
            ev->op = tag;
            ev->reason = (unsigned)u[0];
            ev->text = (const char *)p;
            ev->text_len = (size_t)u[1];
            p += u[1];
        } else if (tag == MT_TAG_SETTING) {
            if (mt_get_sv(&p, end, &d2) || mt_get_sv(&p, end, &d1))
                return corrupt(r, rec, "setting record cut short");
            ev->type = MTA_EV_SETTING;
            ev->kind = (unsigned)(int)d2;
            ev->size = (uint64_t)d1;
        }
        c->ev_ticks = c->ticks;
        c->p = p;
        c->has_ev = 1;
        c->ev = ev;
        c->next_slot ^= 1;
        return 0;
    }
    return 0;
}

/* A record cut off by the end of a truncated file ends its chunk quietly:
 * everything before it is kept (mta_trace_info.truncated says so). */
static int advance(struct reader *r, struct cursor *c)
{
    int rc = decode_next(r, c);
    if (rc && c->ref->clipped) {
        r->err->msg[0] = '\0';
        r->err->code = 0;
        c->p = c->end;
        c->has_ev = 0;
        return 0;
    }
    return rc;
}

/* ---- min-heap of cursors by next event time (ties: chunk order) ---- */

static int before(const struct cursor *a, const struct cursor *b)
{
    if (a->ev_ticks != b->ev_ticks)
        return a->ev_ticks < b->ev_ticks;
    return a->ref->seq < b->ref->seq;
}

static void heap_push(struct cursor **h, size_t *n, struct cursor *c)
{
    size_t i = (*n)++;
    h[i] = c;
    while (i && before(h[i], h[(i - 1) / 2])) {
        struct cursor *t = h[i];
        h[i] = h[(i - 1) / 2];
        h[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static void heap_sift_down(struct cursor **h, size_t n)
{
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && before(h[l], h[m]))
            m = l;
        if (l + 1 < n && before(h[l + 1], h[m]))
            m = l + 1;
        if (m == i)
            return;
        struct cursor *t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

/* Chunks are opened in order of their first timestamp, so a chunk not yet
 * opened can hold no event earlier than the merge's head. */
static int cmp_start(const void *a, const void *b)
{
    const struct chunk_ref *x = a, *y = b;
    if (x->ticks0 != y->ticks0)
        return x->ticks0 < y->ticks0 ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A writer killed while it copied a full chunk to the end of the file
 * (writer.c, spill) leaves the chunk twice under one seq: the copy and the
 * original, one of them possibly already emptied.  Keeps the one holding
 * more records.  refs are sorted by cmp_start, so twins are neighbours. */
static size_t drop_spilled_twins(struct reader *r, struct chunk_ref *refs, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && refs[i].used && refs[k - 1].seq == refs[i].seq &&
            refs[k - 1].tid == refs[i].tid && refs[k - 1].ticks0 == refs[i].ticks0) {
            if (refs[i].used > refs[k - 1].used) {
                r->info.record_bytes -= refs[k - 1].used;
                refs[k - 1] = refs[i];
            } else {
                r->info.record_bytes -= refs[i].used;
            }
            continue;
        }
        refs[k++] = refs[i];
    }
    return k;
}

static int add_ref(struct chunk_ref **refs, size_t *n, size_t *cap, struct chunk_ref ref)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 256;
        struct chunk_ref *nr = mta_xrealloc(*refs, ncap * sizeof *nr);
        if (!nr)
            return -1;
        *refs = nr;
        *cap = ncap;
    }
    (*refs)[(*n)++] = ref;
    return 0;
}

/* Ring mode (MT_HDR_RING): header_size + k * chunk_size holds the chunk
 * whose sequence number is k modulo the slot count, or nothing valid (never
 * used, or being rewritten when the process died): such slots are skipped. */
static int scan_ring(struct reader *r, struct chunk_ref **out, size_t *count)
{
    const struct mt_file_header *h = r->hdr;
    uint64_t slot = h->chunk_size;
    if (slot < 4096 || slot % 4096 || h->ring_bytes < slot || h->ring_bytes % slot)
        return corrupt_at(r, 16, "ring trace with an implausible chunk size or ring size");
    uint64_t nslots = h->ring_bytes / slot;
    size_t n = 0, cap = 0;
    struct chunk_ref *refs = NULL;
    for (uint64_t k = 0; k < nslots; k++) {
        uint64_t off = h->header_size + k * slot;
        if (off + slot > r->size) {
            r->info.truncated = 1;
            break;
        }
        struct mt_chunk_header ch;
        if (read_at(r, &ch, sizeof ch, off)) {
            free(refs);
            return mta_set_error(r->err, MTA_EXIT_IO, "%s: read error at byte %llu", r->path,
                                 (unsigned long long)off), -1;
        }
        if (ch.magic != MT_CHUNK_MAGIC || ch.size != slot || ch.seq % nslots != k ||
            ch.used > slot - sizeof ch)
            continue;
        if (add_ref(&refs, &n, &cap, (struct chunk_ref){off, ch.seq, ch.ticks0, ch.tid,
                                                       ch.used, 0})) {
            free(refs);
            return -1;
        }
        r->info.record_bytes += ch.used;
    }
    if (n)
        qsort(refs, n, sizeof *refs, cmp_start);
    n = drop_spilled_twins(r, refs, n);
    *out = refs;
    *count = n;
    r->info.chunks = n;
    return 0;
}

/* Finds the chunks.  Stops at the first place that is not a chunk header:
 * the unused tail of a file that was still being written. */
static int scan_chunks(struct reader *r, struct chunk_ref **out, size_t *count)
{
    if (r->hdr->flags & MT_HDR_RING)
        return scan_ring(r, out, count);
    uint64_t limit = r->hdr->data_end;
    if (limit > r->size) {
        r->info.truncated = 1;
        limit = r->size;
    }
    size_t cap = 256, n = 0;
    struct chunk_ref *refs = mta_xmalloc(cap * sizeof *refs);
    if (!refs)
        return -1;
    uint64_t off = r->hdr->header_size;
    while (off + sizeof(struct mt_chunk_header) <= limit) {
        struct mt_chunk_header chb;
        const struct mt_chunk_header *ch = &chb;
        if (read_at(r, &chb, sizeof chb, off)) {
            free(refs);
            mta_set_error(r->err, MTA_EXIT_IO, "%s: read error at byte %llu", r->path,
                          (unsigned long long)off);
            return -1;
        }
        if (ch->magic != MT_CHUNK_MAGIC) {
            /* Claimed but never initialised (writer killed mid-claim, or
             * the claim's pages could not be faulted in): a fresh claim
             * starts on a page and is whole pages of zeros until its
             * header's magic is written, so look again at the next page. */
            if (ch->magic == 0 && off % 4096 == 0) {
                off += 4096;
                continue;
            }
            free(refs);
            return corrupt_at(r, off, "expected a chunk header (magic MTCK)");
        }
        if (ch->size < sizeof *ch || ch->size % 8) {
            free(refs);
            return corrupt_at(r, off, "chunk size is not a multiple of 8 holding its header");
        }
        uint64_t used = ch->used;
        if (used > ch->size - sizeof *ch) {
            free(refs);
            return corrupt_at(r, off, "chunk claims more bytes than it holds");
        }
        if (off + sizeof *ch + used > r->size) {
            r->info.truncated = 1;
            used = r->size - off - sizeof *ch;
        }
        if (n == cap) {
            cap *= 2;
            struct chunk_ref *nr = mta_xreallocarray(refs, cap, sizeof *refs);
            if (!nr) {
                free(refs);
                return -1;
            }
            refs = nr;
        }
        int clipped = used != ch->used;
        refs[n++] = (struct chunk_ref){off, ch->seq, ch->ticks0, ch->tid, (uint32_t)used, clipped};
        r->info.record_bytes += used;
        if (off + ch->size > limit)
            break;
        off += ch->size;
    }
    qsort(refs, n, sizeof *refs, cmp_start);
    n = drop_spilled_twins(r, refs, n);
    *out = refs;
    *count = n;
    r->info.chunks = n;
    return 0;
}

static int check_header(struct reader *r)
{
    if (r->size == 0)
        return mta_set_error(r->err, MTA_EXIT_IO, "%s: the file is empty (the traced "
                             "program may not have started, or tracing was off)", r->path), -1;
    size_t have = r->size < sizeof r->hdr_buf ? (size_t)r->size : sizeof r->hdr_buf;
    if (read_at(r, r->hdr_buf, have, 0))
        return mta_set_error(r->err, MTA_EXIT_IO, "%s: read error in the header", r->path), -1;
    if (r->size < 8 || memcmp(r->hdr_buf, MT_FILE_MAGIC, 8) != 0)
        return mta_set_error(r->err, MTA_EXIT_CORRUPT, "%s: not an mtrace trace (bad magic "
                             "at byte 0); give a .trace written by libmtrace.so or a "
                             "trace.json", r->path), -1;
    if (r->size < sizeof(struct mt_file_header))
        return corrupt_at(r, r->size, "file ends inside the header");
    const struct mt_file_header *h = r->hdr;
    if (h->version != MT_FORMAT_VERSION) {
        mta_set_error(r->err, MTA_EXIT_CORRUPT, "%s: trace format version %u at byte 8 is "
                      "not supported (this mtrace-report reads version %u)", r->path,
                      h->version, MT_FORMAT_VERSION);
        return -1;
    }
    if (h->header_size < sizeof *h || h->header_size > (1u << 20) || h->header_size % 8)
        return corrupt_at(r, 12, "implausible header size");
    if (h->header_size > r->size)
        return corrupt_at(r, r->size, "file ends inside the header");
    return 0;
}

static void fill_info(struct reader *r)
{
    const struct mt_file_header *h = r->hdr;
    struct mta_trace_info *in = &r->info;
    in->version = h->version;
    in->flags = h->flags;
    in->pid = h->pid;
    in->ppid = h->ppid;
    in->start_realtime_ns = h->start_realtime_ns;
    in->end_state = h->end_state;
    in->end_code = h->end_code;
    in->lost_events = h->lost_events;
    in->self_allocs = h->self_allocs;
    in->stop_reason = h->stop_reason;
    in->stop_errno = h->stop_errno;
    in->stop_bytes = h->stop_bytes;
    in->depth = h->depth;
    in->initial_brk = h->initial_brk;
    in->file_bytes = r->size;
    in->ring_bytes = h->ring_bytes;
    uint64_t t1 = h->ticks_end ? h->ticks_end : h->ticks_last;
    uint64_t n1 = h->ticks_end ? h->ns_end : h->ns_last;
    r->ns_per_tick = 1.0;
    if (t1 > h->ticks_start && n1 > h->ns_start)
        r->ns_per_tick = (double)(n1 - h->ns_start) / (double)(t1 - h->ticks_start);
    else if (h->flags & MT_HDR_TICKS_TSC)
        r->ns_per_tick = 1.0 / 2.5; /* no second clock pair: assume ~2.5 GHz */
    if (r->ns_per_tick <= 0 || r->ns_per_tick > 1e6)
        r->ns_per_tick = 1.0;
    r->ns_mult = (uint64_t)(r->ns_per_tick * 4294967296.0);
    in->duration_ns = t1 > h->ticks_start ? ticks_to_ns(r, t1) : 0;
    if ((h->flags & MT_HDR_RING) && h->ring_start_ticks > h->ticks_start) {
        r->window_ticks = h->ring_start_ticks;
        in->window_start_ns = ticks_to_ns(r, h->ring_start_ticks);
    }
}

/* A chunk read to its end is not needed again. */
static void release_chunk(struct cursor *c)
{
    free(c->buf);
    c->buf = NULL;
}

/* Open cursors: the heap holds the chunks being merged; a cursor is made
 * when its chunk is opened and recycled when it is used up, so memory grows
 * with the number of chunks open at once (threads writing concurrently),
 * not with the number of chunks in the file. */
struct cursors {
    struct cursor **heap;
    size_t n, cap;
    struct cursor *spare; /* used-up cursors, linked through ref */
};

static struct cursor *cursor_new(struct cursors *cs)
{
    struct cursor *c = cs->spare;
    if (c)
        cs->spare = (struct cursor *)(uintptr_t)c->ref;
    else
        c = mta_xmalloc(sizeof *c);
    if (c)
        memset(c, 0, sizeof *c);
    return c;
}

static void cursor_recycle(struct cursors *cs, struct cursor *c)
{
    release_chunk(c);
    c->ref = (const struct chunk_ref *)(uintptr_t)cs->spare;
    cs->spare = c;
}

static int cursors_push(struct cursors *cs, struct cursor *c)
{
    if (cs->n == cs->cap) {
        size_t ncap = cs->cap ? cs->cap * 2 : 16;
        struct cursor **nh = mta_xreallocarray(cs->heap, ncap, sizeof *nh);
        if (!nh)
            return -1;
        cs->heap = nh;
        cs->cap = ncap;
    }
    heap_push(cs->heap, &cs->n, c);
    return 0;
}

static void cursors_free(struct cursors *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        release_chunk(cs->heap[i]);
        free(cs->heap[i]);
    }
    while (cs->spare) {
        struct cursor *next = (struct cursor *)(uintptr_t)cs->spare->ref;
        free(cs->spare);
        cs->spare = next;
    }
    free(cs->heap);
}

/* Points the cursor at its chunk's records: in place for a trace in memory,
 * else read into a buffer of its own. */
static int cursor_open(struct reader *r, struct cursor *c, const struct chunk_ref *ref)
{
    c->ref = ref;
    c->ticks = ref->ticks0;
    uint64_t at = ref->off + sizeof(struct mt_chunk_header);
    if (r->mem) {
        c->p = r->mem + at;
    } else {
        c->buf = mta_xmalloc(ref->used ? ref->used : 1);
        if (!c->buf || read_at(r, c->buf, ref->used, at)) {
            mta_set_error(r->err, c->buf ? MTA_EXIT_IO : MTA_EXIT_INTERNAL,
                          "%s: cannot read the chunk at byte %llu", r->path,
                          (unsigned long long)ref->off);
            return -1;
        }
        c->p = c->buf;
    }
    c->end = c->p + ref->used;
    return 0;
}

static int merge(struct reader *r, struct chunk_ref *refs, size_t n)
{
    struct cursors cs = {NULL, 0, 0, NULL};
    size_t next = 0;
    uint64_t last_ns = 0;
    int rc = 0;
    for (;;) {
        /* open every chunk whose first record may come before the heap's head */
        while (next < n && (cs.n == 0 || refs[next].ticks0 <= cs.heap[0]->ev_ticks)) {
            struct cursor *c = cursor_new(&cs);
            if (!c) {
                rc = -1;
                goto out;
            }
            if (cursor_open(r, c, &refs[next++]) || advance(r, c)) {
                release_chunk(c);
                free(c);
                rc = -1;
                goto out;
            }
            if (!c->has_ev)
                cursor_recycle(&cs, c);
            else if (cursors_push(&cs, c)) {
                release_chunk(c);
                free(c);
                rc = -1;
                goto out;
            }
        }
        if (cs.n == 0)
            break;
        struct cursor *c = cs.heap[0];
        /* decode the cursor's next event before delivering this one, so the
         * sink can start fetching what the next one will touch */
        struct mta_event *now = c->ev;
        uint64_t now_ticks = c->ev_ticks;
        if (advance(r, c)) {
            rc = -1;
            goto out;
        }
        if (now_ticks >= r->window_ticks) { /* ring: older partners may be gone */
            /* delivered times never go backwards (a thread's clock read can
             * trail another core's by a few ticks) */
            now->ns = ticks_to_ns(r, now_ticks);
            if (now->ns < last_ns)
                now->ns = last_ns;
            last_ns = now->ns;
            if (c->has_ev && r->sink->upcoming)
                r->sink->upcoming(r->sink->ctx, c->ev);
            if (r->sink->event && r->sink->event(r->sink->ctx, now)) {
                r->stopped = 1;
                break;
            }
        }
        if (c->has_ev) {
            heap_sift_down(cs.heap, cs.n);
        } else {
            cs.heap[0] = cs.heap[--cs.n];
            heap_sift_down(cs.heap, cs.n);
            cursor_recycle(&cs, c);
        }
    }
out:
    cursors_free(&cs);
    return rc;
}

/* The reader over a file (fd) or a buffer (mem); see trace.h. */
static int read_binary(struct reader *r)
{
    const char *path = r->path;
    struct mta_error *err = r->err;
    const struct mta_sink *sink = r->sink;
    r->hdr = (const struct mt_file_header *)r->hdr_buf;
    int rc = check_header(r);
    struct chunk_ref *refs = NULL;
    size_t n = 0;
    if (rc == 0) {
        fill_info(r);
        if (sink->info)
            sink->info(sink->ctx, &r->info);
        rc = scan_chunks(r, &refs, &n);
        if (rc && !err->msg[0])
            mta_set_error(err, MTA_EXIT_INTERNAL, "%s: out of memory", path);
    }
    if (rc == 0) {
        rc = merge(r, refs, n);
        if (rc && !err->msg[0])
            mta_set_error(err, MTA_EXIT_INTERNAL, "%s: out of memory", path);
    }
    if (rc == 0 && sink->done)
        sink->done(sink->ctx, &r->info);
    free(refs);
    free(r->info.cmdline);
    free(r->info.exe);
    free(r->info.tunables);
    free(r->info.own_memory);
    free(r->info.foreign_allocator);
    free(r->info.suppressions);
    return rc;
}

int mta_read_binary_mem(const char *name, const void *data, uint64_t size,
                        const struct mta_sink *sink, struct mta_error *err)
{
    struct reader r;
    memset(&r, 0, sizeof r);
    r.path = name;
    r.sink = sink;
    r.err = err;
    r.fd = -1;
    r.mem = data ? data : (const uint8_t *)"";
    r.size = data ? size : 0;
    return read_binary(&r);
}

/* The reader over an open regular file; `path` names it in messages. */
static int read_binary_fd(const char *path, int fd, const struct mta_sink *sink,
                          struct mta_error *err)
{
    struct reader r;
    memset(&r, 0, sizeof r);
    r.path = path;
    r.sink = sink;
    r.err = err;
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        mta_set_error(err, MTA_EXIT_IO, "%s: not a regular file", path);
        return -1;
    }
    r.size = (uint64_t)st.st_size;
    r.fd = fd;
    return read_binary(&r);
}

int mta_read_binary(const char *path, const struct mta_sink *sink, struct mta_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        mta_set_error(err, MTA_EXIT_IO, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    int rc = read_binary_fd(path, fd, sink, err);
    close(fd);
    return rc;
}

/* A packed trace (pack_format.h) is unpacked into an unlinked temporary
 * file, which the binary reader then reads as any trace. */
static int read_packed(const char *path, const struct mta_sink *sink, struct mta_error *err)
{
    int fd;
    if (mta_unpack_to_temp(path, &fd, err))
        return -1;
    int rc = read_binary_fd(path, fd, sink, err);
    close(fd);
    return rc;
}

int mta_read_any(const char *path, const struct mta_sink *sink, struct mta_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        mta_set_error(err, MTA_EXIT_IO, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char head[8] = {0};
    ssize_t got = read(fd, head, sizeof head);
    close(fd);
    if (got > 0) {
        /* JSON starts with optional white space and '{' */
        ssize_t i = 0;
        while (i < got && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t'))
            i++;
        if (i < got && head[i] == '{')
            return mta_read_json(path, sink, err);
        if (mta_is_packed(head, (size_t)got))
            return read_packed(path, sink, err);
    }
    return mta_read_binary(path, sink, err);
}
