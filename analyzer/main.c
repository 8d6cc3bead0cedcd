/* mtrace-report: reads a trace (binary or trace.json) and prints reports. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ci_render.h"
#include "ci_view.h"
#include "cli_common.h"
#include "cli_diff.h"
#include "cli_load.h"
#include "cli_run.h"
#include "errors.h"
#include "json_export.h"
#include "model.h"
#include "render_json.h"
#include "render_text.h"
#include "render_views.h"
#include "progress.h"
#include "pack.h"
#include "run_paths.h"
#include "symbolize.h"
#include "view_gate.h"
#include "xalloc.h"

#ifndef MTRACE_VERSION
#define MTRACE_VERSION "0"
#endif

static void usage(FILE *out)
{
    fprintf(out,
        "usage: mtrace-report [options] TRACE...\n"
        "\n"
        "TRACE is a file written by libmtrace.so (mtrace.PROGRAM.PID.trace) or its\n"
        "trace.json interchange form.  Several traces, or a run directory written by\n"
        "mtrace-run, are reported as one run: a process tree (fork children, exec'd\n"
        "images), the leaks of each process, and the leaks of all merged by stack.\n"
        "\n"
        "reports (default: summary, where the memory came from, leaks):\n"
        "  --json            the whole report as JSON (docs/report-json.md)\n"
        "  --sources         brk heap / thread arena / mmap per request size, the mmap\n"
        "                    threshold over time, every program-break move\n"
        "  --maps            the address space at exit, pmap -X style, with the live\n"
        "                    heap blocks in each region and who owns them\n"
        "  --export-json     write the trace as trace.json to standard output\n"
        "  --peak            the peak live heap: its exact moment and the stacks holding\n"
        "                    it then, largest first\n"
        "  --allocators      the stacks that allocated most often and the most bytes\n"
        "  --temporary       temporary allocations (freed by the allocating thread before\n"
        "                    it allocated again) by stack\n"
        "  --usage           live heap over time split by brk heap / thread arenas / mmap,\n"
        "                    the mmap threshold's changes, the largest rises and who\n"
        "                    drove them\n"
        "  --folded          folded stacks (flamegraph.pl, inferno, speedscope): one\n"
        "                    'frame;frame;frame WEIGHT' line per stack, root first\n"
        "  --weight W        the --folded weight: bytes (allocated, default), calls,\n"
        "                    leaked (bytes), peak (bytes live at the peak), temporary\n"
        "  --html FILE       one self-contained HTML page (charts, flame graphs, tables)\n"
        "  --diff A B        what changed from trace A to trace B of the same program, per\n"
        "                    stack (leaked, peak, allocations, bytes); with --json as JSON\n"
        "  --fail-on-increase[=SIZE]\n"
        "                    with --diff: exit with status 4 if B leaked, or peaked, more\n"
        "                    than SIZE bytes (default 0; K, M, G suffixes) above A\n"
        "options:\n"
        "  --top N           leak stacks to list (default 20, 0 = all)\n"
        "  --frames N        frames per stack (default 16, 0 = all)\n"
        "  --all-frames      also show frames below main()\n"
        "  --short-templates C++ template arguments shown as <...>\n"
        "  --color WHEN      auto (default), always or never\n"
        "  --fail-on-leaks[=SIZE]\n"
        "                    exit with status 4 if more than SIZE (default 0; K, M, G\n"
        "                    suffixes: 10K = 10240 bytes) were lost (definitely +\n"
        "                    indirectly), in all processes; 6 if that cannot be decided\n"
        "  --suppressions FILE\n"
        "                    leak suppressions, LeakSanitizer's syntax (leak:PATTERN lines\n"
        "                    matching a function, module or source file of the stack);\n"
        "                    repeatable; also MTRACE_SUPPRESSIONS=FILE:FILE...  Suppressed\n"
        "                    blocks do not count for --fail-on-leaks\n"
        "  --print-suppressions\n"
        "                    list a leak:FUNCTION line for each lost stack\n"
        "  --max-peak SIZE   exit with status 4 if the peak live heap of a process\n"
        "                    exceeded SIZE bytes (K, M, G suffixes)\n"
        "  --output FILE, -o FILE\n"
        "                    write the report to FILE instead of standard output\n"
        "CI formats (with any report and gate; docs/ci-formats.md):\n"
        "  --junit FILE      JUnit XML: a test case per process, failed when a gate fails\n"
        "                    for it (without --fail-on-leaks: when it lost any byte of the\n"
        "                    --leak-kinds), an error when its leak check is inconclusive\n"
        "  --sarif FILE      SARIF 2.1.0: a result per leak stack at the allocating\n"
        "                    file:line of the program's own code\n"
        "  --github-annotations\n"
        "                    GitHub Actions ::error/::warning lines on standard output,\n"
        "                    after the report (with --json, give the report --output)\n"
        "  --run             report even one trace as a run (--json: the run schema)\n"
        "packed traces (zstd at rest, read like any trace; docs/trace-format.md):\n"
        "  --pack TRACE...   write each TRACE as TRACE.zst (or --output FILE), a few\n"
        "                    bytes per event; an existing file is never overwritten\n"
        "  --pack-level N    zstd level 1-19 (default 3)\n"
        "  --unpack T.zst... write the original trace back, byte for byte, as T (or\n"
        "                    --output FILE)\n"
        "  --version, --help\n"
        "\n"
        "exit status: 0 report printed; 1 bad command line; 2 cannot read the input\n"
        "(or write --output, --junit, --sarif);\n"
        "3 the input is not a valid trace; 4 leaks above --fail-on-leaks; 5 out of memory\n"
        "or internal error;\n"
        "6 inconclusive: --fail-on-leaks cannot decide (no scan at exit; the trace is\n"
        "  incomplete: events lost; another allocator served malloc; or a process of the\n"
        "  run exec'd a program that was not traced)\n");
}

/* Grows the stack now: under an address-space limit (ulimit -v) a stack
 * that must grow after the heap took the rest gets SIGSEGV instead of a
 * clean out-of-memory exit.  The deepest paths (symbolizing, JSON) stay
 * well inside this. */
