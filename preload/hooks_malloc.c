/* The interposed allocation functions.  Each one calls the real function
 * with the caller's exact arguments (glibc must see the real sizes), logs a
 * free before the real free and an allocation after the real call returns,
 * so that merged per-thread streams never show an address live twice. */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "bootstrap.h"
#include "heap_events.h"
#include "record_hot.h"
#include "unwind.h"
#include "shim.h"

/* ---- pass-through paths: our own work, or before the real ones are known ---- */

/* The tracer's own work (mt_tls_internal) must never use the program's
 * heap: it would change the brk and mmap story being told.  Count any such
 * call in the header, where the report and the tests look. */
static void note_self_alloc(void)
{
    if (MT_UNLIKELY(mt_tls_internal) && mt_state != MT_OFF)
        mt_note_self_alloc();
}

static void *pass_malloc(size_t n)
{
    if (MT_LIKELY(mt_real.malloc)) {
        note_self_alloc();
        return mt_real.malloc(n);
    }
    return mt_boot_alloc(n, 16);
}

static void *pass_calloc(size_t n, size_t m)
{
    if (MT_LIKELY(mt_real.calloc)) {
        note_self_alloc();
        return mt_real.calloc(n, m);
    }
    size_t total;
    if (__builtin_mul_overflow(n, m, &total))
        return NULL;
    return mt_boot_alloc(total, 16);
}

static void *pass_memalign(size_t align, size_t n)
{
    if (MT_LIKELY(mt_real.memalign)) {
        note_self_alloc();
        return mt_real.memalign(align, n);
    }
    return mt_boot_alloc(n, align);
}

/* realloc of a bootstrap block: move it to the real heap. */
static void *boot_realloc(void *old, size_t n)
{
    void *p = pass_malloc(n);
    if (p) {
        size_t have = mt_boot_size(old);
        memcpy(p, old, have < n ? have : n);
    }
    return p;
}

/* ---- the hooks ---- */

/* from: the program's frame that called the hook, or NULL (found by
 * walking out of the shim's frames). */
static inline void after_alloc(struct mt_thread *t, unsigned kind, void *p, size_t n,
                               const struct mt_frame *from)
{
    if (MT_LIKELY(p != NULL)) {
        uint32_t stack = from ? mt_stack_at(t, from) : mt_stack_here(t);
        mt_record_alloc(t, kind, p, n, stack);
        mt_heap_after(t, MT_CAUSE_MALLOC, p, stack);
    }
    mt_hook_leave(t);
}

void *malloc(size_t n)
{
    struct mt_thread *t = mt_hook_enter();
    if (!t)
        return pass_malloc(n);
    void *p = mt_real.malloc(n);
    struct mt_frame caller;
    MT_CALLER_FRAME(&caller);
    after_alloc(t, MT_KIND_MALLOC, p, n, &caller);
    return p;
}

void *calloc(size_t n, size_t m)
{
    struct mt_thread *t = mt_hook_enter();
    if (!t)
        return pass_calloc(n, m);
    void *p = mt_real.calloc(n, m);
    struct mt_frame caller;
    MT_CALLER_FRAME(&caller);
    after_alloc(t, MT_KIND_CALLOC, p, n * m, &caller);
    return p;
}

void free(void *p)
{
    if (!p || MT_UNLIKELY(mt_boot_owns(p)))
        return;
    struct mt_thread *t = mt_hook_enter();
    if (!t) {
        if (MT_LIKELY(mt_real.free)) {
            note_self_alloc();
            mt_real.free(p);
        }
        return;
    }
    struct mt_heap_before hb;
    mt_heap_before_free(&hb, p);
    mt_record_free(t, p);
    mt_real.free(p);
    mt_heap_after_free(t, &hb);
    mt_hook_leave(t);
}

