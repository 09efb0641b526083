/* The directory both parser fuzzers need, loaded once (from the repository root,
 * where run.sh runs them). Aborts when it cannot be read: a fuzzer without it
 * would only exercise the error path. */
#ifndef WXAI_FUZZ_DIRECTORY_H
#define WXAI_FUZZ_DIRECTORY_H

#include <stdio.h>
#include <stdlib.h>

#include "diag.h"
#include "directory.h"

#ifndef FUZZ_DIRECTORY
#define FUZZ_DIRECTORY "fixtures/directory.yaml"
#endif

static directory *fuzz_directory(const char *who)
{
    diag d;
    directory *dir = NULL;
    diag_init(&d, FUZZ_DIRECTORY);
    if (directory_load(FUZZ_DIRECTORY, &d, &dir) != 0) {
        fprintf(stderr, "%s: cannot load %s\n", who, FUZZ_DIRECTORY);
        abort();
    }
    diag_free(&d);
    return dir;
}

#endif