static __attribute__((noinline)) void grow_stack(void)
{
    volatile char probe[1 << 20];
    for (size_t i = 0; i < sizeof probe; i += 4096)
        probe[i] = 0;
    probe[sizeof probe - 1] = 0;
}

enum mode { MODE_TEXT = MTA_MODE_TEXT, MODE_JSON = MTA_MODE_JSON, MODE_SOURCES = MTA_MODE_SOURCES,
            MODE_MAPS = MTA_MODE_MAPS, MODE_EXPORT = MTA_MODE_EXPORT, MODE_PEAK = MTA_MODE_PEAK,
            MODE_ALLOCATORS = MTA_MODE_ALLOCATORS, MODE_TEMPORARY = MTA_MODE_TEMPORARY,
            MODE_USAGE = MTA_MODE_USAGE, MODE_FOLDED = MTA_MODE_FOLDED,
            MODE_HTML = MTA_MODE_HTML };

/* --weight: the cost a folded line weighs */
static enum mta_cost folded_weight = MTA_COST_BYTES;

static int export_json(FILE *out, const char *path)
{
    struct mta_error err = {{0}, 0};
    struct mta_json_export *ex = mta_json_export_new(out);
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

static int run_reports(FILE *out, enum mode mode, const char *color, int to_file,
                       const struct mta_report_opts *o, long long fail_over, char **paths,
                       size_t np, int is_run);

/* Judges the CI view and writes the CI formats asked for (the files are
 * open already).  0, or MTA_EXIT_IO if one could not be written. */
static int write_ci(struct mta_ci_run *ci, long long fail_over, const struct mta_report_opts *o,
                    const char *junit, FILE *junit_out, const char *sarif, FILE *sarif_out,
                    int annotations)
{
    int rc = 0;
    mta_ci_judge(ci, fail_over, o);
    if (junit_out && (mta_ci_junit(junit_out, ci) | fclose(junit_out))) {
        fprintf(stderr, "mtrace-report: cannot write the JUnit report to %s\n", junit);
        rc = MTA_EXIT_IO;
    }
    if (sarif_out && (mta_ci_sarif(sarif_out, ci) | fclose(sarif_out))) {
        fprintf(stderr, "mtrace-report: cannot write the SARIF report to %s\n", sarif);
        rc = MTA_EXIT_IO;
    }
    if (annotations) {
        mta_ci_annotations(stdout, ci);
        if (fflush(stdout) != 0) {
            fprintf(stderr, "mtrace-report: cannot write the annotations\n");
            rc = MTA_EXIT_IO;
        }
    }
    return rc;
}

int main(int argc, char **argv)
{
    enum mode mode = MODE_TEXT;
    struct mta_report_opts opts = {.top = 20, .max_frames = 16};
    const char *color = "auto";
    long long fail_over = -1;
    enum { OPT_TOP = 256, OPT_FRAMES, OPT_ALL_FRAMES, OPT_COLOR, OPT_FAIL, OPT_VERSION,
           OPT_EXPORT, OPT_SOURCES, OPT_MAPS, OPT_JSON, OPT_OUTPUT, OPT_RUN,
           OPT_SHORT_TEMPLATES, OPT_SUPP, OPT_PRINT_SUPP, OPT_MAX_PEAK, OPT_KINDS,
           OPT_JUNIT, OPT_SARIF, OPT_ANNOTATIONS, OPT_PEAK, OPT_ALLOCATORS, OPT_TEMPORARY,
           OPT_USAGE, OPT_FOLDED, OPT_WEIGHT, OPT_HTML, OPT_DIFF, OPT_FAIL_INCREASE, OPT_PACK,
           OPT_UNPACK, OPT_PACK_LEVEL };
    static const struct option longopts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"sources", no_argument, NULL, OPT_SOURCES},
        {"maps", no_argument, NULL, OPT_MAPS},
        {"export-json", no_argument, NULL, OPT_EXPORT},
        {"top", required_argument, NULL, OPT_TOP},
        {"frames", required_argument, NULL, OPT_FRAMES},
        {"all-frames", no_argument, NULL, OPT_ALL_FRAMES},
        {"short-templates", no_argument, NULL, OPT_SHORT_TEMPLATES},
        {"color", required_argument, NULL, OPT_COLOR},
        {"fail-on-leaks", optional_argument, NULL, OPT_FAIL},
        {"version", no_argument, NULL, OPT_VERSION},
        {"output", required_argument, NULL, OPT_OUTPUT},
        {"run", no_argument, NULL, OPT_RUN},
        {"suppressions", required_argument, NULL, OPT_SUPP},
        {"print-suppressions", no_argument, NULL, OPT_PRINT_SUPP},
        {"max-peak", required_argument, NULL, OPT_MAX_PEAK},
        {"leak-kinds", required_argument, NULL, OPT_KINDS},
        {"junit", required_argument, NULL, OPT_JUNIT},
        {"sarif", required_argument, NULL, OPT_SARIF},
        {"github-annotations", no_argument, NULL, OPT_ANNOTATIONS},
        {"peak", no_argument, NULL, OPT_PEAK},
        {"allocators", no_argument, NULL, OPT_ALLOCATORS},
        {"temporary", no_argument, NULL, OPT_TEMPORARY},
        {"usage", no_argument, NULL, OPT_USAGE},
        {"folded", no_argument, NULL, OPT_FOLDED},
        {"weight", required_argument, NULL, OPT_WEIGHT},
        {"html", required_argument, NULL, OPT_HTML},
        {"diff", no_argument, NULL, OPT_DIFF},
        {"fail-on-increase", optional_argument, NULL, OPT_FAIL_INCREASE},
        {"pack", no_argument, NULL, OPT_PACK},
        {"unpack", no_argument, NULL, OPT_UNPACK},
        {"pack-level", required_argument, NULL, OPT_PACK_LEVEL},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, mode_set = 0, force_run = 0;
    static struct mta_supp supp;
    const char *supp_files[256];
    size_t n_supp_files = 0;
    const char *output = NULL, *junit = NULL, *sarif = NULL;
    int annotations = 0, diff = 0;
    long long fail_increase = -1;
    const char *html = NULL;
    int pack = 0, unpack = 0, pack_level = MTA_PACK_LEVEL_DEFAULT, other_opts = 0;
    while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
        char *end;
        enum mode want = MODE_TEXT;
        switch (c) {
        case OPT_JSON: want = MODE_JSON; break;
        case OPT_SOURCES: want = MODE_SOURCES; break;
        case OPT_MAPS: want = MODE_MAPS; break;
        case OPT_EXPORT: want = MODE_EXPORT; break;
        case OPT_PEAK: want = MODE_PEAK; break;
        case OPT_ALLOCATORS: want = MODE_ALLOCATORS; break;
        case OPT_TEMPORARY: want = MODE_TEMPORARY; break;
        case OPT_USAGE: want = MODE_USAGE; break;
        case OPT_FOLDED: want = MODE_FOLDED; break;
        case OPT_HTML: want = MODE_HTML; html = optarg; break;
        default: break;
        }
        if (want != MODE_TEXT) {
            if (mode_set && mode != want) {
                fprintf(stderr, "mtrace-report: %s and %s are different reports; choose one "
                        "(run mtrace-report once per report)\n",
                        mta_mode_option((enum mta_report_mode)mode),
                        mta_mode_option((enum mta_report_mode)want));
                return MTA_EXIT_USAGE;
            }
            mode = want;
            mode_set = 1;
            continue;
        }
        if (c != OPT_OUTPUT && c != 'o' && c != OPT_PACK && c != OPT_UNPACK &&
            c != OPT_PACK_LEVEL && c != OPT_VERSION && c != 'h')
            other_opts = 1;
        switch (c) {
        case OPT_PACK: pack = 1; break;
        case OPT_UNPACK: unpack = 1; break;
        case OPT_PACK_LEVEL: {
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end || !*optarg || v < 1 || v > MTA_PACK_LEVEL_MAX) {
                fprintf(stderr, "mtrace-report: --pack-level wants a zstd level from 1 to %d, "
                        "not '%s'\n", MTA_PACK_LEVEL_MAX, optarg);
                return MTA_EXIT_USAGE;
            }
            pack_level = (int)v;
            break;
        }
        case 'o':
        case OPT_OUTPUT: output = optarg; break;
        case OPT_DIFF: diff = 1; break;
        case OPT_WEIGHT:
            if (mta_parse_weight(optarg, &folded_weight)) {
                fprintf(stderr, "mtrace-report: --weight wants " MTA_WEIGHT_WORDS ", not '%s'\n",
                        optarg);
                return MTA_EXIT_USAGE;
            }
            break;
        case OPT_FAIL_INCREASE:
            fail_increase = 0;
            if (optarg && mta_parse_size(optarg, &fail_increase)) {
                fprintf(stderr, "mtrace-report: --fail-on-increase wants a size in bytes (4096, "
                        "10K, 1.5M, 2G), not '%s'\n", optarg);
                return MTA_EXIT_USAGE;
            }
            break;
        case OPT_JUNIT: junit = optarg; break;
        case OPT_SARIF: sarif = optarg; break;
        case OPT_ANNOTATIONS: annotations = 1; break;
        case OPT_RUN: force_run = 1; break;
        case OPT_SUPP:
            if (n_supp_files == sizeof supp_files / sizeof supp_files[0]) {
                fprintf(stderr, "mtrace-report: too many --suppressions\n");
                return MTA_EXIT_USAGE;
            }
            supp_files[n_supp_files++] = optarg;
            break;
        case OPT_PRINT_SUPP: supp.print = 1; break;
        case OPT_KINDS: {
            const char *bad_kind = NULL;
            if (mta_parse_leak_kinds(optarg, &opts.leak_kinds, &bad_kind)) {
                fprintf(stderr, "mtrace-report: --leak-kinds wants definite, indirect, "
                        "possible, reachable or all, comma-separated, not '%s'\n", bad_kind);
                return MTA_EXIT_USAGE;
            }
            break;
        }
        case OPT_MAX_PEAK:
            if (mta_parse_size(optarg, &opts.max_peak)) {
                fprintf(stderr, "mtrace-report: --max-peak wants a size in bytes (4096, 10K, "
                        "1.5M, 2G), not '%s'\n", optarg);
                return MTA_EXIT_USAGE;
            }
            opts.max_peak_set = 1;
            break;
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
        case OPT_SHORT_TEMPLATES: opts.short_templates = 1; break;
        case OPT_COLOR:
            if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never")) {
                fprintf(stderr, "mtrace-report: --color wants auto, always or never\n");
                return MTA_EXIT_USAGE;
            }
            color = optarg;
            break;
        case OPT_FAIL:
            fail_over = 0;
            if (optarg && mta_parse_size(optarg, &fail_over)) {
                fprintf(stderr, "mtrace-report: --fail-on-leaks wants a size in bytes (4096, "
                        "10K, 1.5M, 2G), not '%s'\n", optarg);
                return MTA_EXIT_USAGE;
            }
            break;
        case OPT_VERSION: printf("mtrace-report %s\n", MTRACE_VERSION); return MTA_EXIT_OK;
        case 'h': usage(stdout); return MTA_EXIT_OK;
        default: usage(stderr); return MTA_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "mtrace-report: give a trace file, several, or a run directory "
                "(try --help)\n");
        return MTA_EXIT_USAGE;
    }
    if (pack || unpack) {
        if ((pack && unpack) || mode_set || other_opts) {
            fprintf(stderr, "mtrace-report: --pack and --unpack only convert traces (with "
                    "--output, --pack-level); run mtrace-report again on the result for a "
                    "report\n");
            return MTA_EXIT_USAGE;
        }
        mta_alloc_setup();
        return mta_pack_cli(unpack, argv + optind, argc - optind, output, pack_level);
    }
    if (pack_level != MTA_PACK_LEVEL_DEFAULT) {
        fprintf(stderr, "mtrace-report: --pack-level goes with --pack\n");
        return MTA_EXIT_USAGE;
    }
    if (html && output) {
        fprintf(stderr, "mtrace-report: --html writes its page to its own FILE; leave out "
                "--output\n");
        return MTA_EXIT_USAGE;
    }
    if (html)
        output = html;
    if (fail_increase >= 0 && !diff) {
        fprintf(stderr, "mtrace-report: --fail-on-increase is the gate of --diff A B\n");
        return MTA_EXIT_USAGE;
    }
    if (diff) {
        if (argc - optind != 2 || (mode != MODE_TEXT && mode != MODE_JSON) || junit || sarif ||
            annotations || fail_over >= 0) {
            fprintf(stderr, "mtrace-report: --diff compares two traces: mtrace-report --diff "
                    "[--json] [--fail-on-increase[=SIZE]] A B\n");
            return MTA_EXIT_USAGE;
        }
    }
    int want_ci = junit || sarif || annotations;
    if (want_ci && mode == MODE_EXPORT) {
        fprintf(stderr, "mtrace-report: --export-json converts a trace; --junit, --sarif and "
                "--github-annotations judge its leaks (run mtrace-report once for each)\n");
        return MTA_EXIT_USAGE;
    }
    if (annotations && mode == MODE_JSON && !output) {
        fprintf(stderr, "mtrace-report: --github-annotations writes to standard output, where "
                "the JSON report goes too: write the report with --output FILE\n");
        return MTA_EXIT_USAGE;
    }
    if ((junit && sarif && !strcmp(junit, sarif)) ||
        (output && ((junit && !strcmp(output, junit)) || (sarif && !strcmp(output, sarif))))) {
        fprintf(stderr, "mtrace-report: --output, --junit and --sarif need different files\n");
        return MTA_EXIT_USAGE;
    }
    mta_alloc_setup();
    grow_stack();
    opts.progress = mta_progress_wanted();
    {
        struct mta_error serr = {{0}, 0};
        const char *env = getenv("MTRACE_SUPPRESSIONS");
        char *list = env && *env ? strdup(env) : NULL;
        int src = 0;
        for (char *save = NULL, *f = list ? strtok_r(list, ":", &save) : NULL; f && !src;
             f = strtok_r(NULL, ":", &save))
            src = mta_supp_load(&supp, f, &serr);
        free(list);
        for (size_t i = 0; i < n_supp_files && !src; i++)
            src = mta_supp_load(&supp, supp_files[i], &serr);
        if (src) {
            fprintf(stderr, "mtrace-report: %s\n", serr.msg);
            mta_supp_free(&supp);
            return src;
        }
        opts.supp = &supp;
    }
    if (diff) {
        FILE *dout = output ? fopen(output, "w") : stdout;
        if (!dout) {
            fprintf(stderr, "mtrace-report: cannot write the report to %s: %s\n", output,
                    strerror(errno));
            mta_supp_free(&supp);
            return MTA_EXIT_IO;
        }
        opts.color = !strcmp(color, "always") ||
                     (!strcmp(color, "auto") && !output && isatty(1) && !getenv("NO_COLOR"));
        int drc = mta_diff_command(dout, argv[optind], argv[optind + 1], mode == MODE_JSON,
                                   &opts, fail_increase);
        if (fflush(dout) != 0 || (dout != stdout && fclose(dout) != 0)) {
            fprintf(stderr, "mtrace-report: cannot write the report\n");
            if (drc == MTA_EXIT_OK)
                drc = MTA_EXIT_IO;
        }
        mta_supp_free(&supp);
        return drc;
    }
    char **paths;
    size_t np;
    int is_run;
    struct mta_error xerr = {{0}, 0};
    int xrc = mta_run_expand(argv + optind, argc - optind, &paths, &np, &is_run, &xerr);
    if (xrc) {
        fprintf(stderr, "mtrace-report: %s\n", xerr.msg);
        return xrc;
    }
    if (mode == MODE_EXPORT && np != 1) {
        fprintf(stderr, "mtrace-report: --export-json converts one trace; %zu were given\n", np);
        mta_run_paths_free(paths, np);
        return MTA_EXIT_USAGE;
    }
    /* every output file is created before the traces are read */
    FILE *out = stdout, *junit_out = NULL, *sarif_out = NULL;
    const char *failed = NULL;
    if (output && !(out = fopen(output, "w")))
        failed = output;
    else if (junit && !(junit_out = fopen(junit, "w")))
        failed = junit;
    else if (sarif && !(sarif_out = fopen(sarif, "w")))
        failed = sarif;
    if (failed) {
        fprintf(stderr, "mtrace-report: cannot write %s%s: %s\n",
                failed == output ? "the report to " : "", failed, strerror(errno));
        if (out && out != stdout)
            fclose(out);
        if (junit_out)
            fclose(junit_out);
        mta_run_paths_free(paths, np);
        return MTA_EXIT_IO;
    }
    static struct mta_ci_run ci;
    ci.is_run = is_run || force_run;
    ci.tool_version = MTRACE_VERSION;
    if (want_ci)
        opts.ci = &ci;
    int rc = run_reports(out, mode, color, output != NULL, &opts, fail_over, paths, np,
                         is_run || force_run);
    if (fflush(out) != 0 || (out != stdout && fclose(out) != 0)) {
        fprintf(stderr, "mtrace-report: cannot write the report%s%s\n", output ? " to " : "",
                output ? output : "");
        if (rc == MTA_EXIT_OK)
            rc = MTA_EXIT_IO;
    }
    if (want_ci) {
        int werr = write_ci(&ci, fail_over, &opts, junit, junit_out, sarif, sarif_out,
                            annotations);
        if (werr && rc == MTA_EXIT_OK)
            rc = werr; /* a failed gate keeps its own status */
        mta_ci_free(&ci);
    }
    mta_run_paths_free(paths, np);
    mta_supp_free(&supp);
    return rc;
}

