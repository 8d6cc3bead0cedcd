/* Offline symbolisation with elfutils libdwfl.
 *
 * Shape:
 *   - Every recorded module (one per start address) is a `struct sym_mod`
 *     in an array sorted by start.  Lookups find the innermost module whose
 *     [start, end) holds the address, which also works when a hostile trace
 *     records overlapping ranges.
 *   - Modules that name the same file share one `struct sym_file`, which owns
 *     a Dwfl holding just that file, reported at load bias 0.  A runtime
 *     address is turned into a file address (address - recorded bias) before
 *     it is looked up, so the Dwfl never needs to know where the module was
 *     loaded: PIE executables, shared libraries (bias = dlpi_addr) and non-PIE
 *     executables (bias 0) all follow the same arithmetic, overlapping or
 *     duplicate module records cannot confuse libdwfl's address map, and a
 *     library mapped at several addresses is read once.
 *   - Files are opened lazily, the first time an address inside them is
 *     resolved, and at most `max_open` stay open (least recently used ones
 *     are closed), so 10000 module records cannot exhaust file descriptors.
 *   - Every string handed out is copied into an interning table that lives
 *     until mta_sym_free, so closing a file never invalidates a result.
 *   - Results are cached per (address, is_return_address).
 *   - Names: the DWARF name of each (inlined) function, following
 *     DW_AT_abstract_origin/DW_AT_specification; for C++ the linkage name,
 *     demangled with the C++ runtime's __cxa_demangle (libstdc++ is linked
 *     into the analyzer only), optionally with template arguments shortened
 *     to "<...>" (mta_sym_short_templates).  Without DWARF, a
 *     per-file sorted index of the symbol table (dwfl_module_addrname scans
 *     every symbol on each call) gives the name, "@VERSION" dropped.
 *   - Inlined frames: the innermost scope from dwarf_getscopes, then its
 *     physical parents from dwarf_getscopes_die; each inlined subroutine's
 *     DW_AT_call_file/DW_AT_call_line is the file:line of the frame outside
 *     it, as addr2line -i prints.
 *   - libdw 0.188 (Debian 12) finds a CU by .debug_aranges only; clang and
 *     rustc do not emit them by default, so when that fails every CU's
 *     ranges are indexed once per file.
 *
 * Not thread-safe: one symbolizer is used by one thread at a time.
 *
 * Note: dwfl_standard_find_debuginfo consults debuginfod when the
 * environment sets DEBUGINFOD_URLS and no local debug file is found; that is
 * the user's choice (gdb and eu-addr2line behave the same way).
 */
#include "symbolize.h"
#include "xalloc.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define SYM_MAX_FRAMES 64      /* inlined frames kept per address */
#define SYM_MAX_WARNINGS 100   /* warning lines kept; later ones are counted */
#define SYM_BUILD_ID_MAX 64
#define SYM_MAX_CU_RANGES (1u << 22)

/* ------------------------------------------------------------------ */
/* arena: memory that lives until mta_sym_free                         */

struct arena_blk {
    struct arena_blk *next;
    size_t used, cap;
};

#define ARENA_HDR ((sizeof(struct arena_blk) + 15) & ~(size_t)15)
#define ARENA_BLOCK 65536u

struct arena {
    struct arena_blk *head;
};

static void *arena_alloc(struct arena *a, size_t n)
{
    if (n > SIZE_MAX / 4)
        return NULL;
    n = (n + 15) & ~(size_t)15;
    struct arena_blk *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        b = mta_xmalloc(ARENA_HDR + cap);
        if (!b)
            return NULL;
        b->used = 0;
        b->cap = cap;
        b->next = a->head;
        a->head = b;
    }
    void *p = (char *)b + ARENA_HDR + b->used;
    b->used += n;
    return p;
}

static void arena_free(struct arena *a)
{
    struct arena_blk *b = a->head;
    while (b) {
        struct arena_blk *n = b->next;
        free(b);
        b = n;
    }
    a->head = NULL;
}

/* ------------------------------------------------------------------ */
/* hash map uint64 -> non-NULL pointer (open addressing)               */

struct u64map {
    uint64_t *keys;
    void **vals; /* NULL: empty slot */
    size_t cap, n;
};

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static void *u64map_get(const struct u64map *m, uint64_t key)
{
    if (!m->cap)
        return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)mix64(key) & mask; m->vals[i]; i = (i + 1) & mask)
        if (m->keys[i] == key)
            return m->vals[i];
    return NULL;
}

