/* A shim loaded into a running program (mtrace-run --pid): the program's
 * calls to malloc & co. are already bound to libc's, and a library loaded
 * now comes after libc in the lookup order, so its definitions interpose
 * nothing.  Instead the calls are redirected: in every loaded object but
 * the loader and the shim, each GOT slot (R_X86_64_JUMP_SLOT, and
 * R_X86_64_GLOB_DAT for code built with -fno-plt) that holds libc's malloc,
 * free, calloc, realloc, reallocarray, posix_memalign, aligned_alloc,
 * memalign, valloc or pvalloc, or still the lazy-binding stub, gets ours.
 * Slots in the RELRO part (read-only after start-up) are made writable for
 * the store and read-only again.  Each store is one aligned word, so a
 * thread calling through the slot meanwhile gets libc's or ours, both
 * right.  Detach puts back every slot that still holds ours.
 *
 * The same idea as heaptrack's injection (and PLT hooking libraries in
 * general); the code is our own.  Not redirected: the mmap family (the
 * program's own mmap/brk calls are not recorded while attached), and
 * objects the program dlopen()s after the attach. */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

/* hooks_malloc.c: our definitions, by hidden aliases (the names themselves
 * would resolve to libc's from inside a late-loaded shim) */
void *mt_self_malloc(size_t);
void mt_self_free(void *);
void *mt_self_calloc(size_t, size_t);
void *mt_self_realloc(void *, size_t);
void *mt_self_reallocarray(void *, size_t, size_t);
int mt_self_posix_memalign(void **, size_t, size_t);
void *mt_self_aligned_alloc(size_t, size_t);
void *mt_self_memalign(size_t, size_t);
void *mt_self_valloc(size_t);
void *mt_self_pvalloc(size_t);

#define N_FUNCS 10
static const char *const names[N_FUNCS] = {
    "malloc", "free", "calloc", "realloc", "reallocarray", "posix_memalign",
    "aligned_alloc", "memalign", "valloc", "pvalloc"};

static void *ours(unsigned i)
{
    switch (i) {
    case 0: return (void *)mt_self_malloc;
    case 1: return (void *)mt_self_free;
    case 2: return (void *)mt_self_calloc;
    case 3: return (void *)mt_self_realloc;
    case 4: return (void *)mt_self_reallocarray;
    case 5: return (void *)mt_self_posix_memalign;
    case 6: return (void *)mt_self_aligned_alloc;
    case 7: return (void *)mt_self_memalign;
    case 8: return (void *)mt_self_valloc;
    default: return (void *)mt_self_pvalloc;
    }
}

#define MAX_SLOTS 1024
struct slot {
    void **where;
    void *old;
    uintptr_t relro_lo, relro_hi; /* the page range to unprotect, or 0 */
};
static struct slot slots[MAX_SLOTS];
static unsigned n_slots;
static void *libc_fn[N_FUNCS];

/* Is this the object that holds our own code? */
static int is_self(const struct dl_phdr_info *info)
{
    uintptr_t me = (uintptr_t)&mt_loaded_late;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && me >= info->dlpi_addr + ph->p_vaddr &&
            me < info->dlpi_addr + ph->p_vaddr + ph->p_memsz)
            return 1;
    }
    return 0;
}

struct order {
    int index, self, libc;
};

static int order_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct order *o = data;
    if (o->self < 0 && is_self(info))
        o->self = o->index;
    const char *n = info->dlpi_name;
    if (o->libc < 0 && n && strstr(n, "/libc.so"))
        o->libc = o->index;
    o->index++;
    return 0;
}

/* Loaded after libc (by dlopen): a preloaded shim comes before it. */
int mt_loaded_late(void)
{
    struct order o = {0, -1, -1};
    dl_iterate_phdr(order_cb, &o);
    return o.self >= 0 && o.libc >= 0 && o.libc < o.self;
}

static long set_prot(uintptr_t lo, uintptr_t hi, int prot)
{
    return mt_raw_syscall(SYS_mprotect, (long)lo, (long)(hi - lo), prot, 0, 0, 0);
}

static void store(const struct slot *s, void *value)
{
    if (s->relro_lo)
        set_prot(s->relro_lo, s->relro_hi, PROT_READ | PROT_WRITE);
    __atomic_store_n(s->where, value, __ATOMIC_RELEASE);
    if (s->relro_lo)
        set_prot(s->relro_lo, s->relro_hi, PROT_READ);
}

/* A dynamic entry's address: the loader relocated most of them in place. */
static uintptr_t dyn_addr(uintptr_t base, uintptr_t v)
{
    return v < base ? base + v : v;
}

