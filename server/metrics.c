#define _GNU_SOURCE /* sched_getcpu */
#include "metrics.h"

#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "label.h"

#define STATUS_MIN 100
#define STATUS_MAX 599
#define NSTATUS (STATUS_MAX - STATUS_MIN + 1)
#define SHARDS 16 /* of the counters, one per CPU (modulo): 45 KiB each, mapped when used */
#define RENDER_CAP (1u << 20) /* the series are fixed, so the text is too: far below this */

static const int64_t bucket_ms[METRICS_NBUCKETS] = METRICS_BUCKETS_MS;

/* The counters of one shard. */
typedef struct shard {
    /* Indexed by status directly: 500 slots per endpoint cost 40 KiB in all
     * and spare a lookup table that a new status code would outgrow. */
    atomic_uint_fast64_t requests[LABEL_COUNT][NSTATUS];
    atomic_uint_fast64_t buckets[LABEL_COUNT][METRICS_NBUCKETS + 1]; /* last: +Inf */
    atomic_uint_fast64_t latency_sum_ms[LABEL_COUNT];
    atomic_uint_fast64_t input_tokens[LABEL_COUNT];
    atomic_uint_fast64_t output_tokens[LABEL_COUNT];
    atomic_uint_fast64_t cost_micros[LABEL_COUNT];
} __attribute__((aligned(64))) shard;

/* Every request adds to six counters. With one copy of them the CPUs took turns
 * owning their cache lines, request after request (perf: most of metrics_observe's
 * time on its first atomic add); each CPU now adds to a shard of its own, and a
 * reader sums the shards. A thread that moves to another CPU mid-way only costs a
 * shared line: the adds are atomic either way. */
struct metrics {
    shard shards[SHARDS];
    atomic_uint_fast64_t reloads[2]; /* [0] refused, [1] ok */
    void *block;                     /* what calloc gave, for free */
};

static shard *cpu_shard(metrics *m)
{
    int cpu = sched_getcpu(); /* glibc reads it from rseq: no system call */
    return &m->shards[cpu > 0 ? (unsigned)cpu % SHARDS : 0];
}

/* The total of one counter over the shards, named by its place in the first shard. */
static uint64_t sum(const metrics *m, const atomic_uint_fast64_t *in_first)
{
    size_t off = (size_t)((const char *)in_first - (const char *)&m->shards[0]);
    uint64_t n = 0;
    for (int i = 0; i < SHARDS; i++)
        n += atomic_load((const atomic_uint_fast64_t *)((const char *)&m->shards[i] + off));
    return n;
}

int metrics_new(metrics **out)
{
    /* calloc, whose large blocks are fresh pages mapped only when a CPU writes to its
     * shard, and the shards' cache-line alignment done by hand: calloc gives 16 bytes */
    void *block = calloc(1, sizeof(metrics) + 63);
    if (!block) return -1;
    metrics *m = (metrics *)(((uintptr_t)block + 63) & ~(uintptr_t)63);
    m->block = block;
    *out = m;
    return 0;
}

void metrics_free(metrics *m)
{
    if (m) free(m->block);
}

static uint64_t nonneg(int64_t v)
{
    return v > 0 ? (uint64_t)v : 0;
}

void metrics_observe(metrics *m, const metrics_sample *s)
{
    if (!m || s->endpoint < 0 || s->endpoint >= LABEL_COUNT) return;
    int e = s->endpoint, st = s->status;
    if (st < STATUS_MIN || st > STATUS_MAX) st = 500;
    shard *sh = cpu_shard(m);
    atomic_fetch_add(&sh->requests[e][st - STATUS_MIN], 1);
    int b = 0;
    while (b < METRICS_NBUCKETS && s->elapsed_ms > bucket_ms[b])
        b++;
    atomic_fetch_add(&sh->buckets[e][b], 1);
    atomic_fetch_add(&sh->latency_sum_ms[e], nonneg(s->elapsed_ms));
    atomic_fetch_add(&sh->input_tokens[e], nonneg(s->input_tokens));
    atomic_fetch_add(&sh->output_tokens[e], nonneg(s->output_tokens));
    atomic_fetch_add(&sh->cost_micros[e], nonneg(s->cost_micros));
}

void metrics_reload(metrics *m, int ok)
{
    if (m) atomic_fetch_add(&m->reloads[ok ? 1 : 0], 1);
}

