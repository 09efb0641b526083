/* report: what a run tells its reader: a summary on stdout in the layout of
 * Vegeta's text report plus a checks table, and report.json (version 1),
 * written atomically (temporary file, then rename) so a CI job never reads
 * half a report. */
#ifndef WXAI_REPORT_H
#define WXAI_REPORT_H

#include <stdio.h>

#include "checks.h"
#include "policy.h"
#include "sched.h"
#include "stats.h"
#include "svg.h"

typedef struct report_info {
    const char *scenario_path;
    const char *scenario_name;
    char scenario_sha256[65];
    const char *traffic_path;
    char traffic_sha256[65];
    const char *target; /* URL talked to */
    int embedded;       /* the mock ran in-process */
    unsigned long long seed;
    const char *currency;
    const sched_opts *workload;
    const policy_opts *policy;
} report_info;

/* Print the summary to f. */
void report_text(FILE *f, const report_info *ri, const stats *st, const check_results *cr,
                 const sched_result *res);
/* The report as a JSON tree the caller frees (cJSON_Delete); NULL on ENOMEM. */
cJSON *report_json(const report_info *ri, const stats *st, const check_results *cr,
                   const sched_result *res);
/* Write dir/report.json atomically (dir is created if missing). Returns 0, or -1 with a
 * message on stderr. */
int report_write(const char *dir, const cJSON *report);
/* Write len bytes of text to dir/name atomically (temporary file, fsync, rename; dir is
 * created if missing). Returns 0, or -1 with a message on stderr. */
int report_write_text(const char *dir, const char *name, const char *text, size_t len);
/* j pretty-printed with a final newline, as report.json and compare.json are written; the
 * caller frees it. NULL on ENOMEM. */
char *report_json_text(const cJSON *j);
/* Render report with render into a buffer of at most cap bytes and write it to dir/name
 * atomically. Returns 0, or -1 with a message on stderr (also when it does not fit). */
int report_write_rendered(const char *dir, const char *name, unsigned cap,
                          int (*render)(svg_buf *, const cJSON *), const cJSON *report);

#endif
