/* Text in XML 1.0 (the JUnit report): markup characters as entities, and
 * only characters XML allows. */
#ifndef MTA_XML_ESCAPE_H
#define MTA_XML_ESCAPE_H

#include <stdio.h>

/* Writes s escaped for an attribute value or element content: & < > " '
 * as entities, tab, newline and carriage return as character references
 * (so an attribute keeps them), every other control character, U+FFFE,
 * U+FFFF and each byte that is not valid UTF-8 as '?' (XML 1.0 cannot
 * carry them, not even as references). */
void mta_xml_escape(FILE *out, const char *s);

#endif
