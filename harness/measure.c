/* measure: the gate vocabulary of a run and its values. See measure.h. */
#include "measure.h"

#include <stdlib.h>
#include <string.h>

static const char *const lat_metrics[] = {"latency", "latency_uncorrected", NULL};
static const char *const ep_label[] = {"endpoint", NULL};
static const char *const check_labels[] = {"check", "endpoint", NULL};
static const char *const conf_metrics[] = {"conformance", NULL};
static const char *const outcome_metrics[] = {"fallback", "clarification", "accuracy", NULL};
static const char *const status_metrics[] = {"429", "5xx", "errors", "success", NULL};
static const char *const code_metrics[] = {"status", NULL};
static const char *const code_label[] = {"code", NULL};
static const char *const count_ep_metrics[] = {"requests", "errors", "429", "5xx", NULL};
static const char *const count_run_metrics[] = {"records", "bad_lines", NULL};
static const char *const count_check_metrics[] = {"failures", NULL};
static const char *const cost_labels[] = {"endpoint", "provider", NULL};

static const gate_func funcs[] = {
    {"p#", GATE_DIM_TIME, lat_metrics, ep_label},
    {"min", GATE_DIM_TIME, lat_metrics, ep_label},
    {"max", GATE_DIM_TIME, lat_metrics, ep_label},
    {"mean", GATE_DIM_TIME, lat_metrics, ep_label},
    {"rate", GATE_DIM_RATIO, conf_metrics, check_labels},
    {"rate", GATE_DIM_RATIO, outcome_metrics, NULL},
    {"rate", GATE_DIM_RATIO, status_metrics, ep_label},
    {"rate", GATE_DIM_RATIO, code_metrics, code_label},
    {"count", GATE_DIM_COUNT, count_ep_metrics, ep_label},
    {"count", GATE_DIM_COUNT, count_run_metrics, NULL},
    {"count", GATE_DIM_COUNT, count_check_metrics, check_labels},
};

static const gate_path paths[] = {
    {"cost.total", GATE_DIM_MONEY, cost_labels},
    {"cost.per_1000", GATE_DIM_MONEY, cost_labels},
};

static const gate_vocab vocab = {funcs, sizeof funcs / sizeof funcs[0], paths,
                                 sizeof paths / sizeof paths[0]};

const gate_vocab *measure_vocab(void)
{
    return &vocab;
}

static const stats_endpoint *endpoint(const stats *st, const char *name)
{
    for (size_t i = 0; i < st->nep; i++)
        if (!strcmp(st->ep[i].name, name)) return &st->ep[i];
    return NULL;
}

static int ratio(uint64_t a, uint64_t b, double *v)
{
    if (!b) return GATE_ENODATA;
    *v = (double)a / (double)b;
    return GATE_OK;
}

static int latency(const measure_ctx *m, const gate_expr *e, double *v)
{
    const gate_node *fn = &e->nodes[0], *arg = &e->nodes[1];
    int unc = !strcmp(arg->name, "latency_uncorrected");
    const char *ep = gate_label_get(e, 1, "endpoint");
    const histogram *h = unc ? m->st->uncorrected : m->st->corrected;
    if (ep) {
        const stats_endpoint *se = endpoint(m->st, ep);
        if (!se) return GATE_ENODATA;
        h = unc ? se->uncorrected : se->corrected;
    }
    if (!h || histogram_count(h) == 0) return GATE_ENODATA;
    if (!strcmp(fn->name, "min"))
        *v = (double)histogram_min(h);
    else if (!strcmp(fn->name, "max"))
        *v = (double)histogram_max(h);
    else if (!strcmp(fn->name, "mean"))
        *v = histogram_mean(h);
    else
        *v = (double)histogram_percentile(h, strtod(fn->name + 1, NULL));
    return GATE_OK;
}

/* Passed and failed of the checks the labels pick (every enabled check, every endpoint by
 * default). -1 when a label names a check that does not exist. */
static int check_counts(const measure_ctx *m, const gate_expr *e, uint64_t *passed,
                        uint64_t *failed)
{
    const char *ck = gate_label_get(e, 1, "check"), *ep = gate_label_get(e, 1, "endpoint");
    int found = !ck;
    *passed = *failed = 0;
    for (int i = 0; i < CHECK_COUNT; i++) {
        if (ck && strcmp(ck, check_name((check_id)i))) continue;
        found = 1;
        if (!(m->cr->enabled & (1u << i))) continue;
        if (!ep) {
            *passed += m->cr->t[i].passed;
            *failed += m->cr->t[i].failed;
            continue;
        }
        for (size_t j = 0; j < m->cr->nep; j++)
            if (!strcmp(m->cr->ep[j].name, ep)) {
                *passed += m->cr->ep[j].passed[i];
                *failed += m->cr->ep[j].failed[i];
            }
    }
    return found ? 0 : -1;
}

static uint64_t status_range(const stats *st, int lo, int hi)
{
    uint64_t n = 0;
    for (int i = lo; i <= hi && i < STATS_MAX_STATUS; i++)
        n += st->status[i];
    return n;
}

