/* eval: score the order-routing model against a labelled phrasings file.
 *
 * The file is fixtures/phrasings.tsv's format (docs/model.md): one phrasing a
 * line with the intent, total, currency, people and language a human expects.
 * eval_run parses each with the built-in model (speaker o_carol, reference time
 * 2026-12-04T20:00:00+08:00) and reports accuracy by intent and by language,
 * the ROC AUC of confidence against correctness, the precision of the answers
 * at or above a confidence threshold, and every miss. Memory is bounded: at
 * most EVAL_MAX_ROWS phrasings of at most EVAL_MAX_LINE bytes are read. */
#ifndef WXAI_EVAL_H
#define WXAI_EVAL_H

#include <stddef.h>
#include <stdio.h>

#include "directory.h"

#define EVAL_MAX_ROWS 20000
#define EVAL_MAX_LINE 4096

typedef struct eval_summary {
    size_t rows;            /* phrasings scored */
    size_t correct;         /* intent, total, currency and people all right (clarify: asked) */
    double accuracy;        /* correct / rows */
    size_t clarify_rows;    /* rows labelled clarify */
    size_t clarify_correct; /* of those, how many the model asked about */
    size_t locale_correct;  /* rows whose detected locale matches the lang column */
    double auc;             /* ROC AUC of confidence vs correctness, rows not labelled clarify */
    double threshold;       /* the threshold asked for */
    size_t above;           /* ready answers (no question) with confidence >= threshold */
    size_t above_correct;   /* of those, correct */
    double precision_above; /* above_correct / above (1 when above == 0) */
    size_t bad_lines;       /* lines that could not be read as a phrasing */
} eval_summary;

/* Score every phrasing in tsv_path against dir, print the report to out (may be NULL)
 * and fill *sum. Returns 0, or -1 if the file cannot be read (message on out). */
int eval_run(const char *tsv_path, const directory *dir, double threshold, FILE *out,
             eval_summary *sum);

#endif
