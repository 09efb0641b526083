/* progress: one line on a terminal while a run goes (records done, rate, errors, elapsed,
 * ETA), rewritten in place. Quiet unless the output is a terminal. */
#ifndef WXAI_PROGRESS_H
#define WXAI_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

#include "stats.h"

typedef struct progress {
    FILE *out;           /* NULL: quiet */
    uint64_t total;      /* records expected, 0: unknown */
    int64_t duration_us; /* --duration, 0: none */
    int shown;           /* a line is on the screen */
} progress;

/* Set p up to write to out when out is a terminal and quiet is 0. traffic_path: the traffic
 * file, whose records are counted (progress_count_records) only when the line will show;
 * duration_ms: --duration or 0. */
void progress_init(progress *p, FILE *out, int quiet, const char *traffic_path,
                   int64_t duration_ms);
/* The sched tick: redraw the line (ud is the progress). */
void progress_tick(void *ud, const stats *st, int64_t elapsed_us);
/* Erase the line so the summary starts on a clean one. */
void progress_done(progress *p);
/* Records in a traffic file: lines that are neither blank nor '#' comments, read in chunks
 * (fixed memory). 0 when it cannot be read or is not a regular file. */
uint64_t progress_count_records(const char *path);

#endif
