/* Packing (pack.h): walks the trace (pack_walk.c), splits the free and
 * allocation records of every chunk into columns and compresses each column
 * as its own zstd stream (pack_format.h), then writes the header, the stream
 * table and the streams.  Memory: one chunk's records (at most
 * PAYLOAD_MAX, larger ones are stored as they are) and the zstd contexts;
 * the compressed streams wait in temporary files, not in memory. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "mtrace/varint.h"
#include "pack.h"
#include "pack_format.h"
#include "pack_walk.h"
#include "pack_zstd.h"
#include "xalloc.h"

#define PAYLOAD_MAX (64u << 20) /* MTRACE_CHUNK's largest */

struct splitter {
    int in;
    uint64_t in_off;
    uint8_t *buf;          /* a chunk's records, or pieces of raw bytes */
    size_t cap;
    struct mta_zout s[MTA_PK_NSTREAMS];
    uint64_t events;
    int io_errno;          /* a read failed (0: zstd or a write did) */
    int read_failed;
};

static int read_in(struct splitter *sp, uint8_t *p, size_t n)
{
    while (n) {
        ssize_t r = pread(sp->in, p, n, (off_t)sp->in_off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            sp->read_failed = 1;
            sp->io_errno = r < 0 ? errno : 0;
            return -1;
        }
        p += r;
        n -= (size_t)r;
        sp->in_off += (uint64_t)r;
    }
    return 0;
}

static int grow(struct splitter *sp, size_t n)
{
    if (n <= sp->cap)
        return 0;
    free(sp->buf);
    sp->buf = mta_xmalloc(n);
    sp->cap = n;
    return 0;
}

/* bytes stored as they are, through buf in pieces */
static int raw(void *ctx, uint64_t n, uint8_t *keep)
{
    struct splitter *sp = ctx;
    while (n) {
        size_t k = n < sp->cap ? (size_t)n : sp->cap;
        if (read_in(sp, sp->buf, k) || mta_zout_put(&sp->s[MTA_PK_OTHER], sp->buf, k))
            return -1;
        if (keep) {
            memcpy(keep, sp->buf, k);
            keep += k;
        }
        n -= k;
    }
    return 0;
}

/* The fields after dt of a record split into columns (pack_format.h): p a
 * pointer delta, s a size, k a stack id.  NULL: the record is stored whole. */
const char *mta_pack_columns(uint8_t tag)
{
    if (tag == MT_TAG_FREE)
        return "p";
    if (tag == MT_TAG_REALLOC)
        return "ppsk";
    if (tag >= MT_TAG_ALLOC && tag < MT_TAG_ALLOC + MT_KIND_COUNT)
        return "psk";
    return NULL;
}

/* The fields after the tag of every other record the splitter stores whole:
 * v a varint, L a varint length and that many bytes, C a varint count and
 * that many varints.  NULL: a tag it does not know. */
static const char *other_fields(uint8_t tag)
{
    switch (tag) {
    case MT_TAG_STACK:
    case MT_TAG_STACK_CUT: return "vC";
    case MT_TAG_INFO: return "vL";
    case MT_TAG_MODULE: return "vvvLL";
    case MT_TAG_BRK: return "vvvvv";
    case MT_TAG_MAP: return "vvvvvvvvvvL";
    case MT_TAG_MAPS:
    case MT_TAG_SCAN:
    case MT_TAG_SCAN_WORDS: return "vvL";
    case MT_TAG_SETTING: return "vvv";
    default: return NULL;
    }
}

/* Where the record whose fields start at p ends, or NULL if it runs past
 * end or its tag is unknown. */
static const uint8_t *other_end(uint8_t tag, const uint8_t *p, const uint8_t *end)
{
    const char *f = other_fields(tag);
    if (!f)
        return NULL;
    for (; *f; f++) {
        uint64_t v;
        if (mt_get_uv(&p, end, &v))
            return NULL;
        if (*f == 'L') {
            if (v > (uint64_t)(end - p))
                return NULL;
            p += v;
        } else if (*f == 'C') {
            if (v > (uint64_t)(end - p)) /* each varint is a byte at least */
                return NULL;
            uint64_t frame;
            for (uint64_t i = 0; i < v; i++)
                if (mt_get_uv(&p, end, &frame))
                    return NULL;
        }
    }
    return p;
}

