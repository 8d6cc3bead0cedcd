/* The moment the program is done with its memory: main() returned, or the
 * program called exit().  The address space is snapshotted then (maps and
 * smaps at exit), before the exit handlers and the destructors of the
 * program and its libraries run, so that the --maps report shows what
 * `pmap -X` shows just before the process exits, not a state the loader's
 * tear-down has already touched.  A program that gets here another way
 * (exit from a thread through libc, a runtime without __libc_start_main)
 * is snapshotted by mt_finalize, in the last exit handler. */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

typedef int (*main_fn)(int, char **, char **);

static main_fn program_main;

/* The program's own LeakSanitizer suppressions: a program that defines
 * __lsan_default_suppressions() gets them honoured by mtrace-report too.
 * Only the program can produce the string, so it is called here (exit
 * handlers run program code anyway) and what it returns is recorded as
 * MT_INFO_SUPPRESSIONS; nothing is allocated (dlsym's own allocations pass
 * through untraced inside the internal section). */
#define MT_SUPPRESSIONS_MAX 65536

/* Symbols in an object's .dynsym: from DT_HASH's nchain, or by walking
 * DT_GNU_HASH's buckets and chains to the last symbol. */
static size_t dynsym_count(const ElfW(Word) *hash, const uint32_t *gnu)
{
    if (hash)
        return hash[1];
    if (!gnu)
        return 0;
    uint32_t nbuckets = gnu[0], symoffset = gnu[1], bloom = gnu[2];
    const uint32_t *buckets = gnu + 4 + bloom * (sizeof(ElfW(Addr)) / 4);
    const uint32_t *chain = buckets + nbuckets;
    uint32_t last = 0;
    for (uint32_t i = 0; i < nbuckets; i++)
        if (buckets[i] > last)
            last = buckets[i];
    if (last < symoffset)
        return symoffset;
    while (!(chain[last - symoffset] & 1))
        last++;
    return (size_t)last + 1;
}

/* dl_iterate_phdr callback: the defined function "__lsan_default_suppressions"
 * in this object's dynamic symbols, if any. */
static int find_lsan_suppressions(struct dl_phdr_info *info, size_t size, void *out)
{
    (void)size;
    const ElfW(Dyn) *dyn = NULL;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
            dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
    if (!dyn)
        return 0;
    const ElfW(Sym) *syms = NULL;
    const char *strs = NULL;
    const ElfW(Word) *hash = NULL;
    const uint32_t *gnu = NULL;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        /* the loader has relocated these to addresses (ld.so does for the
         * objects it loads; the vdso keeps offsets) */
        ElfW(Addr) a = dyn->d_un.d_ptr;
        if (a < info->dlpi_addr)
            a += info->dlpi_addr;
        if (dyn->d_tag == DT_SYMTAB) syms = (const ElfW(Sym) *)a;
        else if (dyn->d_tag == DT_STRTAB) strs = (const char *)a;
        else if (dyn->d_tag == DT_HASH) hash = (const ElfW(Word) *)a;
        else if (dyn->d_tag == DT_GNU_HASH) gnu = (const uint32_t *)a;
    }
    if (!syms || !strs)
        return 0;
    size_t n = dynsym_count(hash, gnu);
    for (size_t i = 1; i < n; i++) {
        if (syms[i].st_shndx == SHN_UNDEF || ELF64_ST_TYPE(syms[i].st_info) != STT_FUNC ||
            strcmp(strs + syms[i].st_name, "__lsan_default_suppressions"))
            continue;
        *(void **)out = (void *)(info->dlpi_addr + syms[i].st_value);
        return 1;
    }
    return 0;
}

/* The program's own LeakSanitizer suppressions: a program that defines
 * __lsan_default_suppressions() gets them honoured by mtrace-report too.
 * Only the program can produce the string, so it is called here (exit
 * handlers run program code anyway) and what it returns is recorded as
 * MT_INFO_SUPPRESSIONS.  The symbol is looked up in the loaded objects'
 * dynamic symbol tables directly: dlsym() of a name that is absent
 * allocates its error message through the program's malloc. */
static void record_lsan_suppressions(struct mt_thread *t)
{
    const char *(*fn)(void) = NULL;
    dl_iterate_phdr(find_lsan_suppressions, &fn);
    if (!fn)
        return;
    const char *s = fn();
    if (s)
        mt_record_info(t, MT_INFO_SUPPRESSIONS, s, strnlen(s, MT_SUPPRESSIONS_MAX));
}
static uint64_t snapshot_generation; /* the trace that has its exit snapshot */

void mt_exit_snapshot(void)
{
    if (mt_state != MT_ON || !mt_header)
        return;
    uint64_t gen = __atomic_load_n(&mt_generation, __ATOMIC_RELAXED);
    uint64_t seen = __atomic_load_n(&snapshot_generation, __ATOMIC_RELAXED);
    if (seen == gen || !__atomic_compare_exchange_n(&snapshot_generation, &seen, gen, 0,
                                                    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        return;
    struct mt_thread *t = mt_hook_enter();
    if (!t)
        return;
    struct mt_internal in;
    mt_internal_begin(&in);
    record_lsan_suppressions(t);
    mt_record_info_filled(t, MT_INFO_OWN_MEMORY, MT_OS_OWN_LIST_MAX, mt_os_own_list);
    mt_write_maps(t, MT_MAPS_EXIT);
    mt_write_maps(t, MT_MAPS_SMAPS_EXIT);
    mt_internal_end(&in);
    mt_hook_leave(t);
}

static int main_then_snapshot(int argc, char **argv, char **envp)
{
    int r = program_main(argc, argv, envp);
    mt_exit_snapshot();
    return r;
}

int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void),
                      void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
    if (!mt_real.libc_start_main)
        mt_init();
    program_main = main;
    return mt_real.libc_start_main(main_then_snapshot, argc, argv, init, fini, rtld_fini,
                                   stack_end);
}

void exit(int code)
{
    if (!mt_real.exit)
        mt_init();
    mt_exit_snapshot();
    mt_real.exit(code);
}