/* One report of one trace (the report the options chose). */
static int single_report(FILE *out, enum mode mode, const struct mta_report_opts *o,
                         long long fail_over, const char *path, int is_run)
{
    struct mta_report_opts opts = *o;
    struct mta_loaded loaded;
    struct mta_error err = {{0}, 0};
    int lrc = mta_load(&loaded, path, &opts, &err);
    if (lrc) {
        fprintf(stderr, "mtrace-report: %s\n", err.msg);
        if (opts.ci)
            mta_ci_add_error(opts.ci, path, lrc, err.msg);
        return lrc;
    }
    const struct mta_model *m = &loaded.model;
    struct mta_symbolizer *sym = loaded.sym;
    if (opts.ci)
        mta_ci_add_model(opts.ci, m, sym, &opts, path);
    int rc = MTA_EXIT_OK;
    switch (mode) {
    case MODE_JSON:
        if (mta_report_json(out, m, sym, &opts) && !ferror(out)) {
            fprintf(stderr, "mtrace-report: %s: internal error: the JSON report could not be "
                    "built; please report this with the trace\n", path);
            rc = MTA_EXIT_INTERNAL;
        }
        break;
    case MODE_SOURCES: mta_report_sources_text(out, m, sym, &opts); break;
    case MODE_PEAK: mta_render_peak_text(out, m, sym, &opts); break;
    case MODE_ALLOCATORS: mta_render_allocators_text(out, m, sym, &opts); break;
    case MODE_TEMPORARY: mta_render_temporary_text(out, m, sym, &opts); break;
    case MODE_USAGE: mta_render_usage_text(out, m, sym, &opts); break;
    case MODE_FOLDED: {
        struct mta_folded f;
        mta_folded_make(&f, m, sym, &opts, folded_weight);
        mta_render_folded(out, &f);
        mta_folded_free(&f);
        break;
    }
    case MODE_HTML:
        if (mta_render_html(out, m, sym, &opts) && !ferror(out)) {
            fprintf(stderr, "mtrace-report: %s: internal error: the HTML page could not be "
                    "built\n", path);
            rc = MTA_EXIT_INTERNAL;
        }
        break;
    case MODE_MAPS: mta_report_maps_text(out, m, sym, &opts); break;
    default:
        mta_report_text(out, m, sym, &opts);
        if (opts.supp)
            mta_supp_report_text(out, opts.supp);
        break;
    }
    if (rc == MTA_EXIT_OK && fail_over >= 0 && m->fate_unknown) {
        fprintf(stderr, "mtrace-report: %s: leak check inconclusive: %s; %llu bytes in %llu "
                "blocks were live when the trace ends and their fate is unknown, and later "
                "leaks cannot be seen (%s)\n", path, mta_incomplete_reason(m),
                (unsigned long long)m->unknown_bytes,
                (unsigned long long)m->unknown_blocks,
                m->info.stop_reason == MT_STOP_MAX_SIZE || m->info.lost_events
                    ? "raise MTRACE_MAX_SIZE and run again"
                    : "run again with a complete trace");
        rc = MTA_EXIT_INCONCLUSIVE;
    } else if (rc == MTA_EXIT_OK && fail_over >= 0 && m->leak_inconclusive &&
               mta_gate_bytes(m, &opts) > (uint64_t)fail_over) {
        /* an image replaced by exec leaked nothing: the exec released its memory */
        fprintf(stderr, "mtrace-report: %s: %llu bytes unfreed in %llu blocks, but whether "
                "they are lost is not known: %s\n", path,
                (unsigned long long)m->leaked_bytes, (unsigned long long)m->leaked_blocks,
                m->leak_inconclusive);
        rc = MTA_EXIT_INCONCLUSIVE;
    } else if (rc == MTA_EXIT_OK && fail_over >= 0 &&
               mta_gate_bytes(m, &opts) > (uint64_t)fail_over) {
        if (opts.leak_kinds)
            fprintf(stderr, "mtrace-report: %s: %llu bytes of the --leak-kinds unfreed (limit "
                    "%lld)\n", path, (unsigned long long)mta_gate_bytes(m, &opts), fail_over);
        else
            fprintf(stderr, "mtrace-report: %s: %llu bytes lost in %llu blocks (definitely and "
                    "indirectly; limit %lld)\n",
                    path, (unsigned long long)m->leaked_bytes,
                    (unsigned long long)m->leaked_blocks, fail_over);
        rc = MTA_EXIT_LEAKS;
    } else if (fail_over >= 0 && m->info.foreign_allocator) {
        fprintf(stderr, "mtrace-report: %s: inconclusive: malloc was %s's, not mtrace's; "
                "no allocation was traced\n", path, m->info.foreign_allocator);
        rc = MTA_EXIT_INCONCLUSIVE;
    }
    if (rc == MTA_EXIT_OK && opts.max_peak_set && m->peak_bytes > (uint64_t)opts.max_peak) {
        fprintf(stderr, "mtrace-report: %s: peak live heap %llu bytes is above --max-peak %lld\n",
                path, (unsigned long long)m->peak_bytes, opts.max_peak);
        rc = MTA_EXIT_LEAKS;
    }
    /* the only trace of a run ended in exec: the new image was not traced */
    if (is_run && m->info.end_state == MT_END_EXEC && mode != MODE_JSON) {
        fprintf(out, "\npid %llu exec'd a program that was not traced (statically linked, "
                "setuid, or LD_PRELOAD removed from its environment): its leaks are unknown\n",
                (unsigned long long)m->info.pid);
        if (fail_over >= 0 && rc == MTA_EXIT_OK) {
            fprintf(stderr, "mtrace-report: inconclusive: a process exec'd a program that was "
                    "not traced, so its leaks are unknown\n");
            rc = MTA_EXIT_INCONCLUSIVE;
        }
    }
    mta_loaded_free(&loaded);
    return rc;
}

