/* zstd streams of a packed trace (pack_zstd.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pack_zstd.h"
#include "xalloc.h"

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int mta_zout_open(struct mta_zout *z, int fd, int level)
{
    memset(z, 0, sizeof *z);
    z->fd = fd;
    z->cctx = ZSTD_createCCtx();
    z->in = mta_xmalloc(MTA_ZBUF);
    z->out = mta_xmalloc(MTA_ZBUF);
    if (!z->cctx || ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_compressionLevel, level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_checksumFlag, 1)))
        return -1;
    return 0;
}

static int compress(struct mta_zout *z, ZSTD_EndDirective mode)
{
    ZSTD_inBuffer ib = {z->in, z->in_len, 0};
    for (;;) {
        ZSTD_outBuffer ob = {z->out, MTA_ZBUF, 0};
        size_t left = ZSTD_compressStream2(z->cctx, &ob, &ib, mode);
        if (ZSTD_isError(left)) {
            errno = 0;
            return -1;
        }
        if (write_all(z->fd, z->out, ob.pos))
            return -1;
        z->packed_bytes += ob.pos;
        if (mode == ZSTD_e_end ? left == 0 : ib.pos == ib.size)
            break;
    }
    z->raw_bytes += z->in_len;
    z->in_len = 0;
    return 0;
}

int mta_zout_flush_in(struct mta_zout *z)
{
    return compress(z, ZSTD_e_continue);
}

int mta_zout_finish(struct mta_zout *z)
{
    return compress(z, ZSTD_e_end);
}

void mta_zout_close(struct mta_zout *z)
{
    ZSTD_freeCCtx(z->cctx);
    free(z->in);
    free(z->out);
    z->cctx = NULL;
    z->in = z->out = NULL;
}

int mta_zin_open(struct mta_zin *z, int fd, uint64_t off, uint64_t packed, uint64_t raw)
{
    memset(z, 0, sizeof *z);
    z->fd = fd;
    z->off = off;
    z->left = packed;
    z->raw_left = raw;
    z->frame_left = 1;
    z->dctx = ZSTD_createDCtx();
    z->in = mta_xmalloc(MTA_ZBUF);
    z->out = mta_xmalloc(MTA_ZBUF);
    z->ib = (ZSTD_inBuffer){z->in, 0, 0};
    if (!z->dctx ||
        ZSTD_isError(ZSTD_DCtx_setParameter(z->dctx, ZSTD_d_windowLogMax, MTA_ZWINDOW_LOG_MAX)))
        return -1;
    return 0;
}

/* More compressed input; 0, or -1 at the end of the stream's bytes. */
static int read_more(struct mta_zin *z)
{
    if (z->left == 0) {
        z->error = "its zstd data ends early";
        return -1;
    }
    size_t want = z->left < MTA_ZBUF ? (size_t)z->left : MTA_ZBUF;
    ssize_t n = pread(z->fd, z->in, want, (off_t)z->off);
    if (n <= 0) {
        z->error = n < 0 ? strerror(errno) : "the file ends early";
        return -1;
    }
    z->off += (uint64_t)n;
    z->left -= (uint64_t)n;
    z->ib = (ZSTD_inBuffer){z->in, (size_t)n, 0};
    return 0;
}

int mta_zin_fill(struct mta_zin *z)
{
    z->pos = z->len = 0;
    if (z->raw_left == 0) {
        z->error = "more bytes were needed than it holds";
        return -1;
    }
    for (;;) {
        if (z->ib.pos == z->ib.size && read_more(z))
            return -1;
        /* never more than the header declares: a hostile frame cannot make
         * the unpacked trace grow beyond it */
        size_t room = z->raw_left < MTA_ZBUF ? (size_t)z->raw_left : MTA_ZBUF;
        ZSTD_outBuffer ob = {z->out, room, 0};
        size_t r = ZSTD_decompressStream(z->dctx, &ob, &z->ib);
        if (ZSTD_isError(r)) {
            z->error = ZSTD_getErrorName(r);
            return -1;
        }
        z->frame_left = r;
        if (ob.pos) {
            z->len = ob.pos;
            z->raw_left -= ob.pos;
            return 0;
        }
        if (r == 0) {
            z->error = "its zstd frame holds fewer bytes than the header says";
            return -1;
        }
    }
}

int mta_zin_take(struct mta_zin *z, uint8_t *p, uint64_t n,
                 int (*sink)(void *ctx, const uint8_t *b, size_t k), void *ctx)
{
    while (n) {
        if (z->pos == z->len && mta_zin_fill(z))
            return -1;
        size_t k = z->len - z->pos < n ? z->len - z->pos : (size_t)n;
        if (p) {
            memcpy(p, z->out + z->pos, k);
            p += k;
        } else if (sink(ctx, z->out + z->pos, k)) {
            return -1;
        }
        z->pos += k;
        n -= k;
    }
    return 0;
}

int mta_zin_finish(struct mta_zin *z)
{
    if (z->pos != z->len || z->raw_left) {
        z->error = "it holds more bytes than the trace uses";
        return -1;
    }
    /* the frame's end: its checksum is checked there */
    while (z->frame_left) {
        if (z->ib.pos == z->ib.size && read_more(z))
            return -1;
        uint8_t spare[1];
        ZSTD_outBuffer ob = {spare, sizeof spare, 0};
        size_t r = ZSTD_decompressStream(z->dctx, &ob, &z->ib);
        if (ZSTD_isError(r)) {
            z->error = ZSTD_getErrorName(r);
            return -1;
        }
        if (ob.pos) {
            z->error = "its zstd frame holds more bytes than the header says";
            return -1;
        }
        z->frame_left = r;
    }
    if (z->ib.pos != z->ib.size || z->left) {
        z->error = "bytes follow its zstd frame";
        return -1;
    }
    return 0;
}

void mta_zin_close(struct mta_zin *z)
{
    ZSTD_freeDCtx(z->dctx);
    free(z->in);
    free(z->out);
    z->dctx = NULL;
    z->in = z->out = NULL;
}
