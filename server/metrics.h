/* metrics: the counters behind GET /metrics (Prometheus text format 0.0.4).
 *
 * Every series is a fixed array of atomics indexed by endpoint (label.h)
 * and status code, so recording takes no lock and memory does not grow with
 * traffic or with the statuses a client provokes. Each CPU adds to a shard of
 * the arrays of its own; readers sum the shards. */
#ifndef WXAI_METRICS_H
#define WXAI_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* Upper bounds of the latency histogram buckets, in milliseconds (+Inf is implied). */
#define METRICS_BUCKETS_MS                                                                         \
    {                                                                                              \
        5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000                                      \
    }
#define METRICS_NBUCKETS 11
#define METRICS_MAX_MODELS 8

typedef struct metrics metrics;

/* One answered request, as metrics_observe counts it. */
typedef struct metrics_sample {
    int endpoint;          /* LABEL_* */
    int status;            /* HTTP status sent */
    int64_t elapsed_ms;    /* arrival to response */
    int64_t input_tokens;  /* usage.input_tokens or prompt_tokens; 0 if none */
    int64_t output_tokens; /* usage.output_tokens or completion_tokens; 0 if none */
    int64_t cost_micros;   /* cost.amount_micros; 0 if none */
} metrics_sample;

/* What the exposition shows beside the counters (borrowed for the call). */
typedef struct metrics_info {
    const char *model_endpoint[METRICS_MAX_MODELS]; /* "order_routing", ... */
    const char *model_version[METRICS_MAX_MODELS];  /* the version answering it now */
    size_t nmodels;
    const char *scenario; /* scenario name, may be NULL */
    const char *currency; /* currency of the cost counters, "CNY" */
    size_t journal_records;
    int workers, workers_busy;   /* server_workers */
    uint64_t worker_saturations; /* server_workers */
} metrics_info;

/* New zeroed metrics; caller frees with metrics_free. Returns 0 or -1. */
int metrics_new(metrics **out);
/* Free m; m may be NULL. */
void metrics_free(metrics *m);
/* Count one answered request (lock-free). */
void metrics_observe(metrics *m, const metrics_sample *s);
/* Count a scenario load after start: ok 1 when it took effect, 0 when refused. */
void metrics_reload(metrics *m, int ok);
/* Zero every counter (admin reset). */
void metrics_reset(metrics *m);
/* Requests counted for endpoint and status (status 0: every status). */
uint64_t metrics_requests(metrics *m, int endpoint, int status);
/* The exposition text; *out is a new string the caller frees, *len its length. Returns 0 or -1. */
int metrics_render(metrics *m, const metrics_info *info, char **out, size_t *len);

#endif
