/* Unit tests for analyzer/symbolize.c: the test resolves addresses inside
 * itself, from a module record made the way the preload shim makes one
 * (dl_iterate_phdr: PT_LOAD range, dlpi_addr as the bias, the GNU build-id
 * note, /proc/self/exe for the main program). */
#include <criterion/criterion.h>

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbolize.h"

/* ------------------------------------------------------------------ */
/* functions to look up                                                */

/* Lines of the calls below, stored by the statements on the same line. */
static volatile int sym_leaf_call_line, sym_outer_call_line, sym_known_line;
void *volatile sym_sink;

__attribute__((noinline)) int sym_known_function(int x)
{
    sym_known_line = __LINE__;
    return x * 3 + 1;
}

__attribute__((noinline)) void *sym_capture_ra(void)
{
    return __builtin_return_address(0);
}

static inline __attribute__((always_inline)) void *sym_inlined_leaf(void)
{
    void *p = sym_capture_ra(); sym_leaf_call_line = __LINE__;
    sym_sink = p; /* no tail call: the return address stays in here */
    return p;
}

__attribute__((noinline)) void *sym_inline_outer(void)
{
    void *p = sym_inlined_leaf(); sym_outer_call_line = __LINE__;
    sym_sink = p;
    return p;
}

/* ------------------------------------------------------------------ */
/* helper: the module record holding an address of this process        */

struct find_ctx {
    uintptr_t addr;
    struct mta_module *m;
    char path[PATH_MAX];
    int found;
};

static unsigned note_build_id(const struct dl_phdr_info *info, uint8_t *out)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        size_t align = ph->p_align == 8 ? 8 : 4;
        const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
        const uint8_t *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            const uint8_t *name = p + sizeof *nh;
            const uint8_t *desc = name + ((nh->n_namesz + align - 1) & ~(align - 1));
            if (desc + nh->n_descsz > end)
                break;
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
                memcmp(name, "GNU", 4) == 0 && nh->n_descsz <= 64) {
                memcpy(out, desc, nh->n_descsz);
                return nh->n_descsz;
            }
            p = desc + ((nh->n_descsz + align - 1) & ~(align - 1));
        }
    }
    return 0;
}

static int find_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct find_ctx *c = data;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    int inside = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t s = info->dlpi_addr + ph->p_vaddr;
        if (s < lo)
            lo = s;
        if (s + ph->p_memsz > hi)
            hi = s + ph->p_memsz;
        if (c->addr >= s && c->addr < s + ph->p_memsz)
            inside = 1;
    }
    if (!inside)
        return 0;
    c->m->start = lo;
    c->m->end = hi;
    c->m->bias = info->dlpi_addr;
    c->m->build_id_len = note_build_id(info, c->m->build_id);
    if (info->dlpi_name && info->dlpi_name[0]) {
        snprintf(c->path, sizeof c->path, "%s", info->dlpi_name);
    } else {
        ssize_t n = readlink("/proc/self/exe", c->path, sizeof c->path - 1);
        c->path[n > 0 ? n : 0] = '\0';
    }
    c->m->path = strdup(c->path);
    c->found = 1;
    return 1;
}

