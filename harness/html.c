/* html: report.html from report.json. See html.h. */
#include "html.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "baseline.h"
#include "json.h"
#include "report.h"

#define MAX_POINTS 128 /* values of one chart series: bins, buckets, percentiles */

/* Numbers of a JSON array into out (at most cap). Returns how many. */
static size_t numbers(const cJSON *a, double *out, size_t cap)
{
    size_t n = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, a)
    {
        if (n == cap) break;
        out[n++] = cJSON_IsNumber(v) ? v->valuedouble : 0;
    }
    return n;
}

static const char style[] =
    "body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222;"
    "padding:0 16px}h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px "
    "solid #ddd}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid "
    "#ddd;padding:3px 8px;text-align:left}td.n{text-align:right}.pass{color:#1a7f37}.fail{"
    "color:#cf222e}.known{color:#9a6700}pre{background:#f6f8fa;padding:8px;overflow-x:auto;"
    "white-space:pre-wrap;word-break:break-all;font-size:12px}.charts{display:flex;flex-wrap:"
    "wrap;gap:12px}.charts svg{border:1px solid #eee}.banner{padding:8px "
    "12px;border-radius:6px;font-weight:bold}.banner.pass{background:#dafbe1}.banner.fail{"
    "background:#ffebe9}";

/* Marks the page once every chart has a size, so a headless browser can tell the charts
 * rendered; a chart without a box leaves the marker off and logs an error. */
static const char script[] =
    "(function(){var s=document.querySelectorAll('svg.chart'),ok=0;"
    "for(var i=0;i<s.length;i++){var r=s[i].getBoundingClientRect();"
    "if(r.width>0&&r.height>0)ok++;else console.error('chart without a box: '+"
    "s[i].getAttribute('data-chart'));}"
    "if(ok===s.length)document.body.setAttribute('data-charts-ok',String(ok));})();";

static void td(svg_buf *b, const char *s)
{
    svg_printf(b, "<td>");
    svg_escape(b, s);
    svg_printf(b, "</td>");
}

static void summary(svg_buf *b, const cJSON *r)
{
    int code = (int)json_num(r, "exit_code", 0);
    svg_printf(b, "<h1>wxai-harness report</h1><p class=\"banner %s\">%s (exit %d)%s</p>",
               code ? "fail" : "pass",
               code == 0   ? "Passed"
               : code == 1 ? "A check failed"
               : code == 3 ? "A gate failed"
               : code == 4 ? "Target unreachable"
                           : "Failed",
               code, cJSON_IsTrue(json_obj(r, "partial")) ? " — partial run (interrupted)" : "");
    const cJSON *in = json_obj(r, "inputs"), *t = json_obj(r, "totals");
    svg_printf(b, "<table><tr><th>scenario</th>");
    td(b, json_str_or(json_obj(in, "scenario"), "name", ""));
    svg_printf(b, "<th>traffic</th>");
    td(b, json_str_or(json_obj(in, "traffic"), "path", ""));
    svg_printf(b, "</tr><tr><th>target</th>");
    td(b, json_str_or(json_obj(r, "target"), "url", ""));
    svg_printf(b, "<th>policy</th>");
    td(b, json_str_or(json_obj(r, "policy"), "name", ""));
    svg_printf(b,
               "</tr><tr><th>records / requests</th><td>%.0f / %.0f</td><th>duration, "
               "rate</th><td>%.2f s, %.1f/s</td></tr><tr><th>success ratio</th><td>%.2f%%</td>"
               "<th>seed, digest</th><td>",
               json_num(t, "records", 0), json_num(t, "requests", 0),
               json_num(t, "duration_us", 0) / 1e6, json_num(t, "rate", 0),
               json_num(t, "success_ratio", 0) * 100);
    svg_escape(b, json_str_or(r, "seed", ""));
    svg_printf(b, ", ");
    svg_escape(b, json_str_or(r, "records_digest", ""));
    svg_printf(b, "</td></tr></table>");
}

static void gates(svg_buf *b, const cJSON *r)
{
    const cJSON *gs = json_obj(r, "gates"), *g;
    if (!cJSON_GetArraySize(gs)) return;
    svg_printf(b, "<h2>Gates</h2><table><tr><th>gate</th><th>observed</th><th>result</th></tr>");
    cJSON_ArrayForEach(g, gs)
    {
        int passed = cJSON_IsTrue(json_obj(g, "passed"));
        int known = !passed && baseline_known(r, "gate", json_str_or(g, "expr", ""), NULL);
        svg_printf(b, "<tr><td><code>");
        svg_escape(b, json_str_or(g, "expr", ""));
        svg_printf(b, "</code></td>");
        td(b, json_str_or(g, "observed_text", ""));
        svg_printf(b, "<td class=\"%s\">%s</td></tr>",
                   passed  ? "pass"
                   : known ? "known"
                           : "fail",
                   passed  ? "pass"
                   : known ? "fail (known in baseline)"
                           : "fail");
    }
    svg_printf(b, "</table>");
}

