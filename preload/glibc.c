/* See glibc.h. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "glibc.h"
#include "shim.h"

int mt_malloc_is_glibc;
int mt_glibc_heap_max_known = 1;
void **mt_glibc_curbrk;

/* GLIBC_TUNABLES=...glibc.malloc.hugetlb=N...: N >= 2 makes HEAP_MAX four
 * huge pages instead of 64 MiB (any value but 0 or 1 is taken as that). */
static int hugetlb_heaps(void)
{
    extern char **environ;
    static const char key[] = "glibc.malloc.hugetlb=";
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, "GLIBC_TUNABLES=", 15))
            continue;
        const char *p = strstr(*e, key);
        if (!p)
            continue;
        p += sizeof key - 1; /* only 0 and 1 leave HEAP_MAX alone */
        if (!((*p == '0' || *p == '1') && (p[1] == ':' || !p[1])))
            return 1;
    }
    return 0;
}

void mt_glibc_init(void)
{
    /* Only read chunk headers if the malloc we wrap is glibc's own. */
    void *libc_malloc = dlsym(RTLD_NEXT, "__libc_malloc");
    mt_malloc_is_glibc = libc_malloc && libc_malloc == (void *)mt_real.malloc;
    mt_glibc_curbrk = dlsym(RTLD_NEXT, "__curbrk");
    mt_glibc_heap_max_known = !hugetlb_heaps();
}
