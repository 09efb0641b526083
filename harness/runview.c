/* runview: chart and per-endpoint data for report.json. See runview.h. */
#include "runview.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The percentiles of the curve: HDR-style, dense toward the tail where latency hurts. */
static const double curve_p[] = {0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100};

/* Counts per linear bin up to the 99.9th percentile (the rest land in the last bin),
 * estimated from 1,000 evenly spaced quantiles: the histogram keeps no samples, and a
 * chart needs shape, not exact counts. */
static cJSON *distribution(const histogram *h)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    uint64_t n = histogram_count(h);
    double top = (double)histogram_percentile(h, 99.9);
    if (top < 1000) top = 1000;
    /* a round bin width: 1, 2 or 5 times a power of ten microseconds */
    double raw = top / RUNVIEW_LAT_BINS, p10 = pow(10, floor(log10(raw)));
    double w = raw / p10 <= 1   ? p10
               : raw / p10 <= 2 ? 2 * p10
               : raw / p10 <= 5 ? 5 * p10
                                : 10 * p10;
    double counts[RUNVIEW_LAT_BINS] = {0};
    if (n) {
        for (int i = 0; i < 1000; i++) {
            double v = (double)histogram_percentile(h, (i + 0.5) / 10.0);
            int b = (int)(v / w);
            if (b >= RUNVIEW_LAT_BINS) b = RUNVIEW_LAT_BINS - 1;
            counts[b] += (double)n / 1000.0;
        }
    }
    cJSON_AddNumberToObject(o, "bin_us", w);
    cJSON *a = cJSON_AddArrayToObject(o, "counts");
    for (int b = 0; a && b < RUNVIEW_LAT_BINS; b++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber(round(counts[b] * 10) / 10));
    return o;
}

static cJSON *percentiles(const histogram *h)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < sizeof curve_p / sizeof curve_p[0]; i++) {
        cJSON *pair = cJSON_CreateArray();
        cJSON_AddItemToArray(pair, cJSON_CreateNumber(curve_p[i]));
        cJSON_AddItemToArray(
            pair, cJSON_CreateNumber(
                      histogram_count(h) ? (double)histogram_percentile(h, curve_p[i]) : 0));
        cJSON_AddItemToArray(a, pair);
    }
    return a;
}

static void latency_view(cJSON *node, const histogram *h)
{
    if (!node || !h) return;
    cJSON_AddItemToObject(node, "distribution", distribution(h));
    cJSON_AddItemToObject(node, "percentiles", percentiles(h));
}

int runview_add(cJSON *report, const stats *st, const check_results *cr)
{
    cJSON *lat = cJSON_GetObjectItemCaseSensitive(report, "latency");
    latency_view(cJSON_GetObjectItemCaseSensitive(lat, "overall"), st->corrected);
    cJSON *eps = cJSON_GetObjectItemCaseSensitive(lat, "endpoints");
    for (size_t i = 0; i < st->nep; i++)
        latency_view(cJSON_GetObjectItemCaseSensitive(eps, st->ep[i].name), st->ep[i].corrected);

    cJSON *ts = cJSON_AddObjectToObject(report, "status_over_time");
    if (!ts) return -1;
    cJSON_AddNumberToObject(ts, "bucket_us", (double)st->ts_bucket_us);
    const char *kinds[STATS_TS_KINDS] = {"2xx", "4xx", "429", "5xx", "none"};
    cJSON_AddItemToObject(ts, "kinds", cJSON_CreateStringArray(kinds, STATS_TS_KINDS));
    /* trailing empty buckets say nothing: the series ends at the last send */
    int last = -1;
    for (int i = 0; i < STATS_TIME_BUCKETS; i++)
        for (int k = 0; k < STATS_TS_KINDS; k++)
            if (st->ts[i][k]) last = i;
    cJSON *bk = cJSON_AddArrayToObject(ts, "buckets");
    for (int i = 0; bk && i <= last; i++) {
        cJSON *row = cJSON_CreateArray();
        for (int k = 0; row && k < STATS_TS_KINDS; k++)
            cJSON_AddItemToArray(row, cJSON_CreateNumber((double)st->ts[i][k]));
        cJSON_AddItemToArray(bk, row);
    }

    cJSON *checks = cJSON_GetObjectItemCaseSensitive(report, "checks");
    for (int i = 0; i < CHECK_COUNT; i++) {
        cJSON *c = cJSON_GetArrayItem(checks, i);
        if (!c) break;
        cJSON *be = cJSON_AddArrayToObject(c, "by_endpoint");
        for (size_t j = 0; be && j < cr->nep; j++) {
            if (!cr->ep[j].passed[i] && !cr->ep[j].failed[i]) continue;
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "endpoint", cr->ep[j].name);
            cJSON_AddNumberToObject(o, "passed", (double)cr->ep[j].passed[i]);
            cJSON_AddNumberToObject(o, "failed", (double)cr->ep[j].failed[i]);
            cJSON_AddItemToArray(be, o);
        }
        cJSON *ex = cJSON_GetObjectItemCaseSensitive(c, "examples");
        for (size_t j = 0; j < cr->t[i].nexamples; j++) {
            cJSON *e = cJSON_GetArrayItem(ex, (int)j);
            if (e) cJSON_AddStringToObject(e, "endpoint", cr->t[i].examples[j].endpoint);
        }
    }
    return 0;
}
