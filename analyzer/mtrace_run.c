/* mtrace-run [options] [--] PROGRAM [ARGS...]
 *
 * Runs PROGRAM with libmtrace.so preloaded, keeps the traces of the whole
 * run (fork children, exec'd images) together in one run directory, then
 * runs mtrace-report on them.  Every option is checked before the program
 * starts.  Finds libmtrace.so next to itself: MTRACE_LIBDIR_FROM_BINDIR
 * (the installed layout, relative, so an install can be moved),
 * ../preload/libmtrace.so in the build tree, or MTRACE_LIB. */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli_common.h"
#include "inject.h"
#include "run_attach.h"
#include "mtrace/format.h"

#ifndef MTRACE_VERSION
#define MTRACE_VERSION "0"
#endif
#ifndef MTRACE_LIBDIR_FROM_BINDIR
#define MTRACE_LIBDIR_FROM_BINDIR "../lib"
#endif

/* Exit statuses of mtrace-run itself (README.md "Exit status"). */
enum {
    RUN_USAGE = 1,         /* bad command line, or a program mtrace cannot trace */
    RUN_GATE = 4,          /* --fail-on-leaks: the program succeeded but leaked */
    RUN_INCONCLUSIVE = 6,  /* no trace, or a process exec'd an untraced program */
    RUN_NOT_FOUND = 127
};

static void usage(FILE *out)
{
    fprintf(out,
        "usage: mtrace-run [options] [--] PROGRAM [ARGS...]\n"
        "\n"
        "Runs PROGRAM under libmtrace.so, keeps the traces of every process of the run\n"
        "(fork children, exec'd images) in one run directory, and prints the report:\n"
        "one line per process and the leaks of each.\n"
        "\n"
        "options:\n"
        "  --run-dir DIR     put the traces in DIR (created; must hold no traces yet)\n"
        "                    default: mtrace-run.PROGRAM.PID in the current directory\n"
        "  --clean-run-dir   with --run-dir: first delete the traces an earlier run left\n"
        "                    in DIR (a fixed directory reused by CTest or CI)\n"
        "  -o NAME           trace file names (MTRACE_OUT syntax, %%p = pid, %%e = program\n"
        "                    name; default %%e.%%p.trace), inside the run directory\n"
        "  --output FILE     write the report to FILE, not standard output (the\n"
        "                    program's own output then stays alone on stdout)\n"
        "  --no-report       only trace; do not run mtrace-report afterwards\n"
        "  --pack            after the run, pack each trace (mtrace-report --pack: zstd,\n"
        "                    a few bytes per event) and remove the unpacked one; the\n"
        "                    report and mtrace-report read the .trace.zst files as they are\n"
        "  --pack-level N    zstd level 1-19 for --pack (default 3)\n"
        "  --junit FILE, --sarif FILE, --github-annotations\n"
        "                    the CI formats of the report (see mtrace-report --help and\n"
        "                    docs/ci-formats.md); the files are checked before the run\n"
        "  --pid PID         attach to running process PID (started without mtrace): load\n"
        "                    libmtrace.so into it, trace until it exits or until Ctrl-C\n"
        "                    or --duration SECONDS, then detach (it runs on untraced)\n"
        "                    and report\n"
        "  --start PID, --stop PID\n"
        "                    open or close a tracing window in PID, started with\n"
        "                    MTRACE_START=off (a dormant shim)\n"
        "  --version, --help\n"
        "report options (see mtrace-report --help): --json, --sources, --maps, --peak,\n"
        "  --allocators, --temporary, --usage, --folded [--weight W], --html FILE (the\n"
        "  page; checked before the run), --top N, --suppressions FILE (repeatable),\n"
        "  --print-suppressions, --max-peak SIZE, --frames N, --all-frames, --color WHEN,\n"
        "  --fail-on-leaks[=SIZE] (SIZE in bytes or with a K, M or G suffix; the leaks of\n"
        "  all processes are summed)\n"
        "\n"
        "exit status: the program's own status (128+N if killed by signal N) when it\n"
        "failed or the report found nothing to fail on; otherwise the report's: 4 leaks\n"
        "above --fail-on-leaks, 6 inconclusive (no trace, or a process exec'd a program\n"
        "that was not traced), 2, 3 or 5 the traces could not be read; 1 bad command\n"
        "line or a program mtrace cannot trace (static, setuid); 127 program not found\n");
}

static int exists(const char *p)
{
    return access(p, R_OK) == 0;
}

/* dir of this executable */
static void self_dir(char *out, size_t cap)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    snprintf(out, cap, "%s", dirname(buf));
}

