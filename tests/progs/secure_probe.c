/*
 * secure_probe.c - says whether it runs in secure-execution mode.
 *
 * usage: secure_probe
 * Prints "AT_SECURE=V euid=E" to stderr (V from getauxval), makes one
 * malloc/free pair, exits 0.  Built twice: secure_probe, and
 * secure_probe_linked, which links libmtrace.so directly (absolute RUNPATH)
 * so that the shim is loaded even where the loader ignores LD_PRELOAD.
 */
#include "prog_util.h"

#include <sys/auxv.h>

int main(void)
{
    say(2, "AT_SECURE=%lu euid=%d\n", getauxval(AT_SECURE), (int)geteuid());
    char *p = malloc(64);
    escape(p);
    free(p);
    return 0;
}
