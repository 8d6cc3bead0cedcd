/* The trace file: created safely, mapped shared, handed out in chunks.
 *
 * The whole file lives in one reserved range of address space; the part in
 * use is mapped MAP_SHARED over it as the file grows, so records are in the
 * page cache the moment they are written and survive kill -9.  Threads claim
 * chunks with a compare-and-swap on the header's data_end; only growing the
 * file (rare: every few MiB) takes a lock, inside an internal section (gate.c)
 * so that neither a signal handler nor fork() can find it held.
 *
 * With MTRACE_RING the same file has a fixed size and ring.c hands out its
 * chunk slots instead; everything else (records, cursors, commits) is the
 * same code. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#include "log.h"
#include "options.h"
#include "writer.h"

struct mt_file_header *mt_header;
static uint64_t self_allocs_early; /* mt_note_self_alloc before the header exists */

struct mt_writer mt_w = {.fd = -1};
#define w mt_w

static void *os_map(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    long r = syscall(SYS_mmap, addr, len, prot, flags, fd, off);
    return (r < 0 && r > -4096) ? MAP_FAILED : (void *)r;
}

/* The program's name; before libc set it up (a .preinit_array function
 * allocated), the executable's file name. */
static const char *program_name(char *buf, size_t cap)
{
    extern char *program_invocation_short_name;
    if (program_invocation_short_name && *program_invocation_short_name)
        return program_invocation_short_name;
    ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
    buf[n > 0 ? n : 0] = '\0';
    const char *slash = strrchr(buf, '/');
    return slash ? slash + 1 : buf;
}

/* Expands MTRACE_OUT's %p (pid) and %e (program name). */
static void expand_path(char *out, size_t cap, const char *pattern)
{
    char exe[4096];
    size_t n = 0;
    for (const char *p = pattern; *p && n + 1 < cap; p++) {
        if (p[0] == '%' && (p[1] == 'p' || p[1] == 'e')) {
            char tmp[256];
            if (p[1] == 'p')
                mt_format(tmp, sizeof tmp, "%d", (int)getpid());
            else
                mt_format(tmp, sizeof tmp, "%s", program_name(exe, sizeof exe));
            for (char *s = tmp; *s && n + 1 < cap; s++)
                out[n++] = *s == '/' ? '_' : *s;
            p++;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
}

/* Is `path` the trace of an earlier image of this very process (exec)?
 * Then a numbered sibling is expected and not worth a warning. */
static int earlier_image(const char *path)
{
    struct stat st;
    if (syscall(SYS_newfstatat, AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode) || st.st_uid != geteuid())
        return 0;
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct mt_file_header h;
    ssize_t r = pread(fd, &h, sizeof h, 0);
    syscall(SYS_close, fd);
    return r == (ssize_t)sizeof h && !memcmp(h.magic, MT_FILE_MAGIC, 8) &&
           h.pid == (uint64_t)getpid() && h.end_state == MT_END_EXEC;
}

/* Creates the file without ever following or reusing an existing path: a
 * name that exists (a planted symlink, a trace from an earlier image of the
 * same pid after exec) gets a numbered sibling instead. */
static int create_file(void)
{
    char base[4000];
    expand_path(base, sizeof base, mt_opt.out ? mt_opt.out : "mtrace.%e.%p.trace");
    int quiet_sibling = 0;
    for (int i = 0; i < 1000; i++) {
        if (i == 0)
            mt_format(w.path, sizeof w.path, "%s", base);
        else
            mt_format(w.path, sizeof w.path, "%s.%d", base, i);
        int fd = (int)syscall(SYS_openat, AT_FDCWD, w.path,
                              O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0) {
            if (i > 0 && !quiet_sibling)
                mt_warn("%s exists; writing the trace to %s instead", base, w.path);
            return fd;
        }
        if (errno != EEXIST) {
            mt_warn("cannot create trace file %s: %s; tracing is off (set MTRACE_OUT "
                    "to a writable path)", w.path, strerror(errno));
            return -1;
        }
        if (i == 0)
            quiet_sibling = earlier_image(w.path);
    }
    mt_warn("cannot create trace file: %s and 999 numbered names exist; tracing is off", base);
    return -1;
}

/* Grows the file and its mapping to cover [0, need).  -1 if impossible. */
static int ensure_mapped(uint64_t need)
{
    if (__atomic_load_n(&w.mapped, __ATOMIC_ACQUIRE) >= need)
        return 0;
    struct mt_internal in;
    mt_internal_begin(&in);
    int rc = -1;
    if (mt_spin_lock(&w.grow_lock) == 0) {
        uint64_t have = w.mapped;
        rc = 0;
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
                       MAP_SHARED | MAP_FIXED, w.fd, (off_t)have) == MAP_FAILED)
                rc = -1;
            else
                __atomic_store_n(&w.mapped, target, __ATOMIC_RELEASE);
        }
        mt_spin_unlock(&w.grow_lock);
    }
    mt_internal_end(&in);
    return rc;
}