static int u64map_grow(struct u64map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    uint64_t *keys = mta_xcalloc(cap, sizeof *keys);
    void **vals = mta_xcalloc(cap, sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return -1;
    }
    for (size_t j = 0; j < m->cap; j++) {
        if (!m->vals[j])
            continue;
        size_t i = (size_t)mix64(m->keys[j]) & (cap - 1);
        while (vals[i])
            i = (i + 1) & (cap - 1);
        keys[i] = m->keys[j];
        vals[i] = m->vals[j];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return 0;
}

/* Inserts or replaces; val must not be NULL.  0 on success. */
static int u64map_put(struct u64map *m, uint64_t key, void *val)
{
    if ((m->n + 1) * 2 > m->cap && u64map_grow(m) != 0)
        return -1;
    size_t mask = m->cap - 1, i = (size_t)mix64(key) & mask;
    while (m->vals[i] && m->keys[i] != key)
        i = (i + 1) & mask;
    if (!m->vals[i])
        m->n++;
    m->keys[i] = key;
    m->vals[i] = val;
    return 0;
}

static void u64map_clear(struct u64map *m)
{
    if (m->cap)
        memset(m->vals, 0, m->cap * sizeof *m->vals);
    m->n = 0;
}

static void u64map_free(struct u64map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ------------------------------------------------------------------ */
/* string interning                                                    */

struct strset {
    const char **slots;
    size_t cap, n;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

static int strset_grow(struct strset *t)
{
    size_t cap = t->cap ? t->cap * 2 : 256;
    const char **slots = mta_xcalloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t j = 0; j < t->cap; j++) {
        if (!t->slots[j])
            continue;
        size_t i = (size_t)hash_str(t->slots[j]) & (cap - 1);
        while (slots[i])
            i = (i + 1) & (cap - 1);
        slots[i] = t->slots[j];
    }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return 0;
}

/* ------------------------------------------------------------------ */
/* the symbolizer                                                      */

enum { FILE_UNTRIED = 0, FILE_OPEN = 1, FILE_FAILED = 2 };

/* One code symbol of a file: dwfl_module_addrname scans the whole symbol
 * table on every call, so each file gets a sorted index instead.  Names
 * point into the file's string table (valid while its Dwfl is open). */
struct fsym {
    uint64_t value, size;
    const char *name;
    uint32_t shndx;
    uint32_t rank; /* preference among aliases at one address */
    uint32_t idx;  /* position in the symbol table */
};

struct cu_range {
    uint64_t lo, hi, maxhi; /* maxhi: greatest hi of this and earlier ranges */
    Dwarf_Die *cu;          /* owned by the Dwfl */
    Dwarf_Addr bias;
};

struct sym_file {
    const char *path;   /* interned; as recorded */
    int state;
    int quiet;          /* not an absolute path: failures are not reported */
    const char *why;    /* FILE_FAILED: reason (interned or static) */
    int missing;        /* FILE_FAILED because the file does not exist */
    Dwfl *dwfl;
    Dwfl_Module *mod;
    struct fsym *syms;  /* symbol index, built on first use; NULL if none */
    size_t nsyms;
    int syms_built;
    struct cu_range *cus; /* CU index, built if .debug_aranges falls short */
    size_t ncus;
    int cus_built;
    uint8_t build_id[SYM_BUILD_ID_MAX];
    int build_id_len;   /* on disk; -1 until the file was opened once */
    uint64_t last_use;
    int warned_failure;
    uint8_t warned_id[SYM_BUILD_ID_MAX]; /* last recorded id warned about */
    unsigned warned_id_len;
    int warned_id_set;
    struct sym_file *next;
};

struct sym_mod {
    uint64_t start, end, bias;
    uint8_t build_id[SYM_BUILD_ID_MAX];
    unsigned build_id_len;
    const char *path;       /* interned; NULL if the trace gave none */
    struct sym_file *file;  /* NULL: nothing to read (empty path) */
    int checked;            /* build-id compared */
};

struct cache_ent {
    unsigned n;
    struct mta_frame f[];
};

struct mta_symbolizer {
    struct arena arena;
    struct strset strings;
    struct u64map mod_by_start;
    struct u64map file_by_path; /* key: interned path pointer */
    struct sym_mod **mods;      /* sorted by start unless `dirty` */
    uint64_t *maxend;           /* maxend[i] = max end of mods[0..i] */
    size_t nmods, capmods;
    int dirty;
    struct u64map cache[2];     /* [is_return_address] */
    struct sym_file *files;
    unsigned open_files, max_open;
    uint64_t tick;
    char *warn;
    size_t warn_len, warn_cap;
    unsigned warn_lines, warn_dropped;
    char *warn_out;             /* warn + the "more" line */
    int short_templates;        /* Registry<...>::make<...> */
};

static const Dwfl_Callbacks sym_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = NULL, /* default ":.debug:/usr/lib/debug" */
};

static const char *intern(struct mta_symbolizer *s, const char *str)
{
    if (!str)
        return NULL;
    struct strset *t = &s->strings;
    if ((t->n + 1) * 2 > t->cap && strset_grow(t) != 0)
        return NULL;
    size_t mask = t->cap - 1, i = (size_t)hash_str(str) & mask;
    for (; t->slots[i]; i = (i + 1) & mask)
        if (strcmp(t->slots[i], str) == 0)
            return t->slots[i];
    size_t len = strlen(str);
    char *copy = arena_alloc(&s->arena, len + 1);
    if (!copy)
        return NULL;
    memcpy(copy, str, len + 1);
    t->slots[i] = copy;
    t->n++;
    return copy;
}

/* ---- warnings ---- */

static void warn_append(struct mta_symbolizer *s, const char *text, size_t len)
{
    if (s->warn_len + len + 1 > s->warn_cap) {
        size_t cap = s->warn_cap ? s->warn_cap : 1024;
        while (cap < s->warn_len + len + 1)
            cap *= 2;
        char *w = mta_xrealloc(s->warn, cap);
        if (!w)
            return;
        s->warn = w;
        s->warn_cap = cap;
    }
    memcpy(s->warn + s->warn_len, text, len);
    s->warn_len += len;
    s->warn[s->warn_len] = '\0';
}

/* Appends the path with control bytes escaped, so one warning stays one
 * line whatever a hostile trace put in it. */
static void warn_path(struct mta_symbolizer *s, const char *path)
{
    char buf[4 * 256 + 8];
    size_t o = 0, shown = 0;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (shown++ == 1024) {
            warn_append(s, buf, o);
            warn_append(s, "...", 3);
            return;
        }
        if (*p < 0x20 || *p == 0x7f)
            o += (size_t)snprintf(buf + o, sizeof buf - o, "\\x%02x", *p);
        else
            buf[o++] = (char)*p;
        if (o > sizeof buf - 8) {
            warn_append(s, buf, o);
            o = 0;
        }
    }
    warn_append(s, buf, o);
}

