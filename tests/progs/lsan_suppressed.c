/* lsan_suppressed: leaks from leak_here() and says so in its own
 * __lsan_default_suppressions(), as a program built for LeakSanitizer
 * does; mtrace-run --fail-on-leaks must honour it.  With an argument
 * "other" it also leaks from leak_elsewhere(), which no rule covers. */
#include <stdlib.h>
#include <string.h>

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "# known leak\nleak:leak_here\n";
}

static void *volatile sink;

__attribute__((noinline)) static void leak_here(void)
{
    sink = malloc(100);
    sink = NULL;
}

__attribute__((noinline)) static void leak_elsewhere(void)
{
    sink = malloc(30);
    sink = NULL;
}

int main(int argc, char **argv)
{
    leak_here();
    if (argc > 1 && !strcmp(argv[1], "other"))
        leak_elsewhere();
    return 0;
}