int mt_writer_map_exact(uint64_t size)
{
    if (size > w.reserved || syscall(SYS_ftruncate, w.fd, (off_t)size) != 0 ||
        os_map(w.base, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, w.fd, 0) ==
            MAP_FAILED)
        return -1;
    __atomic_store_n(&w.mapped, size, __ATOMIC_RELEASE);
    return 0;
}

/* Reserves address space for the largest trace; tries smaller if refused. */
static int reserve_space(uint64_t want)
{
    for (w.reserved = want; w.reserved >= (64u << 20); w.reserved /= 2) {
        w.base = os_map(NULL, w.reserved, PROT_NONE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (w.base != MAP_FAILED)
            return 0;
    }
    w.base = NULL;
    return -1;
}

static void fill_header(struct mt_file_header *h)
{
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
}

int mt_writer_open(void)
{
    w.fd = create_file();
    if (w.fd < 0)
        return -1;
    w.ring = mt_opt.ring_bytes != 0;
    uint64_t want = w.ring ? MT_HEADER_SIZE + mt_opt.ring_bytes : mt_opt.max_bytes;
    if (want < (64u << 20))
        want = 64u << 20;
    if (reserve_space(want)) {
        mt_warn("cannot reserve address space for %s; tracing is off", w.path);
        syscall(SYS_close, w.fd);
        w.fd = -1;
        return -1;
    }
    w.mapped = 0;
    if (ensure_mapped(MT_HEADER_SIZE + (w.ring ? 0 : mt_opt.chunk_bytes))) {
        mt_warn("cannot size trace file %s: %s; tracing is off", w.path, strerror(errno));
        return -1;
    }
    struct mt_file_header *h = (struct mt_file_header *)w.base;
    fill_header(h);
    if (w.ring && mt_ring_open(h)) {
        mt_warn("cannot set up the MTRACE_RING area of %s; tracing is off", w.path);
        return -1;
    }
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

void mt_chunk_start(struct mt_thread *t, struct mt_cursor *c, uint64_t off, uint64_t size,
                    uint64_t seq, uint64_t ticks)
{
    struct mt_chunk_header *ch = (struct mt_chunk_header *)(w.base + off);
    /* Fault the whole chunk in with one call instead of a fault per page
     * (kernels before 5.14 refuse the advice; the pages then fault lazily). */
    syscall(SYS_madvise, ch, (size_t)size, MADV_POPULATE_WRITE);
    __atomic_store_n(&ch->magic, 0, __ATOMIC_RELEASE); /* a reused ring slot: invalid first */
    __atomic_store_n(&ch->used, 0, __ATOMIC_RELEASE);
    ch->size = (uint32_t)size;
    ch->seq = seq;
    ch->tid = t->tid;
    ch->ticks0 = ticks;
    __atomic_store_n(&ch->magic, MT_CHUNK_MAGIC, __ATOMIC_RELEASE);
    c->chunk = ch;
    c->pos = (uint8_t *)(ch + 1);
    c->end = w.base + off + size;
    c->last_ticks = ticks;
    c->last_ptr = 0;
    mt_header->ticks_last = mt_ticks();
    mt_header->ns_last = mt_ns_now();
}

/* The cursor is done with its chunk (it claims another, or its thread ends). */
void mt_cursor_release(struct mt_cursor *c)
{
    if (c->chunk && w.ring)
        mt_ring_release(c);
    else if (c->chunk)
        /* The chunk being left is complete: drop its pages from our address
         * space (they stay in the page cache and reach the file), so the
         * tracer's resident memory does not grow with the trace. */
        syscall(SYS_madvise, c->chunk, (size_t)c->chunk->size, MADV_DONTNEED);
    c->chunk = NULL;
    c->pos = c->end = NULL;
}

/* Stops recording for good: later events are counted as lost, and the
 * header says why (the first reason wins).  Returns 1 for the caller that
 * stopped it, 0 if it was already stopped. */
int mt_writer_stop(uint32_t reason, int err)
{
    if (__atomic_exchange_n(&w.full, 1, __ATOMIC_RELAXED))
        return 0;
    struct mt_file_header *h = mt_header;
    if (h) {
        h->stop_errno = err;
        h->stop_bytes = __atomic_load_n(&h->data_end, __ATOMIC_RELAXED);
        __atomic_store_n(&h->stop_reason, reason, __ATOMIC_RELEASE);
    }
    return 1;
}

static void trace_full(uint64_t off)
{
    if (mt_writer_stop(MT_STOP_MAX_SIZE, 0))
        mt_warn("cannot grow trace %s past %llu bytes (MTRACE_MAX_SIZE is %llu); later "
                "events are counted as lost", w.path, (unsigned long long)off,
                (unsigned long long)w.reserved);
}

uint8_t *mt_cursor_claim(struct mt_thread *t, struct mt_cursor *c, size_t need,
                         uint64_t ticks)
{
    struct mt_file_header *h = mt_header;
    if (!h)
        return NULL;
    mt_cursor_release(c);
    if (w.ring)
        return mt_ring_claim(t, c, need, ticks);
    uint64_t size = mt_opt.chunk_bytes;
    uint64_t want = (need + sizeof(struct mt_chunk_header) + 4095) & ~(uint64_t)4095;
    if (want > size)
        size = want;
    if (size > UINT32_MAX || __atomic_load_n(&w.full, __ATOMIC_RELAXED))
        return NULL;
    uint64_t off = __atomic_load_n(&h->data_end, __ATOMIC_RELAXED);
    for (;;) {
        if (off + size > w.reserved || ensure_mapped(off + size)) {
            trace_full(off);
            return NULL;
        }
        /* data_end only moves forward, over chunks that are mapped */
        if (__atomic_compare_exchange_n(&h->data_end, &off, off + size, 1, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED))
            break;
    }
    uint64_t seq = __atomic_fetch_add(&h->chunk_seq, 1, __ATOMIC_RELAXED);
    mt_chunk_start(t, c, off, size, seq, ticks);
    return c->pos;
}

/* The largest record a chunk can hold (ring slots have a fixed size). */
size_t mt_writer_max_record(void)
{
    if (w.ring)
        return mt_opt.chunk_bytes - sizeof(struct mt_chunk_header);
    return 256u << 20;
}

/* Final clock pair; the file is cut to its used length if this is the only
 * thread (another could still claim a chunk beyond the cut).  A later event
 * (an atexit handler or destructor that runs after us) grows it again. */
void mt_writer_finish(void)
{
    struct mt_file_header *h = mt_header;
    if (!h)
        return;
    h->ticks_end = h->ticks_last = mt_ticks();
    h->ns_end = h->ns_last = mt_ns_now();
    if (w.ring)
        return;
    struct mt_internal in;
    mt_internal_begin(&in);
    if (mt_proc_thread_count() == 1 && mt_spin_lock(&w.grow_lock) == 0) {
        uint64_t end = __atomic_load_n(&h->data_end, __ATOMIC_RELAXED);
        if (end < w.mapped && syscall(SYS_ftruncate, w.fd, (off_t)end) == 0)
            __atomic_store_n(&w.mapped, end, __ATOMIC_RELEASE);
        mt_spin_unlock(&w.grow_lock);
    }
    mt_internal_end(&in);
}

/* In a fork child: the parent's mapping is shared with the parent's file.
 * Replace it with private memory (a hook the fork interrupted may still hold
 * a pointer into it) and start a file of our own. */
void mt_writer_abandon(void)
{
    if (w.base) {
        os_map(w.base, w.reserved, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
        if (w.n_abandoned < sizeof w.abandoned / sizeof w.abandoned[0]) {
            w.abandoned[w.n_abandoned].base = w.base;
            w.abandoned[w.n_abandoned].len = w.reserved;
            w.n_abandoned++;
        }
    }
    if (w.fd >= 0)
        syscall(SYS_close, w.fd);
    if (w.ring)
        mt_ring_abandon();
    w.fd = -1;
    w.base = NULL; /* the private copy stays reserved: it may still be written */
    w.mapped = 0;
    w.grow_lock.owner = 0;
    w.full = 0;
    mt_header = NULL;
}
