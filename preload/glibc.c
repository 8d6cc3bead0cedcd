/* See glibc.h. */
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

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

/* ---- the loader's write lock ----
 * dl_iterate_phdr(), dlopen() and dlclose() hold ld.so's dl_load_write_lock
 * (a recursive pthread mutex inside _rtld_global).  glibc does not reset it
 * in a fork child: if another thread held it at fork, the child can never
 * walk the module list again, and neither can libunwind.  We find the
 * mutex's owner field once, by looking for the word of _rtld_global that
 * holds our thread id while dl_iterate_phdr runs our callback, and before
 * each walk ask whether the lock belongs to a thread that does not exist. */

struct calib {
    const int *global;
    const int *before;
    size_t words;
    int tid;
    const int *owner;
    int matches;
};

static int calib_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)info;
    (void)size;
    struct calib *c = data;
    for (size_t i = 2; i < c->words; i++) {
        if (c->global[i] == c->tid && c->before[i] != c->tid && c->global[i - 2] != 0) {
            c->owner = &c->global[i]; /* __owner, 8 bytes after __lock */
            c->matches++;
        }
    }
    return 1;
}

static const volatile int *loader_owner;
static int loader_orphaned;

void mt_glibc_find_loader_lock(void)
{
    void *g = dlsym(RTLD_DEFAULT, "_rtld_global");
    Dl_info info;
    const ElfW(Sym) *sym = NULL;
    if (!g || !dladdr1(g, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym ||
        sym->st_size < 64 || sym->st_size > (1u << 20))
        return;
    struct calib c = {g, NULL, sym->st_size / sizeof(int), (int)mt_gettid(), NULL, 0};
    int *copy = mt_os_alloc(sym->st_size);
    if (!copy)
        return;
    memcpy(copy, g, c.words * sizeof(int));
    c.before = copy;
    dl_iterate_phdr(calib_cb, &c);
    if (c.matches == 1)
        loader_owner = c.owner;
    mt_os_free(copy, sym->st_size);
}

/* May this thread walk the loader's module list (dl_iterate_phdr, libunwind)
 * without blocking forever? */
int mt_glibc_loader_walk_ok(void)
{
    if (loader_orphaned)
        return 0;
    if (!loader_owner)
        return 1;
    int owner = *loader_owner;
    if (owner == 0 || owner == (int)mt_gettid())
        return 1;
    char path[64];
    mt_format(path, sizeof path, "/proc/self/task/%d", owner);
    if (syscall(SYS_faccessat, AT_FDCWD, path, F_OK, 0) == 0)
        return 1; /* a live thread holds it: it will let go */
    loader_orphaned = 1; /* held by a thread that is gone: forever */
    return 0;
}
