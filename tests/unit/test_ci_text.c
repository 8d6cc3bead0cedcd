/* The escaping under the CI formats: XML 1.0 text (the JUnit report) and
 * the UTF-8 cleaning of names and paths copied from a trace. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "utf8.h"
#include "xml_escape.h"

static char *escaped(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert(f);
    mta_xml_escape(f, s);
    fclose(f);
    return buf;
}

Test(xml_escape, markup)
{
    char *s = escaped("std::map<int, std::pair<a&b, \"c\">> 'q'");
    cr_assert_str_eq(s, "std::map&lt;int, std::pair&lt;a&amp;b, &quot;c&quot;&gt;&gt; &apos;q&apos;");
    free(s);
}

Test(xml_escape, control_characters)
{
    char *s = escaped("a\tb\nc\rd\x01" "e\x1b[0m\x7f");
    cr_assert_str_eq(s, "a&#9;b&#10;c&#13;d?e?[0m?");
    free(s);
}

Test(xml_escape, invalid_utf8_and_noncharacters)
{
    /* é kept; a lone continuation byte, a cut sequence, an overlong '/',
     * a surrogate and U+FFFF replaced */
    char *s = escaped("\xc3\xa9|\x80|\xe2\x82|\xc0\xaf|\xed\xa0\x80|\xef\xbf\xbf|\xf0\x9f\x98\x80");
    cr_assert_str_eq(s, "\xc3\xa9|?|??|??|???|?|\xf0\x9f\x98\x80");
    free(s);
}

Test(utf8, clean)
{
    char *s = mta_utf8_clean("ok\xc3\xa9\x01\xff<x>");
    cr_assert_str_eq(s, "ok\xc3\xa9?" "?<x>"); /* split: no trigraph */
    free(s);
    cr_assert_null(mta_utf8_clean(NULL));
    cr_assert_eq(mta_utf8_len("\xf4\x90\x80\x80"), 0); /* above U+10FFFF */
    cr_assert_eq(mta_utf8_len("\xf4\x8f\xbf\xbf"), 4);
}
