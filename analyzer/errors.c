/* Error reporting for the analyzer: one formatted message and an exit code
 * (errors.h) carried back to main() in a struct mta_error (trace.h). */
#include <stdio.h>

#include "errors.h"
#include "trace.h"

void mta_set_error(struct mta_error *err, int code, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        err->msg[0] = '\0';
    err->code = code;
}