static int find_lib(char *out, size_t cap)
{
    const char *env = getenv("MTRACE_LIB");
    if (env && *env) {
        snprintf(out, cap, "%s", env);
        return exists(out) ? 0 : -1;
    }
    char dir[PATH_MAX];
    self_dir(dir, sizeof dir);
    const char *tries[] = {"%s/" MTRACE_LIBDIR_FROM_BINDIR "/libmtrace.so",
                           "%s/../lib/libmtrace.so", "%s/../preload/libmtrace.so",
                           "%s/../lib/x86_64-linux-gnu/libmtrace.so"};
    for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
        snprintf(out, cap, tries[i], dir);
        if (exists(out))
            return 0;
    }
    return -1;
}

/* ---- the options ---- */

struct run_opts {
    const char *name_pattern, *run_dir, *output, *junit, *sarif;
    const char *html;      /* --html FILE: the page */
    const char *weight;    /* --weight W: the weight of --folded's lines */
    int annotations;
    int report, clean_run_dir, pack;
    const char *pack_level;
    const char *report_args[64];
    int nreport;
    enum mta_report_mode mode;
    int mode_set;
    pid_t attach_pid;      /* --pid */
    double duration;       /* --duration SECONDS (0: until exit or Ctrl-C) */
    pid_t control_pid;     /* --start / --stop */
    int control_on;
};

static int bad(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "mtrace-run: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, " (try mtrace-run --help)\n");
    return RUN_USAGE;
}

/* The value of an option: "--opt=V" or "--opt V".  NULL if missing. */
static const char *value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (!strncmp(argv[*i], name, n) && argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (*i + 1 < argc && strcmp(argv[*i + 1], "--"))
        return argv[++*i];
    return NULL;
}

static int is_opt(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return !strncmp(arg, name, n) && (arg[n] == '\0' || arg[n] == '=');
}

/* Parses the options before PROGRAM; *prog = index of PROGRAM.  -1: exit 0
 * (help, version); otherwise 0 or an exit status. */
