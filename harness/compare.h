/* compare: what a model update does, from two runs' report.json (the old
 * version first): the confidence distributions and how far they moved (PSI
 * on the old one's deciles, two-sample KS), fallback, clarification and
 * accuracy before and after, the threshold on the new version that restores
 * the old fallback rate, the threshold that reaches a target precision
 * against `truth` with the recall it costs, a threshold table for both, and
 * latency and cost deltas per endpoint. Gates over it (psi(confidence) < 0.1,
 * delta(rate(fallback)) < 2pp) go through gate.h with compare's vocabulary.
 *
 * Everything is read from the reports' fixed-size parts (1,000-bin
 * confidence histograms, latency percentiles, cost by endpoint), so memory is
 * bounded whatever the runs' lengths. Format and definitions: docs/drift.md. */
#ifndef WXAI_COMPARE_H
#define WXAI_COMPARE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "driftstat.h"
#include "gate.h"
#include "scenario.h"

#define COMPARE_BINS 1000              /* must match report.json's confidence.fine.bins */
#define COMPARE_MAX_ENDPOINTS 16       /* as the run's stats */
#define COMPARE_MAX_ROWS 24            /* threshold table */
#define COMPARE_REPORT_MAX (64L << 20) /* a report.json larger than this is refused */

enum { COMPARE_OLD = 0, COMPARE_NEW = 1 };
enum { COMPARE_LAT_CORRECTED = 0, COMPARE_LAT_UNCORRECTED = 1 };
/* latency figures kept per endpoint, in report.json's order */
enum {
    COMPARE_MIN,
    COMPARE_MEAN,
    COMPARE_P50,
    COMPARE_P90,
    COMPARE_P95,
    COMPARE_P99,
    COMPARE_MAX,
    COMPARE_NLAT
};

typedef struct compare_opts {
    const char *old_version; /* the version of the old report to use; NULL: all of them */
    const char *new_version; /* likewise for the new report */
    double threshold;        /* < 0: the threshold the old run's answers named */
    double target_precision; /* <= 0: no precision search (default 0.98) */
    double tolerance;        /* keep the threshold when the rate moved less (default 0.005) */
    const char *old_label;   /* how the report names each side (a path); NULL: "old"/"new" */
    const char *new_label;
} compare_opts;

typedef struct compare_endpoint {
    char name[48];
    int present[2];
    uint64_t requests[2];
    double lat[2][2][COMPARE_NLAT]; /* [side][corrected|uncorrected][figure], microseconds */
    int64_t cost_micros[2];
} compare_endpoint;

typedef struct compare_side {
    char label[256];
    char versions[160];                  /* the model versions counted, comma-separated */
    uint64_t *all, *correct, *incorrect; /* COMPARE_BINS each (one allocation, owned) */
    uint64_t answers, labelled;          /* order-routing answers with a confidence; labelled */
    uint64_t routed;                     /* order-routing records that finished */
    double fallback_rate;      /* outcomes.fallback_rate: records that ended in the form */
    double clarification_rate; /* (clarified + unanswered) / routed */
    double accuracy;           /* accuracy.all, -1 without labels */
    double model_fallback;     /* answers below the threshold */
    driftstat_pr pr;           /* precision and recall at the threshold */
    int64_t cost_total, cost_per_1000;
    double lat[2][COMPARE_NLAT]; /* overall */
} compare_side;

typedef struct compare_row {
    double threshold;
    double fallback[2];
    driftstat_pr pr[2];
} compare_row;

typedef struct compare_result {
    compare_side side[2];
    char currency[8];
    driftstat_psi psi; /* the new distribution against the old one's deciles */
    driftstat_ks ks;
    double threshold;           /* current */
    const char *threshold_from; /* "--threshold", "answers", "policy" or "default" (static) */
    double recommended;         /* restores the old model fallback rate on the new version */
    double restored_rate;       /* the new version's model fallback rate there */
    int changed;                /* recommended != threshold */
    int labelled;               /* both sides have truth-labelled answers */
    double target_precision;
    int precision_status;       /* 0 found, 1 unreachable, -1 not searched (no labels/target) */
    double precision_threshold; /* on the new version */
    driftstat_pr precision_pr;
    compare_row rows[COMPARE_MAX_ROWS];
    size_t nrows;
    compare_endpoint ep[COMPARE_MAX_ENDPOINTS];
    size_t nep;
} compare_result;

/* Defaults: all versions, threshold from the reports, target precision 0.98, tolerance 0.005. */
void compare_defaults(compare_opts *o);
/* Read and parse a report.json. *out owned by the caller (cJSON_Delete). Returns 0, or -1
 * with a message in err. */
int compare_load(const char *path, cJSON **out, char *err, size_t cap);
/* Compare two reports (neither is kept). *out owned by the caller (compare_free). Returns 0,
 * or -1 with a message in err (not a report, no confidence data, unknown version, ENOMEM). */
int compare_run(const cJSON *old_report, const cJSON *new_report, const compare_opts *o,
                compare_result **out, char *err, size_t cap);
/* Free r; r may be NULL. */
void compare_free(compare_result *r);

/* The summary on f. */
void compare_text(FILE *f, const compare_result *r);
/* What threshold t is in r: "current", "recommended", "target precision" or "" (static). */
const char *compare_row_mark(const compare_result *r, double t);
/* A threshold-table row's figures as text, the same in every layout: below (old, new),
 * precision (old, new), recall (old, new); "n/a" for a side without labels. */
#define COMPARE_CELL 16
void compare_row_cells(const compare_result *r, const compare_row *x, char cells[6][COMPARE_CELL]);
/* The comparison as JSON (caller frees; NULL on ENOMEM); gates (n of them, may be 0) are
 * added as "gates". */
cJSON *compare_json(const compare_result *r, const gate_expr *gates, const gate_result *results,
                    size_t n);

/* The gate vocabulary of a comparison (static): psi/ks/ks_pvalue(confidence), rate(fallback |
 * clarification | accuracy | model_fallback), p50..p99/min/mean/max(latency |
 * latency_uncorrected {endpoint}), delta(any of those), cost.total{endpoint},
 * cost.per_1000, threshold.recommended, threshold.change. */
const gate_vocab *compare_vocab(void);
/* gate_resolve_fn over a compare_result: figures of the new run, delta() = new - old. */
int compare_resolve(void *ctx, const gate_expr *e, double *value);

/* Pin sc's order-routing model to version for a whole run (the drift schedule replaced by
 * "this version from the first request"), for run --compare-versions. Returns 0, or -1 with
 * the known versions in err. */
int compare_pin_version(scenario *sc, const char *version, char *err, size_t cap);

#endif
