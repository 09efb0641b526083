#include "comparedoc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "report.h"
#include "svg.h"

#define HTML_CAP (2u << 20) /* the page is a few dozen KiB; the cap only bounds a bug */

/* The before-and-after rates, one row each, shared by Markdown and HTML. */
typedef struct summary_row {
    const char *name;
    char old[48], new[48], delta[48];
} summary_row;

#define NSUMMARY 4

static void summary_rows(const compare_result *r, summary_row rows[NSUMMARY])
{
    const compare_side *o = &r->side[COMPARE_OLD], *w = &r->side[COMPARE_NEW];
    const struct {
        const char *name;
        double x, y;
    } in[NSUMMARY] = {{"answers below the threshold", o->model_fallback, w->model_fallback},
                      {"fallback rate (records)", o->fallback_rate, w->fallback_rate},
                      {"clarification rate", o->clarification_rate, w->clarification_rate},
                      {"accuracy against truth", o->accuracy, w->accuracy}};
    for (size_t i = 0; i < NSUMMARY; i++) {
        rows[i].name = in[i].name;
        fmt_pct(rows[i].old, sizeof rows[i].old, in[i].x);
        fmt_pct(rows[i].new, sizeof rows[i].new, in[i].y);
        fmt_pp(rows[i].delta, sizeof rows[i].delta, in[i].x, in[i].y, " pp");
    }
}

/* An endpoint's figures as text, old then new for each; Markdown shows p95, HTML does not. */
typedef struct endpoint_cells {
    char p50[2][32], p95[2][32], p99[2][32], cost[2][32];
} endpoint_cells;

static void endpoint_text(const compare_endpoint *e, endpoint_cells *c)
{
    for (int s = 0; s < 2; s++) {
        fmt_ms(c->p50[s], sizeof c->p50[s], e->lat[s][0][COMPARE_P50], " ms");
        fmt_ms(c->p95[s], sizeof c->p95[s], e->lat[s][0][COMPARE_P95], " ms");
        fmt_ms(c->p99[s], sizeof c->p99[s], e->lat[s][0][COMPARE_P99], " ms");
        fmt_micros(c->cost[s], sizeof c->cost[s], e->cost_micros[s]);
    }
}

/* One line of what the comparison says, shared by Markdown and HTML. */
static void recommendation(char *b, size_t cap, const compare_result *r)
{
    const compare_side *o = &r->side[COMPARE_OLD];
    if (r->changed)
        snprintf(b, cap,
                 "Move the threshold from %.3f to %.3f: %.2f%% of the new version's answers fall "
                 "below it, as %.2f%% of the old version's fell below %.3f.",
                 r->threshold, r->recommended, 100 * r->restored_rate, 100 * o->model_fallback,
                 r->threshold);
    else
        snprintf(b, cap,
                 "No change: at %.3f, %.2f%% of the new version's answers fall below the "
                 "threshold (%.2f%% before).",
                 r->threshold, 100 * r->restored_rate, 100 * o->model_fallback);
}

static void precision_line(char *b, size_t cap, const compare_result *r)
{
    if (r->precision_status == 0 && r->precision_threshold == 0)
        snprintf(b, cap,
                 "Every threshold reaches the %.2f%% precision target on the new version "
                 "(%.2f%% with every answer accepted).",
                 100 * r->target_precision, 100 * r->precision_pr.precision);
    else if (r->precision_status == 0)
        snprintf(b, cap,
                 "Threshold %.3f reaches %.2f%% precision (target %.2f%%) on the new version at "
                 "%.2f%% recall.",
                 r->precision_threshold, 100 * r->precision_pr.precision, 100 * r->target_precision,
                 100 * r->precision_pr.recall);
    else if (r->precision_status == 1)
        snprintf(b, cap, "No threshold reaches %.2f%% precision on the new version.",
                 100 * r->target_precision);
    else
        b[0] = '\0';
}

/* ---- Markdown ---- */

