#ifndef MT_BOOTSTRAP_H
#define MT_BOOTSTRAP_H
#include <stddef.h>
void *mt_boot_alloc(size_t size, size_t align) __attribute__((visibility("hidden")));
int mt_boot_owns(const void *p) __attribute__((visibility("hidden")));
size_t mt_boot_size(const void *p) __attribute__((visibility("hidden")));
#endif
