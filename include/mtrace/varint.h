/* LEB128 varints as used by the trace format (see format.h).
 * Encoders write into a buffer the caller has sized (at most MT_VARINT_MAX
 * bytes each); the decoder is bounds-checked because the analyzer reads
 * untrusted files. */
#ifndef MTRACE_VARINT_H
#define MTRACE_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define MT_VARINT_MAX 10

static inline uint64_t mt_zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t mt_unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static inline uint8_t *mt_put_uv(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* Writes v in exactly n bytes (v < 2^(7n)): a padded encoding (0x80
 * continuation bytes carrying zero bits) that decoders read as usual, for a
 * length the writer only knows after writing what follows it. */
static inline uint8_t *mt_put_uv_padded(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i + 1 < n; i++) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)(v & 0x7f);
    return p;
}

static inline uint8_t *mt_put_sv(uint8_t *p, int64_t v)
{
    return mt_put_uv(p, mt_zigzag(v));
}

/* Decodes one varint from [*pp, end).  Returns 0 and advances *pp on
 * success; -1 if the input ends early or the value overflows 64 bits. */
static inline int mt_get_uv(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    if (__builtin_expect(p < end && *p < 0x80, 1)) { /* one byte: the common case */
        *out = *p;
        *pp = p + 1;
        return 0;
    }
    uint64_t v = 0;
    unsigned shift = 0;
    for (;;) {
        if (p >= end || shift > 63)
            return -1;
        uint8_t b = *p++;
        if (shift == 63 && (b & 0x7e))
            return -1;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
        shift += 7;
    }
    *pp = p;
    *out = v;
    return 0;
}

static inline int mt_get_sv(const uint8_t **pp, const uint8_t *end, int64_t *out)
{
    uint64_t u;
    if (mt_get_uv(pp, end, &u))
        return -1;
    *out = mt_unzigzag(u);
    return 0;
}

#endif