static void baseline(svg_buf *b, const cJSON *r)
{
    const cJSON *bl = json_obj(r, "baseline"), *e;
    if (!bl) return;
    svg_printf(b, "<h2>Against the baseline</h2><p><code>");
    svg_escape(b, json_str_or(bl, "path", ""));
    svg_printf(b, "</code>, tolerance %.1f%%</p><ul>", json_num(bl, "tolerance", 0) * 100);
    const char *lists[] = {"new_failures", "known_failures"};
    const char *cls[] = {"fail", "known"};
    const char *titles[] = {"new failure", "known failure (reported only)"};
    for (int k = 0; k < 2; k++)
        cJSON_ArrayForEach(e, json_obj(bl, lists[k]))
        {
            svg_printf(b, "<li class=\"%s\">%s: <code>", cls[k], titles[k]);
            svg_escape(b, json_str_or(e, "name", ""));
            svg_printf(b, "</code>");
            if (json_string(e, "endpoint")) {
                svg_printf(b, " on ");
                svg_escape(b, json_str_or(e, "endpoint", ""));
            }
            svg_printf(b, "</li>");
        }
    cJSON_ArrayForEach(e, json_obj(bl, "regressions"))
    {
        svg_printf(b, "<li class=\"fail\">regression: <code>");
        svg_escape(b, json_str_or(e, "figure", ""));
        svg_printf(b, "</code> %.6g &#8594; %.6g (%+.1f%%)</li>", json_num(e, "baseline", 0),
                   json_num(e, "current", 0), json_num(e, "change", 0) * 100);
    }
    svg_printf(b, "</ul>");
}

static void checks(svg_buf *b, const cJSON *r)
{
    svg_printf(b, "<h2>Checks</h2><table><tr><th>check</th><th>passed</th><th>failed</th>"
                  "<th>skipped</th></tr>");
    const cJSON *c;
    cJSON_ArrayForEach(c, json_obj(r, "checks"))
    {
        if (!cJSON_IsTrue(json_obj(c, "enabled"))) continue;
        svg_printf(b,
                   "<tr><td class=\"%s\"><code>%s</code></td><td class=\"n\">%.0f</td><td "
                   "class=\"n\">%.0f</td><td class=\"n\">%.0f</td></tr>",
                   json_num(c, "failed", 0) > 0 ? "fail" : "pass", json_str_or(c, "name", ""),
                   json_num(c, "passed", 0), json_num(c, "failed", 0), json_num(c, "skipped", 0));
    }
    svg_printf(b, "</table>");
    cJSON_ArrayForEach(c, json_obj(r, "checks"))
    {
        if (!(json_num(c, "failed", 0) > 0)) continue;
        svg_printf(b, "<details><summary><code>%s</code>: %.0f failed</summary>",
                   json_str_or(c, "name", ""), json_num(c, "failed", 0));
        const cJSON *e;
        cJSON_ArrayForEach(e, json_obj(c, "examples"))
        {
            svg_printf(b, "<p>record <code>");
            svg_escape(b, json_str_or(e, "record_id", ""));
            svg_printf(b, "</code> on ");
            svg_escape(b, json_str_or(e, "endpoint", ""));
            svg_printf(b, " (line %.0f): expected ", json_num(e, "line", 0));
            svg_escape(b, json_str_or(e, "expected", ""));
            svg_printf(b, "; seen ");
            svg_escape(b, json_str_or(e, "seen", ""));
            svg_printf(b, "</p>");
            if (json_string(e, "curl")) {
                svg_printf(b, "<pre>");
                svg_escape_text(b, json_str_or(e, "curl", ""));
                svg_printf(b, "</pre>");
            }
        }
        svg_printf(b, "</details>");
    }
}

/* One chart; a chart that does not fit is left out with a note rather than failing. */
static void drawn(svg_buf *b, int rc, int *charts)
{
    if (rc == SVG_OK)
        (*charts)++;
    else
        svg_printf(b, "<p>(chart left out: %s)</p>", rc == SVG_EFULL ? "no room" : "bad data");
}

