/* UTF-8 checks for text the analyzer copies out of a trace (names, paths)
 * into formats that require valid text: XML, JSON, workflow commands. */
#ifndef MTA_UTF8_H
#define MTA_UTF8_H

#include <stddef.h>

/* Length (1-4) of the valid UTF-8 sequence at s, or 0 if s does not start
 * one (a stray continuation byte, a truncated or overlong sequence, a
 * surrogate, a value above U+10FFFF).  s is NUL-terminated. */
size_t mta_utf8_len(const char *s);
/* A copy of s (NULL: NULL) that is valid UTF-8 without control characters:
 * each invalid byte and each control character (C0, DEL, U+FFFE, U+FFFF)
 * becomes '?'.  Out of memory ends the program (xalloc.h). */
char *mta_utf8_clean(const char *s);

#endif