static int run_reports(FILE *out, enum mode mode, const char *color, int to_file,
                       const struct mta_report_opts *o, long long fail_over, char **paths,
                       size_t np, int is_run)
{
    struct mta_report_opts opts = *o;
    opts.color = !strcmp(color, "always") ||
                 (!strcmp(color, "auto") && !to_file && isatty(1) && !getenv("NO_COLOR"));
    if (mode == MODE_EXPORT)
        return export_json(out, paths[0]);
    if (np == 1 && (mode != MODE_JSON || !is_run))
        return single_report(out, mode, &opts, fail_over, paths[0], is_run);
    if (mode == MODE_TEXT || mode == MODE_JSON)
        return mta_report_run(out, paths, np, &opts, mode == MODE_JSON, fail_over);
    if (mode == MODE_FOLDED)
        return mta_report_run_folded(out, paths, np, &opts, folded_weight, fail_over);
    if (mode == MODE_HTML)
        return mta_report_run_html(out, paths, np, &opts, fail_over);
    /* --sources, --maps: the report of each trace in turn; the gates and the
     * CI formats from the run */
    int rc = MTA_EXIT_OK;
    struct mta_report_opts each = opts;
    each.ci = NULL;
    for (size_t i = 0; i < np; i++) {
        if (i)
            fputc('\n', out);
        fprintf(out, "==> %s <==\n", paths[i]);
        int r = single_report(out, mode, &each, -1, paths[i], 0);
        if (r > rc)
            rc = r;
    }
    if (rc == MTA_EXIT_OK && (fail_over >= 0 || opts.max_peak_set || opts.ci))
        rc = mta_report_run(NULL, paths, np, &opts, 0, fail_over);
    return rc;
}
