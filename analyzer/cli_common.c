/* Command-line helpers shared by mtrace-report and mtrace-run. */
#include "cli_common.h"

#include <ctype.h>
#include <stdint.h>
#include <strings.h>

int mta_parse_size(const char *s, long long *out)
{
    if (!s || !isdigit((unsigned char)*s))
        return -1;
    uint64_t whole = 0, frac = 0, frac_div = 1;
    const char *p = s;
    for (; isdigit((unsigned char)*p); p++) {
        if (whole > (UINT64_MAX - 9) / 10)
            return -1;
        whole = whole * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return -1;
        for (; isdigit((unsigned char)*p); p++)
            if (frac_div < 1000000) {
                frac = frac * 10 + (uint64_t)(*p - '0');
                frac_div *= 10;
            }
    }
    unsigned shift = 0;
    switch (toupper((unsigned char)*p)) {
    case '\0': break;
    case 'K': shift = 10; break;
    case 'M': shift = 20; break;
    case 'G': shift = 30; break;
    case 'T': shift = 40; break;
    case 'B': break;
    default: return -1;
    }
    if (*p && toupper((unsigned char)*p) != 'B') {
        p++;
        if (!strcasecmp(p, "iB") || !strcasecmp(p, "B"))
            p += toupper((unsigned char)*p) == 'B' ? 1 : 2;
    } else if (*p) {
        p++;
    }
    if (*p)
        return -1;
    if (shift == 0 && frac)
        return -1; /* a fraction of a byte */
    if (whole > (UINT64_MAX >> 1 >> shift))
        return -1;
    uint64_t v = (whole << shift) + ((frac << shift) / frac_div);
    if (v > (uint64_t)INT64_MAX)
        return -1;
    *out = (long long)v;
    return 0;
}

const char *mta_mode_option(enum mta_report_mode mode)
{
    switch (mode) {
    case MTA_MODE_JSON: return "--json";
    case MTA_MODE_SOURCES: return "--sources";
    case MTA_MODE_MAPS: return "--maps";
    case MTA_MODE_EXPORT: return "--export-json";
    default: return "the text report";
    }
}
