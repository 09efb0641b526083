#include "compare.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "json.h"
#include "measure.h"

static const char *const lat_names[COMPARE_NLAT] = {"min_us", "mean_us", "p50_us", "p90_us",
                                                    "p95_us", "p99_us",  "max_us"};

void compare_defaults(compare_opts *o)
{
    memset(o, 0, sizeof *o);
    o->threshold = -1;
    o->target_precision = 0.98;
    o->tolerance = 0.005;
}

void compare_free(compare_result *r)
{
    if (!r) return;
    for (int s = 0; s < 2; s++)
        free(r->side[s].all);
    free(r);
}

int compare_load(const char *path, cJSON **out, char *err, size_t cap)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, cap, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    char *buf = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0) n = ftell(f);
    if (n < 0 || n > COMPARE_REPORT_MAX || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        snprintf(err, cap, "%s: %s", path,
                 n > COMPARE_REPORT_MAX ? "larger than 64 MiB: not a report.json" : "cannot read");
        return -1;
    }
    buf = malloc((size_t)n + 1);
    size_t got = buf ? fread(buf, 1, (size_t)n, f) : 0;
    fclose(f);
    if (!buf || got != (size_t)n) {
        free(buf);
        snprintf(err, cap, "%s: cannot read", path);
        return -1;
    }
    buf[n] = '\0';
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(buf, (size_t)n, &end, 0);
    if (!j) {
        long line = 1;
        for (const char *p = buf; end && p < end; p++)
            line += *p == '\n';
        snprintf(err, cap, "%s:%ld: not valid JSON", path, line);
        free(buf);
        return -1;
    }
    free(buf);
    const cJSON *tool = cJSON_GetObjectItemCaseSensitive(j, "tool");
    if (!cJSON_IsObject(j) || !cJSON_IsString(tool) || strcmp(tool->valuestring, "wxai-harness")) {
        snprintf(err, cap, "%s: not a wxai-harness report.json (no \"tool\": \"wxai-harness\")",
                 path);
        cJSON_Delete(j);
        return -1;
    }
    *out = j;
    return 0;
}

/* ---- reading one side ---- */

/* A report's number, or dflt: an infinite one (1e999 parses as inf) would poison every
 * rate and total computed from it. */
static double numv(const cJSON *o, const char *k, double dflt)
{
    double v = json_num(o, k, dflt);
    return isfinite(v) ? v : dflt;
}

/* Add one version's sparse rows [bin, answers, correct, incorrect] to the side. */
static int add_rows(compare_side *sd, const cJSON *rows, const char *label, const char *version,
                    char *err, size_t cap)
{
    const cJSON *row;
    if (!cJSON_IsArray(rows)) {
        snprintf(err, cap, "%s: confidence.fine.by_model_version.%s is not an array", label,
                 version);
        return -1;
    }
    cJSON_ArrayForEach(row, rows)
    {
        double v[4];
        int ok = cJSON_IsArray(row) && cJSON_GetArraySize(row) == 4;
        for (int i = 0; ok && i < 4; i++) {
            const cJSON *x = cJSON_GetArrayItem(row, i);
            ok = cJSON_IsNumber(x) && x->valuedouble >= 0 && x->valuedouble < 1e15 &&
                 x->valuedouble == floor(x->valuedouble);
            v[i] = ok ? x->valuedouble : 0;
        }
        if (!ok || v[0] >= COMPARE_BINS || v[2] + v[3] > v[1]) {
            snprintf(err, cap,
                     "%s: confidence.fine.by_model_version.%s: each row must be [bin 0-%d, "
                     "answers, correct, incorrect] with correct + incorrect <= answers",
                     label, version, COMPARE_BINS - 1);
            return -1;
        }
        size_t b = (size_t)v[0];
        sd->all[b] += (uint64_t)v[1];
        sd->correct[b] += (uint64_t)v[2];
        sd->incorrect[b] += (uint64_t)v[3];
    }
    size_t n = strlen(sd->versions);
    snprintf(sd->versions + n, sizeof sd->versions - n, "%s%s", n ? "," : "", version);
    return 0;
}

static void read_latency(const cJSON *l, double out[COMPARE_NLAT])
{
    for (int i = 0; i < COMPARE_NLAT; i++)
        out[i] = numv(l, lat_names[i], NAN);
}