__attribute__((format(printf, 3, 4)))
static void warn(struct mta_symbolizer *s, const char *path, const char *fmt, ...)
{
    if (s->warn_lines >= SYM_MAX_WARNINGS) {
        s->warn_dropped++;
        return;
    }
    s->warn_lines++;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof msg)
        n = sizeof msg - 1;
    warn_path(s, path);
    warn_append(s, msg, (size_t)n);
    warn_append(s, "\n", 1);
}

static void hex(char *out, const uint8_t *id, unsigned len)
{
    static const char digits[] = "0123456789abcdef";
    if (!len) {
        strcpy(out, "none");
        return;
    }
    for (unsigned i = 0; i < len; i++) {
        out[2 * i] = digits[id[i] >> 4];
        out[2 * i + 1] = digits[id[i] & 15];
    }
    out[2 * len] = '\0';
}

/* ---- life cycle ---- */

struct mta_symbolizer *mta_sym_new(void)
{
    struct mta_symbolizer *s = mta_xcalloc(1, sizeof *s);
    if (!s)
        return NULL;
    /* Each open file may hold up to three descriptors (the ELF file, a
     * separate debug file, a dwz alternate file); leave room for the rest of
     * the analyzer. */
    unsigned max_open = 256;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        rlim_t avail = rl.rlim_cur > 64 ? (rl.rlim_cur - 64) / 3 : 1;
        if (avail < max_open)
            max_open = (unsigned)avail;
    }
    s->max_open = max_open ? max_open : 1;
    return s;
}

static void file_close(struct mta_symbolizer *s, struct sym_file *f)
{
    if (f->state == FILE_OPEN) {
        dwfl_end(f->dwfl);
        f->dwfl = NULL;
        f->mod = NULL;
        free(f->syms);
        f->syms = NULL;
        f->nsyms = 0;
        f->syms_built = 0;
        free(f->cus);
        f->cus = NULL;
        f->ncus = 0;
        f->cus_built = 0;
        f->state = FILE_UNTRIED;
        s->open_files--;
    }
}

void mta_sym_free(struct mta_symbolizer *s)
{
    if (!s)
        return;
    for (struct sym_file *f = s->files; f;) {
        struct sym_file *n = f->next;
        file_close(s, f);
        free(f);
        f = n;
    }
    for (size_t i = 0; i < s->nmods; i++)
        free(s->mods[i]);
    free(s->mods);
    free(s->maxend);
    u64map_free(&s->mod_by_start);
    u64map_free(&s->file_by_path);
    u64map_free(&s->cache[0]);
    u64map_free(&s->cache[1]);
    free(s->strings.slots);
    arena_free(&s->arena);
    free(s->warn);
    free(s->warn_out);
    free(s);
}

/* ---- modules ---- */

static struct sym_file *file_for(struct mta_symbolizer *s, const char *path)
{
    struct sym_file *f = u64map_get(&s->file_by_path, (uint64_t)(uintptr_t)path);
    if (f)
        return f;
    f = mta_xcalloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->path = path;
    f->quiet = path[0] != '/';
    f->build_id_len = -1;
    if (u64map_put(&s->file_by_path, (uint64_t)(uintptr_t)path, f) != 0) {
        free(f);
        return NULL;
    }
    f->next = s->files;
    s->files = f;
    return f;
}

