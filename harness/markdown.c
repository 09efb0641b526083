/* markdown: report.md from report.json. See markdown.h. */
#include "markdown.h"

#include <stdio.h>
#include <string.h>

#include "baseline.h"
#include "json.h"
#include "report.h"

/* A table cell: pipes escaped, line breaks flattened, so the table stays one row. */
static void cell(svg_buf *b, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            svg_printf(b, "\\|");
        else if (*s == '\n' || *s == '\r')
            svg_printf(b, " ");
        else
            svg_printf(b, "%c", *s);
    }
}

static void ms(svg_buf *b, double us)
{
    svg_printf(b, "%.1f ms", us / 1000.0);
}

static void money(svg_buf *b, double micros, const char *cur)
{
    svg_printf(b, "%.4f %s", micros / 1e6, cur);
}

static void verdict(svg_buf *b, const cJSON *r)
{
    int code = (int)json_num(r, "exit_code", 0);
    const char *what = code == 0   ? "✅ passed"
                       : code == 1 ? "❌ a check failed"
                       : code == 3 ? "❌ a gate failed"
                       : code == 4 ? "❌ target unreachable"
                                   : "❌ failed";
    svg_printf(b, "## wxai-harness: %s (exit %d)%s\n\n", what, code,
               cJSON_IsTrue(json_obj(r, "partial")) ? " — **partial run (interrupted)**" : "");
    const cJSON *in = json_obj(r, "inputs");
    svg_printf(b, "Scenario `");
    cell(b, json_str_or(json_obj(in, "scenario"), "name", ""));
    svg_printf(b, "` · traffic `");
    cell(b, json_str_or(json_obj(in, "traffic"), "path", ""));
    svg_printf(b, "` · target `");
    cell(b, json_str_or(json_obj(r, "target"), "url", ""));
    svg_printf(b, "` · policy `%s` · seed %s\n\n", json_str_or(json_obj(r, "policy"), "name", ""),
               json_str_or(r, "seed", ""));
    const cJSON *t = json_obj(r, "totals");
    svg_printf(b,
               "**%.0f** records, **%.0f** requests in %.1f s (%.1f/s), success ratio "
               "%.2f%%, %.0f retries, %.0f bad lines\n\n",
               json_num(t, "records", 0), json_num(t, "requests", 0),
               json_num(t, "duration_us", 0) / 1e6, json_num(t, "rate", 0),
               json_num(t, "success_ratio", 0) * 100, json_num(t, "retries", 0),
               json_num(t, "bad_lines", 0));
}

static void gates(svg_buf *b, const cJSON *r)
{
    const cJSON *gs = json_obj(r, "gates");
    if (!cJSON_GetArraySize(gs)) return;
    svg_printf(b, "### Gates\n\n| gate | observed | result |\n| --- | --- | --- |\n");
    const cJSON *g;
    cJSON_ArrayForEach(g, gs)
    {
        int passed = cJSON_IsTrue(json_obj(g, "passed"));
        svg_printf(b, "| `");
        cell(b, json_str_or(g, "expr", ""));
        svg_printf(b, "` | ");
        cell(b, json_str_or(g, "observed_text", ""));
        svg_printf(b, " | %s |\n",
                   passed ? "✅ pass"
                   : baseline_known(r, "gate", json_str_or(g, "expr", ""), NULL)
                       ? "⚠️ fail (known in baseline)"
                       : "❌ fail");
    }
    svg_printf(b, "\n");
}

