#include <dlfcn.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "glibc.h"
#include "heap_events.h"
#include "mtrace/varint.h"
#include "shim.h"

uintptr_t mt_heap_last_brk; /* glibc's cached break as of our last look */
static uintptr_t initial_brk; /* the kernel's break when tracing began */

/* glibc's cached break is NULL until its first brk/sbrk: malloc has not
 * touched the heap yet.  Then ask the kernel (brk(0) changes nothing and,
 * made as a raw system call, does not touch glibc's cache either), so the
 * first growth is recorded from the real initial break, not from 0. */
uintptr_t mt_heap_current_brk(void)
{
    if (mt_glibc_curbrk && *mt_glibc_curbrk)
        return (uintptr_t)*mt_glibc_curbrk;
    return (uintptr_t)syscall(SYS_brk, 0);
}

/* mt_heap_last_brk follows glibc's cache, so the inline check stays one
 * load and compare even before malloc first moves the break (0 == 0). */
void mt_heap_init(void)
{
    initial_brk = mt_heap_current_brk();
    mt_heap_last_brk = mt_glibc_curbrk ? (uintptr_t)*mt_glibc_curbrk : initial_brk;
}

static void record_brk(struct mt_thread *t, uintptr_t old, uintptr_t now, unsigned cause,
                       uint32_t stack)
{
    struct mt_cursor *c = mt_cursor_of(t);
    uint64_t ticks = mt_ticks();
    uint8_t *o = mt_reserve(t, c, 1 + 5 * MT_VARINT_MAX, ticks);
    if (!o) {
        mt_lost_event();
        return;
    }
    *o++ = MT_TAG_BRK;
    o = mt_put_sv(o, (int64_t)(ticks - c->last_ticks));
    o = mt_put_uv(o, old);
    o = mt_put_uv(o, now);
    o = mt_put_uv(o, cause);
    o = mt_put_uv(o, stack);
    c->last_ticks = ticks;
    mt_commit(c, o);
}

static void record_chunk_map(struct mt_thread *t, unsigned op, uintptr_t addr, uintptr_t len,
                             uintptr_t naddr, uintptr_t nlen, unsigned cause, uint32_t stack)
{
    unsigned flags = 0x22; /* MAP_PRIVATE|MAP_ANONYMOUS */
    if (op == MT_MAP_ARENA_HEAP)
        flags |= 0x4000;   /* |MAP_NORESERVE, as glibc reserves a heap */
    struct mt_map_record m = {op, cause, addr, len, naddr, nlen, 3 /* PROT_READ|WRITE */,
                              flags, stack, NULL, 0};
    mt_record_map(t, &m);
}

/* Records a move of the break since our last look.  Only the main arena
 * moves the break, under its lock; the compare-and-swap makes sure one
 * thread reports each move. */
