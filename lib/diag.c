/* diag: a bounded list of "file:line:col: message" diagnostics. */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One message is a line for a human; anything longer is cut rather than grown. */
#define DIAG_MSG_CAP 1024

int diag_init(diag *d, const char *file)
{
    memset(d, 0, sizeof *d);
    d->file = strdup(file ? file : "<memory>");
    return d->file ? 0 : -1;
}

void diag_free(diag *d)
{
    if (!d) return;
    for (size_t i = 0; i < d->n; i++)
        free(d->msgs[i]);
    free(d->file);
    memset(d, 0, sizeof *d);
}

static void diag_push(diag *d, char *msg)
{
    if (d->n < DIAG_MAX - 1) {
        d->msgs[d->n++] = msg;
        return;
    }
    /* The last slot is reserved for the summary so the cap is never exceeded. */
    free(msg);
    d->dropped++;
    char *sum = malloc(64);
    if (!sum) return;
    snprintf(sum, 64, "too many errors (%zu more not shown)", d->dropped);
    if (d->n == DIAG_MAX) {
        free(d->msgs[DIAG_MAX - 1]);
        d->msgs[DIAG_MAX - 1] = sum;
    } else {
        d->msgs[d->n++] = sum;
    }
}

void diag_add(diag *d, int line, int col, const char *fmt, ...)
{
    if (!d) return;
    char body[DIAG_MSG_CAP];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);

    const char *file = d->file ? d->file : "<memory>";
    size_t cap = strlen(file) + strlen(body) + 48;
    char *msg = malloc(cap);
    if (!msg) {
        d->dropped++;
        return;
    }
    if (line > 0 && col > 0)
        snprintf(msg, cap, "%s:%d:%d: %s", file, line, col, body);
    else if (line > 0)
        snprintf(msg, cap, "%s:%d: %s", file, line, body);
    else
        snprintf(msg, cap, "%s: %s", file, body);
    diag_push(d, msg);
}

size_t diag_count(const diag *d)
{
    if (!d) return 0;
    /* The summary entry is not an error of its own; dropped ones are. */
    size_t n = d->n;
    if (d->dropped && n > 0) n--;
    return n + d->dropped;
}

char *diag_join(const diag *d)
{
    size_t total = 1;
    size_t n = d ? d->n : 0;
    for (size_t i = 0; i < n; i++)
        total += strlen(d->msgs[i]) + 1;
    char *out = malloc(total);
    if (!out) return NULL;
    char *p = out;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(d->msgs[i]);
        memcpy(p, d->msgs[i], l);
        p += l;
        if (i + 1 < n) *p++ = '\n';
    }
    *p = '\0';
    return out;
}
