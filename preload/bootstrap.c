/* A static arena for the allocations made before the real malloc is known
 * (dlsym allocates while we look malloc up).  free() recognises its blocks
 * and ignores them; they are never reused. */
#include <string.h>

#include "bootstrap.h"

_Alignas(64) unsigned char mt_boot_arena[MT_BOOT_BYTES];
#define arena mt_boot_arena
static size_t used;

void *mt_boot_alloc(size_t size, size_t align)
{
    if (align < 16)
        align = 16;
    size_t start, next;
    size_t cur = __atomic_load_n(&used, __ATOMIC_RELAXED);
    do {
        start = (cur + 16 + align - 1) & ~(align - 1); /* 16 bytes for the size */
        next = start + size;
        if (next > MT_BOOT_BYTES || next < start)
            return NULL;
    } while (!__atomic_compare_exchange_n(&used, &cur, next, 1, __ATOMIC_RELAXED,
                                          __ATOMIC_RELAXED));
    ((size_t *)(arena + start))[-1] = size;
    return arena + start; /* static storage: already zeroed, fine for calloc */
}

size_t mt_boot_size(const void *p)
{
    return ((const size_t *)p)[-1];
}