void mt_heap_brk_moved(struct mt_thread *t, unsigned cause, uint32_t stack)
{
    uintptr_t now = mt_glibc_curbrk ? (uintptr_t)*mt_glibc_curbrk : mt_heap_current_brk();
    uintptr_t old = __atomic_load_n(&mt_heap_last_brk, __ATOMIC_RELAXED);
    if (now == old || !__atomic_compare_exchange_n(&mt_heap_last_brk, &old, now, 0,
                                                   __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        return;
    uintptr_t from = old ? old : initial_brk; /* glibc's first look at the break */
    if (now && now != from)
        record_brk(t, from, now, cause, stack);
}

void mt_heap_note_brk(struct mt_thread *t, unsigned cause, uint32_t stack)
{
    mt_heap_brk_moved(t, cause, stack);
}

void mt_heap_chunk_mapped(struct mt_thread *t, unsigned cause, const void *p, uint32_t stack)
{
    uintptr_t start, len;
    if (mt_glibc_chunk_mapping(p, &start, &len))
        record_chunk_map(t, MT_MAP_CHUNK_MMAP, start, len, 0, 0, cause, stack);
}

/* Thread-arena heaps recorded so far (a heap is recorded once; if the
 * table is full, again by each thread that meets it: the analyzer merges). */
#define ARENA_HEAPS 64
static uintptr_t arena_heaps[ARENA_HEAPS];
static __thread uintptr_t last_arena_heap; /* this thread's, as of its last block */

static int arena_heap_is_new(uintptr_t base)
{
    for (unsigned i = 0; i < ARENA_HEAPS; i++) {
        uintptr_t v = __atomic_load_n(&arena_heaps[i], __ATOMIC_RELAXED);
        while (!v) {
            if (__atomic_compare_exchange_n(&arena_heaps[i], &v, base, 0, __ATOMIC_RELAXED,
                                            __ATOMIC_RELAXED))
                return 1;
        }
        if (v == base)
            return 0;
    }
    return 1;
}

/* A fork child writes a new trace: its heaps are news again. */
void mt_heap_after_fork(void)
{
    for (unsigned i = 0; i < ARENA_HEAPS; i++)
        arena_heaps[i] = 0;
    last_arena_heap = 0;
}

/* A block served by a thread arena: the first time its heap is met, record
 * the heap (glibc made it with mmap(2 x HEAP_MAX, PROT_NONE), munmap of the
 * unaligned ends and mprotect: one record says what that left). */
void mt_heap_in_arena(struct mt_thread *t, unsigned cause, const void *p, uint32_t stack)
{
    uintptr_t base, size;
    if (((uintptr_t)p & ~(MT_GLIBC_HEAP_MAX - 1)) == last_arena_heap ||
        !mt_glibc_arena_heap(p, &base, &size))
        return;
    last_arena_heap = base;
    if (arena_heap_is_new(base))
        record_chunk_map(t, MT_MAP_ARENA_HEAP, base, MT_GLIBC_HEAP_MAX, 0, size, cause, stack);
}

void mt_heap_chunk_unmapped(struct mt_thread *t, const struct mt_heap_before *hb)
{
    record_chunk_map(t, MT_MAP_CHUNK_MUNMAP, hb->map_start, hb->map_len, 0, 0, MT_CAUSE_FREE, 0);
}

/* The order of what one realloc did: a break that grew moved before the
 * block was mapped (glibc's per-thread cache set up by realloc(NULL, big),
 * or a new block from the top of the brk heap); a break that shrank was
 * trimmed after, when the old block was freed into the top. */
void mt_heap_after_realloc(struct mt_thread *t, const struct mt_heap_before *hb,
                           const void *p, uint32_t stack)
{
    uintptr_t brk_now = mt_glibc_curbrk ? (uintptr_t)*mt_glibc_curbrk : mt_heap_current_brk();
    if (brk_now > __atomic_load_n(&mt_heap_last_brk, __ATOMIC_RELAXED))
        mt_heap_check_brk(t, MT_CAUSE_REALLOC, stack);
    uintptr_t start = 0, len = 0;
    int now_mapped = p && mt_glibc_chunk_mapping(p, &start, &len);
    if (p && (mt_glibc_head(p) & (MT_CHUNK_IS_MMAPPED | MT_CHUNK_NON_MAIN_ARENA)) ==
                 MT_CHUNK_NON_MAIN_ARENA)
        mt_heap_in_arena(t, MT_CAUSE_REALLOC, p, stack);
    if (hb->map_len && now_mapped) {
        if (start != hb->map_start || len != hb->map_len)
            record_chunk_map(t, MT_MAP_CHUNK_MREMAP, hb->map_start, hb->map_len, start, len,
                             MT_CAUSE_REALLOC, stack);
    } else if (now_mapped) {
        record_chunk_map(t, MT_MAP_CHUNK_MMAP, start, len, 0, 0, MT_CAUSE_REALLOC, stack);
    } else if (hb->map_len) {
        record_chunk_map(t, MT_MAP_CHUNK_MUNMAP, hb->map_start, hb->map_len, 0, 0,
                         MT_CAUSE_REALLOC, stack);
    }
    mt_heap_check_brk(t, MT_CAUSE_REALLOC, stack);
}
