/* diag: a bounded list of "file:line:col: message" diagnostics.
 *
 * Loaders report every problem they find instead of stopping at the first,
 * so a user fixes a scenario in one pass. The list has a fixed cap; past it
 * one final "too many errors" entry stands for the rest. */
#ifndef WXAI_DIAG_H
#define WXAI_DIAG_H

#include <stddef.h>

#define DIAG_MAX 64

typedef struct diag {
    char *file;              /* owned copy of the file name shown in messages */
    char *msgs[DIAG_MAX];    /* owned, formatted "file:line:col: message" */
    size_t n;                /* entries in msgs */
    size_t dropped;          /* errors past the cap, counted not kept */
} diag;

/* Initialise d for messages about `file` (copied). Returns 0 or -1 on ENOMEM. */
int diag_init(diag *d, const char *file);
/* Free everything d owns; d may be NULL. */
void diag_free(diag *d);
/* Add "file:line:col: fmt..." (line and col 1-based; 0 omits them). */
void diag_add(diag *d, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Number of errors recorded, including dropped ones. */
size_t diag_count(const diag *d);
/* All messages joined with '\n' into a new string the caller frees. NULL on ENOMEM. */
char *diag_join(const diag *d);

#endif
