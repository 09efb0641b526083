/* latency: synthetic response delays per endpoint, drawn from a configured
 * distribution.
 *
 * A draw is a pure function of the distribution and a 64-bit key (the
 * engine derives the key from the seed, merchant, request content and
 * occurrence count), so the same request gets the same delay however many
 * connections replay the traffic. Every kind is sampled by its inverse CDF
 * from one uniform number. Delays are in scenario milliseconds; the engine
 * multiplies them by defaults.time_scale before sleeping.
 *
 * An endpoint the scenario says nothing about gets a built-in default where
 * the real service has a documented latency (fraud score 50-150 ms,
 * multimodal order routing 1-2 s); `off` turns a delay, default included,
 * off. */
#ifndef WXAI_LATENCY_H
#define WXAI_LATENCY_H

#include <stddef.h>
#include <stdint.h>

#include "endpoint.h"
#include "yfield.h"

#define LATENCY_MAX_POINTS 16
/* built-in defaults (scenario ms, uniform) when the scenario sets no latency for them */
#define LATENCY_DEFAULT_FRAUD_MIN_MS 50.0
#define LATENCY_DEFAULT_FRAUD_MAX_MS 150.0
#define LATENCY_DEFAULT_MULTIMODAL_MIN_MS 1000.0
#define LATENCY_DEFAULT_MULTIMODAL_MAX_MS 2000.0

typedef enum {
    LATENCY_NONE = 0,  /* not configured: the endpoint's default, if any (latency_pick) */
    LATENCY_FIXED,     /* a = ms */
    LATENCY_UNIFORM,   /* a = min_ms, b = max_ms */
    LATENCY_NORMAL,    /* a = mean_ms, b = stddev_ms; negative draws become 0 */
    LATENCY_LOGNORMAL, /* a = mu, b = sigma of ln(ms), from p50_ms and p99_ms */
    LATENCY_EMPIRICAL, /* piecewise-linear inverse CDF through (pct[i], ms[i]) */
    LATENCY_OFF,       /* `off`: no synthetic delay, and no default either */
} latency_kind;

typedef struct latency_dist {
    latency_kind kind;
    double a, b;
    size_t npoints;
    double pct[LATENCY_MAX_POINTS]; /* 0..1, strictly increasing */
    double ms[LATENCY_MAX_POINTS];  /* non-decreasing */
} latency_dist;

typedef struct latency_config {
    latency_dist endpoint[ENDPOINT_COUNT];
    latency_dist multimodal; /* order routing with attachments, when set */
} latency_config;

/* Load the scenario's `latency` mapping into *out (zeroed = nothing configured). */
void latency_load(yfield_ctx *c, const ytree_node *n, latency_config *out);
/* The distribution a request on endpoint draws from (multimodal: order routing with
 * attachments): the configured one, else the built-in default (fraud_score and
 * multimodal), else none. Borrowed from c or static. */
const latency_dist *latency_pick(const latency_config *c, int endpoint, int multimodal);
/* Inverse CDF: the delay in ms at quantile u in (0, 1). */
double latency_quantile(const latency_dist *d, double u);
/* One draw in ms (>= 0) keyed by key. */
double latency_sample(const latency_dist *d, uint64_t key);
/* A uniform number in (0, 1) from a key (never 0 or 1). */
double latency_unit(uint64_t key);
/* Standard normal quantile (inverse CDF) for p in (0, 1). */
double latency_norm_quantile(double p);

#endif
