/* What the analyzer needs to place and symbolise addresses offline: the
 * command line, the loaded modules with their build-ids, and snapshots of
 * /proc/self/maps.  Read with open/read straight into the trace. */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "options.h"
#include "mtrace/varint.h"
#include "writer.h"

#define PADDED_LEN_BYTES 5 /* a length written before it is known */

/* Copies a whole /proc file into one record (TAG_INFO: uv kind; TAG_MAPS:
 * sv dt, uv reason; then uv length and the bytes), reading straight into the
 * trace's shared mapping.  No buffer of our own: one that grew while we read
 * /proc/self/smaps would change the very address space being described.
 * The room is a guess per file: the last length and a quarter more (the
 * maps change little between snapshots), so a snapshot claims about its own
 * size; a file that does not fit is read again into four times the room
 * (the unused claim is left behind, uncommitted). */
static const uint8_t *record_proc_file(struct mt_thread *t, const char *path, unsigned tag,
                                       unsigned kind, size_t max_record, size_t *guess)
{
    const size_t overhead = 1 + 2 * MT_VARINT_MAX + PADDED_LEN_BYTES;
    if (max_record <= overhead)
        return NULL;
    size_t cap = max_record - overhead; /* a ring slot bounds one record */
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    const uint8_t *rec = NULL;
    size_t room = __atomic_load_n(guess, __ATOMIC_RELAXED);
    for (int attempt = 0; attempt < 6; attempt++, room *= 4) {
        if (room > cap)
            room = cap;
        if (attempt && syscall(SYS_lseek, fd, 0, SEEK_SET) != 0)
            break;
        struct mt_cursor *c = mt_cursor_of(t);
        uint64_t now = mt_ticks();
        uint8_t *o = mt_reserve(t, c, overhead + room, now);
        if (!o) {
            mt_lost_event();
            break;
        }
        uint8_t *start = o;
        *o++ = (uint8_t)tag;
        if (tag != MT_TAG_INFO)
            o = mt_put_sv(o, (int64_t)(now - c->last_ticks));
        o = mt_put_uv(o, kind);
        uint8_t *lenp = o, *data = o + PADDED_LEN_BYTES;
        size_t len = 0;
        while (len < room) {
            ssize_t r = read(fd, data + len, room - len);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            len += (size_t)r;
        }
        if (len == room && room < cap)
            continue; /* perhaps more: again, with more room */
        if (len == cap && tag == MT_TAG_MAPS) {
            /* the text is larger than a record may be: keep whole lines */
            while (len && data[len - 1] != '\n')
                len--;
        }
        __atomic_store_n(guess, len + len / 4 + 4096, __ATOMIC_RELAXED);
        mt_put_uv_padded(lenp, len, PADDED_LEN_BYTES);
        if (tag != MT_TAG_INFO)
            c->last_ticks = now;
        mt_commit(c, data + len);
        rec = start;
        break;
    }
    syscall(SYS_close, fd);
    return rec;
}

/* An info record; in ring mode also kept for re-emission (ring.c). */
static void info_record(struct mt_thread *t, unsigned kind, const void *data, size_t len)
{
    const uint8_t *rec = mt_record_info(t, kind, data, len);
    if (rec)
        mt_ring_blob_add(MT_BLOB_INFO, rec, (size_t)(mt_cursor_of(t)->pos - rec));
}
/* glibc malloc settings from the environment: MALLOC_*_ variables and
 * GLIBC_TUNABLES, as "NAME=value" lines. */
static void write_tunables(struct mt_thread *t)
{
    extern char **environ;
    char buf[4096];
    size_t n = 0;
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, "MALLOC_", 7) && strncmp(*e, "GLIBC_TUNABLES=", 15))
            continue;
        size_t len = strlen(*e);
        if (n + len + 1 > sizeof buf)
            break;
        memcpy(buf + n, *e, len);
        n += len;
        buf[n++] = '\n';
    }
    info_record(t, MT_INFO_TUNABLES, buf, n);
}

void mt_write_process_info(struct mt_thread *t)
{
    mt_ring_blob_clear(MT_BLOB_INFO);
    /* ring slots are small: a command line may take half of one */
    static size_t guess = 4096;
    const uint8_t *rec = record_proc_file(t, "/proc/self/cmdline", MT_TAG_INFO, MT_INFO_CMDLINE,
                                          mt_writer_max_record() / 2, &guess);
    if (rec)
        mt_ring_blob_add(MT_BLOB_INFO, rec, (size_t)(mt_cursor_of(t)->pos - rec));
    char exe[4096];
    ssize_t e = readlink("/proc/self/exe", exe, sizeof exe);
    if (e > 0)
        info_record(t, MT_INFO_EXE, exe, (size_t)e);
    write_tunables(t);
    /* attached: the program's calls come to ours through its GOT (attach.c) */
    const char *foreign = mt_opt.attached ? NULL : mt_foreign_allocator();
    if (foreign)
        info_record(t, MT_INFO_FOREIGN_ALLOCATOR, foreign, strlen(foreign));
}