void comparedoc_markdown(FILE *f, const compare_result *r, const gate_expr *gates,
                         const gate_result *results, size_t n)
{
    const compare_side *o = &r->side[COMPARE_OLD], *w = &r->side[COMPARE_NEW];
    char a[48], b[48], d[48], line[400];
    fprintf(f, "# Model update: %s → %s\n\n", o->versions, w->versions);
    fprintf(f, "Old: `%s` (%llu answers). New: `%s` (%llu answers).\n\n", o->label,
            (unsigned long long)o->answers, w->label, (unsigned long long)w->answers);
    recommendation(line, sizeof line, r);
    fprintf(f, "**%s**", line);
    precision_line(line, sizeof line, r);
    fprintf(f, "%s%s\n\n", line[0] ? " " : "", line);
    fprintf(f, "## Drift\n\n| figure | value |\n| --- | --- |\n");
    fprintf(f, "| PSI (10 bins on the old deciles) | %.4f (%s) |\n", r->psi.psi,
            driftstat_psi_band(r->psi.psi));
    fprintf(f, "| KS D | %.4f at confidence %.3f |\n| KS p-value | %.3g |\n\n", r->ks.d, r->ks.at,
            r->ks.p_value);
    fprintf(f, "## Before and after (threshold %.3f, from %s)\n\n", r->threshold,
            r->threshold_from);
    fprintf(f, "| figure | old | new | delta |\n| --- | --- | --- | --- |\n");
    summary_row rows[NSUMMARY];
    summary_rows(r, rows);
    for (size_t i = 0; i < NSUMMARY; i++)
        fprintf(f, "| %s | %s | %s | %s |\n", rows[i].name, rows[i].old, rows[i].new,
                rows[i].delta);
    fmt_micros(a, sizeof a, o->cost_total);
    fmt_micros(b, sizeof b, w->cost_total);
    fmt_micros(d, sizeof d, w->cost_total - o->cost_total);
    fprintf(f, "| cost (%s) | %s | %s | %s |\n\n", r->currency, a, b, d);

    fprintf(f, "## Thresholds\n\n| threshold | below (old) | below (new) | precision (old) | "
               "precision (new) | recall (old) | recall (new) | |\n"
               "| --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (size_t i = 0; i < r->nrows; i++) {
        const compare_row *x = &r->rows[i];
        char c[6][COMPARE_CELL];
        compare_row_cells(r, x, c);
        fprintf(f, "| %.3f | %s | %s | %s | %s | %s | %s | %s |\n", x->threshold, c[0], c[1], c[2],
                c[3], c[4], c[5], compare_row_mark(r, x->threshold));
    }
    fprintf(f, "\n## Endpoints\n\n| endpoint | p50 old | p50 new | p95 old | p95 new | p99 old | "
               "p99 new | cost old | cost new |\n"
               "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (size_t i = 0; i < r->nep; i++) {
        const compare_endpoint *e = &r->ep[i];
        endpoint_cells c;
        endpoint_text(e, &c);
        fprintf(f, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", e->name, c.p50[0], c.p50[1],
                c.p95[0], c.p95[1], c.p99[0], c.p99[1], c.cost[0], c.cost[1]);
    }
    if (n) {
        fprintf(f, "\n## Gates\n\n| gate | observed | result |\n| --- | --- | --- |\n");
        for (size_t i = 0; i < n; i++)
            fprintf(f, "| `%s` | %s | %s |\n", gates[i].text, results[i].observed_text,
                    results[i].verdict == GATE_PASS ? "pass" : "**FAIL**");
    }
}

/* ---- HTML ---- */

static void cell(svg_buf *b, const char *tag, const char *text)
{
    svg_printf(b, "<%s>", tag);
    svg_escape(b, text);
    svg_printf(b, "</%s>", tag);
}

/* The lowest 0.05 step with an answer on either side: the charts start there. */
static double chart_floor(const compare_result *r)
{
    for (size_t i = 0; i < COMPARE_BINS; i++)
        if (r->side[0].all[i] || r->side[1].all[i])
            return floor((double)i / COMPARE_BINS * 20) / 20;
    return 0;
}

