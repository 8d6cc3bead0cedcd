#include "log.h"

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "options.h"

static size_t put_char(char *buf, size_t cap, size_t n, char c)
{
    if (n + 1 < cap)
        buf[n] = c;
    return n + 1;
}

static size_t put_unsigned(char *buf, size_t cap, size_t n, unsigned long long v,
                           unsigned base)
{
    char tmp[24];
    int len = 0;
    do {
        unsigned d = (unsigned)(v % base);
        tmp[len++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v);
    while (len)
        n = put_char(buf, cap, n, tmp[--len]);
    return n;
}

size_t mt_vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
    size_t n = 0;
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            n = put_char(buf, cap, n, *f);
            continue;
        }
        f++;
        int longs = 0, size_t_arg = 0;
        while (*f == 'l') {
            longs++;
            f++;
        }
        if (*f == 'z') {
            size_t_arg = 1;
            f++;
        }
        switch (*f) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            for (s = s ? s : "(null)"; *s; s++)
                n = put_char(buf, cap, n, *s);
            break;
        }
        case 'c':
            n = put_char(buf, cap, n, (char)va_arg(ap, int));
            break;
        case 'd': {
            long long v = longs >= 2 ? va_arg(ap, long long)
                          : longs == 1 ? va_arg(ap, long) : va_arg(ap, int);
            if (v < 0) {
                n = put_char(buf, cap, n, '-');
                n = put_unsigned(buf, cap, n, 0ull - (unsigned long long)v, 10);
            } else {
                n = put_unsigned(buf, cap, n, (unsigned long long)v, 10);
            }
            break;
        }
        case 'u':
        case 'x': {
            unsigned long long v = size_t_arg ? va_arg(ap, size_t)
                                   : longs >= 2 ? va_arg(ap, unsigned long long)
                                   : longs == 1 ? va_arg(ap, unsigned long)
                                                : va_arg(ap, unsigned);
            n = put_unsigned(buf, cap, n, v, *f == 'x' ? 16 : 10);
            break;
        }
        case 'p':
            n = put_char(buf, cap, n, '0');
            n = put_char(buf, cap, n, 'x');
            n = put_unsigned(buf, cap, n, (uintptr_t)va_arg(ap, void *), 16);
            break;
        case '%':
            n = put_char(buf, cap, n, '%');
            break;
        default:
            return n; /* unknown conversion: stop rather than misread args */
        }
    }
    if (cap)
        buf[n < cap ? n : cap - 1] = '\0';
    return n;
}

size_t mt_format(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = mt_vformat(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}

void mt_warn(const char *fmt, ...)
{
    if (mt_opt.quiet)
        return;
    int saved = errno;
    char buf[512];
    size_t n = mt_format(buf, sizeof buf, "mtrace[%d]: ", (int)getpid());
    va_list ap;
    va_start(ap, fmt);
    if (n < sizeof buf)
        n += mt_vformat(buf + n, sizeof buf - n, fmt, ap);
    va_end(ap);
    if (n > sizeof buf - 2)
        n = sizeof buf - 2;
    buf[n++] = '\n';
    ssize_t r = write(2, buf, n);
    (void)r;
    errno = saved;
}