static int parse(int argc, char **argv, struct run_opts *o, int *prog)
{
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        if (a[0] != '-' || !a[1])
            break;
        if (o->nreport >= 60) /* an option adds at most 2 */
            return bad("too many options%s%s", "", "");
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return -1;
        }
        if (!strcmp(a, "--version")) {
            printf("mtrace-run %s\n", MTRACE_VERSION);
            return -1;
        }
        if (is_opt(a, "--pid") || is_opt(a, "--start") || is_opt(a, "--stop")) {
            const char *name = a[2] == 'p' ? "--pid" : a[4] == 'a' ? "--start" : "--stop";
            char *end;
            if (!(v = value(argc, argv, &i, name)) || !*v)
                return bad("%s wants a process id%s", name, "");
            long n = strtol(v, &end, 10);
            if (*end || n <= 0 || n > INT_MAX)
                return bad("%s wants a process id, not '%s'", name, v);
            if (name[2] == 'p')
                o->attach_pid = (pid_t)n;
            else {
                o->control_pid = (pid_t)n;
                o->control_on = name[4] == 'a';
            }
            continue;
        }
        if (is_opt(a, "--duration")) {
            char *end;
            if (!(v = value(argc, argv, &i, "--duration")) || !*v ||
                (o->duration = strtod(v, &end), *end) || !(o->duration > 0) ||
                o->duration > 1e9)
                return bad("--duration wants a number of seconds, not '%s'%s", v ? v : "", "");
            continue;
        }
        if (!strcmp(a, "--no-report")) {
            o->report = 0;
            continue;
        }
        if (!strcmp(a, "--pack")) {
            o->pack = 1;
            continue;
        }
        if (is_opt(a, "--pack-level")) {
            char *end;
            unsigned long n;
            if (!(v = value(argc, argv, &i, "--pack-level")) || !*v ||
                (n = strtoul(v, &end, 10), *end) || n < 1 || n > 19)
                return bad("--pack-level wants a zstd level from 1 to 19, not '%s'%s",
                           v ? v : "", "");
            o->pack_level = v;
            continue;
        }
        if (!strcmp(a, "--clean-run-dir")) {
            o->clean_run_dir = 1;
            continue;
        }
        if (!strcmp(a, "-o") || is_opt(a, "--run-dir") || is_opt(a, "--output") ||
            is_opt(a, "--junit") || is_opt(a, "--sarif")) {
            const char *name = a[1] == 'o' ? "-o" : a[2] == 'r' ? "--run-dir"
                               : a[2] == 'o' ? "--output" : a[2] == 'j' ? "--junit" : "--sarif";
            if (!(v = value(argc, argv, &i, name)) || !*v)
                return bad("%s wants a value%s", name, "");
            if (name[1] == 'o')
                o->name_pattern = v;
            else if (name[2] == 'r')
                o->run_dir = v;
            else if (name[2] == 'o')
                o->output = v;
            else if (name[2] == 'j')
                o->junit = v;
            else
                o->sarif = v;
            continue;
        }
        if (!strcmp(a, "--github-annotations")) {
            o->annotations = 1;
            continue;
        }
        enum mta_report_mode m = MTA_MODE_TEXT;
        static const struct { const char *name; enum mta_report_mode mode; } reports[] = {
            {"--json", MTA_MODE_JSON}, {"--sources", MTA_MODE_SOURCES},
            {"--maps", MTA_MODE_MAPS}, {"--peak", MTA_MODE_PEAK},
            {"--allocators", MTA_MODE_ALLOCATORS}, {"--temporary", MTA_MODE_TEMPORARY},
            {"--usage", MTA_MODE_USAGE}, {"--folded", MTA_MODE_FOLDED},
        };
        for (size_t r = 0; r < sizeof reports / sizeof reports[0]; r++)
            if (!strcmp(a, reports[r].name))
                m = reports[r].mode;
        if (is_opt(a, "--html")) {
            if (!(v = value(argc, argv, &i, "--html")) || !*v)
                return bad("--html wants the FILE of the page%s%s", "", "");
            if (o->html)
                return bad("--html: give one page, not %s and %s", o->html, v);
            o->html = v;
            m = MTA_MODE_HTML;
        }
        if (!strcmp(a, "--export-json"))
            return bad("--export-json converts one trace: run mtrace-report --export-json "
                       "on a trace of the run directory%s%s", "", "");
        if (m != MTA_MODE_TEXT) {
            if (o->mode_set && o->mode != m)
                return bad("%s and %s are different reports; choose one", mta_mode_option(o->mode),
                           mta_mode_option(m));
            o->mode = m;
            o->mode_set = 1;
            if (m != MTA_MODE_HTML) /* --html FILE goes with the other files */
                o->report_args[o->nreport++] = a;
            continue;
        }
        if (is_opt(a, "--weight")) {
            enum mta_cost cost;
            if (!(v = value(argc, argv, &i, "--weight")) || mta_parse_weight(v, &cost))
                return bad("--weight wants " MTA_WEIGHT_WORDS ", not '%s'%s", v ? v : "", "");
            o->weight = v;
            static char weight_arg[32];
            snprintf(weight_arg, sizeof weight_arg, "--weight=%s", v);
            o->report_args[o->nreport++] = weight_arg;
            continue;
        }
        if (is_opt(a, "--leak-kinds")) {
            unsigned kinds;
            const char *bad_kind = "";
            if (!(v = value(argc, argv, &i, "--leak-kinds")) || strlen(v) > 100 ||
                mta_parse_leak_kinds(v, &kinds, &bad_kind))
                return bad("--leak-kinds wants definite, indirect, possible, reachable or all, "
                           "comma-separated, not '%s'%s", v ? bad_kind : "", "");
            static char kinds_arg[128];
            snprintf(kinds_arg, sizeof kinds_arg, "--leak-kinds=%s", v);
            o->report_args[o->nreport++] = kinds_arg;
            continue;
        }
        if (is_opt(a, "--max-peak")) {
            long long size;
            if (!(v = value(argc, argv, &i, "--max-peak")) || mta_parse_size(v, &size))
                return bad("--max-peak wants a size in bytes (4096, 10K, 1.5M, 2G)%s%s", "", "");
            static char peak_arg[80];
            snprintf(peak_arg, sizeof peak_arg, "--max-peak=%s", v);
            o->report_args[o->nreport++] = peak_arg;
            continue;
        }
        if (!strcmp(a, "--print-suppressions")) {
            o->report_args[o->nreport++] = a;
            continue;
        }
        if (is_opt(a, "--suppressions")) {
            if (o->nreport >= 60)
                return bad("too many options%s%s", "", "");
            if (!(v = value(argc, argv, &i, "--suppressions")))
                return bad("--suppressions wants a file%s%s", "", "");
            if (access(v, R_OK))
                return bad("--suppressions: cannot read %s: %s", v, strerror(errno));
            o->report_args[o->nreport++] = "--suppressions";
            o->report_args[o->nreport++] = v;
            continue;
        }
        if (!strcmp(a, "--all-frames")) {
            o->report_args[o->nreport++] = a;
            continue;
        }
        if (is_opt(a, "--fail-on-leaks")) {
            long long size;
            if (a[15] == '=' && mta_parse_size(a + 16, &size))
                return bad("--fail-on-leaks wants a size in bytes (4096, 10K, 1.5M, 2G), not "
                           "'%s'%s", a + 16, "");
            o->report_args[o->nreport++] = a;
            continue;
        }
        if (is_opt(a, "--top") || is_opt(a, "--frames") || is_opt(a, "--color")) {
            const char *name = a[2] == 't' ? "--top" : (a[2] == 'f' ? "--frames" : "--color");
            if (!(v = value(argc, argv, &i, name)))
                return bad("%s wants a value%s", name, "");
            if (name[2] == 'c') {
                if (strcmp(v, "auto") && strcmp(v, "always") && strcmp(v, "never"))
                    return bad("--color wants auto, always or never, not '%s'%s", v, "");
            } else {
                char *end;
                unsigned long n = strtoul(v, &end, 10);
                if (!*v || *end || n > 1000000 || v[0] == '-')
                    return bad("%s wants a number, not '%s'", name, v);
            }
            /* --top=N: one argument for mtrace-report */
            static char joined[3][64];
            int k = name[2] == 't' ? 0 : name[2] == 'f' ? 1 : 2;
            snprintf(joined[k], sizeof joined[k], "%s=%s", name, v);
            o->report_args[o->nreport++] = joined[k];
            continue;
        }
        return bad("unknown option '%s'%s", a, "");
    }
    if (o->nreport > 60)
        return bad("too many options%s%s", "", "");
    if (!o->report && (o->nreport || o->output || o->junit || o->sarif || o->annotations ||
                       o->html))
        return bad("--no-report: there is no report for %s to apply to%s",
                   o->output ? "--output" : o->junit ? "--junit" : o->sarif ? "--sarif"
                   : o->annotations ? "--github-annotations" : o->html ? "--html"
                   : o->report_args[0], "");
    if (o->weight && o->mode != MTA_MODE_FOLDED)
        return bad("--weight %s weighs the lines of --folded; add --folded%s", o->weight, "");
    if (o->html && o->output)
        return bad("--html writes its page to its own FILE (%s); leave out --output%s",
                   o->html, "");
    if (o->pack_level && !o->pack)
        return bad("--pack-level goes with --pack%s%s", "", "");
    if (o->clean_run_dir && !o->run_dir)
        return bad("--clean-run-dir cleans the directory given with --run-dir%s%s", "", "");
    if (o->annotations && (o->mode == MTA_MODE_JSON || o->mode == MTA_MODE_FOLDED) &&
        !o->output)
        return bad("--github-annotations writes to standard output, where %s too: write "
                   "the report with --output FILE%s",
                   o->mode == MTA_MODE_JSON ? "the JSON report goes" : "the folded stacks go",
                   "");
    const char *page = o->html ? o->html : o->output;
    if ((o->junit && o->sarif && !strcmp(o->junit, o->sarif)) ||
        (page && ((o->junit && !strcmp(page, o->junit)) ||
                  (o->sarif && !strcmp(page, o->sarif)))))
        return bad("%s, --junit and --sarif need different files%s",
                   o->html ? "--html" : "--output", "");
    if (o->duration && !o->attach_pid)
        return bad("--duration goes with --pid%s%s", "", "");
    if ((o->attach_pid || o->control_pid) && i < argc)
        return bad("%s: no program to run with it ('%s')", o->attach_pid ? "--pid"
                   : o->control_on ? "--start" : "--stop", argv[i]);
    if (o->attach_pid && o->control_pid)
        return bad("--pid attaches to a process started without mtrace; --start/--stop switch "
                   "one started with MTRACE_START=off: one at a time%s%s", "", "");
    if (o->attach_pid || o->control_pid) {
        *prog = i;
        return 0;
    }
    if (i >= argc)
        return bad("no program to run: mtrace-run [options] -- PROGRAM [ARGS...]%s%s", "", "");
    *prog = i;
    return 0;
}