static int charts(svg_buf *b, const compare_result *r)
{
    double lo = chart_floor(r);
    if (lo > 0.9) lo = 0.9;
    size_t first = (size_t)(lo * 100 + 0.5), nb = 100 - first;
    double *y = calloc(4 * 101, sizeof *y);
    if (!y) return SVG_ENOMEM;
    double *h[2] = {y, y + 101}, *fb[2] = {y + 202, y + 303}, x[101];
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < nb; i++) {
            for (size_t j = 0; j < COMPARE_BINS / 100; j++)
                h[s][i] += (double)r->side[s].all[(first + i) * (COMPARE_BINS / 100) + j];
            fb[s][i] = driftstat_share_below(r->side[s].all, COMPARE_BINS,
                                             (first + i) * (COMPARE_BINS / 100));
        }
    fb[0][nb] = fb[1][nb] = 1;
    for (size_t i = 0; i <= nb; i++)
        x[i] = (double)(first + i) / 100;
    char lo_label[176], new_label[176], cur[48], rec[48], prec[48];
    snprintf(lo_label, sizeof lo_label, "old (%s)", r->side[0].versions);
    snprintf(new_label, sizeof new_label, "new (%s)", r->side[1].versions);
    snprintf(cur, sizeof cur, "current %.3f", r->threshold);
    snprintf(rec, sizeof rec, "recommended %.3f", r->recommended);
    snprintf(prec, sizeof prec, "precision %.0f%% at %.3f", 100 * r->target_precision,
             r->precision_threshold);
    svg_series hs[2] = {{lo_label, h[0], NULL, nb, "#4e79a7"},
                        {new_label, h[1], NULL, nb, "#e15759"}};
    svg_marker mk[3] = {{r->threshold, cur, "#555555"},
                        {r->recommended, rec, "#b00020"},
                        {r->precision_threshold, prec, "#2a7f2a"}};
    size_t nmk = r->changed ? 2 : 1;
    /* a target every threshold reaches (0) would sit off the chart's left edge */
    if (r->precision_status == 0 && r->precision_threshold >= lo) mk[nmk++] = mk[2];
    svg_chart c = {.id = "confidence",
                   .title = "Confidence by model version",
                   .x_label = "confidence",
                   .y_label = "share of answers",
                   .x_min = lo,
                   .x_max = 1.0,
                   .series = hs,
                   .nseries = 2,
                   .markers = mk,
                   .nmarkers = nmk,
                   .flags = SVG_NORMALIZE | SVG_Y_PERCENT};
    int rc = svg_histogram(b, &c);
    svg_series ls[2] = {{lo_label, fb[0], x, nb + 1, "#4e79a7"},
                        {new_label, fb[1], x, nb + 1, "#e15759"}};
    svg_chart l = {.id = "fallback",
                   .title = "Answers below each threshold (the fallback the threshold causes)",
                   .x_label = "threshold",
                   .y_label = "below",
                   .x_min = lo,
                   .x_max = 1.0,
                   .series = ls,
                   .nseries = 2,
                   .markers = mk,
                   .nmarkers = nmk,
                   .flags = SVG_Y_PERCENT};
    if (rc == SVG_OK) rc = svg_line(b, &l);
    free(y);
    return rc;
}