static void checks(svg_buf *b, const cJSON *r)
{
    svg_printf(
        b, "### Checks\n\n| check | passed | failed | skipped |\n| --- | ---: | ---: | ---: |\n");
    const cJSON *c;
    cJSON_ArrayForEach(c, json_obj(r, "checks"))
    {
        if (!cJSON_IsTrue(json_obj(c, "enabled"))) continue;
        svg_printf(b, "| %s`%s`%s | %.0f | %.0f | %.0f |\n",
                   json_num(c, "failed", 0) > 0 ? "❌ " : "", json_str_or(c, "name", ""), "",
                   json_num(c, "passed", 0), json_num(c, "failed", 0), json_num(c, "skipped", 0));
    }
    svg_printf(b, "\n");
    cJSON_ArrayForEach(c, json_obj(r, "checks"))
    {
        if (!(json_num(c, "failed", 0) > 0)) continue;
        const cJSON *e = cJSON_GetArrayItem(json_obj(c, "examples"), 0);
        svg_printf(b, "<details><summary><code>%s</code>: %.0f failed", json_str_or(c, "name", ""),
                   json_num(c, "failed", 0));
        const cJSON *be;
        cJSON_ArrayForEach(be, json_obj(c, "by_endpoint"))
        {
            if (!(json_num(be, "failed", 0) > 0)) continue;
            svg_printf(b, " · %s %.0f%s", json_str_or(be, "endpoint", ""),
                       json_num(be, "failed", 0),
                       baseline_known(r, "check", json_str_or(c, "name", ""),
                                      json_str_or(be, "endpoint", ""))
                           ? " (known)"
                           : "");
        }
        svg_printf(b, "</summary>\n\n");
        if (e) {
            svg_printf(b, "Record `");
            cell(b, json_str_or(e, "record_id", ""));
            svg_printf(b, "` (line %.0f): expected ", json_num(e, "line", 0));
            cell(b, json_str_or(e, "expected", ""));
            svg_printf(b, ", seen ");
            cell(b, json_str_or(e, "seen", ""));
            svg_printf(b, "\n\n");
            if (json_string(e, "curl")) {
                /* a fence longer than any run of backticks in the command cannot be closed
                 * by it */
                svg_printf(b, "````sh\n%s\n````\n\n", json_str_or(e, "curl", ""));
            }
        }
        svg_printf(b, "</details>\n\n");
    }
}

static void latency(svg_buf *b, const cJSON *r)
{
    svg_printf(b, "### Latency (corrected for coordinated omission)\n\n| endpoint | requests | p50 "
                  "| p95 | p99 | max | p99 uncorrected |\n| --- | ---: | ---: | ---: | ---: | ---: "
                  "| ---: |\n");
    const cJSON *lat = json_obj(r, "latency");
    const cJSON *ep;
    const cJSON *all = json_obj(lat, "overall");
    const cJSON *rows[1 + 16];
    const char *names[1 + 16];
    int n = 0;
    rows[n] = all;
    names[n++] = "**all**";
    cJSON_ArrayForEach(ep, json_obj(lat, "endpoints"))
    {
        if (n == 17) break;
        rows[n] = ep;
        names[n++] = ep->string;
    }
    for (int i = 0; i < n; i++) {
        const cJSON *c = json_obj(rows[i], "corrected"), *u = json_obj(rows[i], "uncorrected");
        svg_printf(b, "| ");
        cell(b, names[i]);
        svg_printf(b, " | %.0f | ", json_num(c, "count", 0));
        ms(b, json_num(c, "p50_us", 0));
        svg_printf(b, " | ");
        ms(b, json_num(c, "p95_us", 0));
        svg_printf(b, " | ");
        ms(b, json_num(c, "p99_us", 0));
        svg_printf(b, " | ");
        ms(b, json_num(c, "max_us", 0));
        svg_printf(b, " | ");
        ms(b, json_num(u, "p99_us", 0));
        svg_printf(b, " |\n");
    }
    svg_printf(b, "\n");
}

