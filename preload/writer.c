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
#include <stddef.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/syscall.h>
#include <sys/uio.h>
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

/* Is the trace's descriptor still the file we created?  The program may have
 * closed it with a raw system call (one mtrace cannot interpose, see
 * hooks_fd.c) and perhaps opened a file of its own under the same number:
 * then stop, and never size or map the program's file.  Called with the fd
 * slot lock held (fds.c), so a dup2 cannot move the descriptor meanwhile. */
static int fd_still_ours(void)
{
    mt_fd_check_others(&w.fd); /* libunwind's pipe too */
    if (mt_fd_intact(w.fd))
        return 1;
    if (mt_writer_stop(MT_STOP_FD_LOST, EBADF))
        mt_warn("the trace's file descriptor %d was closed or replaced behind mtrace's back "
                "(a raw close system call); tracing stopped, %s holds the events until "
                "then and counts the later ones as lost", w.fd, w.path);
    return 0;
}

/* Zeros for file systems that refuse fallocate (written with pwrite). */
static const uint8_t zeros[65536];

/* Gives the file disk blocks for [from, to), extending it to `to`.  A page
 * of a MAP_SHARED mapping with no block behind it (a sparse file) raises
 * SIGBUS in the program the moment the disk is full, so every byte the shim
 * will touch through the mapping gets its block first: fallocate, or zeros
 * written with pwrite where the file system does not support it.  On
 * failure the file is cut back to `from` and errno says why. */
static int allocate_blocks(uint64_t from, uint64_t to)
{
    int err = 0;
    if (syscall(SYS_fallocate, w.fd, 0, (off_t)from, (off_t)(to - from)) != 0) {
        err = errno;
        if (err == EOPNOTSUPP || err == ENOSYS) {
            err = 0;
            for (uint64_t off = from; off < to;) {
                size_t n = to - off < sizeof zeros ? (size_t)(to - off) : sizeof zeros;
                long r = syscall(SYS_pwrite64, w.fd, zeros, n, (off_t)off);
                if (r < 0 && errno == EINTR)
                    continue;
                if (r <= 0) {
                    err = r < 0 ? errno : ENOSPC;
                    break;
                }
                off += (uint64_t)r;
            }
        }
    }
    if (!err)
        return 0;
    syscall(SYS_ftruncate, w.fd, (off_t)from); /* drop a partial allocation */
    errno = err;
    return -1;
}

/* Extends the file with blocks to `target` and maps the new part. */
static int grow_to(uint64_t have, uint64_t target)
{
    if (allocate_blocks(have, target))
        return -1;
    if (os_map(w.base + have, target - have, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
               w.fd, (off_t)have) == MAP_FAILED) {
        int err = errno;
        syscall(SYS_ftruncate, w.fd, (off_t)have);
        errno = err;
        return -1;
    }
    __atomic_store_n(&w.mapped, target, __ATOMIC_RELEASE);
    return 0;
}

/* The largest file this process may write (RLIMIT_FSIZE), in whole pages.
 * Growing past it would raise SIGXFSZ, which kills the program. */
