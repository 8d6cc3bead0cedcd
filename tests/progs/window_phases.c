/*
 * window_phases.c - a service that allocates a known count per phase, for
 * the dormant start (MTRACE_START=off, mtrace-run --start/--stop).
 *
 * usage: window_phases DIR PHASES
 *
 * For each phase k = 1..PHASES: waits until DIR/phaseK exists, then
 * phase_alloc(k): 10 * k blocks of 100 + k bytes; the even-numbered ones
 * are freed at once, the odd-numbered ones kept (in a global table) until
 * the end of the next phase; then writes DIR/doneK.  At the end waits until
 * DIR/end exists, frees what is left and exits 0.  Nothing else allocates between the phases (files
 * are probed with access/open, never stdio).
 */
#include <fcntl.h>

#include "prog_util.h"

#define MAX_KEEP 1024
static char *kept[2][MAX_KEEP];
static int nkept[2];

NOINLINE static void phase_alloc(int k)
{
    int slot = k & 1;
    for (int i = 0; i < nkept[slot]; i++)
        free(kept[slot][i]); /* the odd blocks of phase k - 2 */
    nkept[slot] = 0;
    for (int i = 0; i < 10 * k; i++) {
        char *p = malloc((size_t)(100 + k));
        if (!p)
            abort();
        p[0] = (char)i;
        escape(p);
        if (i % 2 == 0)
            free(p);
        else if (nkept[slot] < MAX_KEEP)
            kept[slot][nkept[slot]++] = p;
    }
}

static void touch(const char *dir, const char *name, int k)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s%d", dir, name, k);
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
}

static void wait_for(const char *dir, const char *name, int k)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s%d", dir, name, k);
    struct timespec ts = {0, 2000000};
    while (access(path, F_OK) != 0)
        nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    int phases = atoi(argv[2]);
    for (int k = 1; k <= phases; k++) {
        wait_for(argv[1], "phase", k);
        phase_alloc(k);
        touch(argv[1], "done", k);
    }
    wait_for(argv[1], "end", 0);
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < nkept[s]; i++)
            free(kept[s][i]);
    return 0;
}