/* count and rate of 429, 5xx, errors, success, requests over the run or one endpoint. */
static int status_figure(const measure_ctx *m, const gate_expr *e, uint64_t *num, uint64_t *den)
{
    const char *what = e->nodes[1].name, *ep = gate_label_get(e, 1, "endpoint");
    const stats *st = m->st;
    /* the run's figures, or one endpoint's: the same names pick from either */
    uint64_t s429, s5xx, noresp, ok;
    if (ep) {
        const stats_endpoint *se = endpoint(st, ep);
        if (!se) return GATE_ENODATA;
        *den = se->requests + se->noresp;
        s429 = se->s429;
        s5xx = se->s5xx;
        noresp = se->noresp;
        ok = se->ok;
    } else {
        *den = st->exchanges;
        s429 = st->status[429];
        s5xx = status_range(st, 500, 599);
        noresp = st->status[0];
        ok = st->successes;
    }
    if (!strcmp(what, "429"))
        *num = s429;
    else if (!strcmp(what, "5xx"))
        *num = s5xx;
    else if (!strcmp(what, "errors"))
        *num = s5xx + noresp;
    else if (!strcmp(what, "success"))
        *num = ok;
    else
        *num = *den;
    return GATE_OK;
}

static int rate(const measure_ctx *m, const gate_expr *e, double *v)
{
    const char *what = e->nodes[1].name;
    const stats *st = m->st;
    uint64_t routed = st->out_ready + st->out_form + st->out_review + st->out_unanswered +
                      st->out_error + st->out_other;
    if (!strcmp(what, "conformance")) {
        uint64_t p, f;
        if (check_counts(m, e, &p, &f)) return GATE_EUNKNOWN;
        return ratio(p, p + f, v);
    }
    if (!strcmp(what, "fallback")) return ratio(st->out_form, routed, v);
    if (!strcmp(what, "clarification")) return ratio(st->clarified, routed, v);
    if (!strcmp(what, "accuracy")) return ratio(st->truth_all_ok, st->truth_n, v);
    if (!strcmp(what, "status")) {
        const char *code = gate_label_get(e, 1, "code");
        char *end;
        long c = code ? strtol(code, &end, 10) : -1;
        if (!code || *end || c < 100 || c >= STATS_MAX_STATUS) return GATE_EUNKNOWN;
        return ratio(st->status[c], st->exchanges, v);
    }
    uint64_t num, den;
    int rc = status_figure(m, e, &num, &den);
    return rc ? rc : ratio(num, den, v);
}

static int count(const measure_ctx *m, const gate_expr *e, double *v)
{
    const char *what = e->nodes[1].name;
    if (!strcmp(what, "records")) {
        *v = (double)m->st->records;
        return GATE_OK;
    }
    if (!strcmp(what, "bad_lines")) {
        *v = (double)m->st->bad_lines;
        return GATE_OK;
    }
    if (!strcmp(what, "failures")) {
        uint64_t p, f;
        if (check_counts(m, e, &p, &f)) return GATE_EUNKNOWN;
        *v = (double)f;
        return GATE_OK;
    }
    uint64_t num, den;
    int rc = status_figure(m, e, &num, &den);
    if (!rc) *v = (double)num;
    return rc;
}

static int cost(const measure_ctx *m, const gate_expr *e, double *v)
{
    const char *ep = gate_label_get(e, 0, "endpoint"), *pv = gate_label_get(e, 0, "provider");
    int64_t micros = 0;
    uint64_t requests = 0;
    int any = 0;
    for (size_t i = 0; i < m->st->nep; i++) {
        const stats_endpoint *se = &m->st->ep[i];
        if ((ep && strcmp(ep, se->name)) || (pv && strcmp(pv, se->provider))) continue;
        micros += se->cost_micros;
        requests += se->requests;
        any = 1;
    }
    if ((ep || pv) && !any) return GATE_ENODATA;
    if (!strcmp(e->nodes[0].name, "cost.total")) {
        *v = (double)micros;
        return GATE_OK;
    }
    /* per 1,000 records over the run (as report.json's per_1000_requests_micros); per 1,000
     * of its own requests for one endpoint or provider */
    uint64_t den = ep || pv ? requests : m->st->records;
    if (!den) return GATE_ENODATA;
    *v = (double)micros * 1000.0 / (double)den;
    return GATE_OK;
}

int measure_resolve(void *ctx, const gate_expr *e, double *value)
{
    const measure_ctx *m = ctx;
    if (!m || !m->st || !m->cr || e->nnodes == 0) return GATE_EUNKNOWN;
    const gate_node *root = &e->nodes[0];
    if (root->kind == GATE_NODE_METRIC)
        return strncmp(root->name, "cost.", 5) ? GATE_EUNKNOWN : cost(m, e, value);
    if (e->nnodes < 2 || e->nodes[1].kind != GATE_NODE_METRIC) return GATE_EUNKNOWN;
    if (!strcmp(root->name, "rate")) return rate(m, e, value);
    if (!strcmp(root->name, "count")) return count(m, e, value);
    if (!strcmp(e->nodes[1].name, "latency") || !strcmp(e->nodes[1].name, "latency_uncorrected"))
        return latency(m, e, value);
    return GATE_EUNKNOWN;
}

int measure_gates(const gate_expr *gates, size_t n, const measure_ctx *m, gate_result *results)
{
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        gate_eval(&gates[i], measure_resolve, (void *)m, &results[i]);
        failed += results[i].verdict != GATE_PASS;
    }
    return failed;
}

cJSON *measure_gates_json(const gate_result *results, const gate_expr *gates, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++) {
        const gate_result *r = &results[i];
        cJSON *o = cJSON_CreateObject();
        if (!o) break;
        cJSON_AddStringToObject(o, "expr", r->expr);
        cJSON_AddBoolToObject(o, "passed", r->verdict == GATE_PASS);
        if (r->has_value)
            cJSON_AddNumberToObject(o, "observed", r->observed);
        else
            cJSON_AddNullToObject(o, "observed");
        cJSON_AddStringToObject(o, "observed_text", r->observed_text);
        cJSON_AddNumberToObject(o, "threshold", r->threshold);
        cJSON_AddStringToObject(o, "unit", gates[i].unit);
        cJSON_AddStringToObject(o, "message", r->message);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}
