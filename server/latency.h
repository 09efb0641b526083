/* latency: synthetic response delays per endpoint, drawn from a configured
 * distribution.
 *
 * A draw is a pure function of the distribution and a 64-bit key (the
 * engine derives the key from the seed, merchant, request content and
 * occurrence count), so the same request gets the same delay however many
 * connections replay the traffic. Every kind is sampled by its inverse CDF
 * from one uniform number. Delays are in scenario milliseconds; the engine
 * multiplies them by defaults.time_scale before sleeping. */
#ifndef WXAI_LATENCY_H
#define WXAI_LATENCY_H

#include <stddef.h>
#include <stdint.h>

#include "endpoint.h"
#include "yfield.h"

#define LATENCY_MAX_POINTS 16

typedef enum {
    LATENCY_NONE = 0,  /* no synthetic delay */
    LATENCY_FIXED,     /* a = ms */
    LATENCY_UNIFORM,   /* a = min_ms, b = max_ms */
    LATENCY_NORMAL,    /* a = mean_ms, b = stddev_ms; negative draws become 0 */
    LATENCY_LOGNORMAL, /* a = mu, b = sigma of ln(ms), from p50_ms and p99_ms */
    LATENCY_EMPIRICAL, /* piecewise-linear inverse CDF through (pct[i], ms[i]) */
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

/* Load the scenario's `latency` mapping into *out (zeroed = no delays). */
void latency_load(yfield_ctx *c, const ytree_node *n, latency_config *out);
/* Inverse CDF: the delay in ms at quantile u in (0, 1). */
double latency_quantile(const latency_dist *d, double u);
/* One draw in ms (>= 0) keyed by key. */
double latency_sample(const latency_dist *d, uint64_t key);
/* A uniform number in (0, 1) from a key (never 0 or 1). */
double latency_unit(uint64_t key);
/* Standard normal quantile (inverse CDF) for p in (0, 1). */
double latency_norm_quantile(double p);

#endif
