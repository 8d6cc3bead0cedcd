/* The reachability scan at exit (MT_TAG_SCAN, MT_TAG_SCAN_WORDS).
 *
 * After the program's exit handlers and destructors (mtrace's on_exit
 * handler, registered before libc registers the destructor pass), the
 * shim walks /proc/self/maps and reads every aligned 8-byte word of every
 * private readable+writable mapping, except its own memory (the trace
 * mapping, mt_os_alloc regions, libmtrace's and libunwind's writable
 * segments).  Each mapping is "heap space" (the brk heap, thread-arena
 * heaps) or "root space" (everything else: module data and bss, anonymous
 * memory, thread stacks and TLS).  A word whose value falls inside heap
 * space or an anonymous mapping (where malloc's dedicated chunks live) is
 * written as a (location, value) pair; the ranges and their classes follow,
 * then an END record.  The shim keeps no live set: the analyzer, which
 * knows the blocks live at the END record, turns the pairs into roots and
 * edges and classifies every unfreed block as memcheck does
 * (analyzer/leak_reach.c).
 *
 * The exiting thread: its callee-saved registers are spilled into this
 * frame (__builtin_unwind_init, setjmp) and its stack is scanned from here
 * up.  Other threads still running: their whole stack mappings are roots
 * (no registers; dead words below their stack pointers count), and they
 * may change memory while it is read.  Memory is read with
 * process_vm_readv, so a page unmapped meanwhile is skipped, not a crash.
 * No allocation: buffers come from mt_os_alloc; no stdio. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <setjmp.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "mtrace/varint.h"
#include "glibc.h"
#include "options.h"
#include "shim.h"
#include "writer.h"

#define MAX_RANGES 16384
#define MAX_EXCL (MT_OS_OWN_MAX + 64)
#define EXCL_BYTES (MAX_EXCL * 3 * sizeof(uintptr_t))
#define OUT_CAP (60u * 1024)
#define COPY_BYTES (64u * 1024)

struct range {
    uintptr_t start, end;
    unsigned cls;
};

struct scan {
    struct mt_thread *t;
    struct range *r;
    unsigned n;
    uintptr_t (*excl)[3]; /* start, end, class (MT_SCAN_OWN or MT_SCAN_HEAP) */
    unsigned nexcl;
    uintptr_t heap_lo, heap_hi; /* the brk heap ([heap]) */
    uintptr_t libc_data[8][2];  /* libc's writable segments */
    unsigned n_libc_data;
    uintptr_t (*plaus)[2]; /* sorted: where a block may live */
    unsigned nplaus;
    uint8_t *out;
    size_t out_len, out_cap;
    uint64_t prev_loc, prev_val;
    uint64_t pairs, words;
    uint64_t *copy;
    int direct;            /* process_vm_readv unavailable: read in place */
    pid_t pid;
};

static uint64_t scan_generation;

/* ---- output ---- */

static void flush_words(struct scan *s)
{
    if (s->out_len)
        mt_record_blob(s->t, MT_TAG_SCAN_WORDS, 0, s->out, s->out_len);
    s->out_len = 0;
    s->prev_loc = s->prev_val = 0;
}

static void emit_pair(struct scan *s, uint64_t loc, uint64_t val)
{
    if (s->out_len + 2 * MT_VARINT_MAX > s->out_cap)
        flush_words(s);
    uint8_t *o = s->out + s->out_len;
    o = mt_put_uv(o, (loc - s->prev_loc) >> 3);
    o = mt_put_sv(o, (int64_t)(val - s->prev_val));
    s->out_len = (size_t)(o - s->out);
    s->prev_loc = loc;
    s->prev_val = val;
    s->pairs++;
}

static void write_ranges(struct scan *s)
{
    uint64_t prev_end = 0;
    size_t len = 0;
    for (unsigned i = 0; i < s->n; i++) {
        if (len + 3 * MT_VARINT_MAX > s->out_cap) {
            mt_record_blob(s->t, MT_TAG_SCAN, MT_SCAN_RANGES, s->out, len);
            len = 0;
            prev_end = 0;
        }
        uint8_t *o = s->out + len;
        o = mt_put_uv(o, s->r[i].start - prev_end);
        o = mt_put_uv(o, s->r[i].end - s->r[i].start);
        o = mt_put_uv(o, s->r[i].cls);
        len = (size_t)(o - s->out);
        prev_end = s->r[i].end;
    }
    if (len)
        mt_record_blob(s->t, MT_TAG_SCAN, MT_SCAN_RANGES, s->out, len);
}