/* The object whose malloc the program's calls reach, if it is not ours:
 * another allocator preloaded before libmtrace.so (LD_PRELOAD="libjemalloc.so.2
 * libmtrace.so"), or one linked into the program.  Then no allocation passes
 * through the shim, and a trace with no allocations must not read as a
 * clean run.  Decided once, at start (the loader's lookup order is fixed). */
const char *mt_foreign_allocator(void)
{
    static char path[4096];
    static int done;
    if (done)
        return path[0] ? path : NULL;
    done = 1;
    void *m = dlsym(RTLD_DEFAULT, "malloc");
    Dl_info mine, theirs;
    const ElfW(Sym) *sym = NULL;
    if (!m || !dladdr((void *)&mt_foreign_allocator, &mine) ||
        !dladdr1(m, &theirs, (void **)&sym, RTLD_DL_SYMENT) ||
        theirs.dli_fbase == mine.dli_fbase)
        return NULL;
    /* A program that takes malloc's address (non-PIE, or PIE with a
     * canonical PLT entry) exports an undefined "malloc" whose value is its
     * PLT stub: the stub jumps to the real definition, ours when we come first. */
    if (sym && sym->st_shndx == SHN_UNDEF)
        return NULL;
    if (theirs.dli_fname && theirs.dli_fname[0]) {
        mt_format(path, sizeof path, "%s", theirs.dli_fname);
    } else { /* the main program */
        ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
        path[n > 0 ? n : 0] = '\0';
        if (!path[0])
            mt_format(path, sizeof path, "%s", "the program");
    }
    return path;
}

/* Threads of this process: field 20 of /proc/self/stat (0 if unknown). */
unsigned mt_proc_thread_count(void)
{
    char buf[1024];
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    syscall(SYS_close, fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *p = buf + n;
    while (p > buf && p[-1] != ')') /* the command name may hold spaces */
        p--;
    unsigned field = 2, count = 0;
    for (; *p && field < 20; p++)
        if (*p == ' ')
            field++;
    while (*p >= '0' && *p <= '9')
        count = count * 10 + (unsigned)(*p++ - '0');
    return count;
}

void mt_write_maps(struct mt_thread *t, unsigned reason)
{
    static size_t maps_guess = 16384, smaps_guess = 65536;
    int smaps = reason == MT_MAPS_SMAPS_EXIT;
    record_proc_file(t, smaps ? "/proc/self/smaps" : "/proc/self/maps", MT_TAG_MAPS, reason,
                     mt_writer_max_record(), smaps ? &smaps_guess : &maps_guess);
}

struct module_ctx {
    struct mt_thread *t;
};

static const uint8_t *find_build_id(struct dl_phdr_info *info, size_t *len)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
        const uint8_t *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            const uint8_t *name = p + sizeof *nh;
            const uint8_t *desc = name + ((nh->n_namesz + 3) & ~3u);
            if (desc + nh->n_descsz > end)
                break;
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
                !memcmp(name, "GNU", 4)) {
                *len = nh->n_descsz;
                return desc;
            }
            p = desc + ((nh->n_descsz + 3) & ~3u);
        }
    }
    *len = 0;
    return NULL;
}

static int module_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct module_ctx *ctx = data;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t s = info->dlpi_addr + ph->p_vaddr;
        if (s < lo)
            lo = s;
        if (s + ph->p_memsz > hi)
            hi = s + ph->p_memsz;
    }
    if (hi <= lo)
        return 0;
    char exe[4096];
    const char *path = info->dlpi_name;
    if (!path || !*path) {
        /* the main program reports an empty name */
        ssize_t e = readlink("/proc/self/exe", exe, sizeof exe - 1);
        exe[e > 0 ? e : 0] = '\0';
        path = exe;
    }
    size_t idlen, pathlen = strlen(path);
    const uint8_t *id = find_build_id(info, &idlen);
    if (idlen > 64)
        idlen = 64;
    if (pathlen > 4096)
        pathlen = 4096;
    uint8_t rec[5 * MT_VARINT_MAX + 64 + 4096 + 8];
    uint8_t *o = rec;
    o = mt_put_uv(o, lo);
    o = mt_put_uv(o, hi);
    o = mt_put_uv(o, info->dlpi_addr);
    o = mt_put_uv(o, idlen);
    if (idlen)
        memcpy(o, id, idlen);
    o += idlen;
    o = mt_put_uv(o, pathlen);
    memcpy(o, path, pathlen);
    o += pathlen;
    struct mt_cursor *c = mt_cursor_of(ctx->t);
    size_t len = (size_t)(o - rec);
    uint8_t *dst = mt_reserve(ctx->t, c, 1 + len, mt_ticks());
    if (dst) {
        *dst = MT_TAG_MODULE;
        memcpy(dst + 1, rec, len);
        mt_commit(c, dst + 1 + len);
        mt_ring_blob_add(MT_BLOB_MODULES, dst, 1 + len);
    }
    return 0;
}

void mt_write_modules(struct mt_thread *t)
{
    struct module_ctx ctx = {t};
    struct mt_internal in;
    mt_internal_begin(&in);
    mt_ring_blob_clear(MT_BLOB_MODULES);
    dl_iterate_phdr(module_cb, &ctx);
    mt_internal_end(&in);
}
