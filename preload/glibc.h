/* Everything mtrace knows about glibc's malloc internals lives here (and in
 * glibc.c), so a port to another C library touches one place.
 *
 * A glibc chunk is preceded by two words, prev_size and size; the low bits of
 * size are flags: 0x1 PREV_INUSE, 0x2 IS_MMAPPED (the block has a dedicated
 * mmap), 0x4 NON_MAIN_ARENA (the block lives in a thread arena's heap, not the
 * main brk heap).  A dedicated mapping starts at chunk - prev_size and is
 * prev_size + chunksize long (prev_size holds memalign's offset).
 *
 * A thread arena lives in "heaps": mappings of HEAP_MAX bytes aligned to
 * HEAP_MAX (64 MiB on 64-bit: 2 x DEFAULT_MMAP_THRESHOLD_MAX), reserved
 * PROT_NONE and made writable as they fill.  A heap starts with heap_info
 * { ar_ptr, prev, size, mprotect_size, ... }, so the heap of a block is
 * block & ~(HEAP_MAX - 1) and its writable size is the third word there. */
#ifndef MT_GLIBC_H
#define MT_GLIBC_H

#include <stddef.h>
#include <stdint.h>

#include "mtrace/format.h"

#define MT_CHUNK_IS_MMAPPED 0x2u
#define MT_CHUNK_NON_MAIN_ARENA 0x4u
#define MT_GLIBC_HEAP_MAX ((uintptr_t)64 << 20)

/* 1 when the malloc we wrap is glibc's own, so chunk headers may be read. */
extern int mt_malloc_is_glibc __attribute__((visibility("hidden")));
/* 1 unless glibc.malloc.hugetlb >= 2 changed HEAP_MAX (heaps are then
 * smaller and their bases cannot be found by masking a block address) */
extern int mt_glibc_heap_max_known __attribute__((visibility("hidden")));
/* glibc's cached program break (__curbrk), or NULL */
extern void **mt_glibc_curbrk __attribute__((visibility("hidden")));

void mt_glibc_init(void) __attribute__((visibility("hidden")));
/* Locates ld.so's dl_load_write_lock (call once, single-threaded). */
void mt_glibc_find_loader_lock(void) __attribute__((visibility("hidden")));
/* 0 if walking the module list would block forever: a fork child whose
 * parent had another thread inside dlopen/dlclose/dl_iterate_phdr. */
int mt_glibc_loader_walk_ok(void) __attribute__((visibility("hidden")));

static inline size_t mt_glibc_head(const void *p)
{
    return p && mt_malloc_is_glibc ? ((const size_t *)p)[-1] : 0;
}

/* Where a block returned by malloc was served from (enum mt_source). */
static inline unsigned mt_glibc_source_of_head(size_t head)
{
    if (!head)
        return MT_SRC_UNKNOWN;
    if (head & MT_CHUNK_IS_MMAPPED)
        return MT_SRC_MMAP;
    return (head & MT_CHUNK_NON_MAIN_ARENA) ? MT_SRC_ARENA : MT_SRC_BRK;
}

static inline unsigned mt_glibc_source(const void *p)
{
    return mt_glibc_source_of_head(mt_glibc_head(p));
}

/* The dedicated mapping behind an mmapped chunk; 1 if p is such a chunk. */
static inline int mt_glibc_chunk_mapping(const void *p, uintptr_t *start, uintptr_t *len)
{
    size_t head = mt_glibc_head(p);
    if (!(head & MT_CHUNK_IS_MMAPPED))
        return 0;
    const size_t *hdr = (const size_t *)p - 2; /* prev_size, size */
    *start = (uintptr_t)hdr - hdr[0];
    *len = hdr[0] + (head & ~(size_t)7);
    return 1;
}

/* The thread-arena heap holding a block whose chunk has NON_MAIN_ARENA
 * set: 1 and its base and writable size if its heap_info looks right
 * (a glibc.malloc.hugetlb setting changes HEAP_MAX: then 0). */
static inline int mt_glibc_arena_heap(const void *p, uintptr_t *base, uintptr_t *size)
{
    if (!mt_glibc_heap_max_known)
        return 0;
    uintptr_t b = (uintptr_t)p & ~(MT_GLIBC_HEAP_MAX - 1);
    const uintptr_t *info = (const uintptr_t *)b; /* ar_ptr, prev, size */
    if (!info[0] || info[2] > MT_GLIBC_HEAP_MAX || (uintptr_t)p >= b + info[2])
        return 0;
    *base = b;
    *size = info[2];
    return 1;
}

#endif
