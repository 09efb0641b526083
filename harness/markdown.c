/* markdown: report.md from report.json. See markdown.h. */
#include "markdown.h"

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

static const cJSON *obj(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

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
    int code = (int)num(r, "exit_code");
    const char *what = code == 0   ? "✅ passed"
                       : code == 1 ? "❌ a check failed"
                       : code == 3 ? "❌ a gate failed"
                       : code == 4 ? "❌ target unreachable"
                                   : "❌ failed";
    svg_printf(b, "## wxai-harness: %s (exit %d)%s\n\n", what, code,
               cJSON_IsTrue(obj(r, "partial")) ? " — **partial run (interrupted)**" : "");
    const cJSON *in = obj(r, "inputs");
    svg_printf(b, "Scenario `");
    cell(b, str(obj(in, "scenario"), "name"));
    svg_printf(b, "` · traffic `");
    cell(b, str(obj(in, "traffic"), "path"));
    svg_printf(b, "` · target `");
    cell(b, str(obj(r, "target"), "url"));
    svg_printf(b, "` · policy `%s` · seed %s\n\n", str(obj(r, "policy"), "name"), str(r, "seed"));
    const cJSON *t = obj(r, "totals");
    svg_printf(b,
               "**%.0f** records, **%.0f** requests in %.1f s (%.1f/s), success ratio "
               "%.2f%%, %.0f retries, %.0f bad lines\n\n",
               num(t, "records"), num(t, "requests"), num(t, "duration_us") / 1e6, num(t, "rate"),
               num(t, "success_ratio") * 100, num(t, "retries"), num(t, "bad_lines"));
}