/* Fills m for the module that holds addr; the caller frees m->path. */
static void module_of(const void *addr, struct mta_module *m)
{
    struct find_ctx c = {.addr = (uintptr_t)addr, .m = m};
    memset(m, 0, sizeof *m);
    dl_iterate_phdr(find_cb, &c);
    cr_assert(c.found, "no module holds %p", addr);
    cr_assert_not_null(m->path);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* ------------------------------------------------------------------ */

Test(symbolize, noinline_function_in_the_executable)
{
    (void)sym_known_function(1);
    struct mta_module m;
    module_of((const void *)(uintptr_t)&sym_known_function, &m);
    struct mta_symbolizer *s = mta_sym_new();
    cr_assert_not_null(s);
    mta_sym_add_module(s, &m);

    uint64_t a = (uint64_t)(uintptr_t)&sym_known_function + 1;
    struct mta_frame f[8];
    unsigned n = mta_sym_resolve(s, a, 0, f, 8);
    cr_assert_eq(n, 1);
    cr_assert_eq(f[0].address, a);
    cr_assert_str_eq(f[0].function, "sym_known_function");
    cr_assert_not_null(f[0].file);
    cr_assert(ends_with(f[0].file, "test_symbolize.c"), "file %s", f[0].file);
    cr_assert_gt(f[0].line, 0);
    /* the entry is on a line of the function (which one depends on -O and
     * instrumentation) */
    cr_assert(f[0].line >= sym_known_line - 2 && f[0].line <= sym_known_line + 2,
              "line %d vs %d", f[0].line, sym_known_line);
    cr_assert_eq(f[0].inlined, 0);
    cr_assert_str_eq(f[0].module, m.path);
    cr_assert_eq(f[0].offset, a - m.bias);

    /* as a return address, a - 1 is looked up: the same function */
    struct mta_frame g[8];
    n = mta_sym_resolve(s, a, 1, g, 8);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(g[0].function, "sym_known_function");

    /* cached: the very same strings come back */
    struct mta_frame h[8];
    n = mta_sym_resolve(s, a, 0, h, 8);
    cr_assert_eq(n, 1);
    cr_assert_eq(h[0].function, f[0].function);
    cr_assert_eq(h[0].file, f[0].file);
    cr_assert_null(mta_sym_warnings(s));
    mta_sym_free(s);
    free(m.path);
}

Test(symbolize, inlined_frames)
{
    void *ra = sym_inline_outer();
    struct mta_module m;
    module_of(ra, &m);
    struct mta_symbolizer *s = mta_sym_new();
    mta_sym_add_module(s, &m);

    struct mta_frame f[16];
    unsigned n = mta_sym_resolve(s, (uint64_t)(uintptr_t)ra, 1, f, 16);
    cr_assert_eq(n, 2, "frames: %u", n);
    cr_assert_str_eq(f[0].function, "sym_inlined_leaf");
    cr_assert_eq(f[0].inlined, 1);
    cr_assert_not_null(f[0].file);
    cr_assert(ends_with(f[0].file, "test_symbolize.c"), "file %s", f[0].file);
    cr_assert_eq(f[0].line, sym_leaf_call_line);

    cr_assert_str_eq(f[1].function, "sym_inline_outer");
    cr_assert_eq(f[1].inlined, 0);
    cr_assert_not_null(f[1].file);
    cr_assert(ends_with(f[1].file, "test_symbolize.c"), "file %s", f[1].file);
    cr_assert_eq(f[1].line, sym_outer_call_line);
    cr_assert_eq(f[0].address, f[1].address);
    cr_assert_str_eq(f[1].module, m.path);

    /* room for one frame: the containing function is kept */
    struct mta_frame one;
    n = mta_sym_resolve(s, (uint64_t)(uintptr_t)ra, 1, &one, 1);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(one.function, "sym_inline_outer");
    cr_assert_eq(one.inlined, 0);
    cr_assert_eq(mta_sym_resolve(s, (uint64_t)(uintptr_t)ra, 1, f, 0), 0);
    mta_sym_free(s);
    free(m.path);
}

Test(symbolize, unknown_address)
{
    struct mta_symbolizer *s = mta_sym_new();
    struct mta_frame f[4];
    memset(f, 0xa5, sizeof f);
    unsigned n = mta_sym_resolve(s, 0x10, 1, f, 4);
    cr_assert_eq(n, 1);
    cr_assert_eq(f[0].address, 0x10);
    cr_assert_null(f[0].function);
    cr_assert_null(f[0].file);
    cr_assert_null(f[0].module);
    cr_assert_eq(f[0].line, 0);
    cr_assert_eq(f[0].inlined, 0);

    /* outside every recorded module */
    struct mta_module m;
    module_of((const void *)(uintptr_t)&sym_known_function, &m);
    mta_sym_add_module(s, &m);
    n = mta_sym_resolve(s, m.end + 0x100000, 0, f, 4);
    cr_assert_eq(n, 1);
    cr_assert_null(f[0].function);
    cr_assert_null(f[0].module);
    n = mta_sym_resolve(s, 0, 1, f, 4);
    cr_assert_eq(n, 1);
    cr_assert_null(f[0].module);
    n = mta_sym_resolve(s, UINT64_MAX, 1, f, 4);
    cr_assert_eq(n, 1);
    cr_assert_null(f[0].module);
    cr_assert_null(mta_sym_warnings(s));
    mta_sym_free(s);
    free(m.path);

    /* a NULL symbolizer still answers */
    n = mta_sym_resolve(NULL, 0x1234, 0, f, 4);
    cr_assert_eq(n, 1);
    cr_assert_null(f[0].function);
    cr_assert_null(mta_sym_warnings(NULL));
    mta_sym_add_module(NULL, &m);
    mta_sym_free(NULL);
}

Test(symbolize, build_id_mismatch_warns_but_symbolizes)
{
    struct mta_module m;
    module_of((const void *)(uintptr_t)&sym_known_function, &m);
    cr_assert_gt(m.build_id_len, 0, "the test executable has no build-id note");
    char real[129], wrong[129];
    for (unsigned i = 0; i < m.build_id_len; i++)
        sprintf(real + 2 * i, "%02x", m.build_id[i]);
    for (unsigned i = 0; i < m.build_id_len; i++)
        m.build_id[i] ^= 0xff;
    for (unsigned i = 0; i < m.build_id_len; i++)
        sprintf(wrong + 2 * i, "%02x", m.build_id[i]);

    struct mta_symbolizer *s = mta_sym_new();
    mta_sym_add_module(s, &m);
    struct mta_frame f[4];
    unsigned n = mta_sym_resolve(s, (uint64_t)(uintptr_t)&sym_known_function, 0, f, 4);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(f[0].function, "sym_known_function");
    cr_assert_not_null(f[0].file);
    cr_assert(ends_with(f[0].file, "test_symbolize.c"));

    char expect[8192];
    snprintf(expect, sizeof expect,
             "%s: build-id on disk (%s) does not match the trace (%s); file:line may be wrong\n",
             m.path, real, wrong);
    const char *w = mta_sym_warnings(s);
    cr_assert_not_null(w);
    cr_assert_str_eq(w, expect);
    /* said once */
    (void)mta_sym_resolve(s, (uint64_t)(uintptr_t)&sym_known_function + 4, 0, f, 4);
    cr_assert_str_eq(mta_sym_warnings(s), expect);
    mta_sym_free(s);
    free(m.path);
}

Test(symbolize, missing_file_and_pseudo_modules)
{
    struct mta_symbolizer *s = mta_sym_new();
    struct mta_module gone = {.start = 0x10000, .end = 0x20000, .bias = 0x10000,
                              .path = "/nonexistent/dir/libgone.so.1"};
    struct mta_module vdso = {.start = 0x30000, .end = 0x32000, .bias = 0x30000,
                              .path = "linux-vdso.so.1"};
    struct mta_module anon = {.start = 0x40000, .end = 0x41000, .bias = 0x40000, .path = ""};
    struct mta_module nul = {.start = 0x50000, .end = 0x51000, .bias = 0x50000, .path = NULL};
    mta_sym_add_module(s, &gone);
    mta_sym_add_module(s, &vdso);
    mta_sym_add_module(s, &anon);
    mta_sym_add_module(s, &nul);

    struct mta_frame f[4];
    unsigned n = mta_sym_resolve(s, 0x10123, 1, f, 4);
    cr_assert_eq(n, 1);
    cr_assert_null(f[0].function);
    cr_assert_null(f[0].file);
    cr_assert_str_eq(f[0].module, gone.path);
    cr_assert_eq(f[0].offset, 0x123);
    (void)mta_sym_resolve(s, 0x10456, 1, f, 4);

    n = mta_sym_resolve(s, 0x30010, 1, f, 4);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(f[0].module, "linux-vdso.so.1");
    cr_assert_eq(f[0].offset, 0x10);
    cr_assert_null(f[0].function);
    n = mta_sym_resolve(s, 0x40010, 1, f, 4);
    cr_assert_null(f[0].module);
    n = mta_sym_resolve(s, 0x50010, 1, f, 4);
    cr_assert_null(f[0].module);

    cr_assert_str_eq(mta_sym_warnings(s),
                     "/nonexistent/dir/libgone.so.1: not found; its frames are shown as "
                     "addresses\n");
    mta_sym_free(s);
}

Test(symbolize, shared_library_function)
{
    /* libc's own qsort (not a sanitizer's interceptor of the same name) */
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    cr_assert_not_null(libc);
    void *fn = dlsym(libc, "qsort");
    cr_assert_not_null(fn);
    Dl_info di;
    cr_assert(dladdr(fn, &di) != 0);
    struct mta_module m;
    module_of(fn, &m);
    cr_assert_neq(m.bias, 0, "a shared library has a load bias");
    cr_assert_str_eq(m.path, di.dli_fname);

    struct mta_symbolizer *s = mta_sym_new();
    mta_sym_add_module(s, &m);
    struct mta_frame f[8];
    unsigned n = mta_sym_resolve(s, (uint64_t)(uintptr_t)fn, 0, f, 8);
    cr_assert_geq(n, 1);
    cr_assert_str_eq(f[n - 1].module, m.path);
    cr_assert_eq(f[n - 1].offset, (uint64_t)(uintptr_t)fn - m.bias);
    cr_assert_not_null(f[n - 1].function);
    cr_assert_str_eq(f[n - 1].function, "qsort");
    cr_assert_null(mta_sym_warnings(s));
    mta_sym_free(s);
    free(m.path);
    dlclose(libc);
}

Test(symbolize, overlapping_and_duplicate_modules)
{
    struct mta_symbolizer *s = mta_sym_new();
    struct mta_module big = {.start = 0x1000, .end = 0x9000, .path = "big"};
    struct mta_module small = {.start = 0x2000, .end = 0x3000, .path = "small"};
    struct mta_module dup = {.start = 0x2000, .end = 0x8000, .path = "dup"};
    struct mta_module empty = {.start = 0x5000, .end = 0x5000, .path = "empty"};
    struct mta_module inverted = {.start = 0x6000, .end = 0x5000, .path = "inverted"};
    mta_sym_add_module(s, &big);
    mta_sym_add_module(s, &small);
    mta_sym_add_module(s, &dup); /* same start: the first record stays */
    mta_sym_add_module(s, &empty);
    mta_sym_add_module(s, &inverted);
    struct mta_frame f[2];
    mta_sym_resolve(s, 0x2500, 0, f, 2);
    cr_assert_str_eq(f[0].module, "small");
    mta_sym_resolve(s, 0x5000, 0, f, 2);
    cr_assert_str_eq(f[0].module, "big");
    mta_sym_resolve(s, 0x3000, 0, f, 2);
    cr_assert_str_eq(f[0].module, "big");
    mta_sym_resolve(s, 0x9000, 0, f, 2);
    cr_assert_null(f[0].module);
    mta_sym_resolve(s, 0x9000, 1, f, 2); /* looks up 0x8fff */
    cr_assert_str_eq(f[0].module, "big");

    /* a module added later replaces cached "unknown" answers */
    mta_sym_resolve(s, 0xa000, 0, f, 2);
    cr_assert_null(f[0].module);
    struct mta_module late = {.start = 0xa000, .end = 0xb000, .path = "late"};
    mta_sym_add_module(s, &late);
    mta_sym_resolve(s, 0xa000, 0, f, 2);
    cr_assert_str_eq(f[0].module, "late");
    cr_assert_null(mta_sym_warnings(s));
    mta_sym_free(s);
}

Test(symbolize, hostile_modules, .timeout = 60)
{
    char dir[] = "/tmp/mtrace-sym-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char fifo[64], junk[64];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    snprintf(junk, sizeof junk, "%s/junk.so", dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    FILE *j = fopen(junk, "w");
    cr_assert_not_null(j);
    fputs("\177ELF but not really", j);
    fclose(j);

    char longpath[6000];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = '\0';
    const char *paths[] = {fifo, junk, "/", "/dev/zero", "/dev/tty", "/proc/self/mem",
                           "/etc/passwd", "/new\nline\x1b[31m.so", longpath, "relative/x.so",
                           "[vdso]", "/nonexistent (deleted)"};
    const unsigned npaths = sizeof paths / sizeof paths[0];

    struct mta_symbolizer *s = mta_sym_new();
    /* 10000 modules, overlapping, some zero-length, some at the top of the
     * address space, with hostile paths and bogus build-ids */
    for (unsigned i = 0; i < 10000; i++) {
        struct mta_module m = {0};
        m.start = (uint64_t)i * 0x1000;
        m.end = m.start + (i % 7 == 0 ? 0 : (uint64_t)(i % 13) * 0x3000);
        if (i % 101 == 0) {
            m.start = UINT64_MAX - i;
            m.end = UINT64_MAX;
        }
        m.bias = (i % 3) ? m.start : UINT64_MAX - i;
        m.build_id_len = i % 5 == 0 ? 200 : 20;
        memset(m.build_id, (int)i, sizeof m.build_id);
        m.path = (char *)paths[i % npaths];
        mta_sym_add_module(s, &m);
    }
    struct mta_frame f[8];
    for (uint64_t a = 0; a < 10000ull * 0x1000; a += 0x777) {
        unsigned n = mta_sym_resolve(s, a, (int)(a & 1), f, 8);
        cr_assert(n >= 1 && n <= 8);
        cr_assert_null(f[0].function);
    }
    for (uint64_t a = UINT64_MAX - 20000; a != 0; a++) {
        unsigned n = mta_sym_resolve(s, a, 1, f, 8);
        cr_assert(n >= 1 && n <= 8);
    }
    const char *w = mta_sym_warnings(s);
    cr_assert_not_null(w);
    /* one warning per line: hostile bytes are escaped */
    cr_assert_null(strchr(w, '\x1b'));
    cr_assert_not_null(strstr(w, "/new\\x0aline\\x1b[31m.so: not found"));
    cr_assert_not_null(strstr(w, ": cannot be read ("));
    cr_assert_null(strstr(w, "relative/x.so"));
    cr_assert_null(strstr(w, "[vdso]"));
    mta_sym_free(s);
    unlink(fifo);
    unlink(junk);
    rmdir(dir);
}

Test(symbolize, strings_outlive_closed_files)
{
    /* few descriptors: the symbolizer may keep only one or two files open */
    struct rlimit rl;
    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    rl.rlim_cur = 70;
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);

    char dir[] = "/tmp/mtrace-sym-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    struct mta_module m;
    module_of((const void *)(uintptr_t)&sym_known_function, &m);
    struct mta_symbolizer *s = mta_sym_new();

    /* the test executable under four names, at four made-up addresses */
    enum { COPIES = 4 };
    char links[COPIES][128];
    uint64_t span = (m.end - m.start + 0xfffff) & ~(uint64_t)0xfffff;
    for (unsigned i = 0; i < COPIES; i++) {
        snprintf(links[i], sizeof links[i], "%s/exe%u", dir, i);
        cr_assert_eq(symlink(m.path, links[i]), 0);
        struct mta_module c = m;
        uint64_t shift = (uint64_t)(i + 1) * span;
        c.start += shift;
        c.end += shift;
        c.bias += shift;
        c.path = links[i];
        mta_sym_add_module(s, &c);
    }
    const char *first[COPIES][2];
    for (unsigned round = 0; round < 3; round++) {
        for (unsigned i = 0; i < COPIES; i++) {
            uint64_t a = (uint64_t)(uintptr_t)&sym_known_function + (uint64_t)(i + 1) * span +
                         round;
            struct mta_frame f[4];
            unsigned n = mta_sym_resolve(s, a, 0, f, 4);
            cr_assert_eq(n, 1);
            cr_assert_str_eq(f[0].function, "sym_known_function");
            cr_assert_str_eq(f[0].module, links[i]);
            if (round == 0) {
                first[i][0] = f[0].function;
                first[i][1] = f[0].file;
            }
        }
    }
    /* results from files closed since are still readable */
    for (unsigned i = 0; i < COPIES; i++) {
        cr_assert_str_eq(first[i][0], "sym_known_function");
        cr_assert_not_null(first[i][1]);
        cr_assert(ends_with(first[i][1], "test_symbolize.c"));
    }
    cr_assert_null(mta_sym_warnings(s));
    mta_sym_free(s);
    for (unsigned i = 0; i < COPIES; i++)
        unlink(links[i]);
    rmdir(dir);
    free(m.path);
}