/* ---- classification ---- */

static void add_range(struct scan *s, uintptr_t start, uintptr_t end, unsigned cls)
{
    if (start >= end || s->n >= MAX_RANGES)
        return;
    if (s->n && s->r[s->n - 1].end == start && s->r[s->n - 1].cls == cls) {
        s->r[s->n - 1].end = end;
        return;
    }
    s->r[s->n++] = (struct range){start, end, cls};
}

/* Adds [start, end) as `cls`, with the tracer's own pieces carved out. */
static void add_carved(struct scan *s, uintptr_t start, uintptr_t end, unsigned cls)
{
    uintptr_t at = start;
    for (unsigned i = 0; i < s->nexcl && at < end; i++) {
        uintptr_t a = s->excl[i][0], b = s->excl[i][1];
        if (b <= at || a >= end)
            continue;
        if (a > at)
            add_range(s, at, a, cls);
        add_range(s, a > at ? a : at, b < end ? b : end, (unsigned)s->excl[i][2]);
        at = b;
    }
    if (at < end)
        add_range(s, at, end, cls);
}

static void add_excl_as(struct scan *s, uintptr_t a, uintptr_t b, unsigned cls)
{
    if (a < b && s->nexcl < MAX_EXCL) {
        s->excl[s->nexcl][0] = a;
        s->excl[s->nexcl][1] = b;
        s->excl[s->nexcl][2] = cls;
        s->nexcl++;
    }
}

static void add_excl(struct scan *s, uintptr_t a, uintptr_t b)
{
    add_excl_as(s, a, b, MT_SCAN_OWN);
}

static int own_module_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct scan *s = data;
    uintptr_t self = (uintptr_t)&mt_reach_at_exit, libc = (uintptr_t)mt_real.malloc;
    int mine = 0, is_libc = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t a = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && self >= a && self < a + ph->p_memsz)
            mine = 1;
        if (ph->p_type == PT_LOAD && libc >= a && libc < a + ph->p_memsz)
            is_libc = 1;
    }
    for (int i = 0; is_libc && i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_W) && s->n_libc_data < 8) {
            s->libc_data[s->n_libc_data][0] = info->dlpi_addr + ph->p_vaddr;
            s->libc_data[s->n_libc_data][1] = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
            s->n_libc_data++;
        }
    }
    const char *name = info->dlpi_name ? info->dlpi_name : "";
    if (!mine && !strstr(name, "libunwind"))
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
            continue;
        uintptr_t a = (info->dlpi_addr + ph->p_vaddr) & ~(uintptr_t)4095;
        uintptr_t b = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + 4095) & ~(uintptr_t)4095;
        add_excl(s, a, b);
    }
    return 0;
}

static void sort_excl(struct scan *s)
{
    for (unsigned i = 1; i < s->nexcl; i++) /* small: insertion sort */
        for (unsigned j = i; j > 0 && s->excl[j - 1][0] > s->excl[j][0]; j--)
            for (int k = 0; k < 3; k++) {
                uintptr_t v = s->excl[j][k];
                s->excl[j][k] = s->excl[j - 1][k];
                s->excl[j - 1][k] = v;
            }
}

/* glibc's main_arena (a malloc_state in libc's data) is malloc's own
 * memory in root space: its top, last_remainder and bins point at chunk
 * headers, and a chunk header lies in the last 8 bytes of the block before
 * it when that block's request fills its chunk.  Read as roots, they would
 * make lost blocks "possibly lost".  The arena is found by its top pointer:
 * the word in libc's data whose value is a chunk in the brk heap that ends
 * exactly at the program break.  Carved out as heap space: [top - 96,
 * top - 96 + 2200), malloc_state since glibc 2.27 (fastbins before top;
 * bins, binmap, next, ... after). */
