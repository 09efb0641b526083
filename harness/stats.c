#include "stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"

int stats_init(stats *s)
{
    memset(s, 0, sizeof *s);
    if (histogram_new(STATS_HIGHEST_US, &s->corrected) != 0 ||
        histogram_new(STATS_HIGHEST_US, &s->uncorrected) != 0) {
        stats_free(s);
        return -1;
    }
    return 0;
}

void stats_free(stats *s)
{
    if (!s) return;
    histogram_free(s->corrected);
    histogram_free(s->uncorrected);
    for (size_t i = 0; i < s->nversions; i++)
        free(s->versions[i].fine);
    for (size_t i = 0; i < s->nep; i++) {
        histogram_free(s->ep[i].corrected);
        histogram_free(s->ep[i].uncorrected);
    }
    memset(s, 0, sizeof *s);
}

stats_endpoint *stats_endpoint_get(stats *s, const char *name, const char *provider)
{
    for (size_t i = 0; i < s->nep; i++)
        if (strcmp(s->ep[i].name, name) == 0) return &s->ep[i];
    /* The table is fixed: the last slot takes every endpoint past the cap. */
    if (s->nep == STATS_MAX_ENDPOINTS) return &s->ep[STATS_MAX_ENDPOINTS - 1];
    stats_endpoint *e = &s->ep[s->nep];
    if (histogram_new(STATS_HIGHEST_US, &e->corrected) != 0 ||
        histogram_new(STATS_HIGHEST_US, &e->uncorrected) != 0) {
        histogram_free(e->corrected);
        e->corrected = NULL;
        return NULL;
    }
    s->nep++;
    snprintf(e->name, sizeof e->name, "%s", s->nep == STATS_MAX_ENDPOINTS ? "other" : name);
    snprintf(e->provider, sizeof e->provider, "%s", provider ? provider : "");
    return e;
}

void stats_error(stats *s, const char *msg)
{
    for (size_t i = 0; i < s->nerrors; i++)
        if (strcmp(s->errors[i], msg) == 0) {
            s->error_counts[i]++;
            return;
        }
    if (s->nerrors == STATS_MAX_ERRORS) {
        s->errors_dropped++;
        return;
    }
    fmt_copy(s->errors[s->nerrors], sizeof s->errors[0], msg);
    s->error_counts[s->nerrors++] = 1;
}

/* Fixed memory whatever the run length: past the last bucket, pairs merge and widths double. */
static void time_series(stats *s, const exchange *ex)
{
    if (s->ts_bucket_us == 0) {
        s->ts_start_us = ex->sent_us;
        s->ts_bucket_us = STATS_TIME_FIRST_US;
    }
    int64_t t = ex->sent_us - s->ts_start_us;
    if (t < 0) t = 0;
    while (t / s->ts_bucket_us >= STATS_TIME_BUCKETS) {
        for (int i = 0; i < STATS_TIME_BUCKETS / 2; i++)
            for (int k = 0; k < STATS_TS_KINDS; k++)
                s->ts[i][k] = s->ts[2 * i][k] + s->ts[2 * i + 1][k];
        memset(s->ts[STATS_TIME_BUCKETS / 2], 0, sizeof s->ts / 2);
        s->ts_bucket_us *= 2;
    }
    int kind = ex->status == 0     ? STATS_TS_NONE
               : ex->status == 429 ? STATS_TS_429
               : ex->status >= 500 ? STATS_TS_5XX
               : ex->status >= 300 ? STATS_TS_4XX
                                   : STATS_TS_2XX;
    s->ts[t / s->ts_bucket_us][kind]++;
}

void stats_exchange(stats *s, const char *endpoint, const char *provider, const exchange *ex)
{
    stats_endpoint *e = stats_endpoint_get(s, endpoint, provider);
    int64_t corr = ex->done_us - ex->intended_us, unc = ex->done_us - ex->sent_us;
    s->exchanges++;
    s->bytes_out += ex->body_len;
    s->bytes_in += ex->resp_bytes;
    if (s->first_sent_us == 0 || ex->sent_us < s->first_sent_us) s->first_sent_us = ex->sent_us;
    if (ex->sent_us > s->last_sent_us) s->last_sent_us = ex->sent_us;
    if (ex->done_us > s->last_done_us) s->last_done_us = ex->done_us;
    s->status[ex->status > 0 && ex->status < STATS_MAX_STATUS ? ex->status : 0]++;
    if (ex->status >= 200 && ex->status < 300) s->successes++;
    if (ex->status == 0) {
        stats_error(s, ex->error[0] ? ex->error : "no response");
    } else if (ex->status >= 400) {
        char msg[200];
        snprintf(msg, sizeof msg, "%ld %.150s", ex->status, ex->path);
        /* The path of a clarification names one id; group them all. */
        if (strncmp(ex->path, "/v3/ai/order-routing/clarifications/", 36) == 0)
            snprintf(msg, sizeof msg, "%ld /v3/ai/order-routing/clarifications/{id}", ex->status);
        stats_error(s, msg);
    }
    time_series(s, ex);
    if (ex->status == 0 && e) e->noresp++;
    if (ex->status == 0) return; /* no latency without an answer */
    histogram_record(s->corrected, corr);
    histogram_record(s->uncorrected, unc);
    if (!e) return;
    e->requests++;
    if (ex->status == 429) e->s429++;
    if (ex->status >= 500) e->s5xx++;
    if (ex->status >= 200 && ex->status < 300) e->ok++;
    histogram_record(e->corrected, corr);
    histogram_record(e->uncorrected, unc);
}