/* ---- the program: can LD_PRELOAD reach it? ---- */

/* PROGRAM as execvp would find it, into out.  -1 if not found. */
static int resolve(const char *prog, char *out, size_t cap)
{
    if (strchr(prog, '/')) {
        snprintf(out, cap, "%s", prog);
        return access(out, X_OK) == 0 ? 0 : -1;
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path;; ) {
        const char *e = strchr(p, ':');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        struct stat st;
        snprintf(out, cap, "%.*s%s%s", (int)n, p, n ? "/" : "", prog);
        if (access(out, X_OK) == 0 && stat(out, &st) == 0 && S_ISREG(st.st_mode))
            return 0;
        if (!e)
            return -1;
        p = e + 1;
    }
}

/* 1 if the ELF file has no PT_INTERP (statically linked), 0 if it has one
 * or is not an ELF file we can read (a script: its interpreter is checked
 * when it runs). */
static int is_static_elf(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    unsigned char buf[4096];
    ssize_t n = pread(fd, buf, sizeof buf, 0);
    close(fd);
    if (n < (ssize_t)sizeof(Elf64_Ehdr) || memcmp(buf, ELFMAG, SELFMAG) ||
        buf[EI_CLASS] != ELFCLASS64)
        return 0;
    Elf64_Ehdr eh;
    memcpy(&eh, buf, sizeof eh);
    if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
        return 0;
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > (uint64_t)n ||
        eh.e_phnum > ((uint64_t)n - eh.e_phoff) / sizeof(Elf64_Phdr))
        return 0; /* headers beyond the first page: do not guess */
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, buf + eh.e_phoff + i * sizeof ph, sizeof ph);
        if (ph.p_type == PT_INTERP)
            return 0;
    }
    return 1;
}

