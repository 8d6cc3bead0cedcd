/* UTF-8 validation and cleaning (utf8.h). */
#include <string.h>

#include "utf8.h"
#include "xalloc.h"

size_t mta_utf8_len(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    if (s[0] < 0x80)
        return 1;
    size_t n;
    unsigned cp, min;
    if ((s[0] & 0xe0) == 0xc0) {
        n = 2, cp = s[0] & 0x1fu, min = 0x80;
    } else if ((s[0] & 0xf0) == 0xe0) {
        n = 3, cp = s[0] & 0x0fu, min = 0x800;
    } else if ((s[0] & 0xf8) == 0xf0) {
        n = 4, cp = s[0] & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
            return 0;
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* U+FFFE and U+FFFF: valid UTF-8, but not characters XML 1.0 allows. */
static int is_noncharacter(const char *s, size_t n)
{
    return n == 3 && (unsigned char)s[0] == 0xef && (unsigned char)s[1] == 0xbf &&
           ((unsigned char)s[2] == 0xbe || (unsigned char)s[2] == 0xbf);
}

char *mta_utf8_clean(const char *s)
{
    if (!s)
        return NULL;
    char *out = mta_xstrdup(s);
    for (char *p = out; *p; ) {
        size_t n = mta_utf8_len(p);
        if (n == 0 || (n == 1 && ((unsigned char)*p < 0x20 || *p == 0x7f)) ||
            is_noncharacter(p, n)) {
            *p++ = '?';
            continue;
        }
        p += n;
    }
    return out;
}