char *comparedoc_html(const compare_result *r, const gate_expr *gates, const gate_result *results,
                      size_t n)
{
    svg_buf b;
    if (svg_buf_init(&b, HTML_CAP) != SVG_OK) return NULL;
    const compare_side *o = &r->side[COMPARE_OLD], *w = &r->side[COMPARE_NEW];
    char line[400];
    svg_printf(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                   "<title>wxai-harness compare</title><style>"
                   "body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:1000px}"
                   "table{border-collapse:collapse;margin:1em 0}"
                   "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
                   "td:first-child,th:first-child{text-align:left}"
                   ".rec{font-weight:bold}.fail{color:#b00020;font-weight:bold}"
                   "tr.current{background:#eee}tr.recommended{background:#fde8ea}"
                   "</style></head><body>\n<h1>Model update: ");
    svg_escape(&b, o->versions);
    svg_printf(&b, " → ");
    svg_escape(&b, w->versions);
    svg_printf(&b, "</h1>\n<p>Old: <code>");
    svg_escape(&b, o->label);
    svg_printf(&b, "</code> (%llu answers). New: <code>", (unsigned long long)o->answers);
    svg_escape(&b, w->label);
    svg_printf(&b, "</code> (%llu answers).</p>\n", (unsigned long long)w->answers);
    recommendation(line, sizeof line, r);
    svg_printf(&b, "<p class=\"rec\" id=\"recommendation\">");
    svg_escape(&b, line);
    precision_line(line, sizeof line, r);
    svg_printf(&b, " ");
    svg_escape(&b, line);
    svg_printf(&b, "</p>\n");
    if (charts(&b, r) == SVG_ENOMEM) goto fail;
    svg_printf(&b,
               "\n<h2>Drift</h2><table id=\"drift\"><tr><th>figure</th><th>value</th></tr>"
               "<tr><td>PSI (10 bins on the old deciles)</td><td>%.4f (%s)</td></tr>"
               "<tr><td>KS D</td><td>%.4f at %.3f</td></tr>"
               "<tr><td>KS p-value</td><td>%.3g</td></tr></table>\n",
               r->psi.psi, driftstat_psi_band(r->psi.psi), r->ks.d, r->ks.at, r->ks.p_value);
    svg_printf(&b,
               "<h2>Before and after (threshold %.3f)</h2><table id=\"summary\"><tr><th>figure"
               "</th><th>old</th><th>new</th><th>delta</th></tr>",
               r->threshold);
    summary_row rows[NSUMMARY];
    summary_rows(r, rows);
    for (size_t i = 0; i < NSUMMARY; i++) {
        svg_printf(&b, "<tr>");
        cell(&b, "td", rows[i].name);
        cell(&b, "td", rows[i].old);
        cell(&b, "td", rows[i].new);
        cell(&b, "td", rows[i].delta);
        svg_printf(&b, "</tr>");
    }
    svg_printf(&b, "</table>\n<h2>Thresholds</h2><table id=\"thresholds\"><tr><th>threshold</th>"
                   "<th>below (old)</th><th>below (new)</th><th>precision (old)</th>"
                   "<th>precision (new)</th><th>recall (old)</th><th>recall (new)</th><th></th>"
                   "</tr>");
    for (size_t i = 0; i < r->nrows; i++) {
        const compare_row *x = &r->rows[i];
        char t[24], c[6][COMPARE_CELL];
        snprintf(t, sizeof t, "%.3f", x->threshold);
        compare_row_cells(r, x, c);
        const char *mark = compare_row_mark(r, x->threshold);
        svg_printf(&b, "<tr class=\"%s\">",
                   !strcmp(mark, "current") ? "current"
                   : mark[0] == 'r'         ? "recommended"
                                            : "");
        cell(&b, "td", t);
        for (int k = 0; k < 6; k++)
            cell(&b, "td", c[k]);
        cell(&b, "td", mark);
        svg_printf(&b, "</tr>");
    }
    svg_printf(&b, "</table>\n<h2>Endpoints</h2><table id=\"endpoints\"><tr><th>endpoint</th>"
                   "<th>p50 old</th><th>p50 new</th><th>p99 old</th><th>p99 new</th>"
                   "<th>cost old</th><th>cost new</th></tr>");
    for (size_t i = 0; i < r->nep; i++) {
        const compare_endpoint *e = &r->ep[i];
        endpoint_cells c;
        endpoint_text(e, &c);
        const char *shown[] = {c.p50[0], c.p50[1], c.p99[0], c.p99[1], c.cost[0], c.cost[1]};
        svg_printf(&b, "<tr>");
        cell(&b, "td", e->name);
        for (int k = 0; k < 6; k++)
            cell(&b, "td", shown[k]);
        svg_printf(&b, "</tr>");
    }
    svg_printf(&b, "</table>\n");
    if (n) {
        svg_printf(&b, "<h2>Gates</h2><table id=\"gates\"><tr><th>gate</th><th>observed</th>"
                       "<th>result</th></tr>");
        for (size_t i = 0; i < n; i++) {
            svg_printf(&b, "<tr>");
            cell(&b, "td", gates[i].text);
            cell(&b, "td", results[i].observed_text);
            svg_printf(&b, "<td class=\"%s\">%s</td></tr>",
                       results[i].verdict == GATE_PASS ? "pass" : "fail",
                       results[i].verdict == GATE_PASS ? "pass" : "FAIL");
        }
        svg_printf(&b, "</table>\n");
    }
    svg_printf(&b, "</body></html>\n");
    if (b.full) goto fail;
    return b.data;
fail:
    svg_buf_free(&b);
    return NULL;
}

/* ---- files ---- */

int comparedoc_write(const char *dir, const compare_result *r, const gate_expr *gates,
                     const gate_result *results, size_t n)
{
    int rc = -1;
    char *json = NULL, *md = NULL, *html = NULL;
    size_t mdlen = 0;
    cJSON *j = compare_json(r, gates, results, n);
    json = j ? report_json_text(j) : NULL;
    cJSON_Delete(j);
    FILE *m = open_memstream(&md, &mdlen);
    if (m) {
        comparedoc_markdown(m, r, gates, results, n);
        fclose(m);
    }
    html = comparedoc_html(r, gates, results, n);
    if (!json || !md || !html) {
        fprintf(stderr, "wxai-harness: out of memory writing the comparison\n");
        goto out;
    }
    if (report_write_text(dir, "compare.json", json, strlen(json)) == 0 &&
        report_write_text(dir, "compare.md", md, strlen(md)) == 0 &&
        report_write_text(dir, "compare.html", html, strlen(html)) == 0)
        rc = 0;
out:
    free(json);
    free(md);
    free(html);
    return rc;
}
