/* capture_error.h — for Check tests: run a function under omni_try with the
 * runtime's error report sent to a temporary file (omni_set_error_stream),
 * and return what it printed.  Shared by the unit tests that check runtime
 * error messages. */
#ifndef OMNI_TEST_CAPTURE_ERROR_H
#define OMNI_TEST_CAPTURE_ERROR_H

#include <stdio.h>
#include "omni.h"

void omni_set_error_stream(FILE *f); /* rt/rt_core.h */

/* Returns omni_try's result; the error text (NUL-terminated) is in out. */
static inline int capture_error(void (*fn)(void *), void *arg, char *out, size_t cap)
{
    FILE *tmp = tmpfile();
    omni_set_error_stream(tmp);
    int rc = omni_try(fn, arg);
    omni_set_error_stream(NULL);
    size_t n = 0;
    if (tmp) {
        fflush(tmp);
        rewind(tmp);
        n = fread(out, 1, cap - 1, tmp);
        fclose(tmp);
    }
    out[n] = 0;
    return rc;
}

#endif
