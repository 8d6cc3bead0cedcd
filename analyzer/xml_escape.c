/* XML escaping (xml_escape.h). */
#include "utf8.h"
#include "xml_escape.h"

void mta_xml_escape(FILE *out, const char *s)
{
    while (s && *s) {
        size_t n = mta_utf8_len(s);
        unsigned char c = (unsigned char)*s;
        if (n == 0) {
            fputc('?', out);
            s++;
            continue;
        }
        if (n == 3 && c == 0xef && (unsigned char)s[1] == 0xbf &&
            ((unsigned char)s[2] == 0xbe || (unsigned char)s[2] == 0xbf)) {
            fputc('?', out); /* U+FFFE, U+FFFF */
            s += n;
            continue;
        }
        switch (c) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&apos;", out); break;
        case '\t': fputs("&#9;", out); break;
        case '\n': fputs("&#10;", out); break;
        case '\r': fputs("&#13;", out); break;
        default:
            if (c < 0x20 || c == 0x7f)
                fputc('?', out);
            else
                fwrite(s, 1, n, out);
        }
        s += n;
    }
}
