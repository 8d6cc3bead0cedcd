/* The trace file: created safely, mapped shared, handed out in chunks.
 *
 * The whole file lives in one reserved range of address space; the part in
 * use is mapped MAP_SHARED over it as the file grows, so records are in the
 * page cache the moment they are written and survive kill -9.  Threads claim
 * chunks with one atomic add on the header's data_end; only growing the file
 * (rare: every few MiB) takes a lock. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#include "log.h"
#include "options.h"
#include "shim.h"

struct mt_file_header *mt_header;
static uint64_t self_allocs_early; /* mt_note_self_alloc before the header exists */

static struct {
    int fd;
    uint8_t *base;      /* reserved range; base[0..] is the file */
    uint64_t reserved;  /* bytes of address space reserved */
    uint64_t mapped;    /* bytes of the file mapped (== file size) */
    mt_spin grow_lock;
    int full;           /* a claim failed: stop claiming, count losses */
    char path[4096];
} w = {.fd = -1};

static void *os_map(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    long r = syscall(SYS_mmap, addr, len, prot, flags, fd, off);
    return (r < 0 && r > -4096) ? MAP_FAILED : (void *)r;
}

/* Expands MTRACE_OUT's %p (pid) and %e (program name). */
static void expand_path(char *out, size_t cap, const char *pattern)
{
    extern char *program_invocation_short_name;
    size_t n = 0;
    for (const char *p = pattern; *p && n + 1 < cap; p++) {
        if (p[0] == '%' && (p[1] == 'p' || p[1] == 'e')) {
            char tmp[256];
            if (p[1] == 'p')
                mt_format(tmp, sizeof tmp, "%d", (int)getpid());
            else
                mt_format(tmp, sizeof tmp, "%s", program_invocation_short_name);
            for (char *s = tmp; *s && n + 1 < cap; s++)
                out[n++] = *s == '/' ? '_' : *s;
            p++;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
}

/* Creates the file without ever following or reusing an existing path: a
 * name that exists (a planted symlink, a trace from an earlier image of the
 * same pid after exec) gets a numbered sibling instead. */
static int create_file(void)
{
    char base[4000];
    expand_path(base, sizeof base, mt_opt.out ? mt_opt.out : "mtrace.%e.%p.trace");
    for (int i = 0; i < 1000; i++) {
        if (i == 0)
            mt_format(w.path, sizeof w.path, "%s", base);
        else
            mt_format(w.path, sizeof w.path, "%s.%d", base, i);
        int fd = (int)syscall(SYS_openat, AT_FDCWD, w.path,
                              O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0) {
            if (i > 0)
                mt_warn("%s exists; writing the trace to %s instead", base, w.path);
            return fd;
        }
        if (errno != EEXIST) {
            mt_warn("cannot create trace file %s: %s; tracing is off (set MTRACE_OUT "
                    "to a writable path)", w.path, strerror(errno));
            return -1;
        }
    }
    mt_warn("cannot create trace file: %s and 999 numbered names exist; tracing is off", base);
    return -1;
}

/* Grows the file and its mapping to cover [0, need).  -1 if impossible. */
static int ensure_mapped(uint64_t need)
{
    if (__atomic_load_n(&w.mapped, __ATOMIC_ACQUIRE) >= need)
        return 0;
    if (mt_spin_lock(&w.grow_lock))
        return -1;
    int rc = 0;
    uint64_t have = w.mapped;
    if (have < need) {
        /* grow by an eighth of what we have, between 1 and 64 MiB */
        uint64_t step = (have / 8) & ~(uint64_t)0xffff; /* whole pages: mmap offsets */
        if (step < (1u << 20))
            step = 1u << 20;
        if (step > (64u << 20))
            step = 64u << 20;
        uint64_t target = have + step;
        if (target < need)
            target = (need + step - 1) / step * step;
        if (target > w.reserved)
            target = w.reserved;
        if (target < need || syscall(SYS_ftruncate, w.fd, (off_t)target) != 0 ||
            os_map(w.base + have, target - have, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_FIXED, w.fd, (off_t)have) == MAP_FAILED) {
            rc = -1;
        } else {
            __atomic_store_n(&w.mapped, target, __ATOMIC_RELEASE);
        }
    }
    mt_spin_unlock(&w.grow_lock);
    return rc;
}

int mt_writer_open(void)
{
    w.fd = create_file();
    if (w.fd < 0)
        return -1;
    /* Reserve address space for the largest trace; try smaller if refused. */
    for (w.reserved = mt_opt.max_bytes; w.reserved >= (64u << 20); w.reserved /= 2) {
        w.base = os_map(NULL, w.reserved, PROT_NONE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (w.base != MAP_FAILED)
            break;
    }
    if (w.base == MAP_FAILED || w.reserved < (64u << 20)) {
        mt_warn("cannot reserve address space for %s; tracing is off", w.path);
        syscall(SYS_close, w.fd);
        w.fd = -1;
        return -1;
    }
    w.mapped = 0;
    if (ensure_mapped(MT_HEADER_SIZE + mt_opt.chunk_bytes)) {
        mt_warn("cannot size trace file %s: %s; tracing is off", w.path, strerror(errno));
        return -1;
    }
    struct mt_file_header *h = (struct mt_file_header *)w.base;
    h->version = MT_FORMAT_VERSION;
    h->header_size = MT_HEADER_SIZE;
    h->chunk_size = (uint32_t)mt_opt.chunk_bytes;
    h->flags = 0;
#if defined(__x86_64__)
    h->flags |= MT_HDR_TICKS_TSC;
#endif
    h->pid = (uint64_t)getpid();
    h->ppid = (uint64_t)getppid();
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    h->start_realtime_ns = (uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec;
    h->ticks_start = h->ticks_last = mt_ticks();
    h->ns_start = h->ns_last = mt_ns_now();
    h->data_end = MT_HEADER_SIZE;
    h->depth = mt_opt.depth;
    h->pointer_bits = 64;
    h->end_state = MT_END_RUNNING;
    h->self_allocs = __atomic_exchange_n(&self_allocs_early, 0, __ATOMIC_RELAXED);
    memcpy(h->magic, MT_FILE_MAGIC, 8); /* last: a reader never sees half a header */
    mt_header = h;
    return 0;
}

void mt_note_self_alloc(void)
{
    if (mt_header)
        __atomic_fetch_add(&mt_header->self_allocs, 1, __ATOMIC_RELAXED);
    else
        __atomic_fetch_add(&self_allocs_early, 1, __ATOMIC_RELAXED);
}

void mt_lost_event(void)
{
    if (mt_header)
        __atomic_fetch_add(&mt_header->lost_events, 1, __ATOMIC_RELAXED);
}

uint8_t *mt_cursor_claim(struct mt_thread *t, struct mt_cursor *c, size_t need,
                         uint64_t ticks)
{
    struct mt_file_header *h = mt_header;
    if (!h)
        return NULL;
    uint64_t size = mt_opt.chunk_bytes;
    uint64_t want = (need + sizeof(struct mt_chunk_header) + 4095) & ~(uint64_t)4095;
    if (want > size)
        size = want;
    if (size > UINT32_MAX)
        return NULL;
    if (__atomic_load_n(&w.full, __ATOMIC_RELAXED))
        return NULL;
    uint64_t off = __atomic_fetch_add(&h->data_end, size, __ATOMIC_RELAXED);
    if (off + size > w.reserved || ensure_mapped(off + size)) {
        if (!__atomic_exchange_n(&w.full, 1, __ATOMIC_RELAXED))
            mt_warn("cannot grow trace %s past %llu bytes (MTRACE_MAX_SIZE is %llu); later "
                    "events are counted as lost", w.path, (unsigned long long)off,
                    (unsigned long long)w.reserved);
        __atomic_store_n(&h->data_end, off, __ATOMIC_RELAXED); /* readers stop here */
        c->chunk = NULL;
        c->pos = c->end = NULL;
        return NULL;
    }
    /* The chunk being left is complete: drop its pages from our address
     * space (they stay in the page cache and reach the file), so the
     * tracer's resident memory does not grow with the trace. */
    if (c->chunk && !(mt_header->flags & MT_HDR_RING))
        syscall(SYS_madvise, c->chunk, (size_t)c->chunk->size, MADV_DONTNEED);
    struct mt_chunk_header *ch = (struct mt_chunk_header *)(w.base + off);
    /* Fault the whole chunk in with one call instead of a fault per page
     * (kernels before 5.14 refuse the advice; the pages then fault lazily). */
    syscall(SYS_madvise, ch, (size_t)size, MADV_POPULATE_WRITE);
    ch->size = (uint32_t)size;
    ch->seq = __atomic_fetch_add(&h->chunk_seq, 1, __ATOMIC_RELAXED);
    ch->tid = t->tid;
    ch->used = 0;
    ch->ticks0 = ticks;
    __atomic_store_n(&ch->magic, MT_CHUNK_MAGIC, __ATOMIC_RELEASE);
    c->chunk = ch;
    c->pos = (uint8_t *)(ch + 1);
    c->end = w.base + off + size;
    c->last_ticks = ticks;
    c->last_ptr = 0;
    h->ticks_last = mt_ticks();
    h->ns_last = mt_ns_now();
    return c->pos;
}

/* Final clock pair; the file is cut to its used length when no other
 * thread can still claim a chunk. */
void mt_writer_finish(void)
{
    struct mt_file_header *h = mt_header;
    if (!h)
        return;
    h->ticks_end = h->ticks_last = mt_ticks();
    h->ns_end = h->ns_last = mt_ns_now();
    if (mt_threads_live() <= 1) {
        uint64_t end = __atomic_load_n(&h->data_end, __ATOMIC_RELAXED);
        if (end < w.mapped && syscall(SYS_ftruncate, w.fd, (off_t)end) == 0)
            w.mapped = end; /* a later claim grows the file and remaps */
    }
}

/* In a fork child: the parent's mapping is shared with the parent's file;
 * let go of it without touching it, and start a file of our own. */
void mt_writer_abandon(void)
{
    if (w.base && w.base != MAP_FAILED)
        syscall(SYS_munmap, w.base, w.reserved);
    if (w.fd >= 0)
        syscall(SYS_close, w.fd);
    w.fd = -1;
    w.base = NULL;
    w.mapped = 0;
    w.grow_lock.owner = 0;
    w.full = 0;
    mt_header = NULL;
}