#define MT_ARENA_TOP_OFFSET 96
#define MT_ARENA_SIZE 2200
static void carve_main_arena(struct scan *s)
{
    uintptr_t brk = mt_glibc_curbrk ? (uintptr_t)*mt_glibc_curbrk : 0;
    if (!mt_malloc_is_glibc || !s->heap_lo || !brk || brk > s->heap_hi || brk <= s->heap_lo)
        return;
    for (unsigned d = 0; d < s->n_libc_data; d++) {
        uintptr_t a = (s->libc_data[d][0] + 7) & ~(uintptr_t)7;
        for (; a + 8 <= s->libc_data[d][1]; a += 8) {
            uintptr_t top = *(const uintptr_t *)a;
            if (top < s->heap_lo || top > brk - 16 || (top & 15)) /* no overflow: top may be ~0 */
                continue;
            uintptr_t size = ((const uintptr_t *)top)[1] & ~(uintptr_t)7;
            if (top + size == brk && a >= s->libc_data[d][0] + MT_ARENA_TOP_OFFSET) {
                add_excl_as(s, a - MT_ARENA_TOP_OFFSET, a - MT_ARENA_TOP_OFFSET + MT_ARENA_SIZE,
                            MT_SCAN_HEAP);
                return;
            }
        }
    }
}

/* An anonymous mapping that starts a glibc thread-arena heap. */
static int is_arena_heap(uintptr_t start, uintptr_t end)
{
    if (!mt_malloc_is_glibc || !mt_glibc_heap_max_known ||
        (start & (MT_GLIBC_HEAP_MAX - 1)) || end - start > MT_GLIBC_HEAP_MAX)
        return 0;
    const uintptr_t *info = (const uintptr_t *)start; /* ar_ptr, prev, size */
    return info[0] && !(info[0] & 7) && info[2] >= end - start - 4096 &&
           info[2] <= MT_GLIBC_HEAP_MAX;
}

static uintptr_t hex(const char **pp)
{
    uintptr_t v = 0;
    const char *p = *pp;
    for (;; p++) {
        unsigned d;
        if (*p >= '0' && *p <= '9')
            d = (unsigned)(*p - '0');
        else if (*p >= 'a' && *p <= 'f')
            d = (unsigned)(*p - 'a' + 10);
        else
            break;
        v = v << 4 | d;
    }
    *pp = p;
    return v;
}

/* Reads the whole of /proc/self/maps into own memory; its length, or 0. */
static size_t read_maps(char **buf, size_t *cap)
{
    for (size_t c = 1u << 20; c <= (64u << 20); c *= 4) {
        char *b = mt_os_alloc(c);
        if (!b)
            return 0;
        int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            mt_os_free(b, c);
            return 0;
        }
        size_t n = 0;
        for (;;) {
            long r = syscall(SYS_read, fd, b + n, c - 1 - n);
            if (r < 0 && r == -EINTR)
                continue;
            if (r <= 0)
                break;
            n += (size_t)r;
            if (n >= c - 1)
                break;
        }
        syscall(SYS_close, fd);
        if (n < c - 1) {
            b[n] = '\0';
            *buf = b;
            *cap = c;
            return n;
        }
        mt_os_free(b, c);
    }
    return 0;
}

static void classify(struct scan *s, const char *maps, uintptr_t sp)
{
    const char *p = maps;
    while (*p) {
        const char *line = p;
        while (*p && *p != '\n')
            p++;
        const char *eol = p;
        if (*p)
            p++;
        const char *q = line;
        uintptr_t start = hex(&q);
        if (*q++ != '-')
            continue;
        uintptr_t end = hex(&q);
        if (*q++ != ' ' || eol - q < 4)
            continue;
        char perm[4] = {q[0], q[1], q[2], q[3]};
        q += 4;
        /* offset, device, inode, then the path after spaces */
        for (int f = 0; f < 3 && q < eol; f++) {
            while (q < eol && *q == ' ')
                q++;
            while (q < eol && *q != ' ')
                q++;
        }
        while (q < eol && *q == ' ')
            q++;
        const char *path = q;
        size_t plen = (size_t)(eol - q);
        if (perm[0] != 'r' || perm[1] != 'w' || end <= start)
            continue;
        int anon = plen == 0;
        if (perm[3] != 'p' || (plen > 5 && !memcmp(path, "/dev/", 5))) {
            add_range(s, start, end, MT_SCAN_SKIPPED);
            continue;
        }
        unsigned cls = MT_SCAN_ROOT;
        if ((plen == 6 && !memcmp(path, "[heap]", 6)) || (anon && is_arena_heap(start, end)))
            cls = MT_SCAN_HEAP;
        if (cls == MT_SCAN_HEAP || anon) {
            if (s->nplaus < MAX_RANGES) {
                s->plaus[s->nplaus][0] = start;
                s->plaus[s->nplaus][1] = end;
                s->nplaus++;
            }
        }
        if (cls == MT_SCAN_HEAP && !anon) {
            s->heap_lo = start;
            s->heap_hi = end;
        }
        if (sp >= start && sp < end) {
            add_range(s, start, sp, MT_SCAN_SKIPPED);
            add_carved(s, sp, end, MT_SCAN_STACK);
        } else {
            add_carved(s, start, end, cls);
        }
    }
}

