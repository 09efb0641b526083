/* ratelimit: token buckets per endpoint, per merchant or global.
 *
 * A bucket is kept as GCRA (the generic cell rate algorithm), which is the
 * token bucket expressed as one number: the theoretical arrival time (TAT)
 * of the next request. Taking a token is one compare-and-swap on that
 * number, so buckets need no lock and concurrent requests never wait for
 * each other; the arithmetic is integer nanoseconds of scenario time, so a
 * burst of N requests at one instant against a bucket of B tokens gets
 * exactly N - B refusals. */
#ifndef WXAI_RATELIMIT_H
#define WXAI_RATELIMIT_H

#include <stdatomic.h>
#include <stdint.h>

#include "endpoint.h"
#include "yfield.h"

#define RATELIMIT_DEFAULT_RATE 1000 /* per merchant per second when a scenario says nothing */

typedef enum {
    RATELIMIT_DEFAULT = 0,
    RATELIMIT_OFF,
    RATELIMIT_MERCHANT,
    RATELIMIT_GLOBAL
} ratelimit_per;

typedef struct ratelimit_rule {
    ratelimit_per per;
    double rate;         /* tokens per second of scenario time */
    int64_t burst;       /* bucket size */
    int64_t interval_ns; /* 1e9 / rate, rounded */
} ratelimit_rule;

typedef struct ratelimit_config {
    ratelimit_rule endpoint[ENDPOINT_COUNT];
} ratelimit_config;

typedef struct ratelimit_result {
    int allowed;
    int64_t remaining; /* requests still allowed right now (RateLimit r=) */
    int64_t reset_s;   /* seconds until the next request is allowed, 0 if one is (t=) */
    int64_t quota;     /* q= : the bucket size */
    int64_t window_s;  /* w= : seconds to refill an empty bucket */
} ratelimit_result;

/* Load the scenario's `rate_limits` mapping; endpoints it leaves out get the default
 * (RATELIMIT_DEFAULT_RATE per merchant, burst the same). */
void ratelimit_load(yfield_ctx *c, const ytree_node *n, ratelimit_config *out);
/* Fill defaults for endpoints not configured (called by the loader; exposed for tests). */
void ratelimit_finish(ratelimit_config *cfg);
/* Take one token from the bucket whose TAT is *tat at now_ns. */
void ratelimit_take(const ratelimit_rule *r, _Atomic int64_t *tat, int64_t now_ns,
                    ratelimit_result *out);
/* What the bucket holds at now_ns without taking anything. */
void ratelimit_peek(const ratelimit_rule *r, _Atomic int64_t *tat, int64_t now_ns,
                    ratelimit_result *out);

#endif
