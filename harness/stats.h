/* stats: everything a run adds up, in fixed memory.
 *
 * Latency histograms per endpoint (corrected: from the intended send time;
 * uncorrected: from the actual send time) and overall, status counts, a
 * bounded error set, bytes, tokens and cost per endpoint and provider in
 * integer micros, outcomes of order routing, confidence histograms by model
 * version, accuracy against `truth`, and an order-independent digest of the
 * per-record outcomes so two runs can be compared with one string. */
#ifndef WXAI_STATS_H
#define WXAI_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "histogram.h"

#define STATS_MAX_ENDPOINTS 16
#define STATS_MAX_ERRORS 16
#define STATS_MAX_VERSIONS 8
#define STATS_CONF_BINS 20
#define STATS_FINE_BINS 1000 /* drift figures: confidence to 0.001 (docs/drift.md) */
#define STATS_MAX_STATUS 600
#define STATS_HIGHEST_US (3600LL * 1000000) /* latencies above an hour count as an hour */
#define STATS_TIME_BUCKETS 120                /* status-over-time series, whatever the run length */
#define STATS_TIME_FIRST_US 100000            /* first bucket width; doubles as the run grows */

/* Status classes of the time series. */
enum { STATS_TS_2XX, STATS_TS_4XX, STATS_TS_429, STATS_TS_5XX, STATS_TS_NONE, STATS_TS_KINDS };

typedef struct stats_endpoint {
    char name[48];
    char provider[64];
    uint64_t requests, ok; /* exchanges, and those answered 2xx */
    uint64_t s429, s5xx, noresp; /* answered 429, answered 5xx, not answered (not in requests) */
    uint64_t tokens_in, tokens_out;
    int64_t cost_micros;
    histogram *corrected, *uncorrected;
} stats_endpoint;

typedef struct stats_version {
    char version[32];
    uint64_t n;
    uint64_t bins[STATS_CONF_BINS]; /* [0, 0.05), [0.05, 0.10), ... [0.95, 1.0] */
    /* STATS_FINE_BINS answers, then as many right and as many wrong against truth, so
     * compare can find thresholds and precision; NULL if it could not be allocated */
    uint64_t *fine;
} stats_version;

typedef struct stats {
    stats_endpoint ep[STATS_MAX_ENDPOINTS];
    size_t nep;
    histogram *corrected, *uncorrected; /* every exchange */
    uint64_t status[STATS_MAX_STATUS];  /* [0]: no response */
    char errors[STATS_MAX_ERRORS][200];
    uint64_t error_counts[STATS_MAX_ERRORS];
    size_t nerrors;
    uint64_t errors_dropped;
    uint64_t exchanges, successes, bytes_in, bytes_out;
    int64_t first_sent_us, last_sent_us, last_done_us;
    /* records */
    uint64_t records, bad_lines, skipped, unknown_merchant;
    /* order-routing outcomes of finished flows */
    uint64_t out_ready, out_form, out_review, out_unanswered, out_llm, out_error, out_other;
    uint64_t clarified, retries, fallback_calls, fallback_failures, cache_hits;
    int64_t cache_saved_micros;
    stats_version versions[STATS_MAX_VERSIONS];
    size_t nversions;
    /* accuracy against truth */
    uint64_t truth_n, truth_intent_ok, truth_amount_ok, truth_currency_ok, truth_all_ok;
    uint64_t digest; /* sum of per-record hashes: order-independent */
    int have_threshold;
    double threshold; /* the first threshold order routing answered with */
    /* status classes over time: bucket i covers ts_start_us + [i, i+1) * ts_bucket_us of send
     * time; when a send falls past the last bucket, adjacent pairs merge and the width doubles */
    uint64_t ts[STATS_TIME_BUCKETS][STATS_TS_KINDS];
    int64_t ts_start_us, ts_bucket_us;
} stats;

/* Make the histograms. *s zeroed first. Returns 0 or -1 on ENOMEM. */
int stats_init(stats *s);
/* Free the histograms; s may be NULL. */
void stats_free(stats *s);
/* The slot for endpoint name (created on first use; past the cap, the "other" slot). */
stats_endpoint *stats_endpoint_get(stats *s, const char *name, const char *provider);
/* Count one finished exchange against endpoint name. */
void stats_exchange(stats *s, const char *endpoint, const char *provider, const exchange *ex);
/* Add tokens and cost (micros) to an endpoint. */
void stats_cost(stats *s, const char *endpoint, const char *provider, int64_t in, int64_t out,
                int64_t micros);
/* Count an error message in the bounded error set. */
void stats_error(stats *s, const char *msg);
/* Count a confidence (0..1) under a model version. */
void stats_confidence(stats *s, const char *version, double confidence);
/* Count a confidence as stats_confidence does, plus the threshold the answer named (< 0:
 * none) and whether its parse matched truth (1, 0, or -1 unlabelled). */
void stats_confidence_scored(stats *s, const char *version, double confidence,
                             double threshold, int correct);
/* 1 when intent, amount and currency match truth, 0 when not, -1 when truth is NULL. */
int stats_truth_match(const cJSON *truth, const char *intent, int64_t amount,
                      const char *currency);
/* Add the fine confidence histograms and the threshold to report.json's confidence
 * object conf (format in docs/drift.md). */
void stats_confidence_json(const stats *s, cJSON *conf);
/* Total cost in micros over every endpoint. */
int64_t stats_total_cost(const stats *s);

#endif
