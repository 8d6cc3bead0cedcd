/* Everything mtrace knows about glibc's malloc internals lives here, so a
 * port to another C library touches one file.
 *
 * A glibc chunk is preceded by its size field; its low bits are flags:
 *   0x1 PREV_INUSE, 0x2 IS_MMAPPED (a dedicated mmap), 0x4 NON_MAIN_ARENA
 *   (the chunk lives in a thread arena's heap, not the main brk heap). */
#include <dlfcn.h>

#include "shim.h"

#define CHUNK_IS_MMAPPED 0x2u
#define CHUNK_NON_MAIN_ARENA 0x4u

static int malloc_is_glibc;

void mt_glibc_init(void) MT_HIDDEN;
void mt_glibc_init(void)
{
    /* Only read chunk headers if the malloc we wrap is glibc's own. */
    void *libc_malloc = dlsym(RTLD_NEXT, "__libc_malloc");
    malloc_is_glibc = libc_malloc && libc_malloc == (void *)mt_real.malloc;
}

unsigned mt_glibc_source(const void *p)
{
    if (!p || !malloc_is_glibc)
        return MT_SRC_UNKNOWN;
    size_t head = ((const size_t *)p)[-1];
    if (head & CHUNK_IS_MMAPPED)
        return MT_SRC_MMAP;
    return (head & CHUNK_NON_MAIN_ARENA) ? MT_SRC_ARENA : MT_SRC_BRK;
}

/* The dedicated mapping behind an mmapped chunk: glibc maps it at
 * chunk - prev_size with length prev_size + chunksize (prev_size holds the
 * alignment offset for memalign'd blocks).  Returns 1 if p is such a chunk. */
int mt_glibc_chunk_mapping(const void *p, uintptr_t *start, uintptr_t *len) MT_HIDDEN;
int mt_glibc_chunk_mapping(const void *p, uintptr_t *start, uintptr_t *len)
{
    if (!p || !malloc_is_glibc)
        return 0;
    const size_t *hdr = (const size_t *)p - 2; /* prev_size, size */
    if (!(hdr[1] & CHUNK_IS_MMAPPED))
        return 0;
    *start = (uintptr_t)hdr - hdr[0];
    *len = hdr[0] + (hdr[1] & ~(size_t)7);
    return 1;
}