/* A pointer delta d into LOW (its low 4 bits: glibc's blocks are 16-byte
 * aligned, so nearly always 0) and DP (the rest). */
static int split_pointer(struct splitter *sp, int64_t d)
{
    uint8_t shifted[MT_VARINT_MAX];
    size_t n = (size_t)(mt_put_uv(shifted, mt_zigzag(d >> 4)) - shifted);
    return mta_zout_byte(&sp->s[MTA_PK_LOW], (uint8_t)((uint64_t)d & 15)) ||
           mta_zout_put(&sp->s[MTA_PK_DP], shifted, n);
}

/* A record whose fields go to the columns (mta_pack_columns), at rec.  0;
 * 1 if it cannot be split exactly (cut short, a padded pointer delta), and
 * then nothing was written; -1 on error. */
static int split_columns(struct splitter *sp, const char *cols, const uint8_t *rec,
                         const uint8_t *end, const uint8_t **next)
{
    /* first check the whole record, then write it: a record that cannot be
     * split leaves the columns untouched */
    const uint8_t *field[6], *p = rec + 1;
    int64_t d[6];
    size_t n = strlen(cols) + 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t u;
        field[i] = p;
        if (mt_get_uv(&p, end, &u))
            return 1;
        d[i] = mt_unzigzag(u);
        uint8_t canon[MT_VARINT_MAX]; /* the columns give back the shortest form */
        if (i && cols[i - 1] == 'p' &&
            ((size_t)(mt_put_uv(canon, u) - canon) != (size_t)(p - field[i]) ||
             memcmp(canon, field[i], (size_t)(p - field[i]))))
            return 1;
    }
    field[n] = p;
    if (mta_zout_byte(&sp->s[MTA_PK_TAGS], rec[0]) ||
        mta_zout_put(&sp->s[MTA_PK_DT], field[0], (size_t)(field[1] - field[0])))
        return -1;
    for (size_t i = 1; i < n; i++) {
        const uint8_t *f = field[i];
        size_t len = (size_t)(field[i + 1] - f);
        int rc = cols[i - 1] == 'p' ? split_pointer(sp, d[i])
                 : mta_zout_put(&sp->s[cols[i - 1] == 's' ? MTA_PK_SIZE : MTA_PK_STACK], f, len);
        if (rc)
            return -1;
    }
    *next = p;
    return 0;
}

static int split_records(struct splitter *sp, const uint8_t *p, const uint8_t *end)
{
    while (p < end) {
        uint8_t tag = *p;
        const uint8_t *next = NULL;
        const char *cols = mta_pack_columns(tag);
        if (cols) {
            int rc = split_columns(sp, cols, p, end, &next);
            if (rc < 0)
                return -1;
            if (rc == 0) {
                sp->events++;
                p = next;
                continue;
            }
        } else if ((next = other_end(tag, p + 1, end))) {
            uint8_t len[MT_VARINT_MAX];
            size_t nlen = (size_t)(mt_put_uv(len, (uint64_t)(next - p - 1)) - len);
            if (mta_zout_byte(&sp->s[MTA_PK_TAGS], tag) ||
                mta_zout_put(&sp->s[MTA_PK_OTHER], len, nlen) ||
                mta_zout_put(&sp->s[MTA_PK_OTHER], p + 1, (size_t)(next - p - 1)))
                return -1;
            if (tag != MT_TAG_STACK && tag != MT_TAG_STACK_CUT && tag != MT_TAG_INFO &&
                tag != MT_TAG_MODULE)
                sp->events++;
            p = next;
            continue;
        }
        /* the rest as it is: padding, an unknown tag, a record cut short */
        return mta_zout_byte(&sp->s[MTA_PK_TAGS], MTA_PK_REST) ||
               mta_zout_put(&sp->s[MTA_PK_OTHER], p, (size_t)(end - p));
    }
    return 0;
}

static int records(void *ctx, uint64_t n)
{
    struct splitter *sp = ctx;
    if (n > PAYLOAD_MAX) /* larger than any chunk the writer makes */
        return mta_zout_byte(&sp->s[MTA_PK_TAGS], MTA_PK_REST) || raw(sp, n, NULL);
    if (grow(sp, (size_t)n) || read_in(sp, sp->buf, (size_t)n))
        return -1;
    return split_records(sp, sp->buf, sp->buf + n);
}