/* ---- the scan ---- */

static int plausible(const struct scan *s, uint64_t v)
{
    unsigned lo = 0, hi = s->nplaus;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (v < s->plaus[mid][0])
            hi = mid;
        else if (v >= s->plaus[mid][1])
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

static void scan_words(struct scan *s, uintptr_t at, const uint64_t *w, size_t n)
{
    uint64_t lo = s->nplaus ? s->plaus[0][0] : 1, hi = s->nplaus ? s->plaus[s->nplaus - 1][1] : 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t v = w[i];
        if (v >= lo && v < hi && plausible(s, v))
            emit_pair(s, at + 8 * i, v);
    }
    s->words += n;
}

/* Copies [a, a+len) into s->copy; the bytes copied (0: unreadable). */
static size_t copy_in(struct scan *s, uintptr_t a, size_t len)
{
    struct iovec local = {s->copy, len}, remote = {(void *)a, len};
    long r = syscall(SYS_process_vm_readv, s->pid, &local, 1UL, &remote, 1UL, 0UL);
    if (r < 0 && (r == -ENOSYS || r == -EPERM)) {
        s->direct = 1;
        return 0;
    }
    return r > 0 ? (size_t)r & ~(size_t)7 : 0;
}

/* Any page of [a, a+len) (page-aligned a) in memory?  A page never touched
 * holds only zeros: reading it would fault in a zero page for nothing, which
 * for a large reservation (MAP_NORESERVE arenas, sanitizer shadows) takes
 * minutes.  A page swapped out also reads as absent (see README). */
static int any_resident(uintptr_t a, size_t len)
{
    unsigned char vec[COPY_BYTES / 4096];
    size_t pages = (len + 4095) / 4096;
    if (syscall(SYS_mincore, a, len, vec) != 0)
        return 1; /* cannot tell: read it */
    for (size_t i = 0; i < pages; i++)
        if (vec[i] & 1)
            return 1;
    return 0;
}

static void scan_range(struct scan *s, unsigned idx)
{
    uintptr_t a = (s->r[idx].start + 7) & ~(uintptr_t)7, end = s->r[idx].end & ~(uintptr_t)7;
    while (a < end) {
        size_t len = end - a < COPY_BYTES ? end - a : COPY_BYTES;
        if (!(a & 4095) && !any_resident(a, len)) {
            a += len;
            continue;
        }
        if (s->direct) {
            scan_words(s, a, (const uint64_t *)a, len / 8);
            a += len;
            continue;
        }
        size_t got = copy_in(s, a, len);
        if (s->direct)
            continue;
        if (got) {
            scan_words(s, a, s->copy, got / 8);
            a += got;
        } else {
            a = (a + 4096) & ~(uintptr_t)4095; /* an unreadable page: skip it */
        }
    }
}