static void status_chart(svg_buf *b, const cJSON *r, int *charts)
{
    const cJSON *ts = json_obj(r, "status_over_time");
    const cJSON *rows = json_obj(ts, "buckets");
    static const char *const names[] = {"2xx", "3xx/4xx", "429", "5xx", "no response"};
    static const char *const colors[] = {"#009E73", "#56B4E9", "#E69F00", "#D55E00", "#000000"};
    double y[5][MAX_POINTS];
    size_t n = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, rows)
    {
        if (n == MAX_POINTS) break;
        double v[5] = {0};
        numbers(row, v, 5);
        for (int k = 0; k < 5; k++)
            y[k][n] = v[k];
        n++;
    }
    svg_series s[5];
    for (int k = 0; k < 5; k++)
        s[k] = (svg_series){.label = names[k], .y = y[k], .n = n, .color = colors[k]};
    double width_s = json_num(ts, "bucket_us", 0) / 1e6;
    svg_chart c = {.id = "status-over-time",
                   .title = "Status codes over time",
                   .x_label = "seconds since the first request",
                   .y_label = "exchanges",
                   .width = 1000,
                   .height = 280,
                   .x_min = 0,
                   .x_max = n ? width_s * (double)n : 1,
                   .series = s,
                   .nseries = 5,
                   .x_unit = "s"};
    drawn(b, svg_stacked(b, &c), charts);
}

static void latency_charts(svg_buf *b, const char *name, const cJSON *node, int *charts)
{
    const cJSON *dist = json_obj(node, "distribution"), *cor = json_obj(node, "corrected");
    double counts[MAX_POINTS];
    size_t n = numbers(json_obj(dist, "counts"), counts, MAX_POINTS);
    double w_ms = json_num(dist, "bin_us", 0) / 1000.0;
    char title[160], id[96], l50[48], l95[48], l99[48];
    snprintf(title, sizeof title, "%s: latency (corrected), %.0f requests", name,
             json_num(cor, "count", 0));
    snprintf(id, sizeof id, "latency-%s", name);
    snprintf(l50, sizeof l50, "p50 %.1f ms", json_num(cor, "p50_us", 0) / 1000);
    snprintf(l95, sizeof l95, "p95 %.1f ms", json_num(cor, "p95_us", 0) / 1000);
    snprintf(l99, sizeof l99, "p99 %.1f ms", json_num(cor, "p99_us", 0) / 1000);
    svg_marker m[3] = {{json_num(cor, "p50_us", 0) / 1000, l50, "#555"},
                       {json_num(cor, "p95_us", 0) / 1000, l95, "#b35900"},
                       {json_num(cor, "p99_us", 0) / 1000, l99, "#b00020"}};
    svg_series s = {.label = name, .y = counts, .n = n};
    svg_chart c = {.id = id,
                   .title = title,
                   .x_label = "latency (ms); the last bin holds the tail past p99.9",
                   .y_label = "requests",
                   .width = 540,
                   .x_min = 0,
                   .x_max = w_ms * (double)(n ? n : 1),
                   .series = &s,
                   .nseries = 1,
                   .markers = m,
                   .nmarkers = 3,
                   .x_unit = "ms"};
    drawn(b, svg_histogram(b, &c), charts);

    double xs[MAX_POINTS], ys[MAX_POINTS];
    svg_tick ticks[MAX_POINTS];
    char labels[MAX_POINTS][16];
    size_t k = 0;
    const cJSON *pair;
    cJSON_ArrayForEach(pair, json_obj(node, "percentiles"))
    {
        if (k == MAX_POINTS) break;
        double pv[2] = {0, 0};
        numbers(pair, pv, 2);
        /* evenly spaced by rank in the list: the tail percentiles get as much room as
         * the body, as on an HDR percentile plot */
        xs[k] = (double)k;
        ys[k] = pv[1] / 1000.0;
        snprintf(labels[k], sizeof labels[k], "p%g", pv[0]);
        ticks[k] = (svg_tick){(double)k, labels[k]};
        k++;
    }
    snprintf(title, sizeof title, "%s: latency by percentile (ms)", name);
    snprintf(id, sizeof id, "percentiles-%s", name);
    svg_series ps = {.label = name, .x = xs, .y = ys, .n = k};
    svg_chart pc = {.id = id,
                    .title = title,
                    .x_label = "percentile",
                    .y_label = "ms",
                    .width = 540,
                    .x_min = 0,
                    .x_max = k > 1 ? (double)(k - 1) : 1,
                    .series = &ps,
                    .nseries = 1,
                    .ticks = ticks,
                    .nticks = k};
    drawn(b, svg_line(b, &pc), charts);
}

