/* Unwinding the program's stack from inside a hook, with libunwind. */
#define UNW_LOCAL_ONLY
#include <dlfcn.h>
#include <libunwind.h>
#include <link.h>

#include "shim.h"
#include "unwind.h"

/* The address range of libmtrace.so's own code: frames there are ours. */
static uintptr_t self_lo, self_hi;

static int find_self(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    uintptr_t probe = (uintptr_t)data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (probe >= lo && probe < hi) {
            self_lo = lo;
            self_hi = hi;
            return 1;
        }
    }
    return 0;
}

void mt_unwind_init(void)
{
    mt_tls_internal++;
    dl_iterate_phdr(find_self, (void *)(uintptr_t)&mt_unwind_init);
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    mt_tls_internal--;
}

static inline int is_self(uintptr_t pc)
{
    return pc >= self_lo && pc < self_hi;
}

unsigned mt_unwind(uintptr_t *frames, unsigned max)
{
    void *buf[MT_MAX_DEPTH + 16];
    unsigned want = max + 16 < MT_MAX_DEPTH + 16 ? max + 16 : MT_MAX_DEPTH + 16;
    mt_tls_internal++;
    int n = unw_backtrace(buf, (int)want);
    mt_tls_internal--;
    int i = 0;
    while (i < n && is_self((uintptr_t)buf[i]))
        i++;
    unsigned out = 0;
    for (; i < n && out < max; i++)
        frames[out++] = (uintptr_t)buf[i];
    return out;
}