static int write_at(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Appends the temporary file of each stream to out, after the header. */
static int assemble(struct splitter *sp, uint64_t size, int out)
{
    struct mta_pack_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, MTA_PACK_MAGIC, 8);
    h.version = MTA_PACK_VERSION;
    h.nstreams = MTA_PK_NSTREAMS;
    h.original_size = size;
    struct mta_pack_stream table[MTA_PK_NSTREAMS];
    for (int i = 0; i < MTA_PK_NSTREAMS; i++)
        table[i] = (struct mta_pack_stream){sp->s[i].raw_bytes, sp->s[i].packed_bytes};
    if (write_at(out, &h, sizeof h) || write_at(out, table, sizeof table))
        return -1;
    for (int i = 0; i < MTA_PK_NSTREAMS; i++) {
        uint64_t off = 0;
        while (off < sp->s[i].packed_bytes) {
            size_t k = sp->s[i].packed_bytes - off < sp->cap ? (size_t)(sp->s[i].packed_bytes - off)
                                                             : sp->cap;
            ssize_t r = pread(sp->s[i].fd, sp->buf, k, (off_t)off);
            if (r <= 0 || write_at(out, sp->buf, (size_t)r))
                return -1;
            off += (uint64_t)r;
        }
    }
    return 0;
}

int mta_pack_fd(int in, uint64_t size, int out, const char *tmpdir, int level, const char *name,
                struct mta_pack_stats *st, struct mta_error *err)
{
    struct splitter sp;
    memset(&sp, 0, sizeof sp);
    sp.in = in;
    for (int i = 0; i < MTA_PK_NSTREAMS; i++)
        sp.s[i].fd = -1;
    int rc = -1;
    grow(&sp, 1u << 20);
    for (int i = 0; i < MTA_PK_NSTREAMS; i++) {
        int fd = mta_temp_fd(tmpdir);
        if (fd < 0) {
            mta_set_error(err, MTA_EXIT_IO, "%s: cannot create a temporary file in %s: %s", name,
                          tmpdir, strerror(errno));
            goto out;
        }
        if (mta_zout_open(&sp.s[i], fd, level)) {
            sp.s[i].fd = fd;
            mta_set_error(err, MTA_EXIT_INTERNAL, "%s: cannot set up zstd (level %d)", name,
                          level);
            goto out;
        }
    }
    struct mta_walk_ops ops = {&sp, raw, records};
    errno = 0;
    if (mta_pack_walk(size, &ops)) {
        if (sp.read_failed)
            mta_set_error(err, MTA_EXIT_IO, "%s: read error at byte %llu: %s", name,
                          (unsigned long long)sp.in_off,
                          sp.io_errno ? strerror(sp.io_errno) : "the file shrank while packing");
        else
            mta_set_error(err, MTA_EXIT_IO, "%s: cannot write the packed streams: %s", name,
                          errno ? strerror(errno) : "zstd failed");
        goto out;
    }
    for (int i = 0; i < MTA_PK_NSTREAMS; i++)
        if (mta_zout_finish(&sp.s[i])) {
            mta_set_error(err, MTA_EXIT_IO, "%s: cannot write the packed streams: %s", name,
                          errno ? strerror(errno) : "zstd failed");
            goto out;
        }
    if (assemble(&sp, size, out)) {
        mta_set_error(err, MTA_EXIT_IO, "%s: cannot write the packed trace: %s", name,
                      errno ? strerror(errno) : "a temporary file shrank");
        goto out;
    }
    if (st) {
        st->in_bytes = size;
        st->out_bytes = sizeof(struct mta_pack_header) +
                        MTA_PK_NSTREAMS * sizeof(struct mta_pack_stream);
        for (int i = 0; i < MTA_PK_NSTREAMS; i++)
            st->out_bytes += sp.s[i].packed_bytes;
        st->events = sp.events;
    }
    rc = 0;
out:
    for (int i = 0; i < MTA_PK_NSTREAMS; i++) {
        if (sp.s[i].fd >= 0)
            close(sp.s[i].fd);
        mta_zout_close(&sp.s[i]);
    }
    free(sp.buf);
    return rc;
}