static void gates(svg_buf *b, const cJSON *r)
{
    const cJSON *gs = obj(r, "gates");
    if (!cJSON_GetArraySize(gs)) return;
    svg_printf(b, "### Gates\n\n| gate | observed | result |\n| --- | --- | --- |\n");
    const cJSON *g;
    cJSON_ArrayForEach(g, gs)
    {
        int passed = cJSON_IsTrue(obj(g, "passed"));
        svg_printf(b, "| `");
        cell(b, str(g, "expr"));
        svg_printf(b, "` | ");
        cell(b, str(g, "observed_text"));
        svg_printf(b, " | %s |\n",
                   passed ? "✅ pass"
                   : baseline_known(r, "gate", str(g, "expr"), NULL)
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
    cJSON_ArrayForEach(c, obj(r, "checks"))
    {
        if (!cJSON_IsTrue(obj(c, "enabled"))) continue;
        svg_printf(b, "| %s`%s`%s | %.0f | %.0f | %.0f |\n", num(c, "failed") > 0 ? "❌ " : "",
                   str(c, "name"), "", num(c, "passed"), num(c, "failed"), num(c, "skipped"));
    }
    svg_printf(b, "\n");
    cJSON_ArrayForEach(c, obj(r, "checks"))
    {
        if (!(num(c, "failed") > 0)) continue;
        const cJSON *e = cJSON_GetArrayItem(obj(c, "examples"), 0);
        svg_printf(b, "<details><summary><code>%s</code>: %.0f failed", str(c, "name"),
                   num(c, "failed"));
        const cJSON *be;
        cJSON_ArrayForEach(be, obj(c, "by_endpoint"))
        {
            if (!(num(be, "failed") > 0)) continue;
            svg_printf(b, " · %s %.0f%s", str(be, "endpoint"), num(be, "failed"),
                       baseline_known(r, "check", str(c, "name"), str(be, "endpoint")) ? " (known)"
                                                                                       : "");
        }
        svg_printf(b, "</summary>\n\n");
        if (e) {
            svg_printf(b, "Record `");
            cell(b, str(e, "record_id"));
            svg_printf(b, "` (line %.0f): expected ", num(e, "line"));
            cell(b, str(e, "expected"));
            svg_printf(b, ", seen ");
            cell(b, str(e, "seen"));
            svg_printf(b, "\n\n");
            if (json_string(e, "curl")) {
                /* a fence longer than any run of backticks in the command cannot be closed
                 * by it */
                svg_printf(b, "````sh\n%s\n````\n\n", str(e, "curl"));
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
    const cJSON *lat = obj(r, "latency");
    const cJSON *ep;
    const cJSON *all = obj(lat, "overall");
    const cJSON *rows[1 + 16];
    const char *names[1 + 16];
    int n = 0;
    rows[n] = all;
    names[n++] = "**all**";
    cJSON_ArrayForEach(ep, obj(lat, "endpoints"))
    {
        if (n == 17) break;
        rows[n] = ep;
        names[n++] = ep->string;
    }
    for (int i = 0; i < n; i++) {
        const cJSON *c = obj(rows[i], "corrected"), *u = obj(rows[i], "uncorrected");
        svg_printf(b, "| ");
        cell(b, names[i]);
        svg_printf(b, " | %.0f | ", num(c, "count"));
        ms(b, num(c, "p50_us"));
        svg_printf(b, " | ");
        ms(b, num(c, "p95_us"));
        svg_printf(b, " | ");
        ms(b, num(c, "p99_us"));
        svg_printf(b, " | ");
        ms(b, num(c, "max_us"));
        svg_printf(b, " | ");
        ms(b, num(u, "p99_us"));
        svg_printf(b, " |\n");
    }
    svg_printf(b, "\n");
}

static void cost(svg_buf *b, const cJSON *r)
{
    const cJSON *c = obj(r, "cost"), *o = obj(r, "outcomes"), *a = obj(r, "accuracy");
    const char *cur = str(c, "currency");
    svg_printf(b, "### Cost and outcomes\n\nTotal **");
    money(b, num(c, "total_micros"), cur);
    svg_printf(b, "**, per 1,000 records ");
    money(b, num(c, "per_1000_requests_micros"), cur);
    svg_printf(b, ", cache savings ");
    money(b, num(c, "cache_savings_micros"), cur);
    svg_printf(b, ". Fallback rate %.2f%%, %.0f clarified, %.0f fallback calls",
               num(o, "fallback_rate") * 100, num(o, "clarified"), num(o, "fallback_calls"));
    if (num(a, "labelled") > 0)
        svg_printf(b, ", accuracy %.2f%% of %.0f labelled", num(a, "all") * 100,
                   num(a, "labelled"));
    svg_printf(b, ".\n\n| endpoint | provider | requests | tokens | cost |\n| --- | --- | ---: | "
                  "---: | ---: |\n");
    const cJSON *e;
    cJSON_ArrayForEach(e, obj(c, "by_endpoint"))
    {
        svg_printf(b, "| ");
        cell(b, str(e, "endpoint"));
        svg_printf(b, " | ");
        cell(b, str(e, "provider"));
        svg_printf(b, " | %.0f | %.0f | ", num(e, "requests"),
                   num(e, "input_tokens") + num(e, "output_tokens"));
        money(b, num(e, "cost_micros"), cur);
        svg_printf(b, " |\n");
    }
    svg_printf(b, "\n");
}

static void baseline(svg_buf *b, const cJSON *r)
{
    const cJSON *bl = obj(r, "baseline");
    if (!bl) return;
    svg_printf(b, "### Against the baseline `");
    cell(b, str(bl, "path"));
    svg_printf(b, "` (tolerance %.1f%%)\n\n", num(bl, "tolerance") * 100);
    const char *lists[] = {"new_failures", "known_failures"};
    const char *titles[] = {"New failures (fail the run)", "Known failures (already in the "
                                                           "baseline; reported only)"};
    for (int k = 0; k < 2; k++) {
        const cJSON *l = obj(bl, lists[k]), *e;
        svg_printf(b, "- %s: %d", titles[k], cJSON_GetArraySize(l));
        cJSON_ArrayForEach(e, l)
        {
            svg_printf(b, "%s`", e == l->child ? " — " : ", ");
            cell(b, str(e, "name"));
            if (json_string(e, "endpoint")) svg_printf(b, " on %s", str(e, "endpoint"));
            svg_printf(b, "`");
        }
        svg_printf(b, "\n");
    }
    const cJSON *regs = obj(bl, "regressions"), *g;
    svg_printf(b, "- Regressions: %d\n", cJSON_GetArraySize(regs));
    cJSON_ArrayForEach(g, regs)
    {
        svg_printf(b, "  - `");
        cell(b, str(g, "figure"));
        svg_printf(b, "`: %.6g → %.6g (%+.1f%%)\n", num(g, "baseline"), num(g, "current"),
                   num(g, "change") * 100);
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
               str(r, "records_digest"));
    return b->full ? -1 : 0;
}

int markdown_write(const char *dir, const cJSON *report)
{
    svg_buf b;
    if (svg_buf_init(&b, MARKDOWN_MAX_BYTES) != SVG_OK) return -1;
    int rc = markdown_render(&b, report);
    if (rc != 0)
        fprintf(stderr, "wxai-harness: report.md larger than %u bytes\n", MARKDOWN_MAX_BYTES);
    else
        rc = report_write_text(dir, "report.md", b.data, b.len);
    svg_buf_free(&b);
    return rc;
}
