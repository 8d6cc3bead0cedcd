/* Mapping calls the program makes itself: mmap, munmap, mremap, brk, sbrk,
 * and mallopt.  (malloc's own mmap/brk calls do not come through here: glibc
 * makes them internally; heap_events.c infers those.) */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "heap_events.h"
#include "log.h"
#include "mtrace/varint.h"
#include "options.h"
#include "shim.h"

#define MAPS_SNAPSHOT_GAP_NS 10000000ull /* at most one maps snapshot per 10 ms */

static uint64_t last_snapshot_ns;

static void record_map(struct mt_thread *t, unsigned op, uintptr_t addr, size_t len,
                       uintptr_t naddr, size_t nlen, int prot, int flags, int fd,
                       uint32_t stack)
{
    char path[1024];
    size_t pathlen = 0;
    if (fd >= 0 && !(flags & MAP_ANONYMOUS)) {
        char link[64];
        mt_format(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t r = readlink(link, path, sizeof path);
        pathlen = r > 0 ? (size_t)r : 0;
    }
    struct mt_map_record m = {op, MT_CAUSE_APP, addr, len, naddr, nlen, (unsigned)prot,
                              (unsigned)flags, stack, path, pathlen};
    mt_record_map(t, &m);
}

/* The address space changed: snapshot /proc/self/maps, rate-limited. */
static void maybe_snapshot(struct mt_thread *t)
{
    if (!mt_opt.maps_on_mmap)
        return;
    uint64_t now = mt_ns_now();
    if (now - last_snapshot_ns < MAPS_SNAPSHOT_GAP_NS)
        return;
    last_snapshot_ns = now;
    struct mt_internal in;
    mt_internal_begin(&in);
    mt_write_maps(t, MT_MAPS_MAPPING);
    mt_internal_end(&in);
}

static void *raw_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (mt_real.mmap)
        return mt_real.mmap(addr, len, prot, flags, fd, off);
    long r = syscall(SYS_mmap, addr, len, prot, flags, fd, off);
    return (r < 0 && r > -4096) ? MAP_FAILED : (void *)r;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    struct mt_thread *t = mt_hook_enter();
    void *p = raw_mmap(addr, len, prot, flags, fd, off);
    if (!t)
        return p;
    if (p != MAP_FAILED) {
        uint32_t stack = mt_stack_here(t);
        record_map(t, MT_MAP_MMAP, (uintptr_t)p, len, 0, 0, prot, flags, fd, stack);
        maybe_snapshot(t);
    }
    mt_hook_leave(t);
    return p;
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
    __attribute__((alias("mmap")));

int munmap(void *addr, size_t len)
{
    struct mt_thread *t = mt_hook_enter();
    int r = mt_real.munmap ? mt_real.munmap(addr, len) : (int)syscall(SYS_munmap, addr, len);
    if (!t)
        return r;
    if (r == 0) {
        uint32_t stack = mt_stack_here(t);
        record_map(t, MT_MAP_MUNMAP, (uintptr_t)addr, len, 0, 0, 0, 0, -1, stack);
        maybe_snapshot(t);
    }
    mt_hook_leave(t);
    return r;
}

void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
    void *new_addr = NULL;
    if (flags & MREMAP_FIXED) {
        va_list ap;
        va_start(ap, flags);
        new_addr = va_arg(ap, void *);
        va_end(ap);
    }
    struct mt_thread *t = mt_hook_enter();
    void *p;
    if (mt_real.mremap)
        p = mt_real.mremap(old, old_len, new_len, flags, new_addr);
    else {
        long r = syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
        p = (r < 0 && r > -4096) ? MAP_FAILED : (void *)r;
    }
    if (!t)
        return p;
    if (p != MAP_FAILED) {
        uint32_t stack = mt_stack_here(t);
        record_map(t, MT_MAP_MREMAP, (uintptr_t)old, old_len, (uintptr_t)p, new_len, 0, 0, -1,
                   stack);
        maybe_snapshot(t);
    }
    mt_hook_leave(t);
    return p;
}

int brk(void *addr)
{
    struct mt_thread *t = mt_hook_enter();
    int r = mt_real.brk(addr);
    if (t) {
        mt_heap_note_brk(t, MT_CAUSE_APP, mt_stack_here(t));
        mt_hook_leave(t);
    }
    return r;
}

void *sbrk(intptr_t inc)
{
    struct mt_thread *t = inc ? mt_hook_enter() : NULL; /* sbrk(0) only reads */
    void *r = mt_real.sbrk(inc);
    if (t) {
        mt_heap_note_brk(t, MT_CAUSE_APP, mt_stack_here(t));
        mt_hook_leave(t);
    }
    return r;
}

int mallopt(int param, int value)
{
    struct mt_thread *t = mt_hook_enter();
    int r = mt_real.mallopt(param, value);
    if (t) {
        if (r == 1) {
            struct mt_cursor *c = mt_cursor_of(t);
            uint64_t ticks = mt_ticks();
            uint8_t *o = mt_reserve(t, c, 1 + 3 * MT_VARINT_MAX, ticks);
            if (o) {
                *o++ = MT_TAG_SETTING;
                o = mt_put_sv(o, (int64_t)(ticks - c->last_ticks));
                o = mt_put_sv(o, param);
                o = mt_put_sv(o, value);
                c->last_ticks = ticks;
                mt_commit(c, o);
            }
        }
        mt_hook_leave(t);
    }
    return r;
}
