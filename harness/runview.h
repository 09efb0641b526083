/* runview: the parts of report.json that charts, JUnit and baselines read and that the
 * core report does not carry: per-endpoint latency distributions and percentile curves,
 * status classes over time, and per-endpoint check counts. All fixed-size. */
#ifndef WXAI_RUNVIEW_H
#define WXAI_RUNVIEW_H

#include <cjson/cJSON.h>

#include "checks.h"
#include "stats.h"

#define RUNVIEW_LAT_BINS 40 /* bins of a latency distribution */

/* Add to report (a report_json tree):
 *   latency.{overall, endpoints.X}.distribution = {"bin_us", "counts": [40]}
 *   latency.{overall, endpoints.X}.percentiles = [[p, us], ...]
 *   status_over_time = {"bucket_us", "kinds": ["2xx", "4xx", "429", "5xx", "none"],
 *                       "buckets": [[n, n, n, n, n], ...]}
 *   checks[i].by_endpoint = [{"endpoint", "passed", "failed"}], examples[j].endpoint
 * Returns 0, or -1 on ENOMEM (report may hold part of it). */
int runview_add(cJSON *report, const stats *st, const check_results *cr);

#endif