static int check_program(const char *prog, char *resolved, size_t cap)
{
    if (resolve(prog, resolved, cap)) {
        fprintf(stderr, "mtrace-run: %s: %s\n", prog,
                strchr(prog, '/') ? strerror(errno) : "command not found in PATH");
        return RUN_NOT_FOUND;
    }
    struct stat st;
    if (stat(resolved, &st) == 0 &&
        (((st.st_mode & S_ISUID) && st.st_uid != geteuid()) ||
         ((st.st_mode & S_ISGID) && st.st_gid != getegid()))) {
        fprintf(stderr, "mtrace-run: %s is set%cid: the dynamic loader ignores LD_PRELOAD for "
                "it, so mtrace cannot trace it (trace a copy without the set%cid bit)\n",
                resolved, (st.st_mode & S_ISUID) ? 'u' : 'g', (st.st_mode & S_ISUID) ? 'u' : 'g');
        return RUN_USAGE;
    }
    if (is_static_elf(resolved)) {
        fprintf(stderr, "mtrace-run: %s is statically linked: LD_PRELOAD cannot reach it, so "
                "mtrace cannot trace it (link it dynamically to trace it)\n", resolved);
        return RUN_USAGE;
    }
    return 0;
}

/* ---- the run directory ---- */

/* 1 if dir holds a trace.  With clean, deletes them first (regular files
 * only, never through a symlink) and says how many went: 1 then means one
 * could not be deleted. */
static int holds_traces(const char *dir, int clean)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    int found = 0, removed = 0;
    while (!found && (e = readdir(d))) {
        if (!strstr(e->d_name, ".trace"))
            continue;
        struct stat st;
        if (clean && fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISREG(st.st_mode) && unlinkat(dirfd(d), e->d_name, 0) == 0)
            removed++;
        else
            found = 1;
    }
    closedir(d);
    if (removed)
        fprintf(stderr, "mtrace-run: --clean-run-dir: deleted %d trace%s of an earlier run "
                "in %s\n", removed, removed == 1 ? "" : "s", dir);
    return found;
}

static int make_run_dir(const struct run_opts *o, const char *prog, char *abs, size_t cap)
{
    char dir[PATH_MAX];
    if (o->run_dir) {
        snprintf(dir, sizeof dir, "%s", o->run_dir);
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            fprintf(stderr, "mtrace-run: cannot create the run directory %s: %s\n", dir,
                    strerror(errno));
            return RUN_USAGE;
        }
        struct stat st;
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "mtrace-run: --run-dir %s: not a directory\n", dir);
            return RUN_USAGE;
        }
        if (holds_traces(dir, o->clean_run_dir)) {
            fprintf(stderr, "mtrace-run: the run directory %s already holds traces; give an "
                    "empty or new directory (a run's report covers every trace in it)%s\n", dir,
                    o->clean_run_dir ? ", and one could not be deleted" : ", or --clean-run-dir");
            return RUN_USAGE;
        }
    } else {
        char base[256];
        const char *b = strrchr(prog, '/');
        snprintf(base, sizeof base, "%.200s", b ? b + 1 : prog);
        for (char *c = base; *c; c++)
            if (*c == ' ' || *c == ':' || (unsigned char)*c < 0x20)
                *c = '_';
        int made = 0;
        for (int i = 0; i < 1000 && !made; i++) {
            if (i)
                snprintf(dir, sizeof dir, "mtrace-run.%s.%d.%d", base, (int)getpid(), i);
            else
                snprintf(dir, sizeof dir, "mtrace-run.%s.%d", base, (int)getpid());
            if (mkdir(dir, 0700) == 0)
                made = 1;
            else if (errno != EEXIST)
                break;
        }
        if (!made) {
            fprintf(stderr, "mtrace-run: cannot create the run directory %s: %s (use "
                    "--run-dir DIR)\n", dir, strerror(errno));
            return RUN_USAGE;
        }
    }
    if (!realpath(dir, abs)) {
        fprintf(stderr, "mtrace-run: %s: %s\n", dir, strerror(errno));
        return RUN_USAGE;
    }
    (void)cap;
    return 0;
}