static compare_endpoint *endpoint(compare_result *r, const char *name)
{
    for (size_t i = 0; i < r->nep; i++)
        if (strcmp(r->ep[i].name, name) == 0) return &r->ep[i];
    if (r->nep == COMPARE_MAX_ENDPOINTS) return NULL;
    compare_endpoint *e = &r->ep[r->nep++];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    for (int s = 0; s < 2; s++)
        for (int k = 0; k < 2; k++)
            for (int i = 0; i < COMPARE_NLAT; i++)
                e->lat[s][k][i] = NAN;
    return e;
}

static int read_side(compare_result *r, int s, const cJSON *rep, const char *version,
                     const char *label, char *err, size_t cap)
{
    compare_side *sd = &r->side[s];
    snprintf(sd->label, sizeof sd->label, "%s", label);
    const cJSON *fine = json_obj(json_obj(rep, "confidence"), "fine");
    const cJSON *bv = json_obj(fine, "by_model_version");
    if (!cJSON_IsObject(bv)) {
        snprintf(err, cap,
                 "%s: no confidence.fine in the report (written by an older wxai-harness? run "
                 "it again)",
                 label);
        return -1;
    }
    if (numv(fine, "bins", 0) != COMPARE_BINS) {
        snprintf(err, cap, "%s: confidence.fine.bins must be %d", label, COMPARE_BINS);
        return -1;
    }
    const cJSON *v;
    if (version) {
        v = json_obj(bv, version);
        if (!v) {
            char known[200] = "";
            size_t n = 0;
            cJSON_ArrayForEach(v, bv) n +=
                (size_t)snprintf(known + n, n < sizeof known ? sizeof known - n : 0, "%s%s",
                                 n ? ", " : "", v->string);
            snprintf(err, cap, "%s: no answers from model version '%s' (the run has: %s)", label,
                     version, n ? known : "none");
            return -1;
        }
        if (add_rows(sd, v, label, version, err, cap) != 0) return -1;
    } else {
        cJSON_ArrayForEach(v, bv) if (add_rows(sd, v, label, v->string, err, cap) != 0) return -1;
    }
    for (size_t b = 0; b < COMPARE_BINS; b++) {
        sd->answers += sd->all[b];
        sd->labelled += sd->correct[b] + sd->incorrect[b];
    }
    if (sd->answers == 0) {
        snprintf(err, cap, "%s: no order-routing answer with a confidence%s%s", label,
                 version ? " from version " : "", version ? version : "");
        return -1;
    }

    const cJSON *oc = json_obj(rep, "outcomes");
    const char *routed_parts[] = {
        "ready", "form_fallback", "pending_review", "unanswered_clarification", "error", "other"};
    for (size_t i = 0; i < sizeof routed_parts / sizeof routed_parts[0]; i++)
        sd->routed += (uint64_t)numv(oc, routed_parts[i], 0);
    sd->fallback_rate = numv(oc, "fallback_rate", 0);
    double clar = numv(oc, "clarified", 0) + numv(oc, "unanswered_clarification", 0);
    sd->clarification_rate = sd->routed ? fmin(1.0, clar / (double)sd->routed) : 0;
    const cJSON *acc = json_obj(rep, "accuracy");
    sd->accuracy = numv(acc, "labelled", 0) > 0 ? numv(acc, "all", 0) : -1;

    const cJSON *cost = json_obj(rep, "cost");
    sd->cost_total = (int64_t)numv(cost, "total_micros", 0);
    sd->cost_per_1000 = (int64_t)numv(cost, "per_1000_requests_micros", 0);
    const cJSON *cur = json_obj(cost, "currency");
    if (cJSON_IsString(cur) && !r->currency[0])
        snprintf(r->currency, sizeof r->currency, "%s", cur->valuestring);

    const cJSON *lat = json_obj(rep, "latency");
    read_latency(json_obj(json_obj(lat, "overall"), "corrected"), sd->lat[COMPARE_LAT_CORRECTED]);
    const cJSON *eps = json_obj(lat, "endpoints"), *e;
    cJSON_ArrayForEach(e, eps)
    {
        compare_endpoint *ce = endpoint(r, e->string);
        if (!ce) continue;
        ce->present[s] = 1;
        read_latency(json_obj(e, "corrected"), ce->lat[s][COMPARE_LAT_CORRECTED]);
        read_latency(json_obj(e, "uncorrected"), ce->lat[s][COMPARE_LAT_UNCORRECTED]);
        ce->requests[s] = (uint64_t)numv(json_obj(e, "corrected"), "count", 0);
    }
    const cJSON *be = json_obj(cost, "by_endpoint");
    cJSON_ArrayForEach(e, be)
    {
        const cJSON *name = json_obj(e, "endpoint");
        compare_endpoint *ce = cJSON_IsString(name) ? endpoint(r, name->valuestring) : NULL;
        if (!ce) continue;
        ce->present[s] = 1;
        ce->cost_micros[s] += (int64_t)numv(e, "cost_micros", 0);
    }
    return 0;
}