Test(symbolize, without_debug_aranges)
{
    /* clang and rustc do not emit .debug_aranges by default; libdw 0.188
     * finds no CU without them.  A copy of this executable without them
     * must symbolize the same. */
    struct mta_module m;
    module_of((const void *)(uintptr_t)&sym_known_function, &m);
    char dir[] = "/tmp/mtrace-sym-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char copy[128], cmd[8192];
    snprintf(copy, sizeof copy, "%s/noaranges", dir);
    snprintf(cmd, sizeof cmd, "objcopy --remove-section=.debug_aranges '%s' '%s' 2>/dev/null",
             m.path, copy);
    if (system(cmd) != 0) {
        rmdir(dir);
        free(m.path);
        cr_skip_test("objcopy is not available");
    }
    free(m.path);
    m.path = copy;

    struct mta_symbolizer *s = mta_sym_new();
    mta_sym_add_module(s, &m);
    struct mta_frame f[8];
    unsigned n = mta_sym_resolve(s, (uint64_t)(uintptr_t)&sym_known_function + 1, 0, f, 8);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(f[0].function, "sym_known_function");
    cr_assert_not_null(f[0].file);
    cr_assert(ends_with(f[0].file, "test_symbolize.c"), "file %s", f[0].file);
    cr_assert_gt(f[0].line, 0);

    void *ra = sym_inline_outer();
    n = mta_sym_resolve(s, (uint64_t)(uintptr_t)ra, 1, f, 8);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(f[0].function, "sym_inlined_leaf");
    cr_assert_eq(f[0].line, sym_leaf_call_line);
    cr_assert_str_eq(f[1].function, "sym_inline_outer");
    cr_assert_eq(f[1].line, sym_outer_call_line);
    cr_assert_null(mta_sym_warnings(s));
    mta_sym_free(s);
    unlink(copy);
    rmdir(dir);
}

