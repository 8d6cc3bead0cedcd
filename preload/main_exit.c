/* The moment the program is done with its memory: main() returned, or the
 * program called exit().  The address space is snapshotted then (maps and
 * smaps at exit), before the exit handlers and the destructors of the
 * program and its libraries run, so that the --maps report shows what
 * `pmap -X` shows just before the process exits, not a state the loader's
 * tear-down has already touched.  A program that gets here another way
 * (exit from a thread through libc, a runtime without __libc_start_main)
 * is snapshotted by mt_finalize, in the last exit handler. */
#include <dlfcn.h>
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
static void record_lsan_suppressions(struct mt_thread *t)
{
    const char *(*fn)(void);
    *(void **)&fn = dlsym(RTLD_DEFAULT, "__lsan_default_suppressions");
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