static void *realloc_common(void *old, size_t n, size_t m, int is_array)
{
    if (old && MT_UNLIKELY(mt_boot_owns(old))) {
        size_t total;
        if (is_array && __builtin_mul_overflow(n, m, &total))
            return NULL;
        return boot_realloc(old, is_array ? total : n);
    }
    /* reallocarray is realloc with an overflow check; glibc's own calls
     * realloc through the PLT, which would record the call twice. */
    size_t size = n;
    if (is_array && __builtin_mul_overflow(n, m, &size)) {
        errno = ENOMEM;
        return NULL;
    }
    struct mt_thread *t = mt_hook_enter();
    if (!t) {
        if (mt_real.realloc) {
            note_self_alloc();
            return mt_real.realloc(old, size);
        }
        return pass_malloc(size);
    }
    struct mt_heap_before hb;
    mt_heap_before_free(&hb, old);
    void *p = mt_real.realloc(old, size);
    /* glibc: realloc(p, 0) frees p and returns NULL; a failed realloc
     * leaves the old block alone (nothing to record). */
    if (p || (old && size == 0)) {
        uint32_t stack = p ? mt_stack_here(t) : 0;
        mt_record_realloc(t, old, p, size, stack);
        if (MT_HEAP_CHECKS)
            mt_heap_after_realloc(t, &hb, p, stack);
    }
    mt_hook_leave(t);
    return p;
}

void *realloc(void *old, size_t n)
{
    return realloc_common(old, n, 0, 0);
}

void *reallocarray(void *old, size_t n, size_t m)
{
    return realloc_common(old, n, m, 1);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    struct mt_thread *t = mt_hook_enter();
    if (!t) {
        if (mt_real.posix_memalign) {
            note_self_alloc();
            return mt_real.posix_memalign(out, align, n);
        }
        void *p = mt_boot_alloc(n, align);
        if (!p)
            return ENOMEM;
        *out = p;
        return 0;
    }
    int rc = mt_real.posix_memalign(out, align, n);
    after_alloc(t, MT_KIND_POSIX_MEMALIGN, rc == 0 ? *out : NULL, n, NULL);
    return rc;
}

void *aligned_alloc(size_t align, size_t n)
{
    struct mt_thread *t = mt_hook_enter();
    if (!t) {
        if (!mt_real.aligned_alloc)
            return mt_boot_alloc(n, align);
        note_self_alloc();
        return mt_real.aligned_alloc(align, n);
    }
    void *p = mt_real.aligned_alloc(align, n);
    after_alloc(t, MT_KIND_ALIGNED_ALLOC, p, n, NULL);
    return p;
}

void *memalign(size_t align, size_t n)
{
    struct mt_thread *t = mt_hook_enter();
    if (!t)
        return pass_memalign(align, n);
    void *p = mt_real.memalign(align, n);
    after_alloc(t, MT_KIND_MEMALIGN, p, n, NULL);
    return p;
}

void *valloc(size_t n)
{
    struct mt_thread *t = mt_hook_enter();
    if (!t) {
        if (!mt_real.valloc)
            return mt_boot_alloc(n, 4096);
        note_self_alloc();
        return mt_real.valloc(n);
    }
    void *p = mt_real.valloc(n);
    after_alloc(t, MT_KIND_VALLOC, p, n, NULL);
    return p;
}

void *pvalloc(size_t n)
{
    struct mt_thread *t = mt_hook_enter();
    if (!t) {
        if (!mt_real.pvalloc)
            return mt_boot_alloc((n + 4095) & ~(size_t)4095, 4096);
        note_self_alloc();
        return mt_real.pvalloc(n);
    }
    void *p = mt_real.pvalloc(n);
    after_alloc(t, MT_KIND_PVALLOC, p, n, NULL);
    return p;
}

/* Our definitions under names that always mean this copy (attach.c): from
 * inside a shim loaded by dlopen, "malloc" resolves to libc's. */
#if defined(__clang__)
#define MT_SELF(name) \
    extern __typeof(name) mt_self_##name __attribute__((alias(#name), visibility("hidden")));
#else
#define MT_SELF(name)                                                                      \
    extern __typeof(name) mt_self_##name                                                   \
        __attribute__((alias(#name), copy(name), visibility("hidden")));
#endif
MT_SELF(malloc)
MT_SELF(free)
MT_SELF(calloc)
MT_SELF(realloc)
MT_SELF(reallocarray)
MT_SELF(posix_memalign)
MT_SELF(aligned_alloc)
MT_SELF(memalign)
MT_SELF(valloc)
MT_SELF(pvalloc)