/* ---- names people read ---- */

static void check_short(const char *in, const char *want)
{
    char buf[256];
    size_t need = mta_short_templates(in, buf, sizeof buf);
    cr_assert_str_eq(buf, want, "%s", in);
    cr_assert_eq(need, strlen(want));
}

Test(short_templates, replaces_argument_lists)
{
    check_short("shapes::Widget* shapes::Registry<shapes::Widget>::make<int&>(int&)",
                "shapes::Widget* shapes::Registry<...>::make<...>(int&)");
    check_short("std::map<int, std::vector<int, std::allocator<int> > >::find(int const&)",
                "std::map<...>::find(int const&)");
    check_short("f<(1>2)>(int)", "f<...>(int)");
    check_short("plain_c_name", "plain_c_name");
}

Test(short_templates, keeps_operators)
{
    check_short("bool operator< <int>(A<int> const&, A<int> const&)",
                "bool operator< <...>(A<...> const&, A<...> const&)");
    check_short("std::ostream::operator<<(int)", "std::ostream::operator<<(int)");
    check_short("X<int>::operator<=>(X<int> const&)", "X<...>::operator<=>(X<...> const&)");
    check_short("X::operator->()", "X::operator->()");
    check_short("unbalanced<int", "unbalanced<int");
}

Test(short_templates, truncates_safely)
{
    char buf[8];
    size_t need = mta_short_templates("Registry<Widget>::make", buf, sizeof buf);
    cr_assert_eq(need, strlen("Registry<...>::make"));
    cr_assert_str_eq(buf, "Registr");
}