void mta_sym_add_module(struct mta_symbolizer *s, const struct mta_module *m)
{
    if (!s || !m || m->end <= m->start)
        return; /* nothing can lie in an empty or inverted range */
    if (u64map_get(&s->mod_by_start, m->start))
        return; /* keep the first record per start address */
    struct sym_mod *r = mta_xcalloc(1, sizeof *r);
    if (!r)
        return;
    r->start = m->start;
    r->end = m->end;
    r->bias = m->bias;
    r->build_id_len = m->build_id_len < SYM_BUILD_ID_MAX ? m->build_id_len : SYM_BUILD_ID_MAX;
    memcpy(r->build_id, m->build_id, r->build_id_len);
    if (m->path && m->path[0]) {
        r->path = intern(s, m->path);
        if (!r->path) {
            free(r);
            return;
        }
        r->file = file_for(s, r->path);
    }
    if (s->nmods == s->capmods) {
        size_t cap = s->capmods ? s->capmods * 2 : 64;
        struct sym_mod **mods = mta_xreallocarray(s->mods, cap, sizeof *mods);
        if (!mods) {
            free(r);
            return;
        }
        s->mods = mods;
        s->capmods = cap;
    }
    if (u64map_put(&s->mod_by_start, r->start, r) != 0) {
        free(r);
        return;
    }
    s->mods[s->nmods++] = r;
    s->dirty = 1;
}

static int mod_cmp(const void *a, const void *b)
{
    const struct sym_mod *x = *(struct sym_mod *const *)a;
    const struct sym_mod *y = *(struct sym_mod *const *)b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Sorts the module table and forgets cached results, which may have been
 * computed before a module covering them was known.  -1 if out of memory. */
static int rebuild(struct mta_symbolizer *s)
{
    uint64_t *maxend = mta_xreallocarray(s->maxend, (s->nmods ? s->nmods : 1), sizeof *maxend);
    if (!maxend)
        return -1;
    s->maxend = maxend;
    qsort(s->mods, s->nmods, sizeof *s->mods, mod_cmp);
    uint64_t hi = 0;
    for (size_t i = 0; i < s->nmods; i++) {
        if (s->mods[i]->end > hi)
            hi = s->mods[i]->end;
        maxend[i] = hi;
    }
    u64map_clear(&s->cache[0]);
    u64map_clear(&s->cache[1]);
    s->dirty = 0;
    return 0;
}

/* The module with the greatest start whose range holds pc. */
static struct sym_mod *find_module(struct mta_symbolizer *s, uint64_t pc)
{
    size_t lo = 0, hi = s->nmods; /* first index with start > pc */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->mods[mid]->start <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i-- > 0;) {
        if (s->maxend[i] <= pc)
            break; /* no module at or before i reaches pc */
        if (pc < s->mods[i]->end)
            return s->mods[i];
    }
    return NULL;
}

/* ---- files ---- */

/* Closes the least recently used open file; 0 if none was open. */
static int evict_one(struct mta_symbolizer *s)
{
    struct sym_file *lru = NULL;
    for (struct sym_file *f = s->files; f; f = f->next)
        if (f->state == FILE_OPEN && (!lru || f->last_use < lru->last_use))
            lru = f;
    if (!lru)
        return 0;
    file_close(s, lru);
    return 1;
}

static int open_regular(const char *path, int *err)
{
    /* O_NONBLOCK: a FIFO or device named by a hostile trace must not block
     * us; anything but a regular file is refused below. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        *err = errno;
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 64) {
        /* 64: the size of an ELF header; /proc files report 0 */
        close(fd);
        *err = EINVAL;
        return -1;
    }
    return fd;
}

/* Makes f usable; 1 if its Dwfl is open. */
static int file_open(struct mta_symbolizer *s, struct sym_file *f)
{
    if (f->state == FILE_OPEN) {
        f->last_use = ++s->tick;
        return 1;
    }
    if (f->state == FILE_FAILED)
        return 0;
    while (s->open_files >= s->max_open && evict_one(s))
        ;

    const char *path = f->path;
    int err = 0;
    int fd = open_regular(path, &err);
    while (fd < 0 && (err == EMFILE || err == ENFILE) && evict_one(s))
        fd = open_regular(path, &err); /* the rest of the analyzer took descriptors */
    char stripped[4096];
    static const char deleted[] = " (deleted)";
    size_t plen = strlen(path), dlen = sizeof deleted - 1;
    if (fd < 0 && err == ENOENT && plen > dlen && plen - dlen < sizeof stripped &&
        strcmp(path + plen - dlen, deleted) == 0) {
        /* readlink(/proc/self/exe) of a since-replaced binary; the build-id
         * check says whether the file now there is the same. */
        memcpy(stripped, path, plen - dlen);
        stripped[plen - dlen] = '\0';
        path = stripped;
        fd = open_regular(path, &err);
    }
    if (fd < 0) {
        f->state = FILE_FAILED;
        f->missing = err == ENOENT || err == ENOTDIR;
        f->why = err == EINVAL ? "not a regular ELF file" : intern(s, strerror(err));
        return 0;
    }

    Dwfl *d = dwfl_begin(&sym_callbacks);
    if (!d) {
        close(fd);
        f->state = FILE_FAILED;
        f->why = intern(s, dwfl_errmsg(-1));
        return 0;
    }
    dwfl_report_begin(d);
    /* Base 0 with add_p_vaddr: the module's addresses are the file's own
     * virtual addresses (for ET_EXEC libdwfl ignores the base anyway); the
     * caller subtracts the recorded load bias. On success the Dwfl owns fd. */
    Dwfl_Module *mod = dwfl_report_elf(d, path, path, fd, 0, true);
    if (!mod) {
        f->why = intern(s, dwfl_errmsg(-1));
        close(fd);
        dwfl_end(d);
        f->state = FILE_FAILED;
        return 0;
    }
    if (dwfl_report_end(d, NULL, NULL) != 0) {
        f->why = intern(s, dwfl_errmsg(-1));
        dwfl_end(d);
        f->state = FILE_FAILED;
        return 0;
    }
    f->dwfl = d;
    f->mod = mod;
    f->state = FILE_OPEN;
    f->last_use = ++s->tick;
    s->open_files++;
    if (f->build_id_len < 0) {
        Dwarf_Addr ebias;
        const unsigned char *bits = NULL;
        GElf_Addr vaddr = 0;
        (void)dwfl_module_getelf(mod, &ebias);
        int n = dwfl_module_build_id(mod, &bits, &vaddr);
        if (n < 0 || !bits)
            n = 0;
        if (n > SYM_BUILD_ID_MAX)
            n = SYM_BUILD_ID_MAX;
        if (n > 0)
            memcpy(f->build_id, bits, (size_t)n);
        f->build_id_len = n;
    }
    return 1;
}