/* LD_PRELOAD splits its list on spaces and colons. */
static int preload_safe(const char *p)
{
    return !strpbrk(p, " :\t\n");
}

/* ---- finding the traces of this run ---- */

/* Does name match the MTRACE_OUT name pattern (%p: digits, %e: anything
 * non-empty), optionally followed by ".N" (a later image of the pid)? */
static int name_matches(const char *pat, const char *name)
{
    if (!*pat) {
        if (!*name)
            return 1;
        if (*name != '.' || !name[1])
            return 0;
        for (name++; *name; name++)
            if (*name < '0' || *name > '9')
                return 0;
        return 1;
    }
    if (pat[0] == '%' && pat[1] == 'p') {
        const char *n = name;
        while (*n >= '0' && *n <= '9')
            if (name_matches(pat + 2, ++n))
                return 1;
        return 0;
    }
    if (pat[0] == '%' && pat[1] == 'e') {
        for (const char *n = name + 1; n <= name + strlen(name); n++)
            if (*name && name_matches(pat + 2, n))
                return 1;
        return 0;
    }
    return *pat == *name && name_matches(pat + 1, name + 1);
}

struct found {
    char *path;
    uint64_t pid, ppid;
    int in_run;
};

/* The traces in dir named like pat, started at or after since_ns, of the
 * process tree rooted at root.  Returns how many; *out to free. */
static size_t find_traces(const char *dir, const char *pat, pid_t root, uint64_t since_ns,
                          struct found **out)
{
    struct found *v = NULL;
    size_t n = 0, cap = 0;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!name_matches(pat, e->d_name))
            continue;
        char path[PATH_MAX + 256];
        int w = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (w < 0 || (size_t)w >= sizeof path)
            continue;
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            continue;
        struct mt_file_header h;
        ssize_t r = pread(fd, &h, sizeof h, 0);
        close(fd);
        if (r != (ssize_t)sizeof h || memcmp(h.magic, MT_FILE_MAGIC, 8) ||
            h.start_realtime_ns < since_ns)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            struct found *nv = realloc(v, cap * sizeof *nv);
            if (!nv)
                break;
            v = nv;
        }
        v[n].path = strdup(path);
        v[n].pid = h.pid;
        v[n].ppid = h.ppid;
        v[n].in_run = h.pid == (uint64_t)root;
        if (v[n].path)
            n++;
    }
    closedir(d);
    for (int changed = 1; changed; ) {
        changed = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n && !v[i].in_run; j++)
                if (v[j].in_run && (v[j].pid == v[i].ppid || v[j].pid == v[i].pid))
                    v[i].in_run = changed = 1;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i].in_run)
            v[k++] = v[i];
        else
            free(v[i].path);
    }
    *out = v;
    return k;
}

/* Could mtrace-report create path (NULL: nothing to check)?  0, or
 * RUN_USAGE with a message naming what it was for. */
static int check_writable(const char *what, const char *path)
{
    if (!path)
        return 0;
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    const char *dir = dirname(tmp);
    struct stat st;
    const char *why = NULL;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            why = "it is a directory";
        else if (access(path, W_OK) != 0)
            why = strerror(errno);
    } else if (stat(dir, &st) != 0) {
        why = errno == ENOENT ? "no such directory" : strerror(errno);
    } else if (!S_ISDIR(st.st_mode)) {
        why = "not a directory";
    } else if (access(dir, W_OK | X_OK) != 0) {
        why = strerror(errno);
    }
    if (!why)
        return 0;
    fprintf(stderr, "mtrace-run: cannot write %s to %s: %s\n", what, path, why);
    return RUN_USAGE;
}

static int wait_status(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return 127;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* --pack: mtrace-report --pack each trace into TRACE.zst, then remove the
 * trace; one that could not be packed stays as it is (mtrace-report said
 * why) and is reported unpacked. */
static void pack_traces(const char *reporter, const char *level, struct found *traces, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *argv[] = {reporter, "--pack", "--pack-level", level ? level : "3", "--",
                              traces[i].path, NULL};
        size_t len = strlen(traces[i].path) + 5;
        char *packed = malloc(len);
        if (!packed)
            return;
        snprintf(packed, len, "%s.zst", traces[i].path);
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            execv(reporter, (char *const *)argv);
            fprintf(stderr, "mtrace-run: cannot run %s: %s\n", reporter, strerror(errno));
            _exit(5);
        }
        if (pid < 0 || wait_status(pid) != 0) {
            fprintf(stderr, "mtrace-run: %s stays unpacked\n", traces[i].path);
            free(packed);
            continue;
        }
        if (unlink(traces[i].path) != 0)
            fprintf(stderr, "mtrace-run: cannot remove %s after packing it: %s\n",
                    traces[i].path, strerror(errno));
        free(traces[i].path);
        traces[i].path = packed;
    }
}

