/* What malloc did underneath a call: program-break moves and the dedicated
 * mmap/munmap/mremap of large chunks.  glibc makes these system calls
 * internally (not through the PLT), so they are inferred around each hook
 * from the program break and the chunk headers (glibc.c). */
#ifndef MT_HEAP_EVENTS_H
#define MT_HEAP_EVENTS_H

#include <stdint.h>

struct mt_thread;

/* The state of a block about to be freed or reallocated. */
struct mt_heap_before {
    uintptr_t map_start; /* its dedicated mapping, if mmapped; else 0 */
    uintptr_t map_len;
};

void mt_heap_init(void) __attribute__((visibility("hidden")));
void mt_heap_before_free(struct mt_heap_before *hb, const void *p)
    __attribute__((visibility("hidden")));
void mt_heap_after(struct mt_thread *t, unsigned cause, const void *p, uint32_t stack)
    __attribute__((visibility("hidden")));
void mt_heap_after_free(struct mt_thread *t, const struct mt_heap_before *hb)
    __attribute__((visibility("hidden")));
void mt_heap_after_realloc(struct mt_thread *t, const struct mt_heap_before *hb,
                           const void *p, uint32_t stack)
    __attribute__((visibility("hidden")));
/* Records a move of the break made by the application itself. */
void mt_heap_note_brk(struct mt_thread *t, unsigned cause, uint32_t stack)
    __attribute__((visibility("hidden")));
uintptr_t mt_heap_current_brk(void) __attribute__((visibility("hidden")));

#endif
