/* mtrace-run [options] -- PROGRAM [ARGS...]
 *
 * Runs PROGRAM with libmtrace.so preloaded, then prints the report of its
 * trace.  Finds libmtrace.so next to itself: ../lib/libmtrace.so when
 * installed, ../preload/libmtrace.so in the build tree, or MTRACE_LIB. */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: mtrace-run [-o PATTERN] [--no-report] [REPORT OPTIONS] -- PROGRAM [ARGS...]\n"
            "  -o PATTERN     trace path (MTRACE_OUT syntax; default mtrace.%%e.%%p.trace)\n"
            "  --no-report    only trace; do not run mtrace-report afterwards\n"
            "  other options before -- are passed to mtrace-report (e.g. --sources,\n"
            "  --json, --fail-on-leaks)\n"
            "exit status: the program's, or mtrace-report's when that is non-zero\n");
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
    const char *tries[] = {"%s/../lib/libmtrace.so", "%s/../preload/libmtrace.so",
                           "%s/../lib/x86_64-linux-gnu/libmtrace.so"};
    for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
        snprintf(out, cap, tries[i], dir);
        if (exists(out))
            return 0;
    }
    return -1;
}

int main(int argc, char **argv)
{
    const char *pattern = NULL;
    int report = 1, sep = -1;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--")) {
            sep = i;
            break;
        }
    if (sep < 0 || sep + 1 >= argc) {
        usage(stderr);
        return 1;
    }
    char *report_args[64];
    int nreport = 0;
    for (int i = 1; i < sep; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < sep)
            pattern = argv[++i];
        else if (!strcmp(argv[i], "--no-report"))
            report = 0;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (nreport < 60)
            report_args[nreport++] = argv[i];
    }
    char lib[PATH_MAX];
    if (find_lib(lib, sizeof lib)) {
        fprintf(stderr, "mtrace-run: cannot find libmtrace.so next to %s; set MTRACE_LIB\n",
                argv[0]);
        return 1;
    }
    /* A unique pattern so we can find the traces afterwards. */
    char out[PATH_MAX];
    if (pattern)
        snprintf(out, sizeof out, "%s", pattern);
    else
        snprintf(out, sizeof out, "mtrace.%%e.%%p.trace");
    char preload[PATH_MAX * 2];
    const char *old = getenv("LD_PRELOAD");
    snprintf(preload, sizeof preload, "%s%s%s", lib, old && *old ? ":" : "", old ? old : "");
    pid_t pid = fork();
    if (pid < 0) {
        perror("mtrace-run: fork");
        return 1;
    }
    if (pid == 0) {
        setenv("LD_PRELOAD", preload, 1);
        setenv("MTRACE_OUT", out, 1);
        execvp(argv[sep + 1], argv + sep + 1);
        fprintf(stderr, "mtrace-run: cannot run %s: %s\n", argv[sep + 1], strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (!report)
        return rc;
    /* The program's own trace: %p is its pid, %e its name as the kernel saw it. */
    char expect[PATH_MAX], pidbuf[32];
    snprintf(pidbuf, sizeof pidbuf, "%d", (int)pid);
    size_t o = 0;
    for (const char *p = out; *p && o + 32 < sizeof expect; p++) {
        if (p[0] == '%' && p[1] == 'p') {
            o += (size_t)snprintf(expect + o, sizeof expect - o, "%s", pidbuf);
            p++;
        } else if (p[0] == '%' && p[1] == 'e') {
            expect[o++] = '*';
            p++;
        } else {
            expect[o++] = *p;
        }
    }
    expect[o] = '\0';
    glob_t g;
    if (glob(expect, 0, NULL, &g) != 0 || g.gl_pathc == 0) {
        fprintf(stderr, "mtrace-run: no trace matching %s was written\n", expect);
        return rc ? rc : 1;
    }
    char dir[PATH_MAX], reporter[PATH_MAX + 32];
    self_dir(dir, sizeof dir);
    snprintf(reporter, sizeof reporter, "%s/mtrace-report", dir);
    if (!exists(reporter))
        snprintf(reporter, sizeof reporter, "%s/../analyzer/mtrace-report", dir);
    char *rargv[70];
    int n = 0;
    rargv[n++] = reporter;
    for (int i = 0; i < nreport; i++)
        rargv[n++] = report_args[i];
    rargv[n++] = g.gl_pathv[0];
    rargv[n] = NULL;
    fflush(stdout);
    pid_t rp = fork();
    if (rp == 0) {
        execv(reporter, rargv);
        fprintf(stderr, "mtrace-run: cannot run %s: %s\n", reporter, strerror(errno));
        _exit(127);
    }
    int rstatus;
    while (waitpid(rp, &rstatus, 0) < 0 && errno == EINTR)
        ;
    globfree(&g);
    int rrc = WIFEXITED(rstatus) ? WEXITSTATUS(rstatus) : 1;
    return rrc ? rrc : rc;
}
