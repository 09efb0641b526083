/* fault: injected failures per endpoint: errors at a rate or every Nth
 * request, outage windows on the scenario clock, slow responses, connection
 * resets and truncated bodies.
 *
 * A fault is an action (error, slow, reset, truncate) and a trigger (a
 * probability, every Nth matching request, a window of scenario time, or a
 * combination: a window with a rate fires at that rate inside the window).
 * This module holds the configuration and the pure decision; the engine
 * keeps the counters and applies the action. */
#ifndef WXAI_FAULT_H
#define WXAI_FAULT_H

#include <stddef.h>
#include <stdint.h>

#include "endpoint.h"
#include "yfield.h"

#define FAULT_MAX 32

typedef enum { FAULT_ERROR = 0, FAULT_SLOW, FAULT_RESET, FAULT_TRUNCATE } fault_action;

typedef struct fault_rule {
    int endpoint;   /* endpoint_id, or -1 for every endpoint */
    char *merchant; /* mchid, or NULL for every merchant */
    fault_action action;
    int is_outage; /* an `outage:` window: Retry-After says when it ends */
    /* trigger: every present condition must hold; none present = always */
    int has_rate;
    double rate;   /* probability per request, drawn from the request's key */
    int64_t every; /* fires on the Nth, 2Nth, ... matching request; 0 = not set */
    int has_window;
    int64_t start_ms, duration_ms; /* scenario time */
    /* error */
    int status; /* 500 by default, 503 for outages */
    char *code; /* SYSTEM_ERROR / SERVICE_UNAVAILABLE by default */
    char *message;
    /* slow */
    int64_t delay_ms; /* scenario ms added to the latency */
    int line;
} fault_rule;

typedef struct fault_config {
    fault_rule rules[FAULT_MAX];
    size_t n;
} fault_config;

/* Load the scenario's `faults` list into *out (owned by out: fault_config_free). */
void fault_load(yfield_ctx *c, const ytree_node *n, fault_config *out);
/* Free what cfg owns (not cfg itself). */
void fault_config_free(fault_config *cfg);
/* Whether f applies to this endpoint and merchant at all. */
int fault_matches(const fault_rule *f, int endpoint, const char *mchid);
/* Whether f fires for the count-th matching request (1-based), with uniform draw u in
 * (0, 1), at scenario time now_ms. */
int fault_fires(const fault_rule *f, uint64_t count, double u, int64_t now_ms);
/* Scenario ms until f's window ends (0 outside a window or without one). */
int64_t fault_window_left_ms(const fault_rule *f, int64_t now_ms);

#endif