/* ---- analysis ---- */

static size_t bin_of(double t)
{
    double k = floor(t * COMPARE_BINS + 0.5);
    return k < 0 ? 0 : k > COMPARE_BINS ? COMPARE_BINS : (size_t)k;
}

static void add_row(compare_result *r, double t)
{
    t = (double)bin_of(t) / COMPARE_BINS;
    for (size_t i = 0; i < r->nrows; i++)
        if (fabs(r->rows[i].threshold - t) < 1e-9) return;
    if (r->nrows == COMPARE_MAX_ROWS) return;
    size_t at = r->nrows++;
    /* keep the table sorted by threshold */
    while (at > 0 && r->rows[at - 1].threshold > t) {
        r->rows[at] = r->rows[at - 1];
        at--;
    }
    compare_row *row = &r->rows[at];
    row->threshold = t;
    for (int s = 0; s < 2; s++) {
        const compare_side *sd = &r->side[s];
        row->fallback[s] = driftstat_share_below(sd->all, COMPARE_BINS, bin_of(t));
        driftstat_pr_at(sd->correct, sd->incorrect, COMPARE_BINS, bin_of(t), &row->pr[s]);
    }
}

static void pick_threshold(compare_result *r, const cJSON *old_rep, const compare_opts *o)
{
    const cJSON *t = json_obj(json_obj(old_rep, "confidence"), "threshold");
    const cJSON *pt = json_obj(json_obj(old_rep, "policy"), "threshold");
    if (o->threshold >= 0) {
        r->threshold = o->threshold;
        r->threshold_from = "--threshold";
    } else if (cJSON_IsNumber(t)) {
        r->threshold = t->valuedouble;
        r->threshold_from = "answers";
    } else if (cJSON_IsNumber(pt)) {
        r->threshold = pt->valuedouble;
        r->threshold_from = "policy";
    } else {
        r->threshold = 0.85; /* the contract's default */
        r->threshold_from = "default";
    }
    r->threshold = (double)bin_of(r->threshold) / COMPARE_BINS;
}

int compare_run(const cJSON *old_report, const cJSON *new_report, const compare_opts *o,
                compare_result **out, char *err, size_t cap)
{
    compare_opts dflt;
    if (!o) {
        compare_defaults(&dflt);
        o = &dflt;
    }
    *out = NULL;
    compare_result *r = calloc(1, sizeof *r);
    if (!r) goto nomem;
    for (int s = 0; s < 2; s++) {
        compare_side *sd = &r->side[s];
        if (!(sd->all = calloc(3 * COMPARE_BINS, sizeof *sd->all))) goto nomem;
        sd->correct = sd->all + COMPARE_BINS;
        sd->incorrect = sd->all + 2 * COMPARE_BINS;
    }
    if (read_side(r, COMPARE_OLD, old_report, o->old_version, o->old_label ? o->old_label : "old",
                  err, cap) != 0 ||
        read_side(r, COMPARE_NEW, new_report, o->new_version, o->new_label ? o->new_label : "new",
                  err, cap) != 0) {
        compare_free(r);
        return -1;
    }
    if (!r->currency[0]) snprintf(r->currency, sizeof r->currency, "CNY");
    compare_side *old = &r->side[COMPARE_OLD], *nw = &r->side[COMPARE_NEW];
    driftstat_psi_compute(old->all, nw->all, COMPARE_BINS, &r->psi);
    driftstat_ks_compute(old->all, nw->all, COMPARE_BINS, &r->ks);

    pick_threshold(r, old_report, o);
    size_t k = bin_of(r->threshold);
    for (int s = 0; s < 2; s++) {
        compare_side *sd = &r->side[s];
        sd->model_fallback = driftstat_share_below(sd->all, COMPARE_BINS, k);
        driftstat_pr_at(sd->correct, sd->incorrect, COMPARE_BINS, k, &sd->pr);
    }
    /* Within the tolerance the move is noise, not drift: keep the threshold the team has. */
    size_t rk = k;
    if (fabs(nw->model_fallback - old->model_fallback) > o->tolerance)
        driftstat_restore_rate(nw->all, COMPARE_BINS, old->model_fallback, k, &rk, NULL);
    r->recommended = (double)rk / COMPARE_BINS;
    r->restored_rate = driftstat_share_below(nw->all, COMPARE_BINS, rk);
    r->changed = rk != k;

    r->labelled = old->labelled > 0 && nw->labelled > 0;
    r->target_precision = o->target_precision;
    r->precision_status = -1;
    if (nw->labelled > 0 && o->target_precision > 0) {
        size_t pk;
        r->precision_status = driftstat_target_precision(
            nw->correct, nw->incorrect, COMPARE_BINS, o->target_precision, &pk, &r->precision_pr);
        if (r->precision_status == 0) r->precision_threshold = (double)pk / COMPARE_BINS;
    }

    for (int i = 10; i <= 19; i++)
        add_row(r, i * 0.05);
    add_row(r, r->threshold);
    add_row(r, r->recommended);
    if (r->precision_status == 0) add_row(r, r->precision_threshold);
    *out = r;
    return 0;
nomem:
    compare_free(r);
    snprintf(err, cap, "out of memory");
    return -1;
}

