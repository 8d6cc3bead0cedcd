/* zstd streams of a packed trace: a compressing stream that writes one zstd
 * frame to a file as bytes are put, and a decompressing stream that reads
 * one frame from a range of a file as bytes are taken.  Both hold a small
 * fixed amount of memory however long the stream. */
#ifndef MTA_PACK_ZSTD_H
#define MTA_PACK_ZSTD_H

#include <stddef.h>
#include <stdint.h>

#include <zstd.h>

#define MTA_ZBUF (128u << 10)
/* Largest zstd window a packed trace may ask of the decompressor: 8 MiB
 * (packing levels 1..19 stay within it). */
#define MTA_ZWINDOW_LOG_MAX 23

struct mta_zout {
    ZSTD_CCtx *cctx;
    int fd;                 /* where the frame goes, from its start */
    uint8_t *in, *out;      /* MTA_ZBUF each */
    size_t in_len;
    uint64_t raw_bytes, packed_bytes;
};

/* 0, or -1 (out of memory, bad level) */
int mta_zout_open(struct mta_zout *z, int fd, int level);
/* 0, or -1 with errno set (a write failed) or 0 (zstd failed) */
int mta_zout_flush_in(struct mta_zout *z);
static inline int mta_zout_put(struct mta_zout *z, const void *p, size_t n)
{
    while (n) {
        size_t k = MTA_ZBUF - z->in_len < n ? MTA_ZBUF - z->in_len : n;
        __builtin_memcpy(z->in + z->in_len, p, k);
        z->in_len += k;
        p = (const uint8_t *)p + k;
        n -= k;
        if (z->in_len == MTA_ZBUF && mta_zout_flush_in(z))
            return -1;
    }
    return 0;
}
static inline int mta_zout_byte(struct mta_zout *z, uint8_t b)
{
    z->in[z->in_len++] = b;
    return z->in_len == MTA_ZBUF ? mta_zout_flush_in(z) : 0;
}
/* Ends the frame.  0 or -1. */
int mta_zout_finish(struct mta_zout *z);
void mta_zout_close(struct mta_zout *z);

struct mta_zin {
    ZSTD_DCtx *dctx;
    int fd;
    uint64_t off, left;     /* compressed bytes still to read at off */
    uint64_t raw_left;      /* decompressed bytes the header declares, still to come */
    uint8_t *in, *out;
    ZSTD_inBuffer ib;
    size_t pos, len;        /* decompressed bytes in out not yet taken */
    size_t frame_left;      /* ZSTD_decompressStream's last hint: 0 = frame done */
    const char *error;      /* why the stream failed (NULL: it did not) */
};

int mta_zin_open(struct mta_zin *z, int fd, uint64_t off, uint64_t packed, uint64_t raw);
/* Refills out; 0 with z->len > 0, else -1 (z->error says why: the stream
 * ended, or its data is corrupt). */
int mta_zin_fill(struct mta_zin *z);
static inline int mta_zin_byte(struct mta_zin *z)
{
    if (z->pos == z->len && mta_zin_fill(z))
        return -1;
    return z->out[z->pos++];
}
/* Takes exactly n bytes into p (p may be NULL: the bytes are passed to
 * sink(ctx, bytes, k) piece by piece instead).  0 or -1. */
int mta_zin_take(struct mta_zin *z, uint8_t *p, uint64_t n,
                 int (*sink)(void *ctx, const uint8_t *b, size_t k), void *ctx);
/* 0 if the stream was read to its end (every declared byte taken, the frame
 * complete and its checksum good), else -1 with z->error. */
int mta_zin_finish(struct mta_zin *z);
void mta_zin_close(struct mta_zin *z);

#endif
