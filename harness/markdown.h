/* markdown: report.md from a report.json tree: the summary a reviewer reads in a pull
 * request (verdict, gates, failing checks with one reproduction each, latency and cost per
 * endpoint, outcomes, baseline). */
#ifndef WXAI_MARKDOWN_H
#define WXAI_MARKDOWN_H

#include <cjson/cJSON.h>

#include "svg.h"

#define MARKDOWN_MAX_BYTES (2u << 20)

/* Append the Markdown of report to b. Returns 0, or -1 when it did not fit. */
int markdown_render(svg_buf *b, const cJSON *report);
/* Write dir/report.md atomically. Returns 0, or -1 with a message on stderr. */
int markdown_write(const char *dir, const cJSON *report);

#endif
