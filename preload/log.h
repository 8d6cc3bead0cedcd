/* A tiny printf-like writer that never allocates: messages go straight to
 * stderr with write(2), so it is safe inside hooks, before main and in
 * signal handlers.  Supports %s %d %u %ld %lu %lld %llu %zu %x %lx %llx %p %c %%. */
#ifndef MT_LOG_H
#define MT_LOG_H

#include <stdarg.h>
#include <stddef.h>

size_t mt_vformat(char *buf, size_t cap, const char *fmt, va_list ap);
size_t mt_format(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "mtrace: <message>\n" on stderr unless MTRACE_QUIET is set. */
void mt_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