static void confidence_charts(svg_buf *b, const cJSON *r, int *charts)
{
    const cJSON *conf = json_obj(r, "confidence"), *v;
    const cJSON *th = json_obj(conf, "threshold");
    if (!cJSON_IsNumber(th)) th = json_obj(json_obj(r, "policy"), "threshold");
    cJSON_ArrayForEach(v, json_obj(conf, "by_model_version"))
    {
        double counts[MAX_POINTS];
        size_t n = numbers(json_obj(v, "counts"), counts, MAX_POINTS);
        char title[128], id[80], ml[48];
        snprintf(title, sizeof title, "Confidence, model %s (%.0f answers)", v->string,
                 json_num(v, "count", 0));
        snprintf(id, sizeof id, "confidence-%s", v->string);
        svg_marker m = {0};
        if (cJSON_IsNumber(th)) {
            snprintf(ml, sizeof ml, "threshold %.2f", th->valuedouble);
            m = (svg_marker){th->valuedouble, ml, NULL};
        }
        svg_series s = {.label = v->string, .y = counts, .n = n};
        svg_chart c = {.id = id,
                       .title = title,
                       .x_label = "confidence",
                       .y_label = "answers",
                       .width = 540,
                       .x_min = 0,
                       .x_max = 1,
                       .series = &s,
                       .nseries = 1,
                       .markers = &m,
                       .nmarkers = cJSON_IsNumber(th) ? 1 : 0};
        drawn(b, svg_histogram(b, &c), charts);
    }
}

static void cost_charts(svg_buf *b, const cJSON *r, int *charts)
{
    const cJSON *c = json_obj(r, "cost"), *e;
    const char *cur = json_str_or(c, "currency", "");
    const char *labels[32];
    double values[32];
    char texts[32][48];
    const char *vt[32];
    size_t n = 0;
    cJSON_ArrayForEach(e, json_obj(c, "by_endpoint"))
    {
        if (n == 32) break;
        labels[n] = json_str_or(e, "endpoint", "");
        values[n] = json_num(e, "cost_micros", 0) / 1e6;
        snprintf(texts[n], sizeof texts[n], "%.4f %s", values[n], cur);
        vt[n] = texts[n];
        n++;
    }
    svg_chart ch = {.id = "cost-by-endpoint", .title = "Cost by endpoint", .width = 540};
    drawn(b, svg_bars(b, &ch, labels, values, vt, n), charts);
    n = 0;
    cJSON_ArrayForEach(e, json_obj(c, "by_provider"))
    {
        if (n == 32) break;
        labels[n] = e->string;
        values[n] = json_num(e, "cost_micros", 0) / 1e6;
        snprintf(texts[n], sizeof texts[n], "%.4f %s", values[n], cur);
        vt[n] = texts[n];
        n++;
    }
    svg_chart cp = {.id = "cost-by-provider", .title = "Cost by provider", .width = 540};
    drawn(b, svg_bars(b, &cp, labels, values, vt, n), charts);
}

int html_render(svg_buf *b, const cJSON *r, int *charts)
{
    int nch = 0;
    svg_printf(b,
               "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta "
               "name=\"viewport\" content=\"width=device-width\"><title>wxai-harness "
               "report</title><style>%s</style></head><body>",
               style);
    summary(b, r);
    gates(b, r);
    baseline(b, r);
    svg_printf(b, "<h2>Status codes over time</h2><div class=\"charts\">");
    status_chart(b, r, &nch);
    svg_printf(b, "</div><h2>Latency</h2>");
    const cJSON *lat = json_obj(r, "latency"), *ep;
    svg_printf(b, "<div class=\"charts\">");
    latency_charts(b, "all endpoints", json_obj(lat, "overall"), &nch);
    svg_printf(b, "</div>");
    cJSON_ArrayForEach(ep, json_obj(lat, "endpoints"))
    {
        svg_printf(b, "<div class=\"charts\">");
        latency_charts(b, ep->string, ep, &nch);
        svg_printf(b, "</div>");
    }
    svg_printf(b, "<h2>Confidence by model version</h2><div class=\"charts\">");
    confidence_charts(b, r, &nch);
    svg_printf(b, "</div><h2>Cost</h2><div class=\"charts\">");
    cost_charts(b, r, &nch);
    svg_printf(b, "</div>");
    checks(b, r);
    svg_printf(b, "<script>%s</script></body></html>\n", script);
    if (charts) *charts = nch;
    return b->full ? -1 : 0;
}

/* html_render as report_write_rendered calls it. */
static int page(svg_buf *b, const cJSON *report)
{
    return html_render(b, report, NULL);
}

int html_write(const char *dir, const cJSON *report)
{
    return report_write_rendered(dir, "report.html", HTML_MAX_BYTES, page, report);
}
