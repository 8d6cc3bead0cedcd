/* What malloc did underneath a call: program-break moves and the dedicated
 * mmap/munmap/mremap of large chunks.  glibc makes these system calls
 * internally (not through the PLT), so they are inferred around each hook
 * from the program break and the chunk headers (glibc.c). */
#ifndef MT_HEAP_EVENTS_H
#define MT_HEAP_EVENTS_H

#include <stdint.h>

#include "glibc.h"

struct mt_thread;

/* The state of a block about to be freed or reallocated. */
struct mt_heap_before {
    uintptr_t map_start; /* its dedicated mapping, if mmapped; else 0 */
    uintptr_t map_len;
};

#define MT_HEAP_HIDDEN __attribute__((visibility("hidden")))

extern uintptr_t mt_heap_last_brk MT_HEAP_HIDDEN;
void mt_heap_init(void) MT_HEAP_HIDDEN;
void mt_heap_after_fork(void) MT_HEAP_HIDDEN;
uintptr_t mt_heap_current_brk(void) MT_HEAP_HIDDEN;
/* slow paths of the inline checks below */
void mt_heap_brk_moved(struct mt_thread *t, unsigned cause, uint32_t stack) MT_HEAP_HIDDEN;
void mt_heap_chunk_mapped(struct mt_thread *t, unsigned cause, const void *p,
                          uint32_t stack) MT_HEAP_HIDDEN;
void mt_heap_chunk_unmapped(struct mt_thread *t, const struct mt_heap_before *hb) MT_HEAP_HIDDEN;
void mt_heap_after_realloc(struct mt_thread *t, const struct mt_heap_before *hb,
                           const void *p, uint32_t stack) MT_HEAP_HIDDEN;
void mt_heap_in_arena(struct mt_thread *t, unsigned cause, const void *p,
                      uint32_t stack) MT_HEAP_HIDDEN;
/* Records a move of the break made by the application itself. */
void mt_heap_note_brk(struct mt_thread *t, unsigned cause, uint32_t stack) MT_HEAP_HIDDEN;

/* MT_NO_HEAP_CHECKS (a measurement build only, see docs/profile.md):
 * compile the break and chunk-header checks out of the hooks. */
#ifdef MT_NO_HEAP_CHECKS
#define MT_HEAP_CHECKS 0
#else
#define MT_HEAP_CHECKS 1
#endif

/* Did the program break move since our last look?  (One load, usually.) */
static inline void mt_heap_check_brk(struct mt_thread *t, unsigned cause, uint32_t stack)
{
    uintptr_t now = mt_glibc_curbrk ? (uintptr_t)*mt_glibc_curbrk : mt_heap_current_brk();
    if (__builtin_expect(now != __atomic_load_n(&mt_heap_last_brk, __ATOMIC_RELAXED), 0))
        mt_heap_brk_moved(t, cause, stack);
}

static inline void mt_heap_before_free(struct mt_heap_before *hb, const void *p)
{
    hb->map_start = hb->map_len = 0;
    if (!MT_HEAP_CHECKS)
        return;
    mt_glibc_chunk_mapping(p, &hb->map_start, &hb->map_len);
}

/* After an allocation: a break move, a dedicated mmap, a thread arena's
 * heap not seen before?  In that order: within one call glibc moves the
 * break first (setting up its per-thread cache on the first call, a small
 * block from the brk heap) and maps the block after; an allocation never
 * shrinks the break. */
static inline void mt_heap_after(struct mt_thread *t, unsigned cause, const void *p,
                                 uint32_t stack)
{
    if (!MT_HEAP_CHECKS)
        return;
    mt_heap_check_brk(t, cause, stack);
    size_t head = mt_glibc_head(p);
    if (__builtin_expect(head & (MT_CHUNK_IS_MMAPPED | MT_CHUNK_NON_MAIN_ARENA), 0)) {
        if (head & MT_CHUNK_IS_MMAPPED)
            mt_heap_chunk_mapped(t, cause, p, stack);
        else
            mt_heap_in_arena(t, cause, p, stack);
    }
}

/* After a free: the dedicated mapping went away, or the heap was trimmed? */
static inline void mt_heap_after_free(struct mt_thread *t, const struct mt_heap_before *hb)
{
    if (!MT_HEAP_CHECKS)
        return;
    if (__builtin_expect(hb->map_len != 0, 0))
        mt_heap_chunk_unmapped(t, hb);
    mt_heap_check_brk(t, MT_CAUSE_FREE, 0);
}

#endif
