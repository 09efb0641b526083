/* html: report.html from a report.json tree: one self-contained file (inline CSS, inline
 * SVG drawn by svg.c, a few lines of inline script; nothing fetched from anywhere) with the
 * verdict, gates, checks with their failing examples, and charts: status codes over time,
 * latency histogram and percentile curve per endpoint, confidence histogram per model
 * version with the threshold marked, cost by endpoint and by provider.
 *
 * The inline script checks that every chart has a non-zero bounding box and then sets
 * data-charts-ok="N" on <body> (a headless browser test reads it from the dumped DOM). */
#ifndef WXAI_HTML_H
#define WXAI_HTML_H

#include <cjson/cJSON.h>

#include "svg.h"

#define HTML_MAX_BYTES (16u << 20)

/* Append the page for report to b. *charts gets the number of <svg> charts drawn (may be
 * NULL). Returns 0, or -1 when it did not fit. */
int html_render(svg_buf *b, const cJSON *report, int *charts);
/* Write dir/report.html atomically. Returns 0, or -1 with a message on stderr. */
int html_write(const char *dir, const cJSON *report);

#endif