/* Opens the module's file; reports problems once per file (and per recorded
 * build-id).  Returns the Dwfl_Module, or NULL. */
static Dwfl_Module *module_dwfl(struct mta_symbolizer *s, struct sym_mod *m)
{
    struct sym_file *f = m->file;
    if (!f)
        return NULL;
    if (!file_open(s, f)) {
        if (!f->quiet && !f->warned_failure) {
            f->warned_failure = 1;
            if (f->missing)
                warn(s, f->path, ": not found; its frames are shown as addresses");
            else
                warn(s, f->path, ": cannot be read (%s); its frames are shown as addresses",
                     f->why ? f->why : "unknown error");
        }
        return NULL;
    }
    if (!m->checked) {
        m->checked = 1;
        unsigned disk_len = (unsigned)f->build_id_len;
        if (m->build_id_len &&
            (disk_len != m->build_id_len || memcmp(f->build_id, m->build_id, disk_len) != 0) &&
            !(f->warned_id_set && f->warned_id_len == m->build_id_len &&
              memcmp(f->warned_id, m->build_id, m->build_id_len) == 0)) {
            char disk[2 * SYM_BUILD_ID_MAX + 1], rec[2 * SYM_BUILD_ID_MAX + 1];
            hex(disk, f->build_id, disk_len);
            hex(rec, m->build_id, m->build_id_len);
            warn(s, m->path,
                 ": build-id on disk (%s) does not match the trace (%s); file:line may be wrong",
                 disk, rec);
            f->warned_id_set = 1;
            f->warned_id_len = m->build_id_len;
            memcpy(f->warned_id, m->build_id, m->build_id_len);
        }
    }
    return f->mod;
}

/* ---- symbol table ---- */

/* By address; among aliases at one address the preferred one sorts last:
 * a better binding (global, weak, local: as libdwfl prefers), then a name
 * that is not a non-default version ("f@VER" loses to "f@@VER" and "f"),
 * then the first in the table (as libdwfl picks). */
static int fsym_cmp(const void *a, const void *b)
{
    const struct fsym *x = a, *y = b;
    if (x->value != y->value)
        return x->value < y->value ? -1 : 1;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return x->idx > y->idx ? -1 : x->idx < y->idx;
}

static void build_syms(struct sym_file *f)
{
    f->syms_built = 1;
    int n = dwfl_module_getsymtab(f->mod);
    if (n <= 1)
        return;
    struct fsym *v = mta_xmalloc((size_t)n * sizeof *v);
    if (!v)
        return;
    size_t k = 0;
    for (int i = 1; i < n; i++) {
        GElf_Sym sym;
        GElf_Addr addr;
        GElf_Word shndx;
        const char *name = dwfl_module_getsym_info(f->mod, i, &sym, &addr, &shndx, NULL, NULL);
        if (!name || !name[0] || sym.st_shndx == SHN_UNDEF || addr == 0)
            continue;
        int type = GELF_ST_TYPE(sym.st_info);
        if (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_NOTYPE)
            continue;
        int bind = GELF_ST_BIND(sym.st_info);
        const char *at = strchr(name, '@');
        v[k].value = addr;
        v[k].size = sym.st_size;
        v[k].name = name;
        v[k].shndx = shndx;
        v[k].rank = (bind == STB_GLOBAL ? 3u : bind == STB_WEAK ? 2u : bind == STB_LOCAL ? 1u : 0u) * 2 +
                    (!at || at[1] == '@');
        v[k].idx = (uint32_t)i;
        k++;
    }
    qsort(v, k, sizeof *v, fsym_cmp);
    f->syms = v;
    f->nsyms = k;
}

/* The symbol holding file address pc: the closest sized symbol containing
 * it, else the closest preceding sizeless symbol of the same section. */
