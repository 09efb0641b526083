/* junit: junit.xml from report.json. See junit.h. */
#include "junit.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "baseline.h"
#include "json.h"
#include "report.h"

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *str(const cJSON *o, const char *k)
{
    const char *s = json_string(o, k);
    return s ? s : "";
}

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
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(c, "examples"))
    {
        const char *eep = json_string(e, "endpoint");
        if (eep && strcmp(eep, ep)) continue;
        if (shown++ == JUNIT_EXAMPLES) break;
        char line[48];
        snprintf(line, sizeof line, "%.0f", num(e, "line"));
        svg_printf(b, "record ");
        svg_escape(b, str(e, "record_id"));
        svg_printf(b, " (traffic line %s)\n  expected: ", line);
        svg_escape(b, str(e, "expected"));
        svg_printf(b, "\n  seen:     ");
        svg_escape(b, str(e, "seen"));
        if (json_string(e, "curl")) {
            svg_printf(b, "\n  reproduce:\n    ");
            svg_escape_text(b, str(e, "curl"));
        }
        svg_printf(b, "\n\n");
    }
}

static void check_suite(svg_buf *b, const cJSON *report, const cJSON *c)
{
    const char *name = str(c, "name");
    const cJSON *be = cJSON_GetObjectItemCaseSensitive(c, "by_endpoint");
    int enabled = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "enabled"));
    int tests = 0, failures = 0, skipped = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, be)
    {
        tests++;
        if (num(e, "failed") > 0) {
            if (baseline_known(report, "check", name, str(e, "endpoint")))
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
        const char *ep = str(e, "endpoint");
        double failed = num(e, "failed"), passed = num(e, "passed");
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
    const cJSON *gates = cJSON_GetObjectItemCaseSensitive(report, "gates");
    int tests = 0, failures = 0, skipped = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, gates)
    {
        tests++;
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g, "passed"))) {
            if (baseline_known(report, "gate", str(g, "expr"), NULL))
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
        attr(b, "name", str(g, "expr"));
        svg_printf(b, " classname=\"gates\" time=\"0\">");
        int passed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g, "passed"));
        int known = !passed && baseline_known(report, "gate", str(g, "expr"), NULL);
        /* the observed value is worth seeing on a passing gate too */
        if (!passed) {
            svg_printf(b, "<%s", known ? "skipped" : "failure");
            attr(b, "message", str(g, "message"));
            if (!known) attr(b, "type", "gate");
            svg_printf(b, "/>");
        }
        svg_printf(b, "<system-out>");
        svg_escape(b, str(g, "message"));
        svg_printf(b, "</system-out></testcase>\n");
    }
    svg_printf(b, "  </testsuite>\n");
}

static void baseline_suite(svg_buf *b, const cJSON *report)
{
    const cJSON *bl = cJSON_GetObjectItemCaseSensitive(report, "baseline");
    if (!bl) return;
    const cJSON *regs = cJSON_GetObjectItemCaseSensitive(bl, "regressions");
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
                 str(r, "figure"), num(r, "baseline"), num(r, "current"), num(r, "change") * 100,
                 num(bl, "tolerance") * 100);
        svg_printf(b, "    <testcase");
        attr(b, "name", str(r, "figure"));
        svg_printf(b, " classname=\"baseline\" time=\"0\"><failure type=\"regression\"");
        attr(b, "message", msg);
        svg_printf(b, "/></testcase>\n");
    }
    svg_printf(b, "  </testsuite>\n");
}

int junit_render(svg_buf *b, const cJSON *report)
{
    double secs = num(cJSON_GetObjectItemCaseSensitive(report, "totals"), "duration_us") / 1e6;
    svg_printf(b,
               "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"wxai-harness\" "
               "time=\"%.3f\">\n",
               secs);
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(report, "checks"))
        check_suite(b, report, c);
    gate_suite(b, report);
    baseline_suite(b, report);
    svg_printf(b, "</testsuites>\n");
    return b->full ? -1 : 0;
}

int junit_write(const char *dir, const cJSON *report)
{
    svg_buf b;
    if (svg_buf_init(&b, JUNIT_MAX_BYTES) != SVG_OK) return -1;
    int rc = junit_render(&b, report);
    if (rc != 0)
        fprintf(stderr, "wxai-harness: junit.xml larger than %u bytes\n", JUNIT_MAX_BYTES);
    else
        rc = report_write_text(dir, "junit.xml", b.data, b.len);
    svg_buf_free(&b);
    return rc;
}