static void patch_relocs(const struct dl_phdr_info *info, const ElfW(Rela) *rel, size_t bytes,
                         const ElfW(Sym) *symtab, const char *strtab, uintptr_t rlo,
                         uintptr_t rhi, uintptr_t code_lo, uintptr_t code_hi)
{
    for (size_t k = 0; k < bytes / sizeof *rel; k++) {
        unsigned type = (unsigned)ELF64_R_TYPE(rel[k].r_info);
        if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT)
            continue;
        const char *name = strtab + symtab[ELF64_R_SYM(rel[k].r_info)].st_name;
        unsigned f = 0;
        while (f < N_FUNCS && strcmp(names[f], name))
            f++;
        if (f == N_FUNCS || n_slots == MAX_SLOTS)
            continue;
        void **where = (void **)(info->dlpi_addr + rel[k].r_offset);
        uintptr_t cur = (uintptr_t)*where;
        /* libc's function, or the lazy stub in the object's own code */
        if ((void *)cur != libc_fn[f] && !(cur >= code_lo && cur < code_hi))
            continue;
        struct slot *s = &slots[n_slots];
        s->where = where;
        s->old = (void *)cur;
        s->relro_lo = s->relro_hi = 0;
        if ((uintptr_t)where >= rlo && (uintptr_t)where < rhi) {
            s->relro_lo = (uintptr_t)where & ~(uintptr_t)4095;
            s->relro_hi = s->relro_lo + 4096;
        }
        store(s, ours(f));
        n_slots++;
    }
}

static int patch_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    const char *n = info->dlpi_name ? info->dlpi_name : "";
    if (is_self(info) || strstr(n, "/ld-linux") || strstr(n, "linux-vdso"))
        return 0;
    const ElfW(Dyn) *dyn = NULL;
    uintptr_t rlo = 0, rhi = 0, code_lo = UINTPTR_MAX, code_hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_DYNAMIC)
            dyn = (const ElfW(Dyn) *)lo;
        else if (ph->p_type == PT_GNU_RELRO) {
            rlo = lo & ~(uintptr_t)4095;
            rhi = (lo + ph->p_memsz + 4095) & ~(uintptr_t)4095;
        } else if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            if (lo < code_lo)
                code_lo = lo;
            if (lo + ph->p_memsz > code_hi)
                code_hi = lo + ph->p_memsz;
        }
    }
    if (!dyn)
        return 0;
    uintptr_t base = info->dlpi_addr;
    const ElfW(Sym) *symtab = NULL;
    const char *strtab = NULL;
    const ElfW(Rela) *jmprel = NULL, *rela = NULL;
    size_t jmpsz = 0, relasz = 0;
    for (const ElfW(Dyn) *d = dyn; d->d_tag != DT_NULL; d++) {
        switch (d->d_tag) {
        case DT_SYMTAB: symtab = (const ElfW(Sym) *)dyn_addr(base, d->d_un.d_ptr); break;
        case DT_STRTAB: strtab = (const char *)dyn_addr(base, d->d_un.d_ptr); break;
        case DT_JMPREL: jmprel = (const ElfW(Rela) *)dyn_addr(base, d->d_un.d_ptr); break;
        case DT_PLTRELSZ: jmpsz = d->d_un.d_val; break;
        case DT_RELA: rela = (const ElfW(Rela) *)dyn_addr(base, d->d_un.d_ptr); break;
        case DT_RELASZ: relasz = d->d_un.d_val; break;
        default: break;
        }
    }
    if (!symtab || !strtab)
        return 0;
    if (jmprel)
        patch_relocs(info, jmprel, jmpsz, symtab, strtab, rlo, rhi, code_lo, code_hi);
    if (rela)
        patch_relocs(info, rela, relasz, symtab, strtab, rlo, rhi, code_lo, code_hi);
    return 0;
}

int mt_attach_redirect(void)
{
#if defined(__x86_64__)
    struct mt_internal in;
    mt_internal_begin(&in);
    void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    if (!h) {
        mt_internal_end(&in);
        return -1;
    }
    for (unsigned f = 0; f < N_FUNCS; f++)
        libc_fn[f] = dlsym(h, names[f]);
    dlclose(h);
    dl_iterate_phdr(patch_cb, NULL);
    mt_internal_end(&in);
    return n_slots ? 0 : -1;
#else
    return -1;
#endif
}

/* Async-signal-safe (detach from the control signal's handler). */
void mt_attach_restore(void)
{
    for (unsigned i = 0; i < n_slots; i++) {
        unsigned f = 0;
        while (f < N_FUNCS && *slots[i].where != ours(f))
            f++;
        if (f < N_FUNCS)
            store(&slots[i], slots[i].old);
    }
    n_slots = 0;
}
