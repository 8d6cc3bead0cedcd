#include "xalloc.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"

static const char *input_path;

void mta_alloc_set_input(const char *path)
{
    input_path = path;
}

_Noreturn void mta_out_of_memory(const char *what)
{
    /* no stdio: it may need memory itself */
    char msg[1024];
    int n = snprintf(msg, sizeof msg,
                     "mtrace-report: %s%sout of memory %s; no report was produced (any "
                     "output is incomplete): free memory or raise the limit (ulimit -v) "
                     "and run again\n",
                     input_path ? input_path : "", input_path ? ": " : "",
                     what ? what : "");
    if (n > 0) {
        size_t len = (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
        ssize_t w = write(2, msg, len);
        (void)w;
    }
    /* _exit: stdout's buffer holds part of a report; it must not be flushed */
    _exit(MTA_EXIT_INTERNAL);
}

void *mta_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        mta_out_of_memory("allocating");
    return p;
}

void *mta_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        mta_out_of_memory("allocating");
    return p;
}

void *mta_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        mta_out_of_memory("allocating");
    return q;
}

void *mta_xreallocarray(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        mta_out_of_memory("allocating (an array larger than the address space)");
    return mta_xrealloc(p, n * size);
}

char *mta_xstrdup(const char *s)
{
    return mta_xmemdup0(s, strlen(s));
}

char *mta_xmemdup0(const void *s, size_t n)
{
    if (n == SIZE_MAX)
        mta_out_of_memory("allocating");
    char *d = mta_xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static void *json_alloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        mta_out_of_memory("in jansson (reading or writing JSON)");
    return p;
}

void mta_alloc_setup(void)
{
    json_set_alloc_funcs(json_alloc, free);
}