/* ---- text ---- */

const char *compare_row_mark(const compare_result *r, double t)
{
    if (fabs(t - r->threshold) < 1e-9) return "current";
    if (fabs(t - r->recommended) < 1e-9) return "recommended";
    if (r->precision_status == 0 && fabs(t - r->precision_threshold) < 1e-9)
        return "target precision";
    return "";
}

void compare_row_cells(const compare_result *r, const compare_row *x, char cells[6][COMPARE_CELL])
{
    const compare_side *o = &r->side[COMPARE_OLD], *n = &r->side[COMPARE_NEW];
    fmt_pct(cells[0], COMPARE_CELL, x->fallback[0]);
    fmt_pct(cells[1], COMPARE_CELL, x->fallback[1]);
    fmt_pct(cells[2], COMPARE_CELL, o->labelled ? x->pr[0].precision : -1);
    fmt_pct(cells[3], COMPARE_CELL, n->labelled ? x->pr[1].precision : -1);
    fmt_pct(cells[4], COMPARE_CELL, o->labelled ? x->pr[0].recall : -1);
    fmt_pct(cells[5], COMPARE_CELL, n->labelled ? x->pr[1].recall : -1);
}

/* One "[old, new, delta]" line of the text summary. */
static void rate_line(FILE *f, const char *label, double x, double y, const char *tail)
{
    char a[32], b[32], d[32];
    fmt_pct(a, sizeof a, x);
    fmt_pct(b, sizeof b, y);
    fmt_pp(d, sizeof d, x, y, "pp");
    fprintf(f, "%-14s[old, new, delta]                 %s, %s, %s%s\n", label, a, b, d, tail);
}

