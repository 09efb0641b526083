/* drift: model versions, their confidence distributions, and the schedule
 * that switches the active version (at the Nth request, at a time on the
 * scenario clock, or on an admin call).
 *
 * The built-in models derive a confidence from the evidence they found; a
 * version does not replace it, it moves it:
 *
 *   confidence' = clamp01(confidence + (mean_v - DRIFT_BASE_MEAN) + stddev_v * z)
 *
 * where z is a standard normal draw keyed by (seed, merchant, request
 * content, occurrence). A version's distribution is {mean, stddev}, or
 * {shift} relative to the previous version (stddev inherited unless given).
 * The runtime half (which version answers which request) is in engine.c. */
#ifndef WXAI_DRIFT_H
#define WXAI_DRIFT_H

#include <stddef.h>
#include <stdint.h>

#include "endpoint.h"
#include "yfield.h"

#define DRIFT_MAX_VERSIONS 8
#define DRIFT_MAX_STEPS 16
#define DRIFT_BASE_MEAN 0.90 /* where the built-in models' confidences centre */
#define DRIFT_DEFAULT_VERSION "2026.09"

typedef struct drift_version {
    char *id;
    double mean;   /* centre of this version's confidences */
    double stddev; /* per-request noise added to the model's confidence */
} drift_version;

typedef enum { DRIFT_AT_REQUEST = 0, DRIFT_AT_TIME, DRIFT_ON_ADMIN } drift_when;

typedef struct drift_step {
    drift_when when;
    int64_t at_request; /* the first request (1-based) the new version answers */
    int64_t at_ms;      /* scenario time from which the new version answers */
    int to;             /* version index */
} drift_step;

typedef struct drift_model {
    drift_version versions[DRIFT_MAX_VERSIONS];
    size_t nversions; /* at least one once drift_finish has run */
    drift_step steps[DRIFT_MAX_STEPS];
    size_t nsteps;
} drift_model;

typedef struct drift_config {
    drift_model endpoint[ENDPOINT_COUNT];
} drift_config;

/* Load the scenario's `models` mapping (models.<endpoint>.{versions, drift}). */
void drift_load(yfield_ctx *c, const ytree_node *n, drift_config *out);
/* Give every endpoint without versions the default one. Returns 0 or -1 (out of memory). */
int drift_finish(drift_config *cfg);
/* Free what cfg owns (not cfg itself). */
void drift_config_free(drift_config *cfg);
/* Index of the version with this id, or -1. */
int drift_find(const drift_model *m, const char *id);
/* The formula above; z is a standard normal draw. */
double drift_confidence(const drift_version *v, double confidence, double z);

#endif
