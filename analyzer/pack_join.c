/* Unpacking (pack.h): reads the header and stream table, then makes the
 * packer's walk (pack_walk.c) again, rebuilding every record of a chunk
 * from the columns.  Every size is checked: the output never grows past
 * the original size the header declares, a stream never yields more than
 * its declared bytes, and at the end every stream must be used up exactly,
 * its zstd frame complete with a good checksum.  Memory: the zstd contexts
 * (windows of at most 8 MiB, MTA_ZWINDOW_LOG_MAX) and fixed buffers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "mtrace/format.h"
#include "mtrace/varint.h"
#include "pack.h"
#include "pack_format.h"
#include "pack_walk.h"
#include "pack_zstd.h"
#include "xalloc.h"

#define OUT_BUF (1u << 20)

struct joiner {
    const char *name;
    struct mta_error *err;
    struct mta_zin s[MTA_PK_NSTREAMS];
    int out;
    uint8_t *buf;
    size_t len;
    uint64_t written, size;
};

static const char *const stream_names[MTA_PK_NSTREAMS] = {
    "other", "tags", "dt", "pointer", "pointer-low", "size", "stack"};

static int corrupt(struct joiner *j, const char *what)
{
    if (!j->err->msg[0])
        mta_set_error(j->err, MTA_EXIT_CORRUPT, "%s: corrupt packed trace near byte %llu of the "
                      "unpacked trace: %s", j->name, (unsigned long long)j->written + j->len,
                      what);
    return -1;
}

static int stream_failed(struct joiner *j, int id)
{
    char what[160];
    snprintf(what, sizeof what, "the %s stream: %s", stream_names[id],
             j->s[id].error ? j->s[id].error : "cannot be read");
    return corrupt(j, what);
}

static int flush_out(struct joiner *j)
{
    const uint8_t *p = j->buf;
    while (j->len) {
        ssize_t w = write(j->out, p, j->len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            mta_set_error(j->err, MTA_EXIT_IO, "%s: cannot write the unpacked trace: %s",
                          j->name, w < 0 ? strerror(errno) : "no space");
            return -1;
        }
        p += w;
        j->len -= (size_t)w;
        j->written += (uint64_t)w;
    }
    return 0;
}

static int emit(void *ctx, const uint8_t *p, size_t n)
{
    struct joiner *j = ctx;
    if (n > j->size - j->written - j->len)
        return corrupt(j, "the streams hold more than the original size");
    while (n) {
        size_t k = OUT_BUF - j->len < n ? OUT_BUF - j->len : n;
        memcpy(j->buf + j->len, p, k);
        j->len += k;
        p += k;
        n -= k;
        if (j->len == OUT_BUF && flush_out(j))
            return -1;
    }
    return 0;
}

static int raw(void *ctx, uint64_t n, uint8_t *keep)
{
    struct joiner *j = ctx;
    if (n > j->size - j->written - j->len)
        return corrupt(j, "the layout runs past the original size");
    if (keep) { /* a header: the walk decides by it */
        if (mta_zin_take(&j->s[MTA_PK_OTHER], keep, n, NULL, NULL))
            return stream_failed(j, MTA_PK_OTHER);
        return emit(j, keep, (size_t)n);
    }
    if (mta_zin_take(&j->s[MTA_PK_OTHER], NULL, n, emit, j))
        return j->err->msg[0] ? -1 : stream_failed(j, MTA_PK_OTHER);
    return 0;
}

/* Copies one varint as it was written from stream id to *p. */
static int copy_varint(struct joiner *j, int id, uint8_t **p)
{
    for (int i = 0; i < MT_VARINT_MAX; i++) {
        int b = mta_zin_byte(&j->s[id]);
        if (b < 0)
            return stream_failed(j, id);
        *(*p)++ = (uint8_t)b;
        if (!(b & 0x80))
            return 0;
    }
    return corrupt(j, "a varint longer than 10 bytes");
}

static int read_uv(struct joiner *j, int id, uint64_t *v)
{
    uint8_t b[MT_VARINT_MAX], *p = b;
    const uint8_t *q = b;
    if (copy_varint(j, id, &p))
        return -1;
    if (mt_get_uv(&q, p, v))
        return corrupt(j, "a varint beyond 64 bits");
    return 0;
}

/* A pointer delta from LOW and DP, in its shortest form, to *p. */
static int join_pointer(struct joiner *j, uint8_t **p)
{
    uint64_t shifted;
    if (read_uv(j, MTA_PK_DP, &shifted))
        return -1;
    int low = mta_zin_byte(&j->s[MTA_PK_LOW]);
    if (low < 0)
        return stream_failed(j, MTA_PK_LOW);
    int64_t high = mt_unzigzag(shifted);
    if (low > 15 || high < INT64_MIN / 16 || high > INT64_MAX / 16)
        return corrupt(j, "a pointer delta out of range");
    *p = mt_put_sv(*p, (int64_t)(((uint64_t)high << 4) | (uint64_t)low));
    return 0;
}

/* A record split into columns (mta_pack_columns) back into rec; its length. */
static int join_columns(struct joiner *j, uint8_t tag, const char *cols, uint8_t *rec)
{
    uint8_t *p = rec;
    *p++ = tag;
    if (copy_varint(j, MTA_PK_DT, &p))
        return -1;
    for (; *cols; cols++)
        if (*cols == 'p' ? join_pointer(j, &p)
                         : copy_varint(j, *cols == 's' ? MTA_PK_SIZE : MTA_PK_STACK, &p))
            return -1;
    return (int)(p - rec);
}

