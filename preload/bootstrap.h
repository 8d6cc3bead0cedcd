#ifndef MT_BOOTSTRAP_H
#define MT_BOOTSTRAP_H
#include <stddef.h>
void *mt_boot_alloc(size_t size, size_t align) __attribute__((visibility("hidden")));
#define MT_BOOT_BYTES (256 * 1024)
extern unsigned char mt_boot_arena[MT_BOOT_BYTES] __attribute__((visibility("hidden")));
/* Inline: free() asks it on every call. */
static inline int mt_boot_owns(const void *p)
{
    return (const unsigned char *)p >= mt_boot_arena &&
           (const unsigned char *)p < mt_boot_arena + MT_BOOT_BYTES;
}
size_t mt_boot_size(const void *p) __attribute__((visibility("hidden")));
#endif