void stats_cost(stats *s, const char *endpoint, const char *provider, int64_t in, int64_t out,
                int64_t micros)
{
    stats_endpoint *e = stats_endpoint_get(s, endpoint, provider);
    if (!e) return;
    e->tokens_in += (uint64_t)(in > 0 ? in : 0);
    e->tokens_out += (uint64_t)(out > 0 ? out : 0);
    e->cost_micros += micros;
}

void stats_confidence(stats *s, const char *version, double c)
{
    stats_confidence_scored(s, version, c, -1, -1);
}

void stats_confidence_scored(stats *s, const char *version, double c, double threshold, int correct)
{
    stats_version *v = NULL;
    if (threshold >= 0 && !s->have_threshold) {
        s->have_threshold = 1;
        s->threshold = threshold;
    }
    if (!version) version = "unknown";
    for (size_t i = 0; i < s->nversions; i++)
        if (strcmp(s->versions[i].version, version) == 0) v = &s->versions[i];
    if (!v) {
        if (s->nversions == STATS_MAX_VERSIONS) return;
        v = &s->versions[s->nversions++];
        snprintf(v->version, sizeof v->version, "%s", version);
        v->fine = calloc(3 * STATS_FINE_BINS, sizeof *v->fine);
    }
    if (v->fine) {
        /* the small epsilon keeps 0.85 (0.84999... in binary) in bin 850 */
        int fb = (int)(c * STATS_FINE_BINS + 1e-9);
        fb = fb < 0 ? 0 : fb >= STATS_FINE_BINS ? STATS_FINE_BINS - 1 : fb;
        v->fine[fb]++;
        if (correct >= 0) v->fine[(correct ? 1 : 2) * STATS_FINE_BINS + fb]++;
    }
    int bin = (int)(c * STATS_CONF_BINS);
    if (bin < 0) bin = 0;
    if (bin >= STATS_CONF_BINS) bin = STATS_CONF_BINS - 1;
    v->bins[bin]++;
    v->n++;
}

int stats_truth_match(const cJSON *truth, const char *intent, int64_t amount, const char *currency)
{
    if (!truth) return -1;
    const cJSON *ti = cJSON_GetObjectItemCaseSensitive(truth, "intent");
    const cJSON *ta = cJSON_GetObjectItemCaseSensitive(truth, "amount_total");
    const cJSON *tc = cJSON_GetObjectItemCaseSensitive(truth, "currency");
    /* the same rule as the run's accuracy figure: every labelled part must match */
    int ok = intent && intent[0] && cJSON_IsString(ti) && strcmp(ti->valuestring, intent) == 0;
    if (cJSON_IsNumber(ta) && (int64_t)ta->valuedouble != amount) ok = 0;
    if (cJSON_IsString(tc) && (!currency || strcmp(tc->valuestring, currency) != 0)) ok = 0;
    return ok;
}

void stats_confidence_json(const stats *s, cJSON *conf)
{
    if (s->have_threshold)
        cJSON_AddNumberToObject(conf, "threshold", s->threshold);
    else
        cJSON_AddNullToObject(conf, "threshold");
    cJSON *fine = cJSON_AddObjectToObject(conf, "fine");
    cJSON_AddNumberToObject(fine, "bins", STATS_FINE_BINS);
    cJSON *cols = cJSON_AddArrayToObject(fine, "columns");
    const char *names[] = {"bin", "answers", "correct", "incorrect"};
    for (int i = 0; i < 4; i++)
        cJSON_AddItemToArray(cols, cJSON_CreateString(names[i]));
    cJSON *bv = cJSON_AddObjectToObject(fine, "by_model_version");
    for (size_t i = 0; i < s->nversions; i++) {
        const uint64_t *f = s->versions[i].fine;
        cJSON *rows = cJSON_AddArrayToObject(bv, s->versions[i].version);
        /* sparse rows: a run's confidences sit in a few dozen of the 1,000 bins */
        for (int b = 0; f && b < STATS_FINE_BINS; b++) {
            if (!f[b]) continue;
            double row[4] = {b, (double)f[b], (double)f[STATS_FINE_BINS + b],
                             (double)f[2 * STATS_FINE_BINS + b]};
            cJSON_AddItemToArray(rows, cJSON_CreateDoubleArray(row, 4));
        }
    }
}

int64_t stats_total_cost(const stats *s)
{
    int64_t t = 0;
    for (size_t i = 0; i < s->nep; i++)
        t += s->ep[i].cost_micros;
    return t + 0;
}
