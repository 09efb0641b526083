/* comparedoc: a comparison as files a team reads or a CI job keeps:
 * compare.json (compare_json), compare.md and a self-contained compare.html
 * with both confidence distributions on one chart, the current and the
 * recommended threshold marked, the fallback-rate curves, and the threshold
 * table. Each file is written to a temporary name and renamed, so a reader
 * never sees half of one. */
#ifndef WXAI_COMPAREDOC_H
#define WXAI_COMPAREDOC_H

#include <stdio.h>

#include "compare.h"

/* The Markdown report on f. */
void comparedoc_markdown(FILE *f, const compare_result *r, const gate_expr *gates,
                         const gate_result *results, size_t n);
/* The HTML report as a string the caller frees; NULL on ENOMEM. */
char *comparedoc_html(const compare_result *r, const gate_expr *gates, const gate_result *results,
                      size_t n);
/* Write dir/compare.json, dir/compare.md and dir/compare.html (dir created if missing).
 * Returns 0, or -1 with a message on stderr. */
int comparedoc_write(const char *dir, const compare_result *r, const gate_expr *gates,
                     const gate_result *results, size_t n);

#endif