static int report_run(const struct run_opts *o, const char *reporter, const char *dir,
                      const char *pat, pid_t pid, uint64_t since, int prc);

int main(int argc, char **argv)
{
    struct run_opts o = {.report = 1, .mode = MTA_MODE_TEXT};
    int prog = 0;
    int rc = parse(argc, argv, &o, &prog);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (o.control_pid)
        return mta_run_control(o.control_pid, o.control_on);
    const char *pat = o.name_pattern ? o.name_pattern : "%e.%p.trace";
    int conversions = 0;
    for (const char *c = pat; (c = strchr(c, '%')); c++)
        conversions++;
    if (conversions > 4)
        return bad("-o NAME: at most 4 %%p/%%e in '%s'%s", pat, "");
    if (strchr(pat, '/'))
        return bad("-o NAME names the trace files inside the run directory; give the "
                   "directory with --run-dir, not '%s'%s", pat, "");
    /* the report's files must be writable before the program runs */
    if ((rc = check_writable("the report", o.output)) ||
        (rc = check_writable("the HTML page", o.html)) ||
        (rc = check_writable("the JUnit report", o.junit)) ||
        (rc = check_writable("the SARIF report", o.sarif)))
        return rc;
    char resolved[PATH_MAX];
    if (o.attach_pid) {
        char link[64];
        snprintf(link, sizeof link, "/proc/%d/exe", (int)o.attach_pid);
        ssize_t n = readlink(link, resolved, sizeof resolved - 1);
        resolved[n > 0 ? n : 0] = '\0';
        if (!resolved[0])
            snprintf(resolved, sizeof resolved, "pid%d", (int)o.attach_pid);
        char why[1024];
        if (mta_attach_refusal(o.attach_pid, why, sizeof why)) {
            fprintf(stderr, "mtrace-run: cannot attach: %s\n", why);
            return RUN_USAGE;
        }
    } else if ((rc = check_program(argv[prog], resolved, sizeof resolved))) {
        return rc;
    }
    char lib[PATH_MAX], reporter[PATH_MAX + 32], self[PATH_MAX];
    if (find_lib(lib, sizeof lib)) {
        fprintf(stderr, "mtrace-run: cannot find libmtrace.so next to %s; set MTRACE_LIB\n",
                argv[0]);
        return RUN_USAGE;
    }
    self_dir(self, sizeof self);
    snprintf(reporter, sizeof reporter, "%s/mtrace-report", self);
    if ((o.report || o.pack) && !exists(reporter)) {
        fprintf(stderr, "mtrace-run: cannot find mtrace-report next to mtrace-run (%s)\n",
                reporter);
        return RUN_USAGE;
    }
    char dir[PATH_MAX];
    if ((rc = make_run_dir(&o, resolved, dir, sizeof dir)))
        return rc;

    /* LD_PRELOAD cannot carry a path with a space or colon: load the shim
     * through a symlink in the run directory (or a private temporary one). */
    char preload_lib[PATH_MAX + 32], tmpdir[64] = "";
    char real_lib[PATH_MAX];
    if (!realpath(lib, real_lib))
        snprintf(real_lib, sizeof real_lib, "%s", lib);
    snprintf(preload_lib, sizeof preload_lib, "%s", real_lib);
    if (!preload_safe(real_lib)) {
        if (preload_safe(dir)) {
            snprintf(preload_lib, sizeof preload_lib, "%s/libmtrace.so", dir);
        } else {
            snprintf(tmpdir, sizeof tmpdir, "/tmp/mtrace-run.XXXXXX");
            if (!mkdtemp(tmpdir)) {
                fprintf(stderr, "mtrace-run: the path of libmtrace.so (%s) holds a space or "
                        "colon, which LD_PRELOAD cannot carry, and no temporary directory "
                        "could be made for a link to it: %s\n", real_lib, strerror(errno));
                return RUN_USAGE;
            }
            snprintf(preload_lib, sizeof preload_lib, "%s/libmtrace.so", tmpdir);
        }
        if (symlink(real_lib, preload_lib) != 0) {
            fprintf(stderr, "mtrace-run: cannot link %s to %s: %s\n", preload_lib, real_lib,
                    strerror(errno));
            return RUN_USAGE;
        }
    }
    char out[PATH_MAX * 2];
    snprintf(out, sizeof out, "%s/%s", dir, pat);
    if (o.attach_pid) {
        int arc = mta_run_attach(o.attach_pid, real_lib, out, o.duration, resolved);
        if (arc)
            return arc;
        return report_run(&o, reporter, dir, pat, o.attach_pid, 0, 0);
    }
    char preload[PATH_MAX * 4];
    const char *old = getenv("LD_PRELOAD");
    snprintf(preload, sizeof preload, "%s%s%s", preload_lib, old && *old ? ":" : "",
             old ? old : "");

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t since = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    since = since > 2000000000u ? since - 2000000000u : 0; /* clock steps */
    fflush(NULL);
    /* Like system(): Ctrl-C and Ctrl-\ go to the program; mtrace-run stays
     * to write the report of whatever it left. */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old_int, old_quit;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    pid_t pid = fork();
    if (pid < 0) {
        perror("mtrace-run: fork");
        return RUN_USAGE;
    }
    if (pid == 0) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        setenv("LD_PRELOAD", preload, 1);
        setenv("MTRACE_OUT", out, 1);
        execvp(argv[prog], argv + prog);
        fprintf(stderr, "mtrace-run: cannot run %s: %s\n", argv[prog], strerror(errno));
        _exit(errno == ENOENT ? 127 : 126);
    }
    int prc = wait_status(pid);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    if (tmpdir[0]) {
        unlink(preload_lib);
        rmdir(tmpdir);
    } else if (strcmp(preload_lib, real_lib)) {
        unlink(preload_lib);
    }

    return report_run(&o, reporter, dir, pat, pid, since, prc);
}

