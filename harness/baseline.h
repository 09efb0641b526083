/* baseline: a previous report.json as the reference of a run (--baseline).
 *
 * A check failing on an endpoint, or a gate failing, that already failed in the
 * baseline is a known failure: reported, but it does not fail the run. New failures do,
 * and so do regressions: a latency percentile (p95, p99 corrected, overall and per
 * endpoint) or a cost figure (total, per 1,000 records) more than the tolerance above the
 * baseline's. Latency changes under 1 ms are noise and never regress. */
#ifndef WXAI_BASELINE_H
#define WXAI_BASELINE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define BASELINE_MAX_BYTES (64u << 20) /* a report.json is a few hundred KiB at most */

typedef struct baseline_verdict {
    int new_check_failures, known_check_failures; /* (check, endpoint) pairs */
    int new_gate_failures, known_gate_failures;
    int regressions;
} baseline_verdict;

/* Read and parse a report.json. *out owned by the caller (cJSON_Delete). Returns 0, or -1
 * with "path: reason" in err. */
int baseline_load(const char *path, cJSON **out, char *err, size_t cap);
/* Compare report with base (tolerance as a fraction: 0.10) and add report.baseline =
 * {"path", "tolerance", "known_failures": [...], "new_failures": [...],
 *  "regressions": [{"figure", "baseline", "current", "change"}]}. Fills *v. Returns 0 or -1
 * (ENOMEM). */
int baseline_apply(cJSON *report, const cJSON *base, const char *path, double tolerance,
                   baseline_verdict *v);
/* 1 when report.baseline lists kind ("check" or "gate") name (and endpoint, for a check)
 * as a known failure. */
int baseline_known(const cJSON *report, const char *kind, const char *name, const char *endpoint);

#endif