static const char *sym_name(struct sym_file *f, uint64_t pc)
{
    if (!f->syms_built)
        build_syms(f);
    size_t lo = 0, hi = f->nsyms; /* first index with value > pc */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->syms[mid].value <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    for (size_t i = lo, seen = 0; i-- > 0 && seen < 64; seen++) {
        const struct fsym *y = &f->syms[i];
        if (y->size && pc - y->value < y->size)
            return y->name;
    }
    const struct fsym *near = &f->syms[lo - 1];
    if (near->size)
        return NULL;
    GElf_Addr a = pc;
    Dwarf_Addr bias;
    Elf_Scn *scn = dwfl_module_address_section(f->mod, &a, &bias);
    return scn && elf_ndxscn(scn) == near->shndx ? near->name : NULL;
}

/* ---- DWARF ---- */

/* A function's name: the mangled linkage name for C++ (DW_AT_name would be
 * the bare unqualified name; display_name demangles it), else DW_AT_name.  A C
 * linkage name is only an assembler label (glibc's "__GI_qsort" for qsort),
 * so it is not preferred.  Both follow DW_AT_abstract_origin and
 * DW_AT_specification. */
static const char *die_name(Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    const char *link = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
    if (!link)
        link = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
    if (link && link[0] == '_' && link[1] == 'Z')
        return link;
    const char *name = dwarf_diename(die);
    return name ? name : link;
}

static int is_function_tag(int tag)
{
    return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
           tag == DW_TAG_entry_point;
}

/* A source file name made absolute with the compilation directory, as
 * addr2line shows it.  Returns name itself, or buf. */
static const char *abs_file(const char *name, const char *comp_dir, char *buf, size_t size)
{
    if (!name || name[0] == '/' || !comp_dir || !comp_dir[0])
        return name;
    size_t d = strlen(comp_dir);
    while (d > 1 && comp_dir[d - 1] == '/')
        d--;
    int n = snprintf(buf, size, "%.*s/%s", (int)d, comp_dir, name);
    return n > 0 && (size_t)n < size ? buf : name;
}

/* The call site an inlined subroutine DIE records (DW_AT_call_file/line). */
static void call_site(Dwarf_Die *die, const char **file, int *line, char *buf, size_t size)
{
    Dwarf_Attribute attr;
    Dwarf_Word val;
    *file = NULL;
    *line = 0;
    if (dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &attr), &val) == 0 && val <= INT32_MAX)
        *line = (int)val;
    if (dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &attr), &val) == 0) {
        Dwarf_Die cu;
        Dwarf_Files *files;
        size_t nfiles;
        if (dwarf_diecu(die, &cu, NULL, NULL) && dwarf_getsrcfiles(&cu, &files, &nfiles) == 0 &&
            val < nfiles) {
            const char *name = dwarf_filesrc(files, (size_t)val, NULL, NULL);
            Dwarf_Attribute cattr;
            const char *comp_dir = dwarf_formstring(dwarf_attr(&cu, DW_AT_comp_dir, &cattr));
            if (name && strcmp(name, "???") != 0)
                *file = abs_file(name, comp_dir, buf, size);
        }
    }
}

/* The line table's file (interned) and line for DWARF address dpc. */
static const char *line_of(struct mta_symbolizer *s, Dwarf_Die *cu, Dwarf_Addr dpc, int *lineno)
{
    char buf[4096];
    *lineno = 0;
    Dwarf_Line *line = dwarf_getsrc_die(cu, dpc);
    if (!line)
        return NULL;
    const char *file = dwarf_linesrc(line, NULL, NULL);
    if (!file)
        return NULL;
    int l = 0;
    if (dwarf_lineno(line, &l) == 0 && l > 0)
        *lineno = l;
    Dwarf_Attribute attr;
    const char *comp_dir = dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &attr));
    return intern(s, abs_file(file, comp_dir, buf, sizeof buf));
}

static int cu_range_cmp(const void *a, const void *b)
{
    const struct cu_range *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Every address range of every CU, for files without .debug_aranges. */
static void build_cus(struct sym_file *f)
{
    f->cus_built = 1;
    size_t cap = 0, n = 0;
    struct cu_range *v = NULL;
    Dwarf_Die *cu = NULL;
    Dwarf_Addr bias;
    while ((cu = dwfl_module_nextcu(f->mod, cu, &bias)) != NULL) {
        Dwarf_Addr base, lo, hi;
        for (ptrdiff_t off = 0; (off = dwarf_ranges(cu, off, &base, &lo, &hi)) > 0;) {
            if (hi <= lo)
                continue;
            if (n == cap) {
                if (cap >= SYM_MAX_CU_RANGES)
                    goto done;
                size_t ncap = cap ? cap * 2 : 256;
                struct cu_range *nv = mta_xreallocarray(v, ncap, sizeof *nv);
                if (!nv)
                    goto done;
                v = nv;
                cap = ncap;
            }
            v[n].lo = lo + bias;
            v[n].hi = hi + bias;
            v[n].cu = cu;
            v[n].bias = bias;
            n++;
        }
    }
done:
    if (n)
        qsort(v, n, sizeof *v, cu_range_cmp);
    uint64_t top = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i].hi > top)
            top = v[i].hi;
        v[i].maxhi = top;
    }
    f->cus = v;
    f->ncus = n;
}

/* The CU holding file address pc, and its DWARF bias.  libdw (0.188)
 * finds CUs by .debug_aranges only, which clang and rustc do not emit by
 * default; then every CU's ranges are indexed once. */