/* Finds the run's traces in dir, packs them (--pack) and runs the report;
 * the exit status of mtrace-run (prc: the program's own). */
static int report_run(const struct run_opts *op, const char *reporter_path, const char *dir,
                      const char *pat, pid_t pid, uint64_t since, int prc)
{
    struct run_opts o = *op;
    char *reporter = (char *)reporter_path;
    struct found *traces = NULL;
    size_t n = find_traces(dir, pat, pid, since, &traces);
    fprintf(stderr, "mtrace-run: %zu trace%s in %s\n", n, n == 1 ? "" : "s", dir);
    if (o.pack)
        pack_traces(reporter, o.pack_level, traces, n);
    if (!o.report || n == 0) {
        if (n == 0)
            fprintf(stderr, "mtrace-run: no trace was written in %s: the program ended before "
                    "libmtrace.so started, or it was not loaded (LD_PRELOAD removed, or an "
                    "untraceable program)\n", dir);
        for (size_t i = 0; i < n; i++)
            free(traces[i].path);
        free(traces);
        if (o.report && n == 0 && prc == 0)
            return RUN_INCONCLUSIVE;
        return prc;
    }
    char **rargv = calloc((size_t)o.nreport + n + 14, sizeof *rargv);
    if (!rargv) {
        fprintf(stderr, "mtrace-run: out of memory\n");
        return prc ? prc : 5;
    }
    int k = 0;
    rargv[k++] = reporter;
    rargv[k++] = (char *)"--run";
    for (int i = 0; i < o.nreport; i++)
        rargv[k++] = (char *)o.report_args[i];
    /* relative paths stay relative: mtrace-report runs in this directory */
    const char *files[][2] = {{"--output", o.output}, {"--html", o.html},
                              {"--junit", o.junit}, {"--sarif", o.sarif}};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (files[i][1]) {
            rargv[k++] = (char *)files[i][0];
            rargv[k++] = (char *)files[i][1];
        }
    if (o.annotations)
        rargv[k++] = (char *)"--github-annotations";
    rargv[k++] = (char *)"--";
    for (size_t i = 0; i < n; i++)
        rargv[k++] = traces[i].path;
    rargv[k] = NULL;
    fflush(NULL);
    pid_t rp = fork();
    if (rp == 0) {
        execv(reporter, rargv);
        fprintf(stderr, "mtrace-run: cannot run %s: %s\n", reporter, strerror(errno));
        _exit(5);
    }
    int rrc = rp < 0 ? 5 : wait_status(rp);
    for (size_t i = 0; i < n; i++)
        free(traces[i].path);
    free(traces);
    free(rargv);
    /* The program's own failure comes first; the report's verdict (gate 4,
     * inconclusive 6, unreadable traces) only when the program succeeded. */
    if (prc)
        return prc;
    return rrc;
}