/* Zero a counter; one that is zero already is only read, so that the pages of a
 * shard no CPU has written stay unmapped. */
static void zero(atomic_uint_fast64_t *c)
{
    if (atomic_load(c)) atomic_store(c, 0);
}

void metrics_reset(metrics *m)
{
    if (!m) return;
    atomic_store(&m->reloads[0], 0);
    atomic_store(&m->reloads[1], 0);
    for (int i = 0; i < SHARDS; i++) {
        shard *sh = &m->shards[i];
        for (int e = 0; e < LABEL_COUNT; e++) {
            for (int st = 0; st < NSTATUS; st++)
                zero(&sh->requests[e][st]);
            for (int b = 0; b <= METRICS_NBUCKETS; b++)
                zero(&sh->buckets[e][b]);
            zero(&sh->latency_sum_ms[e]);
            zero(&sh->input_tokens[e]);
            zero(&sh->output_tokens[e]);
            zero(&sh->cost_micros[e]);
        }
    }
}

uint64_t metrics_requests(metrics *m, int endpoint, int status)
{
    uint64_t n = 0;
    if (!m || endpoint < 0 || endpoint >= LABEL_COUNT) return 0;
    for (int i = 0; i < NSTATUS; i++)
        if (status == 0 || status == i + STATUS_MIN)
            n += sum(m, &m->shards[0].requests[endpoint][i]);
    return n;
}

typedef struct text {
    char *p;
    size_t n, cap;
    int failed;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
    va_list ap;
    if (t->failed) return;
    for (;;) {
        va_start(ap, fmt);
        int k = vsnprintf(t->p + t->n, t->cap - t->n, fmt, ap);
        va_end(ap);
        if (k < 0) {
            t->failed = 1;
            return;
        }
        if ((size_t)k < t->cap - t->n) {
            t->n += (size_t)k;
            return;
        }
        size_t want = t->cap * 2;
        while (want <= t->n + (size_t)k)
            want *= 2;
        char *np = want <= RENDER_CAP ? realloc(t->p, want) : NULL;
        if (!np) {
            t->failed = 1;
            return;
        }
        t->p = np;
        t->cap = want;
    }
}

/* Label values come from the scenario; Prometheus wants \ " and newline escaped. */
static void put_label(text *t, const char *v)
{
    for (; v && *v; v++) {
        if (*v == '\\' || *v == '"')
            put(t, "\\%c", *v);
        else if (*v == '\n')
            put(t, "\\n");
        else
            put(t, "%c", *v);
    }
}

static void render_requests(metrics *m, text *t)
{
    put(t, "# HELP wxai_requests_total Requests answered, by endpoint and status.\n"
           "# TYPE wxai_requests_total counter\n");
    for (int e = 0; e < LABEL_COUNT; e++)
        for (int i = 0; i < NSTATUS; i++) {
            uint64_t v = sum(m, &m->shards[0].requests[e][i]);
            if (v)
                put(t, "wxai_requests_total{endpoint=\"%s\",status=\"%d\"} %" PRIu64 "\n",
                    label_name(e), i + STATUS_MIN, v);
        }
}

static int endpoint_seen(metrics *m, int e)
{
    for (int b = 0; b <= METRICS_NBUCKETS; b++)
        if (sum(m, &m->shards[0].buckets[e][b])) return 1;
    return 0;
}

static void render_latency(metrics *m, text *t)
{
    put(t, "# HELP wxai_request_duration_seconds Time from arrival to response, by endpoint.\n"
           "# TYPE wxai_request_duration_seconds histogram\n");
    for (int e = 0; e < LABEL_COUNT; e++) {
        if (!endpoint_seen(m, e)) continue;
        uint64_t cum = 0;
        for (int b = 0; b < METRICS_NBUCKETS; b++) {
            cum += sum(m, &m->shards[0].buckets[e][b]);
            put(t,
                "wxai_request_duration_seconds_bucket{endpoint=\"%s\",le=\"%" PRId64 ".%03" PRId64
                "\"} %" PRIu64 "\n",
                label_name(e), bucket_ms[b] / 1000, bucket_ms[b] % 1000, cum);
        }
        cum += sum(m, &m->shards[0].buckets[e][METRICS_NBUCKETS]);
        uint64_t ms = sum(m, &m->shards[0].latency_sum_ms[e]);
        put(t, "wxai_request_duration_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %" PRIu64 "\n",
            label_name(e), cum);
        put(t, "wxai_request_duration_seconds_sum{endpoint=\"%s\"} %" PRIu64 ".%03" PRIu64 "\n",
            label_name(e), ms / 1000, ms % 1000);
        put(t, "wxai_request_duration_seconds_count{endpoint=\"%s\"} %" PRIu64 "\n", label_name(e),
            cum);
    }
}

