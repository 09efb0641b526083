/* svg: small charts drawn as inline SVG text into a bounded buffer, for
 * report.html and the drift comparison.
 *
 * Everything is self-contained (no fonts, scripts or images from anywhere
 * else), every piece of text is XML-escaped, and a chart either goes into the
 * buffer whole or not at all: when it would not fit the buffer is rolled
 * back to where the chart began and the call returns SVG_EFULL, so a report
 * never holds half an <svg>. Non-finite values are drawn as 0.
 *
 * Each chart is one <svg class="chart" data-chart="ID"> element with a
 * <title>, axes, a legend when there are several series, and one element per
 * mark carrying data-* attributes (so a test can count bars or read values). */
#ifndef WXAI_SVG_H
#define WXAI_SVG_H

#include <stdarg.h>
#include <stddef.h>

enum { SVG_OK = 0, SVG_EINVAL = -1, SVG_EFULL = -2, SVG_ENOMEM = -3 };

/* A growable-to-a-cap text buffer. */
typedef struct svg_buf {
    char *data; /* NUL-terminated, owned */
    size_t len;
    size_t cap; /* bytes the text may take, fixed at svg_buf_init */
    int full;   /* set when a write did not fit */
} svg_buf;

/* One data series. y has n values; x (may be NULL: 0..n-1) is used by svg_line only. */
typedef struct svg_series {
    const char *label; /* legend text, may be NULL */
    const double *y;
    const double *x;
    size_t n;
    const char *color; /* CSS colour, NULL: the palette's next */
} svg_series;

/* A vertical line at x (a threshold, a percentile) with a label. */
typedef struct svg_marker {
    double x;
    const char *label; /* may be NULL */
    const char *color; /* NULL: dark red */
} svg_marker;

/* A labelled tick on the x axis (overrides the automatic ticks when given). */
typedef struct svg_tick {
    double x;
    const char *label;
} svg_tick;

enum {
    SVG_NORMALIZE = 1u << 0, /* histogram: each series as fractions of its own total */
    SVG_Y_PERCENT = 1u << 1, /* y tick labels as percentages of 1.0 */
};

typedef struct svg_chart {
    const char *id;    /* data-chart attribute; [A-Za-z0-9_.-] kept, others become '_' */
    const char *title; /* shown above the plot and as <title> */
    const char *x_label, *y_label;
    int width, height;   /* pixels; 0: 640 x 260 */
    double x_min, x_max; /* histogram/stacked: the range the bins cover; line: equal = auto */
    const svg_series *series;
    size_t nseries;
    const svg_marker *markers;
    size_t nmarkers;
    const svg_tick *ticks; /* may be NULL */
    size_t nticks;
    const char *x_unit; /* appended to automatic x tick labels ("ms"), may be NULL */
    unsigned flags;
} svg_chart;

/* Make an empty buffer that may hold up to cap bytes of text. b->data owned by the
 * caller (svg_buf_free). Returns SVG_OK or SVG_ENOMEM. */
int svg_buf_init(svg_buf *b, size_t cap);
/* Free what b holds and zero it; b may be NULL. */
void svg_buf_free(svg_buf *b);
/* Append formatted text. Returns SVG_OK, or SVG_EFULL (b->full set, text not added). */
int svg_printf(svg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int svg_vprintf(svg_buf *b, const char *fmt, va_list ap);
/* Append s with &, <, >, " and ' escaped and control bytes dropped (safe in text and in
 * attribute values). NULL appends nothing. Returns SVG_OK or SVG_EFULL. */
int svg_escape(svg_buf *b, const char *s);
/* As svg_escape, but newlines and tabs are kept (element text: JUnit failures, <pre>). */
int svg_escape_text(svg_buf *b, const char *s);

/* Histogram: series[k].y[i] is the count of bin i of series[k].n equal bins over
 * [x_min, x_max]; several series overlap as translucent bars (flag SVG_NORMALIZE to
 * compare shapes of different sizes); markers are vertical lines at x. */
int svg_histogram(svg_buf *b, const svg_chart *c);
/* Line chart: series[k] is points (x[i], y[i]) (x NULL: i), drawn as a polyline with a dot
 * per point; x range from x_min/x_max unless they are equal. Percentile curves pass
 * ticks to label a non-linear x axis. */
int svg_line(svg_buf *b, const svg_chart *c);
/* Stacked bars over time: bucket i covers [x_min + i*w, x_min + (i+1)*w) with
 * w = (x_max - x_min) / n; series[k].y[i] is the count of category k in bucket i. Every
 * series has the same n. */
int svg_stacked(svg_buf *b, const svg_chart *c);
/* Horizontal bar chart: one bar per label with values[i] (>= 0), and value_labels[i] (may
 * be NULL: the number) printed beside it. c->series and markers are ignored. */
int svg_bars(svg_buf *b, const svg_chart *c, const char *const *labels, const double *values,
             const char *const *value_labels, size_t n);

#endif