void compare_text(FILE *f, const compare_result *r)
{
    const compare_side *o = &r->side[COMPARE_OLD], *n = &r->side[COMPARE_NEW];
    char a[32], b[32], d[32];
    fprintf(f, "Compare       old %s (%s, %llu answers)\n", o->label, o->versions,
            (unsigned long long)o->answers);
    fprintf(f, "              new %s (%s, %llu answers)\n", n->label, n->versions,
            (unsigned long long)n->answers);
    fprintf(f, "Drift         [PSI, band, KS D, KS p]           %.4f, %s, %.4f, %.3g\n", r->psi.psi,
            driftstat_psi_band(r->psi.psi), r->ks.d, r->ks.p_value);
    fprintf(f, "Threshold     [current, from]                   %.3f, %s\n", r->threshold,
            r->threshold_from);
    rate_line(f, "Below it", o->model_fallback, n->model_fallback, " of answers");
    rate_line(f, "Fallback", o->fallback_rate, n->fallback_rate, " of records");
    rate_line(f, "Clarification", o->clarification_rate, n->clarification_rate, "");
    if (o->accuracy >= 0 || n->accuracy >= 0)
        rate_line(f, "Accuracy", o->accuracy, n->accuracy, "");
    fmt_pct(a, sizeof a, r->restored_rate);
    if (r->changed)
        fprintf(f,
                "Recommend     threshold %.3f (was %.3f): %s of the new version's answers below "
                "it, as %.2f%% were before\n",
                r->recommended, r->threshold, a, 100 * o->model_fallback);
    else
        fprintf(f, "Recommend     no change: threshold %.3f keeps %s below it (was %.2f%%)\n",
                r->threshold, a, 100 * o->model_fallback);
    if (r->precision_status == 0 && r->precision_threshold == 0)
        fprintf(f,
                "Precision     every threshold reaches the %.2f%% target on the new version "
                "(%.2f%% with every answer accepted)\n",
                100 * r->target_precision, 100 * r->precision_pr.precision);
    else if (r->precision_status == 0)
        fprintf(f,
                "Precision     threshold %.3f reaches %.2f%% precision (target %.2f%%) at %.2f%% "
                "recall on the new version\n",
                r->precision_threshold, 100 * r->precision_pr.precision, 100 * r->target_precision,
                100 * r->precision_pr.recall);
    else if (r->precision_status == 1)
        fprintf(f, "Precision     no threshold reaches %.2f%% on the new version\n",
                100 * r->target_precision);

    fprintf(f, "\nThreshold  fallback(old) fallback(new)  precision(old) precision(new)  "
               "recall(old) recall(new)\n");
    for (size_t i = 0; i < r->nrows; i++) {
        const compare_row *w = &r->rows[i];
        char c[6][COMPARE_CELL];
        compare_row_cells(r, w, c);
        const char *mark = compare_row_mark(r, w->threshold);
        fprintf(f, "  %.3f    %12s %13s  %14s %14s  %11s %11s%s%s\n", w->threshold, c[0], c[1],
                c[2], c[3], c[4], c[5], mark[0] ? "  " : "", mark);
    }

    fprintf(f, "\nEndpoints     %-26s %10s %10s %10s %10s %14s %14s\n", "", "p50(old)", "p50(new)",
            "p99(old)", "p99(new)", "cost(old)", "cost(new)");
    for (size_t i = 0; i < r->nep; i++) {
        const compare_endpoint *e = &r->ep[i];
        char c[6][32];
        fmt_ms(c[0], 32, e->lat[0][0][COMPARE_P50], "ms");
        fmt_ms(c[1], 32, e->lat[1][0][COMPARE_P50], "ms");
        fmt_ms(c[2], 32, e->lat[0][0][COMPARE_P99], "ms");
        fmt_ms(c[3], 32, e->lat[1][0][COMPARE_P99], "ms");
        fmt_micros(c[4], 32, e->cost_micros[0]);
        fmt_micros(c[5], 32, e->cost_micros[1]);
        fprintf(f, "  %-38s %10s %10s %10s %10s %14s %14s\n", e->name, c[0], c[1], c[2], c[3], c[4],
                c[5]);
    }
    fmt_micros(a, sizeof a, o->cost_total);
    fmt_micros(b, sizeof b, n->cost_total);
    fmt_micros(d, sizeof d, n->cost_total - o->cost_total);
    fprintf(f, "Cost          [old, new, delta]                 %s, %s, %s %s\n", a, b, d,
            r->currency);
}

/* ---- JSON ---- */

static void add_num(cJSON *o, const char *k, double v, int digits)
{
    if (isfinite(v) && v >= 0)
        cJSON_AddNumberToObject(o, k, json_round(v, digits));
    else
        cJSON_AddNullToObject(o, k);
}

static cJSON *pr_json(const driftstat_pr *pr)
{
    cJSON *o = cJSON_CreateObject();
    add_num(o, "precision", pr->precision, 6);
    add_num(o, "recall", pr->recall, 6);
    json_add_int(o, "accepted", (int64_t)pr->accepted);
    json_add_int(o, "correct_accepted", (int64_t)pr->correct_accepted);
    return o;
}