static uint64_t fsize_limit(void)
{
    struct rlimit rl;
    if (syscall(SYS_prlimit64, 0, RLIMIT_FSIZE, NULL, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return UINT64_MAX;
    return (uint64_t)rl.rlim_cur & ~(uint64_t)4095;
}

/* Grows the file and its mapping to cover [0, need).  -1 if impossible:
 * errno from the file system, or 0 when MTRACE_MAX_SIZE forbids it. */
static int ensure_mapped(uint64_t need)
{
    if (__atomic_load_n(&w.mapped, __ATOMIC_ACQUIRE) >= need)
        return 0;
    struct mt_internal in;
    mt_internal_begin(&in);
    int rc = -1, err = 0;
    if (mt_spin_lock(&w.grow_lock) == 0) {
        uint64_t have = w.mapped;
        rc = 0;
        int fd_locked = have < need && mt_fd_lock() == 0;
        if (have < need && !fd_still_ours()) {
            rc = -1;
        } else if (have < need) {
            /* grow by an eighth of what we have, between 1 and 64 MiB */
            uint64_t step = (have / 8) & ~(uint64_t)0xffff; /* whole pages: mmap offsets */
            if (step < (1u << 20))
                step = 1u << 20;
            if (step > (64u << 20))
                step = 64u << 20;
            uint64_t target = have + step;
            if (target < need)
                target = (need + step - 1) / step * step;
            uint64_t cap = w.reserved, lim = fsize_limit();
            int by_limit = lim < cap;
            if (by_limit)
                cap = lim;
            if (target > cap)
                target = cap;
            uint64_t exact = (need + 4095) & ~(uint64_t)4095;
            if (target < need)
                rc = -1, err = by_limit ? EFBIG : 0;
            else if (grow_to(have, target) &&
                     /* a nearly full disk: perhaps just what is needed fits */
                     (exact >= target || grow_to(have, exact)))
                rc = -1, err = errno;
        }
        if (fd_locked)
            mt_fd_unlock();
        mt_spin_unlock(&w.grow_lock);
    }
    mt_internal_end(&in);
    errno = err;
    return rc;
}

int mt_writer_map_exact(uint64_t size)
{
    uint64_t have = w.mapped;
    if (size > w.reserved) {
        errno = 0;
        return -1;
    }
    if (size > fsize_limit()) {
        errno = EFBIG; /* not SIGXFSZ */
        return -1;
    }
    if (size > have && allocate_blocks(have, size))
        return -1;
    if (os_map(w.base, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, w.fd, 0) ==
        MAP_FAILED) {
        int err = errno;
        syscall(SYS_ftruncate, w.fd, (off_t)have);
        errno = err;
        return -1;
    }
    __atomic_store_n(&w.mapped, size, __ATOMIC_RELEASE);
    return 0;
}

/* Reserves address space for the largest trace (MTRACE_MAX_SIZE, exactly);
 * tries smaller if refused, down to 64 MiB. */
static int reserve_space(uint64_t want)
{
    uint64_t floor = want < (64u << 20) ? want : (64u << 20);
    for (w.reserved = want; w.reserved >= floor; w.reserved /= 2) {
        w.reserved &= ~(uint64_t)4095;
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
    h->flags |= MT_HDR_COARSE_TICKS; /* mt_event_ticks */
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

static const char *errno_name(int err)
{
    switch (err) {
    case ENOSPC: return "ENOSPC";
    case EDQUOT: return "EDQUOT";
    case EFBIG: return "EFBIG";
    case EIO: return "EIO";
    case ENOMEM: return "ENOMEM";
    case EFAULT: return "EFAULT";
    default: return "an error";
    }
}

static const char *errno_text(int err)
{
    switch (err) {
    case ENOSPC: return "no space left on device";
    case EDQUOT: return "disk quota exceeded";
    case EFBIG: return "file too large";
    default: return "cannot grow the file";
    }
}

/* The file system refused to give the trace more room (errno err; 0:
 * MTRACE_MAX_SIZE).  Recording stops, the program goes on. */
static void grow_failed(int err)
{
    if (!err) {
        uint64_t off = mt_header ? __atomic_load_n(&mt_header->data_end, __ATOMIC_RELAXED) : 0;
        if (mt_writer_stop(MT_STOP_MAX_SIZE, 0))
            mt_warn("trace %s reached MTRACE_MAX_SIZE (%llu bytes) at %llu bytes; "
                    "tracing stopped, later events are counted as lost", w.path,
                    (unsigned long long)w.reserved, (unsigned long long)off);
        return;
    }
    int space = err == ENOSPC || err == EDQUOT || err == EFBIG;
    if (mt_writer_stop(space ? MT_STOP_NO_SPACE : MT_STOP_IO_ERROR, err))
        mt_warn("%s (%s %d) on the file system holding %s; tracing stopped after %llu "
                "bytes, later events are counted as lost (the program runs on)",
                errno_text(err), errno_name(err), err, w.path,
                (unsigned long long)(mt_header ? mt_header->stop_bytes : 0));
}

int mt_writer_open(void)
{
    /* high, close-on-exec, out of the program's reach (fds.c) */
    mt_fd_adopt(create_file(), &w.fd);
    if (w.fd < 0)
        return -1;
    w.ring = mt_opt.ring_bytes != 0;
    uint64_t want = w.ring ? MT_HEADER_SIZE + mt_opt.ring_bytes : mt_opt.max_bytes;
    if (w.ring && want < (64u << 20))
        want = 64u << 20;
    if (reserve_space(want)) {
        mt_warn("cannot reserve address space for %s; tracing is off", w.path);
        mt_fd_close_own(w.fd);
        w.fd = -1;
        return -1;
    }
    w.mapped = 0;
    if (ensure_mapped(MT_HEADER_SIZE)) {
        mt_warn("cannot size trace file %s: %s; tracing is off", w.path,
                errno ? errno_text(errno) : "MTRACE_MAX_SIZE too small");
        return -1;
    }
    struct mt_file_header *h = (struct mt_file_header *)w.base;
    fill_header(h);
    int ring_err = 0;
    if (w.ring && mt_ring_open(h)) {
        ring_err = errno;
        if (!ring_err) {
            mt_warn("cannot set up the MTRACE_RING area of %s; tracing is off", w.path);
            return -1;
        }
    }
    memcpy(h->magic, MT_FILE_MAGIC, 8); /* last: a reader never sees half a header */
    mt_header = h;
    if (ring_err)
        grow_failed(ring_err); /* the header says why the ring stayed empty */
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

static void cursor_point(struct mt_cursor *c, struct mt_chunk_header *ch, uint64_t ticks)
{
    c->chunk = ch;
    c->pos = (uint8_t *)(ch + 1);
    c->end = (uint8_t *)ch + ch->size;
    c->last_ticks = ticks;
    c->last_ptr = 0;
    mt_header->ticks_last = mt_ticks();
    mt_header->ns_last = mt_ns_now();
}

int mt_chunk_start(struct mt_thread *t, struct mt_cursor *c, uint64_t off, uint64_t size,
                   uint64_t seq, uint64_t ticks)
{
    struct mt_chunk_header *ch = (struct mt_chunk_header *)(w.base + off);
    /* Fault the whole chunk in with one call instead of a fault per page
     * (kernels before 5.14 refuse the advice, EINVAL: the pages then fault
     * lazily).  Every page has its disk block (allocate_blocks), so this
     * fails only if the file was cut behind our back: then the chunk must
     * not be touched, or the program dies of SIGBUS. */
    uintptr_t lo = (uintptr_t)ch & ~(uintptr_t)4095;
    uintptr_t hi = ((uintptr_t)ch + size + 4095) & ~(uintptr_t)4095;
    if (syscall(SYS_madvise, lo, (size_t)(hi - lo), MADV_POPULATE_WRITE) != 0 &&
        (errno == EFAULT || errno == EIO))
        return -1;
    __atomic_store_n(&ch->magic, 0, __ATOMIC_RELEASE); /* a reused ring slot: invalid first */
    __atomic_store_n(&ch->used, 0, __ATOMIC_RELEASE);
    ch->size = (uint32_t)size;
    ch->seq = seq;
    ch->tid = t->tid;
    ch->ticks0 = ticks;
    __atomic_store_n(&ch->magic, MT_CHUNK_MAGIC, __ATOMIC_RELEASE);
    cursor_point(c, ch, ticks);
    return 0;
}

/* ---- fragments: the unused tails of chunks, given back for reuse ----
 *
 * A cursor that leaves a chunk (its thread ends, or a record does not fit)
 * cuts the chunk to what it used and turns the rest into a free fragment: a
 * chunk header with used = 0, written in the tail first, then the chunk's
 * size is lowered with one release store.  A reader sees the old size (the
 * fragment is invisible, inside the tail) or the new one (a valid empty
 * chunk follows): every committed record stays readable after kill -9.  A
 * later claim takes a fragment as it is, keeping its magic and size and
 * writing only seq, tid and ticks0 (its used is 0 until the first commit).
 * Free fragments form a lock-free stack; its head is the fragment's file
 * offset with a counter above bit 44 (MTRACE_MAX_SIZE < 2^44) against ABA,
 * and the link sits in the fragment's first payload bytes. */
#define FRAG_OFF_MASK ((1ull << 44) - 1)
#define FRAG_MIN_PAYLOAD 1024u /* smaller tails stay padding */
static uint64_t frag_head;

static uint64_t *frag_link(uint64_t off)
{
    return (uint64_t *)(w.base + off + sizeof(struct mt_chunk_header));
}

static void frag_push(uint64_t off)
{
    uint64_t old = __atomic_load_n(&frag_head, __ATOMIC_ACQUIRE), nw;
    do {
        __atomic_store_n(frag_link(off), old & FRAG_OFF_MASK, __ATOMIC_RELAXED);
        nw = off | ((old & ~FRAG_OFF_MASK) + (1ull << 44));
    } while (!__atomic_compare_exchange_n(&frag_head, &old, nw, 1, __ATOMIC_RELEASE,
                                          __ATOMIC_ACQUIRE));
}

static uint64_t frag_pop(void)
{
    uint64_t old = __atomic_load_n(&frag_head, __ATOMIC_ACQUIRE), nw, off;
    do {
        off = old & FRAG_OFF_MASK;
        if (!off)
            return 0;
        /* the mapping is never unmapped: a stale link only fails the CAS */
        nw = __atomic_load_n(frag_link(off), __ATOMIC_RELAXED) |
             ((old & ~FRAG_OFF_MASK) + (1ull << 44));
    } while (!__atomic_compare_exchange_n(&frag_head, &old, nw, 1, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    return off;
}

static int in_file(const void *p)
{
    return w.base && (const uint8_t *)p >= w.base + MT_HEADER_SIZE &&
           (const uint8_t *)p < w.base + __atomic_load_n(&w.mapped, __ATOMIC_ACQUIRE);
}

/* Cuts the cursor's chunk to its used bytes and frees the tail. */
static void give_back_tail(struct mt_chunk_header *ch)
{
    uint64_t keep = (sizeof *ch + ch->used + 7) & ~(uint64_t)7;
    if (ch->size < keep + sizeof *ch + FRAG_MIN_PAYLOAD)
        return;
    uint64_t off = (uint64_t)((uint8_t *)ch - w.base) + keep;
    struct mt_chunk_header *f = (struct mt_chunk_header *)(w.base + off);
    f->size = ch->size - (uint32_t)keep;
    f->seq = 0;
    f->tid = 0;
    f->used = 0;
    f->ticks0 = 0;
    __atomic_store_n(&f->magic, MT_CHUNK_MAGIC, __ATOMIC_RELEASE);
    __atomic_store_n(&ch->size, (uint32_t)keep, __ATOMIC_RELEASE);
    frag_push(off);
}

/* The cursor is done with its chunk (it claims another, or its thread ends). */
void mt_cursor_release(struct mt_cursor *c)
{
    struct mt_chunk_header *ch = c->chunk;
    if (ch && w.ring) {
        mt_ring_release(c);
    } else if (ch && in_file(ch)) {
        give_back_tail(ch);
        /* The part being left is complete: drop its whole pages from our
         * address space (they stay in the page cache and reach the file),
         * so the tracer's resident memory does not grow with the trace. */
        uintptr_t lo = ((uintptr_t)ch + 4095) & ~(uintptr_t)4095;
        uintptr_t hi = ((uintptr_t)ch + ch->size) & ~(uintptr_t)4095;
        if (hi > lo)
            syscall(SYS_madvise, lo, (size_t)(hi - lo), MADV_DONTNEED);
    }
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

#define FIRST_CHUNK 4096u

/* Takes [*off, *off + size) at the end of the file, mapped and with its disk
 * blocks.  -1 if the trace cannot grow (recording has then stopped). */
static int take_file_end(uint64_t size, uint64_t *offp)
{
    struct mt_file_header *h = mt_header;
    uint64_t off = __atomic_load_n(&h->data_end, __ATOMIC_RELAXED);
    for (;;) {
        if (off + size > w.reserved) {
            grow_failed(0);
            return -1;
        }
        if (ensure_mapped(off + size)) {
            grow_failed(errno);
            return -1;
        }
        /* data_end only moves forward, over chunks that are mapped */
        if (__atomic_compare_exchange_n(&h->data_end, &off, off + size, 1, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED))
            break;
    }
    *offp = off;
    return 0;
}

/* pwrite of all of [buf, buf + len) at off; 0 or an errno. */
static int write_all(const void *buf, size_t len, uint64_t off)
{
    const uint8_t *p = buf;
    while (len) {
        long r = mt_raw_syscall(SYS_pwrite64, w.fd, (long)p, (long)len, (long)off, 0, 0);
        if (r == -EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? (int)-r : EIO;
        p += r;
        len -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

/* The header and the records of a chunk in one pwritev (a short write
 * finishes with pwrite); 0 or an errno. */
static int write_chunk(const struct mt_chunk_header *h, const void *data, size_t len,
                       uint64_t off)
{
    struct iovec iov[2] = {{(void *)h, sizeof *h}, {(void *)data, len}};
    long r;
    do
        r = mt_raw_syscall(SYS_pwritev, w.fd, (long)iov, 2, (long)off, 0, 0);
    while (r == -EINTR);
    if (r < 0)
        return (int)-r;
    if ((size_t)r < sizeof *h) {
        int err = write_all((const uint8_t *)h + r, sizeof *h - (size_t)r, off + (uint64_t)r);
        return err ? err : write_all(data, len, off + sizeof *h);
    }
    size_t done = (size_t)r - sizeof *h;
    return done < len ? write_all((const uint8_t *)data + done, len - done,
                                  off + sizeof *h + done) : 0;
}

/* A full chunk of the largest size is not left behind: its records are
 * copied to the end of the file with pwrite and the cursor starts over in
 * the same pages.  Fresh pages of a shared mapping cost the program's thread
 * a page fault and zeroing each (and unmapping them later a TLB flush); the
 * copy costs the kernel one memcpy into the page cache, and the cursor's
 * pages stay hot.  Nothing is lost at any moment: the copy is written with
 * used = 0 first and then given its length, and the cursor's chunk keeps its
 * records until the copy is complete.  Killed in between, the trace holds
 * the chunk twice under the same seq; the reader keeps one (trace_reader.c).
 * 0 on success, -1 if the trace stopped (c is then released). */
static int spill(struct mt_cursor *c, uint64_t ticks)
{
    struct mt_chunk_header *ch = c->chunk;
    struct mt_chunk_header copy = *ch;
    uint32_t used = __atomic_load_n(&ch->used, __ATOMIC_RELAXED);
    /* whole pages, as every chunk claimed at the end of the file (a reader
     * skips a claimed page that was never written) */
    uint64_t size = (sizeof copy + used + 4095) & ~(uint64_t)4095, off;
    if (take_file_end(size, &off))
        return -1;
    copy.size = (uint32_t)size;
    copy.used = 0;
    int err = 0;
    struct mt_internal in;
    mt_internal_begin(&in);
    if (mt_fd_lock() == 0) {
        /* only the trace's descriptor: fd_still_ours also checks the
         * others, which the growing path does often enough */
        if (!mt_fd_intact(w.fd)) {
            fd_still_ours(); /* stops recording, says why */
            err = EBADF;
        } else if (!(err = write_chunk(&copy, ch + 1, used, off))) {
            err = write_all(&used, sizeof used, off + offsetof(struct mt_chunk_header, used));
        }
        mt_fd_unlock();
    } else {
        err = EDEADLK;
    }
    mt_internal_end(&in);
    if (err) {
        if (err != EBADF)
            grow_failed(err); /* the records stay in the cursor's chunk */
        return -1;
    }
    /* Start over: empty first (a reader then sees the copy only), then the
     * new identity. */
    __atomic_store_n(&ch->used, 0, __ATOMIC_RELEASE);
    ch->seq = __atomic_fetch_add(&mt_header->chunk_seq, 1, __ATOMIC_RELAXED);
    ch->ticks0 = ticks;
    cursor_point(c, ch, ticks);
    return 0;
}

uint8_t *mt_cursor_claim(struct mt_thread *t, struct mt_cursor *c, size_t need,
                         uint64_t ticks)
{
    struct mt_file_header *h = mt_header;
    if (!h)
        return NULL;
    /* A cursor's chunks grow from one page to MTRACE_CHUNK: a short thread
     * or a fork child that records little does not leave a large tail. */
    uint64_t prev = c->chunk && in_file(c->chunk) ? c->chunk->size : 0;
    if (!w.ring && prev && prev == mt_opt.chunk_bytes &&
        need + sizeof(struct mt_chunk_header) <= prev &&
        !__atomic_load_n(&w.full, __ATOMIC_RELAXED) && c->chunk->tid == t->tid) {
        if (spill(c, ticks) == 0)
            return c->pos;
    }
    mt_cursor_release(c);
    if (__atomic_load_n(&w.full, __ATOMIC_RELAXED))
        return NULL;
    if (w.ring)
        return mt_ring_claim(t, c, need, ticks);
    const uint64_t hdr = sizeof(struct mt_chunk_header);
    uint64_t foff = frag_pop();
    if (foff) {
        struct mt_chunk_header *f = (struct mt_chunk_header *)(w.base + foff);
        if (f->size >= hdr + need) {
            f->seq = __atomic_fetch_add(&h->chunk_seq, 1, __ATOMIC_RELAXED);
            f->tid = t->tid;
            f->ticks0 = ticks;
            cursor_point(c, f, ticks);
            return c->pos;
        }
        frag_push(foff); /* too small for this record: for another */
    }
    uint64_t size = prev ? ((2 * prev + 4095) & ~(uint64_t)4095) : FIRST_CHUNK;
    if (size > mt_opt.chunk_bytes)
        size = mt_opt.chunk_bytes;
    uint64_t want = (need + hdr + 4095) & ~(uint64_t)4095;
    if (want > size)
        size = want;
    if (size > UINT32_MAX)
        return NULL;
    uint64_t off;
    if (take_file_end(size, &off))
        return NULL;
    uint64_t seq = __atomic_fetch_add(&h->chunk_seq, 1, __ATOMIC_RELAXED);
    if (mt_chunk_start(t, c, off, size, seq, ticks)) {
        grow_failed(errno);
        return NULL;
    }
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
        int fd_locked = mt_fd_lock() == 0;
        if (end < w.mapped && fd_still_ours() &&
            syscall(SYS_ftruncate, w.fd, (off_t)end) == 0)
            __atomic_store_n(&w.mapped, end, __ATOMIC_RELEASE);
        if (fd_locked)
            mt_fd_unlock();
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
        mt_fd_close_own(w.fd); /* never a number the program reused */
    if (w.ring)
        mt_ring_abandon();
    w.fd = -1;
    w.base = NULL; /* the private copy stays reserved: it may still be written */
    w.mapped = 0;
    w.grow_lock.owner = 0;
    w.full = 0;
    frag_head = 0; /* the parent's fragments are in the parent's file */
    mt_header = NULL;
}
