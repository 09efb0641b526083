/* measure: what a run's --gate expressions may name, and their values from the run's
 * stats and check results (the gate vocabulary and resolver of `wxai-harness run`).
 *
 *   p50..p99.9, min, max, mean (latency | latency_uncorrected {endpoint})   time
 *   rate(conformance{check, endpoint})   checks passed / checks that applied
 *   rate(fallback | clarification | accuracy)   order routing: form fallbacks, records
 *       that went through a clarification, labelled records right in every field
 *   rate(429 | 5xx | errors | success {endpoint})   share of exchanges; errors = 5xx or
 *       no response
 *   rate(status{code})
 *   count(requests | errors | 429 | 5xx {endpoint}), count(records | bad_lines),
 *   count(failures{check, endpoint})
 *   cost.total{endpoint | provider}, cost.per_1000{endpoint | provider}   money */
#ifndef WXAI_MEASURE_H
#define WXAI_MEASURE_H

#include <cjson/cJSON.h>

#include "checks.h"
#include "gate.h"
#include "stats.h"

typedef struct measure_ctx {
    const stats *st;
    const check_results *cr;
} measure_ctx;

/* The vocabulary (static). */
const gate_vocab *measure_vocab(void);
/* gate_resolve_fn over a measure_ctx. */
int measure_resolve(void *ctx, const gate_expr *e, double *value);
/* Evaluate n gates into results (caller's array of n). Returns the number that failed. */
int measure_gates(const gate_expr *gates, size_t n, const measure_ctx *m, gate_result *results);
/* The gates as a JSON array for report.json (caller frees); NULL on ENOMEM. Each item:
 * {"expr", "passed", "observed" (canonical units or null), "observed_text", "threshold",
 * "unit", "message"}. */
cJSON *measure_gates_json(const gate_result *results, const gate_expr *gates, size_t n);

#endif
