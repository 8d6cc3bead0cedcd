#ifndef MT_UNWIND_H
#define MT_UNWIND_H

#include <stdint.h>

#define MT_UNWIND_HIDDEN __attribute__((visibility("hidden")))

/* A frame: the code address (a return address), the stack pointer in that
 * frame once its callee returned (its return address sits at sp - 8), and
 * the frame's rbp. */
struct mt_frame {
    uintptr_t ip, sp, bp;
};

/* The program's frame that called into libmtrace (our frames skipped). */
void mt_unwind_start(struct mt_frame *f) MT_UNWIND_HIDDEN;
/* The stack from `start` outwards: return addresses and their stack
 * pointers, at most max; returns how many.  It ends at the program's
 * outermost frame: the first frame in libmtrace (the main wrapper handed to
 * __libc_start_main, or the exit() interposer) and everything outward of it
 * are left out.  *cut = 1 when the program's stack had more than max frames. */
unsigned mt_unwind_from(const struct mt_frame *start, uintptr_t *ips, uintptr_t *sps,
                        unsigned max, int *cut) MT_UNWIND_HIDDEN;
/* MTRACE_UNWIND=1: libunwind only, no stack pointers; the same ends. */
unsigned mt_unwind_dwarf(uintptr_t *frames, unsigned max, int *cut) MT_UNWIND_HIDDEN;
void mt_unwind_init(void) MT_UNWIND_HIDDEN;
/* Code was unmapped (dlclose): forget what we learnt about return addresses. */
void mt_unwind_forget_code(void) MT_UNWIND_HIDDEN;

#endif
