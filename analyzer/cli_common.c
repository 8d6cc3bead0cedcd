/* Command-line helpers shared by mtrace-report and mtrace-run. */
#include "cli_common.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "leak_reach.h"

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

int mta_parse_weight(const char *s, enum mta_cost *cost)
{
    static const struct { const char *name; enum mta_cost cost; } words[] = {
        {"bytes", MTA_COST_BYTES}, {"calls", MTA_COST_CALLS}, {"leaked", MTA_COST_LEAKED},
        {"peak", MTA_COST_PEAK}, {"temporary", MTA_COST_TEMPORARY},
    };
    for (size_t i = 0; s && i < sizeof words / sizeof words[0]; i++)
        if (!strcmp(s, words[i].name)) {
            *cost = words[i].cost;
            return 0;
        }
    return -1;
}

const char *mta_mode_option(enum mta_report_mode mode)
{
    switch (mode) {
    case MTA_MODE_JSON: return "--json";
    case MTA_MODE_SOURCES: return "--sources";
    case MTA_MODE_MAPS: return "--maps";
    case MTA_MODE_EXPORT: return "--export-json";
    case MTA_MODE_PEAK: return "--peak";
    case MTA_MODE_ALLOCATORS: return "--allocators";
    case MTA_MODE_TEMPORARY: return "--temporary";
    case MTA_MODE_USAGE: return "--usage";
    case MTA_MODE_FOLDED: return "--folded";
    case MTA_MODE_HTML: return "--html";
    default: return "the text report";
    }
}

int mta_parse_leak_kinds(const char *s, unsigned *kinds, const char **bad)
{
    static char word[64];
    static const struct { const char *name; unsigned bits; } names[] = {
        {"definite", 1u << MTA_LEAK_DEFINITE},
        {"indirect", 1u << MTA_LEAK_INDIRECT},
        {"possible", 1u << MTA_LEAK_POSSIBLE},
        {"reachable", 1u << MTA_LEAK_REACHABLE},
        {"all", (1u << MTA_LEAK_DEFINITE) | (1u << MTA_LEAK_INDIRECT) |
                (1u << MTA_LEAK_POSSIBLE) | (1u << MTA_LEAK_REACHABLE)},
    };
    unsigned out = 0;
    const char *p = s;
    for (;;) {
        size_t n = strcspn(p, ",");
        unsigned bits = 0;
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
            if (strlen(names[k].name) == n && !strncmp(p, names[k].name, n))
                bits = names[k].bits;
        if (!bits) {
            snprintf(word, sizeof word, "%.*s", (int)(n < 60 ? n : 60), p);
            *bad = n ? word : s;
            return -1;
        }
        out |= bits;
        if (!p[n])
            break;
        p += n + 1;
    }
    *kinds = out;
    return 0;
}