static Dwarf_Die *cu_of(struct sym_file *f, uint64_t pc, Dwarf_Addr *bias)
{
    Dwarf_Die *cu = dwfl_module_addrdie(f->mod, pc, bias);
    if (cu)
        return cu;
    if (!f->cus_built)
        build_cus(f);
    size_t lo = 0, hi = f->ncus; /* first range with lo > pc */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->cus[mid].lo <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i-- > 0;) {
        if (f->cus[i].maxhi <= pc)
            break;
        if (pc < f->cus[i].hi) {
            *bias = f->cus[i].bias;
            return f->cus[i].cu;
        }
    }
    return NULL;
}

/* Fills out[] (innermost first) for file address pc of mod.  Returns the
 * number of frames, 0 if DWARF has nothing to say. */
static unsigned dwarf_frames(struct mta_symbolizer *s, Dwarf_Die *cudie, Dwarf_Addr dpc,
                             struct mta_frame *out, unsigned max)
{
    char buf[4096];
    Dwarf_Die *scopes = NULL;
    int n = dwarf_getscopes(cudie, dpc, &scopes);
    if (n <= 0) {
        free(scopes);
        return 0;
    }
    /* dwarf_getscopes continues from an inlined subroutine into its abstract
     * origin's lexical parents; the physical nesting (which function it was
     * inlined into) comes from dwarf_getscopes_die on the innermost scope. */
    Dwarf_Die inner = scopes[0];
    free(scopes);
    scopes = NULL;
    n = dwarf_getscopes_die(&inner, &scopes);
    if (n <= 0) {
        free(scopes);
        return 0;
    }
    unsigned k = 0;
    for (int i = 0; i < n && k < max; i++) {
        int tag = dwarf_tag(&scopes[i]);
        if (!is_function_tag(tag))
            continue;
        struct mta_frame *f = &out[k];
        f->function = die_name(&scopes[i]);
        f->inlined = tag == DW_TAG_inlined_subroutine;
        if (k == 0)
            f->file = line_of(s, cudie, dpc, &f->line);
        k++;
        if (tag == DW_TAG_inlined_subroutine) {
            /* the call site is where the next outer frame stands */
            if (k < max) {
                call_site(&scopes[i], &out[k].file, &out[k].line, buf, sizeof buf);
                out[k].file = intern(s, out[k].file);
            }
        } else {
            break; /* the containing function */
        }
    }
    free(scopes);
    if (k > 0)
        out[k - 1].inlined = 0; /* whatever the last one is, nothing contains it */
    return k;
}

/* ---- names people read ---- */

/* The C++ runtime's demangler (libstdc++, <cxxabi.h>): a malloc'd string,
 * or NULL with *status != 0 when `mangled` is not a C++ mangled name. */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

/* Does out[0, o) end with the word "operator"? */
static int ends_with_operator(const char *out, size_t o)
{
    static const char kw[] = "operator";
    size_t k = sizeof kw - 1;
    if (o < k || memcmp(out + o - k, kw, k) != 0)
        return 0;
    return o == k || !(out[o - k - 1] == '_' || (out[o - k - 1] >= 'a' && out[o - k - 1] <= 'z') ||
                       (out[o - k - 1] >= 'A' && out[o - k - 1] <= 'Z') ||
                       (out[o - k - 1] >= '0' && out[o - k - 1] <= '9'));
}

size_t mta_short_templates(const char *in, char *out, size_t cap)
{
    size_t o = 0, need = 0;
#define PUT(c)                                                                                  \
    do {                                                                                        \
        if (o + 1 < cap)                                                                        \
            out[o++] = (c);                                                                     \
        need++;                                                                                 \
    } while (0)
    for (size_t i = 0; in[i];) {
        char c = in[i];
        if (c == '<' && ends_with_operator(out, o)) {
            /* operator<, operator<<, operator<=, operator<=>, operator<<= */
            while (in[i] == '<' || in[i] == '=' || (in[i] == '>' && in[i - 1] == '='))
                PUT(in[i++]);
            continue;
        }
        if (c != '<') {
            PUT(c);
            i++;
            continue;
        }
        /* template arguments: skip to the matching '>' (parentheses hold
         * expressions such as (1>2), which do not close the list) */
        int angle = 0, paren = 0;
        size_t j = i;
        for (; in[j]; j++) {
            if (in[j] == '(')
                paren++;
            else if (in[j] == ')' && paren)
                paren--;
            else if (!paren && in[j] == '<')
                angle++;
            else if (!paren && in[j] == '>' && --angle == 0)
                break;
        }
        if (!in[j]) { /* unbalanced: leave the rest as it is */
            for (; in[i]; i++)
                PUT(in[i]);
            break;
        }
        PUT('<');
        PUT('.');
        PUT('.');
        PUT('.');
        PUT('>');
        i = j + 1;
    }
#undef PUT
    if (cap)
        out[o < cap ? o : cap - 1] = '\0';
    return need;
}

/* The name shown for a symbol: demangled if it is a C++ name, template
 * arguments shortened on request; interned. */