static int records(void *ctx, uint64_t n)
{
    struct joiner *j = ctx;
    while (n) {
        int code = mta_zin_byte(&j->s[MTA_PK_TAGS]);
        if (code < 0)
            return stream_failed(j, MTA_PK_TAGS);
        if (code == MTA_PK_REST)
            return raw(j, n, NULL);
        uint8_t rec[1 + 5 * MT_VARINT_MAX];
        const char *cols = mta_pack_columns((uint8_t)code);
        if (cols) {
            int len = join_columns(j, (uint8_t)code, cols, rec);
            if (len < 0)
                return -1;
            if ((uint64_t)len > n)
                return corrupt(j, "a record runs past its chunk");
            if (emit(j, rec, (size_t)len))
                return -1;
            n -= (uint64_t)len;
            continue;
        }
        if (code == MT_TAG_PAD || code > MT_TAG_STACK_CUT)
            return corrupt(j, "an unknown record code");
        uint64_t len;
        if (read_uv(j, MTA_PK_OTHER, &len))
            return -1;
        if (len >= n)
            return corrupt(j, "a record runs past its chunk");
        rec[0] = (uint8_t)code;
        if (emit(j, rec, 1) || raw(j, len, NULL))
            return -1;
        n -= len + 1;
    }
    return 0;
}

static int read_exact(int fd, void *p, size_t n, uint64_t off)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(fd, (uint8_t *)p + done, n - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        done += (size_t)r;
    }
    return 0;
}

/* The header and the stream table, checked against the file's size. */
static int read_table(int in, const char *name, struct mta_pack_header *h,
                      struct mta_pack_stream *t, struct mta_error *err)
{
    struct stat st;
    if (fstat(in, &st))
        return mta_set_error(err, MTA_EXIT_IO, "%s: %s", name, strerror(errno)), -1;
    uint64_t fsize = (uint64_t)st.st_size;
    uint64_t head = sizeof *h + MTA_PK_NSTREAMS * sizeof *t;
    if (read_exact(in, h, sizeof *h, 0) || memcmp(h->magic, MTA_PACK_MAGIC, 8))
        return mta_set_error(err, MTA_EXIT_CORRUPT, "%s: not a packed mtrace trace (bad magic "
                             "at byte 0)", name), -1;
    if (h->version != MTA_PACK_VERSION)
        return mta_set_error(err, MTA_EXIT_CORRUPT, "%s: packed trace version %u at byte 8 is "
                             "not supported (this mtrace-report reads version %u)", name,
                             h->version, MTA_PACK_VERSION), -1;
    if (h->nstreams != MTA_PK_NSTREAMS)
        return mta_set_error(err, MTA_EXIT_CORRUPT, "%s: corrupt packed trace at byte 12: %u "
                             "streams, not %u", name, h->nstreams, MTA_PK_NSTREAMS), -1;
    if (fsize < head || read_exact(in, t, MTA_PK_NSTREAMS * sizeof *t, sizeof *h))
        return mta_set_error(err, MTA_EXIT_CORRUPT, "%s: corrupt packed trace: the file ends "
                             "inside its stream table (%llu bytes)", name,
                             (unsigned long long)fsize), -1;
    uint64_t total = head;
    for (int i = 0; i < MTA_PK_NSTREAMS; i++) {
        if (t[i].packed_bytes > fsize || total + t[i].packed_bytes > fsize)
            return mta_set_error(err, MTA_EXIT_CORRUPT, "%s: corrupt packed trace: cut short "
                                 "(the %s stream ends past the file's %llu bytes)", name,
                                 stream_names[i], (unsigned long long)fsize), -1;
        total += t[i].packed_bytes;
    }
    if (total != fsize)
        return mta_set_error(err, MTA_EXIT_CORRUPT, "%s: corrupt packed trace: its streams "
                             "end at byte %llu, the file at %llu", name,
                             (unsigned long long)total, (unsigned long long)fsize), -1;
    return 0;
}

int mta_unpack_fd(int in, int out, const char *name, struct mta_error *err)
{
    struct mta_pack_header h;
    struct mta_pack_stream t[MTA_PK_NSTREAMS];
    if (read_table(in, name, &h, t, err))
        return -1;
    struct joiner j;
    memset(&j, 0, sizeof j);
    j.name = name;
    j.err = err;
    j.out = out;
    j.size = h.original_size;
    j.buf = mta_xmalloc(OUT_BUF);
    uint64_t off = sizeof h + sizeof t;
    int rc = 0;
    for (int i = 0; i < MTA_PK_NSTREAMS; i++) {
        if (mta_zin_open(&j.s[i], in, off, t[i].packed_bytes, t[i].raw_bytes) && !rc) {
            mta_set_error(err, MTA_EXIT_INTERNAL, "%s: cannot set up zstd", name);
            rc = -1;
        }
        off += t[i].packed_bytes;
    }
    struct mta_walk_ops ops = {&j, raw, records};
    if (rc == 0)
        rc = mta_pack_walk(h.original_size, &ops);
    if (rc == 0)
        rc = flush_out(&j);
    for (int i = 0; i < MTA_PK_NSTREAMS && rc == 0; i++)
        if (mta_zin_finish(&j.s[i]))
            rc = stream_failed(&j, i);
    for (int i = 0; i < MTA_PK_NSTREAMS; i++)
        mta_zin_close(&j.s[i]);
    free(j.buf);
    return rc;
}
