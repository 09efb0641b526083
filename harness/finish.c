/* finish: gates, reports and the exit code of a run. See finish.h. */
#include "finish.h"

#include <stdio.h>

#include "baseline.h"
#include "html.h"
#include "junit.h"
#include "markdown.h"
#include "measure.h"
#include "runview.h"

enum { EXIT_OK = 0, EXIT_CHECKS = 1, EXIT_USAGE = 2, EXIT_GATE = 3, EXIT_UNREACHABLE = 4 };

int finish_run(const finish_opts *o, const report_info *ri, const stats *st,
               const check_results *cr, const sched_result *res, cJSON **keep)
{
    gate_result gr[GATE_MAX];
    size_t ng = o->ngates < GATE_MAX ? o->ngates : GATE_MAX;
    measure_ctx m = {st, cr};
    int gates_failed = measure_gates(o->gates, ng, &m, gr);
    int checks_failed = 0;
    for (int i = 0; i < CHECK_COUNT; i++)
        checks_failed += cr->t[i].failed > 0;

    cJSON *r = report_json(ri, st, cr, res);
    if (!r) {
        fprintf(stderr, "wxai-harness: out of memory building the report\n");
        return EXIT_USAGE;
    }
    cJSON_AddBoolToObject(r, "partial", res->interrupted);
    /* the chart data (a thousand percentiles per histogram) goes only where a report is
     * read: written, compared with a baseline, or kept for a comparison */
    if (o->report_dir || o->baseline || keep) runview_add(r, st, cr);
    cJSON_AddItemToObject(r, "gates", measure_gates_json(gr, o->gates, ng));

    baseline_verdict bv = {0};
    int regressions = 0;
    if (o->baseline) {
        baseline_apply(r, o->baseline, o->baseline_path, o->tolerance, &bv);
        /* only what the baseline did not already have fails the run */
        checks_failed = bv.new_check_failures;
        gates_failed = bv.new_gate_failures;
        regressions = bv.regressions;
    }

    int code;
    if (res->input_failed)
        code = EXIT_USAGE;
    else if (res->unreachable)
        code = EXIT_UNREACHABLE;
    else if (res->interrupted)
        code = FINISH_EXIT_INTERRUPTED;
    else if (gates_failed || regressions)
        code = EXIT_GATE;
    else if (checks_failed)
        code = EXIT_CHECKS;
    else
        code = EXIT_OK;
    cJSON_AddNumberToObject(r, "exit_code", code);

    if (!o->quiet) {
        for (size_t i = 0; i < ng; i++)
            printf("Gate          %s %s\n", gr[i].verdict == GATE_PASS ? "pass" : "FAIL",
                   gr[i].message);
        if (o->baseline)
            printf("Baseline      %d new and %d known check failures, %d new and %d known gate "
                   "failures, %d regressions over %.1f%%\n",
                   bv.new_check_failures, bv.known_check_failures, bv.new_gate_failures,
                   bv.known_gate_failures, bv.regressions, o->tolerance * 100);
        if (res->interrupted) printf("Interrupted   the reports cover part of the traffic\n");
    }
    int wrote = 0;
    if (o->report_dir) {
        wrote = report_write(o->report_dir, r);
        /* each file on its own: a failure to write one does not lose the others */
        wrote |= junit_write(o->report_dir, r);
        wrote |= markdown_write(o->report_dir, r);
        wrote |= html_write(o->report_dir, r);
        if (!wrote && !o->quiet) printf("Report        %s/report.html\n", o->report_dir);
    }
    if (keep)
        *keep = r;
    else
        cJSON_Delete(r);
    if (wrote && code == EXIT_OK) code = EXIT_USAGE;
    return code;
}