static cJSON *side_json(const compare_side *sd)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "report", sd->label);
    cJSON_AddStringToObject(o, "model_versions", sd->versions);
    json_add_int(o, "answers", (int64_t)sd->answers);
    json_add_int(o, "labelled", (int64_t)sd->labelled);
    json_add_int(o, "records", (int64_t)sd->routed);
    add_num(o, "below_threshold", sd->model_fallback, 6);
    add_num(o, "fallback_rate", sd->fallback_rate, 6);
    add_num(o, "clarification_rate", sd->clarification_rate, 6);
    add_num(o, "accuracy", sd->accuracy, 6);
    if (sd->labelled)
        cJSON_AddItemToObject(o, "at_threshold", pr_json(&sd->pr));
    else
        cJSON_AddNullToObject(o, "at_threshold");
    json_add_int(o, "cost_micros", sd->cost_total);
    json_add_int(o, "cost_per_1000_micros", sd->cost_per_1000);
    /* the distribution as 100 bins of 0.01 (the chart's), the 1,000-bin one is in the run */
    cJSON *h = cJSON_AddArrayToObject(o, "confidence_percent_bins");
    for (int i = 0; i < 100; i++) {
        uint64_t c = 0;
        for (int j = 0; j < COMPARE_BINS / 100; j++)
            c += sd->all[i * (COMPARE_BINS / 100) + j];
        cJSON_AddItemToArray(h, cJSON_CreateNumber((double)c));
    }
    return o;
}

cJSON *compare_json(const compare_result *r, const gate_expr *gates, const gate_result *results,
                    size_t n)
{
    cJSON *j = cJSON_CreateObject();
    if (!j) return NULL;
    cJSON_AddNumberToObject(j, "version", 1);
    cJSON_AddStringToObject(j, "tool", "wxai-harness compare");
    cJSON_AddItemToObject(j, "old", side_json(&r->side[COMPARE_OLD]));
    cJSON_AddItemToObject(j, "new", side_json(&r->side[COMPARE_NEW]));

    cJSON *d = cJSON_AddObjectToObject(j, "drift");
    cJSON *p = cJSON_AddObjectToObject(d, "psi");
    cJSON_AddNumberToObject(p, "value", json_round(r->psi.psi, 6));
    cJSON_AddStringToObject(p, "band", driftstat_psi_band(r->psi.psi));
    cJSON_AddNumberToObject(p, "epsilon", DRIFTSTAT_PSI_EPS);
    cJSON *bins = cJSON_AddArrayToObject(p, "bins");
    for (int i = 0; i < r->psi.nbins; i++) {
        cJSON *b = cJSON_CreateObject();
        cJSON_AddNumberToObject(b, "from", r->psi.edges[i]);
        cJSON_AddNumberToObject(b, "to", r->psi.edges[i + 1]);
        cJSON_AddNumberToObject(b, "old", json_round(r->psi.base_share[i], 6));
        cJSON_AddNumberToObject(b, "new", json_round(r->psi.current_share[i], 6));
        cJSON_AddItemToArray(bins, b);
    }
    cJSON *k = cJSON_AddObjectToObject(d, "ks");
    cJSON_AddNumberToObject(k, "d", json_round(r->ks.d, 6));
    cJSON_AddNumberToObject(k, "at", r->ks.at);
    cJSON_AddNumberToObject(k, "p_value", r->ks.p_value);
    cJSON_AddNumberToObject(d, "resolution", 1.0 / COMPARE_BINS);

    cJSON *t = cJSON_AddObjectToObject(j, "threshold");
    cJSON_AddNumberToObject(t, "current", r->threshold);
    cJSON_AddStringToObject(t, "current_from", r->threshold_from);
    cJSON_AddNumberToObject(t, "recommended", r->recommended);
    cJSON_AddBoolToObject(t, "change", r->changed);
    add_num(t, "old_below", r->side[COMPARE_OLD].model_fallback, 6);
    add_num(t, "new_below_current", r->side[COMPARE_NEW].model_fallback, 6);
    add_num(t, "new_below_recommended", r->restored_rate, 6);
    cJSON *tp = cJSON_AddObjectToObject(t, "target_precision");
    if (r->target_precision > 0)
        cJSON_AddNumberToObject(tp, "target", r->target_precision);
    else
        cJSON_AddNullToObject(tp, "target");
    cJSON_AddStringToObject(tp, "status",
                            r->precision_status == 0   ? "reached"
                            : r->precision_status == 1 ? "unreachable"
                                                       : "no labels");
    if (r->precision_status == 0) {
        cJSON_AddNumberToObject(tp, "threshold", r->precision_threshold);
        add_num(tp, "precision", r->precision_pr.precision, 6);
        add_num(tp, "recall", r->precision_pr.recall, 6);
    }
    cJSON *rows = cJSON_AddArrayToObject(j, "threshold_table");
    for (size_t i = 0; i < r->nrows; i++) {
        const compare_row *w = &r->rows[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "threshold", w->threshold);
        for (int s = 0; s < 2; s++) {
            cJSON *x = cJSON_AddObjectToObject(o, s ? "new" : "old");
            add_num(x, "below", w->fallback[s], 6);
            add_num(x, "precision", r->side[s].labelled ? w->pr[s].precision : -1, 6);
            add_num(x, "recall", r->side[s].labelled ? w->pr[s].recall : -1, 6);
        }
        cJSON_AddItemToArray(rows, o);
    }

    cJSON *eps = cJSON_AddArrayToObject(j, "endpoints");
    for (size_t i = 0; i < r->nep; i++) {
        const compare_endpoint *e = &r->ep[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "endpoint", e->name);
        for (int s = 0; s < 2; s++) {
            cJSON *x = cJSON_AddObjectToObject(o, s ? "new" : "old");
            if (!e->present[s]) {
                cJSON_AddBoolToObject(x, "present", 0);
                continue;
            }
            json_add_int(x, "requests", (int64_t)e->requests[s]);
            for (int l = COMPARE_P50; l <= COMPARE_P99; l++)
                add_num(x, lat_names[l], e->lat[s][0][l], 0);
            json_add_int(x, "cost_micros", e->cost_micros[s]);
        }
        cJSON *dl = cJSON_AddObjectToObject(o, "delta");
        for (int l = COMPARE_P50; l <= COMPARE_P99; l++) {
            double v = e->lat[1][0][l] - e->lat[0][0][l];
            if (e->present[0] && e->present[1] && isfinite(v))
                cJSON_AddNumberToObject(dl, lat_names[l], v);
            else
                cJSON_AddNullToObject(dl, lat_names[l]);
        }
        json_add_int(dl, "cost_micros", e->cost_micros[1] - e->cost_micros[0]);
        cJSON_AddItemToArray(eps, o);
    }
    cJSON *c = cJSON_AddObjectToObject(j, "cost");
    cJSON_AddStringToObject(c, "currency", r->currency);
    json_add_int(c, "old_micros", r->side[0].cost_total);
    json_add_int(c, "new_micros", r->side[1].cost_total);
    json_add_int(c, "delta_micros", r->side[1].cost_total - r->side[0].cost_total);

    /* the same items as report.json's gates: one reader serves both */
    cJSON_AddItemToObject(j, "gates", measure_gates_json(results, gates, n));
    return j;
}