static __attribute__((noinline)) void scan_all(struct mt_thread *t, uintptr_t sp)
{
    struct scan s;
    memset(&s, 0, sizeof s);
    s.t = t;
    s.pid = (pid_t)syscall(SYS_getpid);
    uint64_t ns0 = mt_ns_now();
    size_t r_bytes = MAX_RANGES * sizeof *s.r, e_bytes = EXCL_BYTES,
           p_bytes = MAX_RANGES * sizeof *s.plaus;
    s.r = mt_os_alloc(r_bytes);
    s.excl = mt_os_alloc(e_bytes);
    s.plaus = mt_os_alloc(p_bytes);
    s.out = mt_os_alloc(OUT_CAP);
    s.copy = mt_os_alloc(COPY_BYTES);
    size_t max = mt_writer_max_record();
    s.out_cap = max > 64 + 64 ? max - 64 : 0;
    if (s.out_cap > OUT_CAP)
        s.out_cap = OUT_CAP;
    char *maps = NULL;
    size_t maps_cap = 0;
    if (s.r && s.excl && s.plaus && s.out && s.copy && s.out_cap >= 256 &&
        read_maps(&maps, &maps_cap)) {
        /* own memory: the buffers above are in the list (mt_os_alloc) */
        unsigned n_own = mt_os_own_ranges(s.plaus, MT_OS_OWN_MAX); /* plaus: scratch */
        for (unsigned i = 0; i < n_own; i++)
            add_excl(&s, s.plaus[i][0], s.plaus[i][1]);
        add_excl(&s, (uintptr_t)mt_w.base, (uintptr_t)mt_w.base + mt_w.reserved);
        for (unsigned i = 0; i < mt_w.n_abandoned; i++)
            add_excl(&s, (uintptr_t)mt_w.abandoned[i].base,
                     (uintptr_t)mt_w.abandoned[i].base + mt_w.abandoned[i].len);
        if (mt_glibc_loader_walk_ok())
            dl_iterate_phdr(own_module_cb, &s);
        sort_excl(&s);
        classify(&s, maps, sp);
        /* again with malloc's arena carved out of libc's data */
        carve_main_arena(&s);
        sort_excl(&s);
        s.n = s.nplaus = 0;
        classify(&s, maps, sp);
        for (unsigned i = 0; i < s.n; i++)
            if (s.r[i].cls == MT_SCAN_ROOT || s.r[i].cls == MT_SCAN_STACK ||
                s.r[i].cls == MT_SCAN_HEAP)
                scan_range(&s, i);
        flush_words(&s);
        write_ranges(&s);
        uint8_t end[5 * MT_VARINT_MAX], *o = end;
        o = mt_put_uv(o, 1);
        o = mt_put_uv(o, s.pairs);
        o = mt_put_uv(o, s.words);
        o = mt_put_uv(o, mt_ns_now() - ns0);
        o = mt_put_uv(o, sp);
        mt_record_blob(t, MT_TAG_SCAN, MT_SCAN_END, end, (size_t)(o - end));
    }
    if (maps)
        mt_os_free(maps, maps_cap);
    mt_os_free(s.copy, COPY_BYTES);
    mt_os_free(s.out, OUT_CAP);
    mt_os_free(s.plaus, p_bytes);
    mt_os_free(s.excl, e_bytes);
    mt_os_free(s.r, r_bytes);
}

/* Zeroes the stack the scan's own frames are about to occupy: whatever the
 * exit handlers and destructors left there (dead frames; memcheck marks
 * them undefined and skips them) would otherwise be read as roots, and
 * setjmp leaves part of its jmp_buf unwritten. */
static __attribute__((noinline)) void scrub_stack_below(void)
{
    volatile uint64_t pad[2048];
    for (size_t i = 0; i < sizeof pad / sizeof pad[0]; i++)
        pad[i] = 0;
    __asm__ volatile("" : : "r"(pad) : "memory");
}

static __attribute__((noinline)) void scan_here(struct mt_thread *t)
{
    /* the callee-saved registers, into this frame: scanned with the stack */
    jmp_buf regs;
    memset(&regs, 0, sizeof regs);
    __builtin_unwind_init();
    setjmp(regs);
    scan_all(t, (uintptr_t)&regs & ~(uintptr_t)7);
    __asm__ volatile("" : : "r"(&regs) : "memory");
}

/* The scan knows glibc's heaps only: with another allocator under mtrace
 * (LD_PRELOAD="libmtrace.so libjemalloc.so.2") its blocks sit in anonymous
 * mappings, which are roots, next to its tables that point to every block,
 * so every block would look reachable.  No scan then: no verdict. */
static int malloc_is_glibcs(void)
{
    Dl_info a, b;
    return mt_real.malloc && dladdr((void *)mt_real.malloc, &a) &&
           dladdr((void *)&getpid, &b) && a.dli_fbase == b.dli_fbase;
}

void mt_reach_at_exit(void)
{
    if (mt_state != MT_ON || !mt_header || !mt_opt.leak_check || mt_w.ring ||
        !malloc_is_glibcs() ||
        mt_header->end_state != MT_END_RUNNING ||
        mt_header->pid != (uint64_t)syscall(SYS_getpid))
        return;
    uint64_t gen = __atomic_load_n(&mt_generation, __ATOMIC_RELAXED);
    uint64_t seen = __atomic_load_n(&scan_generation, __ATOMIC_RELAXED);
    if (seen == gen || !__atomic_compare_exchange_n(&scan_generation, &seen, gen, 0,
                                                    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        return;
    struct mt_thread *t = mt_hook_enter();
    if (!t)
        return;
    struct mt_internal in;
    mt_internal_begin(&in);
    scrub_stack_below();
    scan_here(t);
    mt_internal_end(&in);
    mt_hook_leave(t);
}
