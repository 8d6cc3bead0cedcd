/* The analyzer's allocators: every allocation in analyzer/ goes through
 * these (jansson's too, see mta_alloc_setup).  Out of memory is never a
 * shorter report: they print one line naming the input and what to do, and
 * end the process with MTA_EXIT_INTERNAL (5), without flushing a partial
 * report.  The only way to get NULL is to ask for it: none of these
 * returns without memory. */
#ifndef MTA_XALLOC_H
#define MTA_XALLOC_H

#include <stddef.h>

void *mta_xmalloc(size_t n);
void *mta_xcalloc(size_t n, size_t size);
void *mta_xrealloc(void *p, size_t n);
/* realloc of an array of n elements of `size` bytes, overflow checked */
void *mta_xreallocarray(void *p, size_t n, size_t size);
char *mta_xstrdup(const char *s);
/* a NUL-terminated copy of n bytes */
char *mta_xmemdup0(const void *s, size_t n);

/* Reports that memory ran out doing `what` and exits with status 5. */
_Noreturn void mta_out_of_memory(const char *what);
/* The input named in the out-of-memory message (not copied). */
void mta_alloc_set_input(const char *path);
/* Routes jansson's allocations through the checked allocators. */
void mta_alloc_setup(void);

#endif
