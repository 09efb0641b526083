/* junit: junit.xml from report.json. See junit.h. */
#include "junit.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "baseline.h"
#include "json.h"
#include "report.h"

static void attr(svg_buf *b, const char *name, const char *value)
{
    svg_printf(b, " %s=\"", name);
    svg_escape(b, value);
    svg_printf(b, "\"");
}

/* The failing examples of check c on endpoint ep, as the failure's text. */
static void examples(svg_buf *b, const cJSON *c, const char *ep)
{
    int shown = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, json_obj(c, "examples"))
    {
        const char *eep = json_string(e, "endpoint");
        if (eep && strcmp(eep, ep)) continue;
        if (shown++ == JUNIT_EXAMPLES) break;
        char line[48];
        snprintf(line, sizeof line, "%.0f", json_num(e, "line", 0));
        svg_printf(b, "record ");
        svg_escape(b, json_str_or(e, "record_id", ""));
        svg_printf(b, " (traffic line %s)\n  expected: ", line);
        svg_escape(b, json_str_or(e, "expected", ""));
        svg_printf(b, "\n  seen:     ");
        svg_escape(b, json_str_or(e, "seen", ""));
        if (json_string(e, "curl")) {
            svg_printf(b, "\n  reproduce:\n    ");
            svg_escape_text(b, json_str_or(e, "curl", ""));
        }
        svg_printf(b, "\n\n");
    }
}

static void check_suite(svg_buf *b, const cJSON *report, const cJSON *c)
{
    const char *name = json_str_or(c, "name", "");
    const cJSON *be = json_obj(c, "by_endpoint");
    int enabled = cJSON_IsTrue(json_obj(c, "enabled"));
    int tests = 0, failures = 0, skipped = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, be)
    {
        tests++;
        if (json_num(e, "failed", 0) > 0) {
            if (baseline_known(report, "check", name, json_str_or(e, "endpoint", "")))
                skipped++;
            else
                failures++;
        }
    }
    if (!tests) {
        /* a check that never applied (or is off) is still listed, as skipped */
        tests = skipped = 1;
    }
    char suite[96];
    snprintf(suite, sizeof suite, "checks.%s", name);
    svg_printf(b, "  <testsuite");
    attr(b, "name", suite);
    svg_printf(b, " tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\" time=\"0\">\n", tests,
               failures, skipped);
    if (!cJSON_GetArraySize(be)) {
        svg_printf(b, "    <testcase");
        attr(b, "name", name);
        svg_printf(b, " classname=\"all\" time=\"0\"><skipped message=\"%s\"/></testcase>\n",
                   enabled ? "the check applied to no exchange" : "the check is not enabled");
    }
    cJSON_ArrayForEach(e, be)
    {
        const char *ep = json_str_or(e, "endpoint", "");
        double failed = json_num(e, "failed", 0), passed = json_num(e, "passed", 0);
        svg_printf(b, "    <testcase");
        attr(b, "name", name);
        attr(b, "classname", ep);
        svg_printf(b, " time=\"0\"");
        if (!(failed > 0)) {
            svg_printf(b, "/>\n");
            continue;
        }
        char msg[200];
        snprintf(msg, sizeof msg, "%.0f of %.0f %s failed %s", failed, failed + passed, ep, name);
        int known = baseline_known(report, "check", name, ep);
        svg_printf(b, ">\n      <%s", known ? "skipped" : "failure");
        if (known) {
            char km[260];
            snprintf(km, sizeof km, "already failing in the baseline: %s", msg);
            attr(b, "message", km);
        } else {
            attr(b, "message", msg);
            attr(b, "type", name);
        }
        svg_printf(b, ">");
        examples(b, c, ep);
        svg_printf(b, "</%s>\n    </testcase>\n", known ? "skipped" : "failure");
    }
    svg_printf(b, "  </testsuite>\n");
}

static void gate_suite(svg_buf *b, const cJSON *report)
{
    const cJSON *gates = json_obj(report, "gates");
    int tests = 0, failures = 0, skipped = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, gates)
    {
        tests++;
        if (!cJSON_IsTrue(json_obj(g, "passed"))) {
            if (baseline_known(report, "gate", json_str_or(g, "expr", ""), NULL))
                skipped++;
            else
                failures++;
        }
    }
    if (!tests) return;
    svg_printf(b,
               "  <testsuite name=\"gates\" tests=\"%d\" failures=\"%d\" errors=\"0\" "
               "skipped=\"%d\" time=\"0\">\n",
               tests, failures, skipped);
    cJSON_ArrayForEach(g, gates)
    {
        svg_printf(b, "    <testcase");
        attr(b, "name", json_str_or(g, "expr", ""));
        svg_printf(b, " classname=\"gates\" time=\"0\">");
        int passed = cJSON_IsTrue(json_obj(g, "passed"));
        int known = !passed && baseline_known(report, "gate", json_str_or(g, "expr", ""), NULL);
        /* the observed value is worth seeing on a passing gate too */
        if (!passed) {
            svg_printf(b, "<%s", known ? "skipped" : "failure");
            attr(b, "message", json_str_or(g, "message", ""));
            if (!known) attr(b, "type", "gate");
            svg_printf(b, "/>");
        }
        svg_printf(b, "<system-out>");
        svg_escape(b, json_str_or(g, "message", ""));
        svg_printf(b, "</system-out></testcase>\n");
    }
    svg_printf(b, "  </testsuite>\n");
}

static void baseline_suite(svg_buf *b, const cJSON *report)
{
    const cJSON *bl = json_obj(report, "baseline");
    if (!bl) return;
    const cJSON *regs = json_obj(bl, "regressions");
    int n = cJSON_GetArraySize(regs);
    svg_printf(b,
               "  <testsuite name=\"baseline\" tests=\"%d\" failures=\"%d\" errors=\"0\" "
               "time=\"0\">\n",
               n ? n : 1, n);
    if (!n) svg_printf(b, "    <testcase name=\"no regression\" classname=\"baseline\"/>\n");
    const cJSON *r;
    cJSON_ArrayForEach(r, regs)
    {
        char msg[300];
        snprintf(msg, sizeof msg, "%s: %.6g in the baseline, %.6g now (%+.1f%%, tolerance %.1f%%)",
                 json_str_or(r, "figure", ""), json_num(r, "baseline", 0),
                 json_num(r, "current", 0), json_num(r, "change", 0) * 100,
                 json_num(bl, "tolerance", 0) * 100);
        svg_printf(b, "    <testcase");
        attr(b, "name", json_str_or(r, "figure", ""));
        svg_printf(b, " classname=\"baseline\" time=\"0\"><failure type=\"regression\"");
        attr(b, "message", msg);
        svg_printf(b, "/></testcase>\n");
    }
    svg_printf(b, "  </testsuite>\n");
}

int junit_render(svg_buf *b, const cJSON *report)
{
    double secs = json_num(json_obj(report, "totals"), "duration_us", 0) / 1e6;
    svg_printf(b,
               "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"wxai-harness\" "
               "time=\"%.3f\">\n",
               secs);
    const cJSON *c;
    cJSON_ArrayForEach(c, json_obj(report, "checks")) check_suite(b, report, c);
    gate_suite(b, report);
    baseline_suite(b, report);
    svg_printf(b, "</testsuites>\n");
    return b->full ? -1 : 0;
}

int junit_write(const char *dir, const cJSON *report)
{
    return report_write_rendered(dir, "junit.xml", JUNIT_MAX_BYTES, junit_render, report);
}
