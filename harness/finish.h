/* finish: the end of a run: gates evaluated, report.json completed (gates, chart data,
 * baseline, "partial", "exit_code"), every report file written, gate and baseline lines on
 * stdout, and the exit code.
 *
 * Exit codes (DESIGN.md): 2 the input failed (--strict), 4 the target is unreachable,
 * 130 the run was interrupted (SIGINT/SIGTERM; the reports are still written, marked
 * partial), 3 a gate failed or a figure regressed against the baseline, 1 a check
 * failed, 0 all passed. When both a gate and a check failed the gate wins (3), as in
 * compare: the gates are the condition the CI job asked for; the checks table and
 * junit.xml still list every failed check. With --baseline only new failures count. */
#ifndef WXAI_FINISH_H
#define WXAI_FINISH_H

#include <cjson/cJSON.h>

#include "checks.h"
#include "gate.h"
#include "report.h"
#include "sched.h"
#include "stats.h"

#define FINISH_EXIT_INTERRUPTED 130

typedef struct finish_opts {
    const char *report_dir; /* NULL: no files */
    const gate_expr *gates;
    size_t ngates;
    const cJSON *baseline; /* a previous report.json, or NULL */
    const char *baseline_path;
    double tolerance; /* fraction: 0.10 */
    int quiet;        /* no gate/baseline lines on stdout */
} finish_opts;

/* Finish the run. When keep is not NULL *keep gets the completed report (caller frees with
 * cJSON_Delete). Returns the exit code. */
int finish_run(const finish_opts *o, const report_info *ri, const stats *st,
               const check_results *cr, const sched_result *res, cJSON **keep);

#endif