static void render_usage(metrics *m, const metrics_info *info, text *t)
{
    put(t, "# HELP wxai_tokens_total Tokens billed, by endpoint and direction.\n"
           "# TYPE wxai_tokens_total counter\n");
    for (int e = 0; e < LABEL_COUNT; e++) {
        uint64_t in = sum(m, &m->shards[0].input_tokens[e]),
                 out = sum(m, &m->shards[0].output_tokens[e]);
        if (!in && !out) continue;
        put(t, "wxai_tokens_total{endpoint=\"%s\",direction=\"input\"} %" PRIu64 "\n",
            label_name(e), in);
        put(t, "wxai_tokens_total{endpoint=\"%s\",direction=\"output\"} %" PRIu64 "\n",
            label_name(e), out);
    }
    put(t, "# HELP wxai_cost_micros_total Cost billed in micros of the currency, by endpoint.\n"
           "# TYPE wxai_cost_micros_total counter\n");
    for (int e = 0; e < LABEL_COUNT; e++) {
        uint64_t c = sum(m, &m->shards[0].cost_micros[e]);
        if (!c) continue;
        put(t, "wxai_cost_micros_total{endpoint=\"%s\",currency=\"", label_name(e));
        put_label(t, info->currency ? info->currency : "CNY");
        put(t, "\"} %" PRIu64 "\n", c);
    }
}

int metrics_render(metrics *m, const metrics_info *info, char **out, size_t *len)
{
    text t = {.cap = 16384};
    t.p = malloc(t.cap);
    if (!t.p) return -1;
    t.p[0] = '\0';
    render_requests(m, &t);
    render_latency(m, &t);
    render_usage(m, info, &t);
    put(&t, "# HELP wxai_model_version_info Active model version by endpoint (value always 1).\n"
            "# TYPE wxai_model_version_info gauge\n");
    for (size_t i = 0; i < info->nmodels && i < METRICS_MAX_MODELS; i++) {
        put(&t, "wxai_model_version_info{model=\"");
        put_label(&t, info->model_endpoint[i] ? info->model_endpoint[i] : "");
        put(&t, "\",version=\"");
        put_label(&t, info->model_version[i] ? info->model_version[i] : "");
        put(&t, "\"} 1\n");
    }
    put(&t, "# HELP wxai_scenario_info Active scenario (value always 1).\n"
            "# TYPE wxai_scenario_info gauge\nwxai_scenario_info{name=\"");
    put_label(&t, info->scenario ? info->scenario : "");
    put(&t, "\"} 1\n");
    put(&t,
        "# HELP wxai_scenario_reloads_total Scenario loads after start, by result.\n"
        "# TYPE wxai_scenario_reloads_total counter\n"
        "wxai_scenario_reloads_total{result=\"ok\"} %" PRIu64 "\n"
        "wxai_scenario_reloads_total{result=\"refused\"} %" PRIu64 "\n"
        "# HELP wxai_journal_records Exchanges held in the journal ring.\n"
        "# TYPE wxai_journal_records gauge\nwxai_journal_records %zu\n",
        (uint64_t)atomic_load(&m->reloads[1]), (uint64_t)atomic_load(&m->reloads[0]),
        info->journal_records);
    /* CivetWeb holds a worker per open connection: busy == workers means new clients wait */
    put(&t,
        "# HELP wxai_workers Worker threads (--threads); each serves one connection at a time.\n"
        "# TYPE wxai_workers gauge\nwxai_workers %d\n"
        "# HELP wxai_workers_busy Workers holding a connection, idle keep-alive ones included.\n"
        "# TYPE wxai_workers_busy gauge\nwxai_workers_busy %d\n"
        "# HELP wxai_workers_saturated_total Times every worker came to hold a connection, so "
        "that new connections waited.\n"
        "# TYPE wxai_workers_saturated_total counter\nwxai_workers_saturated_total %" PRIu64 "\n",
        info->workers, info->workers_busy, info->worker_saturations);
    if (t.failed) {
        free(t.p);
        return -1;
    }
    *out = t.p;
    *len = t.n;
    return 0;
}
