/* See glibc.h. */
#include <dlfcn.h>

#include "glibc.h"
#include "shim.h"

int mt_malloc_is_glibc;
void **mt_glibc_curbrk;

void mt_glibc_init(void)
{
    /* Only read chunk headers if the malloc we wrap is glibc's own. */
    void *libc_malloc = dlsym(RTLD_NEXT, "__libc_malloc");
    mt_malloc_is_glibc = libc_malloc && libc_malloc == (void *)mt_real.malloc;
    mt_glibc_curbrk = dlsym(RTLD_NEXT, "__curbrk");
}
