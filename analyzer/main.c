/* mtrace-report: reads a trace (binary or trace.json) and prints reports. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "json_export.h"
#include "model.h"
#include "report.h"
#include "symbolize.h"

#ifndef MTRACE_VERSION
#define MTRACE_VERSION "0"
#endif

static void usage(FILE *out)
{
    fprintf(out,
        "usage: mtrace-report [options] TRACE\n"
        "\n"
        "TRACE is a file written by libmtrace.so (mtrace.PROGRAM.PID.trace) or its\n"
        "trace.json interchange form.\n"
        "\n"
        "reports (default: summary, where the memory came from, leaks):\n"
        "  --json            the whole report as JSON (docs/report-json.md)\n"
        "  --sources         brk heap / thread arena / mmap per request size, the mmap\n"
        "                    threshold over time, every program-break move\n"
        "  --maps            the address space at exit, pmap -X style, with the live\n"
        "                    heap blocks in each region and who owns them\n"
        "  --export-json     write the trace as trace.json to standard output\n"
        "options:\n"
        "  --top N           leak stacks to list (default 20, 0 = all)\n"
        "  --frames N        frames per stack (default 16, 0 = all)\n"
        "  --all-frames      also show frames below main()\n"
        "  --color WHEN      auto (default), always or never\n"
        "  --fail-on-leaks[=BYTES]\n"
        "                    exit with status 4 if more than BYTES (default 0) were lost\n"
        "                    (definitely + indirectly), 6 if blocks were unfreed but the\n"
        "                    leak check is inconclusive\n"
        "  --version, --help\n"
        "\n"
        "exit status: 0 report printed; 1 bad command line; 2 cannot read the input;\n"
        "3 the input is not a valid trace; 4 leaks above --fail-on-leaks; 5 internal error;\n"
        "6 --fail-on-leaks could not decide (no scan at exit, lost events)\n");
}

enum mode { MODE_TEXT, MODE_JSON, MODE_SOURCES, MODE_MAPS, MODE_EXPORT };

static int export_json(const char *path)
{
    struct mta_error err = {{0}, 0};
    struct mta_json_export *ex = mta_json_export_new(stdout);
    if (!ex) {
        fprintf(stderr, "mtrace-report: cannot create temporary files for --export-json\n");
        return MTA_EXIT_INTERNAL;
    }
    struct mta_sink sink;
    mta_json_export_sink(ex, &sink);
    if (mta_read_any(path, &sink, &err)) {
        mta_json_export_free(ex);
        fprintf(stderr, "mtrace-report: %s\n", err.msg);
        return err.code ? err.code : MTA_EXIT_CORRUPT;
    }
    int rc = mta_json_export_finish(ex, &err);
    if (rc)
        fprintf(stderr, "mtrace-report: %s\n", err.msg);
    return rc;
}

int main(int argc, char **argv)
{
    enum mode mode = MODE_TEXT;
    struct mta_report_opts opts = {0, 20, 16, 0};
    const char *color = "auto";
    long long fail_over = -1;
    enum { OPT_TOP = 256, OPT_FRAMES, OPT_ALL_FRAMES, OPT_COLOR, OPT_FAIL, OPT_VERSION,
           OPT_EXPORT, OPT_SOURCES, OPT_MAPS, OPT_JSON };
    static const struct option longopts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"sources", no_argument, NULL, OPT_SOURCES},
        {"maps", no_argument, NULL, OPT_MAPS},
        {"export-json", no_argument, NULL, OPT_EXPORT},
        {"top", required_argument, NULL, OPT_TOP},
        {"frames", required_argument, NULL, OPT_FRAMES},
        {"all-frames", no_argument, NULL, OPT_ALL_FRAMES},
        {"color", required_argument, NULL, OPT_COLOR},
        {"fail-on-leaks", optional_argument, NULL, OPT_FAIL},
        {"version", no_argument, NULL, OPT_VERSION},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case OPT_JSON: mode = MODE_JSON; break;
        case OPT_SOURCES: mode = MODE_SOURCES; break;
        case OPT_MAPS: mode = MODE_MAPS; break;
        case OPT_EXPORT: mode = MODE_EXPORT; break;
        case OPT_TOP:
        case OPT_FRAMES: {
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end || !*optarg || v > 1000000) {
                fprintf(stderr, "mtrace-report: --%s wants a number, not '%s'\n",
                        c == OPT_TOP ? "top" : "frames", optarg);
                return MTA_EXIT_USAGE;
            }
            if (c == OPT_TOP)
                opts.top = (unsigned)v;
            else
                opts.max_frames = (unsigned)v;
            break;
        }
        case OPT_ALL_FRAMES: opts.all_frames = 1; break;
        case OPT_COLOR:
            if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never")) {
                fprintf(stderr, "mtrace-report: --color wants auto, always or never\n");
                return MTA_EXIT_USAGE;
            }
            color = optarg;
            break;
        case OPT_FAIL:
            fail_over = 0;
            if (optarg) {
                fail_over = strtoll(optarg, &end, 10);
                if (*end || fail_over < 0) {
                    fprintf(stderr, "mtrace-report: --fail-on-leaks wants a byte count\n");
                    return MTA_EXIT_USAGE;
                }
            }
            break;
        case OPT_VERSION: printf("mtrace-report %s\n", MTRACE_VERSION); return MTA_EXIT_OK;
        case 'h': usage(stdout); return MTA_EXIT_OK;
        default: usage(stderr); return MTA_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "mtrace-report: give exactly one trace file (try --help)\n");
        return MTA_EXIT_USAGE;
    }
    const char *path = argv[optind];
    if (mode == MODE_EXPORT)
        return export_json(path);
    opts.color = !strcmp(color, "always") || (!strcmp(color, "auto") && isatty(1) &&
                                               !getenv("NO_COLOR"));

    struct mta_model model;
    struct mta_error err = {{0}, 0};
    if (mta_model_init(&model)) {
        fprintf(stderr, "mtrace-report: out of memory\n");
        return MTA_EXIT_INTERNAL;
    }
    if (mta_model_load(&model, path, &err)) {
        fprintf(stderr, "mtrace-report: %s\n", err.msg);
        mta_model_free(&model);
        return err.code ? err.code : MTA_EXIT_CORRUPT;
    }
    struct mta_symbolizer *sym = mta_sym_new();
    for (size_t i = 0; i < model.n_modules; i++)
        mta_sym_add_module(sym, &model.modules[i]);
    switch (mode) {
    case MODE_JSON: mta_report_json(stdout, &model, sym, &opts); break;
    case MODE_SOURCES: mta_report_sources_text(stdout, &model, sym, &opts); break;
    case MODE_MAPS: mta_report_maps_text(stdout, &model, sym, &opts); break;
    default: mta_report_text(stdout, &model, sym, &opts); break;
    }
    int rc = MTA_EXIT_OK;
    if (fail_over >= 0 && model.leak_inconclusive && model.leaked_bytes > (uint64_t)fail_over) {
        fprintf(stderr, "mtrace-report: %s: %llu bytes unfreed in %llu blocks, but whether "
                "they are lost is not known: %s\n", path,
                (unsigned long long)model.leaked_bytes, (unsigned long long)model.leaked_blocks,
                model.leak_inconclusive);
        rc = MTA_EXIT_INCONCLUSIVE;
    } else if (fail_over >= 0 && model.leaked_bytes > (uint64_t)fail_over) {
        fprintf(stderr, "mtrace-report: %s: %llu bytes lost in %llu blocks (definitely and "
                "indirectly; limit %lld)\n",
                path, (unsigned long long)model.leaked_bytes,
                (unsigned long long)model.leaked_blocks, fail_over);
        rc = MTA_EXIT_LEAKS;
    }
    if (fflush(stdout) != 0)
        rc = MTA_EXIT_IO;
    mta_sym_free(sym);
    mta_model_free(&model);
    return rc;
}
