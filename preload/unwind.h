#ifndef MT_UNWIND_H
#define MT_UNWIND_H

#include <stdint.h>

/* Fills frames[] with the return addresses of the code that called into
 * libmtrace (our own frames are skipped); returns how many, at most max. */
unsigned mt_unwind(uintptr_t *frames, unsigned max) __attribute__((visibility("hidden")));
void mt_unwind_init(void) __attribute__((visibility("hidden")));

#endif