static const char *display_name(struct mta_symbolizer *s, const char *name)
{
    if (!name)
        return NULL;
    char *dem = NULL;
    if (name[0] == '_' && name[1] == 'Z') {
        int status = -1;
        dem = __cxa_demangle(name, NULL, NULL, &status);
        if (status != 0) {
            free(dem);
            dem = NULL;
        }
    }
    const char *full = dem ? dem : name;
    const char *r;
    if (s->short_templates && strchr(full, '<')) {
        size_t len = strlen(full) + 1;
        char *shortened = malloc(len);
        if (shortened) {
            mta_short_templates(full, shortened, len);
            r = intern(s, shortened);
            free(shortened);
        } else {
            r = intern(s, full);
        }
    } else {
        r = intern(s, full);
    }
    free(dem);
    return r;
}

void mta_sym_short_templates(struct mta_symbolizer *s, int on)
{
    if (s)
        s->short_templates = on;
}

/* ---- resolve ---- */

static unsigned compute(struct mta_symbolizer *s, uint64_t address, int is_ret,
                        struct mta_frame *fr)
{
    memset(fr, 0, sizeof *fr);
    fr->address = address;
    fr->offset = address;
    uint64_t pc = is_ret && address ? address - 1 : address;
    struct sym_mod *m = find_module(s, pc);
    if (!m)
        return 1;
    fr->module = m->path;
    fr->offset = address - m->bias;
    Dwfl_Module *mod = module_dwfl(s, m);
    if (!mod)
        return 1;
    uint64_t fpc = pc - m->bias; /* the file's own virtual address */

    struct mta_frame tmp[SYM_MAX_FRAMES];
    memset(tmp, 0, sizeof tmp);
    Dwarf_Addr dbias = 0;
    Dwarf_Die *cu = cu_of(m->file, fpc, &dbias);
    unsigned n = cu ? dwarf_frames(s, cu, fpc - dbias, tmp, SYM_MAX_FRAMES) : 0;
    if (n == 0) {
        /* no function DIE here: the symbol table, and the line table if any */
        tmp[0].file = cu ? line_of(s, cu, fpc - dbias, &tmp[0].line) : NULL;
        n = 1;
    }
    char unversioned[1024];
    if (!tmp[n - 1].function) {
        /* "f@@VER" from the symbol table is shown as "f" */
        const char *name = sym_name(m->file, fpc);
        const char *at = name ? strchr(name, '@') : NULL;
        if (at && at > name && (size_t)(at - name) < sizeof unversioned) {
            memcpy(unversioned, name, (size_t)(at - name));
            unversioned[at - name] = '\0';
            name = unversioned;
        }
        tmp[n - 1].function = name;
    }
    for (unsigned i = 0; i < n; i++) {
        fr[i].address = address;
        fr[i].module = m->path;
        fr[i].offset = address - m->bias;
        fr[i].inlined = tmp[i].inlined;
        fr[i].function = display_name(s, tmp[i].function);
        fr[i].file = tmp[i].file; /* interned already */
        fr[i].line = tmp[i].line;
    }
    return n;
}

unsigned mta_sym_resolve(struct mta_symbolizer *s, uint64_t address, int is_return_address,
                         struct mta_frame *out, unsigned max)
{
    if (!out || max == 0)
        return 0;
    int r = is_return_address ? 1 : 0;
    struct mta_frame one, frames[SYM_MAX_FRAMES];
    const struct mta_frame *src = frames;
    unsigned n;
    struct cache_ent *e = NULL;
    if (!s || (s->dirty && rebuild(s) != 0)) {
        memset(&one, 0, sizeof one);
        one.address = one.offset = address;
        src = &one;
        n = 1;
    } else if ((e = u64map_get(&s->cache[r], address)) != NULL) {
        src = e->f;
        n = e->n;
    } else {
        n = compute(s, address, r, frames);
        e = arena_alloc(&s->arena, sizeof *e + n * sizeof e->f[0]);
        if (e) {
            e->n = n;
            memcpy(e->f, frames, n * sizeof e->f[0]);
            (void)u64map_put(&s->cache[r], address, e);
        }
    }
    if (n <= max) {
        memcpy(out, src, n * sizeof *out);
        return n;
    }
    /* keep the innermost frames and the containing function */
    memcpy(out, src, (max - 1) * sizeof *out);
    out[max - 1] = src[n - 1];
    return max;
}

const char *mta_sym_warnings(struct mta_symbolizer *s)
{
    if (!s || (!s->warn_len && !s->warn_dropped))
        return NULL;
    if (!s->warn_dropped)
        return s->warn;
    char more[96];
    int m = snprintf(more, sizeof more, "... and %u more symbolisation warnings\n", s->warn_dropped);
    size_t len = s->warn_len + (size_t)(m > 0 ? m : 0) + 1;
    char *o = mta_xrealloc(s->warn_out, len);
    if (!o)
        return s->warn;
    s->warn_out = o;
    memcpy(o, s->warn ? s->warn : "", s->warn_len);
    memcpy(o + s->warn_len, more, len - s->warn_len - 1);
    o[len - 1] = '\0';
    return o;
}
