/* The packed trace ("mtrace packed trace", docs/trace-format.md "Packed
 * traces"): a binary trace split into columns and compressed with zstd at
 * rest.  Unpacking gives back the original file byte for byte.
 *
 *   [0, 32)   struct mta_pack_header
 *   [32, ..)  MTA_PK_NSTREAMS x struct mta_pack_stream, in stream order
 *   then      the streams' zstd frames, back to back, in stream order
 *
 * All integers little-endian.  The analyzer only: the traced process never
 * sees this format. */
#ifndef MTA_PACK_FORMAT_H
#define MTA_PACK_FORMAT_H

#include <stdint.h>

#define MTA_PACK_MAGIC "MTRACEZ\n" /* 8 bytes, no NUL */
#define MTA_PACK_VERSION 1u

struct mta_pack_header {
    char magic[8];
    uint32_t version;       /* MTA_PACK_VERSION */
    uint32_t nstreams;      /* MTA_PK_NSTREAMS */
    uint64_t original_size; /* bytes of the unpacked trace */
    uint64_t reserved;      /* 0 */
};

struct mta_pack_stream {
    uint64_t raw_bytes;     /* bytes the stream decompresses to */
    uint64_t packed_bytes;  /* bytes of its zstd frame in the file */
};

/* The streams.  The file is walked as the reader walks it (file header,
 * chunk headers, chunk records, unused tails; pack_walk.c): every byte that
 * is not part of a free, allocation or realloc record goes to OTHER as it
 * is.  The records of a chunk are a sequence of codes in TAGS:
 *   MT_TAG_FREE, MT_TAG_REALLOC, MT_TAG_ALLOC + kind: the record's fields
 *       are in the columns: the dt varint in DT as written; each pointer
 *       delta d (one for free and allocation, two for realloc) as its low 4
 *       bits in LOW, one byte, and uv zigzag(d >> 4) in DP; the size and
 *       stack varints in SIZE and STACK as written;
 *   another known tag: uv n in OTHER, then the record's n bytes after its tag;
 *   MTA_PK_REST: the rest of the chunk's records are in OTHER as they are
 *       (padding, an unknown tag, a record cut short, a pointer delta not
 *       in its shortest form). */
enum mta_pack_stream_id {
    MTA_PK_OTHER = 0,
    MTA_PK_TAGS = 1,
    MTA_PK_DT = 2,
    MTA_PK_DP = 3,
    MTA_PK_LOW = 4,
    MTA_PK_SIZE = 5,
    MTA_PK_STACK = 6,
    MTA_PK_NSTREAMS = 7
};

#define MTA_PK_REST 0xffu

#endif
