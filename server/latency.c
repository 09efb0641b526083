/* latency: configured delay distributions (see latency.h). */
#include "latency.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

#define Z99 2.3263478740408408 /* standard normal quantile at 0.99 */
#define MAX_MS 600000.0        /* ten minutes: longer is a typo */

double latency_unit(uint64_t key)
{
    uint64_t st = key;
    return ((double)(rng_next(&st) >> 11) + 0.5) * 0x1.0p-53;
}

/* Acklam's rational approximation, refined by one Halley step (|error| < 1e-15). */
double latency_norm_quantile(double p)
{
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    const double lo = 0.02425, hi = 1 - lo;
    double q, r, x;
    if (p <= 0) return -INFINITY;
    if (p >= 1) return INFINITY;
    if (p < lo) {
        q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p <= hi) {
        q = p - 0.5;
        r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    } else {
        q = sqrt(-2 * log(1 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    double e = 0.5 * erfc(-x / sqrt(2)) - p;
    double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

double latency_quantile(const latency_dist *d, double u)
{
    double v = 0;
    switch (d->kind) {
    case LATENCY_NONE:
    case LATENCY_OFF:
        return 0;
    case LATENCY_FIXED:
        return d->a;
    case LATENCY_UNIFORM:
        v = d->a + (d->b - d->a) * u;
        break;
    case LATENCY_NORMAL:
        v = d->a + d->b * latency_norm_quantile(u);
        break;
    case LATENCY_LOGNORMAL:
        v = exp(d->a + d->b * latency_norm_quantile(u));
        break;
    case LATENCY_EMPIRICAL: {
        size_t n = d->npoints;
        if (n == 0) return 0;
        if (u <= d->pct[0]) return d->ms[0];
        if (u >= d->pct[n - 1]) return d->ms[n - 1];
        size_t i = 1;
        while (i < n - 1 && u > d->pct[i])
            i++;
        double f = (u - d->pct[i - 1]) / (d->pct[i] - d->pct[i - 1]);
        v = d->ms[i - 1] + f * (d->ms[i] - d->ms[i - 1]);
        break;
    }
    }
    if (!(v > 0)) return 0; /* also NaN */
    return v > MAX_MS ? MAX_MS : v;
}

double latency_sample(const latency_dist *d, uint64_t key)
{
    if (d->kind == LATENCY_NONE || d->kind == LATENCY_OFF) return 0;
    return latency_quantile(d, latency_unit(key));
}

const latency_dist *latency_pick(const latency_config *c, int endpoint, int multimodal)
{
    static const latency_dist none = {.kind = LATENCY_NONE};
    static const latency_dist fraud = {.kind = LATENCY_UNIFORM,
                                       .a = LATENCY_DEFAULT_FRAUD_MIN_MS,
                                       .b = LATENCY_DEFAULT_FRAUD_MAX_MS};
    static const latency_dist mm = {.kind = LATENCY_UNIFORM,
                                    .a = LATENCY_DEFAULT_MULTIMODAL_MIN_MS,
                                    .b = LATENCY_DEFAULT_MULTIMODAL_MAX_MS};
    /* Attachments make the order-routing latency the multimodal one even when only
     * latency.order_routing is configured: reading an image is what takes the time. */
    if (multimodal && endpoint == ENDPOINT_ORDER_ROUTING)
        return c->multimodal.kind != LATENCY_NONE ? &c->multimodal : &mm;
    if (endpoint < 0 || endpoint >= ENDPOINT_COUNT) return &none;
    if (c->endpoint[endpoint].kind != LATENCY_NONE) return &c->endpoint[endpoint];
    return endpoint == ENDPOINT_FRAUD_SCORE ? &fraud : &none;
}

/* ---- loading ---- */

static const char *const kinds[] = {"fixed", "uniform", "normal", "lognormal", "empirical"};

static void need_ms(yfield_ctx *c, const ytree_node *m, const char *key, const char *path,
                    double min, double *out)
{
    char p[YFIELD_PATH_MAX];
    const ytree_node *v = yfield_need(c, m, key, path);
    yfield_pathf(p, "%s.%s", path, key);
    if (v) yfield_get_double(c, v, p, min, MAX_MS, out);
}

static void load_empirical(yfield_ctx *c, const ytree_node *m, const char *path, latency_dist *d)
{
    char p[YFIELD_PATH_MAX];
    if (!yfield_is_map(c, m, path)) return;
    if (m->npairs < 2 || m->npairs > LATENCY_MAX_POINTS) {
        yfield_err(c, m, path, "needs 2 to %d percentiles such as {p50: 120, p99: 450}",
                   LATENCY_MAX_POINTS);
        return;
    }
    for (size_t i = 0; i < m->npairs; i++) {
        const ytree_node *k = m->pairs[i].key, *v = m->pairs[i].value;
        char *end = NULL;
        double pct = k->str[0] == 'p' ? strtod(k->str + 1, &end) : -1;
        yfield_pathf(p, "%s.%s", path, k->str);
        if (!end || end == k->str + 1 || *end || !(pct >= 0 && pct <= 100)) {
            yfield_err(c, k, p, "percentile keys are p0 to p100 (p50, p99, p99.9)");
            continue;
        }
        double ms = 0;
        if (yfield_get_double(c, v, p, 0, MAX_MS, &ms) < 0) continue;
        if (d->npoints && (pct / 100 <= d->pct[d->npoints - 1] || ms < d->ms[d->npoints - 1])) {
            yfield_err(c, k, p,
                       "percentiles must be listed in increasing order with non-decreasing "
                       "milliseconds");
            continue;
        }
        d->pct[d->npoints] = pct / 100;
        d->ms[d->npoints] = ms;
        d->npoints++;
    }
}

static void load_dist(yfield_ctx *c, const ytree_node *n, const char *path, latency_dist *d)
{
    char p[YFIELD_PATH_MAX];
    if (n && n->kind == YT_SCALAR && !strcmp(n->str, "off")) {
        d->kind = LATENCY_OFF;
        return;
    }
    if (n && n->kind != YT_MAP) {
        yfield_err(c, n, path, "must be {fixed|uniform|normal|lognormal|empirical: {...}} or off");
        return;
    }
    if (!yfield_is_map(c, n, path)) return;
    yfield_keys(c, n, kinds, YFIELD_NELEM(kinds));
    if (n->npairs != 1) {
        yfield_err(c, n, path, "give exactly one of fixed, uniform, normal, lognormal, empirical");
        return;
    }
    const char *kind = n->pairs[0].key->str;
    const ytree_node *m = n->pairs[0].value;
    yfield_pathf(p, "%s.%s", path, kind);
    if (!strcmp(kind, "fixed")) {
        static const char *const known[] = {"ms"};
        if (!yfield_is_map(c, m, p)) return;
        yfield_keys(c, m, known, 1);
        d->kind = LATENCY_FIXED;
        need_ms(c, m, "ms", p, 0, &d->a);
    } else if (!strcmp(kind, "uniform")) {
        static const char *const known[] = {"min_ms", "max_ms"};
        if (!yfield_is_map(c, m, p)) return;
        yfield_keys(c, m, known, 2);
        d->kind = LATENCY_UNIFORM;
        need_ms(c, m, "min_ms", p, 0, &d->a);
        need_ms(c, m, "max_ms", p, 0, &d->b);
        if (d->b < d->a) yfield_err(c, m, p, "max_ms must be at least min_ms");
    } else if (!strcmp(kind, "normal")) {
        static const char *const known[] = {"mean_ms", "stddev_ms"};
        if (!yfield_is_map(c, m, p)) return;
        yfield_keys(c, m, known, 2);
        d->kind = LATENCY_NORMAL;
        need_ms(c, m, "mean_ms", p, 0, &d->a);
        need_ms(c, m, "stddev_ms", p, 0, &d->b);
    } else if (!strcmp(kind, "lognormal")) {
        static const char *const known[] = {"p50_ms", "p99_ms"};
        double p50 = 0, p99 = 0;
        if (!yfield_is_map(c, m, p)) return;
        yfield_keys(c, m, known, 2);
        d->kind = LATENCY_LOGNORMAL;
        need_ms(c, m, "p50_ms", p, 0.001, &p50);
        need_ms(c, m, "p99_ms", p, 0.001, &p99);
        if (p50 > 0 && p99 > 0 && p99 <= p50) yfield_err(c, m, p, "p99_ms must be above p50_ms");
        if (p50 > 0 && p99 > p50) {
            d->a = log(p50);
            d->b = (log(p99) - log(p50)) / Z99;
        }
    } else if (!strcmp(kind, "empirical")) {
        d->kind = LATENCY_EMPIRICAL;
        load_empirical(c, m, p, d);
    }
}

void latency_load(yfield_ctx *c, const ytree_node *n, latency_config *out)
{
    static const char *const known[] = {"order_routing", "fraud_score", "chat_completions",
                                        "multimodal"};
    char p[YFIELD_PATH_MAX];
    if (!yfield_is_map(c, n, "latency")) return;
    yfield_keys(c, n, known, YFIELD_NELEM(known));
    for (int e = 0; e < ENDPOINT_COUNT; e++) {
        const ytree_node *v = ytree_get(n, endpoint_names[e]);
        yfield_pathf(p, "latency.%s", endpoint_names[e]);
        if (v) load_dist(c, v, p, &out->endpoint[e]);
    }
    const ytree_node *v = ytree_get(n, "multimodal");
    if (v) load_dist(c, v, "latency.multimodal", &out->multimodal);
}