/* ---- gates ---- */

static const char *const m_conf[] = {"confidence", NULL};
static const char *const m_rate[] = {"fallback", "clarification", "accuracy", "model_fallback",
                                     NULL};
static const char *const m_lat[] = {"latency", "latency_uncorrected", NULL};
static const char *const l_ep[] = {"endpoint", NULL};

static const gate_func compare_funcs[] = {
    {"psi", GATE_DIM_NUMBER, m_conf, NULL},       {"ks", GATE_DIM_NUMBER, m_conf, NULL},
    {"ks_pvalue", GATE_DIM_NUMBER, m_conf, NULL}, {"rate", GATE_DIM_RATIO, m_rate, NULL},
    {"p50", GATE_DIM_TIME, m_lat, l_ep},          {"p90", GATE_DIM_TIME, m_lat, l_ep},
    {"p95", GATE_DIM_TIME, m_lat, l_ep},          {"p99", GATE_DIM_TIME, m_lat, l_ep},
    {"min", GATE_DIM_TIME, m_lat, l_ep},          {"mean", GATE_DIM_TIME, m_lat, l_ep},
    {"max", GATE_DIM_TIME, m_lat, l_ep},          {"delta", GATE_DIM_ARG, NULL, NULL},
};

static const gate_path compare_paths[] = {
    {"cost.total", GATE_DIM_MONEY, l_ep},
    {"cost.per_1000", GATE_DIM_MONEY, NULL},
    {"threshold.recommended", GATE_DIM_NUMBER, NULL},
    {"threshold.change", GATE_DIM_NUMBER, NULL},
};

static const gate_vocab compare_vocabulary = {
    compare_funcs, sizeof compare_funcs / sizeof compare_funcs[0], compare_paths,
    sizeof compare_paths / sizeof compare_paths[0]};

const gate_vocab *compare_vocab(void)
{
    return &compare_vocabulary;
}