static void cost(svg_buf *b, const cJSON *r)
{
    const cJSON *c = json_obj(r, "cost"), *o = json_obj(r, "outcomes"),
                *a = json_obj(r, "accuracy");
    const char *cur = json_str_or(c, "currency", "");
    svg_printf(b, "### Cost and outcomes\n\nTotal **");
    money(b, json_num(c, "total_micros", 0), cur);
    svg_printf(b, "**, per 1,000 records ");
    money(b, json_num(c, "per_1000_requests_micros", 0), cur);
    svg_printf(b, ", cache savings ");
    money(b, json_num(c, "cache_savings_micros", 0), cur);
    svg_printf(b, ". Fallback rate %.2f%%, %.0f clarified, %.0f fallback calls",
               json_num(o, "fallback_rate", 0) * 100, json_num(o, "clarified", 0),
               json_num(o, "fallback_calls", 0));
    if (json_num(a, "labelled", 0) > 0)
        svg_printf(b, ", accuracy %.2f%% of %.0f labelled", json_num(a, "all", 0) * 100,
                   json_num(a, "labelled", 0));
    svg_printf(b, ".\n\n| endpoint | provider | requests | tokens | cost |\n| --- | --- | ---: | "
                  "---: | ---: |\n");
    const cJSON *e;
    cJSON_ArrayForEach(e, json_obj(c, "by_endpoint"))
    {
        svg_printf(b, "| ");
        cell(b, json_str_or(e, "endpoint", ""));
        svg_printf(b, " | ");
        cell(b, json_str_or(e, "provider", ""));
        svg_printf(b, " | %.0f | %.0f | ", json_num(e, "requests", 0),
                   json_num(e, "input_tokens", 0) + json_num(e, "output_tokens", 0));
        money(b, json_num(e, "cost_micros", 0), cur);
        svg_printf(b, " |\n");
    }
    svg_printf(b, "\n");
}

static void baseline(svg_buf *b, const cJSON *r)
{
    const cJSON *bl = json_obj(r, "baseline");
    if (!bl) return;
    svg_printf(b, "### Against the baseline `");
    cell(b, json_str_or(bl, "path", ""));
    svg_printf(b, "` (tolerance %.1f%%)\n\n", json_num(bl, "tolerance", 0) * 100);
    const char *lists[] = {"new_failures", "known_failures"};
    const char *titles[] = {"New failures (fail the run)", "Known failures (already in the "
                                                           "baseline; reported only)"};
    for (int k = 0; k < 2; k++) {
        const cJSON *l = json_obj(bl, lists[k]), *e;
        svg_printf(b, "- %s: %d", titles[k], cJSON_GetArraySize(l));
        cJSON_ArrayForEach(e, l)
        {
            svg_printf(b, "%s`", e == l->child ? " — " : ", ");
            cell(b, json_str_or(e, "name", ""));
            if (json_string(e, "endpoint")) svg_printf(b, " on %s", json_str_or(e, "endpoint", ""));
            svg_printf(b, "`");
        }
        svg_printf(b, "\n");
    }
    const cJSON *regs = json_obj(bl, "regressions"), *g;
    svg_printf(b, "- Regressions: %d\n", cJSON_GetArraySize(regs));
    cJSON_ArrayForEach(g, regs)
    {
        svg_printf(b, "  - `");
        cell(b, json_str_or(g, "figure", ""));
        svg_printf(b, "`: %.6g → %.6g (%+.1f%%)\n", json_num(g, "baseline", 0),
                   json_num(g, "current", 0), json_num(g, "change", 0) * 100);
    }
    svg_printf(b, "\n");
}

int markdown_render(svg_buf *b, const cJSON *r)
{
    verdict(b, r);
    gates(b, r);
    baseline(b, r);
    checks(b, r);
    latency(b, r);
    cost(b, r);
    svg_printf(b,
               "<sub>records digest `%s` · full figures in report.json, charts in "
               "report.html</sub>\n",
               json_str_or(r, "records_digest", ""));
    return b->full ? -1 : 0;
}

int markdown_write(const char *dir, const cJSON *report)
{
    return report_write_rendered(dir, "report.md", MARKDOWN_MAX_BYTES, markdown_render, report);
}