/* The value of node i on side s. */
static int node_value(const compare_result *r, const gate_expr *e, size_t i, int s, double *v)
{
    const gate_node *nd = &e->nodes[i];
    const compare_side *sd = &r->side[s];
    if (nd->kind == GATE_NODE_METRIC) {
        if (!strcmp(nd->name, "cost.total")) {
            const char *ep = gate_label_get(e, i, "endpoint");
            if (!ep) return *v = (double)sd->cost_total, GATE_OK;
            for (size_t k = 0; k < r->nep; k++)
                if (!strcmp(r->ep[k].name, ep) && r->ep[k].present[s])
                    return *v = (double)r->ep[k].cost_micros[s], GATE_OK;
            return GATE_ENODATA;
        }
        if (!strcmp(nd->name, "cost.per_1000")) return *v = (double)sd->cost_per_1000, GATE_OK;
        if (!strcmp(nd->name, "threshold.recommended")) return *v = r->recommended, GATE_OK;
        if (!strcmp(nd->name, "threshold.change"))
            return *v = r->recommended - r->threshold, GATE_OK;
        return GATE_EUNKNOWN;
    }
    const gate_node *arg = &e->nodes[i + 1];
    if (!strcmp(nd->name, "delta")) {
        double a, b;
        int rc = node_value(r, e, i + 1, COMPARE_OLD, &a);
        if (rc == GATE_OK) rc = node_value(r, e, i + 1, COMPARE_NEW, &b);
        if (rc == GATE_OK) *v = b - a;
        return rc;
    }
    if (!strcmp(nd->name, "psi")) return *v = r->psi.psi, GATE_OK;
    if (!strcmp(nd->name, "ks")) return *v = r->ks.d, GATE_OK;
    if (!strcmp(nd->name, "ks_pvalue")) return *v = r->ks.p_value, GATE_OK;
    if (!strcmp(nd->name, "rate")) {
        if (!strcmp(arg->name, "fallback")) return *v = sd->fallback_rate, GATE_OK;
        if (!strcmp(arg->name, "clarification")) return *v = sd->clarification_rate, GATE_OK;
        if (!strcmp(arg->name, "model_fallback")) return *v = sd->model_fallback, GATE_OK;
        if (!strcmp(arg->name, "accuracy"))
            return sd->accuracy < 0 ? GATE_ENODATA : (*v = sd->accuracy, GATE_OK);
        return GATE_EUNKNOWN;
    }
    static const char *const fig[COMPARE_NLAT] = {"min", "mean", "p50", "p90", "p95", "p99", "max"};
    for (int l = 0; l < COMPARE_NLAT; l++) {
        if (strcmp(nd->name, fig[l])) continue;
        int kind = strcmp(arg->name, "latency") ? COMPARE_LAT_UNCORRECTED : COMPARE_LAT_CORRECTED;
        const char *ep = gate_label_get(e, i + 1, "endpoint");
        double x = NAN;
        if (!ep && kind == COMPARE_LAT_CORRECTED) x = sd->lat[COMPARE_LAT_CORRECTED][l];
        for (size_t k = 0; ep && k < r->nep; k++)
            if (!strcmp(r->ep[k].name, ep) && r->ep[k].present[s]) x = r->ep[k].lat[s][kind][l];
        if (!ep && kind == COMPARE_LAT_UNCORRECTED) return GATE_EUNKNOWN;
        if (!isfinite(x)) return GATE_ENODATA;
        *v = x;
        return GATE_OK;
    }
    return GATE_EUNKNOWN;
}

int compare_resolve(void *ctx, const gate_expr *e, double *value)
{
    return node_value(ctx, e, 0, COMPARE_NEW, value);
}

/* ---- pinning a version for --compare-versions ---- */

int compare_pin_version(scenario *sc, const char *version, char *err, size_t cap)
{
    drift_model *m = &sc->models.endpoint[ENDPOINT_ORDER_ROUTING];
    int v = drift_find(m, version);
    if (v < 0) {
        size_t n = 0;
        n += (size_t)snprintf(err, cap, "model version '%s' is not in %s (it has:", version,
                              sc->name ? sc->name : "the scenario");
        for (size_t i = 0; i < m->nversions && n < cap; i++)
            n += (size_t)snprintf(err + n, cap - n, " %s", m->versions[i].id);
        if (n < cap) snprintf(err + n, cap - n, ")");
        return -1;
    }
    /* One step from the first request on: a later drift step or admin call cannot take the
     * run away from the version being measured. */
    memset(m->steps, 0, sizeof m->steps);
    m->steps[0] = (drift_step){.when = DRIFT_AT_REQUEST, .at_request = 1, .to = v};
    m->nsteps = 1;
    return 0;
}
